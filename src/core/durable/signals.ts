/**
 * Sending signals to runs: the one path `sandflow signal` and
 * `POST /api/runs/{id}/signals/{name}` share. A signal is kept in the store with the run,
 * so it reaches the run whichever process runs it, also one sent before the run waits.
 */
import { z } from "zod";
import { SandflowError } from "../errors.js";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../json-depth.js";
import { EVENT_NAME_PATTERN } from "../schema.js";
import type { Store } from "./store.js";
import { resolveRunId } from "./stored-run.js";

/** The data of an `approval` signal. */
export const approvalDataSchema = z.strictObject({
  approved: z.boolean(),
  by: z.string().max(200).optional(),
  comment: z.string().max(10_000).optional(),
});

/** The name of the signal `approval` steps wait for. */
export const APPROVAL_SIGNAL = "approval";

/** A signal that cannot be sent as given: a bad name, id or data. */
export class InvalidSignalError extends SandflowError {
  override name = "InvalidSignalError";
}

/** What a send did. */
export interface SignalSent {
  readonly runId: string;
  readonly name: string;
  readonly signalId: string;
  /** False when this signal id had been sent before (nothing changed). */
  readonly delivered: boolean;
}

/** Largest signal data, as JSON. */
export const MAX_SIGNAL_BYTES = 1024 * 1024;

/**
 * Keeps a signal for a run (by id or unique prefix).
 * @throws InvalidSignalError for a bad name, id or data; RunNotFoundError; RunStateError for a finished run.
 */
export async function sendSignal(
  store: Store,
  run: string,
  name: string,
  data: unknown,
  signalId: string,
  now: number,
): Promise<SignalSent> {
  if (!EVENT_NAME_PATTERN.test(name))
    throw new InvalidSignalError(
      `bad signal name ${JSON.stringify(name)}: a signal name is 1-128 letters, digits, '.', '_', ':' or '-'`,
    );
  if (name === APPROVAL_SIGNAL) {
    const parsed = approvalDataSchema.safeParse(data);
    if (!parsed.success)
      throw new InvalidSignalError(
        `an approval's data must be {"approved": true|false, "by"?: string, "comment"?: string}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "data"}: ${i.message}`).join("; ")}`,
      );
  }
  if (nestedDeeperThan(data))
    throw new InvalidSignalError(`signal data is nested deeper than ${MAX_JSON_DEPTH} levels`);
  const dataJson = JSON.stringify(data ?? null);
  if (dataJson.length > MAX_SIGNAL_BYTES)
    throw new InvalidSignalError(
      `signal data is ${dataJson.length} bytes as JSON; the limit is ${MAX_SIGNAL_BYTES}`,
    );
  if (signalId.length === 0 || signalId.length > 200)
    throw new InvalidSignalError("a signal id must be 1 to 200 characters");
  const runId = await resolveRunId(store, run);
  const delivered = await store.sendSignal(runId, { name, signalId, dataJson, sentAt: now });
  return { runId, name, signalId, delivered };
}
