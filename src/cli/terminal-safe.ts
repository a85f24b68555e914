/**
 * Text a step produced (logs, outputs, errors) or a workflow file chose (step ids, names),
 * made safe to print on a terminal: control characters are shown as escapes instead of
 * being obeyed, so a step cannot set the terminal title, move the cursor, clear the
 * screen, overwrite a line with `\r` or reorder text with bidirectional overrides to fake
 * what the CLI says. Every human display of the CLI passes such text through here.
 */

// C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI on some
// terminals), and the invisible bidirectional marks and overrides (U+061C, U+200E/F,
// U+202A-E, U+2066-9). Newline is handled by the callers' choice below.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_OR_NEWLINE = new RegExp(`${UNSAFE.source.slice(0, -1)}\\n]`, "g");

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  if (c === "\n") return "\\n";
  if (c === "\r") return "\\r";
  if (c === "\u001b") return "\\e";
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** `text` with its control characters escaped; newlines and tabs kept (for logs and multi-line messages). */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** `text` on one line: control characters, newlines included, escaped (for ids, names, first lines). */
export function terminalSafeLine(text: string): string {
  return text.replace(UNSAFE_OR_NEWLINE, escapeChar);
}
