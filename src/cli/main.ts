// What both commands do around a run, whatever the mode: read the command line, make us a child
// subreaper, run, and at the end end what the runs left behind. Nothing the runs started may
// outlive us, whatever ends us:
//   - a write to our stdout or stderr that fails (EPIPE: the reader is gone) never throws; the
//     modes stop their runs, and we die of SIGPIPE;
//   - SIGINT, SIGTERM and SIGHUP are always handled, from the first line to the last: before the
//     mode has its handlers (no child yet) they end us at once, after it removed them they make
//     the cleanup kill at once (SIGKILL) instead of after its grace period, and then end us;
//   - an internal error kills every child and its process group before we exit 255.
// A signal that stopped us is re-raised once all is cleaned up, so we die of it (and a shell loop
// around us stops), as `xargs -P` and any program a Ctrl-C ended do.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ProcessSpawnerError, SpawnError } from '../core/errors';
import { becomeChildSubreaper } from '../core/process-control';
import type { Invocation } from './args';
import { UsageError } from './flags';
import { ourArguments } from './bytes';
import { CommandPool } from './command-pool';
import { childrenOfUs, endAdoptedChildren, killChildrenNow } from './descendants';
import { InputError } from './inputs';
import { dieAtEndBy, log, setProgramName, signalToDieBy, watchOwnOutputs } from './lifecycle';
import { runSingle } from './single';
import { WorkerPoolRun } from './worker-pool';

/** Usage errors and internal errors, as GNU parallel. */
export const USAGE_STATUS = 255;
// What adopted descendants get between SIGTERM and SIGKILL at the end.
const ADOPTED_GRACE_MS = 1000;
// How long the end waits for our own stdout and stderr to take what is queued.
const FLUSH_TIMEOUT_MS = 2000;
const GUARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface CommandLine {
  /** The command's name, at the start of each of its stderr lines. */
  name: string;
  usage: string;
  help: string;
  parse(argv: readonly string[]): Invocation;
}

/** Runs the command line of `commandLine` with our arguments; ends the process when done. */
export function runCommandLine(commandLine: CommandLine): void {
  setProgramName(commandLine.name);
  watchOwnOutputs();
  const cleanup = { started: false, hurry: false };
  const guard = (signal: NodeJS.Signals) => onGuardedSignal(signal, cleanup);
  for (const signal of GUARDED_SIGNALS) process.on(signal, guard);
  process.on('uncaughtException', (error) => {
    log(`internal error: ${error.stack ?? error.message}`);
    killChildrenNow();
    process.exit(USAGE_STATUS);
  });
  void main(commandLine, ourArguments(), cleanup).then((status) => end(status));
}

// A signal no mode handles right now.
function onGuardedSignal(signal: NodeJS.Signals, cleanup: { started: boolean; hurry: boolean }): void {
  if (!cleanup.started && process.listenerCount(signal) > 1) return;
  dieAtEndBy(signal);
  if (cleanup.started || childrenOfUs().length > 0) {
    cleanup.hurry = true;
    return;
  }
  die(signal);
}

async function main(commandLine: CommandLine, argv: string[], cleanup: { started: boolean; hurry: boolean }): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = commandLine.parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageError(commandLine, error.message);
  }
  if (invocation.mode === 'help' || invocation.mode === 'version') {
    process.stdout.write(invocation.mode === 'help' ? commandLine.help : `${version()}\n`);
    return 0;
  }
  try {
    const subreaperError = becomeChildSubreaper();
    if (subreaperError !== 0 && invocation.verbose) log(`prctl(PR_SET_CHILD_SUBREAPER) failed (errno ${subreaperError}): orphans go to init`);
    return await dispatch(invocation);
  } catch (error) {
    if (error instanceof InputError) return usageError(commandLine, error.message);
    // The one program, or a worker, cannot be run: said as a shell says it, with its status.
    if (error instanceof SpawnError && invocation.mode !== 'commands') {
      log(`${invocation.command.argv[0]}: ${error.message}`);
      return error.exitCode ?? 127;
    }
    // The addon cannot be loaded, a worker pool cannot start: the library's message says why and
    // what to do, with no stack trace.
    if (error instanceof ProcessSpawnerError) {
      log(error.message);
      return USAGE_STATUS;
    }
    log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return USAGE_STATUS;
  } finally {
    cleanup.started = true;
    const ended = await endAdoptedChildren(ADOPTED_GRACE_MS, () => cleanup.hurry);
    if (ended > 0 && invocation.verbose) log(`ended ${ended} adopted process${ended === 1 ? '' : 'es'} left behind by the runs`);
  }
}

async function dispatch(invocation: Exclude<Invocation, { mode: 'help' } | { mode: 'version' }>): Promise<number> {
  switch (invocation.mode) {
    case 'single':
      return runSingle(invocation);
    case 'commands':
      return new CommandPool(invocation).run();
    case 'workers':
      return new WorkerPoolRun(invocation).run();
  }
}

function usageError(commandLine: CommandLine, message: string): number {
  log(message);
  if (!process.stderr.destroyed) process.stderr.write(`${commandLine.usage}\n`);
  return USAGE_STATUS;
}

function version(): string {
  const packageJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return packageJson.version;
}

// Our status, or death by the signal that stopped us, once what we printed has been written.
async function end(status: number): Promise<void> {
  const signal = signalToDieBy();
  await flushOwnOutputs();
  if (signal === null) {
    process.exitCode = status;
    return;
  }
  die(signal);
}

function flushOwnOutputs(): Promise<void> {
  const pending = [process.stdout, process.stderr].filter((stream) => !stream.destroyed && stream.writableLength > 0);
  if (pending.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
    let left = pending.length;
    for (const stream of pending) {
      stream.write('', () => {
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
}

/**
 * Dies of `signal`: with no listener left, Node restores its default action (for SIGPIPE, which
 * Node ignores from the start, adding and removing one does that), and kill() delivers it.
 */
function die(signal: NodeJS.Signals): void {
  if (signal === 'SIGPIPE') process.on('SIGPIPE', () => undefined);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Not reached when the signal's default action ends the process; a blocked one would not.
  process.exit(128 + (signalNumbers[signal] ?? 0));
}

const signalNumbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGPIPE: 13, SIGTERM: 15 };
