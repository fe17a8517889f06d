"""The process-spawner framing protocol for workers written in Python (standard library only).

A frame is an 8-byte big-endian header -- u32 length (header + payload, >= 8), u16 type,
u16 sequence -- followed by length - 8 payload bytes. A worker reads frames on stdin and writes
frames on stdout; stderr is free for logs. The specification is docs/protocol.md.

Write a worker with serve()::

    from process_spawner_worker import serve

    def handle(payload: bytes, context) -> bytes:
        return payload.upper()

    serve(handle)

serve() sends WORKER_READY, answers each TASK_ASSIGNMENT with TASK_RESULT (or WORKER_ERROR when
the handler raises), answers STATUS_QUERY with the number of tasks answered so far, and on
SHUTDOWN_REQUEST answers SHUTDOWN_ACK and exits 0. It exits 0 when stdin ends, so the worker
never outlives its parent. print() and sys.stdout go to stderr while it serves: the frame
channel is a private copy of the original stdout.
"""

from __future__ import annotations

import io
import os
import select
import socket
import struct
import sys
from dataclasses import dataclass
from typing import BinaryIO, Callable, NoReturn, Optional, Union

HEADER_SIZE = 8
DEFAULT_MAX_FRAME_SIZE = 64 * 1024 * 1024
MAX_FRAME_LENGTH = 0xFFFFFFFF
FIRST_RESERVED_TYPE = 1000

TASK_ASSIGNMENT = 1
TASK_RESULT = 2
WORKER_READY = 3
WORKER_ERROR = 4
SHUTDOWN_REQUEST = 5
SHUTDOWN_ACK = 6
STATUS_QUERY = 7
STATUS_RESPONSE = 8

KNOWN_TYPES = frozenset(range(TASK_ASSIGNMENT, STATUS_RESPONSE + 1))

#: Exit statuses shared by the three runtimes (from sysexits.h).
EXIT_PROTOCOL_ERROR = 65  # EX_DATAERR: the parent sent a malformed frame
EXIT_IO_ERROR = 74  # EX_IOERR: the frame channel failed

#: The WORKER_ERROR code sent when a handler raises an exception without an integer ``code``.
HANDLER_ERROR_CODE = 1

_HEADER = struct.Struct(">IHH")
_U32 = struct.Struct(">I")


class FrameError(Exception):
    """A malformed frame. ``code`` is stable: ERR_FRAME_TOO_SHORT, ERR_FRAME_TOO_LARGE,
    ERR_FRAME_TRUNCATED or ERR_FRAME_PAYLOAD_INVALID, as in the Node runtime."""

    code = "ERR_FRAME"


class FrameTooShortError(FrameError):
    code = "ERR_FRAME_TOO_SHORT"


class FrameTooLargeError(FrameError):
    code = "ERR_FRAME_TOO_LARGE"


class FrameTruncatedError(FrameError):
    code = "ERR_FRAME_TRUNCATED"


class FramePayloadError(FrameError):
    code = "ERR_FRAME_PAYLOAD_INVALID"


@dataclass(frozen=True)
class Frame:
    type: int
    sequence: int
    payload: bytes


@dataclass(frozen=True)
class TaskContext:
    """What a handler knows about its task besides the payload."""

    task_id: int


Result = Union[bytes, bytearray, memoryview, str]
Handler = Callable[[bytes, TaskContext], Result]


# ---- frames ---------------------------------------------------------------------------------


def encode_header(type_: int, sequence: int, payload_length: int) -> bytes:
    _check_range("type", type_, 0xFFFF)
    _check_range("sequence", sequence, 0xFFFF)
    _check_range("payload length", payload_length, MAX_FRAME_LENGTH - HEADER_SIZE)
    return _HEADER.pack(HEADER_SIZE + payload_length, type_, sequence)


def encode_frame(type_: int, sequence: int, payload: Union[bytes, bytearray, memoryview] = b"") -> bytes:
    return encode_header(type_, sequence, len(payload)) + bytes(payload)


def check_length(length: int, max_frame_size: int) -> None:
    """Validates a header's length field; nothing may be allocated from a length before this."""
    if length < HEADER_SIZE:
        raise FrameTooShortError(f"Frame length {length} is shorter than the 8-byte header")
    if length > max_frame_size:
        raise FrameTooLargeError(f"Frame length {length} exceeds the maximum frame size of {max_frame_size} bytes")


def read_frame(stream: BinaryIO, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> Optional[Frame]:
    """Reads one frame from a binary stream; returns None at a clean end of input.

    Frames of every type are returned; skipping unknown types is the caller's decision.
    Raises FrameError for a bad length or an end of input inside a frame.
    """
    header = _read_exactly(stream, HEADER_SIZE)
    if len(header) == 0:
        return None
    if len(header) < HEADER_SIZE:
        raise FrameTruncatedError(f"Stream ended after {len(header)} bytes of a header")
    length, type_, sequence = _HEADER.unpack(header)
    check_length(length, max_frame_size)
    payload = _read_exactly(stream, length - HEADER_SIZE)
    if len(payload) < length - HEADER_SIZE:
        raise FrameTruncatedError(f"Stream ended after {HEADER_SIZE + len(payload)} bytes of a {length}-byte frame")
    return Frame(type_, sequence, bytes(payload))


def _read_exactly(stream: BinaryIO, size: int) -> memoryview:
    """Reads `size` bytes unless the stream ends first (the result is then shorter)."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    received = 0
    while received < size:
        count = stream.readinto(view[received:])
        if not count:
            break
        received += count
    return view[:received]


# ---- file descriptors passed with a frame (docs/protocol.md, section 10) -----------------------

#: The most fds a frame carries (process-spawner's sendFds() sends at most this many).
MAX_PASSED_FDS = 16


def read_frame_with_fds(fd: int, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> tuple[Optional[Frame], list[int]]:
    """read_frame on a Unix socket fd (a 'socket' stdio slot), with the fds the sender attached.

    They come with the header's bytes (the sender attaches them to the frame's first byte, and
    these reads never go past the frame). The fds are close-on-exec and the caller's: close each.
    Returns (None, []) at a clean end of input; on a FrameError the fds received are closed.
    """
    channel = socket.socket(fileno=fd)
    fds: list[int] = []
    try:
        header = bytearray()
        while len(header) < HEADER_SIZE:
            data, received, _flags, _address = socket.recv_fds(channel, HEADER_SIZE - len(header), MAX_PASSED_FDS, socket.MSG_CMSG_CLOEXEC)
            fds.extend(received)
            if not data:
                break
            header += data
        if len(header) == 0:
            return None, fds
        if len(header) < HEADER_SIZE:
            raise FrameTruncatedError(f"Stream ended after {len(header)} bytes of a header")
        length, type_, sequence = _HEADER.unpack(header)
        check_length(length, max_frame_size)
        payload = bytearray()
        while len(payload) < length - HEADER_SIZE:
            data = channel.recv(length - HEADER_SIZE - len(payload))
            if not data:
                raise FrameTruncatedError(f"Stream ended after {HEADER_SIZE + len(payload)} bytes of a {length}-byte frame")
            payload += data
        return Frame(type_, sequence, bytes(payload)), fds
    except BaseException:
        for received_fd in fds:
            os.close(received_fd)
        raise
    finally:
        channel.detach()  # the fd stays open: it is the caller's channel


# ---- structured payloads ---------------------------------------------------------------------


def encode_worker_error(code: int, message: str) -> bytes:
    _check_range("worker error code", code, 0xFFFFFFFF)
    return _U32.pack(code) + message.encode("utf-8")


def decode_worker_error(payload: bytes) -> tuple[int, str]:
    """Returns (code, message); invalid UTF-8 in the message is replaced, not rejected."""
    if len(payload) < 4:
        raise FramePayloadError(f"A WORKER_ERROR payload needs at least 4 bytes for its code, got {len(payload)}")
    return _U32.unpack_from(payload)[0], bytes(payload[4:]).decode("utf-8", errors="replace")


def encode_status_response(tasks_completed: int) -> bytes:
    _check_range("completed task count", tasks_completed, 0xFFFFFFFF)
    return _U32.pack(tasks_completed)


def decode_status_response(payload: bytes) -> int:
    if len(payload) != 4:
        raise FramePayloadError(f"A STATUS_RESPONSE payload must be exactly 4 bytes, got {len(payload)}")
    return _U32.unpack(payload)[0]


def _check_range(what: str, value: object, maximum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"Expected the {what} to be an integer between 0 and {maximum}, got {value!r} ({type(value).__name__})")
    if not 0 <= value <= maximum:
        raise ValueError(f"Expected the {what} to be an integer between 0 and {maximum}, got {value!r}")


# ---- the worker loop -------------------------------------------------------------------------


class _Channel:
    """Writes whole frames to an fd: header, then payload, retrying partial writes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, type_: int, sequence: int, payload: Union[bytes, bytearray, memoryview] = b"") -> None:
        header = encode_header(type_, sequence, len(payload))
        if len(payload) < 65536:
            self._write_all(memoryview(header + bytes(payload)))
        else:
            # Large results are not copied into a combined buffer.
            self._write_all(memoryview(header))
            self._write_all(memoryview(payload))

    def _write_all(self, view: memoryview) -> None:
        while view:
            try:
                written = os.write(self.fd, view)
            except BlockingIOError:
                select.select([], [self.fd], [])
                continue
            view = view[written:]


def _take_stdout_for_frames() -> int:
    """Keeps the frame channel on a private copy of fd 1 and points fd 1 at stderr, so print()
    and anything else writing to stdout lands in the log instead of inside a frame."""
    channel = os.dup(1)  # os.dup makes the copy non-inheritable: children do not get the channel
    os.dup2(2, 1)
    return channel


def _result_bytes(result: object) -> Union[bytes, bytearray, memoryview]:
    if isinstance(result, str):
        return result.encode("utf-8")
    if isinstance(result, memoryview):
        return result.cast("B")  # len() of a view of wider items counts items, not bytes
    if isinstance(result, (bytes, bytearray)):
        return result
    if result is None:
        return b""
    raise TypeError(f"Expected the handler to return bytes, bytearray, memoryview or str, got {type(result).__name__}")


def _error_code(error: BaseException) -> int:
    code = getattr(error, "code", None)
    if isinstance(code, int) and not isinstance(code, bool) and 0 <= code <= 0xFFFFFFFF:
        return code
    return HANDLER_ERROR_CODE


def _error_message(error: BaseException) -> str:
    return str(error) or type(error).__name__


class _Worker:
    def __init__(self, handler: Handler, channel: _Channel, max_frame_size: int) -> None:
        self.handler = handler
        self.channel = channel
        self.max_frame_size = max_frame_size
        self.tasks_completed = 0

    def run(self, stream: BinaryIO) -> int:
        """Serves frames until shutdown or end of input; returns the exit status."""
        self.channel.send(WORKER_READY, 0)
        while True:
            frame = read_frame(stream, self.max_frame_size)
            if frame is None:
                return 0
            if frame.type == TASK_ASSIGNMENT:
                self.answer_task(frame)
            elif frame.type == STATUS_QUERY:
                self.channel.send(STATUS_RESPONSE, frame.sequence, encode_status_response(self.tasks_completed))
            elif frame.type == SHUTDOWN_REQUEST:
                self.channel.send(SHUTDOWN_ACK, 0)
                return 0
            else:
                kind = "reserved" if frame.type >= FIRST_RESERVED_TYPE else "unexpected"
                _log(f"skipped a frame of {kind} type {frame.type} (sequence {frame.sequence})")

    def answer_task(self, frame: Frame) -> None:
        try:
            result = _result_bytes(self.handler(frame.payload, TaskContext(task_id=frame.sequence)))
        except Exception as error:  # noqa: BLE001 - any handler failure becomes WORKER_ERROR
            self.tasks_completed = (self.tasks_completed + 1) & 0xFFFFFFFF
            self.channel.send(WORKER_ERROR, frame.sequence, encode_worker_error(_error_code(error), _error_message(error)))
            return
        self.tasks_completed = (self.tasks_completed + 1) & 0xFFFFFFFF
        self.channel.send(TASK_RESULT, frame.sequence, result)


def _log(message: str) -> None:
    print(f"process-spawner worker: {message}", file=sys.stderr, flush=True)


def serve(handler: Handler, *, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> NoReturn:
    """Serves tasks on stdin/stdout until SHUTDOWN_REQUEST or the end of stdin, then exits.

    Exits 0 after SHUTDOWN_ACK or at the end of stdin, EXIT_PROTOCOL_ERROR (65) when the parent
    sends a malformed frame, EXIT_IO_ERROR (74) when the frame channel fails. Frames are handled
    strictly in order: a STATUS_QUERY sent during a task is answered after the task.
    """
    _check_range("max_frame_size", max_frame_size, MAX_FRAME_LENGTH)
    if max_frame_size < HEADER_SIZE:
        raise ValueError(f"Expected the max_frame_size to be at least {HEADER_SIZE}, got {max_frame_size}")
    channel = _Channel(_take_stdout_for_frames())
    stream = io.open(0, "rb", buffering=65536, closefd=False)
    try:
        status = _Worker(handler, channel, max_frame_size).run(stream)
    except FrameError as error:
        _log(f"protocol error from the parent: {error.code}: {error}")
        status = EXIT_PROTOCOL_ERROR
    except OSError as error:
        _log(f"frame channel failed: {error}")
        status = EXIT_IO_ERROR
    sys.stdout.flush()
    sys.exit(status)
