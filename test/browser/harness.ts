/**
 * Drives the playground in headless Chromium for the browser tests: starts
 * scripts/playground.mjs on a free port (it builds the page when its sources changed),
 * launches the system Chromium (never a downloaded one) with a fresh profile, and
 * records every request the browser makes, workers included.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import type { RunReport } from "../../src/core/report.js";

declare global {
  interface Window {
    /** What the playground page exposes (src/web/main.ts). */
    sandflow: {
      run(
        source: string,
        options?: { runId?: string; timeout?: number; failFast?: boolean },
      ): Promise<RunReport>;
      /** The text in the editor. */
      source(): string;
      /** Puts text in the editor as if typed. */
      edit(text: string): void;
      readonly version: string;
    };
  }
}

const ROOT = new URL("../..", import.meta.url).pathname;
const CHROMIUM = process.env.SANDFLOW_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A running playground server. */
export interface PlaygroundServer {
  /** The page's URL, ending with `/`. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts scripts/playground.mjs on a free port. */
export function startPlayground(): Promise<PlaygroundServer> {
  const node = join(ROOT, "node_modules", ".bin", "node");
  const child: ChildProcess = spawn(node, [join(ROOT, "scripts", "playground.mjs"), "--port", "0"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const url = /playground: (http:\/\/\S+\/)/.exec(out)?.[1];
      if (url) resolve({ url, stop });
    });
    child.once("exit", (code) => reject(new Error(`scripts/playground.mjs exited with ${code}: ${out}`)));
  });
}

/** Chromium with one page of the playground open. */
export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every URL Chromium requested (page and workers), in order. */
  readonly requests: string[];
  /** Console errors and uncaught page errors. */
  readonly errors: string[];
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile and opens `url` (waiting for `window.sandflow`, unless told not to). */
export async function openPage(
  url: string,
  viewport = { width: 1400, height: 1000 },
  options: { waitForApi?: boolean } = {},
): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set SANDFLOW_CHROMIUM)`);
  const profile = mkdtempSync(join(tmpdir(), "sandflow-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport,
  });
  const requests: string[] = [];
  const errors: string[] = [];
  context.on("request", (r) => requests.push(r.url()));
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  if (options.waitForApi !== false)
    await page.waitForFunction(() => typeof window.sandflow?.run === "function");
  return {
    context,
    page,
    requests,
    errors,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Requests to anything but `origin` (the playground server). */
export function foreignRequests(requests: readonly string[], origin: string): string[] {
  return requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith("blob:"));
}
