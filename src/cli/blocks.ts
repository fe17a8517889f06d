// Releases items in index order: an item that arrives early waits for those before it. An index
// that will never come (a run that was never started) is skipped, so nothing waits for it.

export class BlockPrinter<T> {
  private readonly waiting = new Map<number, T | null>();
  private nextIndex = 0;

  constructor(private readonly write: (item: T) => void) {}

  /** The first index not released yet. */
  get next(): number {
    return this.nextIndex;
  }

  add(index: number, item: T): void {
    this.waiting.set(index, item);
    this.release();
  }

  skip(index: number): void {
    this.waiting.set(index, null);
    this.release();
  }

  /** Items still held back (those before them never came, after an interrupt), in index order. */
  flush(): void {
    for (const index of [...this.waiting.keys()].sort((a, b) => a - b)) {
      const item = this.waiting.get(index);
      if (item !== null && item !== undefined) this.write(item);
    }
    this.waiting.clear();
  }

  private release(): void {
    while (this.waiting.has(this.nextIndex)) {
      const item = this.waiting.get(this.nextIndex);
      this.waiting.delete(this.nextIndex++);
      if (item !== null && item !== undefined) this.write(item);
    }
  }
}
