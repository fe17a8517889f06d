// The errors of spawning, shaped like Node's own errno errors:
//   Error: spawn ./nope ENOENT  { errno: -2, code: 'ENOENT', syscall: 'spawn ./nope', path, spawnargs }
// plus what Node cannot tell: the step in the child that failed, and how the failed child ended.
import { constants } from 'node:os';
import type { Rusage } from './native';
import type { RunResult } from '../run/run-options';

import type { ChildStep } from './child-steps';

export type { ChildStep } from './child-steps';

export interface SpawnErrorDetails {
  /** A positive errno value, as the syscall set it. */
  errno: number;
  syscall: string;
  path?: string;
  spawnargs?: string[];
  childStep?: ChildStep;
  /** For a failure in the child: the child's pid, raw wait status and exit code (127 or 126). */
  pid?: number;
  status?: number;
  exitCode?: number | null;
  detail?: string;
}

/** The base of every error this library raises about a process or a syscall. */
export class ProcessSpawnerError extends Error {}
ProcessSpawnerError.prototype.name = 'ProcessSpawnerError';

export class SpawnError extends ProcessSpawnerError {
  /** Negative, as in Node: `util.getSystemErrorName(error.errno) === error.code`. */
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  readonly path?: string;
  readonly spawnargs?: string[];
  readonly childStep?: ChildStep;
  readonly pid?: number;
  readonly status?: number;
  readonly exitCode?: number | null;

  constructor(details: SpawnErrorDetails) {
    const code = errnoCode(details.errno);
    const where = details.childStep === undefined ? '' : ` (${details.childStep}${details.detail ?? ''})`;
    super(`${details.syscall} ${code}${where}`);
    this.errno = -details.errno;
    this.code = code;
    this.syscall = details.syscall;
    if (details.path !== undefined) this.path = details.path;
    if (details.spawnargs !== undefined) this.spawnargs = details.spawnargs;
    if (details.childStep !== undefined) this.childStep = details.childStep;
    if (details.pid !== undefined) this.pid = details.pid;
    if (details.status !== undefined) this.status = details.status;
    if (details.exitCode !== undefined) this.exitCode = details.exitCode;
  }
}
SpawnError.prototype.name = 'SpawnError';

// From the platform's own table: libuv's name table lacks some (ENOEXEC among them).
const errnoNames = new Map<number, string>();
for (const [name, number] of Object.entries(constants.errno)) {
  if (!errnoNames.has(number)) errnoNames.set(number, name);
}

/** 'ENOENT' for 2 (or -2); an errno the platform does not name becomes `E<number>`. */
export function errnoCode(errno: number): string {
  const number = Math.abs(errno);
  return errnoNames.get(number) ?? `E${number}`;
}

/** Why run() or lines() failed: how the child ended by itself, or why we ended it. */
export type RunErrorCode =
  | 'ERR_EXIT_CODE'
  | 'ERR_SIGNAL'
  | 'ERR_STATUS_LOST'
  | 'ERR_TIMEOUT'
  | 'ERR_MAX_BUFFER'
  | 'ABORT_ERR'
  | 'ERR_STREAM';

export interface RunErrorDetails<Output extends string | Buffer> {
  result: RunResult<Output>;
  code: RunErrorCode;
  /** The command as a shell would read it: `sh -c 'exit 3'`. */
  command: string;
  timedOut: boolean;
  aborted: boolean;
  /** Why we ended the child, shown in parentheses: `timed out after 100 ms`. */
  reason?: string;
  cause?: unknown;
}

/**
 * A run that failed: every field of its result (the output read so far included), the command,
 * and why: `code`, `timedOut`, `aborted`, and `cause` (the abort reason, a stream's error).
 */
export class RunError<Output extends string | Buffer = string | Buffer> extends ProcessSpawnerError {
  readonly code: RunErrorCode;
  readonly command: string;
  readonly stdout: Output;
  readonly stderr: Output;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly coreDumped: boolean;
  readonly pid: number;
  readonly durationMs: number;
  readonly rusage: Rusage | null;
  readonly timedOut: boolean;
  readonly aborted: boolean;

  constructor(details: RunErrorDetails<Output>) {
    super(runErrorMessage(details), 'cause' in details ? { cause: details.cause } : undefined);
    this.code = details.code;
    this.command = details.command;
    const { result } = details;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
    this.exitCode = result.exitCode;
    this.signal = result.signal;
    this.coreDumped = result.coreDumped;
    this.pid = result.pid;
    this.durationMs = result.durationMs;
    this.rusage = result.rusage;
    this.timedOut = details.timedOut;
    this.aborted = details.aborted;
  }
}
RunError.prototype.name = 'RunError';

// Like execa's: `Command failed with exit code 3: sh -c 'exit 3'`,
// `Command was killed with SIGTERM (timed out after 100 ms): sleep 30`.
function runErrorMessage({ result, command, reason }: RunErrorDetails<string | Buffer>): string {
  const notes = [result.coreDumped ? 'core dumped' : undefined, reason].filter((note) => note !== undefined);
  const suffix = notes.length === 0 ? '' : ` (${notes.join(', ')})`;
  return `Command ${howItEnded(result.exitCode, result.signal)}${suffix}: ${command}`;
}

function howItEnded(exitCode: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return `was killed with ${signal}`;
  if (exitCode === null) return 'ended with its exit status lost';
  return exitCode === 0 ? 'exited with code 0' : `failed with exit code ${exitCode}`;
}
