// The error of run(), runSync() and lines(): how the child ended by itself, or why we ended it,
// with every field of the run's result.
import { ProcessSpawnerError } from '../core/errors';
import type { Rusage } from '../core/subprocess';
import type { RunResult } from './run-options';

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
