import { describe, expect, test } from "vitest";
import { factory, invocation, runStep } from "./helpers.js";

const flagAfter = (ms: number) => {
  let flag = false;
  setTimeout(() => {
    flag = true;
  }, ms);
  return () => flag;
};

describe("limits and interrupts", () => {
  test("a fork bomb hits the process limit; the same factory and runtime run the next step", async () => {
    const rt = await factory.create();
    const bomb = await rt.run(invocation("bomb() { bomb | bomb & }; bomb", { limits: { processes: 32 } }));
    expect(bomb).toMatchObject({ ok: false, error: { name: "ProcessLimitError" } });
    if (!bomb.ok) expect(bomb.error.message).toContain("more than 32 processes");
    const next = await rt.run(invocation("echo still here"));
    expect(next).toMatchObject({ ok: true });
    const other = await (await factory.create()).run(invocation("seq 3 | wc -l"));
    expect(other).toMatchObject({ ok: true, outputJson: "3" });
  });

  test("a pipeline needs one process per stage", async () => {
    const ok = await runStep("sleep 0.05 | sleep 0.05 | sleep 0.05 | sleep 0.05", {
      limits: { processes: 5 },
    });
    expect(ok.outcome.ok).toBe(true);
    const tooMany = await runStep("sleep 0.05 | sleep 0.05 | sleep 0.05 | sleep 0.05 | sleep 0.05", {
      limits: { processes: 5 },
    });
    expect(tooMany.outcome).toMatchObject({ ok: false, error: { name: "ProcessLimitError" } });
  });

  test("an endless loop with syscalls stops promptly once interrupted", async () => {
    const r = await runStep("while :; do echo x > /dev/null; done", { interrupted: flagAfter(150) });
    expect(r.outcome).toMatchObject({ ok: false, error: { name: "StepTimeoutError" } });
    expect(r.ms).toBeLessThan(1000);
  });

  test("a pure shell loop, an awk loop, a sleep and a blocked pipeline stop too", async () => {
    for (const code of [
      "while :; do :; done",
      "i=0; while true; do i=$((i+1)); done",
      "awk 'BEGIN { while (1) x++ }'",
      "sleep 100",
      "sleep 100 | cat",
      "yes > /dev/null & wait",
      "cat /dev/zero | (while read -r x; do :; done)",
    ]) {
      const r = await runStep(code, { interrupted: flagAfter(100) });
      expect(r.outcome, code).toMatchObject({ ok: false, error: { name: "StepTimeoutError" } });
      expect(r.ms, code).toBeLessThan(1000);
    }
  });

  test("memory: breaching the limit fails with MemoryLimitError", async () => {
    const r = await runStep("x=0123456789; while :; do x=$x$x; done", { limits: { memoryBytes: 24 << 20 } });
    expect(r.outcome).toMatchObject({ ok: false, error: { name: "MemoryLimitError" } });
    const awk = await runStep("awk 'BEGIN { while (1) a[i++] = i }'", { limits: { memoryBytes: 24 << 20 } });
    expect(awk.outcome).toMatchObject({ ok: false, error: { name: "MemoryLimitError" } });
    const fine = await runStep("seq 1 1000 | sort -n | tail -1", { limits: { memoryBytes: 24 << 20 } });
    expect(fine.outcome.ok).toBe(true);
  });

  test("files beyond the workspace limit fail with WorkspaceLimitError", async () => {
    const r = await runStep("head -c 2000000 /dev/zero > /workspace/big", {
      limits: { workspaceBytes: 1 << 20 },
    });
    expect(r.outcome).toMatchObject({ ok: false, error: { name: "WorkspaceLimitError" } });
    if (!r.outcome.ok) expect(r.outcome.error.message).toContain("1048576");
    // an unlinked file that is still open keeps counting
    const hidden = await runStep("exec 3>/tmp/f; rm /tmp/f; yes >&3", {
      limits: { workspaceBytes: 1 << 20 },
    });
    expect(hidden.outcome).toMatchObject({ ok: false, error: { name: "WorkspaceLimitError" } });
    const ok = await runStep(
      "head -c 500000 /dev/zero > /tmp/a; rm /tmp/a; head -c 900000 /dev/zero > /tmp/b",
      {
        limits: { workspaceBytes: 1 << 20 },
      },
    );
    expect(ok.outcome.ok).toBe(true);
  });

  test("endless output fails with OutputLimitError", async () => {
    const r = await runStep("yes", { limits: { outputBytes: 100_000 } });
    expect(r.outcome).toMatchObject({ ok: false, error: { name: "OutputLimitError" } });
  });

  test("no sockets, no host file system", async () => {
    const r = await runStep("ls /; cat /proc/self/environ; ls /home /root /usr/lib; nc 127.0.0.1 80", {});
    expect(r.outcome.ok).toBe(false);
    expect(r.emitted.stdout).toBe("bin\ndev\netc\nproc\nrun\ntmp\nusr\nworkspace\n");
    expect(r.emitted.stderr).toContain("/proc/self/environ");
  });
});
