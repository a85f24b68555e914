/**
 * Links against the workspace snapshot (what a step leaves under /tmp and /workspace):
 * graphs of symbolic links that multiply one file's paths if the walk follows them, and
 * hard links that give one file's data many names. Walks never follow links, a file's
 * data is copied once, and every snapshot is bounded while it is built.
 * Limits of the security engine: see {@link SECURITY_LIMITS} (4 MiB of workspace).
 */
import { expect } from "vitest";
import type { Attack } from "./attack-runner.js";
import { SECURITY_LIMITS } from "./attack-runner.js";

const py = (body: string) => `def run():\n${body.replace(/^/gm, "    ")}\n`;
const MB = 1 << 20;
/**
 * Following the links would copy the file thousands of times (8 links a level, 4 levels:
 * 4096 paths to 512 KiB, 2 GiB); the bound leaves room for an interpreter's start.
 */
const bounded = 450 * MB;

/** Python: `fanout` links per level to the level below, `levels` levels over one 512 KiB file. */
const pythonLinkGraph = (root: string, fanout: number, levels: number, then = "") =>
  py(`import os
os.makedirs('${root}/l0', exist_ok=True)
open('${root}/l0/data', 'wb').write(b'x' * (512 << 10))
for level in range(1, ${levels + 1}):
    os.makedirs(f'${root}/l{level}', exist_ok=True)
    for i in range(${fanout}):
        os.symlink(f'${root}/l{level - 1}', f'${root}/l{level}/d{i}')
${then}
return sorted(os.listdir('${root}'))`);

/** Shell: the same graph with `ln -s`. */
const shellLinkGraph = (root: string, fanout: number, levels: number) =>
  [
    `mkdir -p ${root}/l0 && head -c 524288 /dev/zero > ${root}/l0/data`,
    `for level in $(seq 1 ${levels}); do mkdir -p ${root}/l$level; below=$((level - 1))`,
    `  for i in $(seq 1 ${fanout}); do ln -s ${root}/l$below ${root}/l$level/d$i; done; done`,
    `echo '"linked"'`,
  ].join("\n");

const onlyRealFiles = (step: { output?: unknown }) => expect(step.output).not.toBeUndefined();

export const workspaceLinkAttacks: readonly Attack[] = [
  {
    name: "a layered graph of directory symlinks over one file in /workspace",
    category: "workspace",
    language: "python",
    mayPass: true,
    maxRssGrowth: bounded,
    code: () => pythonLinkGraph("/workspace", 8, 4),
    check: onlyRealFiles,
  },
  {
    name: "a layered graph of directory symlinks in /tmp pointing into /workspace",
    category: "workspace",
    language: "python",
    mayPass: true,
    maxRssGrowth: bounded,
    code: () =>
      pythonLinkGraph(
        "/workspace/g",
        5,
        4,
        "for i in range(100):\n    os.symlink('/workspace/g', f'/tmp/up{i}')",
      ),
  },
  {
    name: "symlinks to a file under thousands of names",
    category: "workspace",
    language: "python",
    mayPass: true,
    maxRssGrowth: bounded,
    code: () =>
      py(`import os
open('/workspace/big', 'wb').write(b'y' * (1 << 20))
for i in range(3000):
    os.symlink('/workspace/big', f'/tmp/name{i}')
return 'linked'`),
  },
  {
    name: "hard links to a 1 MiB file under many names",
    category: "workspace",
    language: "python",
    mayPass: true,
    errors: ["WorkspaceLimitError", "StepRuntimeError"],
    maxRssGrowth: bounded,
    code: () =>
      py(`import os
open('/workspace/big', 'wb').write(b'y' * (1 << 20))
for i in range(500):
    os.link('/workspace/big', f'/workspace/hard{i}')
return 'linked'`),
  },
  {
    name: "a layered graph of directory symlinks over one file (ln -s)",
    category: "workspace",
    language: "shell",
    mayPass: true,
    maxRssGrowth: bounded,
    code: () => shellLinkGraph("/workspace", 8, 4),
  },
  {
    name: "symlinks from /tmp to a directory graph in /workspace (ln -s)",
    category: "workspace",
    language: "shell",
    mayPass: true,
    maxRssGrowth: bounded,
    code: () =>
      `${shellLinkGraph("/workspace/g", 5, 4).replace(/echo '"linked"'$/, "")}\n` +
      `for i in $(seq 1 100); do ln -s /workspace/g /tmp/up$i; done; echo '"linked"'`,
  },
  {
    name: "hard links (ln) to a 1 MiB file under 500 names",
    category: "workspace",
    language: "shell",
    errors: ["WorkspaceLimitError"],
    maxRssGrowth: bounded,
    code: () =>
      `head -c 1048576 /dev/zero > /workspace/big; for i in $(seq 1 500); do ln /workspace/big /workspace/hard$i; done; echo '"linked"'`,
    check: (step) => expect(step.error?.message).toContain(`${SECURITY_LIMITS.workspaceLimit} bytes`),
  },
  {
    name: "hard links to an empty file under 30,000 long names",
    category: "workspace",
    language: "shell",
    errors: ["WorkspaceLimitError"],
    maxRssGrowth: bounded,
    code: () =>
      `mkdir -p /tmp/n; : > /tmp/n/e; i=0; while [ $i -lt 30000 ]; do ln /tmp/n/e /tmp/n/${"h".repeat(180)}$i; i=$((i + 1)); done; echo '"linked"'`,
  },
  {
    name: "hard links across directories in /tmp and /workspace, within the limit",
    category: "workspace",
    language: "shell",
    mayPass: true,
    maxRssGrowth: bounded,
    code: () =>
      `mkdir -p /workspace/a /tmp/b; head -c 262144 /dev/zero > /workspace/a/f; for i in 1 2 3 4 5 6; do ln /workspace/a/f /tmp/b/f$i; done; echo '"linked"'`,
    check: (step) => expect(step.output).toBe("linked"),
  },
];
