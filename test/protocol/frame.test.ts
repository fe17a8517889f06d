import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FramePayloadError,
  HEADER_SIZE,
  MessageType,
  decodeStatusResponse,
  decodeWorkerError,
  encodeFrame,
  encodeHeader,
  encodeStatusResponse,
  encodeWorkerError,
  isKnownType,
  isReservedType,
  messageTypeName,
} from '../../src/protocol';

describe('encodeFrame', () => {
  it('writes the big-endian length (header included), type and sequence before the payload', () => {
    const frame = encodeFrame(MessageType.TASK_ASSIGNMENT, 0x0102, Buffer.from('abc'));
    expect(frame.toString('hex')).toBe('0000000b' + '0001' + '0102' + '616263');
  });

  it('encodes an empty payload as a bare 8-byte header', () => {
    expect(encodeFrame(MessageType.WORKER_READY, 0).toString('hex')).toBe('0000000800030000');
  });

  it('encodes a string payload as UTF-8', () => {
    const frame = encodeFrame(MessageType.TASK_RESULT, 1, 'é✗');
    expect(frame.readUInt32BE(0)).toBe(HEADER_SIZE + 5);
    expect(frame.subarray(HEADER_SIZE).toString('utf8')).toBe('é✗');
  });

  it('copies only the viewed bytes of a Uint8Array that is a window on a larger buffer', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const frame = encodeFrame(MessageType.TASK_RESULT, 4, backing.subarray(2, 5));
    expect([...frame.subarray(HEADER_SIZE)]).toEqual([1, 2, 3]);
    expect(frame.readUInt32BE(0)).toBe(11);
  });

  it('accepts the extreme type and sequence values', () => {
    const frame = encodeFrame(0xffff, 0xffff);
    expect(frame.toString('hex')).toBe('00000008ffffffff');
  });

  it.each([
    [65536, 0, RangeError, 'Expected the frame type to be an integer between 0 and 65535, got `65536` (number)'],
    [-1, 0, RangeError, 'Expected the frame type to be an integer between 0 and 65535, got `-1` (number)'],
    [1.5, 0, TypeError, 'Expected the frame type to be an integer between 0 and 65535, got `1.5` (number)'],
    [1, 70000, RangeError, 'Expected the frame sequence to be an integer between 0 and 65535, got `70000` (number)'],
    [1, Number.NaN, TypeError, 'Expected the frame sequence to be an integer between 0 and 65535, got `NaN` (number)'],
  ])('rejects type %s / sequence %s', (type, sequence, errorClass, message) => {
    expect(() => encodeFrame(type, sequence)).toThrow(errorClass);
    expect(() => encodeFrame(type, sequence)).toThrow(message);
  });

  it('rejects a payload that is neither bytes nor a string', () => {
    expect(() => encodeFrame(1, 1, 42 as unknown as string)).toThrow(TypeError);
  });

  it('gives the same bytes as encodeHeader followed by the payload', () => {
    fc.assert(
      fc.property(fc.nat(0xffff), fc.nat(0xffff), fc.uint8Array({ maxLength: 300 }), (type, sequence, payload) => {
        const whole = encodeFrame(type, sequence, payload);
        const split = Buffer.concat([encodeHeader(type, sequence, payload.length), payload]);
        expect(whole.equals(split)).toBe(true);
      }),
    );
  });

  it('rejects in encodeHeader a payload length that the u32 length field cannot carry', () => {
    expect(() => encodeHeader(1, 1, 0xffff_ffff - 7)).toThrow(RangeError);
    expect(encodeHeader(1, 1, 0xffff_ffff - 8).toString('hex')).toBe('ffffffff00010001');
  });
});

describe('message types', () => {
  it('numbers the eight messages 1 to 8', () => {
    expect(Object.values(MessageType)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('names known types and knows which are reserved', () => {
    expect(messageTypeName(7)).toBe('STATUS_QUERY');
    expect(messageTypeName(9)).toBeUndefined();
    expect([0, 1, 8, 9, 999, 1000].map(isKnownType)).toEqual([false, true, true, false, false, false]);
    expect([999, 1000, 65535].map(isReservedType)).toEqual([false, true, true]);
  });
});

describe('WORKER_ERROR payload', () => {
  it('round-trips any u32 code and any string', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffff_ffff }), fc.string({ unit: 'grapheme' }), (code, message) => {
        expect(decodeWorkerError(encodeWorkerError(code, message))).toEqual({ code, message });
      }),
    );
  });

  it('puts the code first, big-endian, then the UTF-8 message', () => {
    expect(encodeWorkerError(0x01020304, 'ok').toString('hex')).toBe('010203046f6b');
  });

  it('rejects a payload without room for the code', () => {
    const error = captureError(() => decodeWorkerError(Buffer.from([0, 0, 1])));
    expect(error).toBeInstanceOf(FramePayloadError);
    expect(error).toMatchObject({ code: 'ERR_FRAME_PAYLOAD_INVALID', type: MessageType.WORKER_ERROR });
  });

  it('rejects a code outside u32', () => {
    expect(() => encodeWorkerError(2 ** 32, 'x')).toThrow(RangeError);
  });
});

describe('STATUS_RESPONSE payload', () => {
  it('round-trips any u32 count', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffff_ffff }), (count) => {
        expect(decodeStatusResponse(encodeStatusResponse(count))).toBe(count);
      }),
    );
  });

  it.each([0, 3, 5])('rejects a %i-byte payload', (length) => {
    const error = captureError(() => decodeStatusResponse(Buffer.alloc(length)));
    expect(error).toMatchObject({ name: 'FramePayloadError', code: 'ERR_FRAME_PAYLOAD_INVALID' });
  });

  it('reads a payload that is a window on a larger buffer', () => {
    const backing = Buffer.from('ff00000007ff', 'hex');
    expect(decodeStatusResponse(backing.subarray(1, 5))).toBe(7);
  });
});

function captureError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('Expected the action to throw');
}
