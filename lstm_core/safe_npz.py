""".npz archives read so that no file can make the reader allocate more than it allows.

An .npz is a zip of .npy members. ``np.load`` trusts both layers: a member may be compressed with
bzip2 or lzma at ratios of a million to one, and an .npy header may claim any shape or dtype (a
``<U`` string of a gigabyte, a void dtype with a huge item size), which NumPy allocates before it
reads a byte. :class:`SafeNpz` has :class:`lstm_core.safe_archive.SafeZip` check every member of
the zip directory before anything is decompressed (stored or deflate only, not encrypted, no
duplicate names, each member's stated size and their total within :class:`Limits`), then reads one
array at a time: its header first
(dtype kind and ``count x itemsize`` against the caller's limit and the member's stated size), then
exactly that many bytes, which zipfile never decompresses past the member's stated size.
Pickled objects are never read. Every problem is a ValueError with a message a learner can act on.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import IO

import numpy as np

from .config import MAX_INPUT_SIZE, MAX_UNITS
from .quoting import cut, shown
from .safe_archive import ZIP_ERRORS, SafeZip, ZipLimits

#: What zipfile and NumPy raise for damaged, truncated, encrypted or exotic archives.
_DAMAGED = (*ZIP_ERRORS, struct.error, UnicodeDecodeError, KeyError)


@dataclass(frozen=True)
class Limits:
    """The most a file may hold or ask for.

    Defaults fit any model a learner trains with this library (a few hundred MB at most); the app
    passes smaller ones for uploads (ui.trained.UPLOAD_LIMITS).
    """

    max_bytes: int = 256 * 1024 * 1024  #: all members together, decompressed
    max_members: int = 64
    max_units: int = MAX_UNITS  #: per layer, num_units and num_proj
    max_input_size: int = MAX_INPUT_SIZE
    max_layers: int = 8
    max_text_chars: int = 64 * 1024  #: a JSON text entry (config, header)


DEFAULT_LIMITS = Limits()


class SafeNpz:
    """An .npz archive (path, file object or bytes) whose zip directory has been checked against
    ``limits`` (by :class:`lstm_core.safe_archive.SafeZip`), read one .npy entry at a time.

    ``what`` names what the file should be ("a weight file (.npz)"), for the messages. Use as a
    context manager, or call :meth:`close`.
    """

    def __init__(self, file: str | os.PathLike | IO[bytes] | bytes, what: str, limits: Limits = DEFAULT_LIMITS):
        self.what, self.limits = what, limits
        if _looks_like_npy(file):
            raise ValueError(f"This is a single array (.npy), not {what}.")
        zip_limits = ZipLimits(limits.max_members, limits.max_bytes, limits.max_bytes)
        self.zip = SafeZip(file, what, zip_limits)
        # np.savez names entry "x" "x.npy"; a second entry that strips to the same name is crafted.
        self._members: dict[str, str] = {}
        for member in self.zip.names():
            name = member[:-4] if member.endswith(".npy") else member
            if name in self._members:
                self.zip.close()
                raise ValueError(f"This is not {what}: it holds two entries named {cut_name(name)}.")
            self._members[name] = member

    def __enter__(self) -> SafeNpz:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.zip.close()

    @property
    def names(self) -> list[str]:
        """The entries' names, without ".npy"."""
        return list(self._members)

    def __contains__(self, name: str) -> bool:
        return name in self._members

    def header(self, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
        """(shape, fortran_order, dtype) of an entry, read from its .npy header alone."""
        with self._open(name) as member:
            return self._read_header(member, name)

    def _open(self, name: str):
        if name not in self._members:
            raise ValueError(f"{self.what.capitalize()} needs an entry {cut_name(name)}; this file has none.")
        return self.zip.open(self._members[name])

    def _read_header(self, member, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
        return read_npy_header(member, f"The entry {cut_name(name)}")

    def array(self, name: str, *, kinds: str = "fiu", max_bytes: int | None = None) -> np.ndarray:
        """Entry ``name`` as an array, if its dtype's kind is one of ``kinds`` (NumPy's letters: "f"
        float, "i"/"u" integer, "U"/"S" text) and it holds at most ``max_bytes`` (default: what is
        left of the archive's limit)."""
        with self._open(name) as member:
            shape, fortran, dtype = self._read_header(member, name)
            if dtype.hasobject or dtype.kind not in kinds:
                wanted = {"f": "real numbers", "i": "real numbers", "u": "real numbers", "U": "text", "S": "text"}
                accepted = " or ".join(sorted({wanted[k] for k in kinds}))
                raise ValueError(f"The entry {cut_name(name)} holds {_dtype_words(dtype)}, not {accepted}.")
            count = 1
            for n in shape:
                count *= n
            nbytes = count * dtype.itemsize
            limit = self.limits.max_bytes if max_bytes is None else min(max_bytes, self.limits.max_bytes)
            if nbytes > limit:
                raise ValueError(
                    f"The entry {cut_name(name)} claims {count:,} values, far more than {self.what} needs "
                    f"({nbytes:,} bytes of {dtype}); refused unread."
                )
            if nbytes > self.zip.info(self._members[name]).file_size:
                raise ValueError(f"The entry {cut_name(name)} is shorter than its header says: the file is damaged.")
            try:
                data = member.read(nbytes)
            except _DAMAGED as error:
                raise ValueError(f"The entry {cut_name(name)} is damaged ({_short(error)}).") from None
        if len(data) != nbytes:
            raise ValueError(f"The entry {cut_name(name)} is shorter than its header says: the file is damaged.")
        array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
        return array.astype(dtype.newbyteorder("="), copy=True)  # writable, native byte order

    def text(self, name: str, *, missing: str, not_text: str) -> str:
        """The one text value stored in entry ``name`` (e.g. a configuration as JSON); a ValueError
        with ``missing`` if there is no such entry, ``not_text`` if it holds something else."""
        if name not in self._members:
            raise ValueError(missing)
        try:
            entry = self.array(name, kinds="US", max_bytes=4 * self.limits.max_text_chars)
        except ValueError as error:
            raise ValueError(f"{not_text} ({error})") from None
        if entry.size != 1:
            raise ValueError(not_text)
        value = entry.reshape(-1)[0]
        return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def read_npy_header(stream, what: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) from the .npy header at the start of ``stream``, nothing more read
    (NumPy caps a header at 10,000 bytes); a ValueError "``what`` is not a readable array" otherwise."""
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    except (*_DAMAGED, ValueError, SyntaxError, TypeError) as error:
        raise ValueError(f"{what} is not a readable array ({_short(error)}).") from None
    return tuple(int(n) for n in shape), bool(fortran), dtype


def cut_name(name: str) -> str:
    """An entry's name as a message quotes it: in quotes, at most 40 characters."""
    return shown(name)


def _short(error: Exception) -> str:
    return cut(str(error) or type(error).__name__, 80)


def _dtype_words(dtype: np.dtype) -> str:
    if dtype.hasobject:
        return "Python objects"
    kinds = {"V": "raw bytes", "M": "dates", "m": "time spans", "c": "complex numbers", "b": "true/false values"}
    return kinds.get(dtype.kind, "text" if dtype.kind in "US" else f"values of type {dtype}")


def _looks_like_npy(file) -> bool:
    """Whether ``file`` starts as a single .npy array does (a common mistake: np.save, not np.savez)."""
    try:
        if isinstance(file, bytes | bytearray):
            start = bytes(file[:6])
        elif hasattr(file, "read"):
            position = file.tell()
            start = file.read(6)
            file.seek(position)
        else:
            with open(file, "rb") as handle:
                start = handle.read(6)
    except (OSError, ValueError):
        return False
    return start == b"\x93NUMPY"
