// What the command says on stderr about the processes it runs, and how their ends become its
// exit status.
import type { ExitInfo } from '../core/subprocess';
import { encodeBytes } from './bytes';
import { toSignalNumber } from '../core/signals';

// The name our stderr lines start with: the command the user typed (each bin sets its own).
let programName = 'process-spawner';

export function setProgramName(name: string): void {
  programName = name;
}

/** One line on our stderr; nothing once our stderr's reader is gone (a lost notice is no crash). */
export function log(message: string): void {
  if (process.stderr.destroyed || goneOutputs.has('stderr')) return;
  process.stderr.write(encodeBytes(`${programName}: ${message}\n`));
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
 * Calls `onFirst` for the first SIGINT or SIGTERM (SIGHUP too, and our stdout or stderr losing its
 * reader, as SIGPIPE: `process-spawner ... | head` stops the run as a shell pipeline would), and
 * `hurry` when, after that, a second SIGINT comes (Ctrl-C again), SIGHUP, or an output is lost
 * (the notice of a Ctrl-C cannot be written when the reader died of the same Ctrl-C): the
 * graceful way out, then the quick one. Returns the function that removes them.
 */
export function onInterrupt(onFirst: (signal: NodeJS.Signals) => void, hurry: () => void): () => void {
  let received: NodeJS.Signals | null = null;
  const handle = (signal: NodeJS.Signals) => {
    if (received === null) {
      received = signal;
      onFirst(signal);
    } else if (signal !== 'SIGTERM') {
      hurry();
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, handle);
  const stopWatchingOutputs = onOutputGone(() => handle('SIGPIPE'));
  return () => {
    for (const signal of signals) process.off(signal, handle);
    stopWatchingOutputs();
  };
}

type OwnOutput = 'stdout' | 'stderr';
// Our outputs that failed (EPIPE: the reader went away; EIO, ENOSPC...), with the error code.
const goneOutputs = new Map<OwnOutput, string>();
const outputGoneListeners = new Set<(stream: OwnOutput) => void>();

/**
 * Listens, for the whole life of the command, for errors of our own stdout and stderr, so that
 * no write we make (an output, a notice, the progress line) can end us with an unhandled
 * 'error'. Node ignores SIGPIPE, so a reader that goes away shows up here as EPIPE; nothing more
 * can be printed there, and the listeners of onOutputGone decide how to stop. Called once, first.
 */
export function watchOwnOutputs(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].on('error', (error: NodeJS.ErrnoException) => {
      if (goneOutputs.has(name)) return;
      goneOutputs.set(name, error.code ?? 'EIO');
      for (const listener of [...outputGoneListeners]) listener(name);
    });
  }
}

/** Calls `then` for each of our outputs that fails (at once for one that has). Returns the remover. */
export function onOutputGone(then: (stream: OwnOutput) => void): () => void {
  for (const stream of goneOutputs.keys()) queueMicrotask(() => then(stream));
  outputGoneListeners.add(then);
  return () => outputGoneListeners.delete(then);
}

// The signal we die of once everything is cleaned up (see main.ts): the one that stopped us.
let raiseAtEnd: NodeJS.Signals | null = null;

/**
 * Asks main to end the command by this signal, after its cleanup, instead of exiting 128 + n: a
 * shell loop around us then stops, as it does for `xargs -P` or any program a Ctrl-C ended.
 */
export function dieAtEndBy(signal: NodeJS.Signals): void {
  raiseAtEnd ??= signal;
}

export function signalToDieBy(): NodeJS.Signals | null {
  return raiseAtEnd;
}

/**
 * A pool's exit status: 128 + n when one of our signals (or a closed stdout, as SIGPIPE) stopped
 * it, else GNU parallel's: 0, the number of failed runs up to 100, 101 for more.
 */
export function poolExitStatus(stoppedBy: NodeJS.Signals | null, failed: number): number {
  if (stoppedBy !== null) {
    dieAtEndBy(stoppedBy);
    return statusForSignal(stoppedBy);
  }
  return Math.min(failed, 101);
}

/** 250 ms, 2 s, 1.5 s. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(2))} s`;
}
