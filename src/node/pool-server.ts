/**
 * Entry of the isolated pool process (started by path by {@link SandboxedPoolProcess}; never
 * imported). It runs under Node's permission model: it may read only the package's files
 * and the snapshot cache, start worker threads, and nothing else (no writes, no child
 * processes, no code generation from strings, an empty environment).
 */

import { CancelSource } from "../core/cancel.js";
import type { FromPoolServer, PoolServerConfig, ToPoolServer } from "../protocol/pool-process.js";
import { createThreadPool } from "./thread-pool.js";

const config = JSON.parse(process.argv[2] ?? "{}") as PoolServerConfig;
// Once the host is gone (killed, even with SIGKILL) there is nobody to answer: sending
// then would throw ERR_IPC_CHANNEL_CLOSED from a timer and print a stack trace.
const send = (message: FromPoolServer) => {
  if (process.connected) process.send?.(message);
};
// The host can go between that check and the write (a CLI that fails at once on a bad store
// while its early pool process starts): the write then fails with EPIPE, emitted on
// `process`, which unhandled printed a stack trace on the CLI's terminal. Nobody is left to
// answer, as on "disconnect".
process.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE" || e.code === "ERR_IPC_CHANNEL_CLOSED") process.exit(0);
  throw e;
});
const pool = createThreadPool(config, (message) => send({ type: "snapshot-failed", message }));
const cancels = new Map<number, CancelSource>();
let starts: { id: number; at: number }[] = [];
let logs: { id: number; stream: "stdout" | "stderr"; text: string }[] = [];
let results: Extract<FromPoolServer, { type: "results" }>["results"][number][] = [];
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  if (starts.length === 0 && logs.length === 0 && results.length === 0) return;
  send({ type: "results", starts, logs, results });
  starts = [];
  logs = [];
  results = [];
}

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flush);
}

process.on("message", (message: ToPoolServer) => {
  switch (message.type) {
    case "run":
      for (const { id, task, start } of message.items) {
        const cancel = new CancelSource();
        cancels.set(id, cancel);
        pool
          .run(task, {
            signal: cancel.signal,
            ...(start
              ? {
                  onStart: (at: number) => {
                    starts.push({ id, at });
                    scheduleFlush();
                  },
                }
              : {}),
            onLog: (stream, text) => {
              logs.push({ id, stream, text });
              scheduleFlush();
            },
          })
          .then((result) => {
            cancels.delete(id);
            results.push({ id, result });
            scheduleFlush();
          });
      }
      break;
    case "cancel":
      for (const id of message.ids) cancels.get(id)?.cancel();
      break;
    case "prepare":
      pool.prepare(new Set(message.languages)).then(
        () => send({ type: "prepared", id: message.id }),
        (e: unknown) =>
          send({ type: "prepared", id: message.id, error: e instanceof Error ? e.message : String(e) }),
      );
      break;
    case "end-run":
      pool.endRun(message.runId);
      break;
    case "close":
      pool.close().finally(() => process.exit(0));
      break;
  }
});
// The host died or let go: the workers are threads of this process, so exiting stops them
// at once (a step still running would otherwise hold the process until it ends).
process.on("disconnect", () => process.exit(0));
// Started early by a CLI that has since ended (a bad workflow file): the channel closed
// while the modules loaded, before the listener above was there.
if (!process.connected) process.exit(0);
send({ type: "ready" });
