// A running child: its pid, our ends of its pipes as streams, and how it ended.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { native, type NativeReapResult, type NativeWaitFields, type Rusage } from './native';
import { reaper } from './reaper';
import { SpawnError } from './errors';
import { signalName, toSignalNumber, type SignalInput } from './signals';
import { drainIfUnconsumed, joinStreams, readableFromFd, writableFromFd } from './streams';

export type { Rusage } from './native';

/** How a child ended, from the wait4 that reaped it. */
export interface ExitInfo {
  pid: number;
  /** The exit status when it exited normally, else null. */
  exitCode: number | null;
  /** The signal that ended it, else null. */
  signal: NodeJS.Signals | null;
  /** WCOREDUMP: the kernel wrote a core file. */
  coreDumped: boolean;
  /** The raw wait status, exactly as wait4 returned it (null if it could not be reaped). */
  status: number | null;
  /** The child's own resource usage, from wait4. */
  rusage: Rusage | null;
  /** From just before fork to the reap. */
  durationMs: number;
  /** Set when wait4 failed for this pid (ECHILD: another part of the process reaped it). */
  reapError?: SpawnError;
}

export interface SubprocessInit {
  pid: number;
  file: string;
  args: string[];
  fds: number[];
  startedAt: number;
}

export class Subprocess extends EventEmitter {
  readonly pid: number;
  readonly spawnfile: string;
  readonly spawnargs: string[];
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly stdio: [Writable | null, Readable | null, Readable | null];
  /** Resolves once the child has been reaped; never rejects. */
  readonly exited: Promise<ExitInfo>;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  /** True once kill() has delivered a signal. */
  killed = false;

  private readonly startedAt: number;
  private resolveExited!: (info: ExitInfo) => void;
  private exitInfo: ExitInfo | null = null;
  private openReadables = 0;
  private joined: Duplex | null = null;

  constructor(init: SubprocessInit) {
    super();
    this.pid = init.pid;
    this.spawnfile = init.file;
    this.spawnargs = [init.file, ...init.args];
    this.startedAt = init.startedAt;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.stdin = init.fds[0] !== undefined && init.fds[0] >= 0 ? writableFromFd(init.fds[0]) : null;
    this.stdout = this.readableSlot(init.fds[1]);
    this.stderr = this.readableSlot(init.fds[2]);
    this.stdio = [this.stdin, this.stdout, this.stderr];
    reaper.track(this.pid, (result) => this.onReaped(result));
    process.nextTick(() => this.emit('spawn'));
  }

  /** Writes go to stdin, reads come from stdout: `source.pipe(child.duplex).pipe(sink)`. */
  get duplex(): Duplex {
    if (this.stdin === null || this.stdout === null) {
      throw new TypeError('duplex needs both stdin and stdout to be pipes');
    }
    this.joined ??= joinStreams(this.stdin, this.stdout);
    return this.joined;
  }

  /**
   * Sends a signal (default SIGTERM). Returns false when the child is already reaped or gone:
   * a pid is only signalled while it is still our unreaped child, so never a recycled pid.
   */
  kill(signal: SignalInput = 'SIGTERM'): boolean {
    const number = toSignalNumber(signal);
    if (this.exitInfo !== null || !reaper.isTracked(this.pid)) return false;
    const errno = native.kill(this.pid, number);
    if (errno === 0) {
      if (number !== 0) this.killed = true;
      return true;
    }
    if (errno !== ESRCH) this.emitErrorIfHeard(new SpawnError({ errno, syscall: 'kill', path: this.spawnfile }));
    return false;
  }

  private readableSlot(fd: number | undefined): net.Socket | null {
    if (fd === undefined || fd < 0) return null;
    const stream = readableFromFd(fd);
    this.openReadables++;
    stream.once('close', () => {
      this.openReadables--;
      this.maybeEmitClose();
    });
    return stream;
  }

  private onReaped(result: NativeReapResult): void {
    const info = 'status' in result ? this.exitInfoFrom(result) : this.unreapableExitInfo(result.errno);
    this.exitInfo = info;
    this.exitCode = info.exitCode;
    this.signalCode = info.signal;
    this.resolveExited(info);
    if (info.reapError !== undefined) this.emitErrorIfHeard(info.reapError);
    this.releaseStdin();
    this.emit('exit', this.exitCode, this.signalCode);
    drainIfUnconsumed(this.stdout);
    drainIfUnconsumed(this.stderr);
    this.maybeEmitClose();
  }

  private exitInfoFrom(fields: NativeWaitFields): ExitInfo {
    return {
      pid: this.pid,
      exitCode: fields.exitCode,
      signal: fields.termSignal === null ? null : signalName(fields.termSignal),
      coreDumped: fields.coreDumped,
      status: fields.status,
      rusage: fields.rusage,
      durationMs: performance.now() - this.startedAt,
    };
  }

  // ECHILD: something else in this process reaped our child, so its status is lost. Reported,
  // not fatal: `exited` still resolves and 'exit' still comes, with nulls as Node gives.
  private unreapableExitInfo(errno: number): ExitInfo {
    return {
      pid: this.pid,
      exitCode: null,
      signal: null,
      coreDumped: false,
      status: null,
      rusage: null,
      durationMs: performance.now() - this.startedAt,
      reapError: new SpawnError({ errno, syscall: 'wait4', path: this.spawnfile, pid: this.pid }),
    };
  }

  // Nobody will read what is written now. Pending writes are left to fail with EPIPE, so the
  // writer hears about it; an idle stdin is closed so that its fd is not left open.
  private releaseStdin(): void {
    const stdin = this.stdin;
    if (stdin !== null && !stdin.destroyed && stdin.writableLength === 0) stdin.destroy();
  }

  private maybeEmitClose(): void {
    if (this.exitInfo === null || this.openReadables > 0) return;
    this.openReadables = -1; // only once
    this.emit('close', this.exitCode, this.signalCode);
  }

  private emitErrorIfHeard(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

const ESRCH = 3;
