""".npz archives read so that no file can make the reader allocate more than it allows.

An .npz is a zip of .npy members. ``np.load`` trusts both layers: a member may be compressed with
bzip2 or lzma at ratios of a million to one, and an .npy header may claim any shape or dtype (a
``<U`` string of a gigabyte, a void dtype with a huge item size), which NumPy allocates before it
reads a byte. :class:`SafeNpz` checks every member of the zip directory before anything is
decompressed (stored or deflate only, not encrypted, no duplicate names, each member's stated
size and their total within :class:`Limits`), then reads one array at a time: its header first
(dtype kind and ``count x itemsize`` against the caller's limit and the member's stated size), then
exactly that many bytes, which zipfile never decompresses past the member's stated size.
Pickled objects are never read. Every problem is a ValueError with a message a learner can act on.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

import numpy as np

from .config import MAX_INPUT_SIZE, MAX_UNITS
from .quoting import cut, shown

#: What zipfile and NumPy raise for damaged, truncated, encrypted or exotic archives.
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    struct.error,
    NotImplementedError,
    RuntimeError,
    UnicodeDecodeError,
    KeyError,
)
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}


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
    """An .npz archive (path, file object or bytes) whose directory has been checked against ``limits``.

    ``what`` names what the file should be ("a weight file (.npz)"), for the messages. Use as a
    context manager, or call :meth:`close`.
    """

    def __init__(self, file: str | os.PathLike | IO[bytes] | bytes, what: str, limits: Limits = DEFAULT_LIMITS):
        self.what, self.limits = what, limits
        source = io.BytesIO(file) if isinstance(file, bytes | bytearray) else file
        try:
            self.zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error, NotImplementedError):
            if _looks_like_npy(file):
                raise ValueError(f"This is a single array (.npy), not {what}.") from None
            raise ValueError(f"This is not {what}: it is not a zip archive (.npz).") from None
        try:
            self._members = self._check_directory()
        except ValueError:
            self.zip.close()
            raise

    def _check_directory(self) -> dict[str, zipfile.ZipInfo]:
        infos = self.zip.infolist()
        if len(infos) > self.limits.max_members:
            raise ValueError(
                f"The file holds {len(infos):,} entries; {self.what} has at most {self.limits.max_members}."
            )
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if name in members:
                raise ValueError(f"The file holds two entries named {cut_name(name)}: it is damaged or crafted.")
            if info.flag_bits & 0x1:
                raise ValueError("The file is encrypted; the app reads only plain .npz files.")
            if info.compress_type not in _METHODS:
                method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
                raise ValueError(
                    f"The entry {cut_name(name)} is compressed with {method}; the app reads only stored or "
                    "deflate-compressed entries, as NumPy writes them."
                )
            total += info.file_size
            if total > self.limits.max_bytes:
                raise ValueError(
                    f"The file unpacks to more than {self.limits.max_bytes:,} bytes; {self.what} needs far "
                    "less. Refused before unpacking."
                )
            members[name] = info
        return members

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
        try:
            return self.zip.open(self._members[name])
        except _DAMAGED as error:
            raise ValueError(f"The entry {cut_name(name)} cannot be opened ({_short(error)}).") from None

    def _read_header(self, member, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
        try:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
        except (*_DAMAGED, ValueError, SyntaxError, TypeError) as error:
            raise ValueError(f"The entry {cut_name(name)} is not a readable array ({_short(error)}).") from None
        return tuple(int(n) for n in shape), bool(fortran), dtype

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
            if nbytes > self._members[name].file_size:
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
