"""Reading members of an uploaded zip archive without trusting it.

A zip's directory states each member's method and sizes; a hostile one lies (a "zip bomb" claims a
few kilobytes and inflates to gigabytes) or asks for what Python's zipfile cannot do safely. So,
before anything is decompressed, every member must be stored or deflated, unencrypted, of
stated sizes within the caps (a stored member's two sizes equal), with the stated sizes of all
members within a total cap; and each member is then read in small pieces with a hard cap, so a
member that inflates past what it stated is refused after at most ``cap + 64 KiB`` bytes, whatever
it claims. Every problem is a ValueError with a message naming what was expected.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

from .quoting import cut, shown

#: The errors Python's zipfile and zlib raise on damaged or unsupported archives.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError)
_PIECE = 64 * 1024
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}


@dataclass(frozen=True)
class ZipLimits:
    """Caps on an archive: members, bytes of one member and of all members, decompressed."""

    max_members: int = 64
    max_member_bytes: int = 64 * 2**20
    max_total_bytes: int = 128 * 2**20


class SafeZip:
    """A zip archive whose directory has been checked against ``limits``.

    Parameters
    ----------
    data : bytes, path or binary file
        The archive (the caller caps its size).
    what : str
        What the archive should be, for messages: e.g. "a Keras 3 model (.keras)".
    limits : ZipLimits

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, data: bytes | str | os.PathLike | IO[bytes], what: str, limits: ZipLimits = ZipLimits()) -> None:
        self.what, self.limits = what, limits
        source = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
        try:
            self._zip = zipfile.ZipFile(source)
            members = self._zip.infolist()
        except ZIP_ERRORS as error:
            raise ValueError(f"This is not {what}: the zip archive is damaged ({cut(str(error), 80)}).") from None
        try:
            self._check_directory(members)
        except ValueError:
            self._zip.close()
            raise

    def _check_directory(self, members: list[zipfile.ZipInfo]) -> None:
        what, limits = self.what, self.limits
        if len(members) > limits.max_members:
            raise ValueError(f"The file has {len(members):,} members; {what} has at most {limits.max_members}.")
        self._members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in members:
            self._check(info)
            if info.filename in self._members:
                raise ValueError(f"This is not {what}: the member {shown(info.filename)} appears twice.")
            self._members[info.filename] = info
            total += info.file_size
        if total > limits.max_total_bytes:
            raise ValueError(
                f"Refused before unpacking: the file's members unpack to {total:,} bytes; {what} may hold at "
                f"most {limits.max_total_bytes:,}."
            )

    def _check(self, info: zipfile.ZipInfo) -> None:
        name, what = shown(info.filename), self.what
        if info.flag_bits & 0x1:
            raise ValueError(f"The member {name} is encrypted; the app reads only plain archives as {what}.")
        if info.compress_type not in _METHODS:
            method = _METHOD_NAMES.get(info.compress_type, "an unknown method")
            raise ValueError(
                f"The member {name} is compressed with {method} (method {info.compress_type}); the app reads only "
                "stored or deflate-compressed members, as NumPy and Keras write them."
            )
        if info.file_size > self.limits.max_member_bytes or info.compress_size > self.limits.max_member_bytes:
            raise ValueError(
                f"Refused before unpacking: the member {name} unpacks to {max(info.file_size, info.compress_size):,} "
                f"bytes; {what} may hold at most {self.limits.max_member_bytes:,}."
            )
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise ValueError(f"This is not {what}: the stored member {name} states two different sizes.")

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def names(self) -> list[str]:
        """The members' names, in the archive's order."""
        return list(self._members)

    def info(self, name: str) -> zipfile.ZipInfo:
        """The checked directory entry of member ``name`` (its stated sizes)."""
        info = self._members.get(name)
        if info is None:
            raise ValueError(f"This is not {self.what}: it has no {shown(name)}.")
        return info

    def open(self, name: str):
        """Member ``name`` as a stream that zipfile never decompresses past its stated size (for
        reading a header before deciding whether to read on)."""
        try:
            return self._zip.open(self.info(name))
        except ZIP_ERRORS as error:
            raise ValueError(f"{shown(name)} in {self.what} cannot be opened ({cut(str(error), 80)}).") from None

    def read(self, name: str, max_bytes: int | None = None) -> bytes:
        """The member ``name``, decompressed in pieces and refused past ``max_bytes`` (default: the
        member cap) or past its own stated size."""
        info = self.info(name)
        cap = min(self.limits.max_member_bytes if max_bytes is None else max_bytes, info.file_size)
        if info.file_size > cap:
            raise ValueError(f"{shown(name)} in {self.what} is {info.file_size:,} bytes; at most {cap:,} are accepted.")
        out = bytearray()
        try:
            with self._zip.open(info) as member:
                while len(out) <= cap and (piece := member.read(_PIECE)):
                    out += piece
        except ZIP_ERRORS as error:
            raise ValueError(f"{shown(name)} in {self.what} is damaged ({error}).") from None
        if len(out) > cap:
            raise ValueError(f"{shown(name)} in {self.what} inflates past its stated size; refused.")
        if len(out) != info.file_size:
            raise ValueError(f"{shown(name)} in {self.what} is damaged: it is shorter than it states.")
        return bytes(out)
