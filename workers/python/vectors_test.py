"""Runs process_spawner_worker.py against test/fixtures/protocol-vectors.json, driven by
test/workers/python.test.ts. One command per line on stdin, one answer line on stdout, in the
same line format as workers/c/vectors_test.c ("-" stands for empty hex):

  decode <maxFrameSize> <hex>          ->  <type>:<sequence>:<payloadhex> ... ok|error:<CODE>
  encode <type> <sequence> <hex>       ->  <frame hex>
  worker-error <code> <messagehex>     ->  <payload hex>
  status-response <count>              ->  <payload hex>
  decode-worker-error <hex>            ->  <code>:<messagehex> | error:<CODE>
  decode-status-response <hex>         ->  <count> | error:<CODE>
"""

import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import process_spawner_worker as protocol  # noqa: E402


def from_hex(text: str) -> bytes:
    return b"" if text == "-" else bytes.fromhex(text)


def to_hex(data: bytes) -> str:
    return data.hex() or "-"


def decode(max_frame_size: str, hex_stream: str) -> str:
    stream = io.BufferedReader(io.BytesIO(from_hex(hex_stream)))
    tokens = []
    try:
        while (frame := protocol.read_frame(stream, int(max_frame_size))) is not None:
            tokens.append(f"{frame.type}:{frame.sequence}:{to_hex(frame.payload)}")
        tokens.append("ok")
    except protocol.FrameError as error:
        tokens.append(f"error:{error.code}")
    return " ".join(tokens)


def decode_worker_error(hex_payload: str) -> str:
    try:
        code, message = protocol.decode_worker_error(from_hex(hex_payload))
    except protocol.FrameError as error:
        return f"error:{error.code}"
    return f"{code}:{to_hex(message.encode('utf-8'))}"


def decode_status_response(hex_payload: str) -> str:
    try:
        return str(protocol.decode_status_response(from_hex(hex_payload)))
    except protocol.FrameError as error:
        return f"error:{error.code}"


COMMANDS = {
    "decode": decode,
    "encode": lambda type_, sequence, payload: protocol.encode_frame(int(type_), int(sequence), from_hex(payload)).hex(),
    "worker-error": lambda code, message: to_hex(protocol.encode_worker_error(int(code), from_hex(message).decode("utf-8"))),
    "status-response": lambda count: to_hex(protocol.encode_status_response(int(count))),
    "decode-worker-error": decode_worker_error,
    "decode-status-response": decode_status_response,
}


def main() -> int:
    status = 0
    for line in sys.stdin:
        command, *arguments = line.split()
        try:
            print(COMMANDS[command](*arguments))
        except (KeyError, TypeError, ValueError) as error:
            print(f"bad-command {error}")
            status = 2
    return status


if __name__ == "__main__":
    sys.exit(main())
