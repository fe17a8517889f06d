// The progress line of the pool modes: done, failed and running counts and the rate, redrawn in
// place on stderr, only when stderr is a terminal.
import type { WriteStream } from 'node:tty';

const REDRAW_EVERY_MS = 100;
const BAR_WIDTH = 24;

export interface Counts {
  done: number;
  failed: number;
  running: number;
  /** Null while the total is unknown (tasks read from stdin). */
  total: number | null;
}

export class Progress {
  private readonly startedAt = Date.now();
  private lastDrawnAt = 0;
  private drawn = false;

  private constructor(private readonly stream: WriteStream) {}

  /** A progress line on `stream` if it is a terminal, else null: never for a pipe or a file. */
  static forStream(stream: NodeJS.WriteStream): Progress | null {
    return stream.isTTY ? new Progress(stream as WriteStream) : null;
  }

  update(counts: Counts, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDrawnAt < REDRAW_EVERY_MS) return;
    this.lastDrawnAt = now;
    this.stream.write(`\r\x1b[2K${this.line(counts, now)}`);
    this.drawn = true;
  }

  /** Removes the line, so that what follows starts on a clean one. */
  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  private line(counts: Counts, now: number): string {
    const finished = counts.done + counts.failed;
    const seconds = Math.max((now - this.startedAt) / 1000, 0.001);
    const rate = `${(finished / seconds).toFixed(1)}/s`;
    const tally = `done ${counts.done}${counts.total === null ? '' : `/${counts.total}`}, failed ${counts.failed}, running ${counts.running}, ${rate}`;
    if (counts.total === null || counts.total === 0) return tally;
    const filled = Math.round((finished / counts.total) * BAR_WIDTH);
    return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${tally}`;
  }
}
