/**
 * Differential suite: every script in test/fixtures/shell/ must give the same stdout and
 * exit status on sandflow's busybox.wasm as on native busybox 1.35 (Debian).
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { nativeBusybox, runNative, runSandflow } from "./native.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "shell");
const scripts = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".sh"))
  .sort();
const native = nativeBusybox();
afterAll(() => rmSync(native.root, { recursive: true, force: true }));

describe("sandflow busybox.wasm vs native busybox 1.35", () => {
  test("there are at least 60 scripts", () => {
    expect(scripts.length).toBeGreaterThanOrEqual(60);
  });

  test.each(scripts)("%s", async (name) => {
    const script = readFileSync(join(FIXTURES, name), "utf8");
    const want = runNative(native, script);
    const got = await runSandflow(script);
    expect(
      { stdout: got.stdout, code: got.code },
      `stderr: ${got.stderr}\nnative stderr: ${want.stderr}`,
    ).toEqual({
      stdout: want.stdout,
      code: want.code,
    });
  });
});
