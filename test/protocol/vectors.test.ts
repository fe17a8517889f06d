import { describe, expect, it } from 'vitest';
import { FrameError, decodeStatusResponse, decodeWorkerError, encodeFrame, encodeStatusResponse, encodeWorkerError } from '../../src/protocol';
import { decodeChunks, splitEvery } from '../helpers/decode';
import { frameSlices, vectors, type StreamVector } from '../helpers/vectors';

function decodedForm(vector: StreamVector) {
  return vector.frames.map((frame) => ({ ...frame, skipped: frame.skipped ?? false }));
}

async function decodeVector(vector: StreamVector, chunkSize: number) {
  const bytes = Buffer.from(vector.hex, 'hex');
  const options = vector.maxFrameSize === undefined ? {} : { maxFrameSize: vector.maxFrameSize };
  const { frames, error } = await decodeChunks(chunkSize === 0 ? [bytes] : splitEvery(bytes, chunkSize), options);
  return {
    frames: frames.map(({ type, sequence, payload, skipped }) => ({ type, sequence, payload: payload.toString('hex'), skipped })),
    error,
  };
}

describe('shared protocol vectors (Node)', () => {
  it('has vectors of every kind', () => {
    expect(vectors.valid.length).toBeGreaterThan(10);
    expect(vectors.invalid.length).toBeGreaterThan(5);
    expect(new Set(vectors.valid.flatMap((vector) => vector.frames.map((frame) => frame.type)))).toEqual(
      new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1000, 65535]),
    );
  });

  describe.each(vectors.valid.map((vector) => [vector.name, vector] as const))('valid: %s', (_name, vector) => {
    it.each([0, 1, 3])('decodes to the listed frames (chunks of %i bytes, 0 = whole)', async (chunkSize) => {
      const { frames, error } = await decodeVector(vector, chunkSize);
      expect(error).toBeUndefined();
      expect(frames).toEqual(decodedForm(vector));
    });

    it('encodes each listed frame to its bytes in the stream', () => {
      const encoded = vector.frames.map((frame) => encodeFrame(frame.type, frame.sequence, Buffer.from(frame.payload, 'hex')).toString('hex'));
      expect(encoded).toEqual(frameSlices(vector));
      expect(encoded.join('')).toBe(vector.hex);
    });
  });

  describe.each(vectors.invalid.map((vector) => [vector.name, vector] as const))('invalid: %s', (_name, vector) => {
    it.each([0, 1, 3])('decodes the listed frames, then fails with the listed code (chunks of %i bytes)', async (chunkSize) => {
      const { frames, error } = await decodeVector(vector, chunkSize);
      expect(frames).toEqual(decodedForm(vector));
      expect(error).toBeInstanceOf(FrameError);
      expect((error as FrameError).code).toBe(vector.error);
    });
  });

  const validPayloads = vectors.payloads.filter((vector) => vector.error === undefined);
  const invalidPayloads = vectors.payloads.filter((vector) => vector.error !== undefined);
  const decodePayload = (type: number, payload: Buffer) => (type === 4 ? decodeWorkerError(payload) : decodeStatusResponse(payload));

  describe.each(validPayloads.map((vector) => [vector.name, vector] as const))('payload: %s', (_name, vector) => {
    it('decodes to the listed form', () => {
      expect(decodePayload(vector.type, Buffer.from(vector.payload, 'hex'))).toEqual(vector.workerError ?? vector.tasksCompleted);
    });

    it('encodes the listed form to the payload', () => {
      const encoded =
        vector.workerError !== undefined
          ? encodeWorkerError(vector.workerError.code, vector.workerError.message)
          : encodeStatusResponse(vector.tasksCompleted!);
      expect(encoded.toString('hex')).toBe(vector.payload);
    });
  });

  describe.each(invalidPayloads.map((vector) => [vector.name, vector] as const))('invalid payload: %s', (_name, vector) => {
    it('is rejected with the listed code', () => {
      const decode = () => decodePayload(vector.type, Buffer.from(vector.payload, 'hex'));
      expect(decode).toThrow(FrameError);
      expect(decode).toThrow(expect.objectContaining({ code: vector.error }));
    });
  });
});
