/**
 * Every message between the pool host and its workers, as tagged unions with zod schemas.
 * Workers run untrusted code, so the host validates what comes back before using it.
 * A batch carries a control block (see control-block.ts).
 */
import { z } from "zod";
import { LANGUAGES } from "../core/languages.js";

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: "expected bytes" });
const fileTree = z.record(z.string(), bytes.nullable());

export const serializedErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  stack: z.string().optional(),
});

export const stepTaskSchema = z.object({
  runId: z.string(),
  stepId: z.string(),
  attempt: z.int().min(1),
  language: z.enum(LANGUAGES),
  code: z.string(),
  codeHash: z.string(),
  inputsJson: z.string(),
  contextJson: z.string().optional(),
  env: z.record(z.string(), z.string()),
  files: fileTree,
  limits: z.object({
    memoryBytes: z.number(),
    outputBytes: z.number(),
    resultBytes: z.number(),
    processes: z.number(),
    workspaceBytes: z.number(),
  }),
  timeoutMs: z.number(),
  net: z
    .object({ hosts: z.array(z.string()).readonly(), maxBytes: z.number(), timeoutMs: z.number() })
    .optional(),
});

/** Host to worker: the task payload of one pool call. */
export const workerRequestSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("prepare"), languages: z.array(z.enum(LANGUAGES)), memoryBytes: z.number() }),
  /** Evaluate a Lua workflow file in the worker (off the page's or host's main thread). */
  z.object({ type: z.literal("evaluate-workflow"), source: z.string(), label: z.string() }),
  z.object({
    type: z.literal("batch"),
    batchId: z.int(),
    control: z.custom<SharedArrayBuffer>((v) => v instanceof SharedArrayBuffer),
    tasks: z.array(stepTaskSchema),
  }),
]);

/** The result of one task of a batch. */
export const taskResultSchema = z.object({
  index: z.int().min(0),
  outcome: z.discriminatedUnion("ok", [
    z.object({ ok: z.literal(true), outputJson: z.string() }),
    z.object({ ok: z.literal(false), error: serializedErrorSchema }),
  ]),
  changes: z.object({ upserts: fileTree, deletes: z.array(z.string()) }),
  stdout: z.string(),
  stderr: z.string(),
  /** How many log events the worker posted for this step (the host waits for them before settling). */
  logEvents: z.int().min(0),
  /** Output not yet sent as log events, in order. */
  logTail: z.array(z.object({ stream: z.enum(["stdout", "stderr"]), text: z.string() })),
  startedAt: z.number(),
  finishedAt: z.number(),
});

/** Worker to host: the return value of one pool call. */
export const workerResponseSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("prepared"), languages: z.array(z.enum(LANGUAGES)), loadMs: z.number() }),
  z.object({ type: z.literal("batch-done"), batchId: z.int(), results: z.array(taskResultSchema) }),
  z.object({
    type: z.literal("evaluated"),
    result: z.discriminatedUnion("ok", [
      z.object({ ok: z.literal(true), value: z.unknown() }),
      z.object({ ok: z.literal(false), error: serializedErrorSchema }),
    ]),
  }),
  z.object({ type: z.literal("failed"), error: serializedErrorSchema }),
]);

/** Worker to host, while a batch runs (posted on the worker's parent port). */
export const workerEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("log"),
    batchId: z.int(),
    index: z.int().min(0),
    stream: z.enum(["stdout", "stderr"]),
    text: z.string(),
  }),
  z.object({ type: z.literal("partial"), batchId: z.int(), results: z.array(taskResultSchema) }),
  /** A step asks the host to fetch a URL for it (see net-reply.ts); the host checks its grant. */
  z.object({
    type: z.literal("net-request"),
    batchId: z.int(),
    index: z.int().min(0),
    request: z.object({
      url: z.string(),
      method: z.string(),
      headers: z.array(z.tuple([z.string(), z.string()])),
      body: bytes.optional(),
    }),
    reply: z.custom<SharedArrayBuffer>((v) => v instanceof SharedArrayBuffer),
  }),
]);

/** Host to every worker at once (not a request; no response). */
export const workerBroadcastSchema = z.object({ type: z.literal("run-ended"), runId: z.string() });

/**
 * The envelope of every worker's session (src/pool/session-transport.ts; a browser worker
 * adds its own kinds, see browser-wire.ts):
 * requests with ids one way; responses, failures and events the other, in order.
 */
export const sessionToWorkerSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("request"), id: z.int(), request: workerRequestSchema }),
  z.object({ kind: z.literal("broadcast"), message: workerBroadcastSchema }),
  z.object({ kind: z.literal("ping"), id: z.int() }),
]);
export const sessionFromWorkerSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("response"), id: z.int(), response: workerResponseSchema }),
  z.object({ kind: z.literal("failure"), id: z.int(), error: serializedErrorSchema }),
  z.object({ kind: z.literal("event"), event: workerEventSchema }),
  /** Sent as soon as the worker takes a request: a worker that does not is stuck outside any step. */
  z.object({ kind: z.literal("ack"), id: z.int() }),
  z.object({ kind: z.literal("pong"), id: z.int() }),
  /** Sent once when the session starts: which worker thread serves it (its memory is watched). */
  z.object({ kind: z.literal("hello"), threadId: z.int() }),
]);

export type WorkerBroadcast = z.infer<typeof workerBroadcastSchema>;
export type SessionToWorker = z.infer<typeof sessionToWorkerSchema>;
export type SessionFromWorker = z.infer<typeof sessionFromWorkerSchema>;

export type WorkerRequest = z.infer<typeof workerRequestSchema>;
export type WorkerResponse = z.infer<typeof workerResponseSchema>;
export type WorkerEvent = z.infer<typeof workerEventSchema>;
export type TaskResult = z.infer<typeof taskResultSchema>;
export type WireStepTask = z.infer<typeof stepTaskSchema>;
