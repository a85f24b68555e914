/**
 * `sandflow runs --server URL`, `sandflow show RUN --server URL` and `sandflow delete RUN
 * --server URL`: the runs of a running `sandflow serve`, through its API, for a server whose
 * store this machine cannot open.
 */
import type { RunReport } from "../core/report.js";
import { EXIT } from "./exit-codes.js";
import { call, type ServerCallOptions, serverUrl } from "./server-call.js";
import { runRow } from "./store-commands.js";
import { renderSummary } from "./summary.js";

/** `sandflow runs --server URL`. */
export async function serverRunsCommand(
  options: ServerCallOptions & { readonly status?: string; readonly limit?: number },
): Promise<number> {
  const query = new URLSearchParams({ limit: String(options.limit ?? 20) });
  if (options.status !== undefined) query.set("status", options.status);
  const answer = await call("runs", `/api/runs?${query}`, options);
  if (!answer.ok) return answer.code;
  const { runs } = answer.value as { runs: Parameters<typeof runRow>[0][] };
  if (options.json) process.stdout.write(`${JSON.stringify({ runs }, null, 2)}\n`);
  else if (runs.length === 0) process.stdout.write("no runs on the server\n");
  else for (const r of runs) process.stdout.write(runRow(r));
  return EXIT.OK;
}

/** `sandflow show RUN --server URL`. */
export async function serverShowCommand(runId: string, options: ServerCallOptions): Promise<number> {
  const answer = await call("show", `/api/runs/${encodeURIComponent(runId)}`, options);
  if (!answer.ok) return answer.code;
  const report = answer.value as RunReport;
  process.stdout.write(
    options.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : renderSummary(report, undefined, serverUrl(options.server)),
  );
  return EXIT.OK;
}

/** `sandflow delete RUN --server URL`. */
export async function serverDeleteCommand(runId: string, options: ServerCallOptions): Promise<number> {
  const answer = await call("delete", `/api/runs/${encodeURIComponent(runId)}`, options, undefined, "DELETE");
  if (!answer.ok) return answer.code;
  const { runId: deleted } = answer.value as { runId: string };
  process.stdout.write(
    options.json ? `${JSON.stringify({ runId: deleted, deleted: true })}\n` : `deleted run ${deleted}\n`,
  );
  return EXIT.OK;
}
