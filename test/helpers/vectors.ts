import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface VectorFrame {
  type: number;
  sequence: number;
  /** Hex. */
  payload: string;
  skipped?: boolean;
}

export interface StreamVector {
  name: string;
  description: string;
  hex: string;
  maxFrameSize?: number;
  frames: VectorFrame[];
  /** Present on invalid vectors: the code of the FrameError that ends decoding. */
  error?: string;
}

export interface PayloadVector {
  name: string;
  type: 4 | 8;
  payload: string;
  workerError?: { code: number; message: string };
  tasksCompleted?: number;
  error?: string;
}

export interface ProtocolVectors {
  valid: StreamVector[];
  invalid: StreamVector[];
  payloads: PayloadVector[];
}

export const vectorsPath = join(__dirname, '..', 'fixtures', 'protocol-vectors.json');

export const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as ProtocolVectors;

export const DEFAULT_MAX_FRAME_SIZE = 64 * 1024 * 1024;

/** One line of the vector programs' line protocol (workers/c/vectors_test.c, workers/python/vectors_test.py). */
export interface VectorCommand {
  label: string;
  command: string;
  expected: string;
}

const hexOrDash = (hex: string): string => (hex === '' ? '-' : hex);

function describeFrames(frames: readonly VectorFrame[]): string[] {
  return frames.map((frame) => `${frame.type}:${frame.sequence}:${hexOrDash(frame.payload)}`);
}

/** The bytes of each frame of a valid vector, cut out of its stream by the frames' lengths. */
export function frameSlices(vector: StreamVector): string[] {
  let offset = 0;
  return vector.frames.map((frame) => {
    const length = 2 * (8 + frame.payload.length / 2);
    const slice = vector.hex.slice(offset, offset + length);
    offset += length;
    return slice;
  });
}

/** Every vector as a command line and the answer line it must produce. */
export function vectorCommands(): VectorCommand[] {
  const commands: VectorCommand[] = [];
  for (const vector of vectors.valid) {
    const max = vector.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    commands.push({ label: `decode ${vector.name}`, command: `decode ${max} ${hexOrDash(vector.hex)}`, expected: [...describeFrames(vector.frames), 'ok'].join(' ') });
    const slices = frameSlices(vector);
    vector.frames.forEach((frame, index) => {
      commands.push({
        label: `encode ${vector.name} #${index}`,
        command: `encode ${frame.type} ${frame.sequence} ${hexOrDash(frame.payload)}`,
        expected: slices[index]!,
      });
    });
  }
  for (const vector of vectors.invalid) {
    const max = vector.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    commands.push({ label: `decode ${vector.name}`, command: `decode ${max} ${hexOrDash(vector.hex)}`, expected: [...describeFrames(vector.frames), `error:${vector.error}`].join(' ') });
  }
  for (const vector of vectors.payloads) commands.push(...payloadCommands(vector));
  return commands;
}

function payloadCommands(vector: PayloadVector): VectorCommand[] {
  const decodeCommand = vector.type === 4 ? 'decode-worker-error' : 'decode-status-response';
  if (vector.error !== undefined) {
    return [{ label: `${decodeCommand} ${vector.name}`, command: `${decodeCommand} ${hexOrDash(vector.payload)}`, expected: `error:${vector.error}` }];
  }
  if (vector.workerError !== undefined) {
    const { code, message } = vector.workerError;
    const messageHex = hexOrDash(Buffer.from(message, 'utf8').toString('hex'));
    return [
      { label: `worker-error ${vector.name}`, command: `worker-error ${code} ${messageHex}`, expected: vector.payload },
      { label: `${decodeCommand} ${vector.name}`, command: `${decodeCommand} ${vector.payload}`, expected: `${code}:${messageHex}` },
    ];
  }
  return [
    { label: `status-response ${vector.name}`, command: `status-response ${vector.tasksCompleted}`, expected: vector.payload },
    { label: `${decodeCommand} ${vector.name}`, command: `${decodeCommand} ${vector.payload}`, expected: String(vector.tasksCompleted) },
  ];
}
