// One program, its exit status as ours. It runs in a process group of its own, so that a signal
// reaches it exactly once: from us, who forward every signal we get, or, when it has the
// terminal, from the terminal alone (our group is then in the background and gets nothing).
//   stdin a terminal whose foreground group is ours: the child's group is made the foreground
//     (tcsetpgrp), it reads the terminal itself, Ctrl-C goes to it and not to us; we take the
//     terminal back when it ends.
//   otherwise: its stdin, stdout and stderr through our pipes, and our signals forwarded.
import { native } from '../native';
import { spawn } from '../spawn';
import type { Subprocess } from '../subprocess';
import type { SingleInvocation } from './args';
import { describeExit, describeSpawn, exitStatusOf, log, onClosedStdout } from './lifecycle';
import { procStatFields } from '../proc-stat';

// How often, on a terminal, we look whether the child was stopped (Ctrl-Z).
const STOP_POLL_MS = 100;
// Every signal Node lets us catch that a program may care about; it decides what they mean, and
// its end decides our status. (SIGTSTP stays ours: Ctrl-Z stops the command as a whole.)
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGALRM'];

export async function runSingle(invocation: SingleInvocation): Promise<number> {
  const [file, ...args] = invocation.command.argv as [string, ...string[]];
  const terminal = ownsTerminal(0);
  const child = spawn(file, args, {
    processGroup: 0,
    stdio: [terminal ? 'inherit' : 'pipe', outputSlot(process.stdout), outputSlot(process.stderr)],
    ...(invocation.spawnMethod === undefined ? {} : { spawnMethod: invocation.spawnMethod }),
  });
  if (invocation.verbose) log(describeSpawn(child.pid, child.spawnargs));
  if (terminal) giveTerminal(child);
  const stopWatchingForStops = terminal ? followJobControl(child) : () => undefined;
  const stopForwarding = forwardSignals(child);
  // Our reader went away. Closing our end of the child's stdout passes that on, as a shell
  // pipeline would: whoever writes to it next (the child, or a process it started) gets SIGPIPE.
  const stopWatchingStdout = onClosedStdout(() => child.stdout?.destroy());
  connectStdio(child);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const info = await child.exited;
  stopWatchingForStops();
  if (terminal) native.setForegroundProcessGroup(0, ourProcessGroup());
  // Stop reading our stdin so that it no longer holds the event loop open.
  if (child.stdin !== null) process.stdin.unpipe(child.stdin as NodeJS.WritableStream);
  process.stdin.destroy();
  await closed;
  stopForwarding();
  stopWatchingStdout();
  if (invocation.verbose) log(describeExit(info));
  return exitStatusOf(info);
}

// A terminal's output goes to the child as it is (it sees a terminal: colours, line buffering);
// anything else through a pipe of ours.
function outputSlot(stream: NodeJS.WriteStream): 'inherit' | 'pipe' {
  return stream.isTTY ? 'inherit' : 'pipe';
}

/** Whether `fd` is a terminal whose foreground process group is ours. */
function ownsTerminal(fd: number): boolean {
  if (fd === 0 && !process.stdin.isTTY) return false;
  return native.foregroundProcessGroup(fd) === ourProcessGroup();
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
  if (native.setForegroundProcessGroup(0, child.pid) === 0) child.killGroup('SIGCONT');
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
    native.setForegroundProcessGroup(0, ourProcessGroup());
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

function forwardSignals(child: Subprocess): () => void {
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return () => {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  };
}
