/** Lua attacks against the default engine (process isolation). */
import { luaAttacks } from "./lua-attacks.js";
import { attackSuite } from "./security-engine.js";

attackSuite("Lua steps stay inside (default isolation)", luaAttacks, undefined);
