/**
 * Steps that try to drive the terminal through the CLI: set its title, clear the screen,
 * move the cursor, overwrite a line with `\r`, reorder text with a bidirectional override,
 * or send a one-byte CSI, through their logs, outputs, errors and the workflow's name, in
 * every language and in the plain and live progress displays and the summary. What reaches
 * the terminal shows the control characters as escapes instead.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { terminalSafe, terminalSafeLine } from "../../src/cli/terminal-safe.js";

const root = new URL("../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "sandflow-spoof-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a step may not make the terminal do, as the bytes that would do it. */
const FORBIDDEN: readonly [string, string][] = [
  ["BEL (ends an OSC title)", "\u0007"],
  ["OSC (terminal title, hyperlinks, clipboard)", "\u001b]"],
  ["clear screen", "\u001b[2J"],
  ["cursor home", "\u001b[H"],
  ["full reset", "\u001bc"],
  ["carriage return", "\r"],
  ["backspace", "\b"],
  ["one-byte CSI", "\u009b"],
  ["right-to-left override", "\u202e"],
  ["right-to-left isolate", "\u2067"],
  ["NUL", "\u0000"],
];

// Every language writes: a title, a clear, a cursor home, a CR and a fake success line, a
// C1 CSI, an RTL override; shell uses printf escapes, Python and Lua their string escapes.
const PY_PAYLOAD = String.raw`\x1b]0;pwned-title\x07\x1b[2J\x1b[H\x1bc\r\x08✔ all steps succeeded\x9b31m\u202eevil\u2067\x00`;
const LUA_PAYLOAD = String.raw`\27]0;pwned-title\7\27[2J\27[H\27c\r\8✔ all steps succeeded\u{9b}31m\u{202e}evil\u{2067}\0`;
const SH_PAYLOAD = String.raw`\033]0;pwned-title\007\033[2J\033[H\033c\r\010✔ all steps succeeded\302\23331m\342\200\256evil\342\201\247`;

const WORKFLOW = `
name: "spoof\\e]0;title-from-name\\a\\e[2J"
steps:
  py_log:
    language: python
    code: |
      def run():
          print("${PY_PAYLOAD}")
          import sys
          sys.stderr.write("${PY_PAYLOAD}\\n")
          return "${PY_PAYLOAD}"
  py_error:
    language: python
    code: |
      def run():
          raise ValueError("${PY_PAYLOAD}\\n${PY_PAYLOAD}")
  lua_log:
    language: lua
    code: |
      function run()
        print("${LUA_PAYLOAD}")
        return { ["${LUA_PAYLOAD}"] = "${LUA_PAYLOAD}" }
      end
  lua_error:
    language: lua
    code: |
      function run() error("${LUA_PAYLOAD}") end
  sh_log:
    language: shell
    code: |
      printf '${SH_PAYLOAD}\\n'
      printf '${SH_PAYLOAD}\\n' >&2
      printf '"%s"' "$(printf '${SH_PAYLOAD}')"
  sh_error:
    language: shell
    code: |
      printf '${SH_PAYLOAD}' >&2
      exit 3
`;

function sandflow(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/sandflow.js", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CONTROL = {
  test: (s: string) =>
    [...s].some((c) => {
      const n = c.codePointAt(0) ?? 0;
      return (
        n < 0x20 ||
        (n >= 0x7f && n <= 0x9f) ||
        [0x61c, 0x200e, 0x200f].includes(n) ||
        (n >= 0x202a && n <= 0x202e) ||
        (n >= 0x2066 && n <= 0x2069)
      );
    }),
};

describe("terminal spoofing through the CLI", () => {
  const file = join(dir, "spoof.yaml");
  writeFileSync(file, WORKFLOW);

  it.each(["plain", "live"])(
    "--progress %s and the summary show control characters as escapes",
    (mode) => {
      const r = sandflow("run", file, "--progress", mode, "--threads", "2");
      expect(r.code, r.stderr).toBe(1);
      // The payloads were shown, escaped: in logs, outputs and errors of all three languages.
      const all = r.stdout + r.stderr;
      expect(all).toMatch(/py_log \S \\e]0;pwned-title\\x07/);
      expect(all).toMatch(/sh_log \S \\e]0;pwned-title\\x07/);
      expect(all).toMatch(/lua_log \S \\e]0;pwned-title\\x07/);
      expect(r.stdout).toContain("\\e]0;title-from-name");
      expect(r.stdout).toContain("\\u202eevil");
      for (const [what, bytes] of FORBIDDEN) {
        expect(r.stdout.includes(bytes), `stdout holds ${what}`).toBe(false);
        // The live display moves its own cursor (ESC [ ... sequences); none of these.
        expect(r.stderr.includes(bytes), `stderr holds ${what}`).toBe(false);
      }
      if (mode === "plain") expect(r.stderr.includes("\u001b"), "plain stderr holds ESC").toBe(false);
      expect(r.stdout.includes("\u001b"), "the summary holds ESC").toBe(false);
    },
    120_000,
  );

  it("validate and load errors show the workflow's own text escaped", () => {
    const lua = join(dir, "spoof.lua");
    writeFileSync(lua, `error("\\27]0;pwned-title\\7\\27[2J\\r\\u{9b}31m fake")`);
    const named = join(dir, "named.yaml");
    writeFileSync(
      named,
      WORKFLOW.replace(/^steps:[\s\S]*$/m, "steps:\n  a:\n    code: 'function run() return 1 end'\n"),
    );
    for (const r of [sandflow("validate", lua), sandflow("run", lua), sandflow("validate", named)]) {
      for (const [what, bytes] of FORBIDDEN) {
        expect(r.stdout.includes(bytes), `stdout holds ${what}`).toBe(false);
        expect(r.stderr.includes(bytes), `stderr holds ${what}`).toBe(false);
      }
      expect(r.stdout + r.stderr).toMatch(/\\e]0;(pwned-title|title-from-name)/);
    }
  }, 60_000);

  it("terminalSafe leaves no control character but newline and tab (property)", () => {
    const unsafe = (s: string) => [...s].some((c) => FORBIDDEN.some(([, b]) => b.length === 1 && b === c));
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        const safe = terminalSafe(s);
        const line = terminalSafeLine(s);
        for (const out of [safe, line]) {
          expect(unsafe(out)).toBe(false);
          for (const c of out) {
            const code = c.codePointAt(0) ?? 0;
            if (code < 0x20) expect(c === "\n" || c === "\t").toBe(true);
            expect(code >= 0x7f && code <= 0x9f).toBe(false);
          }
        }
        expect(line.includes("\n")).toBe(false);
        // Plain text is untouched.
        if (!CONTROL.test(s)) {
          expect(safe).toBe(s);
          expect(line).toBe(s);
        }
      }),
      { numRuns: 500 },
    );
  });
});
