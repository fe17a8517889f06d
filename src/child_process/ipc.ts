// The parent's end of a Node IPC channel: our end of a socketpair whose other end is the child's
// NODE_CHANNEL_FD, carrying messages in the child's NODE_CHANNEL_SERIALIZATION_MODE. What Node's
// setupChannel (lib/internal/child_process.js) does, on a socket the addon reads with recvmsg
// and writes with sendmsg (fd-socket.ts), so that handles travel as Node's do: a NODE_HANDLE
// message with the handle's fd as SCM_RIGHTS, acknowledged by NODE_HANDLE_ACK (or NACK), one at a
// time, with the messages sent meanwhile queued behind it. A Node child's own process.send() and
// process.on('message') work unchanged, handles included, both ways.
import { EventEmitter } from 'node:events';
import { closeFd, duplicateFd } from '../core/raw-fds';
import { codecFor, type Codec } from './ipc-codec';
import { errnoException, invalidArgType, ipcChannelClosed, ipcDisconnected, missingArgs } from './errors';
import { closeAll, FdSocket, QUEUED } from './fd-socket';
import { closesAfterSend, handleFromFd, handleToSend, handleTypeOf, type HandleMessage, type RawHandle, type SendOptions } from './handles';
import type { Serialization } from './normalize';
import type { SocketListOwner, SocketListReceive, SocketListSend } from './socket-list';

export type SendCallback = (error: Error | null) => void;

/** Node's rule: past 128 KiB that the kernel has not taken yet, the sender should wait. */
const SEND_QUEUE_LIMIT = 65536 * 2;
const INTERNAL_PREFIX = 'NODE_';
const MAX_HANDLE_RETRANSMISSIONS = 3;

/** What the channel reports to: the ChildProcess that owns it. */
export interface ChannelOwner extends EventEmitter {
  connected: boolean;
  channel: Control | null | undefined;
}

/**
 * `child.channel`: keeps the event loop alive while connected, unless unref()'d. refCounted()
 * and unrefCounted() count users (Node counts writes in flight; execa counts its own listeners);
 * once ref() or unref() has been called they change nothing, as in Node.
 */
export class Control extends EventEmitter {
  readonly #socket: FdSocket;
  #refs = 0;
  #refExplicitlySet = false;
  /** Messages that came while nobody listened to 'message' (Node's kPendingMessages). */
  pendingMessages: [string, unknown, unknown][] = [];

  constructor(socket: FdSocket) {
    super();
    this.#socket = socket;
  }

  refCounted(): void {
    if (++this.#refs === 1 && !this.#refExplicitlySet) this.#socket.ref();
  }

  unrefCounted(): void {
    if (--this.#refs === 0 && !this.#refExplicitlySet) {
      this.#socket.unref();
      this.emit('unref');
    }
  }

  ref(): void {
    this.#refExplicitlySet = true;
    this.#socket.ref();
  }

  unref(): void {
    this.#refExplicitlySet = true;
    this.#socket.unref();
  }

  get fd(): number | undefined {
    return this.#socket.closed ? undefined : this.#socket.fd;
  }
}

interface QueuedSend {
  message: unknown;
  handle: unknown;
  options: SendOptions;
  callback: SendCallback | undefined;
}

/** A NODE_HANDLE message and the libuv handle whose fd goes with it. */
interface CarriedHandle {
  message: HandleMessage;
  rawHandle: RawHandle;
}

interface PendingHandle extends CarriedHandle {
  options: SendOptions;
  callback: SendCallback | undefined;
  retransmissions: number;
}

export class IpcChannel implements SocketListOwner {
  readonly control: Control;
  readonly child: ChannelOwner;
  readonly socketLists = { send: new Map<string, SocketListSend>(), got: new Map<string, SocketListReceive>() };
  readonly #socket: FdSocket;
  readonly #codec: Codec;
  // Node's target._handleQueue: while a handle waits for its ACK, every send waits behind it.
  #handleQueue: QueuedSend[] | null = null;
  // Node's target._pendingMessage: a socket sent without keepOpen, closed at its ACK.
  #pendingHandle: PendingHandle | null = null;
  // The fds of the last read, for the NODE_HANDLE message in it (the kernel never joins a read's
  // fds to bytes sent after them).
  #receivedFds: number[] = [];
  #attached = true;
  #finished = false;
  readonly #onFinished: (() => void)[] = [];

  constructor(owner: ChannelOwner, fd: number, serialization: Serialization) {
    this.child = owner;
    this.#codec = codecFor(serialization);
    this.#socket = new FdSocket(fd, {
      onData: (chunk, fds) => this.#onData(chunk, fds),
      onEnd: () => this.#onEnd(),
    });
    this.control = new Control(this.#socket);
    owner.channel = this.control;
    owner.connected = true;
    owner.on('internalMessage', (message: { cmd?: unknown }, handle: unknown) => this.#onInternalMessage(message, handle));
    owner.on('newListener', () => process.nextTick(() => this.#deliverPending()));
  }

  /** Not yet closed on our side: 'disconnect' has not been emitted. */
  get isOpen(): boolean {
    return !this.#finished;
  }

  /** Calls back once 'disconnect' has been emitted (at once if it has). */
  whenClosed(callback: () => void): void {
    if (this.#finished) callback();
    else this.#onFinished.push(callback);
  }

  /** Calls back once the channel is closed, or soon if it stays open (a grandchild holds it). */
  afterClose(callback: () => void): void {
    if (this.#finished) return callback();
    let called = false;
    const once = (): void => {
      if (called) return;
      called = true;
      callback();
    };
    this.whenClosed(once);
    // The child's end closes before the kernel reports its exit, so its EOF waits in the socket:
    // one more turn of the event loop reads it.
    setImmediate(() => setImmediate(once));
  }

  /** Node's child.send(message[, handle][, options][, callback]). */
  send(message: unknown, handleOrCallback?: unknown, optionsOrCallback?: unknown, maybeCallback?: unknown): boolean {
    const { handle, options, callback } = sendArguments(handleOrCallback, optionsOrCallback, maybeCallback);
    if (this.child.connected) return this.#send(message, handle, options, callback);
    const error = ipcChannelClosed();
    if (callback !== undefined) process.nextTick(callback, error);
    else process.nextTick(() => this.child.emit('error', error));
    return false;
  }

  /** Node's _send(message, null, swallowErrors): the channel's own messages. */
  sendInternal(message: object, swallowErrors: boolean): void {
    this.#send(message, undefined, { swallowErrors }, undefined);
  }

  /** Node's child.disconnect(): an 'error' if already disconnected, else 'disconnect' a tick later. */
  disconnect(): void {
    if (!this.child.connected) {
      this.child.emit('error', ipcDisconnected());
      return;
    }
    this.child.connected = false;
    // Queued messages (behind a handle's ACK) go first; the disconnect follows them.
    if (this.#handleQueue === null) this.#detach();
  }

  #send(message: unknown, handle: unknown, options: SendOptions, callback: SendCallback | undefined): boolean {
    validateMessage(message);
    if (handle) {
      const handleMessage: HandleMessage = { cmd: 'NODE_HANDLE', type: handleTypeOf(handle), msg: message };
      if (this.#handleQueue !== null) return this.#enqueue({ message, handle, options, callback });
      const rawHandle = handleToSend(this, handleMessage, handle, options);
      // A socket already sent, or closed: the message goes alone, as in Node.
      if (rawHandle !== undefined) return this.#write(handleMessage, { message: handleMessage, rawHandle }, options, callback);
    } else if (this.#handleQueue !== null && !isAck(message)) {
      return this.#enqueue({ message, handle: null, options, callback });
    }
    return this.#write(message, null, options, callback);
  }

  // Writes one message, with a copy of the handle's fd when it carries one; from then on, until
  // the ACK, later sends wait in the handle queue.
  #write(message: unknown, carried: CarriedHandle | null, options: SendOptions, callback: SendCallback | undefined): boolean {
    const bytes = this.#codec.encode(message);
    const fds = carried === null ? [] : [duplicateFd(carried.rawHandle.fd)];
    const result = fds.some((fd) => fd < 0) ? (fds[0] as number) : this.#socket.write(bytes, fds, () => this.#written(callback));
    const closesAfter = carried !== null && closesAfterSend(carried.message, options);
    if (result >= 0) {
      if (carried !== null) {
        this.#handleQueue ??= [];
        if (closesAfter) this.#pendingHandle = { ...carried, options, callback, retransmissions: 0 };
      }
      if (result === QUEUED) this.control.refCounted();
      else if (callback !== undefined) process.nextTick(callback, null);
    } else {
      if (closesAfter) carried.rawHandle.close();
      if (!options.swallowErrors) this.#failed(errnoException(-result, 'write'), callback);
    }
    return this.#socket.writeQueueSize < SEND_QUEUE_LIMIT;
  }

  // As Node's req.oncomplete: a write that had to wait reports success to its callback whatever
  // became of it (a child gone with messages still queued is no error; 'disconnect' tells it).
  #written(callback: SendCallback | undefined): void {
    this.control.unrefCounted();
    callback?.(null);
  }

  #failed(error: Error, callback: SendCallback | undefined): void {
    if (callback !== undefined) process.nextTick(callback, error);
    else process.nextTick(() => this.child.emit('error', error));
  }

  #enqueue(send: QueuedSend): boolean {
    const queue = this.#handleQueue as QueuedSend[];
    queue.push(send);
    return queue.length === 1;
  }

  #onInternalMessage(message: { cmd?: unknown }, handle: unknown): void {
    if (message.cmd === 'NODE_HANDLE_ACK' || message.cmd === 'NODE_HANDLE_NACK') {
      this.#acknowledged(message.cmd === 'NODE_HANDLE_ACK');
      return;
    }
    if (message.cmd !== 'NODE_HANDLE') return;
    const received = handle as ReceivedFd | undefined;
    // Nothing came with it (MSG_CTRUNC, say): the sender tries again, as with Node.
    if (received === undefined) return this.sendInternal({ cmd: 'NODE_HANDLE_NACK' }, true);
    this.sendInternal({ cmd: 'NODE_HANDLE_ACK' }, true);
    const handleMessage = message as HandleMessage;
    handleFromFd(this, handleMessage, received.take(), (object) => {
      this.#handleMessage(handleMessage.msg, object, isInternal(handleMessage.msg));
    });
  }

  // Node: an ACK closes the socket sent (a NACK sends it again, up to three times), then what
  // waited behind it is sent, and a disconnect asked for meanwhile happens.
  #acknowledged(ack: boolean): void {
    const pending = this.#pendingHandle;
    if (pending !== null) {
      if (ack) this.#closePendingHandle();
      else if (pending.retransmissions++ === MAX_HANDLE_RETRANSMISSIONS) {
        this.#closePendingHandle();
        process.emitWarning('Handle did not reach the receiving process correctly', 'SentHandleNotReceivedWarning');
      }
    }
    const queue = this.#handleQueue ?? [];
    this.#handleQueue = null;
    // A NACK: the same message with the same handle (the socket gave its handle up at the first send).
    const resend = this.#pendingHandle;
    if (resend !== null) {
      this.#pendingHandle = null;
      this.#write(resend.message, resend, resend.options, resend.callback);
    }
    for (const send of queue) this.#send(send.message, send.handle, send.options, send.callback);
    if (!this.child.connected && this.#attached && this.#handleQueue === null) this.#detach();
  }

  #closePendingHandle(): void {
    this.#pendingHandle?.rawHandle.close();
    this.#pendingHandle = null;
  }

  // Node's onread: the fds first (so that nothing received is left unowned), then one message at
  // a time. A bad one throws (the process's uncaught exception, as in Node) once its frame has
  // been taken off; the messages after it are delivered on the next tick.
  #onData(chunk: Buffer, fds: number[]): void {
    if (fds.length > 0) {
      closeAll(this.#receivedFds);
      this.#receivedFds = fds;
    }
    this.#codec.push(chunk);
    this.#deliverDecoded();
  }

  #deliverDecoded(): void {
    for (;;) {
      let next: { message: unknown } | undefined;
      try {
        next = this.#codec.next();
      } catch (error) {
        process.nextTick(() => this.#deliverDecoded());
        throw error;
      }
      if (next === undefined) return;
      const message = next.message;
      if (isInternal(message) && (message as { cmd: string }).cmd === 'NODE_HANDLE') {
        const fds = this.#receivedFds;
        this.#receivedFds = [];
        closeAll(fds.slice(1));
        this.#handleMessage(message, fds.length > 0 ? new ReceivedFd(fds[0] as number) : undefined, true);
      } else {
        this.#handleMessage(message, undefined, isInternal(message));
      }
    }
  }

  // The child closed its end (it exited, or called process.disconnect()), or a read failed.
  // After a disconnect() that was still waiting for a message, 'disconnect' comes at once: that
  // message will now never end.
  #onEnd(): void {
    closeAll(this.#receivedFds.splice(0));
    this.child.connected = false;
    if (this.#attached) this.#detach(true);
    else this.#finish();
  }

  // Node's _disconnect: `channel` is null at once, the socket sent and not yet acknowledged is
  // closed, and 'disconnect' comes a tick later (or after the message being read, if one is).
  #detach(atEof = false): void {
    this.#attached = false;
    this.child.channel = null;
    this.#closePendingHandle();
    const finish = (): void => this.#finish();
    if (this.#codec.buffering && !atEof) {
      this.child.once('message', finish);
      this.child.once('internalMessage', finish);
      return;
    }
    process.nextTick(finish);
  }

  // Once. What is already written still reaches the child; nothing more is read.
  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#socket.close();
    closeAll(this.#receivedFds.splice(0));
    for (const queued of this.#handleQueue?.splice(0) ?? []) queued.callback?.(null);
    this.child.emit('disconnect');
    for (const callback of this.#onFinished.splice(0)) callback();
  }

  // Node's handleMessage and emit: on the next tick; a 'message' nobody listens to yet waits for
  // the first listener (a handle that arrives after the channel closed is closed).
  #handleMessage(message: unknown, handle: unknown, internal: boolean): void {
    if (!this.#attached) {
      if (handle instanceof ReceivedFd) handle.discard();
      return;
    }
    const event = internal ? 'internalMessage' : 'message';
    process.nextTick(() => {
      if (event === 'internalMessage' || this.child.listenerCount('message') > 0) {
        this.child.emit(event, message, handle);
        if (handle instanceof ReceivedFd) handle.discard();
        return;
      }
      this.control.pendingMessages.push([event, message, handle]);
    });
  }

  #deliverPending(): void {
    if (!this.#attached || this.child.listenerCount('message') === 0) return;
    const messages = this.control.pendingMessages;
    this.control.pendingMessages = [];
    for (const [event, message, handle] of messages) this.child.emit(event, message, handle);
  }
}

/** An fd received with a NODE_HANDLE message, until a handle is made of it (or it is closed). */
class ReceivedFd {
  #fd: number | null;

  constructor(fd: number) {
    this.#fd = fd;
  }

  /** The fd, now the caller's. */
  take(): number {
    const fd = this.#fd;
    if (fd === null) throw new Error('this fd has already been taken');
    this.#fd = null;
    return fd;
  }

  /** Closes it unless it was taken. */
  discard(): void {
    if (this.#fd !== null) closeFd(this.#fd);
    this.#fd = null;
  }
}

function sendArguments(
  handleOrCallback: unknown,
  optionsOrCallback: unknown,
  maybeCallback: unknown,
): { handle: unknown; options: SendOptions; callback: SendCallback | undefined } {
  if (typeof handleOrCallback === 'function') return { handle: undefined, options: { swallowErrors: false }, callback: handleOrCallback as SendCallback };
  const options = { swallowErrors: false };
  if (typeof optionsOrCallback === 'function') return { handle: handleOrCallback, options, callback: optionsOrCallback as SendCallback };
  // Node's validateObject: null and arrays are no options object either.
  if (optionsOrCallback !== undefined && (optionsOrCallback === null || typeof optionsOrCallback !== 'object' || Array.isArray(optionsOrCallback))) {
    throw invalidArgType('options', 'of type object', optionsOrCallback);
  }
  const callback = typeof maybeCallback === 'function' ? (maybeCallback as SendCallback) : undefined;
  return { handle: handleOrCallback, options: { ...options, ...(optionsOrCallback as SendOptions | undefined) }, callback };
}

function validateMessage(message: unknown): void {
  if (message === undefined) throw missingArgs('message');
  const type = typeof message;
  if (type !== 'string' && type !== 'object' && type !== 'number' && type !== 'boolean') {
    throw invalidArgType('message', 'one of type string, object, number, or boolean', message);
  }
}

function isAck(message: unknown): boolean {
  const cmd = (message as { cmd?: unknown } | null)?.cmd;
  return cmd === 'NODE_HANDLE_ACK' || cmd === 'NODE_HANDLE_NACK';
}

// Node keeps messages whose `cmd` starts with NODE_ for itself ('internalMessage').
function isInternal(message: unknown): boolean {
  if (message === null || typeof message !== 'object') return false;
  const cmd = (message as { cmd?: unknown }).cmd;
  return typeof cmd === 'string' && cmd.length > INTERNAL_PREFIX.length && cmd.startsWith(INTERNAL_PREFIX);
}
