import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  FrameDecoder,
  FrameError,
  FrameTooLargeError,
  FrameTooShortError,
  FrameTruncatedError,
  HEADER_SIZE,
  MessageType,
  encodeFrame,
  isKnownType,
  type Frame,
} from '../../src/protocol';
import { decodeChunks, patternBytes, splitAt, splitEvery } from '../helpers/decode';

const MiB = 1024 * 1024;

interface FrameSpec {
  type: number;
  sequence: number;
  payloadLength: number;
  seed: number;
}

/** Payload sizes are mostly small, sometimes around a pipe buffer, rarely up to 8 MiB. */
const payloadLength = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 64 }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 200_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 8 * MiB }) },
  { weight: 1, arbitrary: fc.constant(8 * MiB) },
);

const frameSpec = fc.record<FrameSpec>({
  type: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.nat(0xffff)),
  sequence: fc.nat(0xffff),
  payloadLength,
  seed: fc.integer(),
});

function buildStream(specs: readonly FrameSpec[]): { bytes: Buffer; expected: Array<Frame & { skipped: boolean }> } {
  const expected = specs.map((spec) => ({
    type: spec.type,
    sequence: spec.sequence,
    payload: patternBytes(spec.payloadLength, spec.seed),
    skipped: !isKnownType(spec.type),
  }));
  const bytes = Buffer.concat(expected.map((frame) => encodeFrame(frame.type, frame.sequence, frame.payload)));
  return { bytes, expected };
}

function expectSameFrames(actual: ReadonlyArray<Frame & { skipped: boolean }>, expected: ReadonlyArray<Frame & { skipped: boolean }>): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((frame, index) => {
    const want = expected[index]!;
    expect({ type: frame.type, sequence: frame.sequence, skipped: frame.skipped, length: frame.payload.length }).toEqual({
      type: want.type,
      sequence: want.sequence,
      skipped: want.skipped,
      length: want.payload.length,
    });
    // Buffer.equals, not toEqual: toEqual on megabyte buffers is very slow.
    expect(frame.payload.equals(want.payload)).toBe(true);
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('FrameDecoder round trip', () => {
  it('decodes what encodeFrame produced, for random frames under random chunkings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frameSpec, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 24 }), async (specs, cutSeeds) => {
        const { bytes, expected } = buildStream(specs);
        const cuts = cutSeeds.map((seed) => seed % (bytes.length + 1));
        const outcome = await decodeChunks(splitAt(bytes, cuts));
        expect(outcome.error).toBeUndefined();
        expectSameFrames(outcome.frames, expected);
      }),
      { numRuns: 60 },
    );
  });

  it('decodes small frames fed in tiny chunks of random sizes', async () => {
    const smallFrame = fc.record<FrameSpec>({
      type: fc.nat(0xffff),
      sequence: fc.nat(0xffff),
      payloadLength: fc.integer({ min: 0, max: 40 }),
      seed: fc.integer(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(smallFrame, { maxLength: 10 }), fc.integer({ min: 1, max: 9 }), async (specs, chunkSize) => {
        const { bytes, expected } = buildStream(specs);
        const outcome = await decodeChunks(splitEvery(bytes, chunkSize));
        expect(outcome.error).toBeUndefined();
        expectSameFrames(outcome.frames, expected);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same frames for a stream cut at every possible offset', async () => {
    const { bytes, expected } = buildStream([
      { type: 3, sequence: 0, payloadLength: 0, seed: 1 },
      { type: 2, sequence: 9, payloadLength: 13, seed: 2 },
      { type: 9, sequence: 1, payloadLength: 3, seed: 3 },
      { type: 1, sequence: 65535, payloadLength: 1, seed: 4 },
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const outcome = await decodeChunks(splitAt(bytes, [cut]));
      expect(outcome.error).toBeUndefined();
      expectSameFrames(outcome.frames, expected);
    }
  });
});

describe('FrameDecoder memory use', () => {
  it('hands out frames that lie wholly in one chunk as views of that chunk, without copying', async () => {
    const chunk = Buffer.concat([encodeFrame(2, 1, 'first'), encodeFrame(2, 2, 'second')]);
    const { frames } = await decodeChunks([chunk]);
    expect(frames.map((frame) => frame.payload.buffer === chunk.buffer)).toEqual([true, true]);
    expect(frames.map((frame) => frame.payload.byteOffset - chunk.byteOffset)).toEqual([8, 21]);
  });

  it('assembles a frame split over many chunks with one allocation of exactly its payload size', async () => {
    const payload = patternBytes(3 * MiB + 5, 7);
    const chunks = splitEvery(encodeFrame(2, 1, payload), 64 * 1024);
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
    const { frames, error } = await decodeChunks(chunks);
    const sizes = allocUnsafe.mock.calls.map(([size]) => size);
    vi.restoreAllMocks();
    expect(error).toBeUndefined();
    expect(frames[0]!.payload.equals(payload)).toBe(true);
    expect(sizes.filter((size) => size > 64 * 1024)).toEqual([payload.length]);
  });

  it('never allocates more than maxFrameSize, whatever the input', () => {
    const maxFrameSize = 4096;
    const allocations: number[] = [];
    fc.assert(
      fc.property(hostileStream, fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        allocations.push(...allocationsWhileWriting(splitAt(bytes, cuts), maxFrameSize));
      }),
      { numRuns: 300 },
    );
    expect(allocations.length).toBeGreaterThan(0);
    expect(Math.max(...allocations)).toBeLessThanOrEqual(maxFrameSize);
  });
});

/**
 * The sizes of the buffers allocated while `chunks` are written into a decoder. A Transform
 * decodes synchronously inside write(), so spying only around the writes sees the decoder's own
 * allocations and nothing from the test runner's concurrent work. Buffer.allocUnsafeSlow is left
 * out: fs.readFileSync uses it when the runner loads source maps to format an error's stack.
 */
function allocationsWhileWriting(chunks: readonly Buffer[], maxFrameSize: number): number[] {
  const decoder = new FrameDecoder({ maxFrameSize });
  decoder.on('error', () => {});
  decoder.resume();
  const spies = [vi.spyOn(Buffer, 'alloc'), vi.spyOn(Buffer, 'allocUnsafe')];
  try {
    for (const chunk of chunks) {
      if (decoder.destroyed) break;
      decoder.write(chunk);
    }
    return spies.flatMap((spy) => spy.mock.calls.map(([size]) => size));
  } finally {
    vi.restoreAllMocks();
    decoder.destroy();
  }
}

/** Headers with extreme and random lengths, followed by random amounts of random bytes. */
const hostileHeaderLength = fc.oneof(
  fc.constantFrom(0, 1, 7, 8, 9, 4095, 4096, 4097, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff),
  fc.nat({ max: 0xffff_ffff }),
  fc.integer({ min: 8, max: 4096 }),
);
const hostilePiece = fc.oneof(
  fc.tuple(hostileHeaderLength, fc.nat(0xffff), fc.nat(0xffff), fc.uint8Array({ maxLength: 600 })).map(([length, type, sequence, body]) => {
    const header = Buffer.alloc(HEADER_SIZE);
    header.writeUInt32BE(length, 0);
    header.writeUInt16BE(type, 4);
    header.writeUInt16BE(sequence, 6);
    return Buffer.concat([header, body]);
  }),
  fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
);
const hostileStream = fc.array(hostilePiece, { maxLength: 6 }).map((pieces) => Buffer.concat(pieces));

describe('FrameDecoder on hostile input', () => {
  it('ends cleanly or fails with a FrameError, and always settles', async () => {
    await fc.assert(
      fc.asyncProperty(hostileStream, fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 8, max: 1 << 20 }), async (bytes, cuts, maxFrameSize) => {
        const { error, frames } = await decodeChunks(splitAt(bytes, cuts), { maxFrameSize });
        if (error !== undefined) {
          expect(error).toBeInstanceOf(FrameError);
          expect(['ERR_FRAME_TOO_SHORT', 'ERR_FRAME_TOO_LARGE', 'ERR_FRAME_TRUNCATED']).toContain((error as FrameError).code);
        }
        for (const frame of frames) expect(frame.payload.length + HEADER_SIZE).toBeLessThanOrEqual(maxFrameSize);
      }),
      { numRuns: 400 },
    );
  });

  it('fails on uniformly random bytes only with FrameErrors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (bytes) => {
        const { error } = await decodeChunks([bytes], { maxFrameSize: 1024 });
        if (error !== undefined) expect(error).toBeInstanceOf(FrameError);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects an oversized length from the header alone, before any payload arrives', async () => {
    const decoder = new FrameDecoder();
    const failed = new Promise<unknown>((resolve) => decoder.once('error', resolve));
    decoder.write(Buffer.from('ffffffff00020001', 'hex'));
    const error = await failed;
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect(error).toMatchObject({ code: 'ERR_FRAME_TOO_LARGE', length: 0xffff_ffff, maxFrameSize: 64 * MiB });
    expect(decoder.destroyed).toBe(true);
  });

  it('rejects a header split across chunks as soon as it is complete', async () => {
    const decoder = new FrameDecoder({ maxFrameSize: 100 });
    const failed = new Promise<unknown>((resolve) => decoder.once('error', resolve));
    decoder.write(Buffer.from('000000', 'hex'));
    decoder.write(Buffer.from('650001', 'hex'));
    expect(decoder.destroyed).toBe(false);
    decoder.write(Buffer.from('0001', 'hex'));
    expect(await failed).toMatchObject({ name: 'FrameTooLargeError', length: 101, maxFrameSize: 100 });
  });
});

describe('FrameDecoder errors', () => {
  it('reports a length below 8 with ERR_FRAME_TOO_SHORT', async () => {
    const { error } = await decodeChunks([Buffer.from('0000000500010001', 'hex')]);
    expect(error).toBeInstanceOf(FrameTooShortError);
    expect(error).toMatchObject({ code: 'ERR_FRAME_TOO_SHORT', length: 5 });
  });

  it('reports the end of input inside a payload with ERR_FRAME_TRUNCATED and the byte counts', async () => {
    const frame = encodeFrame(MessageType.TASK_ASSIGNMENT, 1, 'hello world');
    const { error } = await decodeChunks([frame.subarray(0, 12)]);
    expect(error).toBeInstanceOf(FrameTruncatedError);
    expect(error).toMatchObject({ code: 'ERR_FRAME_TRUNCATED', received: 12, expected: 19 });
  });

  it('reports the end of input inside a header with ERR_FRAME_TRUNCATED', async () => {
    const { error } = await decodeChunks([Buffer.from([0, 0])]);
    expect(error).toMatchObject({ code: 'ERR_FRAME_TRUNCATED', received: 2, expected: undefined });
  });

  it('sets name on the prototype of each error class, as Node does', async () => {
    const { error } = await decodeChunks([Buffer.from('0000000000010001', 'hex')]);
    expect(Object.hasOwn(error!, 'name')).toBe(false);
    expect(error!.name).toBe('FrameTooShortError');
    expect(error!.stack).toContain('FrameTooShortError: Frame length 0 is shorter than the 8-byte header');
  });
});

describe('FrameDecoder frame types', () => {
  it('reports unknown and reserved types through unknownFrame without pushing them', async () => {
    const decoder = new FrameDecoder();
    const unknown: Frame[] = [];
    decoder.on('unknownFrame', (frame: Frame) => unknown.push(frame));
    decoder.end(Buffer.concat([encodeFrame(9, 1, 'x'), encodeFrame(1000, 2), encodeFrame(0, 3), encodeFrame(2, 4, 'kept')]));
    const pushed: Frame[] = [];
    for await (const frame of decoder) pushed.push(frame);
    expect(unknown.map(({ type, sequence }) => [type, sequence])).toEqual([[9, 1], [1000, 2], [0, 3]]);
    expect(pushed.map(({ type, sequence, payload }) => [type, sequence, payload.toString()])).toEqual([[2, 4, 'kept']]);
  });
});

describe('FrameDecoder options', () => {
  it.each([
    [-1, RangeError, 'Expected the `maxFrameSize` option to be an integer between 8 and 4294967295, got `-1` (number)'],
    [7, RangeError, 'Expected the `maxFrameSize` option to be an integer between 8 and 4294967295, got `7` (number)'],
    [2 ** 32, RangeError, 'Expected the `maxFrameSize` option to be an integer between 8 and 4294967295, got `4294967296` (number)'],
    ['1024', TypeError, 'Expected the `maxFrameSize` option to be an integer between 8 and 4294967295, got `"1024"` (string)'],
    [1.5, TypeError, 'Expected the `maxFrameSize` option to be an integer between 8 and 4294967295, got `1.5` (number)'],
  ])('rejects maxFrameSize %s', (maxFrameSize, errorClass, message) => {
    const create = () => new FrameDecoder({ maxFrameSize: maxFrameSize as number });
    expect(create).toThrow(errorClass);
    expect(create).toThrow(message);
  });

  it('accepts a frame of exactly maxFrameSize and rejects one byte more', async () => {
    const exact = await decodeChunks([encodeFrame(1, 1, 'x'.repeat(8))], { maxFrameSize: 16 });
    expect(exact.error).toBeUndefined();
    expect(exact.frames).toHaveLength(1);
    const over = await decodeChunks([encodeFrame(1, 1, 'x'.repeat(9))], { maxFrameSize: 16 });
    expect(over.error).toMatchObject({ code: 'ERR_FRAME_TOO_LARGE', length: 17 });
  });

  it('reports the bytes held for an incomplete frame', () => {
    const decoder = new FrameDecoder();
    decoder.write(Buffer.from('000000', 'hex'));
    expect(decoder.bufferedBytes).toBe(3);
    decoder.write(Buffer.from('1400010001aabb', 'hex'));
    expect(decoder.bufferedBytes).toBe(10);
    decoder.write(Buffer.alloc(10));
    expect(decoder.bufferedBytes).toBe(0);
    decoder.destroy();
  });
});
