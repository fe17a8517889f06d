"""A worker that receives file descriptors with its tasks (docs/protocol.md, section 10).

Its stdin is a 'socket' stdio slot; for each TASK_ASSIGNMENT it writes the task's payload to the
fd that came with it, closes the fd, and answers "wrote N bytes" (or a WORKER_ERROR when no fd
came). SHUTDOWN_REQUEST or the end of stdin ends it.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from process_spawner_worker import (  # noqa: E402
    SHUTDOWN_ACK,
    SHUTDOWN_REQUEST,
    TASK_ASSIGNMENT,
    TASK_RESULT,
    WORKER_ERROR,
    WORKER_READY,
    encode_frame,
    encode_worker_error,
    read_frame_with_fds,
)


def send(type_: int, sequence: int, payload: bytes = b"") -> None:
    os.write(1, encode_frame(type_, sequence, payload))


def main() -> int:
    send(WORKER_READY, 0)
    while True:
        frame, fds = read_frame_with_fds(0)
        try:
            if frame is None:
                return 0
            if frame.type == SHUTDOWN_REQUEST:
                send(SHUTDOWN_ACK, 0)
                return 0
            if frame.type == TASK_ASSIGNMENT and fds:
                written = os.write(fds[0], frame.payload)
                send(TASK_RESULT, frame.sequence, f"wrote {written} bytes to the fd received".encode())
            elif frame.type == TASK_ASSIGNMENT:
                send(WORKER_ERROR, frame.sequence, encode_worker_error(1, "no fd came with the task"))
        finally:
            for fd in fds:
                os.close(fd)


if __name__ == "__main__":
    sys.exit(main())
