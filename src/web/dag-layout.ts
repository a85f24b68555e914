/**
 * A layered (Sugiyama-style) layout of a workflow's DAG, left to right: each step's layer
 * is the longest path from a root, steps within a layer are ordered by the barycenter of
 * their neighbours (a few sweeps, fewer crossings), edges are cubic curves.
 */

/** A step as the layout sees it. */
export interface LayoutInput {
  readonly id: string;
  readonly dependsOn: readonly string[];
}

/** A placed node: top-left corner and size. */
export interface PlacedNode {
  readonly id: string;
  readonly layer: number;
  readonly x: number;
  readonly y: number;
}

/** A drawn edge: an SVG path from a dependency to its dependent. */
export interface PlacedEdge {
  readonly from: string;
  readonly to: string;
  readonly path: string;
}

/** The layout of a whole graph. */
export interface Layout {
  readonly width: number;
  readonly height: number;
  readonly nodes: ReadonlyMap<string, PlacedNode>;
  readonly edges: readonly PlacedEdge[];
}

/** Node size and spacing, in SVG units. */
export const NODE = { width: 180, height: 60, gapX: 60, gapY: 20, margin: 16 } as const;

const SWEEPS = 4;

function layersOf(steps: readonly LayoutInput[]): Map<string, number> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle: validation reports it; draw it anyway
    visiting.add(id);
    const deps = byId.get(id)?.dependsOn.filter((d) => byId.has(d)) ?? [];
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(visit));
    visiting.delete(id);
    layer.set(id, value);
    return value;
  };
  for (const s of steps) visit(s.id);
  return layer;
}

function mean(values: number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

function reorder(row: string[], score: (id: string) => number | undefined): void {
  const keyed = row.map((id, i) => ({ id, key: score(id) ?? i }));
  keyed.sort((a, b) => a.key - b.key);
  keyed.forEach((k, i) => {
    row[i] = k.id;
  });
}

/** Lays out `steps` (in any order; unknown dependencies are ignored). */
export function layoutDag(steps: readonly LayoutInput[]): Layout {
  const layer = layersOf(steps);
  const depth = Math.max(0, ...layer.values()) + 1;
  const rows: string[][] = Array.from({ length: depth }, () => []);
  for (const s of steps) rows[layer.get(s.id) ?? 0]?.push(s.id);
  const deps = new Map(steps.map((s) => [s.id, s.dependsOn.filter((d) => layer.has(d))]));
  const dependents = new Map<string, string[]>(steps.map((s) => [s.id, []]));
  for (const [id, ds] of deps) for (const d of ds) dependents.get(d)?.push(id);
  const position = new Map<string, number>();
  const place = (row: string[]) => {
    row.forEach((id, i) => {
      position.set(id, i / Math.max(1, row.length - 1));
    });
  };
  for (const row of rows) place(row);
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? rows.slice(1) : rows.slice(0, -1).reverse();
    for (const row of order) {
      const neighbours = down ? deps : dependents;
      reorder(row, (id) => mean((neighbours.get(id) ?? []).map((n) => position.get(n) ?? 0)));
      place(row);
    }
  }
  const tallest = Math.max(1, ...rows.map((r) => r.length));
  const height = NODE.margin * 2 + tallest * NODE.height + (tallest - 1) * NODE.gapY;
  const width = NODE.margin * 2 + depth * NODE.width + (depth - 1) * NODE.gapX;
  const nodes = new Map<string, PlacedNode>();
  rows.forEach((row, l) => {
    const rowHeight = row.length * NODE.height + (row.length - 1) * NODE.gapY;
    const top = (height - rowHeight) / 2;
    row.forEach((id, i) => {
      nodes.set(id, {
        id,
        layer: l,
        x: NODE.margin + l * (NODE.width + NODE.gapX),
        y: top + i * (NODE.height + NODE.gapY),
      });
    });
  });
  const edges: PlacedEdge[] = [];
  for (const [to, ds] of deps) {
    const b = nodes.get(to);
    for (const from of ds) {
      const a = nodes.get(from);
      if (!a || !b) continue;
      const x1 = a.x + NODE.width;
      const y1 = a.y + NODE.height / 2;
      const x2 = b.x;
      const y2 = b.y + NODE.height / 2;
      const bend = Math.max(24, (x2 - x1) / 2);
      edges.push({ from, to, path: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}` });
    }
  }
  return { width, height, nodes, edges };
}
