// When to restart a worker, and when the pool is in a crash loop.
import { performance } from 'node:perf_hooks';

export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
}

/**
 * The delay before restarting a slot whose workers failed `failures` times in a row: 0 after a
 * healthy worker ended (retirement, a timed-out task), then initialMs, 2 × initialMs, ... up to
 * maxMs. A slot whose workers keep failing therefore never restarts faster than once per maxMs.
 */
export function restartDelay(failures: number, backoff: RestartBackoff): number {
  if (failures <= 0) return 0;
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 30));
}

/**
 * The start failures (and, with crashLoop.fatalSignals, fatal-signal deaths) of the last
 * `windowMs`: a sliding window, as Erlang's restart intensity and systemd's StartLimitBurst count.
 * Entries older than `windowMs` age out, and only the last `maxCrashes` are kept; the pool is in a
 * crash loop AT the `maxCrashes`-th failure within the window (maxCrashes: 1 trips at the first).
 */
export class CrashWindow {
  private readonly times: number[] = [];

  constructor(
    readonly maxCrashes: number,
    readonly windowMs: number,
  ) {}

  /** Records a failure; true when the window now holds `maxCrashes` of them. */
  record(): boolean {
    const now = performance.now();
    this.times.push(now);
    this.forgetBefore(now - this.windowMs);
    return this.times.length >= this.maxCrashes;
  }

  /** Failures within the last `windowMs`, at most `maxCrashes`. */
  count(): number {
    this.forgetBefore(performance.now() - this.windowMs);
    return this.times.length;
  }

  reset(): void {
    this.times.length = 0;
  }

  private forgetBefore(cutoff: number): void {
    // Older than the window, or more than needed to decide: both can go. The array stays short.
    while (this.times.length > 0 && ((this.times[0] as number) < cutoff || this.times.length > this.maxCrashes)) this.times.shift();
  }
}
