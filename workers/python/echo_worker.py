"""An example worker for the process-spawner protocol, in Python (see process_spawner_worker.py).

It answers each task with its payload, except for these commands, which the test suites use to
exercise a parent (the same as the C example, workers/c/echo_worker.c):

  error:<text>   raises an exception with code 42: answered with WORKER_ERROR 42 and <text>
  crash          os.abort()s (dies of SIGABRT)
  sleep:<ms>     sleeps <ms> milliseconds, then echoes the payload
  big:<n>        answers <n> bytes, byte i being i % 251
  print:<text>   print()s <text> (serve() routes stdout to stderr), then echoes

Run: python3 workers/python/echo_worker.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from process_spawner_worker import TaskContext, serve  # noqa: E402


class CommandError(Exception):
    """An error with a WORKER_ERROR code of its own (serve() reads the `code` attribute)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def big_result(length: int) -> bytes:
    pattern = bytes(range(251))
    return (pattern * (length // 251 + 1))[:length]


def handle(payload: bytes, context: TaskContext) -> bytes:
    if payload.startswith(b"error:"):
        raise CommandError(payload[6:].decode("utf-8", errors="replace"), 42)
    if payload == b"crash":
        os.abort()
    if payload.startswith(b"sleep:"):
        time.sleep(int(payload[6:]) / 1000)
    if payload.startswith(b"big:"):
        return big_result(int(payload[4:]))
    if payload.startswith(b"print:"):
        print(payload[6:].decode("utf-8", errors="replace"), flush=True)
    return payload


if __name__ == "__main__":
    serve(handle)
