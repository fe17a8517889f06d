import { assertIntegerInRange } from '../core/validate';

/**
 * The wire format: an 8-byte big-endian header, `u32 length` (header + payload), `u16 type`,
 * `u16 sequence`, then the payload. See docs/protocol.md.
 */
export const HEADER_SIZE = 8;

/** The largest length the u32 length field can carry. */
export const MAX_FRAME_LENGTH = 0xffff_ffff;

/** What a receiver accepts unless configured otherwise: 64 MiB, header included. */
export const DEFAULT_MAX_FRAME_SIZE = 64 * 1024 * 1024;

export const MAX_TYPE = 0xffff;
export const MAX_SEQUENCE = 0xffff;

/** Types from here up are reserved for later protocol versions. */
export const FIRST_RESERVED_TYPE = 1000;

export const MessageType = {
  TASK_ASSIGNMENT: 1,
  TASK_RESULT: 2,
  WORKER_READY: 3,
  WORKER_ERROR: 4,
  SHUTDOWN_REQUEST: 5,
  SHUTDOWN_ACK: 6,
  STATUS_QUERY: 7,
  STATUS_RESPONSE: 8,
} as const;

export type MessageTypeName = keyof typeof MessageType;
export type MessageTypeValue = (typeof MessageType)[MessageTypeName];

const namesByType = new Map<number, MessageTypeName>(
  Object.entries(MessageType).map(([name, type]) => [type, name as MessageTypeName]),
);

/** A decoded frame. `payload` may share memory with the chunk it was decoded from. */
export interface Frame {
  type: number;
  sequence: number;
  payload: Buffer;
}

export function isKnownType(type: number): type is MessageTypeValue {
  return namesByType.has(type);
}

export function isReservedType(type: number): boolean {
  return type >= FIRST_RESERVED_TYPE;
}

/** `'TASK_RESULT'` for 2, `undefined` for a type this version does not define. */
export function messageTypeName(type: number): MessageTypeName | undefined {
  return namesByType.get(type);
}

/**
 * Encodes only the header of a frame whose payload is `payloadLength` bytes long, so a large
 * payload can be written after it without being copied into a combined buffer.
 */
export function encodeHeader(type: number, sequence: number, payloadLength: number): Buffer {
  assertHeaderFields(type, sequence, payloadLength);
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  writeHeader(header, 0, type, sequence, HEADER_SIZE + payloadLength);
  return header;
}

/** Encodes a whole frame into one new buffer (the payload is copied once). */
export function encodeFrame(type: number, sequence: number, payload: Uint8Array | string = EMPTY): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError('Expected the frame payload to be a Uint8Array, a Buffer or a string');
  }
  assertHeaderFields(type, sequence, bytes.length);
  const frame = Buffer.allocUnsafe(HEADER_SIZE + bytes.length);
  writeHeader(frame, 0, type, sequence, HEADER_SIZE + bytes.length);
  frame.set(bytes, HEADER_SIZE);
  return frame;
}

const EMPTY = new Uint8Array(0);

function assertHeaderFields(type: number, sequence: number, payloadLength: number): void {
  assertIntegerInRange(type, 'the frame type', 0, MAX_TYPE);
  assertIntegerInRange(sequence, 'the frame sequence', 0, MAX_SEQUENCE);
  assertIntegerInRange(payloadLength, 'the payload length', 0, MAX_FRAME_LENGTH - HEADER_SIZE);
}

function writeHeader(target: Buffer, offset: number, type: number, sequence: number, length: number): void {
  target.writeUInt32BE(length, offset);
  target.writeUInt16BE(type, offset + 4);
  target.writeUInt16BE(sequence, offset + 6);
}
