/**
 * A queue that hands out the highest priority first and, among equals, the oldest (a
 * binary heap ordered by priority, then by arrival). Used where steps compete: for the
 * run's concurrency slots and, across runs, for the engine's workers.
 */
interface Entry<T> {
  readonly item: T;
  readonly priority: number;
  readonly seq: number;
}

/** Highest priority first; first in, first out among equals. */
export class PriorityQueue<T> {
  readonly #heap: Entry<T>[] = [];
  readonly #priorityOf: (item: T) => number;
  #seq = 0;

  constructor(priorityOf: (item: T) => number) {
    this.#priorityOf = priorityOf;
  }

  /** Items waiting. */
  get size(): number {
    return this.#heap.length;
  }

  push(item: T): void {
    const heap = this.#heap;
    heap.push({ item, priority: this.#priorityOf(item), seq: this.#seq++ });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Takes the first item. */
  shift(): T | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (!top) return undefined;
    const last = heap.pop() as Entry<T>;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < heap.length && this.#before(l, best)) best = l;
        if (r < heap.length && this.#before(r, best)) best = r;
        if (best === i) break;
        this.#swap(i, best);
        i = best;
      }
    }
    return top.item;
  }

  #before(a: number, b: number): boolean {
    const x = this.#heap[a] as Entry<T>;
    const y = this.#heap[b] as Entry<T>;
    return x.priority !== y.priority ? x.priority > y.priority : x.seq < y.seq;
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    [heap[a], heap[b]] = [heap[b] as Entry<T>, heap[a] as Entry<T>];
  }
}
