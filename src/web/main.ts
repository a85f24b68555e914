/**
 * The playground page: builds the engine (module Workers, warm between runs), the editor,
 * the live DAG and the run panel, and exposes `window.sandflow = { run, source, edit, version }` for
 * scripts and tests: `await sandflow.run(text)` resolves with the run report.
 */
import "./style.css";
import { createEngine, type RunReport } from "../browser.js";
import { byId } from "./dom.js";
import { Playground, type PlaygroundRunOptions } from "./playground.js";

declare const __SANDFLOW_VERSION__: string;

/** What the page puts on `window.sandflow`. */
export interface SandflowPageApi {
  /** Runs the text of a workflow file (Lua, YAML or JSON, detected); rejects when it is invalid. */
  run(source: string, options?: PlaygroundRunOptions): Promise<RunReport>;
  /** The text in the editor. */
  source(): string;
  /** Puts text in the editor as if typed (validated, drawn, problems marked). */
  edit(text: string): void;
  readonly version: string;
}

declare global {
  interface Window {
    sandflow: SandflowPageApi;
  }
}

function start(): void {
  byId("version").textContent = `v${__SANDFLOW_VERSION__}`;
  let playground: Playground;
  try {
    playground = new Playground(createEngine());
  } catch (e) {
    const status = byId("status");
    status.textContent = e instanceof Error ? e.message : String(e);
    status.className = "status failed";
    return;
  }
  window.sandflow = Object.freeze({
    run: (source: string, options?: PlaygroundRunOptions) => playground.run(source, options),
    source: () => playground.source,
    edit: (text: string) => playground.edit(text),
    version: __SANDFLOW_VERSION__,
  });
  setTimeout(() => void playground.warmUp(), 0);
}

start();
