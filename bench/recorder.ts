/**
 * Collects the benchmark's figures: each one a median over samples, with a unit, its
 * section of the results table and an optional note. A figure that could not be measured
 * is recorded as a gap with the reason.
 */
import { log, median, round } from "./util.js";

/** One figure of the results. */
export interface Figure {
  readonly key: string;
  readonly section: string;
  readonly label: string;
  /** The median of the samples; null for a gap. */
  readonly value: number | null;
  readonly unit: string;
  readonly samples: readonly number[];
  readonly note?: string;
}

/** The figures of one benchmark run, in the order they were measured. */
export class Recorder {
  readonly #figures = new Map<string, Figure>();

  /** Records the median of `samples` under `key`. */
  add(
    key: string,
    section: string,
    label: string,
    samples: number | readonly number[],
    unit: string,
    note?: string,
  ): number {
    const list = typeof samples === "number" ? [samples] : samples;
    const value = round(median(list), 4);
    this.#figures.set(key, {
      key,
      section,
      label,
      value,
      unit,
      samples: list.map((s) => round(s, 4)),
      ...(note ? { note } : {}),
    });
    log(`${label}: ${value} ${unit}${list.length > 1 ? ` (median of ${list.length})` : ""}`);
    return value;
  }

  /** Records that a figure was not measured, and why. */
  gap(key: string, section: string, label: string, unit: string, reason: string): void {
    this.#figures.set(key, {
      key,
      section,
      label,
      value: null,
      unit,
      samples: [],
      note: `NOT MEASURED: ${reason}`,
    });
    log(`${label}: not measured (${reason})`);
  }

  /** The median under `key`, or null when it is missing or a gap. */
  get(key: string): number | null {
    return this.#figures.get(key)?.value ?? null;
  }

  has(key: string): boolean {
    return this.#figures.has(key);
  }

  /** Every figure in the order recorded. */
  all(): Figure[] {
    return [...this.#figures.values()];
  }
}

/** Runs one part of the benchmark; a failure becomes a logged error instead of ending the run. */
export async function section(name: string, body: () => Promise<void>, errors: string[]): Promise<void> {
  log(`--- ${name}`);
  try {
    await body();
  } catch (e) {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    errors.push(`${name}: ${message}`);
    log(`${name} FAILED: ${message}`);
  }
}
