/**
 * Shell steps (busybox ash on WASI, in-memory file system) against the sandbox: host
 * files and environment, programs outside busybox, network, fork bombs, CPU, memory,
 * output, results, recursion and the workspace.
 */
import { expect } from "vitest";
import type { Attack } from "./attack-runner.js";
import { SECURITY_LIMITS } from "./attack-runner.js";

const MB = 1 << 20;
const stopped = { step: { timeout: 1 }, errors: ["StepTimeoutError"], maxMs: 1500 } as const;

export const shellAttacks: readonly Attack[] = [
  {
    name: "cat the canary file and list host folders",
    category: "host-files",
    language: "shell",
    thread: true,
    code: (c) =>
      `cat '${c.canaryFile}' && echo '"ESCAPED"'; ls /home /root /work /usr/lib 2>/dev/null; exit 1`,
  },
  {
    name: "find the canary anywhere",
    category: "host-files",
    language: "shell",
    mayPass: true,
    code: () => `find / -name 'canary*' 2>/dev/null | grep . && echo '"ESCAPED"' || echo '"nothing"'`,
  },
  {
    name: "write a file at a host path",
    category: "host-files",
    language: "shell",
    mayPass: true,
    code: (c) =>
      `mkdir -p "$(dirname '${c.writeTarget}')" && echo pwned > '${c.writeTarget}' && echo '"in memory only"'`,
  },
  {
    name: "symlinks and .. to leave the root",
    category: "host-files",
    language: "shell",
    mayPass: true,
    code: (c) =>
      `ln -s '${c.canaryDir}' /workspace/h 2>/dev/null; cat /workspace/h/canary.txt /../../..'${c.canaryFile}' 2>/dev/null && echo '"ESCAPED"' || echo '"blocked"'`,
  },
  {
    name: "symlink loops and a link to / in /workspace",
    category: "host-files",
    language: "shell",
    mayPass: true,
    code: () =>
      `ln -s / /workspace/root; ln -s /workspace /workspace/loop; ln -s loop2 /workspace/loop1; ln -s loop1 /workspace/loop2; cat /workspace/loop1 2>/dev/null; echo '"done"'`,
  },
  {
    name: "env, printenv, /proc/self/environ and the canary variable",
    category: "host-env",
    language: "shell",
    thread: true,
    mayPass: true,
    code: (c) =>
      `env; printenv ${c.envName}; cat /proc/self/environ /proc/1/environ 2>/dev/null; echo '"done"'`,
  },
  {
    name: "run programs outside busybox",
    category: "processes",
    language: "shell",
    mayPass: true,
    code: (c) =>
      [
        `for p in /bin/bash /usr/bin/python3 /usr/bin/node /usr/bin/env /sbin/init; do "$p" -c 'touch ${c.writeTarget}' 2>/dev/null && echo ESCAPED; done`,
        `printf '#!/usr/bin/python3\\nprint(1)\\n' > /workspace/x.py; chmod +x /workspace/x.py; /workspace/x.py 2>/dev/null && echo ESCAPED`,
        `exec /usr/bin/id 2>/dev/null`,
        `echo '"contained"'`,
      ].join("\n"),
  },
  {
    name: "kill every process, then the shell itself",
    category: "processes",
    language: "shell",
    errors: ["StepRuntimeError"],
    code: () => "sleep 5 & kill -9 -1; kill -9 0; echo after",
  },
  {
    name: "nc, wget, telnet and /dev/tcp to the host servers",
    category: "network",
    language: "shell",
    thread: true,
    mayPass: true,
    code: (c) =>
      [
        `nc 127.0.0.1 ${c.tcpPort} </dev/null 2>/dev/null && echo ESCAPED`,
        `wget -q -O - '${c.httpUrl}' 2>/dev/null && echo ESCAPED`,
        `telnet 127.0.0.1 ${c.tcpPort} 2>/dev/null && echo ESCAPED`,
        `echo x > /dev/tcp/127.0.0.1/${c.tcpPort} 2>/dev/null && echo ESCAPED`,
        `echo '"blocked"'`,
      ].join("\n"),
  },
  {
    name: "fork bomb",
    category: "fork-bomb",
    language: "shell",
    thread: true,
    errors: ["ProcessLimitError"],
    maxMs: 10_000,
    code: () => "bomb() { bomb | bomb & }; bomb",
  },
  {
    name: "background sleepers until the table is full",
    category: "fork-bomb",
    language: "shell",
    errors: ["ProcessLimitError"],
    maxMs: 10_000,
    code: () => "while :; do sleep 100 & done",
  },
  {
    name: "busy loop",
    category: "timeout",
    language: "shell",
    thread: true,
    ...stopped,
    code: () => "while :; do :; done",
  },
  {
    name: "a loop that traps and ignores signals",
    category: "timeout",
    language: "shell",
    ...stopped,
    code: () => "trap '' INT TERM HUP; while :; do :; done",
  },
  { name: "sleep 1000", category: "timeout", language: "shell", ...stopped, code: () => "sleep 1000" },
  {
    name: "an awk busy loop",
    category: "timeout",
    language: "shell",
    ...stopped,
    code: () => "awk 'BEGIN { while (1) x++ }'",
  },
  {
    name: "a variable that doubles until memory runs out",
    category: "memory",
    language: "shell",
    step: { memory: 32 },
    errors: ["MemoryLimitError"],
    maxRssGrowth: 32 * MB + 300 * MB,
    code: () => "x=0123456789; while :; do x=$x$x; done",
  },
  {
    name: "an awk array that grows until memory runs out",
    category: "memory",
    language: "shell",
    step: { memory: 32 },
    errors: ["MemoryLimitError"],
    maxRssGrowth: 32 * MB + 300 * MB,
    code: () => "awk 'BEGIN { while (1) a[i++] = i }'",
  },
  {
    name: "yes on stdout",
    category: "output",
    language: "shell",
    errors: ["OutputLimitError"],
    maxMs: 10_000,
    code: () => "yes",
    check: (step) => expect(step.stdout.length).toBeLessThanOrEqual(SECURITY_LIMITS.outputLimit + 1024),
  },
  {
    name: "yes on stderr",
    category: "output",
    language: "shell",
    errors: ["OutputLimitError"],
    maxMs: 10_000,
    code: () => "yes >&2",
  },
  {
    name: "a result larger than the result limit through $SANDFLOW_OUTPUT",
    category: "result",
    language: "shell",
    errors: ["ResultLimitError"],
    code: () =>
      `printf '"' > "$SANDFLOW_OUTPUT"; head -c ${SECURITY_LIMITS.resultLimit + 10} /dev/zero | tr '\\0' a >> "$SANDFLOW_OUTPUT"; printf '"' >> "$SANDFLOW_OUTPUT"`,
  },
  {
    name: "JSON nested 10,000 deep on stdout",
    category: "result",
    language: "shell",
    errors: ["StepRuntimeError", "InvalidResultError"],
    code: () =>
      `awk 'BEGIN { for (i = 0; i < 10000; i++) printf "["; for (i = 0; i < 10000; i++) printf "]"; print "" }'`,
  },
  {
    name: "unbounded shell function recursion",
    category: "recursion",
    language: "shell",
    code: () => "f() { f; }; f",
  },
  {
    name: "8 MB in /workspace with a 4 MiB workspace limit",
    category: "workspace",
    language: "shell",
    errors: ["WorkspaceLimitError"],
    code: () => "head -c 8000000 /dev/zero > /workspace/big",
  },
  {
    name: "20,000 empty files with 240-character names",
    category: "workspace",
    language: "shell",
    errors: ["WorkspaceLimitError"],
    mayPass: true,
    maxMs: 20_000,
    code: () =>
      `n=$(printf '%0240d' 0); i=0; while [ $i -lt 20000 ]; do : > "/workspace/$n$i"; i=$((i+1)); done; echo '"done"'`,
  },
];
