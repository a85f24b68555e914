/**
 * busybox's own ash tests (shell/ash_test of busybox 1.35, GPL-2.0, copied under
 * test/fixtures/ash_test/): each *.tests runs as `sh ./x.tests 2>&1` in its folder and its
 * output must equal x.right. The pass count on busybox.wasm must not drop below MIN_PASS;
 * native busybox runs the same tests for comparison.
 */
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { nativeBusybox, runNative, runSandflow } from "./native.js";

/** Passing tests on busybox.wasm when this suite was last updated (see runtimes/shell/README.md). */
const MIN_PASS = 321;

const ROOT = join(import.meta.dirname, "..", "fixtures", "ash_test");
const CONFIG = join(import.meta.dirname, "..", "..", "runtimes", "shell", "build", "busybox.config");

/** CONFIG_* settings the tests consult (run-all exports the whole .config). */
const configEnv: Record<string, string> = {};
for (const line of readFileSync(CONFIG, "utf8").split("\n")) {
  const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
  if (m && m[2] !== "n") configEnv[m[1] as string] = (m[2] as string).replace(/^"(.*)"$/, "$1");
}

interface Case {
  dir: string;
  name: string;
  files: Record<string, Uint8Array>;
  right: string;
}

/** Output compared byte for byte: bytes as latin1 characters. */
const latin1 = (b: Uint8Array): string => Buffer.from(b).toString("latin1");

const cases: Case[] = [];
for (const dir of readdirSync(ROOT).sort()) {
  const path = join(ROOT, dir);
  if (!statSync(path).isDirectory()) continue;
  const files: Record<string, Uint8Array> = {};
  for (const f of readdirSync(path)) {
    if (statSync(join(path, f)).isFile()) files[`${dir}/${f}`] = new Uint8Array(readFileSync(join(path, f)));
  }
  for (const f of Object.keys(files).sort()) {
    if (!f.endsWith(".tests")) continue;
    const right = files[f.replace(/\.tests$/, ".right")];
    if (right !== undefined) cases.push({ dir, name: f.slice(dir.length + 1), files, right: latin1(right) });
  }
}

const native = nativeBusybox();
afterAll(() => rmSync(native.root, { recursive: true, force: true }));

test(`busybox ash tests: at least ${MIN_PASS} of ${cases.length} pass on busybox.wasm`, async () => {
  const passed: string[] = [];
  const failed: string[] = [];
  const nativeFailed: string[] = [];
  for (const c of cases) {
    // as run-all: "$THIS_SH" ./name.tests 2>&1, THIS_SH an "ash" link, no locale variables
    const args = ["ash", "-c", `exec "$THIS_SH" ./${c.name} 2>&1`];
    const got = await runSandflow("", {
      files: c.files,
      cwd: c.dir,
      args,
      env: { ...configEnv, THIS_SH: "/bin/ash", PATH: "/bin", HOME: "/workspace" },
      bareEnv: true,
      latin1: true,
      timeoutMs: 10_000,
    }).catch((e: Error) => ({ stdout: `(${e.message})`, stderr: "", code: -1 }));
    const want = runNative(native, "", {
      files: c.files,
      cwd: c.dir,
      args,
      env: { ...configEnv, THIS_SH: join(native.bin, "ash"), PATH: native.bin, HOME: native.root },
      bareEnv: true,
      latin1: true,
      timeoutMs: 10_000,
    });
    if (want.stdout !== c.right) nativeFailed.push(`${c.dir}/${c.name}`);
    (got.stdout === c.right ? passed : failed).push(`${c.dir}/${c.name}`);
  }
  console.log(
    `ash tests: busybox.wasm ${passed.length}/${cases.length}, native busybox ${cases.length - nativeFailed.length}/${cases.length}\n` +
      `failing on busybox.wasm: ${failed.join(" ")}\nfailing natively: ${nativeFailed.join(" ")}`,
  );
  expect(passed.length).toBeGreaterThanOrEqual(MIN_PASS);
}, 900_000);
