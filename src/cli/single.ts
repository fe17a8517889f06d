// One program, its stdin, stdout and stderr through our pipes, and its exit status as ours.
import { spawn } from '../spawn';
import type { Subprocess } from '../subprocess';
import type { SingleInvocation } from './args';
import { describeExit, describeSpawn, exitStatusOf, log, onClosedStdout } from './lifecycle';

// Forwarded to the child; it decides what they mean, and its end decides our status.
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

export async function runSingle(invocation: SingleInvocation): Promise<number> {
  const [file, ...args] = invocation.command.argv as [string, ...string[]];
  const child = spawn(file, args);
  if (invocation.verbose) log(describeSpawn(child.pid, child.spawnargs));
  const stopForwarding = forwardSignals(child);
  // Our reader went away. Closing our end of the child's stdout passes that on, as a shell
  // pipeline would: whoever writes to it next (the child, or a process it started) gets SIGPIPE.
  const stopWatchingStdout = onClosedStdout(() => child.stdout?.destroy());
  connectStdio(child);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const info = await child.exited;
  // Stop reading our stdin so that it no longer holds the event loop open.
  process.stdin.unpipe(child.stdin as NodeJS.WritableStream);
  process.stdin.destroy();
  await closed;
  stopForwarding();
  stopWatchingStdout();
  if (invocation.verbose) log(describeExit(info));
  return exitStatusOf(info);
}

function connectStdio(child: Subprocess): void {
  // The child may stop reading before we stop writing: that EPIPE is its business, not a crash.
  child.stdin?.on('error', () => undefined);
  process.stdin.pipe(child.stdin as NodeJS.WritableStream);
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
