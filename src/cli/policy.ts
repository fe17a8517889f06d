// The values of --timeout, --delay, --drain-timeout and --halt. A bad value is a RangeError that
// the argument parser turns into a usage line.

/** A time limit: milliseconds, or a percentage of the median runtime of the runs so far. */
export type TimeoutLimit = { kind: 'ms'; ms: number } | { kind: 'percent'; percent: number };

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * GNU parallel's durations: seconds, or with suffixes s, m, h, d, also combined (`1h30m`, `2.5s`),
 * or (when allowed) a percentage of the median runtime, `200%`.
 */
export function parseSeconds(text: string, allowPercent: boolean): TimeoutLimit {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (percent !== null && allowPercent) return { kind: 'percent', percent: Number(percent[1]) };
  const parts = /^(?:\d+(?:\.\d+)?[smhd]?)+$/.test(text) ? [...text.matchAll(/(\d+(?:\.\d+)?)([smhd]?)/g)] : [];
  if (parts.length === 0 || (parts.length > 1 && parts.some((part) => part[2] === ''))) {
    throw new RangeError(`expected seconds, or a duration like 30s, 5m, 1h30m, 2d${allowPercent ? ', or a percentage of the median runtime like 200%' : ''}, got '${text}'`);
  }
  const units: Record<string, number> = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return { kind: 'ms', ms: Math.round(parts.reduce((sum, part) => sum + Number(part[1]) * (units[part[2] as string] as number), 0)) };
}

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
  /** Failed runs, succeeded runs, or any ended run (done). */
  on: 'fail' | 'success' | 'done';
  /** A count of runs, or a percentage of all the runs. */
  threshold: { count: number } | { percent: number };
}

// GNU parallel's older numeric forms.
const LEGACY_HALT: Record<string, string> = { '0': 'never', '1': 'soon,fail=1', '2': 'now,fail=1', '-1': 'soon,success=1', '-2': 'now,success=1' };

export function parseHalt(text: string): Halt | null {
  const spelled = LEGACY_HALT[text] ?? (/^\d+(?:\.\d+)?%$/.test(text) ? `soon,fail=${text}` : text);
  if (spelled === 'never') return null;
  const match = /^(now|soon),(fail|success|done)=(\d+(?:\.\d+)?)(%)?$/.exec(spelled);
  if (match === null) {
    throw new RangeError(`expected now|soon,fail|success|done=N (N may be a percentage: fail=10%), never, or 0, 1, 2, -1, -2, got '${text}'`);
  }
  const value = Number(match[3]);
  if (value <= 0) throw new RangeError(`the threshold must be above 0, got '${text}'`);
  return {
    when: match[1] as Halt['when'],
    on: match[2] as Halt['on'],
    threshold: match[4] === '%' ? { percent: value } : { count: value },
  };
}

export interface RunCounts {
  failed: number;
  succeeded: number;
  total: number;
}

/** Whether the counts so far cross the --halt threshold (a percentage is of all the runs). */
export function haltReached(halt: Halt, counts: RunCounts): boolean {
  const seen = halt.on === 'fail' ? counts.failed : halt.on === 'success' ? counts.succeeded : counts.failed + counts.succeeded;
  if ('count' in halt.threshold) return seen >= halt.threshold.count;
  return counts.total > 0 && (seen * 100) / counts.total >= halt.threshold.percent;
}

/**
 * The exit status once --halt stopped the runs, as parallel's man page gives it: fail=1 exits
 * with the failing run's own status, success=... with 0, fail=Y% with the percentage of the runs
 * that failed; otherwise (fail=N, done=...) the number of failed runs, as without --halt.
 */
export function haltExitStatus(halt: Halt, counts: RunCounts, lastFailureStatus: number): number {
  if (halt.on === 'success') return 0;
  if (halt.on === 'fail' && 'count' in halt.threshold && halt.threshold.count === 1) return lastFailureStatus;
  if (halt.on === 'fail' && 'percent' in halt.threshold) return Math.floor((counts.failed * 100) / Math.max(counts.total, 1));
  return Math.min(counts.failed, 101);
}

/** The median of the runtimes so far, for `--timeout 200%` (null before three runs ended). */
export function percentTimeoutMs(percent: number, runtimesMs: readonly number[]): number | null {
  if (runtimesMs.length < 3) return null;
  const sorted = [...runtimesMs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return Math.max(1, (median * percent) / 100);
}
