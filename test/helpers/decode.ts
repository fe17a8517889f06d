import { FrameDecoder, type FrameDecoderOptions, type Frame } from '../../src/protocol';

/** A frame as the decoder handed it out: pushed (known type) or reported as skipped. */
export interface DecodedFrame extends Frame {
  skipped: boolean;
}

export interface DecodeOutcome {
  frames: DecodedFrame[];
  error: Error | undefined;
}

/** Writes `chunks` into a new FrameDecoder, ends it, and collects every frame and the error, if any. */
export async function decodeChunks(chunks: readonly Uint8Array[], options?: FrameDecoderOptions): Promise<DecodeOutcome> {
  const decoder = new FrameDecoder(options);
  const frames: DecodedFrame[] = [];
  decoder.on('data', (frame: Frame) => frames.push({ ...frame, skipped: false }));
  decoder.on('unknownFrame', (frame: Frame) => frames.push({ ...frame, skipped: true }));
  const settled = new Promise<Error | undefined>((resolve) => {
    decoder.once('end', () => resolve(undefined));
    decoder.once('error', resolve);
  });
  for (const chunk of chunks) {
    if (decoder.destroyed) break;
    decoder.write(chunk);
  }
  if (!decoder.destroyed) decoder.end();
  return { frames, error: await settled };
}

/** Splits `bytes` at the given offsets (clamped, sorted, duplicates allowed: empty chunks are legal writes). */
export function splitAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = offsets.map((offset) => Math.min(offset, bytes.length)).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/** Splits `bytes` into chunks of `size` bytes (the last may be shorter). */
export function splitEvery(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) chunks.push(bytes.subarray(start, start + size));
  return chunks;
}

/** Deterministic pseudo-random bytes (xorshift32), fast enough for multi-megabyte payloads. */
export function patternBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let state = (seed | 0) || 0x9e3779b9;
  let index = 0;
  for (; index + 4 <= length; index += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes.writeInt32LE(state, index);
  }
  for (; index < length; index++) bytes[index] = (state >>> (index & 24)) & 0xff;
  return bytes;
}
