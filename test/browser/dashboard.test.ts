/**
 * The dashboard of `sandflow serve` in headless Chromium: a run submitted through the API
 * appears in the list, its DAG changes colour live, its logs show; cancel, rerun, and a
 * token asked once per session. Nothing is requested from another origin.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/server/node-server.js";
import { type BrowserSession, foreignRequests, openPage } from "./harness.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const DASHBOARD = join(ROOT, "dist-dashboard");

const SLOW = `
name: ticker
steps:
  tick:
    language: shell
    code: |
      for i in 1 2 3 4 5 6 7 8; do echo "tick $i"; sleep 0.4; done
      echo '"ticked"'
  shout:
    language: lua
    depends_on: [tick]
    code: |
      function run(inputs)
        print("shouting")
        return "LOUD"
      end
  broken:
    language: lua
    depends_on: [tick]
    code: "function run() error('no luck') end"
`;

const GATED =
  'name: gated\nsteps:\n  gate:\n    approval: {timeout: "5m"}\n  after:\n    language: lua\n    depends_on: [gate]\n    code: "function run(inputs) return inputs.gate.by end"\n';

const NESTED =
  'name: outer\nsteps:\n  call:\n    workflow: inner.yaml\nworkflows:\n  inner.yaml:\n    name: inner\n    steps:\n      one:\n        language: lua\n        code: "function run() return 1 end"\n';

const LONG_SIGNAL = "release-of-the-quarterly-financial-report-v2";
const LONG_WAIT = `name: long-wait\nsteps:\n  gate:\n    wait_for: {signal: ${LONG_SIGNAL}, timeout: "5m"}\n`;

const ONE_AT_A_TIME = 'name: one-at-a-time\nconcurrency_key: dash-deploy\nsteps:\n  nap:\n    sleep: "5m"\n';

const ONE_STEP =
  'name: one-step\nsteps:\n  only:\n    language: lua\n    code: "function run() return 1 end"\n';

const SLEEPY = "name: sleepy\nsteps:\n  nap:\n    language: shell\n    code: sleep 60\n";

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    t = Math.max(t, name.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

/** Builds dist-dashboard/ when it is missing or older than the page's sources. */
function buildDashboard(): void {
  const index = join(DASHBOARD, "index.html");
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(ROOT, "src", "web"))) return;
  const r = spawnSync(
    join(ROOT, "node_modules", ".bin", "vite"),
    ["build", "--config", "src/web/dashboard/vite.config.ts"],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`building the dashboard failed: ${r.stderr}`);
}

async function post(
  server: RunningServer,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ runId: string }> {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return (await res.json()) as { runId: string };
}

/** The dashboard in Chromium. */
function openDashboard(url: string): Promise<BrowserSession> {
  return openPage(url, { width: 1400, height: 900 }, { waitForApi: false });
}

/** Console errors besides the refused requests the tests make on purpose (400, 401), which Chromium logs. */
const unexpected = (errors: readonly string[]) => errors.filter((e) => !/status of 40[01]/.test(e));

const nodeClass = (page: Page, step: string) =>
  page.locator(`svg.dag g.node[data-step="${step}"]`).getAttribute("class");

describe("the dashboard of sandflow serve", () => {
  let server: RunningServer;
  let browser: BrowserSession;
  beforeAll(async () => {
    buildDashboard();
    const dir = mkdtempSync(join(tmpdir(), "sandflow-dash-"));
    server = await startServer({ port: 0, store: join(dir, "store.db"), engine: { threads: 2 } });
    browser = await openDashboard(`${server.url}/`);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("shows a run submitted through the API, its DAG colours changing live, and its logs", async () => {
    const { page } = browser;
    const { runId } = await post(server, "/api/runs", { workflow: SLOW });
    const row = page.locator(`tr[data-run="${runId}"]`);
    await row.waitFor({ timeout: 10_000 });
    await row.click();
    // Seen live: the shell step running while its log grows, then green; its dependents after it.
    await page.waitForFunction(
      () => document.querySelector('g.node[data-step="tick"]')?.classList.contains("running"),
      undefined,
      { timeout: 30_000 },
    );
    expect(await nodeClass(page, "shout")).toContain("pending");
    const log = page.locator('.step-card[data-step="tick"] .log');
    await expect.poll(async () => (await log.textContent()) ?? "", { timeout: 30_000 }).toContain("tick 2");
    expect(await nodeClass(page, "tick")).toContain("running");
    // shout and broken both wait for tick and may end in either order (one batch, one worker).
    await page.waitForFunction(
      () =>
        document.querySelector('g.node[data-step="shout"]')?.classList.contains("succeeded") &&
        !document.querySelector('g.node[data-step="broken"]')?.classList.contains("pending") &&
        !document.querySelector('g.node[data-step="broken"]')?.classList.contains("running"),
      undefined,
      { timeout: 30_000 },
    );
    expect(await nodeClass(page, "tick")).toContain("succeeded");
    expect(await nodeClass(page, "broken")).toContain("failed");
    expect(await log.textContent()).toContain("tick 8");
    expect(await page.locator('.step-card[data-step="shout"] .output').textContent()).toBe('"LOUD"');
    expect(await page.locator('.step-card[data-step="broken"] .error').textContent()).toContain("no luck");
    await expect.poll(() => page.locator("#run-status").textContent()).toContain("failed");
    await expect.poll(() => row.locator(".run-status").textContent()).toBe("failed");
    mkdirSync(join(ROOT, "test-output"), { recursive: true });
    await page.screenshot({ path: join(ROOT, "test-output", "dashboard.png") });
  });

  it("reruns the shown run from a step with its button", async () => {
    const { page } = browser;
    const before = page.url();
    await page.locator('svg.dag g.node[data-step="broken"]').click();
    await page.locator("#rerun-from").click();
    await page.waitForFunction((old) => location.href !== old, before);
    const rerunId = new URL(page.url()).hash.slice(1);
    await page.locator(`tr[data-run="${rerunId}"]`).waitFor();
    await expect
      .poll(() => page.locator("#run-status").textContent(), { timeout: 30_000 })
      .toContain("failed");
    const report = await (await fetch(`${server.url}/api/runs/${rerunId}`)).json();
    expect(report.rerunOf).toBeTruthy();
    expect(report.steps.tick.reusedFrom).toBeTruthy();
  });

  it("cancels a running run with its button", async () => {
    const { page } = browser;
    const { runId } = await post(server, "/api/runs", { workflow: SLEEPY });
    await page.locator(`tr[data-run="${runId}"]`).click();
    await page.waitForFunction(
      () => document.querySelector('g.node[data-step="nap"]')?.classList.contains("running"),
      undefined,
      { timeout: 30_000 },
    );
    await page.locator("#cancel").click();
    await page.waitForFunction(
      () => document.querySelector('g.node[data-step="nap"]')?.classList.contains("cancelled"),
      undefined,
      { timeout: 30_000 },
    );
    await expect.poll(() => page.locator("#run-status").textContent()).toContain("cancelled");
  });

  it("approves a run that waits for an approval with its button", async () => {
    const { page } = browser;
    const { runId } = await post(server, "/api/runs", { workflow: GATED });
    await page.locator(`tr[data-run="${runId}"]`).click();
    const approve = page.locator("#approve");
    await approve.waitFor({ state: "visible", timeout: 30_000 });
    expect(await page.locator("#deny").isVisible()).toBe(true);
    // It says the run waits, what the step waits for, and that the step is a wait, not code.
    await expect.poll(() => page.locator("#run-status").textContent(), { timeout: 5_000 }).toBe("waiting");
    const gate = page.locator('article[data-step="gate"]');
    expect(await gate.locator(".card-status").textContent()).toBe("waiting for approval");
    expect(await gate.locator(".card-lang").textContent()).toBe("wait");
    await approve.click();
    await expect
      .poll(() => page.locator("#run-status").textContent(), { timeout: 30_000 })
      .toContain("succeeded");
    expect(await approve.isVisible()).toBe(false);
    const report = await (await fetch(`${server.url}/api/runs/${runId}`)).json();
    expect(report.steps.after.output).toBe("dashboard");
  });

  it("deletes a finished run with its button, once confirmed, and the run leaves the list", async () => {
    const { page } = browser;
    const { runId } = await post(server, "/api/runs", { workflow: ONE_STEP });
    await page.locator(`tr[data-run="${runId}"]`).click();
    await expect
      .poll(() => page.locator("#run-status").textContent(), { timeout: 30_000 })
      .toContain("succeeded");
    const del = page.locator("#delete");
    await expect.poll(() => del.isEnabled()).toBe(true);
    // Dismissed: nothing happens.
    page.once("dialog", (d) => void d.dismiss());
    await del.click();
    expect((await fetch(`${server.url}/api/runs/${runId}`)).status).toBe(200);
    const asked: string[] = [];
    page.once("dialog", (d) => {
      asked.push(d.message());
      void d.accept();
    });
    await del.click();
    await expect.poll(() => page.locator("#detail").isHidden(), { timeout: 10_000 }).toBe(true);
    expect(asked[0]).toContain(`Delete run ${runId.slice(0, 8)}`);
    expect((await fetch(`${server.url}/api/runs/${runId}`)).status).toBe(404);
    await expect.poll(() => page.locator(`tr[data-run="${runId}"]`).count(), { timeout: 10_000 }).toBe(0);
  });

  it("says a run is queued, and in the badge's title which concurrency_key it waits for", async () => {
    const { page } = browser;
    const first = await post(server, "/api/runs", { workflow: ONE_AT_A_TIME });
    const { runId } = await post(server, "/api/runs", { workflow: ONE_AT_A_TIME });
    await page.locator(`tr[data-run="${runId}"]`).click();
    const badge = page.locator("#run-status");
    await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toBe("queued");
    await expect
      .poll(() => badge.getAttribute("title"), { timeout: 5_000 })
      .toContain("concurrency_key 'dash-deploy', max_runs 1");
    await post(server, `/api/runs/${runId}/cancel`, {});
    await post(server, `/api/runs/${first.runId}/cancel`, {});
    await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toContain("cancelled");
  });

  it("keeps a long state inside its node of the graph, cut with an ellipsis, and says it whole in the node's title", async () => {
    const { page } = browser;
    const { runId } = await post(server, "/api/runs", { workflow: LONG_WAIT });
    await page.locator(`tr[data-run="${runId}"]`).click();
    const node = page.locator('svg.dag g.node[data-step="gate"]');
    await expect.poll(() => node.locator(".node-status").textContent(), { timeout: 30_000 }).toMatch(/…$/);
    const [text, box] = await Promise.all([
      node.locator(".node-status").boundingBox(),
      node.locator("rect.node-box").boundingBox(),
    ]);
    expect((text?.x ?? 0) + (text?.width ?? 0)).toBeLessThanOrEqual((box?.x ?? 0) + (box?.width ?? 0));
    expect(await node.locator("title").textContent()).toContain(LONG_SIGNAL);
    await post(server, `/api/runs/${runId}/cancel`, {});
  });

  it("links a sub-workflow's run to the run that started it, and draws the step as a workflow", async () => {
    const { page } = browser;
    const { runId } = await post(server, "/api/runs", { workflow: NESTED });
    await expect
      .poll(async () => (await (await fetch(`${server.url}/api/runs/${runId}`)).json()).status, {
        timeout: 30_000,
      })
      .toBe("succeeded");
    const { runs } = (await (await fetch(`${server.url}/api/runs?limit=50`)).json()) as {
      runs: { runId: string; workflow: string }[];
    };
    const child = runs.find((r) => r.workflow === "inner")?.runId as string;
    await page.locator(`tr[data-run="${child}"]`).click();
    const parent = page.locator("#parent-run");
    await parent.waitFor({ state: "visible", timeout: 15_000 });
    expect(await parent.textContent()).toBe(`started by run ${runId.slice(0, 8)}`);
    await parent.click();
    await expect.poll(() => page.locator("#run-title").textContent()).toBe(`outer · ${runId.slice(0, 8)}`);
    expect(await parent.isVisible()).toBe(false);
    const node = page.locator('svg.dag g.node[data-step="call"]');
    expect(await node.locator(".node-lang").textContent()).toBe("workflow");
    expect(await node.locator(".node-flow").textContent()).toBe("sub-workflow");
  });

  it("starts a run from its code editor, and marks the problems of a bad workflow in it", async () => {
    const { page } = browser;
    await page.locator("#new-run summary").click();
    const content = page.locator("#editor .cm-content");
    await content.click();
    await page.keyboard.press("ControlOrMeta+Home");
    await page.keyboard.press("End");
    await page.keyboard.type("-typed");
    await page.locator("#submit").click();
    const row = page.locator("tr.run-row", { hasText: "hello-typed" });
    await row.first().waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => location.hash.length > 1);
    // A step that is not a table: marked as it is typed (checked in the page), and refused by the server.
    await content.click();
    await page.keyboard.press("ControlOrMeta+End");
    await page.keyboard.type("  oops: 1");
    const mark = page.locator("#editor .cm-lintRange-error");
    await mark.first().waitFor({ timeout: 15_000 });
    expect(await mark.first().textContent()).toBe("1");
    const runs = await page.locator("tr.run-row").count();
    await page.locator("#submit").click();
    await expect.poll(() => page.locator("#problems").textContent()).toContain("steps.oops");
    expect(await page.locator("tr.run-row").count()).toBe(runs);
  });

  it("makes no request to another origin and throws no errors", () => {
    expect(foreignRequests(browser.requests, server.url)).toEqual([]);
    expect(unexpected(browser.errors), browser.errors.join("\n")).toEqual([]);
  });
});

describe("the dashboard of a server with a token", () => {
  it("asks for the token once and keeps it for the session", async () => {
    buildDashboard();
    const dir = mkdtempSync(join(tmpdir(), "sandflow-dash-"));
    const server = await startServer({
      port: 0,
      store: join(dir, "store.db"),
      token: "tok-123",
      engine: { threads: 1 },
    });
    const browser = await openDashboard(`${server.url}/`);
    try {
      const { page } = browser;
      await page.locator("#token-form").waitFor({ state: "visible" });
      const { runId } = await post(
        server,
        "/api/runs",
        { workflow: SLEEPY.replace("sleep 60", "echo hi") },
        "tok-123",
      );
      await page.fill("#token", "tok-123");
      await page.locator('#token-form button[type="submit"]').click();
      await page.locator(`tr[data-run="${runId}"]`).waitFor();
      await page.reload();
      await page.locator(`tr[data-run="${runId}"]`).waitFor();
      expect(await page.locator("#token-form").isHidden()).toBe(true);
      await page.locator(`tr[data-run="${runId}"]`).click();
      await page.waitForFunction(
        () => document.querySelector('g.node[data-step="nap"]')?.classList.contains("succeeded"),
        undefined,
        { timeout: 30_000 },
      );
      expect(await page.locator('.step-card[data-step="nap"] .log').textContent()).toContain("hi");
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
