/**
 * The versions behind each language (the interpreter packages and sandflow itself), read
 * once from the installed packages: part of every step cache key, so an upgrade never
 * serves a result another interpreter made.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PACKAGE_ROOT } from "./package-paths.js";

const PACKAGES: Readonly<Record<string, string>> = {
  python: "pyodide",
  lua: "wasmoon",
  shell: "@bjorn3/browser_wasi_shim",
  javascript: "@jitl/quickjs-wasmfile-release-sync",
  wasm: "@bjorn3/browser_wasi_shim",
};

function versionOf(packageJson: string): string {
  try {
    return (JSON.parse(readFileSync(packageJson, "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** `language -> "sandflow@x pkg@y"`, computed on first use. */
export function runtimeVersions(): (language: string) => string {
  const cache = new Map<string, string>();
  const require = createRequire(join(PACKAGE_ROOT, "package.json"));
  const own = versionOf(join(PACKAGE_ROOT, "package.json"));
  return (language) => {
    let v = cache.get(language);
    if (v === undefined) {
      const pkg = PACKAGES[language];
      let dep = "";
      if (pkg) {
        try {
          dep = ` ${pkg}@${versionOf(require.resolve(`${pkg}/package.json`))}`;
        } catch {
          dep = ` ${pkg}@unknown`;
        }
      }
      v = `sandflow@${own}${dep}`;
      cache.set(language, v);
    }
    return v;
  };
}
