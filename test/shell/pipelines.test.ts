import { describe, expect, test } from "vitest";
import { runStep, sh } from "./helpers.js";

describe("pipelines and processes", () => {
  test("infinite producers stop when the reader goes (bounded pipes, SIGPIPE)", async () => {
    expect(await sh("yes | head -1")).toMatchObject({ stdout: "y\n", code: 0 });
    expect(await sh("cat /dev/zero | head -c 5 | od -An -tx1")).toMatchObject({
      stdout: " 00 00 00 00 00\n",
    });
    expect(await sh("yes hello | head -n 3 | tr a-z A-Z")).toMatchObject({ stdout: "HELLO\nHELLO\nHELLO\n" });
    const pf = await sh("set -o pipefail; yes | head -2 >/dev/null; echo $?");
    expect(pf.stdout).toBe("141\n");
  });

  test("a long stream through a bounded pipe arrives whole", async () => {
    expect((await sh("seq 1 100000 | tail -1")).stdout).toBe("100000\n");
    expect((await sh("seq 1 200000 | wc -l")).stdout.trim()).toBe("200000");
    expect((await sh("seq 1 50000 | sort -rn | head -2")).stdout).toBe("50000\n49999\n");
    expect((await sh("head -c 1000000 /dev/zero | gzip | gunzip | wc -c")).stdout.trim()).toBe("1000000");
  });

  test("pipes do not eat memory: a 20 MB stream runs in a small memory limit", async () => {
    const r = await sh("yes 0123456789abcdef | head -c 20000000 | wc -c", {
      limits: { memoryBytes: 16 << 20 },
    });
    expect(r.stdout.trim()).toBe("20000000");
  });

  test("a writer to a closed pipe gets EPIPE when it ignores SIGPIPE", async () => {
    const r = await sh("trap '' PIPE; (sleep 0.05; yes) | true; echo done");
    expect(r.stdout).toBe("done\n");
    expect(r.stderr).toMatch(/yes: .*(Broken pipe|write error)/i);
  });

  test("multi-stage pipelines, subshells and command substitution", async () => {
    const r = await sh(
      `printf 'b 2\\na 1\\nc 3\\na 4\\n' | sort | awk '{s[$1]+=$2} END {for (k in s) print k, s[k]}' | sort | tr '\\n' ';'`,
    );
    expect(r.stdout).toBe("a 5;b 2;c 3;");
    expect((await sh("x=$(echo $(echo nested) | sed s/n/N/); echo $x")).stdout).toBe("Nested\n");
    expect((await sh("(cd /tmp && pwd); pwd; v=$(exit 7); echo $?")).stdout).toBe("/tmp\n/workspace\n7\n");
  });

  test("background jobs, wait, kill and sleep", async () => {
    const r = await sh("sleep 0.1 & p=$!; echo started; wait $p; echo waited=$?");
    expect(r.stdout).toBe("started\nwaited=0\n");
    const k = await sh("sleep 10 & p=$!; kill $p; wait $p; echo status=$?");
    expect(k.stdout).toBe("status=143\n");
    const t0 = performance.now();
    const s = await sh("sleep 0.3; echo slept");
    expect(s.stdout).toBe("slept\n");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    const par = await sh("(sleep 0.2; echo a) & (sleep 0.1; echo b) & wait; echo c");
    expect(par.stdout).toBe("b\na\nc\n");
  });

  test("processes left when the shell exits finish their output; sleepers are stopped", async () => {
    const t0 = performance.now();
    const r = await runStep(
      "exec > >(tee /workspace/log.txt) 2>&1\necho hello\necho world >&2\nsleep 30 &\necho done",
    );
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.emitted.stdout).toBe("hello\nworld\ndone\n");
    expect(
      r.outcome.ok && new TextDecoder().decode(r.outcome.files["/workspace/log.txt"] as Uint8Array),
    ).toBe("hello\nworld\ndone\n");
    const busy = await runStep("yes > /dev/null & echo started");
    expect(busy.outcome.ok).toBe(true);
    expect(busy.ms).toBeLessThan(2000);
  });

  test("fractional sleep does not busy-wait", async () => {
    const cpu0 = process.cpuUsage();
    const r = await runStep("sleep 0.5");
    const cpu = process.cpuUsage(cpu0);
    expect(r.outcome.ok).toBe(true);
    expect(r.ms).toBeGreaterThanOrEqual(490);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(350); // a busy wait would burn ~500
  });

  test("traps, signals to self and exit status of signalled jobs", async () => {
    expect((await sh("trap 'echo got USR1' USR1; kill -USR1 $$; echo after")).stdout).toBe(
      "got USR1\nafter\n",
    );
    expect((await sh("trap 'echo bye' EXIT; echo body")).stdout).toBe("body\nbye\n");
    expect((await sh("kill -TERM $$; echo not reached")).code).toBe(143);
  });

  test("timeout kills a command that runs too long", async () => {
    const r = await sh("timeout 1 sleep 5; echo status=$?");
    expect(r.stdout).toBe("status=143\n");
  });

  test("fds: exec redirections, dup, here-documents, reading loops", async () => {
    const r = await sh(`exec 3>/tmp/fd3; echo to3 >&3; exec 3>&-
read line </tmp/fd3; echo "fd3: $line"
exec 4</tmp/fd3; read again <&4; echo "again: $again"; exec 4<&-
{ echo out; echo err >&2; } 2>&1 | sed 's/^/> /'
while IFS=: read user _ uid _; do echo "$user=$uid"; done </etc/passwd
cat <<-EOF | wc -l
	one
	two
	EOF`);
    expect(r.stdout).toBe("fd3: to3\nagain: to3\n> out\n> err\nroot=0\nsandflow=1000\n2\n");
  });

  test("xargs and find -exec spawn applets", async () => {
    const r = await sh(`mkdir -p a/b; touch a/x.txt a/b/y.txt a/b/z.log
find a -name '*.txt' | sort | xargs -n1 basename
find a -type f -name '*.log' -exec echo found {} \\;
find a -type f | xargs wc -c | tail -1`);
    expect(r.stdout).toBe("y.txt\nx.txt\nfound a/b/z.log\n        0 total\n");
  });
});
