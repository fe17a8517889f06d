// The errors node:child_process raises, with the same class, message, code and own fields, so
// that code matching on `error.code` or on the message keeps working after the import is swapped.
import { inspect } from 'node:util';
import { errnoCode, type ChildStep, type SpawnError } from '../core/errors';

/** What Node's errnoException gives: `spawn nope ENOENT` with negative errno, code and syscall. */
export interface ErrnoError extends Error {
  errno: number;
  code: string;
  syscall: string;
  path?: string;
  spawnargs?: string[];
  /** Ours, not Node's: the step in the child that failed (`chdir`, `execvp`, ...). */
  childStep?: ChildStep;
}

/** `errno` is negative, as libuv reports it; `cause` keeps our own error when there is one. */
export function errnoException(errno: number, syscall: string, cause?: SpawnError): ErrnoError {
  const code = errnoCode(errno);
  const error = new Error(`${syscall} ${code}`, cause === undefined ? undefined : { cause }) as ErrnoError;
  error.errno = -Math.abs(errno);
  error.code = code;
  error.syscall = syscall;
  return error;
}

/** Node's AbortError (internal/errors): name and code are own properties, the reason is the cause. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  override readonly name = 'AbortError';

  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}

type ErrorClass = new (message: string) => Error;

/**
 * Node's internal errors (lib/internal/errors.js): a plain TypeError or RangeError whose `code` is
 * an own property, and whose `stack` and toString() read `TypeError [CODE]: message`. As Node, the
 * name carries the code only while the stack is captured, so `error.name` stays 'TypeError'.
 */
function nodeError(Base: ErrorClass, code: string, message: string): Error & { code: string } {
  const error = new Base(message) as Error & { code: string };
  const nameWithCode = `${error.name} [${code}]`;
  Object.defineProperty(error, 'name', { value: nameWithCode, configurable: true, writable: true });
  Error.captureStackTrace(error, nodeError);
  delete (error as { name?: string }).name;
  Object.defineProperty(error, 'toString', {
    value(this: Error) {
      return `${this.name} [${code}]: ${this.message}`;
    },
    configurable: true,
    writable: true,
  });
  error.code = code;
  return error;
}

/** `name` is 'options.uid' or 'file'; Node calls a dotted name a property. */
function kind(name: string): string {
  return name.includes('.') ? 'property' : 'argument';
}

export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): Error {
  let shown = inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  const message = `The ${kind(name)} '${name}' ${reason}. Received ${shown}`;
  return nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', message);
}

/** `expected` reads after "must be": 'of type string', 'int32', 'an instance of AbortSignal'. */
export function invalidArgType(name: string, expected: string, value: unknown): Error {
  const message = `The "${name}" ${kind(name)} must be ${expected}. Received ${received(value)}`;
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', message);
}

export function outOfRange(name: string, range: string, value: unknown): Error {
  const message = `The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`;
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE', message);
}

/** What a channel that is closed, or never was, answers to send() and disconnect(). */
export function ipcChannelClosed(): Error {
  return nodeError(Error, 'ERR_IPC_CHANNEL_CLOSED', 'Channel closed');
}

export function ipcDisconnected(): Error {
  return nodeError(Error, 'ERR_IPC_DISCONNECTED', 'IPC channel is already disconnected');
}

/** Node's answer to send(message, handle) with a handle that is no socket, server or raw handle. */
export function invalidHandleType(): Error {
  return nodeError(TypeError, 'ERR_INVALID_HANDLE_TYPE', 'This handle type cannot be sent');
}

/** A getConnections() or close() across the channel whose child went away first. */
export function childClosedBeforeReply(): Error {
  return nodeError(Error, 'ERR_CHILD_CLOSED_BEFORE_REPLY', 'Child closed before reply received');
}

export function missingArgs(name: string): Error {
  return nodeError(TypeError, 'ERR_MISSING_ARGS', `The "${name}" argument must be specified`);
}

export function ipcRequired(name: string): Error {
  return nodeError(Error, 'ERR_CHILD_PROCESS_IPC_REQUIRED', `Forked processes must have an IPC channel, missing value 'ipc' in ${name}`);
}

export function ipcOnlyOne(): Error {
  return nodeError(Error, 'ERR_IPC_ONE_PIPE', 'Child process can have only one IPC pipe');
}

export function ipcSyncFork(): Error {
  return nodeError(Error, 'ERR_IPC_SYNC_FORK', 'IPC cannot be used with synchronous forks');
}

/** A string or bytes as a stdio slot: input only the Sync functions could take. */
export function invalidSyncForkInput(value: unknown): Error {
  return nodeError(TypeError, 'ERR_INVALID_SYNC_FORK_INPUT', `Asynchronous forks do not support Buffer, TypedArray, DataView or string input: ${inspect(value)}`);
}

export function unknownSignal(signal: unknown): Error {
  return nodeError(TypeError, 'ERR_UNKNOWN_SIGNAL', `Unknown signal: ${String(signal)}`);
}

export function maxBufferExceeded(stream: 'stdout' | 'stderr'): Error {
  return nodeError(RangeError, 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER', `${stream} maxBuffer length exceeded`);
}

// The tail of Node's ERR_INVALID_ARG_TYPE message.
function received(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `function ${value.name}`;
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name === undefined ? inspect(value, { depth: -1 }) : `an instance of ${name}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}
