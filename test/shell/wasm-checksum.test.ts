import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import { busyboxWasmPath } from "../../runtimes/shell/node-assets.js";
import { ASYNCIFY_BYTES } from "../../runtimes/shell/wasm-api.js";

const wasmPath = busyboxWasmPath();
const dir = dirname(wasmPath);

describe("committed busybox.wasm", () => {
  test("matches the recorded sha256", () => {
    const digest = createHash("sha256").update(readFileSync(wasmPath)).digest("hex");
    const recorded = readFileSync(join(dir, "busybox.wasm.sha256"), "utf8").trim().split(/\s+/);
    expect(recorded[1]).toBe("busybox.wasm");
    expect(digest).toBe(recorded[0]);
  });

  test("records busybox 1.35.0 from Debian's source package and the build's Asyncify area", () => {
    const info = JSON.parse(readFileSync(join(dir, "busybox.json"), "utf8"));
    expect(info.busybox).toBe("1.35.0");
    expect(info.debianSourcePackage).toBe("busybox");
    expect(info.debianSourceVersion).toMatch(/^1:1\.35\.0-/);
    expect(info.license).toBe("GPL-2.0-only");
    expect(info.sha256).toBe(createHash("sha256").update(readFileSync(wasmPath)).digest("hex"));
    expect(info.asyncifyBytes).toBe(ASYNCIFY_BYTES);
  });
});
