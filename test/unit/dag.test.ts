import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ancestorsOf, findCycles, topologicalOrder } from "../../src/core/dag.js";

const deps = (o: Record<string, string[]>) => new Map(Object.entries(o));

describe("dag", () => {
  it("orders dependencies first, ties by id", () => {
    expect(topologicalOrder(deps({ c: ["a"], b: ["a"], a: [], d: ["b", "c"] }))).toEqual([
      "a",
      "c",
      "b",
      "d",
    ]);
  });

  it("finds every cycle and walks it", () => {
    expect(findCycles(deps({ a: ["b"], b: ["a"], c: ["d"], d: ["e"], e: ["c"], f: [] }))).toEqual([
      ["a", "b", "a"],
      ["c", "d", "e", "c"],
    ]);
  });

  it("handles a 100,000-step chain without recursion", () => {
    const chain = new Map<string, string[]>();
    for (let i = 0; i < 100_000; i++) chain.set(`s${i}`, i === 0 ? [] : [`s${i - 1}`]);
    expect(findCycles(chain)).toEqual([]);
    expect(topologicalOrder(chain).length).toBe(100_000);
    chain.set("s0", ["s99999"]);
    expect(findCycles(chain)[0]?.length).toBe(100_001);
  });

  it("property: a random DAG has no cycles and its order respects every edge", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: 1, maxLength: 60 }), (raw) => {
        const graph = new Map(raw.map((ds, i) => [`n${i}`, ds.filter((d) => d < i).map((d) => `n${d}`)]));
        expect(findCycles(graph)).toEqual([]);
        const order = topologicalOrder(graph);
        expect(new Set(order).size).toBe(graph.size);
        const pos = new Map(order.map((id, i) => [id, i]));
        for (const [id, ds] of graph)
          for (const d of ds) expect(pos.get(d) as number).toBeLessThan(pos.get(id) as number);
        for (const [id] of graph)
          for (const a of ancestorsOf(id, graph))
            expect(pos.get(a) as number).toBeLessThan(pos.get(id) as number);
      }),
    );
  });

  it("property: adding a back edge makes a cycle that is reported", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 30 }), fc.nat(), (n, k) => {
        const graph = new Map(Array.from({ length: n }, (_, i) => [`n${i}`, i === 0 ? [] : [`n${i - 1}`]]));
        const from = k % n;
        graph.set("n0", [`n${from}`]);
        const cycles = findCycles(graph);
        if (from === 0) expect(cycles).toEqual([]);
        else
          expect(cycles[0]).toEqual(["n0", ...Array.from({ length: from }, (_, i) => `n${from - i}`), "n0"]);
      }),
    );
  });
});
