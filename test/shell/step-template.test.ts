/**
 * A step's root shell starts as a copy of the runtime's parked template (step-template.ts):
 * its memory must be exactly the template's, nothing a step did may reach a later step, and
 * steps the template does not fit (an environment variable ash reads at start) still run.
 */
import { afterEach, expect, test } from "vitest";
import type { Slot } from "../../runtimes/shell/instance-pool.js";
import { Kernel } from "../../runtimes/shell/kernel.js";
import { Process } from "../../runtimes/shell/process.js";
import { factory, invocation, output } from "./helpers.js";

const originalSpawnFrom = Kernel.prototype.spawnFrom;
const originalCopy = Process.prototype.copyMemoryOf;
afterEach(() => {
  Kernel.prototype.spawnFrom = originalSpawnFrom;
  Process.prototype.copyMemoryOf = originalCopy;
});

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Counts the steps started from the template and checks each copy is exact. */
function watchSpawns(): { spawned: number; exact: boolean[] } {
  const seen = { spawned: 0, exact: [] as boolean[] };
  Kernel.prototype.spawnFrom = function (this: Kernel, parked, fds) {
    seen.spawned++;
    const p = originalSpawnFrom.call(this, parked, fds);
    seen.exact.push(sameBytes((p.slot as Slot).bytes(), (parked.slot as Slot).bytes()));
    return p;
  };
  return seen;
}

test("steps start from the template, with exactly its memory, and leave nothing to the next step", async () => {
  const rt = await factory.create();
  const seen = watchSpawns();
  // a step that changes all it can of its shell: variables, functions, aliases, traps, options, cwd
  const dirty = await rt.run(
    invocation(
      [
        "leak=1; export LEAKED=2; f() { echo f; }; alias ll='echo alias'; trap 'echo trapped' EXIT",
        "set -u; umask 077; cd /tmp; x=$(seq 1 2000 | wc -l); echo $RANDOM > /tmp/r; echo done",
      ].join("\n"),
    ),
  );
  expect(dirty.ok).toBe(true);
  const probe = [
    'echo "leak=$leak LEAKED=$LEAKED pwd=$(pwd) umask=$(umask)"',
    "command -v f || echo no-f; alias ll 2>/dev/null || echo no-alias; trap; case $- in *u*) echo nounset;; *) echo no-nounset;; esac",
  ].join("\n");
  const clean = await rt.run(invocation(probe));
  expect(output(clean)).toEqual({
    stdout: "leak= LEAKED= pwd=/workspace umask=0022\nno-f\nno-alias\nno-nounset\n",
    stderr: "",
    exit_code: 0,
  });
  expect(seen.spawned).toBe(2);
  expect(seen.exact).toEqual([true, true]);
  rt.dispose();
});

test("each step draws its own $RANDOM, sees its own inputs, params and environment", async () => {
  const rt = await factory.create();
  const seen = watchSpawns();
  const draws = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const o = await rt.run(
      invocation(
        `run() { echo "{\\"r\\": \\"$RANDOM\\", \\"in\\": $(parse_input a), \\"e\\": \\"$E\\"}"; }`,
        {
          inputs: { a: i },
          env: { E: `it's ${i}` },
        },
      ),
    );
    const out = output(o) as { r: string; in: number; e: string };
    expect(out.in).toBe(i);
    expect(out.e).toBe(`it's ${i}`);
    draws.add(out.r);
  }
  expect(draws.size).toBe(5);
  expect(seen.spawned).toBe(5);
  rt.dispose();
});

test("a step setting a variable ash reads at start gets a shell of its own", async () => {
  const rt = await factory.create();
  const seen = watchSpawns();
  const o = await rt.run(invocation('echo "$PPID $PWD"', { env: { PPID: "77" } }));
  expect(output(o)).toEqual({ stdout: "1 /workspace\n", stderr: "", exit_code: 0 });
  expect(seen.spawned).toBe(0);
  rt.dispose();
});
