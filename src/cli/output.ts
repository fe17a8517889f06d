// How the runs' outputs reach our stdout and stderr, in GNU parallel's modes:
//   group (default)  each run's output printed whole when it ends, never mixed with another's
//   line-buffer      whole lines as they come, lines of different runs interleaved
//   ungroup          bytes as they come
// --keep-order prints in input order: the first unfinished run is the "head" and prints live (in
// the live modes); the others are held in spools until they become the head. --tag prefixes every
// line with the run's arguments and a tab.
import { BlockPrinter } from './blocks';
import { encodeBytes } from './bytes';
import { Spool, type SpoolDirectory } from './spool';
import type { OutputMode } from './args';

type StreamName = 'stdout' | 'stderr';

export interface OutputSettings {
  mode: OutputMode;
  keepOrder: boolean;
  /** --json: nothing is printed, each run's output is kept for the summary. */
  keep: boolean;
  beforeWrite: () => void;
  /** A held output could not be read back (its spool file): the pool stops. */
  onError: (error: unknown) => void;
}

/** --line-buffer holds a partial line up to this many bytes, then prints it as it is. */
const LONGEST_HELD_LINE = 1024 * 1024;

// One promise per full stream, shared by every run waiting on it: no listener per run.
const drainsPending = new WeakMap<NodeJS.WriteStream, Promise<void>>();

/** Resolves when `target` can take more, or is gone (our reader went away). */
export function whenDrained(target: NodeJS.WriteStream): Promise<void> {
  if (target.destroyed || !target.writableNeedDrain) return Promise.resolve();
  let pending = drainsPending.get(target);
  if (pending === undefined) {
    pending = new Promise<void>((resolve) => {
      const done = () => {
        target.off('drain', done).off('close', done).off('error', done);
        drainsPending.delete(target);
        resolve();
      };
      target.on('drain', done).on('close', done).on('error', done);
    });
    drainsPending.set(target, pending);
  }
  return pending;
}

/** Writes one stream of one run to our stream: prefixing lines, holding back partial ones. */
class LiveWriter {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private atLineStart = true;

  constructor(
    private readonly target: NodeJS.WriteStream,
    private readonly tag: Buffer | null,
    private readonly wholeLines: boolean,
    private readonly beforeWrite: () => void,
  ) {}

  /** False when the stream's buffer is full: wait for `drained()` before writing more. */
  write(chunk: Buffer): boolean {
    if (!this.wholeLines) return this.emit(chunk);
    const lastNewline = chunk.lastIndexOf(10);
    if (lastNewline < 0) {
      this.hold(chunk);
      // A line longer than the bound is printed in pieces: holding it whole could take any memory.
      return this.partialBytes > LONGEST_HELD_LINE ? this.emit(this.takePartial()) : true;
    }
    const lines = this.partial.length === 0 ? chunk.subarray(0, lastNewline + 1) : Buffer.concat([this.takePartial(), chunk.subarray(0, lastNewline + 1)]);
    if (lastNewline + 1 < chunk.length) this.hold(chunk.subarray(lastNewline + 1));
    return this.emit(lines);
  }

  end(): void {
    if (this.partial.length > 0) this.emit(this.takePartial());
  }

  /** Resolves when the stream can take more (or is gone: our reader went away). */
  drained(): Promise<void> {
    return whenDrained(this.target);
  }

  private hold(chunk: Buffer): void {
    this.partial.push(chunk);
    this.partialBytes += chunk.length;
  }

  private takePartial(): Buffer {
    const held = Buffer.concat(this.partial);
    this.partial = [];
    this.partialBytes = 0;
    return held;
  }

  private emit(chunk: Buffer): boolean {
    // Once our reader is gone (EPIPE), the output goes nowhere; the run is being stopped.
    if (chunk.length === 0 || this.target.destroyed) return true;
    this.beforeWrite();
    return this.target.write(this.tag === null ? chunk : this.tagged(chunk));
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
  private received = 0;
  private ended = false;

  constructor(
    private readonly printer: OutputPrinter,
    readonly order: number,
    readonly tag: string | null,
    private readonly directory: SpoolDirectory,
  ) {
    this.spools = { stdout: new Spool(directory), stderr: new Spool(directory) };
    if (printer.isLiveFromStart(order)) this.writers = this.newWriters();
  }

  /** Bytes received from the run (the joblog's Receive). */
  get bytes(): number {
    return this.received;
  }

  /**
   * Null when more can come at once; otherwise our stream is full and the promise resolves when
   * it has drained: the caller stops reading the run until then (it then blocks on its pipe),
   * so that a slow reader of ours never makes us hold a live run's output in memory.
   */
  write(stream: StreamName, chunk: Buffer): Promise<void> | null {
    this.received += chunk.length;
    if (this.writers === null) {
      this.spools[stream].write(chunk);
      return null;
    }
    const writer = this.writers[stream];
    return writer.write(chunk) ? null : writer.drained();
  }

  /** What it printed so far is dropped: a retry's output replaces it (--retries). */
  discard(): void {
    this.received = 0;
    this.dispose();
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

  /**
   * Prints what it held, waiting for our stream to drain (a held output is never queued whole
   * in memory), then prints as it comes. What arrives meanwhile is held too, and printed next.
   */
  async goLive(): Promise<void> {
    if (this.writers !== null) return;
    const writers = this.newWriters();
    for (const stream of ['stdout', 'stderr'] as const) {
      while (!this.spools[stream].isEmpty) {
        const spool = this.spools[stream];
        this.spools[stream] = new Spool(this.directory);
        for (const chunk of spool.read()) {
          if (!writers[stream].write(chunk)) await writers[stream].drained();
        }
        spool.dispose();
      }
    }
    this.writers = writers;
  }

  /** Prints what is left; a last line without a newline too. */
  async finish(): Promise<void> {
    await this.goLive();
    this.writers?.stdout.end();
    this.writers?.stderr.end();
    this.dispose();
  }

  dispose(): void {
    for (const spool of Object.values(this.spools)) spool.dispose();
  }

  private newWriters(): Record<StreamName, LiveWriter> {
    const tag = this.tag === null ? null : encodeBytes(`${this.tag}\t`);
    const wholeLines = this.printer.settings.mode === 'line-buffer';
    const beforeWrite = this.printer.settings.beforeWrite;
    return {
      stdout: new LiveWriter(process.stdout, tag, wholeLines, beforeWrite),
      stderr: new LiveWriter(process.stderr, tag, wholeLines, beforeWrite),
    };
  }
}

export class OutputPrinter {
  private readonly ordered: BlockPrinter<RunOutput> | null;
  private head = 0;
  // Printing one output at a time, each after the one before has drained.
  private printing: Promise<void> = Promise.resolve();
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

  /** Prints whatever is still held, in order (runs before it never ended: after an interrupt). */
  async flush(): Promise<void> {
    this.ordered?.flush();
    await this.printing;
    for (const output of this.byOrder.values()) output.dispose();
    this.byOrder.clear();
  }

  private print(output: RunOutput): void {
    this.byOrder.delete(output.order);
    this.printing = this.printing.then(() => output.finish()).catch(this.settings.onError);
  }

  // In the live modes with --keep-order, the first unfinished run prints as it comes: what it
  // held until it became the head is printed now.
  private advanceHead(): void {
    if (this.ordered === null || this.settings.mode === 'group') return;
    this.head = this.ordered.next;
    const head = this.byOrder.get(this.head);
    if (head !== undefined && !head.isEnded) this.printing = this.printing.then(() => head.goLive()).catch(this.settings.onError);
  }
}

