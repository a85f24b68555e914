/** A first-in first-out queue with O(1) take, for queues of many thousand items. */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  /** Items waiting. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Adds at the back. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Puts items back at the front, in order (they are taken next). */
  unshift(items: readonly T[]): void {
    this.#items.splice(this.#head, 0, ...items);
  }

  /** The front item without taking it. */
  peek(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  /** Takes the front item. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++] as T;
    // Drop the taken part now and then, so a long-lived queue does not grow forever.
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Takes every item. */
  drain(): T[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return items;
  }
}
