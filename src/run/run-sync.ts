// runSync(): run() without the event loop. The addon's loop (native/parent/sync.cc) feeds stdin, collects
// stdout and stderr, ends the child on timeout or maxBuffer (killSignal, then SIGKILL after
// killGrace) and reaps it; the result and the RunError are the ones run() gives, plus the raw
// wait status.
import { constants } from 'node:os';
import { SpawnError } from '../core/errors';
import { planSpawn } from '../core/options';
import { parseRunCall, SIGKILL, type RunEncoding, type RunOptions, type RunOutput, type RunResult, type RunSettings } from './run-options';
import { formatCommand, settleRun, type Termination } from './run-session';
import { spawnSyncPlan, type NativeSyncRun } from '../core/spawn-sync';
import { exitInfoOfReap } from '../core/subprocess';
import { describeValue } from '../core/validate';

export interface RunSyncOptions<Encoding extends RunEncoding = RunEncoding> extends Omit<RunOptions<Encoding>, 'input' | 'signal'> {
  /** Written to stdin as the child reads it, which is then closed. Without it, stdin is closed at once. */
  input?: string | Uint8Array;
}

export interface RunSyncResult<Output extends string | Buffer = string> extends RunResult<Output> {
  /**
   * The wait status in wait4's encoding, rebuilt from what waitid(P_PIDFD) reports (null if it
   * could not be reaped).
   */
  status: number | null;
}

// As run(): once the child we ended is reaped, its pipes get this long to reach EOF.
const DRAIN_AFTER_KILL_MS = 100;
const { EPIPE } = constants.errno;

/**
 * Runs a program to its end, blocking this thread. Throws what run() rejects with: a TypeError or
 * RangeError for a bad option, a SpawnError for a failed spawn, a RunError for a failed run.
 */
export function runSync<Encoding extends RunEncoding = 'utf8'>(
  file: string,
  args?: readonly string[],
  options?: RunSyncOptions<Encoding>,
): RunSyncResult<RunOutput<Encoding>>;
export function runSync<Encoding extends RunEncoding = 'utf8'>(
  file: string,
  options?: RunSyncOptions<Encoding>,
): RunSyncResult<RunOutput<Encoding>>;
export function runSync(
  file: string,
  argsOrOptions?: readonly string[] | RunSyncOptions,
  maybeOptions?: RunSyncOptions,
): RunSyncResult<string | Buffer> {
  const { args, settings, spawnOptions } = parseRunCall(argsOrOptions, maybeOptions);
  const input = validateSyncInput(settings);
  const plan = planSpawn(file, args, spawnOptions);
  const run = spawnSyncPlan(plan, {
    input,
    timeoutMs: settings.timeout,
    killSignal: settings.killSignal,
    killGraceMs: settings.killSignal === SIGKILL ? -1 : settings.killGrace,
    maxBuffer: settings.maxBuffer === Infinity ? null : settings.maxBuffer,
    maxBufferPerStream: true,
    drainAfterKillMs: DRAIN_AFTER_KILL_MS,
  });
  const exit = exitInfoOfReap(run.wait, run.pid, plan.file, run.durationMs);
  const stdout = outputOf(run, 1, settings);
  const stderr = outputOf(run, 2, settings);
  const ending = { termination: terminationOf(run), settings, command: formatCommand(plan.request.argv) };
  return { ...settleRun(exit, stdout, stderr, ending), status: exit.status };
}

// Nothing can abort a synchronous call, and a stream cannot be read while this thread is blocked.
function validateSyncInput(settings: RunSettings): Uint8Array | null {
  if (settings.signal !== undefined) {
    throw new TypeError('The `signal` option is not supported by runSync(): nothing runs to abort it while it blocks');
  }
  const { input } = settings;
  if (input === undefined) return null;
  if (typeof input === 'string') return Buffer.from(input);
  if (input instanceof Uint8Array) return input;
  throw new TypeError(`Expected the \`input\` option of runSync() to be a string, a Buffer or a Uint8Array, got ${describeValue(input)}`);
}

// run() keeps exactly maxBuffer bytes of a stream that overflowed; the loop kept its whole last read.
function outputOf(run: NativeSyncRun, slot: number, settings: RunSettings): string | Buffer {
  const bytes = (run.output[slot] ?? Buffer.alloc(0)).subarray(0, settings.maxBuffer);
  return settings.encoding === 'buffer' ? bytes : bytes.toString('utf8');
}

function terminationOf(run: NativeSyncRun): Termination | null {
  if (run.end === 'timeout') return { reason: 'timeout' };
  if (run.end === 'maxBuffer') return { reason: 'maxBuffer', stream: run.endSlot === 2 ? 'stderr' : 'stdout' };
  // EPIPE on stdin is not a failure of the run (the child stopped reading: `head -1`), as in run().
  if (run.ioErrno === 0 || (run.ioSyscall === 'write' && run.ioErrno === EPIPE)) return null;
  const cause = new SpawnError({ errno: run.ioErrno, syscall: run.ioSyscall ?? 'poll' });
  return { reason: 'stream', stream: run.ioSyscall === 'write' ? 'input' : 'stdout', cause };
}
