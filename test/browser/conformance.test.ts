/**
 * The conformance suite in Node (createEngine from src/node.ts) and in headless Chromium
 * (the playground's window.sandflow.run): the reports must be equal once run ids and
 * timings are normalised, and no request may leave the page's origin.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/core/engine.js";
import type { RunReport } from "../../src/core/report.js";
import { createEngine } from "../../src/node.js";
import { EXPECTATIONS } from "../conformance/expectations.js";
import { conformanceCases, conformanceRunId, normalizeReport } from "../conformance/suite.js";
import {
  type BrowserSession,
  foreignRequests,
  openPage,
  type PlaygroundServer,
  startPlayground,
} from "./harness.js";

let node: Engine;
let server: PlaygroundServer;
let browser: BrowserSession;

beforeAll(async () => {
  node = createEngine({ threads: 2 });
  server = await startPlayground();
  browser = await openPage(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await node?.close();
});

describe("the same workflows in Node and in Chromium", () => {
  for (const c of conformanceCases()) {
    it(`${c.name}: equal reports`, async () => {
      const runId = conformanceRunId(c.name);
      const workflow = await node.parse(c.text, { source: c.name });
      const inNode = await node.run(workflow, { runId });
      const inBrowser: RunReport = await browser.page.evaluate(
        ([text, id]) => window.sandflow.run(text as string, { runId: id as string }),
        [c.text, runId],
      );
      expect(inBrowser.runId).toBe(runId);
      expect(normalizeReport(inBrowser)).toEqual(normalizeReport(inNode));
      EXPECTATIONS[c.name]?.(inBrowser);
    });
  }

  it("made no request outside the page's origin", () => {
    expect(browser.requests.length).toBeGreaterThan(0);
    expect(foreignRequests(browser.requests, server.url)).toEqual([]);
  });
});
