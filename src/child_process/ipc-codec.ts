// The two serializations of Node's IPC channel, byte for byte as lib/internal/child_process/
// serialization.js writes and reads them: 'json' (one JSON text per line, UTF-8) and 'advanced'
// (a big-endian uint32 length, then V8's serialization). Each message is decoded on its own: its
// frame is taken off the buffer first, so a bad one throws once (Node's error for it) and the
// next call goes on with the message after it.
import { StringDecoder } from 'node:string_decoder';
import { types } from 'node:util';
import v8 from 'node:v8';
import type { Serialization } from './normalize';

export interface Codec {
  encode(message: unknown): Buffer;
  /** Bytes read from the channel. */
  push(chunk: Buffer): void;
  /** The next whole message, decoded (a bad one throws), or undefined until more is read. */
  next(): { message: unknown } | undefined;
  /** Part of a message has been read (Node's channel.buffering). */
  readonly buffering: boolean;
}

export function codecFor(serialization: Serialization): Codec {
  return serialization === 'advanced' ? new AdvancedCodec() : new JsonCodec();
}

class JsonCodec implements Codec {
  readonly #decoder = new StringDecoder('utf8');
  #partial = '';
  readonly #lines: string[] = [];

  encode(message: unknown): Buffer {
    return Buffer.from(`${JSON.stringify(message)}\n`);
  }

  push(chunk: Buffer): void {
    const lines = this.#decoder.write(chunk).split('\n');
    const incomplete = lines.pop() ?? '';
    if (lines.length > 0) {
      lines[0] = this.#partial + lines[0];
      this.#partial = '';
      this.#lines.push(...lines);
    }
    this.#partial += incomplete;
  }

  next(): { message: unknown } | undefined {
    const line = this.#lines.shift();
    return line === undefined ? undefined : { message: JSON.parse(line) as unknown };
  }

  get buffering(): boolean {
    return this.#partial.length > 0;
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
    if (tag !== NOT_ARRAY_BUFFER_VIEW_TAG) throw new Error(`Unknown host object tag ${tag} in an IPC message`);
    return this.readValue();
  }
}

const LENGTH_BYTES = 4;

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

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  next(): { message: unknown } | undefined {
    if (this.#length < LENGTH_BYTES) return undefined;
    if ((this.#chunks[0] as Buffer).length < LENGTH_BYTES) this.#join();
    const end = LENGTH_BYTES + (this.#chunks[0] as Buffer).readUInt32BE(0);
    if (this.#length < end) return undefined;
    const buffered = this.#join();
    const rest = buffered.subarray(end);
    this.#chunks = rest.length === 0 ? [] : [rest];
    this.#length = rest.length;
    // Taken off the buffer before it is decoded: a frame that does not decode is skipped.
    const deserializer = new MessageDeserializer(buffered.subarray(LENGTH_BYTES, end));
    deserializer.readHeader();
    return { message: deserializer.readValue() };
  }

  get buffering(): boolean {
    return this.#length > 0;
  }

  #join(): Buffer {
    const joined = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [joined];
    return joined;
  }
}
