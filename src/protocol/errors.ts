import { ProcessSpawnerError } from '../core/errors';

/**
 * Errors a frame receiver reports. Each has a stable `code` so callers can branch on it
 * without parsing messages, and `name` lives on the prototype (as for Node's own errors).
 */
export type FrameErrorCode =
  | 'ERR_FRAME_TOO_SHORT'
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_FRAME_TRUNCATED'
  | 'ERR_FRAME_PAYLOAD_INVALID';

export class FrameError extends ProcessSpawnerError {
  readonly code: FrameErrorCode;

  constructor(code: FrameErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
FrameError.prototype.name = 'FrameError';

/** The header's length field is below 8, the size of the header itself. */
export class FrameTooShortError extends FrameError {
  readonly length: number;

  constructor(length: number) {
    super('ERR_FRAME_TOO_SHORT', `Frame length ${length} is shorter than the 8-byte header`);
    this.length = length;
  }
}
FrameTooShortError.prototype.name = 'FrameTooShortError';

/** The header's length field exceeds the receiver's `maxFrameSize`. */
export class FrameTooLargeError extends FrameError {
  readonly length: number;
  readonly maxFrameSize: number;

  constructor(length: number, maxFrameSize: number) {
    super('ERR_FRAME_TOO_LARGE', `Frame length ${length} exceeds the maximum frame size of ${maxFrameSize} bytes`);
    this.length = length;
    this.maxFrameSize = maxFrameSize;
  }
}
FrameTooLargeError.prototype.name = 'FrameTooLargeError';

/** The stream ended inside a frame: `received` of its `expected` bytes arrived. */
export class FrameTruncatedError extends FrameError {
  readonly expected: number | undefined;
  readonly received: number;

  /** `expected` is undefined when the stream ended inside the header itself. */
  constructor(received: number, expected: number | undefined) {
    const of = expected === undefined ? 'of a header' : `of a ${expected}-byte frame`;
    super('ERR_FRAME_TRUNCATED', `Stream ended after ${received} bytes ${of}`);
    this.expected = expected;
    this.received = received;
  }
}
FrameTruncatedError.prototype.name = 'FrameTruncatedError';

/** A well-framed message whose payload does not have the layout its type requires. */
export class FramePayloadError extends FrameError {
  readonly type: number;

  constructor(type: number, message: string) {
    super('ERR_FRAME_PAYLOAD_INVALID', message);
    this.type = type;
  }
}
FramePayloadError.prototype.name = 'FramePayloadError';
