/** An unbounded single-consumer queue that is also an async iterable, closed once. */
export class Channel<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #head = 0;
  #waiting: ((r: IteratorResult<T>) => void) | undefined;
  #closed = false;

  /** Adds an item (ignored after {@link close}). */
  push(item: T): void {
    if (this.#closed) return;
    const waiter = this.#waiting;
    if (waiter) {
      this.#waiting = undefined;
      waiter({ value: item, done: false });
    } else this.#items.push(item);
  }

  /** Ends the iteration after the items already queued. */
  close(): void {
    this.#closed = true;
    const waiter = this.#waiting;
    this.#waiting = undefined;
    waiter?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.#head < this.#items.length) {
          const value = this.#items[this.#head++] as T;
          if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
            this.#items.splice(0, this.#head);
            this.#head = 0;
          }
          return Promise.resolve({ value, done: false });
        }
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.#waiting = resolve;
        });
      },
      return: () => {
        this.#closed = true;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
