/**
 * Workload 5: cold start of the CLI. Wall time from spawning `node bin/sandflow.js run
 * FILE --json` to the first result on stdout, for a Lua-only, a shell-only and a Python
 * workflow of one step; with the Pyodide snapshot cached (the default cache folder, snapshot
 * made beforehand) and without (a fresh one each time, so the snapshot is made during the run).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePyodideSnapshot } from "../src/node/pyodide-snapshot.js";
import { defaultCacheDir } from "../src/node.js";
import type { Recorder } from "./recorder.js";
import { now, ROOT, repeat, runCommand } from "./util.js";
import { type BenchLanguage, TRIVIAL } from "./workloads.js";

/** Settings of the cold start. */
export interface ColdConfig {
  readonly reps: number;
  readonly uncachedReps: number;
}

const SECTION = "Cold start (CLI)";

interface ColdRun {
  readonly firstResultMs: number;
  readonly exitMs: number;
}

/** Spawns the CLI and times the first stdout bytes and the exit. */
function coldRun(file: string, cacheDir: string): Promise<ColdRun> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    let first = 0;
    let out = "";
    const child = spawn(process.execPath, [join(ROOT, "bin", "sandflow.js"), "run", file, "--json"], {
      cwd: ROOT,
      env: { ...process.env, SANDFLOW_CACHE_DIR: cacheDir },
      stdio: ["ignore", "pipe", "ignore"],
    });
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      if (!first) first = now() - t0;
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const exitMs = now() - t0;
      if (code !== 0) reject(new Error(`sandflow run ${file} exited ${code}: ${out.slice(0, 300)}`));
      else if (!out.includes('"succeeded"')) reject(new Error(`sandflow run ${file}: ${out.slice(0, 300)}`));
      else resolve({ firstResultMs: first, exitMs });
    });
  });
}

function writeWorkflows(dir: string): Record<BenchLanguage, string> {
  const files = {} as Record<BenchLanguage, string>;
  for (const language of ["lua", "shell", "python"] as const) {
    const path = join(dir, `cold-${language}.json`);
    const spec = { name: `cold-${language}`, steps: { only: { language, code: TRIVIAL[language] } } };
    writeFileSync(path, JSON.stringify(spec));
    files[language] = path;
  }
  return files;
}

/** Cold CLI runs per language, cached and uncached, plus Node's own start as the floor. */
export async function benchColdStart(rec: Recorder, cfg: ColdConfig): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "sandflow-bench-cold-"));
  try {
    const files = writeWorkflows(work);
    const nodeStart = await repeat(cfg.reps, async () => (await runCommand(process.execPath, ["-e", ""])).ms);
    rec.add("cold.node", SECTION, "node -e '' (process start floor)", nodeStart, "ms");
    // The default cache folder, with the snapshot made once (as after a user's first run).
    const cached = defaultCacheDir();
    await ensurePyodideSnapshot(cached);
    for (const language of ["lua", "shell", "python"] as const) {
      const runs = await repeat(cfg.reps, () => coldRun(files[language], cached));
      rec.add(
        `cold.${language}.cached`,
        SECTION,
        `${language} workflow, first result (snapshot cached)`,
        runs.map((r) => r.firstResultMs),
        "ms",
        `exit after ${Math.round(runs.map((r) => r.exitMs).sort((a, b) => a - b)[runs.length >> 1] ?? 0)} ms (median)`,
      );
    }
    for (const language of ["python", "lua", "shell"] as const) {
      const reps = language === "python" ? cfg.uncachedReps : Math.min(cfg.uncachedReps, 1);
      if (reps === 0) continue;
      const runs = await repeat(reps, async (i) => {
        const fresh = join(work, `fresh-${language}-${i}`);
        try {
          return await coldRun(files[language], fresh);
        } finally {
          rmSync(fresh, { recursive: true, force: true });
        }
      });
      rec.add(
        `cold.${language}.uncached`,
        SECTION,
        `${language} workflow, first result (fresh cache dir)`,
        runs.map((r) => r.firstResultMs),
        "ms",
        language === "python" ? "includes making the Pyodide snapshot" : "no snapshot involved",
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
