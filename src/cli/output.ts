// How the runs' outputs reach our stdout and stderr, in GNU parallel's modes:
//   group (default)  each run's output printed whole when it ends, never mixed with another's
//   line-buffer      whole lines as they come, lines of different runs interleaved
//   ungroup          bytes as they come
// --keep-order prints in input order: the first unfinished run is the "head" and prints live (in
// the live modes); the others are held in spools until they become the head. --tag prefixes every
// line with the run's arguments and a tab.
import { BlockPrinter } from './blocks';
import { Spool, type SpoolDirectory } from './spool';
import type { OutputMode } from './args';

export type StreamName = 'stdout' | 'stderr';

export interface OutputSettings {
  mode: OutputMode;
  keepOrder: boolean;
  /** --json: nothing is printed, each run's output is kept for the summary. */
  keep: boolean;
  beforeWrite: () => void;
}

/** Writes one stream of one run to our stream: prefixing lines, holding back partial ones. */
class LiveWriter {
  private partial: Buffer[] = [];
  private atLineStart = true;

  constructor(
    private readonly target: NodeJS.WriteStream,
    private readonly tag: Buffer | null,
    private readonly wholeLines: boolean,
    private readonly beforeWrite: () => void,
  ) {}

  write(chunk: Buffer): void {
    if (!this.wholeLines) return this.emit(chunk);
    const lastNewline = chunk.lastIndexOf(10);
    if (lastNewline < 0) {
      this.partial.push(chunk);
      return;
    }
    this.emit(Buffer.concat([...this.partial, chunk.subarray(0, lastNewline + 1)]));
    this.partial = lastNewline + 1 < chunk.length ? [chunk.subarray(lastNewline + 1)] : [];
  }

  end(): void {
    if (this.partial.length > 0) this.emit(Buffer.concat(this.partial));
    this.partial = [];
  }

  private emit(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.beforeWrite();
    this.target.write(this.tag === null ? chunk : this.tagged(chunk));
  }

  // The tag goes at the start of every line, including one that began in an earlier chunk.
  private tagged(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let start = 0;
    while (start < chunk.length) {
      if (this.atLineStart) parts.push(this.tag as Buffer);
      const newline = chunk.indexOf(10, start);
      const end = newline < 0 ? chunk.length : newline + 1;
      parts.push(chunk.subarray(start, end));
      this.atLineStart = newline >= 0;
      start = end;
    }
    return Buffer.concat(parts);
  }
}

/** The output of one run. */
export class RunOutput {
  private readonly spools: Record<StreamName, Spool>;
  private writers: Record<StreamName, LiveWriter> | null = null;
  private ended = false;

  constructor(
    private readonly printer: OutputPrinter,
    readonly order: number,
    readonly tag: string | null,
    directory: SpoolDirectory,
  ) {
    this.spools = { stdout: new Spool(directory), stderr: new Spool(directory) };
    if (printer.isLiveFromStart(order)) this.goLive();
  }

  get bytes(): number {
    return this.spools.stdout.size + this.spools.stderr.size;
  }

  write(stream: StreamName, chunk: Buffer): void {
    if (this.writers !== null) this.writers[stream].write(chunk);
    else this.spools[stream].write(chunk);
  }

  /** What it printed so far is dropped: a retry's output replaces it (--retries). */
  discard(): void {
    for (const spool of Object.values(this.spools)) spool.dispose();
  }

  /** For --json: the kept outputs as text. */
  texts(): { stdout: string; stderr: string } {
    return { stdout: this.spools.stdout.text(), stderr: this.spools.stderr.text() };
  }

  end(): void {
    this.ended = true;
    this.printer.ended(this);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Prints what it held, and from now on prints as it comes (in the live modes). */
  goLive(): void {
    if (this.writers !== null) return;
    const tag = this.tag === null ? null : Buffer.from(`${this.tag}\t`);
    const wholeLines = this.printer.settings.mode !== 'ungroup';
    const beforeWrite = this.printer.settings.beforeWrite;
    this.writers = {
      stdout: new LiveWriter(process.stdout, tag, wholeLines, beforeWrite),
      stderr: new LiveWriter(process.stderr, tag, wholeLines, beforeWrite),
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      this.spools[stream].replay((chunk) => this.writers?.[stream].write(chunk));
      this.spools[stream].dispose();
    }
  }

  /** Ends the live writers (a last line without a newline is printed) and frees the spools. */
  finish(): void {
    if (this.writers === null) this.goLive();
    this.writers?.stdout.end();
    this.writers?.stderr.end();
    this.dispose();
  }

  dispose(): void {
    for (const spool of Object.values(this.spools)) spool.dispose();
  }
}

export class OutputPrinter {
  private readonly ordered: BlockPrinter<RunOutput> | null;
  private head = 0;
  private readonly byOrder = new Map<number, RunOutput>();

  constructor(readonly settings: OutputSettings) {
    this.ordered = settings.keepOrder ? new BlockPrinter<RunOutput>((output) => this.print(output)) : null;
  }

  /** Live modes print as output comes: all runs, or with --keep-order the head only. */
  isLiveFromStart(order: number): boolean {
    if (this.settings.keep || this.settings.mode === 'group') return false;
    return !this.settings.keepOrder || order === this.head;
  }

  /** A run started: with --keep-order, remembered so it can go live when it becomes the head. */
  started(output: RunOutput): void {
    if (this.settings.keepOrder) this.byOrder.set(output.order, output);
  }

  ended(output: RunOutput): void {
    if (this.settings.keep) return;
    if (this.ordered === null) return this.print(output);
    this.ordered.add(output.order, output);
    this.advanceHead();
  }

  /** A run that will never start (stopped, halted, resumed): the order must not wait for it. */
  skipped(order: number): void {
    this.ordered?.skip(order);
    this.advanceHead();
  }

  /** Whatever is still held, in order (runs before it never ended: after an interrupt). */
  flush(): void {
    this.ordered?.flush();
    for (const output of this.byOrder.values()) output.dispose();
    this.byOrder.clear();
  }

  private print(output: RunOutput): void {
    output.finish();
    this.byOrder.delete(output.order);
  }

  // In the live modes with --keep-order, the first unfinished run prints as it comes: what it
  // held until it became the head is printed now.
  private advanceHead(): void {
    if (this.ordered === null || this.settings.mode === 'group') return;
    this.head = this.ordered.next;
    const head = this.byOrder.get(this.head);
    if (head !== undefined && !head.isEnded) head.goLive();
  }
}
