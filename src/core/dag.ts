/**
 * Graph checks and orders over step dependencies: unknown dependencies, cycles (named
 * step by step), topological order and ancestor sets.
 */
import type { ValidationIssue } from "./errors.js";
import { didYouMean } from "./suggest.js";

/** Dependencies of each step, by id. */
export type DependencyMap = ReadonlyMap<string, readonly string[]>;

/** Problems with dependencies: unknown ids, self-dependencies, repeats. */
export function dependencyIssues(deps: DependencyMap): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [id, list] of deps) {
    const seen = new Set<string>();
    list.forEach((dep, i) => {
      const path = `steps.${id}.depends_on[${i}]`;
      if (dep === id) issues.push({ path, message: `step '${id}' depends on itself` });
      else if (!deps.has(dep)) {
        issues.push({
          path,
          message: `step '${id}' depends on '${dep}', which is not a step of this workflow${didYouMean(dep, deps.keys())}`,
        });
      } else if (seen.has(dep)) issues.push({ path, message: `step '${id}' lists '${dep}' twice` });
      seen.add(dep);
    });
  }
  return issues;
}

/**
 * Every dependency cycle, each as the list of steps around it (first step repeated at the
 * end), found with Tarjan's strongly connected components. Unknown dependencies are ignored.
 */
export function findCycles(deps: DependencyMap): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  const ids = [...deps.keys()].sort();
  for (const root of ids) {
    if (index.has(root)) continue;
    // Iterative DFS: workflows may be 100k steps deep.
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; next: number };
      const children = deps.get(frame.id) ?? [];
      if (frame.next < children.length) {
        const child = children[frame.next++] as string;
        if (!deps.has(child) || child === frame.id) continue;
        if (!index.has(child)) {
          index.set(child, counter);
          low.set(child, counter++);
          stack.push(child);
          onStack.add(child);
          work.push({ id: child, next: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(child) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        if (component.length > 1) cycles.push(cyclePath(component, deps));
      }
    }
  }
  return cycles;
}

/** Walks one concrete cycle through a strongly connected component, starting at its smallest id. */
function cyclePath(component: string[], deps: DependencyMap): string[] {
  const members = new Set(component);
  const start = [...members].sort()[0] as string;
  const path = [start];
  const visited = new Set([start]);
  let current = start;
  for (;;) {
    const next = (deps.get(current) ?? []).filter((d) => members.has(d));
    const back = next.find((d) => d === start);
    const fresh = next.filter((d) => !visited.has(d)).sort()[0];
    if (fresh !== undefined && !(back !== undefined && path.length === members.size)) {
      path.push(fresh);
      visited.add(fresh);
      current = fresh;
    } else {
      path.push(start);
      return path;
    }
  }
}

/**
 * A topological order (dependencies first): Kahn's algorithm, linear in steps and edges.
 * Deterministic: roots in id order, then steps in the order they become ready.
 */
export function topologicalOrder(deps: DependencyMap): string[] {
  const remaining = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [id, list] of deps) {
    let known = 0;
    for (const d of list) {
      if (!deps.has(d)) continue;
      known++;
      const children = dependents.get(d);
      if (children) children.push(id);
      else dependents.set(d, [id]);
    }
    remaining.set(id, known);
  }
  const order = [...remaining].filter(([, n]) => n === 0).map(([id]) => id);
  order.sort();
  for (let head = 0; head < order.length; head++) {
    for (const child of dependents.get(order[head] as string) ?? []) {
      const left = (remaining.get(child) as number) - 1;
      remaining.set(child, left);
      if (left === 0) order.push(child);
    }
  }
  return order;
}

/** Every step `id` depends on, directly or not. */
export function ancestorsOf(id: string, deps: DependencyMap): Set<string> {
  const seen = new Set<string>();
  const todo = [...(deps.get(id) ?? [])];
  while (todo.length > 0) {
    const next = todo.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(deps.get(next) ?? []));
  }
  return seen;
}

/** Every step that depends on `id`, directly or not. */
export function descendantsOf(id: string, deps: DependencyMap): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const [child, list] of deps)
    for (const d of list) {
      const children = dependents.get(d);
      if (children) children.push(child);
      else dependents.set(d, [child]);
    }
  return ancestorsOf(id, dependents);
}
