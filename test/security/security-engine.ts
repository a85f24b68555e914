/**
 * The engine the security tests attack: the real `createEngine()` with small limits, so
 * bombs are cheap, and a vitest suite builder that runs an attack table against it.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Engine } from "../../src/core/engine.js";
import { createEngine } from "../../src/node/create-engine.js";
import { type Attack, assertContained, describeStep, runAttack } from "./attack-runner.js";
import { createSecurityEnv, type SecurityEnv } from "./security-env.js";

/** Limits of the engine under attack. */
export const SECURITY_LIMITS = {
  threads: 2,
  timeout: 20,
  memory: 256,
  outputLimit: 64 * 1024,
  resultLimit: 256 * 1024,
  processLimit: 16,
  workspaceLimit: 4 * 1024 * 1024,
} as const;

/** Set SECURITY_SHOW_HOLES=1 to run known holes as plain tests and see how they fail. */
export const SHOW_HOLES = process.env.SECURITY_SHOW_HOLES === "1";

/** Where the engine's workers run. `undefined`: the default (process isolation). */
export type Isolation = "process" | "thread" | undefined;

/** The engine under attack. */
export function securityEngine(isolation: Isolation, threads: number = SECURITY_LIMITS.threads): Engine {
  return createEngine({ ...SECURITY_LIMITS, threads, ...(isolation ? { isolation } : {}) });
}

/**
 * Declares one vitest suite running `attacks` against one shared engine. Known holes are
 * `it.fails`: they start failing (and must be flipped) once the hole is fixed.
 */
export function attackSuite(title: string, attacks: readonly Attack[], isolation: Isolation): void {
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
