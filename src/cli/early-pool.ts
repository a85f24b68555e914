/**
 * The first thing the CLI does for a local `sandflow run`: start the pool process (whose
 * workers then start too) before loading the CLI's own modules, so the two overlap. The
 * engine made later adopts it when it arrives at the same settings (see pool-child.ts);
 * otherwise it is stopped. Loaded by bin/sandflow.js before the CLI; keep its imports light.
 */
import type { ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { resolveEngineOptions } from "../core/options.js";
import { prestartPoolChild } from "../node/pool-child.js";
import { defaultCacheDir, localPoolLaunch } from "../node/pool-launch.js";

/** The value of `--name V` or `--name=V` in `argv` (the last one given), if any. */
function optionValue(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === name) value = argv[i + 1];
    else if (a.startsWith(`${name}=`)) value = a.slice(name.length + 1);
  }
  return value;
}

/**
 * Starts the pool process when `argv` (as in `process.argv`) is a local `sandflow run`,
 * with the settings the engine will resolve from the same options.
 * @returns the process started, if any.
 */
export function prestartForArgv(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess | undefined {
  if (argv[2] !== "run" || env.SANDFLOW_SERVER) return undefined;
  if (argv.some((a) => ["-h", "--help", "--remote", "--server"].includes(a) || a.startsWith("--server=")))
    return undefined;
  const threadsArg = optionValue(argv, "--threads");
  const memoryArg = optionValue(argv, "--memory");
  try {
    // The engine's own defaults and checks: bad values throw (the CLI reports them).
    const { threads, memory } = resolveEngineOptions(
      {
        ...(threadsArg !== undefined ? { threads: Number(threadsArg) } : {}),
        ...(memoryArg !== undefined ? { memory: Number(memoryArg) } : {}),
      },
      availableParallelism(),
    );
    return prestartPoolChild(
      localPoolLaunch({ cacheDir: defaultCacheDir(), useSnapshot: true, threads, memoryMb: memory }),
    );
  } catch {
    return undefined; // The engine starts its own and reports what is wrong.
  }
}
