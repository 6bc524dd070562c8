"""A learner's own data (lstm_core.data_files), the zip member reader (lstm_core.safe_archive) and
the layer-stack .npz (weights_io.save_stack / load_stack)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from helpers import assert_close
from lstm_core import LSTMConfig, init_params, params_to_bytes
from lstm_core.data_files import MAX_DATA_VALUES, read_data
from lstm_core.safe_archive import SafeZip, ZipLimits
from lstm_core.weights_io import load_stack, stack_to_bytes


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_csv_with_a_header_names_the_features():
    data = read_data(b"speed,angle\n1,2\n3,4.5\n-1e-3,0\n", "walk.csv", input_size=2)
    assert data.feature_names == ("speed", "angle")
    assert_close(data.values, [[[1, 2], [3, 4.5], [-1e-3, 0]]], 0, 0)
    assert data.lengths.tolist() == [3] and data.sequence_names == ("1",)


def test_csv_without_a_header_gets_numbered_features():
    data = read_data(b"1;2;3\n4;5;6\n")  # semicolons too
    assert data.feature_names == ("x0", "x1", "x2") and data.values.shape == (1, 2, 3)


def test_blank_lines_separate_sequences_of_any_length():
    data = read_data(b"a,b\n1,2\n3,4\n\n\n5,6\n\n7,8\n9,10\n11,12\n")
    assert data.lengths.tolist() == [2, 1, 3]
    assert data.values.shape == (3, 3, 2)
    assert_close(data.values[1], [[5, 6], [0, 0], [0, 0]], 0, 0)  # padded with zeros after its end


def test_a_sequence_column_groups_rows_by_its_value_in_order_of_appearance():
    data = read_data(b"x,sequence,y\n1,walk,2\n3,run,4\n5,walk,6\n\n7,run,8\n")
    assert data.sequence_names == ("walk", "run") and data.feature_names == ("x", "y")
    assert_close(data.values, [[[1, 2], [5, 6]], [[3, 4], [7, 8]]], 0, 0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a,b\n1,2\n3\n", "Line 3 has 1 column"),
        (b"a,b\n1,x\n", "Line 2, column 'b': 'x' is not a number"),
        (b"a,b\n1,nan\n", "not a finite number"),
        (b"1,1e9\n", "beyond"),
        (b"a,b\n", "no rows of numbers"),
        (b"", "empty"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"sequence\ns1\n", "no feature columns"),
    ],
)
def test_bad_csv_says_where_and_what(content, message):
    with pytest.raises(ValueError, match=message):
        read_data(content, "data.csv")


def test_the_model_s_input_size_is_enforced_with_what_it_needs():
    with pytest.raises(ValueError, match=r"reads 5 feature\(s\) per step .* the data has 2 \(a, b\)"):
        read_data(b"a,b\n1,2\n", input_size=5)


@pytest.mark.parametrize(
    ("array", "shape"),
    [(np.arange(4.0), (1, 4, 1)), (np.ones((3, 2), np.float32), (1, 3, 2)), (np.zeros((2, 3, 4), np.int16), (2, 3, 4))],
)
def test_npy_arrays_of_one_two_or_three_dimensions(array, shape):
    data = read_data(npy(array), "x.npy")
    assert data.values.shape == shape and data.values.dtype == np.float64
    assert data.lengths.tolist() == [shape[1]] * shape[0]


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.array([{"a": 1}], dtype=object), "Python objects"),
        (np.array(["a", "b"]), "only real numbers"),
        (np.ones(3, complex), "only real numbers"),
        (np.zeros((1, 1, 1, 1)), "has shape"),
        (np.array([1.0, np.inf]), "not a finite number"),
    ],
)
def test_bad_npy_arrays_are_refused(array, message):
    with pytest.raises(ValueError, match=message):
        read_data(npy(array), "x.npy")


def test_an_npy_claiming_too_many_values_is_refused_unread():
    header = npy(np.zeros((1, 1)))
    lying = header.replace(b"(1, 1)", b"(9999, 9999)")
    with pytest.raises(ValueError, match=f"at most {MAX_DATA_VALUES:,}"):
        read_data(lying, "x.npy")
    with pytest.raises(ValueError, match="not a readable .npy|damaged"):
        read_data(npy(np.zeros(1000))[:200], "x.npy")


def zip_bytes(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_safe_zip_reads_members_and_refuses_what_breaks_its_caps():
    archive = SafeZip(zip_bytes({"a.json": b"{}", "b": b"x" * 1000}), "a test archive")
    assert archive.names() == ["a.json", "b"] and archive.read("b") == b"x" * 1000
    with pytest.raises(ValueError, match="has no 'c'"):
        archive.read("c")
    with pytest.raises(ValueError, match="at most 10 are accepted"):
        archive.read("b", max_bytes=10)
    with pytest.raises(ValueError, match="members unpack to 5,000 bytes"):
        SafeZip(zip_bytes({"a": b"0" * 5000}), "a test archive", ZipLimits(max_total_bytes=4000))
    with pytest.raises(ValueError, match="at most 2"):
        SafeZip(zip_bytes({"a": b"", "b": b"", "c": b""}), "a test archive", ZipLimits(max_members=2))
    with pytest.raises(ValueError, match="zip archive is damaged"):
        SafeZip(zip_bytes({"a": b"1" * 100})[:-30], "a test archive")


def test_safe_zip_refuses_a_bomb_that_lies_about_its_size():
    """A member that states 100 bytes but inflates to 10 MB is cut at its stated size, unread past it."""
    bomb = bytearray(zip_bytes({"bomb": b"\0" * 10_000_000}))
    # Patch the stated uncompressed size (local header at 22, central directory entry at +24).
    real = (10_000_000).to_bytes(4, "little")
    bomb = bomb.replace(real, (100).to_bytes(4, "little"))
    with pytest.raises(ValueError, match="damaged"):
        SafeZip(bytes(bomb), "a test archive").read("bomb")


@pytest.mark.parametrize(("method", "message"), [(zipfile.ZIP_BZIP2, "method 12"), (zipfile.ZIP_LZMA, "method 14")])
def test_safe_zip_accepts_only_stored_and_deflate(method, message):
    with pytest.raises(ValueError, match=message):
        SafeZip(zip_bytes({"a": b"1"}, method), "a test archive")


def test_a_stack_round_trips_and_a_single_layer_file_reads_as_a_stack():
    configs = [
        LSTMConfig(input_size=3, num_units=4, forget_bias=0.0, recurrent_activation="hard_sigmoid"),
        LSTMConfig(input_size=4, num_units=2, num_proj=3),
    ]
    params = [init_params(cfg, seed=k, dtype=np.float32) for k, cfg in enumerate(configs)]
    configs2, params2, meta = load_stack(io.BytesIO(stack_to_bytes(configs, params, {"source": "test"})))
    assert configs2 == configs and meta == {"source": "test"}
    for before, after in zip(params, params2, strict=True):
        assert after.kernel.dtype == np.float32
        for name, array in before.arrays().items():
            assert_close(getattr(after, name), array, 0, 0, what=name)
    one, (layer,), meta = load_stack(io.BytesIO(params_to_bytes(configs[0], params[0])))
    assert one == configs[:1] and meta == {} and np.array_equal(layer.kernel, params[0].kernel)
    with pytest.raises(ValueError, match="'layer1.proj_kernel' is missing"):
        data = io.BytesIO(stack_to_bytes(configs, params))
        with zipfile.ZipFile(data) as source:
            kept = {n: source.read(n) for n in source.namelist() if n != "layer1.proj_kernel.npy"}
        load_stack(io.BytesIO(zip_bytes(kept, zipfile.ZIP_STORED)))
