/**
 * The workflows a server registered: every workflow file at the top of its `--workflows`
 * folder, read again when the folder changes. A file that does not load is listed with
 * its problem and skipped; the step files other workflows name are not workflows.
 */
import { type FSWatcher, watch } from "node:fs";
import { readdir } from "node:fs/promises";
import { extname, join, relative, resolve } from "node:path";
import type { WorkflowDefinition } from "../core/workflow.js";
import { loadWorkflowFile } from "../node/workflow-file.js";

/** A workflow file the server registered. */
export interface RegisteredWorkflow {
  /** Its path relative to the folder. */
  readonly file: string;
  readonly workflow: WorkflowDefinition;
}

/** A file of the folder that is not a workflow the server could load. */
export interface RegistryProblem {
  readonly file: string;
  readonly message: string;
}

/** What the triggers read: the registered workflows, and news when they change. */
export interface WorkflowSource {
  list(): readonly RegisteredWorkflow[];
  problems(): readonly RegistryProblem[];
  /** Calls `listener` after each reload. */
  onChange(listener: () => void): void;
}

const WORKFLOW_EXTENSIONS = new Set([".lua", ".yaml", ".yml", ".json"]);
const RELOAD_DELAY_MS = 150;

/** Loads the workflow files of a folder and reloads them when it changes. */
export class WorkflowRegistry implements WorkflowSource {
  readonly #dir: string;
  readonly #notice: (message: string) => void;
  readonly #listeners: Array<() => void> = [];
  #workflows: RegisteredWorkflow[] = [];
  #problems: RegistryProblem[] = [];
  #watcher: FSWatcher | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #loading: Promise<void> = Promise.resolve();

  constructor(dir: string, notice: (message: string) => void = () => {}) {
    this.#dir = resolve(dir);
    this.#notice = notice;
  }

  list(): readonly RegisteredWorkflow[] {
    return this.#workflows;
  }

  problems(): readonly RegistryProblem[] {
    return this.#problems;
  }

  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Reads the folder now (reloads run one at a time). */
  load(): Promise<void> {
    this.#loading = this.#loading.then(() => this.#load());
    return this.#loading;
  }

  /** Reloads after each change to the folder, until {@link close}. */
  watch(): void {
    this.#watcher = watch(this.#dir, { persistent: false }, (_event, name) => {
      // A store kept in the folder is written all the time: only workflow files count.
      if (name && !WORKFLOW_EXTENSIONS.has(extname(name).toLowerCase())) return;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.load(), RELOAD_DELAY_MS);
    });
    this.#watcher.on("error", (e) => this.#notice(`cannot watch ${this.#dir}: ${e.message}`));
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
  }

  async #load(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.#dir, { withFileTypes: true }))
        .filter((e) => e.isFile() && WORKFLOW_EXTENSIONS.has(extname(e.name).toLowerCase()))
        .map((e) => e.name)
        .sort();
    } catch (e) {
      this.#notice(`cannot read the workflows folder ${this.#dir}: ${(e as Error).message}`);
      names = [];
    }
    const workflows: RegisteredWorkflow[] = [];
    const failed: RegistryProblem[] = [];
    for (const name of names) {
      const loaded = await loadWorkflowFile(join(this.#dir, name));
      if (loaded.ok) workflows.push({ file: name, workflow: loaded.value });
      else failed.push({ file: name, message: loaded.error.message });
    }
    const stepFiles = new Set(
      workflows.flatMap((w) =>
        w.workflow.steps.flatMap((s) => (s.file ? [relative(this.#dir, resolve(this.#dir, s.file))] : [])),
      ),
    );
    const problems = failed.filter((p) => !stepFiles.has(p.file));
    const before = new Set(this.#problems.map((p) => `${p.file}\n${p.message}`));
    for (const p of problems)
      if (!before.has(`${p.file}\n${p.message}`)) this.#notice(`skipped ${p.file}: ${p.message}`);
    this.#workflows = workflows;
    this.#problems = problems;
    for (const listener of this.#listeners) listener();
  }
}
