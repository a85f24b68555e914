import { createEngine, type RunReport } from "../browser.js";

declare const __SANDFLOW_VERSION__: string;
const engine = createEngine();
async function run(source: string): Promise<RunReport> {
  const wf = await engine.parse(source);
  return engine.run(wf);
}
(window as unknown as { sandflow: unknown }).sandflow = { run, version: __SANDFLOW_VERSION__ };
