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

/** The times of the last `maxCrashes` crashes: a crash loop is `maxCrashes` of them within `windowMs`. */
export class CrashWindow {
  private readonly times: number[] = [];

  constructor(
    readonly maxCrashes: number,
    readonly windowMs: number,
  ) {}

  /** Records a crash; true when it completes a crash loop. */
  record(): boolean {
    const now = performance.now();
    this.times.push(now);
    // At most maxCrashes entries are kept, so this shift is on a short array.
    if (this.times.length > this.maxCrashes) this.times.shift();
    const oldest = this.times[0] as number;
    return this.times.length >= this.maxCrashes && now - oldest <= this.windowMs;
  }

  reset(): void {
    this.times.length = 0;
  }
}
