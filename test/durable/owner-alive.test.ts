/**
 * Whether a run's owner process is alive: a process on this host that ended is not, even
 * while it is a zombie (ended, not yet reaped by its parent), as a killed CLI is in a
 * container whose first process reaps nothing.
 */
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { ownerAlive } from "../../src/node/run-rows.js";

const owner = (pid: number) => `${hostname()}:${pid}:test`;

describe("ownerAlive", () => {
  it("is true for a live process, false for one that ended and for a zombie", async () => {
    expect(ownerAlive(owner(process.pid))).toBe(true);
    // sh starts a short sleep, then becomes a long sleep that never waits for it: a zombie.
    const parent = spawn("sh", ["-c", "sleep 0.1 & echo $!; exec sleep 5"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      const zombie = Number(
        await new Promise<string>((r) => parent.stdout.once("data", (d) => r(String(d)))),
      );
      expect(ownerAlive(owner(zombie))).toBe(true);
      await new Promise((r) => setTimeout(r, 400));
      expect(ownerAlive(owner(zombie))).toBe(false);
    } finally {
      parent.kill("SIGKILL");
    }
    const ended = spawn("true");
    await new Promise((r) => ended.once("exit", r));
    expect(ownerAlive(owner(ended.pid as number))).toBe(false);
    expect(ownerAlive(`another-host:${process.pid}:x`)).toBe(true);
  });
});
