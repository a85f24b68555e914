/**
 * The Pyodide snapshot in Chromium: made once in a worker and kept in the Cache API, used
 * by the next page load; a cut cache entry is remade, and one that looks whole but does
 * not load is dropped, without failing any step.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserSession, openPage, type PlaygroundServer, startPlayground } from "./harness.js";

const PYTHON = JSON.stringify({
  name: "py",
  steps: { a: { language: "python", code: "import sys\ndef run():\n    return sys.version_info[0]\n" } },
});

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

function cachedKeys(session: BrowserSession): Promise<string[]> {
  return session.page.evaluate(async () => {
    const cache = await caches.open("sandflow-pyodide-snapshot");
    return (await cache.keys()).map((r) => new URL(r.url).pathname);
  });
}

/** The byte sizes of the cached entries. */
function cachedSizes(session: BrowserSession): Promise<number[]> {
  return session.page.evaluate(async () => {
    const cache = await caches.open("sandflow-pyodide-snapshot");
    const sizes: number[] = [];
    for (const request of await cache.keys())
      sizes.push((await ((await cache.match(request)) as Response).arrayBuffer()).byteLength);
    return sizes;
  });
}

async function reloadAndRun(
  session: BrowserSession,
): Promise<{ status: string; output: unknown; ms: number }> {
  await session.page.reload();
  await session.page.waitForFunction(() => typeof window.sandflow?.run === "function");
  return session.page.evaluate(async (text) => {
    const t0 = performance.now();
    const r = await window.sandflow.run(text);
    return { status: r.status, output: r.steps.a?.output, ms: performance.now() - t0 };
  }, PYTHON);
}

describe("the Pyodide snapshot in a page", () => {
  it("is made on first use and kept in the Cache API under the pyodide version", async () => {
    const r = await browser.page.evaluate((text) => window.sandflow.run(text), PYTHON);
    expect(r.steps.a?.output).toBe(3);
    const keys = await cachedKeys(browser);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^\/__sandflow-cache\/pyodide-[\d.]+-[0-9a-f]{14}$/);
  });

  it("is used by the next page load", async () => {
    const r = await reloadAndRun(browser);
    expect(r).toMatchObject({ status: "succeeded", output: 3 });
    expect(await cachedKeys(browser)).toHaveLength(1);
  });

  it("a cut entry is remade before Python loads", async () => {
    await browser.page.evaluate(async () => {
      const cache = await caches.open("sandflow-pyodide-snapshot");
      for (const request of await cache.keys()) await cache.put(request, new Response("not a snapshot"));
    });
    const r = await reloadAndRun(browser);
    expect(r).toMatchObject({ status: "succeeded", output: 3 });
    expect(await cachedSizes(browser)).toEqual([expect.any(Number)]);
    expect((await cachedSizes(browser))[0]).toBeGreaterThan(1_000_000);
  });

  it("an entry that looks whole but does not load is dropped and Python still runs", async () => {
    await browser.page.evaluate(async () => {
      const cache = await caches.open("sandflow-pyodide-snapshot");
      for (const request of await cache.keys()) {
        const bytes = new Uint8Array(await ((await cache.match(request)) as Response).arrayBuffer());
        bytes.fill(0x58, 16, 48); // the build id and the start of the header's JSON
        await cache.put(request, new Response(bytes));
      }
    });
    const r = await reloadAndRun(browser);
    expect(r).toMatchObject({ status: "succeeded", output: 3 });
    expect(await cachedKeys(browser)).toEqual([]);
    const again = await reloadAndRun(browser);
    expect(again).toMatchObject({ status: "succeeded", output: 3 });
    expect(await cachedKeys(browser)).toHaveLength(1);
  });
});
