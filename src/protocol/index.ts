export {
  DEFAULT_MAX_FRAME_SIZE,
  FIRST_RESERVED_TYPE,
  HEADER_SIZE,
  MAX_FRAME_LENGTH,
  MAX_SEQUENCE,
  MAX_TYPE,
  MessageType,
  encodeFrame,
  encodeHeader,
  isKnownType,
  isReservedType,
  messageTypeName,
  type Frame,
  type MessageTypeName,
  type MessageTypeValue,
} from './frame';
export { FrameDecoder, type FrameDecoderOptions } from './decoder';
export {
  FrameError,
  FramePayloadError,
  FrameTooLargeError,
  FrameTooShortError,
  FrameTruncatedError,
  type FrameErrorCode,
} from './errors';
export {
  HANDLER_ERROR_CODE,
  decodeStatusResponse,
  decodeWorkerError,
  encodeStatusResponse,
  encodeWorkerError,
  type WorkerErrorPayload,
} from './messages';
