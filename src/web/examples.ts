/**
 * The workflows the playground offers, bundled as text at build time: the examples in
 * workflows/ and the conformance suite (the same files the Node and Chromium tests run).
 */

/** One workflow file to pick. */
export interface Example {
  /** File name, e.g. `diamond.lua`. */
  readonly name: string;
  readonly group: "examples" | "conformance";
  readonly text: string;
}

// Vite reads these calls statically: the options must be written inline.
const examples = import.meta.glob<string>("../../workflows/*.{lua,yaml,yml,json}", {
  query: "?raw",
  import: "default",
  eager: true,
});
const conformance = import.meta.glob<string>("../../test/conformance/workflows/*.{lua,yaml,yml,json}", {
  query: "?raw",
  import: "default",
  eager: true,
});

// The sub-workflows the examples run from files (workflows/sub/), keyed as a step names them.
const children = import.meta.glob<string>("../../workflows/sub/*.{lua,yaml,yml,json}", {
  query: "?raw",
  import: "default",
  eager: true,
});

/** The text of a bundled sub-workflow file by its path from workflows/ (`sub/order.yaml`), if there is one. */
export function exampleFile(key: string): string | undefined {
  const path = `../../workflows/${key}`;
  return Object.hasOwn(children, path) ? children[path] : undefined;
}

/** The example the page opens with and runs first: the README's demo. */
const FIRST = "diamond.lua";

function list(files: Record<string, string>, group: Example["group"]): Example[] {
  const rank = (e: Example) => (e.name === FIRST ? 0 : 1);
  return Object.entries(files)
    .map(([path, text]) => ({ name: path.split("/").pop() ?? path, group, text }))
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** Every bundled workflow, examples first. */
export const EXAMPLES: readonly Example[] = [
  ...list(examples, "examples"),
  ...list(conformance, "conformance"),
];
