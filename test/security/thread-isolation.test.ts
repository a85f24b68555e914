/**
 * The representative subset (attacks flagged `thread: true`) with `isolation: "thread"`:
 * the workers run in this process, without the process-level fence, so only the in-worker
 * hardening and the interpreters' own sandboxes hold them.
 */
import type { Attack } from "./attack-runner.js";
import { luaAttacks } from "./lua-attacks.js";
import { pythonEscapeAttacks } from "./python-escape-attacks.js";
import { pythonLimitAttacks } from "./python-limit-attacks.js";
import { attackSuite } from "./security-engine.js";
import { shellAttacks } from "./shell-attacks.js";

const subset: Attack[] = [
  ...pythonEscapeAttacks,
  ...pythonLimitAttacks,
  ...luaAttacks,
  ...shellAttacks,
].filter((a) => a.thread);

attackSuite(`representative attacks with isolation: "thread" (${subset.length})`, subset, "thread");
