// A running child: its pid, our ends of its pipes as streams, and how it ended.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { Writable, type Duplex, type Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { native, type NativeReapResult, type Rusage } from './native';
import { reaper } from './reaper';
import { SpawnError } from './errors';
import { signalName, toSignalNumber, type SignalInput } from './signals';
import type { GroupOfChild } from './process-settings';
import { drainUnconsumed, duplexFromFd, joinStreams, markAsOurChildsStream, readableFromFd, writableFromFd } from './streams';

export type { Rusage } from './native';

/** How a child ended, from the reap (waitid through its pidfd, or wait4 without one). */
export interface ExitInfo {
  pid: number;
  /** The exit status when it exited normally, else null. */
  exitCode: number | null;
  /** The signal that ended it, else null. */
  signal: NodeJS.Signals | null;
  /** WCOREDUMP: the kernel wrote a core file. */
  coreDumped: boolean;
  /**
   * The wait status in wait4's encoding (null if it could not be reaped). Rebuilt from what
   * waitid(P_PIDFD) reports, which is the same information: exit code, or signal and core flag.
   */
  status: number | null;
  /** The child's resource usage, from the reap (see Rusage for what maxRssKiB means). */
  rusage: Rusage | null;
  /** From just before fork to the reap. */
  durationMs: number;
  /** Set when the reap failed for this child (ECHILD: another part of the process reaped it). */
  reapError?: SpawnError;
}

/**
 * How a child ended, from its reap. A failed reap (ECHILD: something else in this process reaped
 * the child, so its status is lost) is reported, not fatal: nulls as Node gives, and `reapError`.
 */
export function exitInfoOfReap(result: NativeReapResult, pid: number, file: string, durationMs: number): ExitInfo {
  if ('status' in result) {
    const signal = result.termSignal === null ? null : signalName(result.termSignal);
    return { pid, exitCode: result.exitCode, signal, coreDumped: result.coreDumped, status: result.status, rusage: result.rusage, durationMs };
  }
  const reapError = new SpawnError({ errno: result.errno, syscall: 'waitid', path: file, pid });
  return { pid, exitCode: null, signal: null, coreDumped: false, status: null, rusage: null, durationMs, reapError };
}

export interface SubprocessInit {
  /** The addon's key for this child (native.spawn's `key`). */
  key: number;
  pid: number;
  file: string;
  /** argv as the program received it, argv[0] included. */
  argv: string[];
  fds: number[];
  group: GroupOfChild;
  startedAt: number;
  /** The slots asked for as 'socket': a socketpair even at 0-2, so a Duplex on our side. */
  socketSlots: readonly boolean[];
}

/** stdin, stdout, stderr, then a Duplex (socketpair) for each extra slot that is a pipe. */
export type SubprocessStdio = [Writable | null, Readable | null, Readable | null, ...(Duplex | null)[]];

/**
 * The events a Subprocess emits, as `child_process.ChildProcess` does. `error` is emitted only
 * when someone listens (a failed kill(), or a child another part of the process reaped first).
 */
export interface SubprocessEventMap {
  /** Next tick after spawn() returned: the child exists (exec has already succeeded). */
  spawn: [];
  /** The child was reaped: its exit code, or the signal that ended it. */
  exit: [code: number | null, signal: NodeJS.Signals | null];
  /** After exit, once stdout and stderr have closed too. */
  close: [code: number | null, signal: NodeJS.Signals | null];
  error: [error: SpawnError];
}

export class Subprocess extends EventEmitter<SubprocessEventMap> {
  readonly pid: number;
  readonly spawnfile: string;
  readonly spawnargs: string[];
  /** Resolves once the child has been reaped; never rejects. */
  readonly exited: Promise<ExitInfo>;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  /** True once kill() has delivered a signal. */
  killed = false;

  private readonly key: number;
  private readonly startedAt: number;
  private readonly group: GroupOfChild;
  private resolveExited!: (info: ExitInfo) => void;
  private exitInfo: ExitInfo | null = null;
  // Set once the child is reaped and its process group found empty; see killGroup().
  private groupGone = false;
  private openReadables = 0;
  private joined: Duplex | null = null;
  // Our pipe ends, by slot, until a stream takes one over (-1 after that, or once closed unread).
  // The addon owns them until then (native.takeFd), so that a worker_thread terminated before
  // the streams exist leaks none.
  private readonly fds: number[];
  private readonly socketSlots: readonly boolean[];
  private readonly streams: (net.Socket | null)[];

  constructor(init: SubprocessInit) {
    super();
    this.key = init.key;
    this.pid = init.pid;
    this.spawnfile = init.file;
    this.spawnargs = init.argv;
    this.startedAt = init.startedAt;
    this.socketSlots = init.socketSlots;
    this.group = init.group;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.fds = init.fds.slice();
    this.streams = init.fds.map(() => null);
    reaper.track(this.key, this);
    process.nextTick(() => this.emit('spawn'));
  }

  // The streams are made the first time they are asked for: a pipe nobody uses costs no socket
  // while the child runs. At exit an unused stdin is closed, and an unused stdout or stderr is
  // read into nothing, as child_process does: closing it instead would send SIGPIPE to whatever
  // the child left running that still writes there (`sh -c 'server &'`).

  get stdin(): Writable | null {
    return this.stream(0) as Writable | null;
  }

  get stdout(): Readable | null {
    return this.stream(1) as Readable | null;
  }

  get stderr(): Readable | null {
    return this.stream(2) as Readable | null;
  }

  get stdio(): SubprocessStdio {
    const [stdin, stdout, stderr, ...extras] = this.fds.map((_, slot) => this.stream(slot));
    return [stdin as Writable | null, stdout as Readable | null, stderr as Readable | null, ...(extras as (Duplex | null)[])];
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
   * Sends a signal (default SIGTERM). Returns false when the child is already reaped or gone.
   * Never reaches a recycled pid: the signal goes through a pidfd held from the spawn to the reap
   * (Linux 5.3+), so it fails once the child is reaped, even by another part of the process.
   * On older kernels a pid is signalled only while it is still an unreaped child of this process.
   */
  kill(signal: SignalInput = 'SIGTERM'): boolean {
    const number = toSignalNumber(signal);
    if (this.exitInfo !== null || !reaper.isTracked(this.key)) return false;
    // Exited and reaped, its exit to be told after this poll's other I/O (the drop-in's children,
    // see reaper.ts). Under libuv the child is still a zombie then, which kill(2) accepts and
    // ignores: so do we.
    if (reaper.hasExited(this.key)) return this.signalled(number);
    const errno = native.kill(this.key, number);
    if (errno === 0) return this.signalled(number);
    if (errno !== ESRCH) this.emitErrorIfHeard(new SpawnError({ errno, syscall: 'kill', path: this.spawnfile }));
    return false;
  }

  private signalled(signal: number): true {
    if (signal !== 0) this.killed = true;
    return true;
  }

  /** Lets the event loop end while this child still runs (the child is still reaped if it does). */
  unref(): this {
    reaper.setReferenced(this.key, false);
    return this;
  }

  /** Undoes unref(): the child keeps the event loop alive until it is reaped (the default). */
  ref(): this {
    reaper.setReferenced(this.key, true);
    return this;
  }

  /**
   * Signals the child's whole process group: the child, and every process it started that stayed
   * in its group (`sh -c 'sleep 100 & sleep 100'`). Only for a child spawned with
   * `processGroup` or `detached`, never our own group. Returns false when no member is left, and
   * from then on always: a group that has emptied is never signalled again, since its id may be
   * given to a new group.
   *
   * What is guaranteed, for a child that leads its own group (`processGroup: 0`, `detached`):
   * until the child is reaped, its pid holds the group id, so the signal reaches its group. After
   * the reap the kernel still keeps the id from being reused while any member lives, so the
   * members left are signalled; the group is known gone, for good, as soon as it has no member or
   * the leader's pid belongs to a new process (which can only happen once the group emptied).
   * The one case not told apart: between two calls the group empties, its id goes to a new group,
   * and that group's leader has exited in turn. For a child that joined another group
   * (`processGroup: pgid`) the group is that group's own, and is known gone once a signal finds
   * no member after our child has been reaped.
   */
  killGroup(signal: SignalInput = 'SIGTERM'): boolean {
    const number = toSignalNumber(signal);
    if (this.group.kind === 'parent') {
      throw new TypeError('killGroup() needs a child in a process group of its own: spawn it with `processGroup: 0` or `detached: true`');
    }
    if (this.groupGone) return false;
    const errno = this.signalGroup(number);
    if (errno === 0) return true;
    if (errno !== ESRCH) this.emitErrorIfHeard(new SpawnError({ errno, syscall: 'kill', path: this.spawnfile }));
    return false;
  }

  // kill(-pgid). Once our child is reaped, ESRCH means the group emptied: remembered for good.
  private signalGroup(signal: number): number {
    if (this.group.kind === 'parent') return ESRCH;
    if (this.exitInfo === null && !reaper.hasExited(this.key)) return native.killProcessGroup(this.group.kind === 'own' ? this.pid : this.group.pgid, signal);
    const errno =
      this.group.kind === 'own' ? native.killGroupOfReapedLeader(this.pid, signal) : native.killProcessGroup(this.group.pgid, signal);
    if (errno === ESRCH) this.groupGone = true;
    return errno;
  }

  private stream(slot: number): net.Socket | Readable | Writable | null {
    const existing = this.streams[slot];
    if (existing) return existing;
    const fd = this.fds[slot];
    if (fd === undefined) return null;
    // Only stdin is ever closed unread (releaseUntakenFds).
    if (fd === CLOSED_UNREAD) return destroyedWritable();
    if (fd < 0) return null;
    // Taken from the addon just as the stream takes it over (see `fds`).
    const taken = native.takeFd(this.key, slot);
    this.fds[slot] = TAKEN;
    if (taken < 0) return null;
    const socketpair = slot > 2 || this.socketSlots[slot] === true;
    const stream = socketpair ? duplexFromFd(taken) : slot === 0 ? writableFromFd(taken) : readableFromFd(taken);
    native.streamHolds(this.key, slot);
    markAsOurChildsStream(stream);
    this.streams[slot] = stream;
    if (slot > 0 || socketpair) this.countUntilClosed(stream);
    return stream;
  }

  private countUntilClosed(stream: net.Socket): void {
    this.openReadables++;
    stream.once('close', () => {
      this.openReadables--;
      this.maybeEmitClose();
    });
  }

  // At exit: an unused stdin is closed here, exactly once; the unused readable ends are taken over
  // now, to be drained.
  private releaseUntakenFds(): void {
    const stdin = this.fds[0];
    if (stdin !== undefined && stdin >= 0) {
      native.closeUntakenFd(this.key, 0);
      this.fds[0] = CLOSED_UNREAD;
    }
    for (let slot = 1; slot < this.fds.length; slot++) this.stream(slot);
  }

  /**
   * @internal For the drop-in: this child's exit is told as child_process tells its own, after
   * the other I/O of the event loop's poll that found it (see reaper.ts).
   */
  tellExitAfterOtherIo(): void {
    reaper.tellAfterOtherIo(this.key);
  }

  /** @internal Called by the reaper once the child has been reaped. */
  onReaped(result: NativeReapResult): void {
    const info = exitInfoOfReap(result, this.pid, this.spawnfile, performance.now() - this.startedAt);
    this.exitInfo = info;
    this.exitCode = info.exitCode;
    this.signalCode = info.signal;
    // Probed now, while the group's id cannot have been reused yet unless it has just emptied.
    if (this.group.kind !== 'parent') this.signalGroup(0);
    this.resolveExited(info);
    if (info.reapError !== undefined) this.emitErrorIfHeard(info.reapError);
    // 'exit' before stdin is released: whoever wraps this child (the drop-in's ChildProcess) sets
    // its own exitCode there first, so that stdin's destroy is never taken for an abort (Node's
    // order: exitCode, then stdin destroyed).
    this.emit('exit', this.exitCode, this.signalCode);
    this.releaseStdin();
    this.releaseUntakenFds();
    drainUnconsumed(this.streams.slice(1));
    this.maybeEmitClose();
  }

  // Nobody will read what is written now. Pending writes are left to fail with EPIPE, so the
  // writer hears about it; an idle stdin is closed so that its fd is not left open.
  private releaseStdin(): void {
    const stdin = this.streams[0];
    if (stdin && !stdin.destroyed && stdin.writableLength === 0) stdin.destroy();
  }

  private maybeEmitClose(): void {
    if (this.exitInfo === null || this.openReadables > 0) return;
    this.openReadables = -1; // only once
    this.emit('close', this.exitCode, this.signalCode);
  }

  private emitErrorIfHeard(error: SpawnError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

const ESRCH = 3;
const TAKEN = -1;
const CLOSED_UNREAD = -2;

function destroyedWritable(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() }).destroy();
}
