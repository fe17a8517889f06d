// node:child_process's ChildProcess over our Subprocess: the same fields, and the same events in
// the same order. 'spawn'; 'exit' (code, signal); 'close' (code, signal) once the child has exited
// and every pipe it could write to (stdio 1 and up) has closed. For a spawn that failed, a tick
// after spawn() returned: 'error', then 'close' with the negative errno as the code, and no 'exit'.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { Readable, Writable } from 'node:stream';
import { deprecate } from 'node:util';
import { SpawnError } from '../core/errors';
import { stopReadingForChild } from '../core/streams';
import type { Subprocess } from '../core/subprocess';
import { errnoException, type ErrnoError } from './errors';
import { IpcChannel, type Control, type SendCallback } from './ipc';
import { channelSocketpair, closeFd } from '../core/raw-fds';
import { callFailure, launch } from './launch';
import { convertToValidSignal, normalizeProcessOptions, type SpawnCall } from './normalize';

export type StdioStream = Readable | Writable | null;

interface Refable {
  ref(): void;
  unref(): void;
}

export class ChildProcess extends EventEmitter {
  /** undefined until spawned, and when the spawn failed, as in Node. */
  pid: number | undefined = undefined;
  // Not own properties until spawn() sets them, as in Node: undefined before, and after a spawn
  // that ran out of fds (EMFILE, ENFILE).
  declare stdin: Writable | null;
  declare stdout: Readable | null;
  declare stderr: Readable | null;
  declare stdio: StdioStream[];
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  killed = false;
  /** True while an IPC channel ('ipc' in stdio, or fork()) is open. */
  connected = false;
  /** The IPC channel's ref()/unref(); undefined without one, null once disconnected (as Node). */
  channel: Control | null | undefined = undefined;
  /** null until spawn(options) runs, as in Node. */
  spawnfile: string;
  spawnargs!: string[];
  /**
   * With an IPC channel only (Node defines them then, so `child.send === undefined` without one):
   * send(message[, handle][, options][, callback]) and disconnect().
   */
  declare send: (message: unknown, handleOrCallback?: unknown, optionsOrCallback?: unknown, callback?: SendCallback) => boolean;
  declare disconnect: () => void;

  #subprocess: Subprocess | null = null;
  #channel: IpcChannel | null = null;
  // Node's count: the exit, one 'close' for each pipe at stdio 1 and up, and the IPC channel.
  #closesNeeded = 1;
  #closesGot = 0;

  constructor() {
    super();
    this.spawnfile = null as unknown as string;
  }

  /**
   * Starts the process, as Node's ChildProcess.prototype.spawn: `file`, `args` with argv[0],
   * `envPairs` ('KEY=value'), `cwd`, `stdio`, `detached`, `uid`, `gid`, `serialization`.
   * A failure Node reports as an event ('ENOENT') comes as 'error' then 'close' a tick later.
   */
  spawn(options: object): void {
    const call = normalizeProcessOptions(options);
    this.spawnfile = call.file;
    this.spawnargs = call.spawnargs;
    const channel = call.ipc === undefined ? null : openChannelSocketpair();
    if (typeof channel === 'number') {
      this.#fail(callFailure('spawn', channel, call), call.pipes);
      return;
    }
    let outcome: ReturnType<typeof launch>;
    try {
      outcome = launch(channel === null ? call : withChannelFd(call, channel.childEnd));
    } finally {
      if (channel !== null) closeFd(channel.childEnd);
    }
    if ('failure' in outcome) {
      if (channel !== null) closeFd(channel.ourEnd);
      this.#fail(outcome.failure, call.pipes);
      return;
    }
    for (const stream of call.sharedStreams) stopReadingForChild(stream);
    this.#adopt(outcome.subprocess, call, channel?.ourEnd);
  }

  /**
   * Sends a signal (default SIGTERM); an unknown one throws ERR_UNKNOWN_SIGNAL. false once the
   * child has exited: a pid is only signalled while it is our unreaped child.
   */
  kill(signal?: NodeJS.Signals | number): boolean {
    const number = signal === 0 ? 0 : convertToValidSignal(signal === undefined ? 'SIGTERM' : signal);
    if (this.#subprocess === null || !this.#subprocess.kill(number)) return false;
    this.killed = true;
    return true;
  }

  /** Lets the event loop wait for this child again (when our Subprocess supports it). */
  ref(): void {
    if (isRefable(this.#subprocess)) this.#subprocess.ref();
  }

  /** Lets the process exit while this child runs (when our Subprocess supports it). */
  unref(): void {
    if (isRefable(this.#subprocess)) this.#subprocess.unref();
  }

  [Symbol.dispose](): void {
    if (!this.killed) this.kill();
  }

  #adopt(subprocess: Subprocess, call: SpawnCall, channelFd: number | undefined): void {
    this.#subprocess = subprocess;
    // As libuv: the exit after the output and EOF that came with it ('data', 'end', then 'exit').
    subprocess.tellExitAfterOtherIo();
    this.pid = subprocess.pid;
    const streams: StdioStream[] = [...subprocess.stdio];
    // Node's stdin is a socket that is never read: a socketpair's end made write-only.
    if (streams[0] instanceof net.Socket && (call.options.stdio as unknown[] | undefined)?.[0] === 'socket' && call.ipc !== 0) writeOnly(streams[0]);
    if (channelFd !== undefined) this.#openChannel(channelFd, call);
    // One entry per slot asked for, trailing ignored ones included, as in Node.
    while (streams.length < call.stdioCount) streams.push(null);
    this.#setStdio(streams);
    subprocess.on('spawn', () => this.emit('spawn'));
    subprocess.on('exit', (code: number | null, signal: NodeJS.Signals | null) => this.#onExit(code, signal));
    subprocess.on('error', (error: Error) => this.#onSubprocessError(error));
  }

  // Node's pipes exist before the spawn fails, so their streams do too: stdin is destroyed and
  // the others end empty before 'close'. Out of fds (EMFILE, ENFILE), Node has no streams at all.
  #fail(error: ErrnoError, pipes: readonly boolean[]): void {
    if (error.code !== 'EMFILE' && error.code !== 'ENFILE') {
      this.#setStdio(pipes.map((pipe, index) => (!pipe ? null : index === 0 ? discardingWritable() : emptyReadable())));
    }
    process.nextTick(() => {
      this.exitCode = error.errno;
      this.stdin?.destroy();
      this.emit('error', error);
      // Node resumes them a tick later; these hold no data.
      process.nextTick(() => {
        for (const stream of this.stdio ?? []) if (stream instanceof Readable) stream.resume();
      });
      this.#maybeClose();
    });
  }

  // As Node: the slot of the channel is null in stdio, and 'close' waits for the disconnect.
  #openChannel(fd: number, call: SpawnCall): void {
    const channel = new IpcChannel(this, fd, call.serialization);
    this.#channel = channel;
    this.send = (message, handleOrCallback, optionsOrCallback, callback) =>
      channel.send(message, handleOrCallback, optionsOrCallback, callback);
    this.disconnect = () => channel.disconnect();
    defineDeprecatedChannelAlias(this);
    this.#closesNeeded++;
    channel.whenClosed(() => this.#maybeClose());
  }

  #setStdio(streams: readonly StdioStream[]): void {
    this.stdio = [...streams];
    this.stdin = (streams[0] ?? null) as Writable | null;
    this.stdout = (streams[1] ?? null) as Readable | null;
    this.stderr = (streams[2] ?? null) as Readable | null;
    streams.forEach((stream, index) => {
      if (index === 0 || stream === null) return;
      this.#closesNeeded++;
      stream.once('close', () => this.#maybeClose());
    });
  }

  // Node's order: exitCode (or signalCode) is set, then stdin destroyed (what was still queued
  // for it is dropped: nobody will read it), then 'exit'. Both are set at the reap, before our
  // Subprocess releases stdin, so a wrapper of stdin's destroy (execa's) sees the child ended.
  // The child's end of the channel closes before its exit is reported, so Node sees the EOF
  // first: with a channel still open, 'exit' waits for its 'disconnect'.
  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (signal !== null) this.signalCode = signal;
    else this.exitCode = code;
    this.stdin?.destroy();
    if (this.#channel?.isOpen) {
      this.#channel.afterClose(() => this.#exited());
      return;
    }
    this.#exited();
  }

  // The streams nobody consumed are drained by our Subprocess (drainUnconsumed, which skips a
  // stream given to another child, as Node's flushStdio does), so that their 'close' (and so
  // ours) comes.
  #exited(): void {
    this.emit('exit', this.exitCode, this.signalCode);
    this.#maybeClose();
  }

  #maybeClose(): void {
    if (++this.#closesGot === this.#closesNeeded) this.emit('close', this.exitCode, this.signalCode);
  }

  // kill() failing with anything but ESRCH (EPERM, say) is an 'error' in Node too. A failed reap
  // (someone else reaped our child) has no Node equivalent: reported only to a listener.
  #onSubprocessError(error: Error): void {
    if (error instanceof SpawnError && error.syscall === 'kill') {
      this.emit('error', errnoException(error.errno, 'kill', error));
    } else if (this.listenerCount('error') > 0) {
      this.emit('error', error);
    }
  }
}

// The channel is a socketpair made here, as libuv makes it: the child's end goes to the child as
// its NODE_CHANNEL_FD slot, ours is read and written through the addon (SCM_RIGHTS). -errno when
// it cannot be made (EMFILE), which is reported as the spawn's failure.
function openChannelSocketpair(): { ourEnd: number; childEnd: number } | number {
  const pair = channelSocketpair();
  if (typeof pair === 'number') return pair;
  return { ourEnd: pair[0], childEnd: pair[1] };
}

function withChannelFd(call: SpawnCall, childEnd: number): SpawnCall {
  const stdio = [...((call.options.stdio ?? []) as unknown[])];
  stdio[call.ipc as number] = childEnd;
  return { ...call, options: { ...call.options, stdio: stdio as NonNullable<SpawnCall['options']['stdio']> } };
}

const CHANNEL_DEPRECATION = '_channel is deprecated. Use ChildProcess.channel instead.';

// Node's setupChannel defines `_channel` on a child with a channel: `channel` under its old name,
// non-enumerable, warning DEP0129 at the first use (fork() users of old code still read it).
function defineDeprecatedChannelAlias(child: ChildProcess): void {
  Object.defineProperty(child, '_channel', {
    get: deprecate(() => child.channel, CHANNEL_DEPRECATION, 'DEP0129'),
    set: deprecate((value: Control | null | undefined) => {
      child.channel = value;
    }, CHANNEL_DEPRECATION, 'DEP0129'),
    configurable: true,
    enumerable: false,
  });
}

function isRefable(subprocess: Subprocess | null): subprocess is Subprocess & Refable {
  const candidate = subprocess as Partial<Refable> | null;
  return typeof candidate?.ref === 'function' && typeof candidate.unref === 'function';
}

function emptyReadable(): Readable {
  return new Readable({
    read() {
      this.push(null);
    },
  });
}

function discardingWritable(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}

// As Node's createSocket(handle, readable = false): never read, its readable side born ended.
function writeOnly(socket: net.Socket): void {
  const handle = (socket as unknown as { _handle?: { reading?: boolean; readStop?: () => number } | null })._handle;
  if (handle) {
    handle.reading = false;
    handle.readStop?.();
  }
  const state = (socket as unknown as { _readableState: { readable: boolean; ended: boolean; endEmitted: boolean; reading: boolean } })._readableState;
  Object.assign(state, { readable: false, ended: true, endEmitted: true, reading: false });
}
