/**
 * The run workspace: each step sees the files its ancestors left under /tmp and
 * /workspace, applied in topological order; independent branches see nothing of each other.
 */
import { ancestorsOf, type DependencyMap } from "./dag.js";
import { applyChanges, type FileChanges, type FileTree, isEmptyChange } from "./file-tree.js";

const EMPTY_TREE: FileTree = Object.freeze({}) as FileTree;

/** Records each step's file changes and builds the view a step starts from. */
export class RunWorkspace {
  readonly #order: ReadonlyMap<string, number>;
  readonly #deps: DependencyMap;
  readonly #writers: { id: string; changes: FileChanges }[] = [];

  /** @param order each step's position in the topological order. */
  constructor(deps: DependencyMap, order: ReadonlyMap<string, number>) {
    this.#deps = deps;
    this.#order = order;
  }

  /** Stores what a succeeded step changed. */
  record(stepId: string, changes: FileChanges): void {
    if (isEmptyChange(changes)) return;
    this.#writers.push({ id: stepId, changes });
    this.#writers.sort((a, b) => (this.#order.get(a.id) ?? 0) - (this.#order.get(b.id) ?? 0));
  }

  /** The files `stepId` starts with. */
  viewFor(stepId: string): FileTree {
    if (this.#writers.length === 0) return EMPTY_TREE;
    const ancestors = ancestorsOf(stepId, this.#deps);
    const tree: FileTree = {};
    for (const w of this.#writers) if (ancestors.has(w.id)) applyChanges(tree, w.changes);
    return tree;
  }
}
