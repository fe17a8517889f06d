import { FramePayloadError } from './errors';
import { MessageType } from './frame';
import { assertIntegerInRange } from '../core/validate';

/**
 * Payload layouts of the two messages whose payload is not opaque bytes:
 * WORKER_ERROR is `u32 code` then a UTF-8 message, STATUS_RESPONSE is exactly `u32 tasksCompleted`.
 */
export interface WorkerErrorPayload {
  code: number;
  message: string;
}

const MAX_U32 = 0xffff_ffff;

/** The code a runtime sends when a handler fails without a code of its own. */
export const HANDLER_ERROR_CODE = 1;

export function encodeWorkerError(code: number, message: string): Buffer {
  assertIntegerInRange(code, 'the worker error code', 0, MAX_U32);
  const messageLength = Buffer.byteLength(message, 'utf8');
  const payload = Buffer.allocUnsafe(4 + messageLength);
  payload.writeUInt32BE(code, 0);
  payload.write(message, 4, messageLength, 'utf8');
  return payload;
}

/** Invalid UTF-8 in the message is replaced by U+FFFD rather than rejected. */
export function decodeWorkerError(payload: Uint8Array): WorkerErrorPayload {
  if (payload.length < 4) {
    throw new FramePayloadError(
      MessageType.WORKER_ERROR,
      `A WORKER_ERROR payload needs at least 4 bytes for its code, got ${payload.length}`,
    );
  }
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  return { code: bytes.readUInt32BE(0), message: bytes.toString('utf8', 4) };
}

export function encodeStatusResponse(tasksCompleted: number): Buffer {
  assertIntegerInRange(tasksCompleted, 'the completed task count', 0, MAX_U32);
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(tasksCompleted, 0);
  return payload;
}

export function decodeStatusResponse(payload: Uint8Array): number {
  if (payload.length !== 4) {
    throw new FramePayloadError(
      MessageType.STATUS_RESPONSE,
      `A STATUS_RESPONSE payload must be exactly 4 bytes, got ${payload.length}`,
    );
  }
  return Buffer.from(payload.buffer, payload.byteOffset, 4).readUInt32BE(0);
}
