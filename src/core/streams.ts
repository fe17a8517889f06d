// Our ends of the child's pipes as Node streams. A net.Socket over a pipe fd is what Node uses
// for child_process's own stdio; the socket owns the fd from here on and closes it exactly once.
import net from 'node:net';
import { Duplex, type Readable, type Writable } from 'node:stream';

export function readableFromFd(fd: number): net.Socket {
  return new net.Socket({ fd, readable: true, writable: false });
}

export function writableFromFd(fd: number): net.Socket {
  return new net.Socket({ fd, readable: false, writable: true });
}

/** A socketpair end, for stdio slots past 2: the child can read and write it too. */
export function duplexFromFd(fd: number): net.Socket {
  return new net.Socket({ fd, readable: true, writable: true });
}

/** One Duplex whose writes go to `writable` (stdin) and whose reads come from `readable` (stdout). */
export function joinStreams(writable: Writable, readable: Readable): Duplex {
  return Duplex.from({ writable, readable });
}

/**
 * Like child_process on exit: a readable stdio stream of the child that nobody consumes is
 * resumed, so its data is drained and its 'close' (and so the child's 'close') still comes. Unlike
 * Node (which resumes it a tick after the exit), not before every readable stream of the child has
 * read its EOF (or filled its buffer), and then one turn of the event loop later: code that reads
 * the child's streams one after another (`for await` over stderr, then stdout) has started on the
 * second by then, so nothing a user can still read is thrown away. A stream whose buffer is full
 * is drained at once, as in Node, so that a grandchild still writing there (`sh -c 'server &'`) is
 * never blocked for long.
 */
export function drainUnconsumed(streams: readonly (Readable | null)[]): void {
  const group = streams.filter((stream): stream is Readable => stream !== null);
  const pending = group.filter(isUnconsumed);
  if (pending.length === 0) return;
  const allSettled = (): boolean => group.every(isSettled);
  let scheduled = false;
  const check = (): void => {
    for (const stream of pending.splice(0)) {
      if (!isUnconsumed(stream)) continue;
      if (isFull(stream) || allSettled()) drainSoon(stream);
      else pending.push(stream);
    }
    if (pending.length === 0) stopWatching();
  };
  const onPush = (): void => {
    if (scheduled) return;
    scheduled = true;
    // After the push has updated the stream's state.
    queueMicrotask(() => {
      scheduled = false;
      check();
    });
  };
  const stopWatching = watchPushes(group, onPush);
  check();
}

function drainSoon(stream: Readable): void {
  setImmediate(() => {
    if (isUnconsumed(stream)) stream.resume();
  });
}

function isUnconsumed(stream: Readable): boolean {
  return stream.readable && stream.readableFlowing === null && !isUsedAsStdio(stream);
}

interface ReadableInternals {
  _readableState?: { ended?: boolean };
}

// Holds all the child will write there: its EOF has been read (or it is over).
function isSettled(stream: Readable): boolean {
  return (stream as ReadableInternals)._readableState?.ended === true || stream.destroyed || !stream.readable || isFull(stream);
}

function isFull(stream: Readable): boolean {
  return stream.readableLength >= stream.readableHighWaterMark;
}

// Calls onPush after each push() of any of the streams (a chunk read, or the EOF), until the
// returned function is called or the stream closes; the streams read on by themselves until
// their buffers are full.
function watchPushes(streams: readonly Readable[], onPush: () => void): () => void {
  const restores = streams.map((stream) => {
    const push = stream.push;
    const ownPush = Object.hasOwn(stream, 'push');
    stream.push = function pushAndTell(this: Readable, ...args: Parameters<Readable['push']>): boolean {
      const result = push.apply(this, args);
      onPush();
      return result;
    };
    const restore = (): void => {
      if (ownPush) stream.push = push;
      else delete (stream as Partial<Readable>).push;
      stream.off('close', onClose);
    };
    const onClose = (): void => {
      restore();
      onPush();
    };
    stream.once('close', onClose);
    return restore;
  });
  return () => {
    for (const restore of restores.splice(0)) restore();
  };
}

/**
 * A stream with an fd underneath, as child_process accepts it for a stdio slot: a net.Socket (a
 * child's stdout, a TCP connection), a tty, or anything with a numeric `fd`.
 */
export interface StreamWithFd {
  fd?: unknown;
  _handle?: { fd?: unknown } | null;
  handle?: { fd?: unknown } | null;
}

/** The fd under a stream given as a stdio slot, or null when it has none (or it is closed). */
export function fdOfStream(stream: object): number | null {
  const candidates = [
    (stream as StreamWithFd).fd,
    (stream as StreamWithFd)._handle?.fd,
    (stream as StreamWithFd).handle?.fd,
  ];
  for (const fd of candidates) {
    if (typeof fd === 'number' && Number.isInteger(fd) && fd >= 0) return fd;
  }
  return null;
}

const USED_AS_STDIO = Symbol('process-spawner.usedAsStdio');

interface ReadStoppable {
  _handle?: { readStop?: () => unknown; reading?: boolean } | null;
  _readableState?: { reading?: boolean };
  [USED_AS_STDIO]?: boolean;
}

// The stdio streams of our own children: their owners (Subprocess, the drop-in's ChildProcess)
// check isUsedAsStdio() before they resume them at exit.
const OUR_CHILDRENS_STREAMS = new WeakSet<object>();

/** Called by the Subprocess that made this stream. */
export function markAsOurChildsStream(stream: object): void {
  OUR_CHILDRENS_STREAMS.add(stream);
}

/**
 * After a spawn that gave a child this stream's fd, as Node does: our side stops reading it, or
 * we would race the child for its data. A stream of our own child stays resumable, as in Node
 * (read it again once that child is done with it). Node's own ChildProcess resumes a stream of its
 * child at that child's exit unless it marked it itself, which it cannot do for a spawn of ours:
 * for such a stream resume() becomes a no-op, the one thing that would start reading it again.
 */
export function stopReadingForChild(stream: object): void {
  const target = stream as ReadStoppable & Partial<Readable>;
  if (typeof target.pause !== 'function' || target[USED_AS_STDIO]) return;
  target[USED_AS_STDIO] = true;
  if (target._handle) {
    target._handle.reading = false;
    target._handle.readStop?.();
  }
  target.pause();
  if (target._readableState) target._readableState.reading = false;
  if (OUR_CHILDRENS_STREAMS.has(target)) return;
  Object.defineProperty(target, 'resume', { value: () => target, configurable: true, writable: true });
}

/**
 * True for a stream whose fd a child reads or writes, given to it by our spawn() or by
 * node:child_process's: we must not drain it. Node marks such a stream with an internal symbol
 * (`kIsUsedAsStdio`, not exported) and its own ChildProcess skips it when it resumes its unread
 * streams at exit; we must skip it too, or our read takes the data the other child is waiting for.
 */
export function isUsedAsStdio(stream: object): boolean {
  return (stream as ReadStoppable)[USED_AS_STDIO] === true || isMarkedByNode(stream);
}

function isMarkedByNode(stream: object): boolean {
  return Object.getOwnPropertySymbols(stream).some(
    (symbol) => symbol.description === 'kIsUsedAsStdio' && (stream as Record<symbol, unknown>)[symbol] === true,
  );
}
