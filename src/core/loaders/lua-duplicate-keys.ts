/**
 * Finds step ids given twice in a Lua workflow file. Lua keeps the last of duplicate
 * table keys silently, so the evaluated table cannot show them: this scans the source's
 * tokens for the `steps = { ... }` constructor and reports repeated keys with their lines.
 */
import type { ValidationIssue } from "../errors.js";

interface Token {
  readonly kind: "name" | "string" | "symbol" | "other";
  readonly text: string;
  readonly line: number;
}

function longBracketEnd(src: string, at: number): { level: number; end: number } | undefined {
  const m = /^\[(=*)\[/.exec(src.slice(at, at + 64));
  if (!m) return undefined;
  const close = `]${m[1]}]`;
  const end = src.indexOf(close, at + m[0].length);
  return { level: (m[1] ?? "").length, end: end < 0 ? src.length : end + close.length };
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const advance = (to: number) => {
    for (let k = i; k < to; k++) if (src.charCodeAt(k) === 10) line++;
    i = to;
  };
  while (i < src.length) {
    const c = src[i] as string;
    if (c === "\n" || c === " " || c === "\t" || c === "\r") advance(i + 1);
    else if (src.startsWith("--", i)) {
      const long = src[i + 2] === "[" ? longBracketEnd(src, i + 2) : undefined;
      const nl = src.indexOf("\n", i);
      advance(long ? long.end : nl < 0 ? src.length : nl);
    } else if (c === "[" && longBracketEnd(src, i)) {
      const start = i;
      const startLine = line;
      advance((longBracketEnd(src, i) as { end: number }).end);
      tokens.push({ kind: "string", text: src.slice(start, i), line: startLine });
    } else if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < src.length && src[k] !== c && src[k] !== "\n") k += src[k] === "\\" ? 2 : 1;
      const startLine = line;
      const raw = src.slice(i + 1, k);
      advance(Math.min(k + 1, src.length));
      tokens.push({ kind: "string", text: raw, line: startLine });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 256)) as RegExpExecArray;
      tokens.push({ kind: "name", text: m[0], line });
      advance(i + m[0].length);
    } else if ("{}[]=,;".includes(c)) {
      tokens.push({ kind: "symbol", text: c, line });
      advance(i + (c === "=" && src[i + 1] === "=" ? 2 : 1));
    } else {
      tokens.push({ kind: "other", text: c, line });
      advance(i + 1);
    }
  }
  return tokens;
}

/** Issues for every step id that appears twice in a `steps = { ... }` table of the source (one pass over the tokens). */
export function duplicateLuaStepIds(src: string): ValidationIssue[] {
  const tokens = tokenize(src);
  const issues: ValidationIssue[] = [];
  // One frame per open brace; frames of `steps = {` tables collect their keys.
  const frames: (Map<string, number> | undefined)[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k] as Token;
    if (tok.kind === "symbol" && tok.text === "{") {
      const isSteps =
        tokens[k - 1]?.text === "=" && tokens[k - 2]?.kind === "name" && tokens[k - 2]?.text === "steps";
      frames.push(isSteps ? new Map() : undefined);
      continue;
    }
    if (tok.kind === "symbol" && tok.text === "}") {
      frames.pop();
      continue;
    }
    const seen = frames[frames.length - 1];
    if (!seen) continue;
    const prev = tokens[k - 1];
    if (!(prev?.kind === "symbol" && (prev.text === "{" || prev.text === "," || prev.text === ";"))) continue;
    let key: string | undefined;
    if (tok.kind === "name" && tokens[k + 1]?.text === "=") key = tok.text;
    else if (tok.text === "[" && tokens[k + 1]?.kind === "string" && tokens[k + 2]?.text === "]")
      key = tokens[k + 1]?.text;
    if (key === undefined) continue;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({
        path: `steps.${key}`,
        message: `duplicate step id '${key}' (lines ${first} and ${tok.line}); Lua keeps only the last one`,
      });
    } else seen.set(key, tok.line);
  }
  return issues;
}
