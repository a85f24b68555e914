/**
 * Network grants in Chromium: the page (the pool's host there) checks the grant and
 * fetches for JavaScript and Python steps; a host not granted fails inside the step and
 * a server on another port sees nothing. The playground's CSP allows only its own origin
 * (`connect-src 'self'`), so the granted host is the playground server itself: a page
 * that embeds sandflow decides with its own CSP which hosts a grant can reach at all.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunReport } from "../../src/core/report.js";
import { type BrowserSession, openPage, type PlaygroundServer, startPlayground } from "./harness.js";

let server: PlaygroundServer;
let browser: BrowserSession;
let canary: Server;
let canaryRequests = 0;
let canaryUrl = "";

beforeAll(async () => {
  canary = createServer((_req, res) => {
    canaryRequests++;
    res.setHeader("access-control-allow-origin", "*");
    res.end("secret");
  });
  await new Promise<void>((resolve) => canary.listen(0, "127.0.0.1", resolve));
  canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}/`;
  server = await startPlayground();
  browser = await openPage(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  canary.closeAllConnections();
  await new Promise((resolve) => canary.close(resolve));
});

it("JavaScript fetch and Python pyfetch and urllib reach the granted host; others are denied", async () => {
  const origin = new URL(server.url);
  const page = `${origin.origin}/index.html`;
  const grant = `[${JSON.stringify(origin.host)}]`;
  const source = JSON.stringify({
    steps: {
      js: {
        language: "javascript",
        allow: { net: JSON.parse(grant) },
        code: `async function run() { const r = await fetch(${JSON.stringify(page)}); return [r.status, (await r.text()).includes("<html")]; }`,
      },
      py_pyfetch: {
        language: "python",
        allow: { net: JSON.parse(grant) },
        code: `from pyodide.http import pyfetch\nasync def run():\n    r = await pyfetch(${JSON.stringify(page)})\n    return [r.status, "<html" in (await r.text())]`,
      },
      py_urllib: {
        language: "python",
        allow: { net: JSON.parse(grant) },
        code: `import urllib.request\ndef run():\n    with urllib.request.urlopen(${JSON.stringify(page)}) as r:\n        return [r.status, b"<html" in r.read()]`,
      },
      js_denied: {
        language: "javascript",
        allow: { net: JSON.parse(grant) },
        code: `async function run() { try { await fetch(${JSON.stringify(canaryUrl)}); return "ESCAPED"; } catch (e) { return e.name + ": " + e.message; } }`,
      },
      py_denied: {
        language: "python",
        code: `import urllib.request\ndef run():\n    try:\n        urllib.request.urlopen(${JSON.stringify(canaryUrl)})\n        return "ESCAPED"\n    except OSError as e:\n        return type(e).__name__ + ": " + str(e)`,
      },
    },
  });
  const report: RunReport = await browser.page.evaluate((text) => window.sandflow.run(text), source);
  expect(report.status, JSON.stringify(report.steps)).toBe("succeeded");
  expect(report.steps.js?.output).toEqual([200, true]);
  expect(report.steps.py_pyfetch?.output).toEqual([200, true]);
  expect(report.steps.py_urllib?.output).toEqual([200, true]);
  const port = new URL(canaryUrl).port;
  expect(report.steps.js_denied?.output).toBe(
    `NetworkDeniedError: host 127.0.0.1:${port} not granted to step js_denied`,
  );
  expect(report.steps.py_denied?.output).toBe(
    "NetworkDeniedError: step py_denied has no network grant (allow.net)",
  );
  expect(canaryRequests).toBe(0);
});
