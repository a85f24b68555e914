/**
 * The import directions of docs/ARCHITECTURE.md are checked by the linter (biome's
 * noRestrictedImports, per folder, in biome.json). Here the project's own biome.json lints
 * a scratch tree holding one wrong-way import per rule and the allowed imports next to
 * them: every wrong one must fail, no allowed one may. And no file of src/ or runtimes/
 * imports, through other files, one that imports it back (type-only imports count too).
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
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

/** The relative imports of each .ts file under `dirs` of `root` (static, type-only included). */
function importGraph(root: string, dirs: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") visit(path);
      } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        const text = readFileSync(path, "utf8");
        const specifiers = [
          ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["'](\.[^"']+)["']/gm),
          ...text.matchAll(/^\s*import\s*["'](\.[^"']+)["']/gm),
        ].map((m) => m[1] ?? "");
        const targets = specifiers
          .map((s) => resolve(dirname(path), s).replace(/\.js$/, ".ts"))
          .flatMap((t) => (existsSync(t) ? [t] : existsSync(`${t}x`) ? [`${t}x`] : []));
        graph.set(relative(root, path), targets.map((t) => relative(root, t)).sort());
      }
    }
  };
  for (const dir of dirs) visit(join(root, dir));
  return graph;
}

/** The import loops of `graph`: its strongly connected components of more than one file (Tarjan). */
function importLoops(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  const connect = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w !== undefined) {
        onStack.delete(w);
        component.push(w);
      }
    } while (w !== undefined && w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) loops.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return loops;
}

describe("import loops", () => {
  it("are found, type-only and multi-line imports included", () => {
    const root = join(dir, "loops");
    const files: Record<string, string> = {
      "a.ts": 'import type {\n  B,\n} from "./b.js";\nexport type A = B;\n',
      "b.ts": 'import type { C } from "./sub/c.js";\nexport type B = C;\n',
      "sub/c.ts": 'export type { A as C } from "../a.js";\n',
      "d.ts": 'import "./e.js";\n',
      "e.ts": 'import { a } from "./d.js";\nexport const e = a;\n',
      "f.ts": 'import type { A } from "./a.js";\nexport type F = A;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const loops = importLoops(importGraph(root, ["."])).sort((x, y) => x.length - y.length);
    expect(loops).toEqual([
      ["d.ts", "e.ts"],
      ["a.ts", "b.ts", "sub/c.ts"],
    ]);
  });

  it("there are none in src/ and runtimes/", () => {
    const graph = importGraph(ROOT, ["src", "runtimes"]);
    expect(graph.size).toBeGreaterThan(150);
    expect(importLoops(graph)).toEqual([]);
  });
});
