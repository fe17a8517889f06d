// What the command says on stderr about the processes it runs, and how their ends become its
// exit status.
import type { ExitInfo } from '../subprocess';
import { toSignalNumber } from '../signals';

export function log(message: string): void {
  process.stderr.write(`process-spawner: ${message}\n`);
}

export function describeSpawn(pid: number, argv: readonly string[]): string {
  return `spawned pid ${pid}: ${JSON.stringify(argv)}`;
}

/** `pid 12 ended: exit 3, status 768, after 3.1 ms; user 0.9 ms, system 0.0 ms, max RSS 4240 KiB` */
export function describeExit(info: ExitInfo): string {
  const how = info.signal !== null ? `signal ${info.signal}${info.coreDumped ? ' (core dumped)' : ''}` : `exit ${info.exitCode}`;
  const usage = info.rusage;
  const cpu =
    usage === null
      ? ''
      : ` user ${(usage.userCpuMicros / 1000).toFixed(1)} ms, system ${(usage.systemCpuMicros / 1000).toFixed(1)} ms, max RSS ${usage.maxRssKiB} KiB`;
  return `pid ${info.pid} ended: ${how}, status ${info.status}, after ${info.durationMs.toFixed(1)} ms;${cpu}`;
}

/** The shell's convention: the exit code, or 128 + n for a signal n. */
export function exitStatusOf(info: ExitInfo): number {
  if (info.signal !== null) return statusForSignal(info.signal);
  return info.exitCode ?? 1;
}

/** The shell's status for an end by signal: 130 for SIGINT, 143 for SIGTERM. */
export function statusForSignal(signal: NodeJS.Signals): number {
  return 128 + toSignalNumber(signal);
}

/**
 * Calls `onFirst` for the first SIGINT or SIGTERM (SIGHUP too, and a closed stdout, as SIGPIPE:
 * `process-spawner ... | head` stops the run as a shell pipeline would), and `onSecond` for a
 * second SIGINT: the graceful way out, then the quick one. Returns the function that removes them.
 */
export function onInterrupt(onFirst: (signal: NodeJS.Signals) => void, onSecond: () => void): () => void {
  let received: NodeJS.Signals | null = null;
  const handle = (signal: NodeJS.Signals) => {
    if (received === null) {
      received = signal;
      onFirst(signal);
    } else if (signal === 'SIGINT') {
      onSecond();
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, handle);
  const stopOnClosedStdout = onClosedStdout(() => handle('SIGPIPE'));
  return () => {
    for (const signal of signals) process.off(signal, handle);
    stopOnClosedStdout();
  };
}

/**
 * Node ignores SIGPIPE, so a reader that goes away shows up as an EPIPE error on stdout. Nothing
 * more can be printed: `then` decides how to stop. Returns the function that removes it.
 */
export function onClosedStdout(then: () => void): () => void {
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    then();
  };
  process.stdout.on('error', onError);
  return () => process.stdout.off('error', onError);
}

/**
 * A pool's exit status: 128 + n when one of our signals (or a closed stdout, as SIGPIPE) stopped
 * it, else GNU parallel's: 0, the number of failed runs up to 100, 101 for more.
 */
export function poolExitStatus(stoppedBy: NodeJS.Signals | null, failed: number): number {
  if (stoppedBy !== null) return statusForSignal(stoppedBy);
  return Math.min(failed, 101);
}

/** 250 ms, 2 s, 1.5 s. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(2))} s`;
}
