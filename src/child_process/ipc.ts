// The parent's end of a Node IPC channel: a socketpair end whose other side is the child's
// NODE_CHANNEL_FD, carrying messages in the child's NODE_CHANNEL_SERIALIZATION_MODE. Byte for byte
// what Node's lib/internal/child_process/serialization.js writes and reads, so that a Node child's
// own process.send() and process.on('message') work unchanged. Handles (sockets, servers) are not
// passed: that needs SCM_RIGHTS on the socket, which a net.Socket over an fd cannot send.
import type { EventEmitter } from 'node:events';
import type net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { types } from 'node:util';
import v8 from 'node:v8';
import { errnoException, invalidArgType, ipcChannelClosed, ipcDisconnected, ipcHandleNotSupported, missingArgs } from './errors';
import type { Serialization } from './normalize';

export type SendCallback = (error: Error | null) => void;

/** Node's rule: past 128 KiB that the kernel has not taken yet, the sender should wait. */
const SEND_QUEUE_LIMIT = 65536 * 2;
const INTERNAL_PREFIX = 'NODE_';

/** What the channel reports to: the ChildProcess that owns it. */
export interface ChannelOwner extends EventEmitter {
  connected: boolean;
}

/** `child.channel`: keeps the event loop alive while connected, unless unref()'d. */
export class Channel {
  readonly #socket: net.Socket;

  constructor(socket: net.Socket) {
    this.#socket = socket;
  }

  get fd(): number | undefined {
    const handle = (this.#socket as unknown as { _handle?: { fd?: number } | null })._handle;
    return handle?.fd;
  }

  ref(): void {
    this.#socket.ref();
  }

  unref(): void {
    this.#socket.unref();
  }
}

export class IpcChannel {
  readonly control: Channel;
  readonly #owner: ChannelOwner;
  readonly #socket: net.Socket;
  readonly #codec: Codec;
  #open = true;
  readonly #onClosed: (() => void)[] = [];

  constructor(owner: ChannelOwner, socket: net.Socket, serialization: Serialization) {
    this.#owner = owner;
    this.#socket = socket;
    this.#codec = serialization === 'advanced' ? new AdvancedCodec() : new JsonCodec();
    this.control = new Channel(socket);
    owner.connected = true;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    // The child closed its end (it exited, or called process.disconnect()).
    socket.on('end', () => this.#remoteClosed());
    // A write that failed is reported to its callback; the channel is gone either way.
    socket.on('error', () => this.#remoteClosed());
  }

  /** Still open: no disconnect yet from either side. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Calls back once the channel is closed, or soon if it stays open (a grandchild holds it). */
  afterClose(callback: () => void): void {
    if (!this.#open) return callback();
    let called = false;
    const once = (): void => {
      if (called) return;
      called = true;
      callback();
    };
    this.#onClosed.push(once);
    // The child's end closes before the kernel reports its exit, so its EOF waits in the socket:
    // one more turn of the event loop reads it.
    setImmediate(() => setImmediate(once));
  }

  /** Node's child.send(message[, handle][, options][, callback]). */
  send(message: unknown, handleOrCallback?: unknown, optionsOrCallback?: unknown, maybeCallback?: unknown): boolean {
    const { handle, callback } = sendArguments(handleOrCallback, optionsOrCallback, maybeCallback);
    if (!this.#owner.connected) {
      const error = ipcChannelClosed();
      if (callback !== undefined) process.nextTick(callback, error);
      else process.nextTick(() => this.#owner.emit('error', error));
      return false;
    }
    validateMessage(message);
    if (handle) throw ipcHandleNotSupported(handle);
    this.#socket.write(this.#codec.encode(message), (error?: Error | null) => this.#written(error ?? null, callback));
    return this.#socket.writableLength < SEND_QUEUE_LIMIT;
  }

  /** Node's child.disconnect(): an 'error' if already disconnected, else 'disconnect' a tick later. */
  disconnect(): void {
    if (!this.#owner.connected) {
      this.#owner.emit('error', ipcDisconnected());
      return;
    }
    this.#close();
  }

  #written(error: Error | null, callback: SendCallback | undefined): void {
    if (error === null) {
      callback?.(null);
      return;
    }
    const failure = errnoException(Math.abs((error as { errno?: number }).errno ?? 32), 'write');
    if (callback !== undefined) callback(failure);
    else this.#owner.emit('error', failure);
  }

  #onData(chunk: Buffer): void {
    if (!this.#open) return;
    for (const message of this.#codec.decode(chunk)) {
      const event = isInternal(message) ? 'internalMessage' : 'message';
      process.nextTick(() => this.#owner.emit(event, message, undefined));
    }
  }

  #remoteClosed(): void {
    if (this.#open) this.#close();
  }

  // What is already written still reaches the child; nothing more is read.
  #close(): void {
    this.#open = false;
    this.#owner.connected = false;
    this.#socket.destroySoon();
    process.nextTick(() => {
      this.#owner.emit('disconnect');
      for (const callback of this.#onClosed.splice(0)) callback();
    });
  }
}

function sendArguments(
  handleOrCallback: unknown,
  optionsOrCallback: unknown,
  maybeCallback: unknown,
): { handle: unknown; callback: SendCallback | undefined } {
  if (typeof handleOrCallback === 'function') return { handle: undefined, callback: handleOrCallback as SendCallback };
  if (typeof optionsOrCallback === 'function') return { handle: handleOrCallback, callback: optionsOrCallback as SendCallback };
  // Node's validateObject: null and arrays are no options object either.
  if (optionsOrCallback !== undefined && (optionsOrCallback === null || typeof optionsOrCallback !== 'object' || Array.isArray(optionsOrCallback))) {
    throw invalidArgType('options', 'of type object', optionsOrCallback);
  }
  const callback = typeof maybeCallback === 'function' ? (maybeCallback as SendCallback) : undefined;
  return { handle: handleOrCallback, callback };
}

function validateMessage(message: unknown): void {
  if (message === undefined) throw missingArgs('message');
  const type = typeof message;
  if (type !== 'string' && type !== 'object' && type !== 'number' && type !== 'boolean') {
    throw invalidArgType('message', 'one of type string, object, number, or boolean', message);
  }
}

// Node keeps messages whose `cmd` starts with NODE_ for itself ('internalMessage').
function isInternal(message: unknown): boolean {
  if (message === null || typeof message !== 'object') return false;
  const cmd = (message as { cmd?: unknown }).cmd;
  return typeof cmd === 'string' && cmd.length > INTERNAL_PREFIX.length && cmd.startsWith(INTERNAL_PREFIX);
}

interface Codec {
  encode(message: unknown): string | Buffer;
  decode(chunk: Buffer): unknown[];
}

/** 'json': one JSON text per line, UTF-8. */
class JsonCodec implements Codec {
  readonly #decoder = new StringDecoder('utf8');
  #partial = '';

  encode(message: unknown): string {
    return `${JSON.stringify(message)}\n`;
  }

  decode(chunk: Buffer): unknown[] {
    const lines = this.#decoder.write(chunk).split('\n');
    const incomplete = lines.pop() ?? '';
    if (lines.length === 0) {
      this.#partial += incomplete;
      return [];
    }
    lines[0] = this.#partial + lines[0];
    this.#partial = incomplete;
    return lines.map((line) => JSON.parse(line) as unknown);
  }
}

// Node's 'advanced' host objects: a typed array or DataView as V8's DefaultSerializer writes it
// (tag 0), any other host object as a plain copy of its own properties (tag 1), like JSON would.
const ARRAY_BUFFER_VIEW_TAG = 0;
const NOT_ARRAY_BUFFER_VIEW_TAG = 1;

// @types/node leaves out the hooks the Default classes implement for host objects.
const SerializerBase = v8.DefaultSerializer as unknown as new () => v8.Serializer & { _writeHostObject(object: object): void };
const DeserializerBase = v8.DefaultDeserializer as unknown as new (buffer: Buffer) => v8.Deserializer & {
  _readHostObject(): unknown;
};

class MessageSerializer extends SerializerBase {
  override _writeHostObject(object: object): void {
    if (types.isArrayBufferView(object)) {
      this.writeUint32(ARRAY_BUFFER_VIEW_TAG);
      super._writeHostObject(object);
      return;
    }
    this.writeUint32(NOT_ARRAY_BUFFER_VIEW_TAG);
    this.writeValue({ ...object });
  }
}

class MessageDeserializer extends DeserializerBase {
  override _readHostObject(): unknown {
    const tag = this.readUint32();
    if (tag === ARRAY_BUFFER_VIEW_TAG) return super._readHostObject();
    return this.readValue();
  }
}

const LENGTH_BYTES = 4;

/** 'advanced': a big-endian uint32 length, then V8's serialization of the message. */
class AdvancedCodec implements Codec {
  // Chunks of an incomplete message, joined only once it is all there: a large message that
  // arrives in many reads is copied once, not once per read.
  #chunks: Buffer[] = [];
  #length = 0;

  encode(message: unknown): Buffer {
    const serializer = new MessageSerializer();
    serializer.writeRawBytes(Buffer.alloc(LENGTH_BYTES));
    serializer.writeHeader();
    serializer.writeValue(message);
    const framed = serializer.releaseBuffer();
    framed.writeUInt32BE(framed.length - LENGTH_BYTES, 0);
    return framed;
  }

  decode(chunk: Buffer): unknown[] {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    const messages: unknown[] = [];
    while (this.#length >= LENGTH_BYTES) {
      if ((this.#chunks[0] as Buffer).length < LENGTH_BYTES) this.#join();
      const end = LENGTH_BYTES + (this.#chunks[0] as Buffer).readUInt32BE(0);
      if (this.#length < end) break;
      const buffered = this.#join();
      const deserializer = new MessageDeserializer(buffered.subarray(LENGTH_BYTES, end));
      deserializer.readHeader();
      messages.push(deserializer.readValue());
      const rest = buffered.subarray(end);
      this.#chunks = rest.length === 0 ? [] : [rest];
      this.#length = rest.length;
    }
    return messages;
  }

  #join(): Buffer {
    const joined = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [joined];
    return joined;
  }
}
