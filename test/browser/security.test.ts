/**
 * Attacks from Python, Lua and shell steps in Chromium workers: every one fails inside its
 * step, a local server on another port sees no connection, the page receives nothing it
 * did not ask for, and the workers keep serving later steps and runs.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunReport } from "../../src/core/report.js";
import { attackWorkflow } from "./attacks.js";
import {
  type BrowserSession,
  foreignRequests,
  openPage,
  type PlaygroundServer,
  startPlayground,
} from "./harness.js";

let server: PlaygroundServer;
let browser: BrowserSession;
let canary: Server;
let connections = 0;
let target = "";

beforeAll(async () => {
  canary = createServer((_req, res) => res.end("secret"));
  canary.on("connection", () => connections++);
  await new Promise<void>((resolve) => canary.listen(0, "127.0.0.1", resolve));
  target = `http://127.0.0.1:${(canary.address() as AddressInfo).port}`;
  server = await startPlayground();
  browser = await openPage(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  canary.closeAllConnections();
  await new Promise((resolve) => canary.close(resolve));
});

describe("attacks from steps in browser workers", () => {
  let report: RunReport;

  it("every attack fails inside its step and the step after them runs", async () => {
    report = await browser.page.evaluate((text) => window.sandflow.run(text), attackWorkflow(target));
    const leaks = Object.entries(report.steps)
      .filter(([id]) => id !== "after")
      .filter(
        ([, step]) => step.status !== "succeeded" || (step.output as { blocked?: boolean }).blocked !== true,
      )
      .map(([id, step]) => `${id}: ${step.status} ${JSON.stringify(step.output ?? step.error)}`);
    expect(leaks).toEqual([]);
    expect(report.steps.after?.status).toBe("succeeded");
    expect(report.steps.after?.output).toEqual([]);
    expect(report.status).toBe("succeeded");
  });

  it("names why each Python bridge failed", () => {
    const detail = (id: string) => (report.steps[id]?.output as { detail?: string } | undefined)?.detail;
    expect(detail("py_import_js")).toMatch(/ModuleNotFoundError|ImportError/);
    expect(detail("py_pyodide_js")).toMatch(/ModuleNotFoundError|ImportError/);
    expect(detail("py_function_ctor")).toMatch(/Error/);
  });

  it("the workers still run a later workflow in every language", async () => {
    const later = JSON.stringify({
      name: "after-attacks",
      steps: {
        py: { language: "python", code: "def run():\n    return 1\n" },
        lua: { language: "lua", depends_on: ["py"], code: "function run(i) return i.py + 1 end" },
        sh: { language: "shell", depends_on: ["lua"], code: 'echo "$(( $(parse_input lua) + 1 ))"' },
      },
    });
    const r = await browser.page.evaluate((text) => window.sandflow.run(text), later);
    expect(r.status).toBe("succeeded");
    expect(r.steps.sh?.output).toBe(3);
  });

  it("the other server saw no connection and no request left the origin", () => {
    expect(connections).toBe(0);
    expect(browser.requests.filter((u) => u.startsWith(target))).toEqual([]);
    expect(foreignRequests(browser.requests, server.url)).toEqual([]);
  });
});
