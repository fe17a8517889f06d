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
 * Like child_process on exit: a readable stdio stream that nobody consumes is resumed, so its
 * data is drained and its 'close' (and so the child's 'close') still comes.
 */
export function drainIfUnconsumed(stream: Readable | null): void {
  if (stream !== null && stream.readableFlowing === null) stream.resume();
}
