"""The messages between the server and a worker process: a JSON header and a blob of bytes.

Each message is ``len(header)`` (4 bytes, big-endian), ``len(blob)`` (8 bytes), the header as UTF-8
JSON, then the blob (a trainer's state as :meth:`lstm_core.training.Trainer.state_to_bytes` writes
it, or nothing). Nothing is unpickled: both ends only ever parse JSON and read arrays with
``allow_pickle=False``.
"""

from __future__ import annotations

import json
import struct
from typing import BinaryIO

_SIZES = struct.Struct(">IQ")
#: The largest header and blob a message may carry (a trainer's state is a few MB at most).
MAX_HEADER = 1 << 20
MAX_BLOB = 256 << 20


def send(stream: BinaryIO, header: dict, blob: bytes = b"") -> None:
    """Write one message and flush it."""
    text = json.dumps(header, separators=(",", ":")).encode()
    stream.write(_SIZES.pack(len(text), len(blob)) + text)
    if blob:
        stream.write(blob)
    stream.flush()


def _read(stream: BinaryIO, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(stream: BinaryIO) -> tuple[dict, bytes] | None:
    """The next message, or None when the other end has closed the stream (or sent nonsense)."""
    sizes = _read(stream, _SIZES.size)
    if sizes is None:
        return None
    header_size, blob_size = _SIZES.unpack(sizes)
    if header_size > MAX_HEADER or blob_size > MAX_BLOB:
        return None
    text = _read(stream, header_size)
    blob = _read(stream, blob_size) if blob_size else b""
    if text is None or blob is None:
        return None
    header = json.loads(text)
    return (header, blob) if isinstance(header, dict) else None
