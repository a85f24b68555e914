/**
 * The import directions of docs/ARCHITECTURE.md are checked by the linter (biome's
 * noRestrictedImports, per folder, in biome.json). Here the project's own biome.json lints
 * a scratch tree holding one wrong-way import per rule and the allowed imports next to
 * them: every wrong one must fail, no allowed one may.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const BIOME = join(ROOT, "node_modules/.bin/biome");

/** File path -> the module it imports. */
const WRONG: Record<string, string> = {
  "src/core/wrong-protocol.ts": "../protocol/messages.js",
  "src/core/durable/wrong-pool.ts": "../../pool/transport.js",
  "src/core/wrong-node.ts": "node:fs",
  "src/protocol/wrong-pool.ts": "../pool/transport.js",
  "src/protocol/wrong-runtimes.ts": "../../runtimes/worker/dispatcher.js",
  "src/pool/wrong-node-builtin.ts": "node:worker_threads",
  "src/pool/wrong-piscina.ts": "piscina",
  "src/pool/wrong-node.ts": "../node/piscina-transport.js",
  "src/node/wrong-runtimes.ts": "../../runtimes/worker/node-worker.js",
  "src/browser/wrong-runtimes.ts": "../../runtimes/worker/browser-worker.js",
  "src/cli/wrong-runtimes.ts": "../../runtimes/lua/workflow-evaluator.js",
  "src/wrong-runtimes.ts": "../runtimes/worker/dispatcher.js",
  "runtimes/worker/wrong-pool.ts": "../../src/pool/transport.js",
  "runtimes/worker/wrong-node.ts": "../../src/node/pool-server.js",
  "runtimes/shell/wrong-browser.ts": "../../src/browser/web-worker-transport.js",
};

const ALLOWED: Record<string, string> = {
  "src/core/ok.ts": "./errors.js",
  "src/protocol/ok.ts": "../core/languages.js",
  "src/pool/ok.ts": "../protocol/messages.js",
  "src/node/ok.ts": "../pool/batching-pool.js",
  "src/node/ok-builtin.ts": "node:worker_threads",
  "src/browser/ok.ts": "../protocol/browser-wire.js",
  "runtimes/worker/ok.ts": "../../src/protocol/messages.js",
  "runtimes/worker/ok-core.ts": "../../src/core/errors.js",
};

const dir = mkdtempSync(join(tmpdir(), "sandflow-imports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The files biome flags with noRestrictedImports, linting `files` under the project's biome.json. */
function flagged(files: Record<string, string>): string[] {
  const config = JSON.parse(readFileSync(join(ROOT, "biome.json"), "utf8")) as Record<string, unknown>;
  delete config.$schema;
  writeFileSync(join(dir, "biome.json"), JSON.stringify(config));
  for (const [path, from] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), `import * as m from "${from}";\n\nexport const used = m;\n`);
  }
  let out: string;
  try {
    out = execFileSync(BIOME, ["lint", "--max-diagnostics=200", "."], {
      cwd: dir,
      encoding: "utf8",
      stdio: "pipe",
    });
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string };
    out = `${failed.stdout ?? ""}${failed.stderr ?? ""}`;
  }
  const paths = [...out.matchAll(/^(\S+\.ts):\d+:\d+ lint\/style\/noRestrictedImports/gm)].map(
    (m) => m[1] ?? "",
  );
  return [...new Set(paths)].sort();
}

describe("import directions (biome.json)", () => {
  it("fails every wrong-way import and passes the allowed ones", () => {
    expect(flagged({ ...WRONG, ...ALLOWED })).toEqual(Object.keys(WRONG).sort());
  });
});
