/**
 * The playground's code editor (CodeMirror 6) in Chromium: YAML, JSON and Lua are
 * highlighted, and validation problems are marked at their place in the text, under the
 * page's strict CSP (no errors, nothing from another origin).
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserSession,
  foreignRequests,
  openPage,
  type PlaygroundServer,
  startPlayground,
} from "./harness.js";

let server: PlaygroundServer;
let browser: BrowserSession;

beforeAll(async () => {
  server = await startPlayground();
  browser = await openPage(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Replaces the editor's text, as if typed. */
async function setText(page: Page, text: string): Promise<void> {
  await page.evaluate((t) => window.sandflow.edit(t), text);
}

/** Distinct colours of the tokens shown in the editor (one colour means no highlighting). */
function tokenColours(page: Page): Promise<number> {
  return page.evaluate(() => {
    const colours = new Set<string>();
    const root = document.getElementById("editor")?.shadowRoot;
    for (const span of root?.querySelectorAll(".cm-line span") ?? [])
      colours.add(getComputedStyle(span).color);
    return colours.size;
  });
}

describe("the playground's code editor", () => {
  it("highlights YAML, JSON and Lua, switching with the detected format", async () => {
    const { page } = browser;
    await setText(
      page,
      'name: demo\nsteps:\n  a:\n    language: lua\n    code: "function run() return 1 end"\n    retries: 2\n',
    );
    await expect.poll(() => page.locator("#format").textContent()).toBe("YAML");
    await expect.poll(() => tokenColours(page), { timeout: 10_000 }).toBeGreaterThan(1);
    await setText(
      page,
      '{\n  "steps": {\n    "a": { "language": "lua", "code": "function run() return 1 end", "retries": 2 }\n  }\n}\n',
    );
    await expect.poll(() => page.locator("#format").textContent()).toBe("JSON");
    await expect.poll(() => tokenColours(page), { timeout: 10_000 }).toBeGreaterThan(1);
    await setText(
      page,
      'local retries = 2\nworkflow = {\n  steps = {\n    a = { language = "lua", code = [[function run() return 1 end]], retries = retries },\n  },\n}\n',
    );
    await expect.poll(() => page.locator("#format").textContent()).toBe("LUA");
    await expect.poll(() => tokenColours(page), { timeout: 10_000 }).toBeGreaterThan(1);
  });

  it("marks validation problems at their place in the text, and clears them once fixed", async () => {
    const { page } = browser;
    const bad =
      'name: demo\nsteps:\n  a:\n    language: lua\n    code: "function run() return 1 end"\n  b:\n    language: lua\n    depends_on: [a, missing]\n    code: "function run() return 2 end"\n';
    await setText(page, bad);
    const mark = page.locator("#editor .cm-lintRange-error");
    await mark.first().waitFor({ timeout: 15_000 });
    expect(await mark.first().textContent()).toBe("missing");
    // The gutter shows the problem on line 8.
    const markerLine = await page.evaluate(() => {
      const root = document.getElementById("editor")?.shadowRoot;
      const marker = root?.querySelector(".cm-lint-marker-error");
      const gutter = marker?.closest(".cm-gutterElement") as HTMLElement | null;
      const numbers = [
        ...(root?.querySelectorAll(".cm-lineNumbers .cm-gutterElement") ?? []),
      ] as HTMLElement[];
      const same = numbers.find((n) => gutter && Math.abs(n.offsetTop - gutter.offsetTop) < 2);
      return same?.textContent ?? null;
    });
    expect(markerLine).toBe("8");
    await setText(page, bad.replace(", missing", ""));
    await expect.poll(() => mark.count(), { timeout: 15_000 }).toBe(0);
  });

  it("validates what is typed", async () => {
    const { page } = browser;
    await setText(
      page,
      'name: typed\nsteps:\n  a:\n    language: lua\n    code: "function run() return 1 end"\n    retries: 1',
    );
    const mark = page.locator("#editor .cm-lintRange-error");
    await expect.poll(() => mark.count(), { timeout: 15_000 }).toBe(0);
    await page.locator("#editor .cm-content").click();
    await page.keyboard.press("ControlOrMeta+End");
    await page.keyboard.type("000");
    await mark.first().waitFor({ timeout: 15_000 });
    expect(await mark.first().textContent()).toBe("1000");
    expect(await page.evaluate(() => window.sandflow.source())).toContain("retries: 1000");
  });

  it("marks a syntax error at its line", async () => {
    const { page } = browser;
    await setText(page, "name: demo\nsteps:\n  a:\n    code: [unclosed\n");
    const mark = page.locator("#editor .cm-lintRange-error");
    await mark.first().waitFor({ timeout: 15_000 });
    expect(await page.locator("#problems").isVisible()).toBe(true);
  });

  it("runs what is in the editor, with no error and nothing from another origin", async () => {
    const { page } = browser;
    await setText(
      page,
      'name: run-me\nsteps:\n  a:\n    language: lua\n    code: "function run() return 7 end"\n',
    );
    await page.keyboard.press("ControlOrMeta+Enter");
    await expect
      .poll(() => page.locator("#status").textContent(), { timeout: 60_000 })
      .toContain("succeeded");
    expect(await page.evaluate(() => window.sandflow.source())).toContain("run-me");
    expect(browser.errors, browser.errors.join("\n")).toEqual([]);
    expect(foreignRequests(browser.requests, server.url.replace(/\/$/, ""))).toEqual([]);
  });
});
