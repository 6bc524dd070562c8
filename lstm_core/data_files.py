"""A learner's own input data: a CSV table or a NumPy .npy array, read without trusting it.

CSV: rows are steps, columns are features; a first row that is not all numbers is the header and
names the features. Several sequences are separated by a blank line, or named by a column headed
``sequence`` (its rows are grouped by value, in the order they first appear; blank lines are then
ignored). Sequences may differ in length: they are padded with zeros at the end and their lengths
returned, for ``sequence_length`` of :func:`lstm_core.run_stack`.

.npy: read with ``allow_pickle=False`` after its header is checked (numbers only, at most
:data:`MAX_DATA_VALUES` values): shape (time,) is one feature, (time, features) one sequence,
(batch, time, features) several.

Every problem is a ValueError with a message saying where and what is accepted.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from typing import IO

import numpy as np

from .safe_npz import read_npy_header
from .sequences import MAX_VALUE

#: Caps, checked before (bytes) or while (values) reading.
MAX_DATA_BYTES = 8 * 2**20
MAX_DATA_VALUES = 2_000_000  # batch * longest sequence * features, padding included
MAX_DATA_SEQUENCES = 256
MAX_DATA_STEPS = 10_000
MAX_DATA_FEATURES = 4096
_NPY_MAGIC = b"\x93NUMPY"


@dataclass(frozen=True, eq=False)
class DataFile:
    """Input data read from a file.

    Attributes
    ----------
    values : ndarray, shape (batch, time, features), float64
        Zeros after each sequence's end.
    lengths : ndarray of int64, shape (batch,)
        Steps of each sequence.
    feature_names : tuple of str, length features
        From the header, or ``x0, x1, ...``.
    sequence_names : tuple of str, length batch
        From the ``sequence`` column, or ``1, 2, ...``.
    """

    values: np.ndarray
    lengths: np.ndarray
    feature_names: tuple[str, ...]
    sequence_names: tuple[str, ...]

    @property
    def num_features(self) -> int:
        return int(self.values.shape[2])


def read_bytes(file: bytes | str | os.PathLike | IO[bytes], max_bytes: int, what: str) -> bytes:
    """The content of ``file`` (bytes, a path or a binary file object), refusing more than
    ``max_bytes`` before reading past them."""
    if isinstance(file, bytes | bytearray | memoryview):
        data = bytes(file)
    elif isinstance(file, str | os.PathLike):
        try:
            if os.path.getsize(file) > max_bytes:
                raise ValueError(f"{what} is {os.path.getsize(file):,} bytes; at most {max_bytes:,} are accepted.")
            with open(file, "rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as error:
            raise ValueError(f"{what} cannot be read ({error.strerror or error}).") from None
    elif hasattr(file, "read"):
        data = file.read(max_bytes + 1)
        if not isinstance(data, bytes | bytearray):
            raise ValueError(f"{what} must be opened in binary mode.")
        data = bytes(data)
    else:
        raise ValueError(f"{what} must be bytes, a path or a binary file, not {type(file).__name__}.")
    if len(data) > max_bytes:
        raise ValueError(f"{what} is more than {max_bytes:,} bytes; at most {max_bytes:,} are accepted.")
    return data


def read_upload(file: bytes | str | os.PathLike | IO[bytes], name: str, max_bytes: int, what: str) -> tuple[bytes, str]:
    """(content, lower-case name) of an uploaded ``file``: :func:`read_bytes`, and the path as the
    name when no name is given."""
    if isinstance(file, str | os.PathLike) and not name:
        name = os.fspath(file)
    return read_bytes(file, max_bytes, what), str(name).lower()


def read_data(
    file: bytes | str | os.PathLike | IO[bytes], name: str = "", *, input_size: int | None = None
) -> DataFile:
    """Read a CSV or .npy file of input sequences.

    Parameters
    ----------
    file : bytes, path or binary file
    name : str
        The file's name, if known ("data.csv"): ``.npy`` selects the array reader (so does the
        content's NumPy magic); anything else is read as CSV.
    input_size : int, optional
        The features per step the model needs; a file with another number is refused, saying
        which it needs.

    Returns
    -------
    DataFile
    """
    data, name = read_upload(file, name, MAX_DATA_BYTES, "The data file")
    if not data.strip():
        raise ValueError("The data file is empty.")
    is_npy = data.startswith(_NPY_MAGIC) or name.endswith(".npy")
    result = _read_npy(data) if is_npy else _read_csv(data)
    if input_size is not None:
        check_features(result, input_size)
    return result


def check_features(data: DataFile, input_size: int) -> None:
    """Raise a ValueError unless ``data`` has ``input_size`` features per step, saying which it needs."""
    if data.num_features != input_size:
        shown = ", ".join(data.feature_names[:8]) + (", ..." if data.num_features > 8 else "")
        raise ValueError(
            f"The model reads {input_size} feature(s) per step (its first LSTM layer's input size), but "
            f"the data has {data.num_features} ({shown}). Give it {input_size} column(s): one per feature, "
            "one row per step."
        )


def _read_npy(data: bytes) -> DataFile:
    buffer = io.BytesIO(data)
    shape, _, dtype = read_npy_header(buffer, "This .npy file")
    if dtype.hasobject:
        raise ValueError("The .npy file holds Python objects (an object array); only numbers are accepted.")
    if dtype.kind not in "biuf":
        raise ValueError(f"The .npy file holds {dtype} values; only real numbers are accepted.")
    if not 1 <= len(shape) <= 3:
        raise ValueError(
            f"The .npy array has shape {shape}; accepted are (time,), (time, features) and (batch, time, features)."
        )
    count = int(np.prod(shape))
    if count > MAX_DATA_VALUES:
        raise ValueError(f"The .npy array claims {count:,} values; at most {MAX_DATA_VALUES:,} are accepted.")
    buffer.seek(0)
    try:
        array = np.load(buffer, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"The .npy file is damaged ({error}).") from None
    array = array.astype(np.float64)
    if array.ndim == 1:  # one feature
        array = array[:, None]
    if array.ndim == 2:  # one sequence
        array = array[None]
    batch, time, features = array.shape
    _check_sizes(batch, time, features)
    _check_values(array, lambda index: f"sequence {index[0] + 1}, step {index[1] + 1}, feature {index[2] + 1}")
    return DataFile(
        values=array,
        lengths=np.full(batch, time, np.int64),
        feature_names=tuple(f"x{k}" for k in range(features)),
        sequence_names=tuple(str(b + 1) for b in range(batch)),
    )


def _check_sizes(batch: int, time: int, features: int) -> None:
    for what, value, high in (
        ("sequences", batch, MAX_DATA_SEQUENCES),
        ("steps in a sequence", time, MAX_DATA_STEPS),
        ("features per step", features, MAX_DATA_FEATURES),
    ):
        if not 1 <= value <= high:
            raise ValueError(f"The data has {value:,} {what}; from 1 to {high:,} are accepted.")
    if batch * time * features > MAX_DATA_VALUES:
        raise ValueError(
            f"The data needs {batch * time * features:,} values ({batch} sequences of up to {time} steps of "
            f"{features} features); at most {MAX_DATA_VALUES:,} are accepted."
        )


def _check_values(array: np.ndarray, where) -> None:
    bad = ~np.isfinite(array) | (np.abs(array) > MAX_VALUE)
    if bad.any():
        index = tuple(int(k) for k in np.argwhere(bad)[0])
        value = array[index]
        why = "is not a finite number" if not np.isfinite(value) else f"is beyond ±{MAX_VALUE:g}"
        raise ValueError(
            f"The value at {where(index)} ({value}) {why}; only finite numbers up to ±{MAX_VALUE:g} are accepted."
        )


def _delimiter(line: str) -> str:
    if "," in line:
        return ","
    return ";" if ";" in line else ("\t" if "\t" in line else ",")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_csv(data: bytes) -> DataFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("The data file is not UTF-8 text (a CSV) nor a .npy array.") from None
    if "\x00" in text:
        raise ValueError("The data file holds binary data; a CSV is plain text (or use a .npy array).")
    first = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first))
    header: list[str] | None = None
    sequence_column: int | None = None
    width = None
    groups: dict[str, list[list[float]]] = {}
    blank_count = 0  # sequences split by blank lines get the names 1, 2, ...
    values_read = 0
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if not any(cells):
                if sequence_column is None and str(blank_count + 1) in groups:
                    blank_count += 1
                continue
            if width is None:
                width = len(cells)
                if not all(_is_number(cell) for cell in cells):
                    header = [cell or f"x{k}" for k, cell in enumerate(cells)]
                    names = [cell.lower() for cell in header]
                    sequence_column = names.index("sequence") if "sequence" in names else None
                    continue
            if len(cells) != width:
                raise ValueError(f"Line {reader.line_num} has {len(cells)} column(s); the first row has {width}.")
            key = cells[sequence_column] if sequence_column is not None else str(blank_count + 1)
            numbers = []
            for k, cell in enumerate(cells):
                if k == sequence_column:
                    continue
                try:
                    numbers.append(float(cell))
                except ValueError:
                    column = repr(header[k]) if header else str(k + 1)
                    raise ValueError(
                        f"Line {reader.line_num}, column {column}: {cell[:20]!r} is not a number."
                    ) from None
            groups.setdefault(key, []).append(numbers)
            values_read += len(numbers)
            if len(groups) > MAX_DATA_SEQUENCES:
                raise ValueError(f"The data has more than {MAX_DATA_SEQUENCES} sequences; refused.")
            if values_read > MAX_DATA_VALUES:
                raise ValueError(f"The data has more than {MAX_DATA_VALUES:,} values; refused.")
    except csv.Error as error:
        raise ValueError(f"The CSV cannot be read at line {reader.line_num} ({error}).") from None
    if not groups:
        raise ValueError("The CSV has no rows of numbers (one row per step, one column per feature).")
    features = width - (sequence_column is not None)
    if features < 1:
        raise ValueError("The CSV has a 'sequence' column but no feature columns.")
    names = [name for k, name in enumerate(header or []) if k != sequence_column] or [f"x{k}" for k in range(features)]
    lengths = np.array([len(rows) for rows in groups.values()], np.int64)
    _check_sizes(len(groups), int(lengths.max()), features)
    values = np.zeros((len(groups), int(lengths.max()), features))
    for b, rows in enumerate(groups.values()):
        values[b, : len(rows)] = rows
    _check_values(values, lambda index: f"sequence {index[0] + 1}, step {index[1] + 1}, column {names[index[2]]!r}")
    return DataFile(values, lengths, tuple(names), tuple(groups))
