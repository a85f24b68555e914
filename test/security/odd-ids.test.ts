/**
 * Ids that are also names of JavaScript's object machinery (`__proto__`, `constructor`,
 * `toString`, `hasOwnProperty`, ...) as step ids, `depends_on` entries, env names and
 * output keys: through the Lua, YAML and JSON loaders and the TypeScript builder, every
 * step stays a step (validate, graph, run report), dependencies resolve, inputs and env
 * reach the step. A property test over generated workflows, then real runs.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { LuaFactory } from "wasmoon";
import { createLuaWorkflowEvaluator } from "../../runtimes/lua/workflow-evaluator.js";
import { defineWorkflow, workflow } from "../../src/core/builder.js";
import { renderGraph } from "../../src/core/graph-render.js";
import { parseWorkflowSource } from "../../src/core/loaders/parse-source.js";
import type { WorkflowDefinition } from "../../src/core/workflow.js";
import { createEngine } from "../../src/node/create-engine.js";

/** Names JavaScript objects answer to without owning them, and a few other odd ones. */
const ODD = [
  ...Object.getOwnPropertyNames(Object.prototype),
  ...Object.getOwnPropertyNames(Function.prototype),
  "__proto__",
  "prototype",
  "then",
  "toJSON",
  "length",
  "_",
  "__",
].filter((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
const ODD_UNIQUE = [...new Set(ODD)];
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

const oddId = fc.oneof(fc.constantFrom(...ODD_UNIQUE), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/));

/** A DAG over distinct ids: each step may depend on earlier ones. */
const dagArb = fc
  .uniqueArray(oddId, { minLength: 1, maxLength: 8 })
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.tuple(...ids.map((_, i) => fc.subarray(ids.slice(0, i)))),
      fc.uniqueArray(fc.constantFrom(...ODD_UNIQUE), { maxLength: 4 }),
    ),
  )
  .map(([ids, deps, envNames]) => ({ ids, deps: deps as string[][], envNames }));

type Dag = { ids: string[]; deps: string[][]; envNames: string[] };
const CODE = "function run(inputs) return inputs end";

function asObject(dag: Dag): Record<string, unknown> {
  const steps: Record<string, unknown> = Object.create(null);
  const env: Record<string, string> = Object.create(null);
  for (const name of dag.envNames) env[name] = `v-${name}`;
  dag.ids.forEach((id, i) => {
    steps[id] = { language: "lua", code: CODE, depends_on: dag.deps[i], env };
  });
  return { name: "odd", steps };
}

const json = (dag: Dag) => JSON.stringify(asObject(dag));
const yaml = (dag: Dag) =>
  [
    "name: odd",
    "steps:",
    ...dag.ids.flatMap((id, i) => [
      `  ${id}:`,
      "    language: lua",
      `    code: ${JSON.stringify(CODE)}`,
      `    depends_on: [${(dag.deps[i] ?? []).join(", ")}]`,
      `    env: { ${dag.envNames.map((n) => `${n}: v-${n}`).join(", ")} }`,
    ]),
  ].join("\n");
const lua = (dag: Dag) =>
  `return { name = "odd", steps = {\n${dag.ids
    .map(
      (id, i) =>
        `  ["${id}"] = { language = "lua", code = ${JSON.stringify(CODE)}, depends_on = { ${(
          dag.deps[i] ?? []
        )
          .map((d) => `"${d}"`)
          .join(", ")} }, env = { ${dag.envNames.map((n) => `["${n}"] = "v-${n}"`).join(", ")} } },`,
    )
    .join("\n")}\n} }`;
function built(dag: Dag): WorkflowDefinition {
  const b = workflow("odd");
  const env: Record<string, string> = Object.create(null);
  for (const name of dag.envNames) env[name] = `v-${name}`;
  dag.ids.forEach((id, i) => {
    b.lua(id, CODE, { depends_on: dag.deps[i] ?? [], env });
  });
  return b.build();
}

const evaluator = createLuaWorkflowEvaluator(() => new LuaFactory());

function expectWhole(wf: WorkflowDefinition, dag: Dag): void {
  expect(wf.steps.map((s) => s.id).sort()).toEqual([...dag.ids].sort());
  for (const [i, id] of dag.ids.entries()) {
    const step = wf.steps.find((s) => s.id === id);
    expect(step?.dependsOn).toEqual(dag.deps[i]);
    expect(Object.keys(step?.env ?? {}).sort()).toEqual([...dag.envNames].sort());
    for (const name of dag.envNames) expect(Object.hasOwn(step?.env ?? {}, name)).toBe(true);
  }
  const graph = renderGraph(wf, "dot");
  for (const id of dag.ids) expect(graph).toContain(`"${id}"`);
}

describe("odd step ids, dependency names and env names", () => {
  it("survive YAML, JSON, Lua and the builder (property)", async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, async (dag) => {
        for (const [format, text] of [
          ["yaml", yaml(dag)],
          ["json", json(dag)],
          ["lua", lua(dag)],
        ] as const) {
          const r = await parseWorkflowSource(text, {
            format,
            luaEvaluator: evaluator,
            source: `odd.${format}`,
          });
          if (!r.ok) throw new Error(`${format}: ${r.error.message}\n${text}`);
          expectWhole(r.value, dag);
        }
        expectWhole(built(dag), dag);
        expectWhole(defineWorkflow(asObject(dag) as never), dag);
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_NAMES);
      }),
      {
        numRuns: 60,
        examples: [
          [
            {
              ids: ["__proto__", "constructor", "toString"],
              deps: [[], ["__proto__"], ["__proto__", "constructor"]],
              envNames: ["__proto__", "valueOf"],
            },
          ],
        ],
      },
    );
  }, 60_000);

  describe("run like any other step", () => {
    const engine = createEngine({ threads: 1, timeout: 20 });
    afterAll(() => engine.close());

    it.each(["lua", "python", "shell"] as const)(
      "in %s, with odd output keys and env names",
      async (language) => {
        const code = {
          lua: `function run(inputs) return { __proto__ = os.getenv("__proto__"), constructor = inputs.__proto__ } end`,
          python: `import os\ndef run(inputs):\n    return {"__proto__": os.environ["__proto__"], "constructor": inputs["__proto__"]}`,
          shell: `printf '{"__proto__":"%s","constructor":%s}' "$constructor" "$(parse_input __proto__)"`,
        }[language];
        const first = {
          lua: "function run() return { toString = 1 } end",
          python: "def run():\n    return {'toString': 1}",
          shell: `echo '{"toString":1}'`,
        }[language];
        const report = await engine.run(
          defineWorkflow({
            name: "odd",
            steps: {
              ["__proto__"]: { language, code: first },
              constructor: {
                language,
                code,
                depends_on: ["__proto__"],
                env: JSON.parse('{"__proto__":"env-proto","constructor":"env-ctor"}'),
              },
            } as never,
          }),
        );
        expect(Object.keys(report.steps).sort()).toEqual(["__proto__", "constructor"]);
        const step = (id: string) => report.steps[id];
        const proto = step("__proto__");
        expect(Object.hasOwn(report.steps, "__proto__")).toBe(true);
        expect(proto?.status, JSON.stringify(proto?.error)).toBe("succeeded");
        expect(proto?.output).toEqual({ toString: 1 });
        const ctor = step("constructor");
        expect(ctor?.status, JSON.stringify(ctor?.error)).toBe("succeeded");
        if (language !== "shell") {
          expect(JSON.stringify(ctor?.output)).toBe('{"__proto__":"env-proto","constructor":{"toString":1}}');
        } else
          expect(JSON.stringify(ctor?.output)).toBe('{"__proto__":"env-ctor","constructor":{"toString":1}}');
      },
      60_000,
    );
  });
});
