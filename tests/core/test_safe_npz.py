"""Hostile .npz files: refused with a message before they can allocate, whatever their two layers claim.

Each file here is a few KB and claims hundreds of MB (a bzip2 or deflate member, a huge text or
raw-bytes dtype in an .npy header, thousands of entries). tracemalloc counts NumPy's allocations
too, so "refused before allocating" is measured, not assumed.
"""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest

from lstm_core import LSTMConfig, init_params, load_params, params_to_bytes
from lstm_core.safe_npz import Limits, SafeNpz
from lstm_core.tasks import make_task
from lstm_core.training import TrainSettings, init_model, model_from_file, model_to_bytes

LAYER = LSTMConfig(input_size=2, num_units=3)
#: What reading a refused file may allocate at most (the bombs below claim 100 MB to 1.6 GB).
PEAK_BYTES = 8 * 1024 * 1024


def npy_bytes(array: np.ndarray | None = None, *, header: dict | None = None, payload: bytes = b"") -> bytes:
    """An .npy member: a real array, or a bare header (any shape and dtype it claims) and ``payload``."""
    buffer = io.BytesIO()
    if array is not None:
        np.save(buffer, array)
        return buffer.getvalue()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + payload


def archive(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def config_member(cfg: LSTMConfig = LAYER) -> bytes:
    return npy_bytes(np.array(cfg.to_json()))


def refused(reader, data: bytes, message: str) -> None:
    """``reader(data)`` raises a ValueError matching ``message`` and allocates at most PEAK_BYTES."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=message):
            reader(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"allocated {peak:,} bytes before refusing"


def test_a_bzip2_bomb_is_refused_before_unpacking():
    good = init_params(LAYER).arrays()
    members = {"config.npy": config_member(), **{f"{k}.npy": npy_bytes(v) for k, v in good.items()}}
    members["kernel.npy"] = npy_bytes(good["kernel"]) + bytes(200_000_000)  # 200 MB of zeros after the array
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_BZIP2 if name == "kernel.npy" else zipfile.ZIP_STORED)
    data = buffer.getvalue()
    assert len(data) < 1_000_000
    refused(load_params, data, "compressed with bzip2")


def test_a_deflate_bomb_is_refused_by_its_stated_size():
    members = {"config.npy": config_member(), "kernel.npy": bytes(300_000_000), "bias.npy": b""}
    data = archive(members, zipfile.ZIP_DEFLATED)
    assert len(data) < 1_000_000
    refused(load_params, data, "unpacks to 300,000,000 bytes")


@pytest.mark.parametrize(
    ("entry", "header"),
    [
        ("config", {"descr": "<U100000000", "fortran_order": False, "shape": ()}),  # 400 MB of text
        ("kernel", {"descr": "|V400000000", "fortran_order": False, "shape": (1,)}),  # one 400 MB raw item
        ("kernel", {"descr": "<f8", "fortran_order": False, "shape": (4000, 4000)}),  # 128 MB of numbers
    ],
)
def test_a_header_claiming_hundreds_of_megabytes_is_refused_unread(entry, header):
    members = {"config.npy": config_member(), "bias.npy": npy_bytes(np.zeros(12))}
    members[f"{entry}.npy"] = npy_bytes(header=header, payload=b"\0" * 64)
    if entry == "config":
        members["kernel.npy"] = npy_bytes(np.zeros((5, 12)))
    refused(load_params, archive(members, zipfile.ZIP_DEFLATED), "refused unread|holds raw bytes|not text")


def test_a_trained_model_file_is_checked_entry_by_entry_before_anything_is_read():
    model = init_model(make_task("adding", 6), TrainSettings(units=4))
    good = dict(np.load(io.BytesIO(model_to_bytes(model, {"task": "adding", "size": 6}))))
    members = {f"{name}.npy": npy_bytes(value) for name, value in good.items()}
    members["readout.weight.npy"] = npy_bytes(header={"descr": "<f8", "fortran_order": False, "shape": (4, 10**8)})
    refused(model_from_file, archive(members), "read-out|shape")
    members = {f"{name}.npy": npy_bytes(value) for name, value in good.items()}
    members["header.npy"] = npy_bytes(header={"descr": "<U300000000", "fortran_order": False, "shape": ()})
    refused(model_from_file, archive(members), "header is not JSON text")


def test_twelve_thousand_entries_give_a_short_message():
    members = {"config.npy": config_member(), **{f"entry{k:05d}.npy": b"" for k in range(12_000)}}
    with pytest.raises(ValueError) as caught:
        load_params(archive(members), limits=Limits(max_members=20_000))
    assert len(str(caught.value)) < 400 and "11,995 more" in str(caught.value)
    with pytest.raises(ValueError, match="12,001 members"):
        load_params(archive(members))  # past the default limit: refused before any name is read


def test_encrypted_duplicate_and_single_array_files_get_their_own_message():
    data = bytearray(archive({"config.npy": config_member()}))
    flag = data.index(b"PK\x01\x02") + 8  # the central directory's general-purpose flags
    data[flag] |= 1
    with pytest.raises(ValueError, match="encrypted"):
        load_params(bytes(data))
    with pytest.raises(ValueError, match="two entries"):
        load_params(archive({"config.npy": config_member(), "config": b""}))
    with pytest.raises(ValueError, match="single array"):
        load_params(npy_bytes(np.zeros(3)))


def test_what_passes_is_exactly_what_was_saved():
    params = init_params(LSTMConfig(input_size=3, num_units=2, use_peepholes=True), seed=4)
    cfg = LSTMConfig(input_size=3, num_units=2, use_peepholes=True)
    loaded_cfg, loaded = load_params(params_to_bytes(cfg, params))
    assert loaded_cfg == cfg
    for name, array in params.arrays().items():
        np.testing.assert_array_equal(getattr(loaded, name), array)
    with SafeNpz(params_to_bytes(cfg, params), "a weight file") as npz:
        big_endian = npz.array("kernel").astype(">f8")
    assert big_endian.dtype == np.dtype(">f8")  # reading gives native order; the values survive a swap
    members = {"config.npy": config_member(cfg), **{f"{k}.npy": npy_bytes(v) for k, v in params.arrays().items()}}
    members["kernel.npy"] = npy_bytes(params.kernel.astype(">f8"))
    _, swapped = load_params(archive(members))
    np.testing.assert_array_equal(swapped.kernel, params.kernel)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"task": "recall", "size": [1]}, "meta.size"),
        ({"task": "recall", "metric_name": "accuracy", "metric": "99%"}, "meta.metric "),
        ({"task": "recall", "metric_name": "loss", "metric": 0.5}, "meta.metric_name"),
        ({"task": "recall", "metric_name": "accuracy", "metric": 7.0}, "at most 1"),
        ({"task": "no-such-task"}, "meta.task"),
        ({"task": "adding"}, "has 2 inputs"),  # a recall model (5 inputs) claiming another task
        ({"task": "recall", "title": "x" * 500}, "meta.title"),
        ({"task": "recall", "steps": -3}, "meta.steps"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_crafted_metadata_is_refused_with_the_field_it_gets_wrong(meta, message):
    model = init_model(make_task("recall", 10), TrainSettings(units=3))
    header = {"configs": [c.to_dict() for c in model.configs], "output": model.output, "meta": meta}
    members = {f"{name}.npy": npy_bytes(array) for name, array in model.arrays().items()}
    members["header.npy"] = npy_bytes(np.array(json.dumps(header)))
    with pytest.raises(ValueError, match=message):
        model_from_file(archive(members))
