// Prints each task's output as one block, never interleaved with another's: as tasks finish, or
// in task order (holding back blocks that finish early).

export interface Block {
  index: number;
  stdout: Buffer;
  stderr: Buffer;
}

export class BlockPrinter {
  private readonly waiting = new Map<number, Block>();
  private nextIndex = 0;

  constructor(
    private readonly keepOrder: boolean,
    private readonly beforeWrite: () => void = () => undefined,
  ) {}

  add(block: Block): void {
    if (!this.keepOrder) {
      this.write(block);
      return;
    }
    this.waiting.set(block.index, block);
    for (let ready = this.waiting.get(this.nextIndex); ready !== undefined; ready = this.waiting.get(this.nextIndex)) {
      this.waiting.delete(this.nextIndex++);
      this.write(ready);
    }
  }

  /** Blocks still held back (tasks before them never ran, after an interrupt), in task order. */
  flush(): void {
    for (const index of [...this.waiting.keys()].sort((a, b) => a - b)) this.write(this.waiting.get(index) as Block);
    this.waiting.clear();
  }

  private write(block: Block): void {
    if (block.stdout.length === 0 && block.stderr.length === 0) return;
    this.beforeWrite();
    if (block.stdout.length > 0) process.stdout.write(block.stdout);
    if (block.stderr.length > 0) process.stderr.write(block.stderr);
  }
}
