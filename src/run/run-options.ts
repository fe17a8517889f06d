// Options of run() and lines(): what they add to spawn's, validated before any syscall. The spawn
// part is passed through untouched, so spawn() validates it itself and every spawn option (new
// ones included) works here without being listed.
import type { Readable } from 'node:stream';
import type { Rusage } from '../core/subprocess';
import type { SpawnOptions } from '../core/options';
import { toSignalNumber, type SignalInput } from '../core/signals';
import { assertIntegerInRange, describeValue, ownProperties } from '../core/validate';

export type RunEncoding = 'utf8' | 'buffer';
/** `string` for 'utf8', `Buffer` for 'buffer'. */
export type RunOutput<Encoding extends RunEncoding> = Encoding extends 'buffer' ? Buffer : string;
export type RunInput = string | Uint8Array | Readable;

export interface RunOptions<Encoding extends RunEncoding = RunEncoding> extends SpawnOptions {
  /** Written to stdin, which is then ended. Without it, stdin is ended at once. */
  input?: RunInput;
  /** 'utf8' (default): stdout and stderr are strings; 'buffer': Buffers. */
  encoding?: Encoding;
  /** Milliseconds before the child is ended with `killSignal`; 0 (default) for none. */
  timeout?: number;
  /** Sent on timeout, abort and maxBuffer; default 'SIGTERM'. */
  killSignal?: SignalInput;
  /** Milliseconds between `killSignal` and SIGKILL, if the child is still there; default 2000. */
  killGrace?: number;
  /** Aborting ends the child like a timeout does. */
  signal?: AbortSignal;
  /** Bytes kept per output stream; past it the child is ended. Default 100 MiB; Infinity for none. */
  maxBuffer?: number;
  /** Default true: a non-zero exit or a signal rejects with a RunError. */
  reject?: boolean;
}

export interface RunResult<Output extends string | Buffer = string> {
  stdout: Output;
  stderr: Output;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  coreDumped: boolean;
  pid: number;
  durationMs: number;
  /** The resource usage the reap reported (see Rusage); null if its status was lost (ECHILD). */
  rusage: Rusage | null;
}

/** The run options, validated and with their defaults. */
export interface RunSettings {
  input: RunInput | undefined;
  encoding: RunEncoding;
  /** 0: none. */
  timeout: number;
  killSignal: number;
  killGrace: number;
  signal: AbortSignal | undefined;
  /** Infinity: none. */
  maxBuffer: number;
  reject: boolean;
}

export interface RunCall {
  args: readonly string[];
  settings: RunSettings;
  spawnOptions: SpawnOptions;
}

export const DEFAULT_KILL_GRACE_MS = 2000;
// Node's execFile keeps 1 MiB, which real outputs (a build log, `git log`) overflow; execa keeps
// 100 MB. The limit is there to stop a runaway child, not to be met in normal use.
export const DEFAULT_MAX_BUFFER = 100 * 1024 * 1024;
// setTimeout fires at once for anything larger.
const MAX_TIMER_MS = 2 ** 31 - 1;
export const SIGTERM = toSignalNumber('SIGTERM');
export const SIGKILL = toSignalNumber('SIGKILL');

/** `(args, options)` or `(options)`, as spawn takes them; a missing args is no arguments. */
export function parseRunCall(argsOrOptions: unknown, maybeOptions: unknown): RunCall {
  const takesArgs = argsOrOptions === undefined || argsOrOptions === null || Array.isArray(argsOrOptions);
  const args = takesArgs ? ((argsOrOptions as readonly string[] | null | undefined) ?? []) : [];
  return { args, ...parseRunOptions(takesArgs ? maybeOptions : argsOrOptions) };
}

export function parseRunOptions(options: unknown): { settings: RunSettings; spawnOptions: SpawnOptions } {
  const { input, encoding, timeout, killSignal, killGrace, signal, maxBuffer, reject, ...rest } =
    validateOptionsObject(options);
  const spawnOptions = ownProperties(rest);
  const settings: RunSettings = {
    input: validateInput(input, spawnOptions.stdio),
    encoding: validateEncoding(encoding),
    timeout: validateDelay(timeout, 'timeout', 0),
    killSignal: validateKillSignal(killSignal),
    killGrace: validateDelay(killGrace, 'killGrace', DEFAULT_KILL_GRACE_MS),
    signal: validateAbortSignal(signal),
    maxBuffer: validateMaxBuffer(maxBuffer),
    reject: validateReject(reject),
  };
  return { settings, spawnOptions };
}

function validateOptionsObject(options: unknown): RunOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`Expected the options to be an object, got ${describeValue(options)}`);
  }
  // Own properties only: an option inherited from a polluted Object.prototype is no option.
  return ownProperties(options as RunOptions);
}

function validateInput(input: unknown, stdio: unknown): RunInput | undefined {
  if (input === undefined) return undefined;
  if (typeof input !== 'string' && !(input instanceof Uint8Array) && !isReadable(input)) {
    throw new TypeError(
      `Expected the \`input\` option to be a string, a Buffer, a Uint8Array or a Readable, got ${describeValue(input)}`,
    );
  }
  const slot = stdinSlot(stdio);
  if (slot !== 'pipe') {
    throw new TypeError(`Expected \`stdio[0]\` to be 'pipe' when the \`input\` option is given, got ${describeValue(slot)}`);
  }
  return input;
}

// Any stream with pipe(): a Readable from another copy of the stream module works as well.
function isReadable(value: unknown): value is Readable {
  return typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function';
}

/** What the child's fd 0 will be; spawn validates the slot itself. */
function stdinSlot(stdio: unknown): unknown {
  if (stdio === undefined || stdio === null) return 'pipe';
  if (Array.isArray(stdio)) return (stdio[0] as unknown) ?? 'pipe';
  return stdio;
}

function validateEncoding(encoding: unknown): RunEncoding {
  if (encoding === undefined) return 'utf8';
  if (encoding === 'utf8' || encoding === 'buffer') return encoding;
  throw new TypeError(`Expected the \`encoding\` option to be 'utf8' or 'buffer', got ${describeValue(encoding)}`);
}

function validateDelay(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  assertIntegerInRange(value, `the \`${name}\` option`, 0, MAX_TIMER_MS);
  return value;
}

function validateKillSignal(signal: unknown): number {
  if (signal === undefined) return SIGTERM;
  const number = toSignalNumber(signal, 'killSignal');
  // Signal 0 only checks that the pid exists: it would never end the child.
  if (number === 0) throw new RangeError('Expected the `killSignal` option to be a signal that can end a process, got `0` (number)');
  return number;
}

function validateAbortSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw new TypeError(`Expected the \`signal\` option to be an AbortSignal, got ${describeValue(signal)}`);
}

function validateMaxBuffer(maxBuffer: unknown): number {
  if (maxBuffer === undefined) return DEFAULT_MAX_BUFFER;
  if (maxBuffer === Infinity) return maxBuffer;
  assertIntegerInRange(maxBuffer, 'the `maxBuffer` option', 0, Number.MAX_SAFE_INTEGER);
  return maxBuffer;
}

function validateReject(reject: unknown): boolean {
  if (reject === undefined) return true;
  if (typeof reject === 'boolean') return reject;
  throw new TypeError(`Expected the \`reject\` option to be a boolean, got ${describeValue(reject)}`);
}
