/**
 * Where in a workflow's text each problem is, so the editor can mark it at its line: a
 * validation issue's path (`steps.fetch.depends_on[0]`) is looked up in the YAML/JSON
 * document; Lua files are searched for the step's key; load errors carry a line number.
 */
import { isNode, parseDocument } from "yaml";
import type { WorkflowFormat } from "../core/loaders/parse-source.js";

/** A problem placed in the text: character offsets `from`..`to`. */
export interface PlacedProblem {
  readonly from: number;
  readonly to: number;
  readonly message: string;
}

/** One problem as the engine reports it. */
export interface Problem {
  readonly path?: string;
  readonly message: string;
}

/** `steps.a.depends_on[0]` / `steps["odd id"]` -> its keys. */
export function pathKeys(path: string): (string | number)[] {
  const keys: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) keys.push(m[1]);
    else if (m[2] !== undefined) keys.push(Number(m[2]));
    else if (m[3] !== undefined) keys.push(JSON.parse(m[3]) as string);
  }
  return keys;
}

function lineRange(text: string, line: number): { from: number; to: number } {
  const lines = text.split("\n");
  let n = Math.min(Math.max(1, line), lines.length);
  // An error at the end of the text (often past a last empty line) marks the last line with text.
  while (n > 1 && (lines[n - 1] as string).trim() === "") n--;
  let from = 0;
  for (let i = 0; i < n - 1; i++) from += (lines[i] as string).length + 1;
  return { from, to: from + (lines[n - 1] as string).length };
}

function yamlPlace(
  text: string,
  keys: readonly (string | number)[],
): { from: number; to: number } | undefined {
  const doc = parseDocument(text, { keepSourceTokens: false, uniqueKeys: false });
  // The deepest node on the path that exists (a missing key points at its parent).
  for (let n = keys.length; n > 0; n--) {
    const node = doc.getIn(keys.slice(0, n), true);
    if (isNode(node) && node.range) return { from: node.range[0], to: node.range[1] };
    // A key whose value is empty or null: mark the key itself.
    const parent = doc.getIn(keys.slice(0, n - 1), true) as { items?: { key: unknown }[] } | undefined;
    const pair = parent?.items?.find(
      (p) => isNode(p.key) && (p.key as { value?: unknown }).value === keys[n - 1],
    );
    if (pair && isNode(pair.key) && pair.key.range) return { from: pair.key.range[0], to: pair.key.range[1] };
  }
  return undefined;
}

function luaPlace(
  text: string,
  keys: readonly (string | number)[],
): { from: number; to: number } | undefined {
  for (let n = keys.length; n > 0; n--) {
    const key = String(keys[n - 1]);
    const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const m = new RegExp(`(\\[\\s*["']${escaped}["']\\s*\\]|\\b${escaped}\\b)\\s*=`).exec(text);
    if (m) return { from: m.index, to: m.index + (m[1] as string).length };
  }
  return undefined;
}

/** Places each problem of `text` (in `format`); problems without a known place go on line 1. */
export function placeProblems(
  text: string,
  format: WorkflowFormat,
  problems: readonly Problem[],
): PlacedProblem[] {
  return problems.map((p) => {
    const line = /line (\d+)/.exec(p.message)?.[1] ?? /\]:(\d+):/.exec(p.message)?.[1];
    let place: { from: number; to: number } | undefined;
    if (p.path) {
      const keys = pathKeys(p.path);
      try {
        place = format === "lua" ? luaPlace(text, keys) : yamlPlace(text, keys);
      } catch {
        place = undefined;
      }
    }
    place ??= lineRange(text, line ? Number(line) : 1);
    const where = p.path ? `${p.path}: ` : "";
    return { ...place, message: `${where}${p.message}` };
  });
}
