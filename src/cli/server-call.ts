/**
 * Calling a running `sandflow serve` from the CLI: the server is `--server`, else
 * `SANDFLOW_SERVER`, else the background server `serve --background` started; its token is
 * `--token`, else `SANDFLOW_TOKEN`. Failures are printed as the server named them.
 */
import { readFileSync } from "node:fs";
import { serverStateFile } from "../node/sandflow-home.js";
import { EXIT } from "./exit-codes.js";
import { type HttpAnswer, httpFetch } from "./http-client.js";
import { terminalSafeLine } from "./terminal-safe.js";

/** Options every command that talks to a server takes. */
export interface ServerCallOptions {
  readonly server?: string;
  readonly token?: string;
  readonly json?: boolean;
}

/** The server a command talks to: `given`, else `SANDFLOW_SERVER`, else the background server's. */
export function serverUrl(given: string | undefined): string | undefined {
  const url = given || process.env.SANDFLOW_SERVER;
  if (url) return url.replace(/\/+$/, "");
  try {
    const state = JSON.parse(readFileSync(serverStateFile(), "utf8")) as { url?: unknown };
    return typeof state.url === "string" ? state.url : undefined;
  } catch {
    return undefined;
  }
}

/** Calls the server's API; resolves with the JSON answer, or prints why not and resolves with an exit code. */
export async function call(
  command: string,
  path: string,
  options: ServerCallOptions,
  body?: unknown,
  method: string = body === undefined ? "GET" : "POST",
): Promise<{ ok: true; value: unknown } | { ok: false; code: number }> {
  const base = serverUrl(options.server);
  if (!base) {
    process.stderr.write(
      `sandflow ${command}: no server: give --server URL (or SANDFLOW_SERVER), or start one with 'sandflow serve --background --workflows DIR'\n`,
    );
    return { ok: false, code: EXIT.INVALID };
  }
  const token = options.token ?? process.env.SANDFLOW_TOKEN;
  let response: HttpAnswer;
  try {
    response = await httpFetch(`${base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e) {
    process.stderr.write(`sandflow ${command}: no server at ${base}: ${(e as Error).message}\n`);
    return { ok: false, code: EXIT.FAILED };
  }
  const answer = (await response.json().catch(() => ({}))) as {
    error?: { message?: string; issues?: { path: string; message: string }[] };
  };
  if (!response.ok) {
    const issues = (answer.error?.issues ?? [])
      .map((i) => `\n  ${terminalSafeLine(`${i.path}: ${i.message}`)}`)
      .join("");
    process.stderr.write(
      `sandflow ${command}: ${terminalSafeLine(answer.error?.message ?? `the server answered ${response.status} (is it a sandflow server?)`)}${issues}\n`,
    );
    return { ok: false, code: response.status === 400 ? EXIT.INVALID : EXIT.FAILED };
  }
  return { ok: true, value: answer };
}
