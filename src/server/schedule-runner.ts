/**
 * Cron schedules of registered workflows: a run at each fire time. The last fire of each
 * schedule is kept in the store, so a server that was down across fire times runs the
 * workflow once when it comes back (not once per missed fire), and a first start runs
 * nothing until the next fire.
 */
import type { Store } from "../core/durable/store.js";
import { lastFireAtOrBefore, nextFires, type Schedule } from "../core/schedule.js";
import { MAX_TIMER_MS } from "../core/timer-range.js";
import type { WorkflowDefinition } from "../core/workflow.js";
import type { RegisteredWorkflow, WorkflowSource } from "./workflow-registry.js";

/** Starts a run of a workflow; resolves with its id. */
export type StartRun = (workflow: WorkflowDefinition, why: string) => Promise<string>;

/** A schedule as `GET /api/schedules` and `sandflow schedules` show it. */
export interface ScheduleInfo {
  readonly file: string;
  readonly workflow: string;
  readonly cron: string;
  readonly timezone: string;
  /** ISO times of the next fires. */
  readonly next: readonly string[];
  /** ISO time of the last fire this store saw, if any. */
  readonly last: string | null;
}

interface Mark {
  readonly cron: string;
  readonly timezone: string | null;
  readonly last: number;
}

interface Armed {
  readonly entry: RegisteredWorkflow & { readonly workflow: { readonly schedule: Schedule } };
  timer: ReturnType<typeof setTimeout> | undefined;
  last: number | null;
}

const markKey = (file: string) => `schedule:${file}`;
/** A fire this late (the process was stopped or busy) is a catch-up: once, then the next on time. */
const LATE_MS = 1000;

/** Fires the schedules of a {@link WorkflowSource}'s workflows. */
export class ScheduleRunner {
  readonly #store: Store;
  readonly #start: StartRun;
  readonly #now: () => number;
  readonly #notice: (message: string) => void;
  #armed = new Map<string, Armed>();
  #closed = false;

  constructor(
    source: WorkflowSource,
    options: { store: Store; start: StartRun; now: () => number; notice: (message: string) => void },
  ) {
    this.#store = options.store;
    this.#start = options.start;
    this.#now = options.now;
    this.#notice = options.notice;
    source.onChange(() => void this.#update(source.list()));
    void this.#update(source.list());
  }

  /** The schedules and their next `count` fire times. */
  list(count: number): ScheduleInfo[] {
    const now = this.#now();
    return [...this.#armed.values()].map(({ entry, last }) => ({
      file: entry.file,
      workflow: entry.workflow.name,
      cron: entry.workflow.schedule.cron,
      timezone: entry.workflow.schedule.timezone ?? "UTC",
      next: nextFires(entry.workflow.schedule, now, count).map((t) => new Date(t).toISOString()),
      last: last === null ? null : new Date(last).toISOString(),
    }));
  }

  close(): void {
    this.#closed = true;
    for (const armed of this.#armed.values()) clearTimeout(armed.timer);
    this.#armed.clear();
  }

  async #update(entries: readonly RegisteredWorkflow[]): Promise<void> {
    for (const armed of this.#armed.values()) clearTimeout(armed.timer);
    this.#armed = new Map();
    for (const entry of entries) {
      const schedule = entry.workflow.schedule;
      if (!schedule) continue;
      const armed: Armed = { entry: entry as Armed["entry"], timer: undefined, last: null };
      this.#armed.set(entry.file, armed);
      try {
        await this.#arm(armed);
      } catch (e) {
        this.#notice(`schedule of ${entry.file}: ${(e as Error).message}`);
      }
    }
  }

  async #arm(armed: Armed): Promise<void> {
    const { file, workflow } = armed.entry;
    const schedule = workflow.schedule;
    const now = this.#now();
    const mark = this.#readMark(await this.#store.getMark(markKey(file)));
    const same = mark && mark.cron === schedule.cron && mark.timezone === (schedule.timezone ?? null);
    const due = lastFireAtOrBefore(schedule, now);
    if (same && due !== undefined && due > mark.last)
      await this.#fire(armed, due, "a catch-up of a missed fire");
    else if (!same) await this.#mark(armed, due ?? now);
    else armed.last = mark.last;
    this.#next(armed, Math.max(now, armed.last ?? now));
  }

  #next(armed: Armed, after: number): void {
    if (this.#closed || this.#armed.get(armed.entry.file) !== armed) return;
    const [at] = nextFires(armed.entry.workflow.schedule, after, 1);
    if (at === undefined) return;
    const delay = Math.min(Math.max(0, at - this.#now()), MAX_TIMER_MS);
    armed.timer = setTimeout(() => {
      if (this.#now() < at) return this.#next(armed, after);
      const late = this.#now() - at > LATE_MS;
      void this.#fire(armed, late ? this.#now() : at, late ? "a catch-up of a late fire" : "its schedule")
        .catch((e: Error) => this.#notice(`schedule of ${armed.entry.file}: ${e.message}`))
        .finally(() => this.#next(armed, late ? this.#now() : at));
    }, delay);
  }

  async #fire(armed: Armed, at: number, why: string): Promise<void> {
    await this.#mark(armed, at);
    await this.#start(armed.entry.workflow, `${why} (${armed.entry.file}, ${new Date(at).toISOString()})`);
  }

  async #mark(armed: Armed, at: number): Promise<void> {
    const { cron, timezone } = armed.entry.workflow.schedule;
    const mark: Mark = { cron, timezone: timezone ?? null, last: at };
    await this.#store.setMark(markKey(armed.entry.file), JSON.stringify(mark));
    armed.last = at;
  }

  #readMark(text: string | undefined): Mark | undefined {
    if (text === undefined) return undefined;
    try {
      const mark = JSON.parse(text) as Mark;
      return typeof mark.last === "number" && typeof mark.cron === "string" ? mark : undefined;
    } catch {
      return undefined;
    }
  }
}
