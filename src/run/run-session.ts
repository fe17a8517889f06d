// One child under run() or lines(): feeds its stdin, ends it on timeout, abort or maxBuffer
// (killSignal, then SIGKILL after killGrace), and turns how it ended into a RunResult or a RunError.
import type { Readable, Writable } from 'node:stream';
import { RunError, type RunErrorDetails } from './errors';
import { parseRunCall, SIGKILL, type RunEncoding, type RunInput, type RunResult, type RunSettings } from './run-options';
import { spawn } from '../core/spawn';
import type { ExitInfo, Subprocess } from '../core/subprocess';

export type OutputName = 'stdout' | 'stderr';

/** Why we ended the child, when we did; the first reason is the one reported. */
export type Termination =
  | { reason: 'timeout' }
  | { reason: 'abort'; cause: unknown }
  | { reason: 'maxBuffer'; stream: OutputName }
  | { reason: 'stream'; stream: 'input' | OutputName; cause: unknown }
  | { reason: 'loopLeft' };

type Failure = Omit<RunErrorDetails<string | Buffer>, 'result' | 'command'>;

// Once a child we ended has been reaped, how long its pipes may stay open. What it wrote is in the
// pipe already; but a grandchild (`sh -c 'trap "" TERM; sleep 30'` forks the sleep) holds the
// write end for as long as it lives, and a run we ended must not wait for it.
const DRAIN_AFTER_KILL_MS = 100;

export class RunSession {
  readonly child: Subprocess;
  readonly settings: RunSettings;
  /** The command as a shell would read it, for error messages. */
  readonly command: string;
  termination: Termination | null = null;

  private readonly closed: Promise<unknown>;
  private finishing: Promise<ExitInfo> | null = null;
  private reaped = false;
  private timeoutTimer: NodeJS.Timeout | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private drainTimer: NodeJS.Timeout | null = null;

  /**
   * Validates everything, then spawns. Throws the TypeError, RangeError or SpawnError before any
   * process exists, and the abort reason when the signal is already aborted.
   */
  static start(file: string, argsOrOptions: unknown, maybeOptions: unknown): RunSession {
    const { args, settings, spawnOptions } = parseRunCall(argsOrOptions, maybeOptions);
    settings.signal?.throwIfAborted();
    return new RunSession(spawn(file, args, spawnOptions), settings);
  }

  private constructor(child: Subprocess, settings: RunSettings) {
    this.child = child;
    this.settings = settings;
    this.command = formatCommand(child.spawnargs);
    // Subscribed now: 'close' may be emitted in the same tick as the reap. stdin too, so that
    // when the run settles, none of the child's pipes is open on our side.
    this.closed = Promise.all([new Promise((resolve) => child.once('close', resolve)), closedPromise(child.stdin)]);
    void child.exited.then(this.onReaped);
    feedStdin(child.stdin, settings.input, this.onInputError);
    if (settings.timeout > 0) this.timeoutTimer = setTimeout(this.onTimeout, settings.timeout);
    settings.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Ends the child: killSignal now, SIGKILL after killGrace if it is still there. Once only. */
  terminate(termination: Termination): void {
    if (this.termination !== null) return;
    this.termination = termination;
    if (this.reaped) {
      this.closeOutputsSoon();
      return;
    }
    this.child.kill(this.settings.killSignal);
    if (this.settings.killSignal !== SIGKILL) this.killTimer = setTimeout(this.forceKill, this.settings.killGrace);
  }

  /** Resolves once the child is reaped and its pipes have closed; then lets go of timers and the signal. */
  finished(): Promise<ExitInfo> {
    this.finishing ??= this.closed.then(() => {
      this.dispose();
      return this.child.exited;
    });
    return this.finishing;
  }

  /** The result, or throws the RunError that carries it when the run failed. */
  settle<Output extends string | Buffer>(exit: ExitInfo, stdout: Output, stderr: Output): RunResult<Output> {
    return settleRun(exit, stdout, stderr, this);
  }

  private readonly onReaped = (): void => {
    this.reaped = true;
    if (this.killTimer !== null) clearTimeout(this.killTimer);
    if (this.termination !== null) this.closeOutputsSoon();
  };

  private readonly onTimeout = (): void => this.terminate({ reason: 'timeout' });
  private readonly onAbort = (): void => this.terminate({ reason: 'abort', cause: this.settings.signal?.reason });
  private readonly onInputError = (cause: unknown): void => this.terminate({ reason: 'stream', stream: 'input', cause });
  private readonly forceKill = (): void => {
    this.child.kill(SIGKILL);
  };

  private closeOutputsSoon(): void {
    this.drainTimer ??= setTimeout(() => {
      this.child.stdin?.destroy();
      this.child.stdout?.destroy();
      this.child.stderr?.destroy();
    }, DRAIN_AFTER_KILL_MS);
  }

  private dispose(): void {
    for (const timer of [this.timeoutTimer, this.killTimer, this.drainTimer]) if (timer !== null) clearTimeout(timer);
    // A long-lived signal must not collect a listener per run.
    this.settings.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** How a run ended, as far as settling it goes; runSync() has the same without a session. */
export interface RunEnding {
  readonly termination: Termination | null;
  readonly settings: RunSettings;
  readonly command: string;
}

/** The result, or throws the RunError that carries it when the run failed. */
export function settleRun<Output extends string | Buffer>(
  exit: ExitInfo,
  stdout: Output,
  stderr: Output,
  ending: RunEnding,
): RunResult<Output> {
  const result: RunResult<Output> = {
    stdout,
    stderr,
    exitCode: exit.exitCode,
    signal: exit.signal,
    coreDumped: exit.coreDumped,
    pid: exit.pid,
    durationMs: exit.durationMs,
    rusage: exit.rusage,
  };
  const { termination, settings } = ending;
  const failure = termination === null ? failureOfExit(exit, settings) : failureOfTermination(termination, settings);
  if (failure === null) return result;
  throw new RunError<Output>({ result, command: ending.command, ...failure });
}

// Ending the child was our decision, so it is a failure whatever `reject` says: the result
// alone would not tell why the output stops short.
function failureOfTermination(termination: Termination, settings: RunSettings): Failure | null {
  const flags = { timedOut: termination.reason === 'timeout', aborted: termination.reason === 'abort' };
  switch (termination.reason) {
    case 'timeout':
      return { ...flags, code: 'ERR_TIMEOUT', reason: `timed out after ${settings.timeout} ms` };
    case 'abort':
      return { ...flags, code: 'ABORT_ERR', reason: 'aborted', cause: termination.cause };
    case 'maxBuffer':
      return { ...flags, code: 'ERR_MAX_BUFFER', reason: `${termination.stream} exceeded maxBuffer of ${settings.maxBuffer} bytes` };
    case 'stream':
      return { ...flags, code: 'ERR_STREAM', reason: `${termination.stream} failed`, cause: termination.cause };
    case 'loopLeft':
      return null;
  }
}

function failureOfExit(exit: ExitInfo, settings: RunSettings): Failure | null {
  if (exit.exitCode === 0 || !settings.reject) return null;
  const flags = { timedOut: false, aborted: false };
  if (exit.signal !== null) return { ...flags, code: 'ERR_SIGNAL' };
  if (exit.exitCode !== null) return { ...flags, code: 'ERR_EXIT_CODE' };
  return { ...flags, code: 'ERR_STATUS_LOST', reason: exit.reapError?.message ?? 'the reap failed', cause: exit.reapError };
}

/**
 * Collects one output stream up to maxBuffer bytes, with one listener. Past the limit it keeps
 * what fit, has the child ended, and goes on draining so that the pipe reaches EOF.
 */
export class OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  private exceeded = false;

  constructor(
    private readonly session: RunSession,
    private readonly name: OutputName,
  ) {
    const stream = session.child[name];
    stream?.on('data', this.onData);
    stream?.on('error', this.onError);
  }

  /** Decoded once at the end, so a character split across chunks comes out whole. */
  contents(encoding: RunEncoding): string | Buffer {
    const bytes = Buffer.concat(this.chunks, this.length);
    return encoding === 'buffer' ? bytes : bytes.toString('utf8');
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.exceeded) return;
    const room = this.session.settings.maxBuffer - this.length;
    if (chunk.length <= room) {
      this.chunks.push(chunk);
      this.length += chunk.length;
      return;
    }
    this.chunks.push(chunk.subarray(0, room));
    this.length += room;
    this.exceeded = true;
    this.session.terminate({ reason: 'maxBuffer', stream: this.name });
  };

  private readonly onError = (cause: unknown): void => {
    this.session.terminate({ reason: 'stream', stream: this.name, cause });
  };
}

function feedStdin(stdin: Writable | null, input: RunInput | undefined, onInputError: (cause: unknown) => void): void {
  if (stdin === null) return;
  // EPIPE when the child exits without reading everything (`head -1`): not a failure of the run,
  // and the child's exit status says what happened.
  stdin.on('error', ignore);
  if (input === undefined) stdin.end();
  else if (typeof input === 'string' || input instanceof Uint8Array) stdin.end(input);
  else pipeInput(input, stdin, onInputError);
}

function pipeInput(input: Readable, stdin: Writable, onInputError: (cause: unknown) => void): void {
  // The child is signalled before its stdin is closed, so that it dies of the signal, not of EOF.
  input.once('error', (error) => {
    onInputError(error);
    stdin.destroy();
  });
  // When the child stops reading first, the input is destroyed, so that a file behind it is closed.
  stdin.once('close', () => {
    if (!input.readableEnded) input.destroy();
  });
  input.pipe(stdin);
}

function ignore(): void {}

function closedPromise(stream: Writable | null): Promise<unknown> {
  if (stream === null || stream.closed) return Promise.resolve();
  return new Promise((resolve) => stream.once('close', resolve));
}

/** argv as a shell would read it back: `sh -c 'exit 3'`. */
export function formatCommand(argv: readonly string[]): string {
  return argv.map(quoteArgument).join(' ');
}

function quoteArgument(argument: string): string {
  if (/^[\w@%+=:,./-]+$/.test(argument)) return argument;
  return `'${argument.replaceAll("'", `'\\''`)}'`;
}
