/**
 * The fixed part of the file system (/, /bin, /usr/bin, /dev, /etc, /proc) is built once
 * and shared by the steps of a factory's runtimes: whatever a step changes there must be
 * gone for the next step, on the same runtime and on another one.
 */
import { describe, expect, test } from "vitest";
import { factory, invocation } from "./helpers.js";

const snapshot = [
  "cat /etc/passwd /etc/group /etc/hostname",
  "ls -la / /bin /usr/bin /etc /dev /proc /run /run/sandflow /tmp /workspace | sed 's/ [A-Z][a-z][a-z] .* [0-9][0-9]:[0-9][0-9] / /'",
  "stat -c '%n %a %s %h' / /bin /bin/ls /etc /etc/passwd /etc/group /usr/bin /dev/null",
].join("; ");

const changes = [
  "echo hacked >> /etc/passwd",
  ": > /etc/hostname",
  "rm /bin/ls",
  "mv /bin/cat /tmp/cat",
  "mv /etc/group /etc/group2",
  "chmod 600 /etc/passwd",
  "chmod 700 /bin",
  "touch -d '2001-02-03 04:05:06' /etc/passwd /usr/bin",
  "mkdir /newdir",
  "ln -s /etc/passwd /usr/bin/pw",
  "ln /etc/passwd /tmp/hard; echo more >> /tmp/hard",
  "echo x > /bin/newfile",
  "rmdir /usr/bin",
  "truncate -s 1 /etc/passwd",
  "rm -rf /run/sandflow /tmp /workspace",
];

async function run(rt: Awaited<ReturnType<typeof factory.create>>, code: string) {
  const emitted = { stdout: "", stderr: "" };
  const outcome = await rt.run(invocation(code, {}, emitted));
  return { outcome, ...emitted };
}

describe("the shared file system layout", () => {
  test("a step sees the layout as built, whatever earlier steps changed in it", async () => {
    const rt = await factory.create();
    const before = await run(rt, snapshot);
    expect(before.outcome.ok).toBe(true);
    expect(before.stdout).toContain("sandflow:x:1000");
    for (const change of changes) {
      const r = await run(rt, `${change}; echo done`);
      expect(r.stdout, change).toContain("done");
      const same = await run(rt, snapshot);
      expect(same.stdout, change).toBe(before.stdout);
      const other = await run(await factory.create(), snapshot);
      expect(other.stdout, change).toBe(before.stdout);
    }
  });

  test("times set by a step do not stay", async () => {
    const rt = await factory.create();
    await run(rt, "touch -d '2001-02-03 04:05:06' /etc/passwd /usr/bin /dev/null /");
    const r = await run(rt, "stat -c '%n %y' /etc/passwd /usr/bin /dev/null /");
    expect(r.stdout).not.toContain("2001-02-03");
  });

  test("a step that leaves the layout alone keeps it: inode numbers stay", async () => {
    const rt = await factory.create();
    const a = await run(rt, "stat -c %i /bin/ls /etc/passwd; cat /etc/passwd > /tmp/x; ls /bin > /dev/null");
    const b = await run(rt, "stat -c %i /bin/ls /etc/passwd");
    expect(a.stdout).toBe(b.stdout);
  });
});
