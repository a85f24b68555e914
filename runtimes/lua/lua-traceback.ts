/**
 * Lua error messages as the step's author should see them: the message, then only the
 * traceback lines of the step's own code (as Python errors show only the step's frames).
 * The engine's frames go: the sandbox's bootstrap chunk (`sandflow-bootstrap`), C
 * functions (`[C]: in upvalue 'xpcall'`, `[C]: in function 'error'`) and the `(...tail
 * calls...)` markers, which point at frames that are no longer there.
 */

const TRACEBACK_HEADER = "stack traceback:";

function isEngineFrame(line: string): boolean {
  const frame = line.trim();
  return frame.startsWith("[C]:") || frame.includes('"sandflow-bootstrap"') || frame === "(...tail calls...)";
}

/** `message` (a Lua error with `debug.traceback`'s trace) with only the step's own frames. */
export function stepTraceback(message: string): string {
  const at = message.indexOf(`\n${TRACEBACK_HEADER}\n`);
  if (at < 0) return message;
  const frames = message
    .slice(at + TRACEBACK_HEADER.length + 2)
    .split("\n")
    .filter((line) => line.trim() !== "" && !isEngineFrame(line));
  const head = message.slice(0, at);
  return frames.length > 0 ? `${head}\n${TRACEBACK_HEADER}\n${frames.join("\n")}` : head;
}
