// spawnSync(), execFileSync() and execSync() as node:child_process has them, on our own fork and
// exec and the addon's synchronous loop (native/parent/sync.cc): Node's defaults (1 MiB maxBuffer for all
// outputs together, no SIGKILL after killSignal, the pipes closed when the child is ended), Node's
// result object, and Node's thrown errors. Follows Node 20's lib/child_process.js spawnSync,
// execFileSync, execSync and checkExecSyncError.
import type * as NodeChildProcess from 'node:child_process';
import type { SpawnSyncOptions, SpawnSyncReturns } from 'node:child_process';
import { constants } from 'node:os';
import { SpawnError } from '../core/errors';
import { planSpawn } from '../core/options';
import { signalName } from '../core/signals';
import { spawnSyncPlan, type NativeSyncLimits, type NativeSyncRun } from '../core/spawn-sync';
import { ownOption, ownProperties } from '../core/validate';
import { invalidArgType } from './errors';
import { normalizeExecFileArgs } from './exec-file';
import { normalizeSpawnArguments, sanitizeKillSignal, validateMaxBuffer, validateString, type SpawnCall } from './normalize';
import { callFailure, startOrRunAsScript } from './launch';

type Output = string | Buffer;
type SyncReturns = SpawnSyncReturns<Output>;

// Node's MAX_BUFFER for the Sync functions: stdout and stderr together.
const MAX_BUFFER = 1024 * 1024;
const { ETIMEDOUT, ENOBUFS } = constants.errno;
const { SIGTERM } = constants.signals;

const implementations = {
  spawnSync(file: unknown, argsOrOptions?: unknown, maybeOptions?: unknown): SyncReturns {
    const call = normalizeSpawnArguments(file, argsOrOptions, maybeOptions, 'sync');
    // Read with ownOption: Node reads them from its own copy ({ ...options }), so inherited
    // properties do not count.
    const options = optionsOrEmpty(Array.isArray(argsOrOptions) ? maybeOptions : argsOrOptions);
    const limits = syncLimits(options, call);
    let run: NativeSyncRun;
    try {
      run = startOrRunAsScript(call, (file, args, options) => spawnSyncPlan(planSpawn(file, args, options), limits));
    } catch (error) {
      if (!(error instanceof SpawnError)) throw error;
      return { error: callFailure('spawnSync', error.errno, call, error), status: null, signal: null, output: null, pid: 0, stdout: null, stderr: null } as unknown as SyncReturns;
    }
    return resultOf(run, call, ownOption(options, 'encoding'));
  },

  execFileSync(file: unknown, ...rest: unknown[]): Output {
    const normalized = normalizeExecFileArgs(rest[0], rest[1], undefined);
    const args = normalized.args;
    const options = normalized.options as SpawnSyncOptions;
    const result = implementations.spawnSync(file, args, options);
    // Node: without an explicit stdio, what the child wrote to stderr goes on to ours.
    if (ownOption(options, 'stdio') == null) writeStderr(result);
    const argv0 = ownOption(options, 'argv0');
    const error = execSyncError(result, [typeof argv0 === 'string' && argv0 !== '' ? argv0 : String(file), ...args].join(' '));
    if (error !== null) throw error;
    return result.stdout;
  },

  execSync(command: unknown, options?: unknown): Output {
    validateString(command, 'command');
    // A copy of the own properties, without a prototype, as Node's { __proto__: null, ...options }:
    // the caller's object is not touched, and an inherited `shell` is none.
    const settings: SpawnSyncOptions = ownProperties({ ...(options as SpawnSyncOptions | undefined) });
    settings.shell = typeof settings.shell === 'string' ? settings.shell : true;
    const result = implementations.spawnSync(command, settings);
    if (settings.stdio == null) writeStderr(result);
    const error = execSyncError(result, command as string);
    if (error !== null) throw error;
    return result.stdout;
  },
};

/** Node's own types: code written against node:child_process type-checks unchanged. */
export const spawnSync = implementations.spawnSync as typeof NodeChildProcess.spawnSync;
export const execFileSync = implementations.execFileSync as typeof NodeChildProcess.execFileSync;
export const execSync = implementations.execSync as typeof NodeChildProcess.execSync;

function optionsOrEmpty(options: unknown): SpawnSyncOptions {
  return options !== null && typeof options === 'object' ? (options as SpawnSyncOptions) : {};
}

// Node validates these in spawnSync after normalizeSpawnArguments, in this order.
function syncLimits(options: SpawnSyncOptions, call: SpawnCall): NativeSyncLimits {
  const maxBuffer = Object.hasOwn(options, 'maxBuffer') ? validateMaxBuffer(options.maxBuffer) : MAX_BUFFER;
  const killSignal = ownOption(options, 'killSignal') == null ? SIGTERM : sanitizeKillSignal(options.killSignal);
  return {
    input: validInput(ownOption(options, 'input')),
    timeoutMs: call.timeout,
    killSignal,
    killGraceMs: -1,
    // 0, like no limit, as Node's C++ has it.
    maxBuffer: maxBuffer === Infinity || maxBuffer === 0 ? null : Math.floor(maxBuffer),
    maxBufferPerStream: false,
    drainAfterKillMs: -1,
  };
}

// Node checks `if (options.input)`: '' and 0 are no input at all.
function validInput(input: unknown): Uint8Array | null {
  if (!input) return null;
  if (typeof input === 'string') return Buffer.from(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw invalidArgType('options.stdio[0]', 'of type string or an instance of Buffer, TypedArray, or DataView', input);
}

function resultOf(run: NativeSyncRun, call: SpawnCall, encoding: unknown): SyncReturns {
  const output = decoded(run.output, encoding);
  const wait = run.wait;
  const exited = 'status' in wait;
  const fields = {
    status: exited ? wait.exitCode : null,
    signal: exited && wait.termSignal !== null ? signalName(wait.termSignal) : null,
    output,
    pid: run.pid,
    stdout: output[1] ?? null,
    stderr: output[2] ?? null,
  };
  const errno = loopErrno(run);
  return (errno === 0 ? fields : { error: callFailure('spawnSync', errno, call), ...fields }) as SyncReturns;
}

// Node's precedence: why the loop ended the child, else an error of a pipe (EPIPE on stdin).
function loopErrno(run: NativeSyncRun): number {
  if (run.end === 'timeout') return ETIMEDOUT;
  if (run.end === 'maxBuffer') return ENOBUFS;
  if (run.ioErrno !== 0) return run.ioErrno;
  return 'status' in run.wait ? 0 : run.wait.errno;
}

function decoded(output: (Buffer | null)[], encoding: unknown): (Output | null)[] {
  if (typeof encoding !== 'string' || encoding === 'buffer') return output;
  return output.map((bytes) => (bytes === null ? null : bytes.toString(encoding as BufferEncoding)));
}

function writeStderr(result: SyncReturns): void {
  if (result.stderr) process.stderr.write(result.stderr);
}

// Node's checkExecSyncError: the result's error with the result's fields, or `Command failed`
// followed by the child's stderr.
function execSyncError(result: SyncReturns, command: string): Error | null {
  if (result.error !== undefined) return Object.assign(result.error, result);
  if (result.status === 0) return null;
  let message = `Command failed: ${command}`;
  if (result.stderr && result.stderr.length > 0) message += `\n${result.stderr.toString()}`;
  return Object.assign(new Error(message), result);
}
