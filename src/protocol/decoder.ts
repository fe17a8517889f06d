import { Transform, type TransformCallback, type TransformOptions } from 'node:stream';
import { FrameTooLargeError, FrameTooShortError, FrameTruncatedError } from './errors';
import { DEFAULT_MAX_FRAME_SIZE, HEADER_SIZE, MAX_FRAME_LENGTH, isKnownType, type Frame } from './frame';
import { assertIntegerInRange } from '../core/validate';

export interface FrameDecoderOptions {
  /** The largest frame accepted, header included; default 64 MiB. */
  maxFrameSize?: number;
  /** How many decoded frames the readable side buffers before `write()` reports back-pressure. */
  readableHighWaterMark?: number;
}

const EMPTY_PAYLOAD = Buffer.alloc(0);

/**
 * Turns a byte stream into frames: `{ type, sequence, payload }` objects on the readable side.
 *
 * - A frame that lies wholly inside one written chunk gets a payload that is a view of that
 *   chunk (no copy): it shares memory with the chunk, so the writer must not reuse the chunk.
 * - A frame split across chunks is copied once, into a buffer of exactly its payload length,
 *   allocated only after the length has been checked against `maxFrameSize`.
 * - Frames of a type this version does not define (below 1000) and reserved types (1000 and up)
 *   are not pushed; they are reported through the `'unknownFrame'` event and decoding goes on.
 * - A length below 8 or above `maxFrameSize`, or the end of the input inside a frame, destroys
 *   the stream with a FrameError (`ERR_FRAME_TOO_SHORT`, `ERR_FRAME_TOO_LARGE`,
 *   `ERR_FRAME_TRUNCATED`).
 */
export class FrameDecoder extends Transform {
  readonly maxFrameSize: number;

  // A header split across chunks is gathered here; `headerFilled` counts its bytes so far.
  private readonly headerScratch = Buffer.alloc(HEADER_SIZE);
  private headerFilled = 0;

  // The frame whose payload is being assembled across chunks, if any.
  private type = 0;
  private sequence = 0;
  private payload: Buffer | undefined;
  private payloadFilled = 0;

  constructor(options: FrameDecoderOptions = {}) {
    const { maxFrameSize = DEFAULT_MAX_FRAME_SIZE, readableHighWaterMark } = options;
    assertIntegerInRange(maxFrameSize, 'the `maxFrameSize` option', HEADER_SIZE, MAX_FRAME_LENGTH);
    const streamOptions: TransformOptions = { readableObjectMode: true };
    if (readableHighWaterMark !== undefined) {
      assertIntegerInRange(readableHighWaterMark, 'the `readableHighWaterMark` option', 1, 2 ** 31 - 1);
      streamOptions.readableHighWaterMark = readableHighWaterMark;
    }
    super(streamOptions);
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes of the current, incomplete frame received so far (0 between frames). */
  get bufferedBytes(): number {
    return this.payload === undefined ? this.headerFilled : HEADER_SIZE + this.payloadFilled;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let offset = this.continuePartialFrame(chunk);
      offset = this.decodeWholeFrames(chunk, offset);
      this.beginPartialFrame(chunk, offset);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.payload !== undefined) {
      callback(new FrameTruncatedError(this.bufferedBytes, HEADER_SIZE + this.payload.length));
    } else if (this.headerFilled > 0) {
      callback(new FrameTruncatedError(this.headerFilled, undefined));
    } else {
      callback();
    }
  }

  /** Feeds the start of `chunk` to the frame left incomplete by earlier chunks; returns the bytes used. */
  private continuePartialFrame(chunk: Buffer): number {
    let offset = 0;
    if (this.headerFilled > 0) {
      offset = Math.min(HEADER_SIZE - this.headerFilled, chunk.length);
      chunk.copy(this.headerScratch, this.headerFilled, 0, offset);
      this.headerFilled += offset;
      if (this.headerFilled < HEADER_SIZE) return offset;
      this.headerFilled = 0;
      const payloadLength = this.readHeader(this.headerScratch, 0);
      if (chunk.length - offset >= payloadLength) {
        this.deliver(this.type, this.sequence, chunk.subarray(offset, offset + payloadLength));
        return offset + payloadLength;
      }
      this.payload = Buffer.allocUnsafe(payloadLength);
      this.payloadFilled = 0;
    }
    if (this.payload === undefined) return offset;
    const copied = chunk.copy(this.payload, this.payloadFilled, offset);
    this.payloadFilled += copied;
    if (this.payloadFilled === this.payload.length) {
      const payload = this.payload;
      this.payload = undefined;
      this.deliver(this.type, this.sequence, payload);
    }
    return offset + copied;
  }

  /** Decodes, without copying, every frame that lies wholly in `chunk` from `offset`; returns where it stopped. */
  private decodeWholeFrames(chunk: Buffer, offset: number): number {
    while (chunk.length - offset >= HEADER_SIZE) {
      const length = this.checkLength(chunk.readUInt32BE(offset));
      if (chunk.length - offset < length) break;
      this.deliver(chunk.readUInt16BE(offset + 4), chunk.readUInt16BE(offset + 6), chunk.subarray(offset + HEADER_SIZE, offset + length));
      offset += length;
    }
    return offset;
  }

  /** Keeps the tail of `chunk` from `offset`, the start of a frame that the next chunks complete. */
  private beginPartialFrame(chunk: Buffer, offset: number): void {
    const remaining = chunk.length - offset;
    if (remaining === 0) return;
    if (remaining < HEADER_SIZE) {
      this.headerFilled = chunk.copy(this.headerScratch, 0, offset);
      return;
    }
    const payloadLength = this.readHeader(chunk, offset);
    this.payload = Buffer.allocUnsafe(payloadLength);
    this.payloadFilled = chunk.copy(this.payload, 0, offset + HEADER_SIZE);
  }

  /** Validates the header at `offset`, remembers its type and sequence, and returns the payload length. */
  private readHeader(source: Buffer, offset: number): number {
    const length = this.checkLength(source.readUInt32BE(offset));
    this.type = source.readUInt16BE(offset + 4);
    this.sequence = source.readUInt16BE(offset + 6);
    return length - HEADER_SIZE;
  }

  private checkLength(length: number): number {
    if (length < HEADER_SIZE) throw new FrameTooShortError(length);
    if (length > this.maxFrameSize) throw new FrameTooLargeError(length, this.maxFrameSize);
    return length;
  }

  private deliver(type: number, sequence: number, payload: Buffer): void {
    const frame: Frame = { type, sequence, payload: payload.length === 0 ? EMPTY_PAYLOAD : payload };
    if (isKnownType(type)) this.push(frame);
    else this.emit('unknownFrame', frame);
  }
}

// Declares what the readable side yields, so `for await (const frame of decoder)` is typed.
// The 'unknownFrame' event's listener receives a Frame too.
export interface FrameDecoder {
  [Symbol.asyncIterator](): AsyncIterableIterator<Frame>;
}
