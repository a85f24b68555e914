/**
 * Instances of busybox.wasm are reused, and their memory is overwritten only where it can
 * differ (memory-image.ts): a reset must give exactly the module's initial memory, and a
 * fork exactly the parent's, whatever earlier processes left in the instance.
 */
import { afterEach, expect, test } from "vitest";
import { buildRootFs, loadShellModule, runBusybox } from "../../runtimes/shell/index.js";
import { InstancePool } from "../../runtimes/shell/instance-pool.js";
import { loadBusyboxWasm } from "../../runtimes/shell/node-assets.js";
import { Process, type ProcessSlot } from "../../runtimes/shell/process.js";
import { bindImports } from "../../runtimes/shell/slot-imports.js";

const scripts = [
  "echo hi",
  "f() { [ $1 -gt 0 ] && f $(($1 - 1)); }; f 150; echo $(echo $(echo deep))",
  // a deep subshell leaves a used stack in its instance; the next fork reuses that instance
  "(f() { [ $1 -gt 0 ] && f $(($1 - 1)); }; f 150); echo $(echo x); (echo y) | cat",
  "seq 1 3000 | sort -r | head -2; x=$(yes | head -c 100000 | wc -c); echo $x",
  "trap 'echo err' ERR; false; (exit 3); awk 'BEGIN { for (i = 0; i < 5000; i++) a[i] = i; print length(a) }'",
  "sleep 0.01 & wait; cat /dev/zero | head -c 70000 > /tmp/z; ls -l /tmp",
];

const firstDifference = (a: Uint8Array, b: Uint8Array): number => {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
};

const originalCopy = Process.prototype.copyMemoryOf;
afterEach(() => {
  Process.prototype.copyMemoryOf = originalCopy;
});

test("reused instances are reset to the initial image, and forks copy their parent exactly", async () => {
  const { module, applets } = await loadShellModule(await loadBusyboxWasm());
  const pool = new InstancePool(module, bindImports);
  const forkMismatches: number[] = [];
  let forks = 0;
  Process.prototype.copyMemoryOf = function (this: Process, parent: Process) {
    originalCopy.call(this, parent);
    forks++;
    const at = firstDifference((this.slot as ProcessSlot).bytes(), (parent.slot as ProcessSlot).bytes());
    if (at !== -1) forkMismatches.push(at);
  };
  for (const script of scripts) {
    const r = await runBusybox(module, {
      args: ["sh", "-c", script],
      env: ["PATH=/bin"],
      fs: buildRootFs({}, 1 << 20, applets),
      memoryBytes: 256 << 20,
      processes: 32,
      outputBytes: 1 << 20,
      interrupted: () => false,
      waitCell: new Int32Array(new SharedArrayBuffer(4)),
      pool,
    });
    expect(r.status, script).toBe(0);
    const taken: ProcessSlot[] = [];
    for (let i = 0; i < 4; i++) {
      const slot = pool.forSpawn();
      expect(firstDifference(slot.bytes(), slot.layout.image), script).toBe(-1);
      expect(slot.exports.__stack_pointer.value).toBe(slot.layout.stackTop);
      taken.push(slot);
    }
    for (const slot of taken) pool.give(slot, true);
  }
  expect(forks).toBeGreaterThan(10);
  expect(forkMismatches).toEqual([]);
});
