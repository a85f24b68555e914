/**
 * The playground's controller: keeps the editor, the DAG and the run panel in step with
 * the engine. Every run (from the Run button or `window.sandflow.run`) is shown; events
 * of a run that is no longer the latest are ignored by the views.
 */
import type { Engine, RunEvent, RunOptions, RunReport, WorkflowDefinition } from "../browser.js";
import { WorkflowLoadError } from "../core/errors.js";
import { kindOf } from "../core/graph-render.js";
import { err, ok } from "../core/result.js";
import { ApprovalButtons } from "./approval-buttons.js";
import { type DagStep, DagView } from "./dag-view.js";
import { byId, formatMs, h } from "./dom.js";
import { WorkflowEditor } from "./editor.js";
import { EXAMPLES, exampleFile } from "./examples.js";
import { RunView } from "./run-view.js";

/** Options of `window.sandflow.run`: the engine's run options. */
export type PlaygroundRunOptions = RunOptions;

function stepsOf(workflow: WorkflowDefinition): DagStep[] {
  return workflow.steps.map((s) => ({
    id: s.id,
    language: kindOf(s),
    dependsOn: s.dependsOn,
    workflow: s.subworkflow?.path,
    when: s.when,
    forEach: s.forEach,
    triggerRule: s.triggerRule,
  }));
}

/** The page's state and wiring. */
export class Playground {
  readonly #engine: Engine;
  readonly #editor: WorkflowEditor;
  readonly #dag: DagView;
  readonly #runs: RunView;
  readonly #status = byId("status");
  readonly #problems = byId("problems");
  readonly #runButton = byId<HTMLButtonElement>("run");
  readonly #cancelButton = byId<HTMLButtonElement>("cancel");
  // A run that waits for an approval (workflows/release-gate.yaml) is approved or denied here.
  readonly #approvals = new ApprovalButtons(
    {
      report: (runId) => this.#engine.report(runId),
      signal: (runId, name, data) => this.#engine.signal(runId, name, data),
    },
    "playground",
    (e) => this.#showProblem(e),
  );
  readonly #failFast = byId<HTMLInputElement>("fail-fast");
  #latest = 0;
  // Bumped by every edit and run: a slow parse of older text (a Lua file evaluated in a
  // worker) must not clear or draw over the problems of the text now in the editor.
  #previews = 0;
  #cancel: (() => void) | undefined;
  #shownSource: string | undefined;

  constructor(engine: Engine) {
    this.#engine = engine;
    this.#dag = new DagView(byId("dag"), (id) => this.#select(id));
    this.#runs = new RunView(byId("steps"), byId("report"));
    this.#editor = new WorkflowEditor(byId("editor"), byId("format"), {
      onChange: (text) => void this.#preview(text),
      onRun: () => void this.#runFromEditor(),
    });
    const picker = byId<HTMLSelectElement>("examples");
    for (const group of ["examples", "conformance"] as const) {
      const options = EXAMPLES.filter((e) => e.group === group).map((e) =>
        h("option", { value: `${group}/${e.name}` }, e.name),
      );
      if (options.length > 0) picker.append(h("optgroup", { label: group }, ...options));
    }
    picker.addEventListener("change", () => this.load(picker.value));
    this.#runButton.addEventListener("click", () => void this.#runFromEditor());
    this.#cancelButton.addEventListener("click", () => this.#cancel?.());
    const first = EXAMPLES[0];
    if (first) this.load(`${first.group}/${first.name}`);
  }

  /** The text in the editor. */
  get source(): string {
    return this.#editor.text;
  }

  /** Puts `text` in the editor as if typed: it is validated and drawn. */
  edit(text: string): void {
    this.#editor.text = text;
    void this.#preview(text);
  }

  /** Puts a bundled workflow in the editor and draws it. */
  load(key: string): void {
    const example = EXAMPLES.find((e) => `${e.group}/${e.name}` === key);
    if (!example) return;
    this.#editor.text = example.text;
    void this.#preview(example.text);
  }

  /** Loads the interpreters the workflow in the editor needs, ahead of the first run. */
  async warmUp(): Promise<void> {
    const runs = this.#latest;
    try {
      await this.#engine.prepare(await this.#parse(this.#editor.text));
      if (this.#latest === runs) this.#setStatus("ready", "idle");
    } catch {
      // A parse error is shown by the preview; a load error shows up again when it runs.
    }
  }

  /** Parses, draws and runs `source`; resolves with the report. */
  async run(source: string, options: PlaygroundRunOptions = {}): Promise<RunReport> {
    const token = ++this.#latest;
    this.#previews++;
    if (this.#editor.text !== source) this.#editor.text = source;
    let workflow: WorkflowDefinition;
    try {
      workflow = await this.#parse(source);
    } catch (e) {
      if (token === this.#latest) this.#showProblem(e);
      throw e;
    }
    const mine = () => token === this.#latest;
    this.#show(workflow, source);
    this.#clearProblems();
    this.#setStatus(`running ${workflow.name}…`, "running");
    this.#runButton.disabled = true;
    this.#cancelButton.disabled = false;
    const handle = this.#engine.start(workflow, {
      failFast: this.#failFast.checked,
      ...options,
      onEvent: (event) => {
        if (mine()) this.#onEvent(event);
        options.onEvent?.(event);
      },
    });
    this.#cancel = () => handle.cancel();
    // Watched once it is in the store (a report of it can be read only then).
    handle.recorded.then(
      () => mine() && this.#approvals.watch(handle.runId),
      () => undefined,
    );
    try {
      const report = await handle.report;
      if (mine()) {
        this.#runs.finish(report);
        for (const [id, step] of Object.entries(report.steps))
          this.#dag.finish(id, step.status, step.durationMs);
        this.#setStatus(`${report.status} in ${formatMs(report.durationMs)}`, report.status);
      }
      return report;
    } finally {
      if (mine()) {
        this.#approvals.stop();
        this.#cancel = undefined;
        this.#runButton.disabled = false;
        this.#cancelButton.disabled = true;
      }
    }
  }

  async #runFromEditor(): Promise<void> {
    try {
      await this.run(this.#editor.text);
    } catch (e) {
      this.#setStatus("not run", "failed");
      this.#showProblem(e);
    }
  }

  async #preview(text: string): Promise<void> {
    const token = this.#latest;
    const preview = ++this.#previews;
    const current = () => token === this.#latest && preview === this.#previews;
    try {
      const workflow = await this.#parse(text);
      if (!current() || this.#cancel) return;
      this.#clearProblems();
      this.#show(workflow, text);
      this.#setStatus(`${workflow.steps.length} steps · ready to run`, "idle");
    } catch (e) {
      if (current()) this.#showProblem(e);
    }
  }

  /** Parses text as if it were a file in workflows/: its sub-workflows are found among the bundled files. */
  #parse(text: string): Promise<WorkflowDefinition> {
    return this.#engine.parse(text, {
      readWorkflow: async (key) => {
        const child = exampleFile(key);
        if (child === undefined)
          return err(new WorkflowLoadError("no such file among the playground's bundled workflows"));
        try {
          return ok(await this.#engine.parse(child, { source: key, at: key }));
        } catch (e) {
          return err(e as WorkflowLoadError);
        }
      },
    });
  }

  #show(workflow: WorkflowDefinition, source: string): void {
    this.#shownSource = source;
    const steps = stepsOf(workflow);
    this.#dag.render(steps);
    this.#runs.reset(steps);
    byId("workflow-name").textContent = workflow.name;
  }

  #onEvent(event: RunEvent): void {
    this.#runs.onEvent(event);
    this.#dag.onEvent(event);
  }

  #select(id: string): void {
    this.#dag.select(id);
    this.#runs.select(id);
  }

  #clearProblems(): void {
    this.#problems.hidden = true;
    this.#editor.showProblems([]);
  }

  #showProblem(e: unknown): void {
    this.#problems.hidden = false;
    this.#problems.textContent = e instanceof Error ? e.message : String(e);
    const issues = (e as { issues?: readonly { path: string; message: string }[] }).issues;
    const message = e instanceof Error ? e.message : String(e);
    this.#editor.showProblems(issues && issues.length > 0 ? issues : [{ message }]);
    if (this.#shownSource !== this.#editor.text) this.#setStatus("the workflow has problems", "failed");
  }

  #setStatus(text: string, kind: string): void {
    this.#status.textContent = text;
    this.#status.className = `status ${kind}`;
  }
}
