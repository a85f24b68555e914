/** Python attacks against the default engine (process isolation). */

import { pythonEscapeAttacks } from "./python-escape-attacks.js";
import { pythonLimitAttacks } from "./python-limit-attacks.js";
import { attackSuite } from "./security-engine.js";

attackSuite(
  "Python steps stay inside (default isolation)",
  [...pythonEscapeAttacks, ...pythonLimitAttacks],
  undefined,
);
