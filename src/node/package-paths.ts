/** Where the package's own files are, from both src/ (tests) and dist/src/ (built). */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "runtimes"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("sandflow: cannot find the package folder (package.json beside runtimes/)");
}

/** The package's root folder. */
export const PACKAGE_ROOT = findRoot();

/** A built worker entry under dist/runtimes/worker/. */
export function workerEntry(name: string): string {
  const path = join(PACKAGE_ROOT, "dist", "runtimes", "worker", `${name}.js`);
  if (!existsSync(path)) throw new Error(`sandflow: ${path} is missing; run \`npm run build\` first`);
  return path;
}

/** The committed busybox.wasm. */
export const BUSYBOX_WASM = join(PACKAGE_ROOT, "runtimes", "shell", "wasm", "busybox.wasm");
