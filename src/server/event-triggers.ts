/**
 * Events (`POST /api/events/{name}`, `sandflow emit`): one run of each registered workflow
 * whose `on` names the event. Delivery is idempotent by event id: the first delivery
 * claims the id in the store, and a delivery again with the same id starts nothing and
 * answers the runs of the first.
 */
import type { Store } from "../core/durable/store.js";
import type { WorkflowDefinition } from "../core/workflow.js";
import { HttpError } from "./errors.js";
import type { WorkflowSource } from "./workflow-registry.js";

/** Starts a run of a workflow with the event's data; resolves with its id. */
export type StartEventRun = (workflow: WorkflowDefinition, event: unknown, why: string) => Promise<string>;

/** The answer to an event. */
export interface EventAnswer {
  readonly eventId: string;
  readonly runIds: readonly string[];
  /** The id was delivered before: `runIds` are that delivery's, none started now. */
  readonly duplicate?: boolean;
}

interface Claim {
  readonly state: "starting" | "started";
  readonly at: number;
  readonly runIds?: readonly string[];
}

/** How long a second delivery waits for the first one's runs to start. */
const WAIT_FOR_FIRST_MS = 30_000;

/** Starts the runs events ask for. */
export class EventTriggers {
  readonly #source: WorkflowSource;
  readonly #store: Store;
  readonly #start: StartEventRun;
  readonly #now: () => number;
  readonly #newId: () => string;

  constructor(
    source: WorkflowSource,
    options: { store: Store; start: StartEventRun; now: () => number; newId: () => string },
  ) {
    this.#source = source;
    this.#store = options.store;
    this.#start = options.start;
    this.#now = options.now;
    this.#newId = options.newId;
  }

  /** The registered workflows an event starts. */
  subscribers(name: string): WorkflowDefinition[] {
    return this.#source
      .list()
      .map((w) => w.workflow)
      .filter((w) => w.events?.includes(name));
  }

  /** Delivers an event: starts its runs, or answers those of an earlier delivery of the same id. */
  async emit(name: string, id: string | undefined, data: unknown): Promise<EventAnswer> {
    const eventId = id ?? this.#newId();
    const key = `event:${name}:${eventId}`;
    const claim: Claim = { state: "starting", at: this.#now() };
    const earlier = await this.#store.claimMark(key, JSON.stringify(claim));
    if (earlier !== undefined) return { eventId, runIds: await this.#runsOf(key, earlier), duplicate: true };
    const runIds: string[] = [];
    try {
      for (const workflow of this.subscribers(name))
        runIds.push(await this.#start(workflow, data, `event ${name} (${eventId})`));
    } finally {
      const done: Claim = { state: "started", at: this.#now(), runIds };
      await this.#store.setMark(key, JSON.stringify(done));
    }
    return { eventId, runIds };
  }

  async #runsOf(key: string, text: string): Promise<readonly string[]> {
    const deadline = this.#now() + WAIT_FOR_FIRST_MS;
    for (let seen = text; ; ) {
      const claim = JSON.parse(seen) as Claim;
      if (claim.state === "started") return claim.runIds ?? [];
      if (this.#now() > deadline)
        throw new HttpError(
          409,
          "EventInProgress",
          "an earlier delivery of this event id is still starting its runs; send it again later",
        );
      await new Promise((r) => setTimeout(r, 50));
      seen = (await this.#store.getMark(key)) ?? seen;
    }
  }
}
