/**
 * `for_each` steps: the step runs once per item of a list. Each item is a step state of
 * its own (id `step[i]`, so the journal records it and a resumed run keeps the items that
 * succeeded), made only when a slot of the step's window is free: a list of 10,000 items
 * holds 10,000 small records, not 10,000 tasks. The step's output is the list of the
 * item outputs in item order; one failed item fails the step once all items ended.
 */
import type { SerializedError } from "./errors.js";
import type { FileChanges } from "./file-tree.js";
import type { StepReport } from "./report.js";
import { err, ok, type Result } from "./result.js";

/** How one item ended (or where it is). */
export interface ItemRecord {
  status: "pending" | "succeeded" | "failed" | "cancelled";
  outputJson: string | undefined;
  error: SerializedError | null;
  attempts: number;
  changes: FileChanges | undefined;
}

/** What {@link FanOut.end} reads of an item's step state (step-state.ts). */
export interface ItemEnd {
  readonly phase: string;
  readonly outputJson: string | undefined;
  readonly error: SerializedError | null;
  readonly attempts: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The items of a for_each step from its expression's value: a list, at most `max` long.
 * @param field the step's field, for messages (`steps.x.for_each`).
 */
export function forEachList(
  value: Result<unknown, string>,
  field: string,
  max: number,
): Result<unknown[], SerializedError> {
  if (!value.ok) return err({ name: "ExpressionError", message: `${field}: ${value.error}` });
  const items = value.value;
  if (!Array.isArray(items))
    return err({
      name: "ExpressionError",
      message: `${field}: must give a list, got ${JSON.stringify(items)}`,
    });
  if (items.length > max)
    return err({
      name: "ForEachLimitError",
      message: `${field}: the list has ${items.length} items; the limit is ${max} (engine option maxForEachItems; --max-for-each-items of run, resume, rerun and serve)`,
    });
  return ok(items);
}

/** The id of item `index` of step `stepId` in the journal. */
export function itemId(stepId: string, index: number): string {
  return `${stepId}[${index}]`;
}

/** The items of one for_each step in a run. */
export class FanOut {
  readonly records: ItemRecord[];
  /** Next item to start. */
  next = 0;
  /** Items made and not ended (ready, running or waiting to retry). */
  inFlight = 0;
  ended = 0;
  failed = 0;
  stdout = "";
  stderr = "";

  constructor(
    readonly itemsJson: readonly string[],
    /** Most items in flight at once. */
    readonly window: number,
    /** Most characters of item output kept in the step's stdout and stderr. */
    readonly outputLimit: number,
  ) {
    this.records = itemsJson.map(() => ({
      status: "pending",
      outputJson: undefined,
      error: null,
      attempts: 0,
      changes: undefined,
    }));
  }

  get done(): boolean {
    return this.ended === this.records.length;
  }

  /** Notes how item `index` ended. */
  end(index: number, item: ItemEnd, changes?: FileChanges): void {
    const r = this.records[index] as ItemRecord;
    r.status = item.phase === "succeeded" ? "succeeded" : item.phase === "failed" ? "failed" : "cancelled";
    r.outputJson = item.outputJson;
    r.error = item.error;
    r.attempts = item.attempts;
    r.changes = changes;
    if (r.status !== "succeeded") this.failed++;
    this.ended++;
    this.stdout = this.#append(this.stdout, item.stdout);
    this.stderr = this.#append(this.stderr, item.stderr);
  }

  #append(kept: string, more: string): string {
    if (more === "" || kept.length >= this.outputLimit) return kept;
    const joined = kept + more;
    return joined.length <= this.outputLimit
      ? joined
      : `${joined.slice(0, this.outputLimit)}\n[output cut at the limit]\n`;
  }

  /** The step's output: the item outputs in item order. */
  outputJson(): string {
    return `[${this.records.map((r) => r.outputJson ?? "null").join(",")}]`;
  }

  /** The items' file changes merged in item order (later items win). */
  changes(): FileChanges {
    const upserts: FileChanges["upserts"] = {};
    const deletes = new Set<string>();
    for (const r of this.records) {
      if (!r.changes) continue;
      for (const path of r.changes.deletes) {
        delete upserts[path];
        deletes.add(path);
      }
      for (const [path, data] of Object.entries(r.changes.upserts)) {
        upserts[path] = data;
        deletes.delete(path);
      }
    }
    return { upserts, deletes: [...deletes] };
  }

  /** The step's error once all items ended and some failed. */
  error(): SerializedError {
    const i = this.records.findIndex((r) => r.status !== "succeeded");
    const first = this.records[i] as ItemRecord;
    const more = this.failed > 1 ? ` (and ${this.failed - 1} more)` : "";
    return {
      name: first.error?.name ?? "StepCancelledError",
      message: `item ${i} of ${this.records.length} failed${more}: ${first.error?.message ?? "not run"}`,
    };
  }

  /** The items as the report lists them. */
  report(): NonNullable<StepReport["items"]> {
    return this.records.map((r) => ({
      status: r.status,
      output: r.status === "succeeded" && r.outputJson !== undefined ? JSON.parse(r.outputJson) : null,
      error: r.error,
      attempts: r.attempts,
    }));
  }
}
