/**
 * The playground page in Chromium: served with cross-origin isolation and a strict CSP,
 * runs the bundled examples through the UI and through window.sandflow, draws the DAG with
 * each node's state, starts a second run fast, and leaves a screenshot in test-output/.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserSession,
  foreignRequests,
  openPage,
  type PlaygroundServer,
  startPlayground,
} from "./harness.js";

const OUT = new URL("../../test-output/", import.meta.url);
let server: PlaygroundServer;
let browser: BrowserSession;
let coldMs = 0;
const timings: Record<string, number> = {};

/** Runs the editor's text in the page and times it: total, and until the first step ended. */
function timedRun(session: BrowserSession): Promise<{ total: number; firstStep: number; status: string }> {
  return session.page.evaluate(async () => {
    const source = window.sandflow.source();
    const t0 = performance.now();
    let firstStep = -1;
    const report = await window.sandflow.run(source, {
      onEvent: (e: { type: string }) => {
        if (firstStep < 0 && e.type === "step-succeeded") firstStep = performance.now() - t0;
      },
    } as never);
    return { total: performance.now() - t0, firstStep, status: report.status };
  });
}

beforeAll(async () => {
  server = await startPlayground();
  const t0 = Date.now();
  browser = await openPage(server.url);
  const first = await timedRun(browser);
  coldMs = Date.now() - t0;
  expect(first.status).toBe("succeeded");
  timings.coldPageLoadToFirstResultMs = coldMs;
});

afterAll(async () => {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(new URL("browser-timings.json", OUT), `${JSON.stringify(timings, null, 2)}\n`);
  await browser?.close();
  await server?.stop();
});

describe("the playground page", () => {
  it("is cross-origin isolated under a CSP without eval, for the page and its workers", async () => {
    const response = await browser.page.request.get(server.url);
    const headers = response.headers();
    expect(headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(headers["cross-origin-embedder-policy"]).toBe("require-corp");
    const csp = headers["content-security-policy"] ?? "";
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/(^|[\s;])'unsafe-(eval|inline)'/);
    expect(await browser.page.evaluate(() => crossOriginIsolated)).toBe(true);
    const worker = browser.requests.find((u) => /browser-worker-[\w-]+\.js$/.test(u));
    expect(worker, "the worker script was loaded").toBeDefined();
    const workerHeaders = (await browser.page.request.get(worker as string)).headers();
    expect(workerHeaders["content-security-policy"]).toBe(csp);
    const wasm = await browser.page.request.get(`${server.url}wasm/busybox.wasm`);
    expect(wasm.headers()["content-type"]).toBe("application/wasm");
  });

  it("draws the first example's DAG with every node succeeded", async () => {
    const nodes = await browser.page.$$eval("svg.dag g.node", (gs) =>
      gs.map((g) => ({ id: g.getAttribute("data-step"), cls: g.getAttribute("class") })),
    );
    expect(nodes.length).toBeGreaterThan(1);
    for (const n of nodes) expect(n.cls, String(n.id)).toContain("succeeded");
    expect(await browser.page.locator("svg.dag path.edge.done").count()).toBeGreaterThan(0);
    expect(await browser.page.textContent("#status")).toMatch(/^succeeded in /);
  });

  it("starts a second run fast: the workers and their interpreters stay warm", async () => {
    await browser.page.waitForTimeout(1500); // the idle workers make their next interpreters
    const second = await timedRun(browser);
    timings.secondRunTotalMs = Math.round(second.total);
    timings.secondRunFirstStepMs = Math.round(second.firstStep);
    expect(second.status).toBe("succeeded");
    expect(second.total).toBeLessThan(Math.max(1500, coldMs / 3));
  });

  it("runs a workflow picked in the UI and shows failed and skipped steps, then a screenshot", async () => {
    await browser.page.selectOption("#examples", "conformance/failures.json");
    await browser.page.waitForFunction(() => document.querySelectorAll("svg.dag g.node").length === 15);
    await browser.page.click("#run");
    await browser.page.waitForFunction(() =>
      /^failed in /.test(document.getElementById("status")?.textContent ?? ""),
    );
    const states = await browser.page.$$eval("svg.dag g.node", (gs) =>
      Object.fromEntries(
        gs.map((g) => [g.getAttribute("data-step"), g.getAttribute("class")?.split(" ")[1]]),
      ),
    );
    expect(states.start).toBe("succeeded");
    expect(states.py_raise).toBe("failed");
    expect(states.after_py).toBe("skipped");
    expect(states.independent).toBe("succeeded");
    expect(await browser.page.textContent('.step-card[data-step="py_raise"] .error')).toMatch(/ValueError/);
    expect(await browser.page.textContent("#report")).toContain('"workflow": "failures"');
    await browser.page.click('svg.dag g.node[data-step="sh_exit"]');
    mkdirSync(OUT, { recursive: true });
    await browser.page.screenshot({ path: new URL("playground.png", OUT).pathname, fullPage: true });
  });

  it("approves a run that waits for an approval with its button", async () => {
    const { page } = browser;
    await page.selectOption("#examples", "examples/release-gate.yaml");
    await page.click("#run");
    const approve = page.locator("#approve");
    await approve.waitFor({ state: "visible", timeout: 60_000 });
    expect(await page.locator("#deny").isVisible()).toBe(true);
    await approve.click();
    await page.waitForFunction(
      () => /^succeeded in /.test(document.getElementById("status")?.textContent ?? ""),
      undefined,
      {
        timeout: 30_000,
      },
    );
    expect(await approve.isVisible()).toBe(false);
    expect(await page.textContent("#report")).toContain('"by": "playground"');
  });

  it("made no request outside the page's origin and logged no errors", () => {
    expect(foreignRequests(browser.requests, server.url)).toEqual([]);
    expect(browser.errors).toEqual([]);
  });

  it("enforces its CSP: the page cannot connect to another origin (last: it logs the violation)", async () => {
    const outcome = await browser.page.evaluate(async () => {
      const violations: string[] = [];
      document.addEventListener("securitypolicyviolation", (e) => violations.push(e.effectiveDirective));
      let result: string;
      try {
        await fetch("http://127.0.0.1:9/");
        result = "connected";
      } catch (e) {
        result = String(e);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { result, violations };
    });
    expect(outcome).toEqual({ result: "TypeError: Failed to fetch", violations: ["connect-src"] });
  });
});
