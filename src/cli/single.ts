// One program, its exit status as ours. It runs in a process group of its own, so that a signal
// reaches it exactly once: from us, who forward every signal we get, or, when it has the
// terminal, from the terminal alone (our group is then in the background and gets nothing).
//   stdin a terminal whose foreground group is ours: the child's group is made the foreground
//     (tcsetpgrp), it reads the terminal itself, Ctrl-C goes to it and not to us; we take the
//     terminal back when it ends.
//   otherwise: its stdin, stdout and stderr through our pipes, and our signals forwarded.
import { setTimeout as sleep } from 'node:timers/promises';
import { procStatFields } from '../core/proc-stat';
import { foregroundProcessGroup, handTerminalTo } from '../core/process-control';
import { spawn } from '../core/spawn';
import type { Subprocess } from '../core/subprocess';
import type { SingleInvocation } from './args';
import { byteExactArgv } from './bytes';
import { describeExit, describeSpawn, dieAtEndBy, exitStatusOf, log, onOutputGone } from './lifecycle';

// How often, on a terminal, we look whether the child was stopped (Ctrl-Z).
const STOP_POLL_MS = 100;
// Every signal Node lets us catch that a program may care about; it decides what they mean, and
// its end decides our status. (SIGTSTP stays ours: Ctrl-Z stops the command as a whole.)
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGALRM'];
// The ones that ask the program to end: after one, what still holds its pipes is not waited for long.
const STOP_SIGNALS = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']);
// An end by one of these is ours too, re-raised once we have cleaned up: a shell loop stops.
const SIGNALS_WE_DIE_OF = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGPIPE']);
// After a stop signal, how long the program's group and its pipes get before SIGKILL and letting go.
const STOP_GRACE_MS = 1000;

export async function runSingle(invocation: SingleInvocation): Promise<number> {
  const [file, ...args] = byteExactArgv(invocation.command.argv, invocation.command.shell, '/bin/sh') as [string, ...string[]];
  const terminal = ownsTerminal(0);
  const child = spawn(file, args, {
    processGroup: 0,
    stdio: [terminal ? 'inherit' : 'pipe', outputSlot(process.stdout), outputSlot(process.stderr)],
    ...(invocation.spawnMethod === undefined ? {} : { spawnMethod: invocation.spawnMethod }),
  });
  if (invocation.verbose) log(describeSpawn(child.pid, child.spawnargs));
  if (terminal) giveTerminal(child);
  const stopWatchingForStops = terminal ? followJobControl(child) : () => undefined;
  const forwarding = forwardSignals(child);
  // Our reader went away. Closing our end of the child's stdout (or stderr) passes that on, as a
  // shell pipeline would: whoever writes to it next (the child, or a process it started) gets SIGPIPE.
  const stopWatchingOutputs = onOutputGone((stream) => child[stream]?.destroy());
  connectStdio(child);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const info = await child.exited;
  stopWatchingForStops();
  if (terminal) handTerminalTo(0, ourProcessGroup());
  // Stop reading our stdin so that it no longer holds the event loop open.
  if (child.stdin !== null) process.stdin.unpipe(child.stdin as NodeJS.WritableStream);
  process.stdin.destroy();
  await waitForPipes(child, closed, forwarding.stopRequested);
  forwarding.remove();
  stopWatchingOutputs();
  if (invocation.verbose) log(describeExit(info));
  if (info.signal !== null && SIGNALS_WE_DIE_OF.has(info.signal)) dieAtEndBy(info.signal);
  return exitStatusOf(info);
}

/**
 * The program has exited; a process it started may still hold its stdout or stderr (`cmd &`).
 * Like a shell pipeline we wait for it, but not after a stop signal: the program's process group
 * has had it too, and gets SIGKILL after STOP_GRACE_MS; then we let go of the pipes (anything
 * that left the group and is still there is ended with the adopted processes, in main).
 */
async function waitForPipes(child: Subprocess, closed: Promise<void>, stopRequested: Promise<void>): Promise<void> {
  const first = await Promise.race([closed.then(() => 'closed' as const), stopRequested.then(() => 'stop' as const)]);
  if (first === 'closed' || (await closedWithin(closed, STOP_GRACE_MS))) return;
  child.killGroup('SIGKILL');
  child.stdout?.destroy();
  child.stderr?.destroy();
  await closedWithin(closed, STOP_GRACE_MS);
}

/** Whether `closed` resolves within `ms`; the timer is cleared either way (it must not hold us). */
async function closedWithin(closed: Promise<void>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([closed.then(() => true), sleep(ms, false, { signal: timer.signal }).catch(() => false)]);
  } finally {
    timer.abort();
  }
}

// A terminal's output goes to the child as it is (it sees a terminal: colours, line buffering);
// anything else through a pipe of ours.
function outputSlot(stream: NodeJS.WriteStream): 'inherit' | 'pipe' {
  return stream.isTTY ? 'inherit' : 'pipe';
}

/** Whether `fd` is a terminal whose foreground process group is ours. */
function ownsTerminal(fd: number): boolean {
  if (fd === 0 && !process.stdin.isTTY) return false;
  return foregroundProcessGroup(fd) === ourProcessGroup();
}

// Read once: after exec, only we could change our process group, and we never do.
let ourGroup: number | null = null;

function ourProcessGroup(): number {
  ourGroup ??= Number((procStatFields('self') as string[])[2]);
  return ourGroup;
}

// The child may already have tried to read the terminal from the background and been stopped by
// SIGTTIN: once its group is the foreground, SIGCONT lets it go on.
function giveTerminal(child: Subprocess): void {
  if (handTerminalTo(0, child.pid) === 0) child.killGroup('SIGCONT');
}

/**
 * Ctrl-Z stops the child (its group has the terminal), not us: do what a shell's job does. We
 * take the terminal back and stop ourselves, so that the shell that started us sees its job
 * stopped and shows its prompt; once continued, we give the child the terminal again (on `fg`,
 * when the terminal's foreground group is ours again; on `bg` it is not) and continue it.
 * The library reports no stops (its reaper waits without WUNTRACED), so the child's state is
 * read from /proc a few times a second. Returns the function that stops watching.
 */
function followJobControl(child: Subprocess): () => void {
  const timer = setInterval(() => {
    if (processState(child.pid) !== 'T') return;
    handTerminalTo(0, ourProcessGroup());
    // SIGSTOP to ourselves takes effect before kill() returns; we go on from here once continued.
    process.kill(process.pid, 'SIGSTOP');
    if (ownsTerminal(0)) giveTerminal(child);
    else child.killGroup('SIGCONT');
  }, STOP_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** The state letter of /proc/<pid>/stat (R, S, T for stopped, Z...), or null once it is gone. */
function processState(pid: number): string | null {
  return procStatFields(pid)?.[0] ?? null;
}

function connectStdio(child: Subprocess): void {
  if (child.stdin !== null) {
    // The child may stop reading before we stop writing: that EPIPE is its business, not a crash.
    child.stdin.on('error', () => undefined);
    process.stdin.pipe(child.stdin as NodeJS.WritableStream);
  }
  child.stdout?.pipe(process.stdout);
  child.stderr?.pipe(process.stderr);
}

/**
 * Every signal we get goes to the child's process group (what it started in the background too,
 * as a terminal's Ctrl-C does), once. `stopRequested` resolves at the first stop signal.
 */
function forwardSignals(child: Subprocess): { remove: () => void; stopRequested: Promise<void> } {
  let stop!: () => void;
  const stopRequested = new Promise<void>((resolve) => (stop = resolve));
  const forward = (signal: NodeJS.Signals) => {
    child.killGroup(signal);
    if (STOP_SIGNALS.has(signal)) stop();
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return {
    stopRequested,
    remove: () => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    },
  };
}
