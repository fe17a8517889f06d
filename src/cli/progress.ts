// The progress line of the pool modes: done, failed, running (and queued) counts, the rate, a bar
// when the total is known, an estimate of the time left with --eta. Redrawn in place on stderr:
// when it is a terminal, or always with --bar or --eta.
import type { Writable } from 'node:stream';

const REDRAW_EVERY_MS = 100;
const BAR_WIDTH = 24;

export interface Counts {
  done: number;
  failed: number;
  running: number;
  /** Read and waiting for a worker (worker mode), or null. */
  queued: number | null;
  /** Null while the total is unknown (tasks read from stdin). */
  total: number | null;
}

export class Progress {
  private readonly startedAt = Date.now();
  private lastDrawnAt = 0;
  private drawn = false;

  private constructor(
    private readonly stream: Writable,
    private readonly eta: boolean,
  ) {}

  /** A progress line on `stream` if one was asked for, or (auto) it is a terminal; else null. */
  static forStream(stream: NodeJS.WriteStream, mode: 'auto' | 'bar' | 'eta' | 'none'): Progress | null {
    if (mode === 'none' || (mode === 'auto' && !stream.isTTY)) return null;
    return new Progress(stream, mode === 'eta');
  }

  update(counts: Counts, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDrawnAt < REDRAW_EVERY_MS) return;
    this.lastDrawnAt = now;
    if (this.stream.destroyed) return;
    this.stream.write(`\r\x1b[2K${this.line(counts, now)}`);
    this.drawn = true;
  }

  /** Removes the line, so that what follows starts on a clean one. */
  clear(): void {
    if (this.drawn && !this.stream.destroyed) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  private line(counts: Counts, now: number): string {
    const finished = counts.done + counts.failed;
    const seconds = Math.max((now - this.startedAt) / 1000, 0.001);
    const rate = `${(finished / seconds).toFixed(1)}/s`;
    const queued = counts.queued === null ? '' : `, queued ${counts.queued}`;
    const tally = `done ${counts.done}${counts.total === null ? '' : `/${counts.total}`}, failed ${counts.failed}, running ${counts.running}${queued}, ${rate}`;
    const eta = this.eta && counts.total !== null && finished > 0 ? `, ETA ${Math.ceil(((counts.total - finished) * seconds) / finished)}s` : '';
    if (counts.total === null || counts.total === 0) return tally + eta;
    const filled = Math.min(BAR_WIDTH, Math.round((finished / counts.total) * BAR_WIDTH));
    return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${tally}${eta}`;
  }
}
