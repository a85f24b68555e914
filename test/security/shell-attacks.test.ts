/** Shell attacks against the default engine (process isolation). */
import { attackSuite } from "./security-engine.js";
import { shellAttacks } from "./shell-attacks.js";

attackSuite("shell steps stay inside (default isolation)", shellAttacks, undefined);
