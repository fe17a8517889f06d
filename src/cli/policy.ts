// The values of --timeout, --delay, --drain-timeout and --halt. A bad value is a RangeError that
// the argument parser turns into a usage line.

/** A time limit: milliseconds, or a percentage of the median runtime of the runs so far. */
export type TimeoutLimit = { kind: 'ms'; ms: number } | { kind: 'percent'; percent: number };

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `2s`, `1.5m`, `1h`, a bare number of milliseconds, or (when allowed) `200%`. */
export function parseDuration(text: string, allowPercent: boolean): TimeoutLimit {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|%)?$/.exec(text);
  if (match === null || (match[2] === '%' && !allowPercent)) {
    throw new RangeError(`expected a duration like 500ms, 2s, 1m or a number of milliseconds${allowPercent ? ', or a percentage of the median runtime like 200%' : ''}, got '${text}'`);
  }
  const value = Number(match[1]);
  if (match[2] === '%') return { kind: 'percent', percent: value };
  return { kind: 'ms', ms: Math.round(value * (UNITS[match[2] ?? 'ms'] as number)) };
}

/** --halt: when to stop (now: kill the running runs; soon: let them finish) and on what. */
export interface Halt {
  when: 'now' | 'soon';
  on: 'fail' | 'success';
  /** A count of runs, or a percentage of all the runs. */
  threshold: { count: number } | { percent: number };
}

export function parseHalt(text: string): Halt | null {
  if (text === 'never') return null;
  const match = /^(now|soon),(fail|success|done)=(\d+(?:\.\d+)?)(%)?$/.exec(text);
  if (match === null) throw new RangeError(`expected now,fail=N, soon,fail=N, now,success=N (N may be a percentage: fail=10%) or never, got '${text}'`);
  const value = Number(match[3]);
  if (value <= 0) throw new RangeError(`the threshold must be above 0, got '${text}'`);
  return {
    when: match[1] as Halt['when'],
    on: match[2] === 'success' ? 'success' : 'fail',
    threshold: match[4] === '%' ? { percent: value } : { count: value },
  };
}

/** Whether the counts so far cross the --halt threshold. */
export function haltReached(halt: Halt, counts: { failed: number; succeeded: number; total: number }): boolean {
  const seen = halt.on === 'fail' ? counts.failed : counts.succeeded;
  if ('count' in halt.threshold) return seen >= halt.threshold.count;
  return counts.total > 0 && (seen * 100) / counts.total >= halt.threshold.percent;
}

/** The median of the runtimes so far, for `--timeout 200%` (null before three runs ended). */
export function percentTimeoutMs(percent: number, runtimesMs: readonly number[]): number | null {
  if (runtimesMs.length < 3) return null;
  const sorted = [...runtimesMs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return Math.max(1, (median * percent) / 100);
}
