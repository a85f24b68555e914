import { describe, expect, it } from "vitest";
import { layoutDag, NODE } from "../../src/web/dag-layout.js";

describe("layoutDag", () => {
  const diamond = [
    { id: "report", dependsOn: ["stats", "sorted"] },
    { id: "fetch", dependsOn: [] },
    { id: "stats", dependsOn: ["fetch"] },
    { id: "sorted", dependsOn: ["fetch"] },
  ];

  it("puts each step one layer after its deepest dependency", () => {
    const layout = layoutDag(diamond);
    const layer = (id: string) => layout.nodes.get(id)?.layer;
    expect([layer("fetch"), layer("stats"), layer("sorted"), layer("report")]).toEqual([0, 1, 1, 2]);
    expect(layout.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual([
      "fetch>sorted",
      "fetch>stats",
      "sorted>report",
      "stats>report",
    ]);
  });

  it("never overlaps two nodes and keeps them inside the drawing", () => {
    const steps = Array.from({ length: 30 }, (_, i) => ({
      id: `s${i}`,
      dependsOn: i === 0 ? [] : [`s${Math.floor((i - 1) / 3)}`],
    }));
    const layout = layoutDag(steps);
    const boxes = [...layout.nodes.values()];
    for (const a of boxes) {
      expect(a.x + NODE.width).toBeLessThanOrEqual(layout.width);
      expect(a.y + NODE.height).toBeLessThanOrEqual(layout.height);
      for (const b of boxes) {
        if (a === b) continue;
        const apart =
          a.x + NODE.width <= b.x ||
          b.x + NODE.width <= a.x ||
          a.y + NODE.height <= b.y ||
          b.y + NODE.height <= a.y;
        expect(apart, `${a.id} and ${b.id}`).toBe(true);
      }
    }
  });

  it("draws a cycle and unknown dependencies without throwing", () => {
    const layout = layoutDag([
      { id: "a", dependsOn: ["b", "ghost"] },
      { id: "b", dependsOn: ["a"] },
    ]);
    expect(layout.nodes.size).toBe(2);
  });
});
