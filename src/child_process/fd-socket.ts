// Our end of an IPC socketpair, read and written through the addon: recvmsg keeps the fds a
// message carries (SCM_RIGHTS), where libuv's read() of a plain socket (a net.Socket over the fd)
// would drop them; sendmsg attaches ours to the first byte of a message. Bytes and fds only: what
// they mean is the IPC channel's (ipc.ts).
//
// Ownership: every fd received is handed to onData, whose caller owns it from then on; every fd
// given to write() is the socket's, closed once sent or once the write is dropped.
import { closeFd, receiveWithFds, sendWithFds, watchFd, type NativeFdWatcher } from '../core/raw-fds';

export interface FdSocketHandlers {
  /** Bytes read, and the fds that came with them (owned by the callee from now on). */
  onData(chunk: Buffer, fds: number[]): void;
  /** EOF (0) or a read error (an errno value): nothing more will be read. */
  onEnd(errno: number): void;
}

/** write()'s result when the bytes were all taken at once. */
export const WRITTEN = 0;
/** write()'s result when they wait for the socket to drain; `done` is called then. */
export const QUEUED = 1;

interface PendingWrite {
  bytes: Buffer;
  fds: number[];
  done: ((errno: number) => void) | undefined;
}

const EAGAIN = 11;
const ECANCELED = 125;
// A read copies out of one 64 KiB buffer (as libuv's reads are at most 64 KiB).
const READ_SIZE = 64 * 1024;
// Reads per readiness event, so that a chatty child cannot starve the rest of the event loop.
const READS_PER_WAKE = 16;
const scratch = Buffer.allocUnsafe(READ_SIZE);

export class FdSocket {
  readonly fd: number;
  readonly #handlers: FdSocketHandlers;
  readonly #watcher: NativeFdWatcher;
  readonly #queue: PendingWrite[] = [];
  #queuedBytes = 0;
  #reading = true;
  #closing = false;
  #closed = false;

  constructor(fd: number, handlers: FdSocketHandlers) {
    this.fd = fd;
    this.#handlers = handlers;
    this.#watcher = watchFd(fd, (errno, readable, writable) => this.#ready(errno, readable, writable));
    this.#watch();
  }

  /** Bytes queued that the kernel has not taken yet (Node's channel.writeQueueSize). */
  get writeQueueSize(): number {
    return this.#queuedBytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  ref(): void {
    this.#watcher.ref();
  }

  unref(): void {
    this.#watcher.unref();
  }

  /**
   * Sends `bytes` with `fds` (which become the socket's): WRITTEN when the kernel took them all
   * now, QUEUED when they wait (`done` gets 0 or an errno later), or -errno when the socket
   * refused them now (nothing queued; the fds are closed).
   */
  write(bytes: Buffer, fds: number[], done?: (errno: number) => void): number {
    if (this.#closed || this.#closing) {
      closeAll(fds);
      return -ECANCELED;
    }
    if (this.#queue.length === 0) {
      const sent = sendWithFds(this.fd, bytes, fds);
      if (sent < 0 && sent !== -EAGAIN) {
        closeAll(fds);
        return sent;
      }
      if (sent === bytes.length) {
        closeAll(fds);
        return WRITTEN;
      }
      if (sent > 0) {
        closeAll(fds);
        fds = [];
        bytes = bytes.subarray(sent);
      }
    }
    this.#queue.push({ bytes, fds, done });
    this.#queuedBytes += bytes.length;
    this.#watch();
    return QUEUED;
  }

  /** Stops reading, sends what is queued, then closes the fd. */
  close(): void {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    this.#reading = false;
    if (this.#queue.length === 0) this.#release();
    else this.#watch();
  }

  #ready(errno: number, readable: boolean, writable: boolean): void {
    if (this.#closed) return;
    // libuv reports a socket error (EPOLLERR: the child went away with our data unread) as
    // UV_EBADF and stops the poll: the read and the write then tell the real errno themselves.
    const failed = errno !== 0;
    if ((readable || failed) && this.#reading) this.#read();
    if ((writable || failed) && !this.#closed) this.#flush();
    if (failed) this.#watch();
  }

  #read(): void {
    for (let i = 0; i < READS_PER_WAKE && this.#reading; i++) {
      const received = receiveWithFds(this.fd, scratch);
      if (received.bytes === -EAGAIN) return;
      if (received.bytes <= 0) {
        closeAll(received.fds);
        this.#end(-received.bytes);
        return;
      }
      this.#handlers.onData(Buffer.from(scratch.subarray(0, received.bytes)), received.fds);
    }
  }

  // Told a tick later: libuv reports data and the EOF after it in two callbacks, each followed by
  // the nextTick queue, so Node emits the messages read just before an EOF while the channel is
  // still connected. Reading them in one wake-up here must not change that order.
  #end(errno: number): void {
    this.#reading = false;
    this.#watch();
    process.nextTick(() => this.#handlers.onEnd(errno));
  }

  #flush(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as PendingWrite;
      const sent = sendWithFds(this.fd, head.bytes, head.fds);
      if (sent === -EAGAIN) break;
      if (sent < 0) {
        this.#failQueue(-sent);
        break;
      }
      closeAll(head.fds);
      head.fds = [];
      this.#queuedBytes -= sent;
      if (sent < head.bytes.length) {
        head.bytes = head.bytes.subarray(sent);
        continue;
      }
      this.#queue.shift();
      head.done?.(0);
    }
    if (this.#queue.length === 0 && this.#closing) this.#release();
    else this.#watch();
  }

  #failQueue(errno: number): void {
    for (const write of this.#queue.splice(0)) {
      closeAll(write.fds);
      write.done?.(errno);
    }
    this.#queuedBytes = 0;
  }

  #watch(): void {
    if (this.#closed) return;
    this.#watcher.start(this.#reading, this.#queue.length > 0);
  }

  #release(): void {
    this.#closed = true;
    this.#reading = false;
    this.#watcher.close();
    closeFd(this.fd);
  }
}

export function closeAll(fds: readonly number[]): void {
  for (const fd of fds) closeFd(fd);
}
