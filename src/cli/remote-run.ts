/**
 * `sandflow run FILE --server URL` (or `SANDFLOW_SERVER`): the CLI reads the workflow and
 * its step files, sends it to a running `sandflow serve`, and follows the run's events with
 * the same progress display and report as a local run. Ctrl-C cancels the run on the server.
 */
import type { RunHandle } from "../core/engine.js";
import { parseParamArguments } from "../core/params.js";
import type { RunReport } from "../core/report.js";
import type { WorkflowDefinition } from "../core/workflow.js";
import { workflowSpecOf } from "../core/workflow-spec.js";
import { followRunEvents } from "../server/sse-client.js";
import { EXIT } from "./exit-codes.js";
import { followRun, type RunDisplayOptions } from "./follow-run.js";
import { type HttpAnswer, httpFetch } from "./http-client.js";

/** Options of a run on a server. */
export interface RemoteRunOptions extends RunDisplayOptions {
  /** Bearer token; default: `SANDFLOW_TOKEN`. */
  readonly token?: string;
  /** Options of a local run, refused with a server. */
  readonly threads?: number;
  readonly timeout?: number;
  readonly memory?: number;
  readonly store?: string | boolean;
  /** `--param name=value` and `--params '<json>'`: sent with the run, checked by the server. */
  readonly param?: readonly string[];
  readonly params?: string;
}

/** The local-run options given that do not apply to a run on a server. */
function localOnly(options: RemoteRunOptions): string[] {
  const given: [string, boolean][] = [
    ["--concurrency", options.concurrency !== undefined],
    ["--threads", options.threads !== undefined],
    ["--fail-fast", options.failFast === true],
    ["--timeout", options.timeout !== undefined],
    ["--memory", options.memory !== undefined],
    ["--secret", (options.secret ?? []).length > 0],
    ["--rate-limit", options.rateLimit !== undefined],
    ["--max-for-each-items", options.maxForEachItems !== undefined],
    ["--store/--no-store", options.store !== undefined && options.store !== true],
  ];
  return given.filter(([, on]) => on).map(([name]) => name);
}

interface ApiError {
  error?: { name?: string; message?: string; issues?: { path: string; message: string }[] };
}

/** Runs a workflow on the server at `url` (a definition, or file text the server parses); returns the exit code. */
export async function remoteRun(
  workflow: WorkflowDefinition | { readonly text: string; readonly format: "lua" | "yaml" | "json" },
  url: string,
  options: RemoteRunOptions,
): Promise<number> {
  const base = url.replace(/\/+$/, "");
  const params = parseParamArguments(options.param, options.params);
  if (!params.ok) {
    process.stderr.write(`sandflow: ${params.error}\n`);
    return EXIT.INVALID;
  }
  const token = options.token ?? process.env.SANDFLOW_TOKEN;
  const headers = {
    "Content-Type": "application/json",
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  };
  let response: HttpAnswer;
  try {
    response = await httpFetch(`${base}/api/runs`, {
      method: "POST",
      headers,
      body: JSON.stringify(
        "text" in workflow
          ? { workflow: workflow.text, format: workflow.format, params: params.value }
          : { workflow: workflowSpecOf(workflow), params: params.value },
      ),
    });
  } catch (e) {
    process.stderr.write(`sandflow: no server at ${base}: ${(e as Error).message}\n`);
    return EXIT.INVALID;
  }
  const body = (await response.json().catch(() => ({}))) as ApiError & { runId?: string };
  if (response.status !== 201 || typeof body.runId !== "string") {
    const issues =
      body.error?.issues?.map((i) => `\n  - ${i.path ? `${i.path}: ` : ""}${i.message}`).join("") ?? "";
    const message =
      body.error?.message ?? `the server answered ${response.status} (is it a sandflow server?)`;
    process.stderr.write(`sandflow: ${base}: ${message}${issues && !message.includes("\n") ? issues : ""}\n`);
    if (options.json && response.status === 400)
      process.stdout.write(`${JSON.stringify({ status: "invalid", error: body.error }, null, 2)}\n`);
    return response.status === 400 ? EXIT.INVALID : EXIT.FAILED;
  }
  const runId = body.runId;
  return followRun(
    ({ onEvent, signal }) => {
      const follow = new AbortController();
      signal?.addEventListener(
        "abort",
        () => void httpFetch(`${base}/api/runs/${runId}/cancel`, { method: "POST", headers }).catch(() => {}),
        { once: true },
      );
      const report: Promise<RunReport> = followRunEvents(runId, (event) => onEvent?.(event), {
        baseUrl: base,
        token,
        signal: follow.signal,
        fetch: httpFetch,
      }).then((finished) => {
        if (!finished) throw new Error(`the server stopped sending the events of run ${runId}`);
        return finished.report;
      });
      return { runId, report } as Pick<RunHandle, "runId" | "report">;
    },
    { ...options, server: base },
  ).catch((e: Error) => {
    process.stderr.write(
      `sandflow: ${e.message}; the run goes on if the server comes back, or shows as interrupted there (sandflow show ${runId.slice(0, 8)}, then resume)\n`,
    );
    return EXIT.FAILED;
  });
}

const FORMATS: Record<string, "lua" | "yaml" | "json"> = {
  lua: "lua",
  yaml: "yaml",
  yml: "yaml",
  json: "json",
};

/**
 * The text of a workflow file the server can take as it is: one that names no files
 * (`file`, `module`) and has its own `name`. Reading it here without parsing keeps zod and
 * the YAML parser out of the CLI's start; the server parses and validates it. Anything else
 * (or anything unreadable) is left to the full loader, which reads the files and words errors.
 */
async function plainText(
  file: string,
): Promise<{ text: string; format: "lua" | "yaml" | "json" } | undefined> {
  const format = FORMATS[file.toLowerCase().split(".").pop() ?? ""];
  if (!format) return undefined;
  try {
    const { readFile, stat } = await import("node:fs/promises");
    if ((await stat(file)).size > 1024 * 1024) return undefined;
    const text = await readFile(file, "utf8");
    if (/\b(file|module)\b/.test(text)) return undefined;
    const named = format === "lua" ? /\bname\s*=/ : format === "json" ? /"name"\s*:/ : /^name\s*:/m;
    return named.test(text) ? { text, format } : undefined;
  } catch {
    return undefined;
  }
}

/** `sandflow run FILE --server URL`: the workflow file and its step files are read here. */
export async function remoteRunCommand(
  file: string,
  url: string,
  options: RemoteRunOptions,
): Promise<number> {
  const refused = localOnly(options);
  if (refused.length > 0) {
    process.stderr.write(
      `sandflow: ${refused.join(", ")} ${refused.length === 1 ? "applies" : "apply"} to a local run only; with --server (or SANDFLOW_SERVER) the server's engine and store run it\n`,
    );
    return EXIT.INVALID;
  }
  const text = await plainText(file);
  if (text) return remoteRun(text, url, options);
  const { loadWorkflowFile } = await import("../node/workflow-file.js");
  const loaded = await loadWorkflowFile(file);
  if (!loaded.ok) {
    const error = loaded.error;
    if (options.json) {
      const issues = "issues" in error ? { issues: [...error.issues] } : {};
      process.stdout.write(
        `${JSON.stringify({ status: "invalid", error: { name: error.name, message: error.message, ...issues } }, null, 2)}\n`,
      );
    }
    process.stderr.write(`sandflow: ${error.message}\n`);
    return EXIT.INVALID;
  }
  return remoteRun(loaded.value, url, options);
}
