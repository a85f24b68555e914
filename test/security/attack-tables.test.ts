/**
 * The attack tables against the real engine: every Python, Lua, shell, JavaScript and WebAssembly attack with the
 * default isolation (a fenced child process), and the representative subset (attacks
 * flagged `thread: true`) with `isolation: "thread"`, where only the in-worker hardening
 * and the interpreters' own sandboxes hold them. One engine per suite; known holes are
 * `it.fails` (SECURITY_SHOW_HOLES=1 runs them as plain tests to show how they fail).
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Engine } from "../../src/core/engine.js";
import {
  type Attack,
  assertContained,
  describeStep,
  type Isolation,
  runAttack,
  SHOW_HOLES,
  securityEngine,
} from "./attack-runner.js";
import { jsAttacks } from "./js-attacks.js";
import { luaEscapeAttacks } from "./lua-escape-attacks.js";
import { luaLimitAttacks } from "./lua-limit-attacks.js";
import { memoryPathAttacks } from "./memory-path-attacks.js";
import { pythonEscapeAttacks } from "./python-escape-attacks.js";
import { pythonLimitAttacks } from "./python-limit-attacks.js";
import { createSecurityEnv, type SecurityEnv } from "./security-env.js";
import { shellAttacks } from "./shell-attacks.js";
import { wasmAttacks } from "./wasm-attacks.js";
import { workspaceLinkAttacks } from "./workspace-link-attacks.js";

/**
 * Declares one vitest suite running `attacks` against one shared engine. Known holes are
 * `it.fails`: they start failing (and must be flipped) once the hole is fixed.
 */
function attackSuite(title: string, attacks: readonly Attack[], isolation: Isolation): void {
  describe(title, () => {
    let engine: Engine;
    let env: SecurityEnv;
    beforeAll(async () => {
      env = await createSecurityEnv();
      engine = securityEngine(isolation);
    });
    afterAll(async () => {
      await engine?.close();
      await env?.close();
    });
    for (const attack of attacks) {
      const title = `[${attack.category}] ${attack.name}`;
      const body = async () => {
        const result = await runAttack(engine, env, attack);
        try {
          assertContained(env, attack, result);
        } catch (e) {
          (e as Error).message += `\n  attack step: ${describeStep(result.step)}`;
          throw e;
        }
      };
      if (attack.hole && !SHOW_HOLES) it.fails(`${title} (HOLE: ${attack.hole})`, body, 60_000);
      else it(title, body, 60_000);
    }
  });
}

const python = [...pythonEscapeAttacks, ...pythonLimitAttacks];
const lua = [...luaEscapeAttacks, ...luaLimitAttacks];
const all: Attack[] = [
  ...python,
  ...lua,
  ...shellAttacks,
  ...memoryPathAttacks,
  ...jsAttacks,
  ...wasmAttacks,
];

attackSuite(`Python steps stay inside (${python.length})`, python, undefined);
attackSuite(`Lua steps stay inside (${lua.length})`, lua, undefined);
attackSuite(`shell steps stay inside (${shellAttacks.length})`, shellAttacks, undefined);
attackSuite(`JavaScript steps stay inside (${jsAttacks.length})`, jsAttacks, undefined);
attackSuite(`WebAssembly steps stay inside (${wasmAttacks.length})`, wasmAttacks, undefined);
attackSuite(
  `memory outside the wasm memory is watched (${memoryPathAttacks.length})`,
  memoryPathAttacks,
  undefined,
);
attackSuite(
  `links stay out of workspace snapshots (${workspaceLinkAttacks.length})`,
  workspaceLinkAttacks,
  undefined,
);
attackSuite(
  `representative attacks with isolation: "thread" (${all.filter((a) => a.thread).length})`,
  all.filter((a) => a.thread),
  "thread",
);
