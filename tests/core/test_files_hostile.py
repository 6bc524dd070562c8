"""Whatever file a learner uploads, the model and data readers answer with what they read or a message.

Hypothesis drives open_model, read_data and SafeZip with arbitrary bytes, with the fixtures cut or
bit-flipped, and with structurally valid files whose metadata is wrong: safetensors headers with
any entries, Keras configs with any values, CSV built from the characters that matter to it.
"""

from __future__ import annotations

import io
import json
import struct

import h5py
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import DATA
from lstm_core.data_files import MAX_DATA_VALUES, DataFile, read_data
from lstm_core.model_files import OpenedModel, open_model
from lstm_core.safe_archive import SafeZip

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIXTURES = {
    name: (DATA / name).read_bytes()
    for name in (
        "keras3_sentiment.keras",
        "tfkeras_hard_sigmoid.h5",
        "torch_encoder.safetensors",
        "torch_projection.safetensors",
    )
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def check_opened(model: OpenedModel) -> None:
    assert model.description and len(model.layers) >= 1
    for k, (cfg, params) in enumerate(model.layers):
        assert params.kernel.shape == (cfg.input_size + cfg.h_depth, 4 * cfg.num_units)
        assert all(np.isfinite(a).all() for a in params.arrays().values())
        if k:
            assert cfg.input_size == model.layers[k - 1][0].h_depth


def opens_or_says_why(data: bytes, **options) -> None:
    try:
        model = open_model(data, **options)
    except ValueError as error:
        assert str(error)
        return
    check_opened(model)


@SETTINGS
@given(
    data=st.binary(max_size=2000)
    | st.sampled_from([b"PK\x03\x04", b"\x89HDF\r\n\x1a\n", b"\x80\x04"]).flatmap(
        lambda head: st.binary(max_size=500).map(head.__add__)
    )
)
def test_any_bytes_open_or_give_a_message(data):
    opens_or_says_why(data)


@SETTINGS
@given(
    name=st.sampled_from(sorted(FIXTURES)),
    cut=st.floats(0, 1),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 7)), max_size=6),
)
def test_cut_or_bit_flipped_fixtures_open_or_give_a_message(name, cut, flips):
    data = bytearray(FIXTURES[name])
    for where, bit in flips:
        data[int(where * (len(data) - 1))] ^= 1 << bit
    if cut < 0.5:
        data = data[: int(cut * 2 * len(data))]
    opens_or_says_why(bytes(data))


TENSOR_ENTRY = st.fixed_dictionaries(
    {
        "dtype": st.sampled_from(["F32", "F16", "BF16", "F64", "I64", "U8", "X"]) | JSON,
        "shape": st.lists(st.integers(-1, 40), max_size=3) | JSON,
        "data_offsets": st.lists(st.integers(-1, 3000), min_size=2, max_size=2) | JSON,
    }
)
TENSOR_NAME = st.sampled_from(
    ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "m.weight_hr_l0", "weight_ih_l1_reverse", "fc.weight"]
) | st.text(max_size=10)


@SETTINGS
@given(entries=st.dictionaries(TENSOR_NAME, TENSOR_ENTRY | JSON, max_size=6), padding=st.integers(0, 2000))
def test_safetensors_with_any_header_open_or_give_a_message(entries, padding):
    text = json.dumps(entries).encode()
    opens_or_says_why(struct.pack("<Q", len(text)) + text + bytes(padding))


@SETTINGS
@given(
    changes=st.lists(
        st.tuples(
            st.integers(0, 3),
            st.sampled_from(
                ["units", "activation", "recurrent_activation", "use_bias", "go_backwards", "mask_zero", "name"]
            ),
            JSON | st.sampled_from(["tanh", "linear", "hard_sigmoid", "sigmoid", 0, 7, True]),
        ),
        min_size=1,
        max_size=3,
    ),
    kinds=st.lists(st.sampled_from(["LSTM", "GRU", "Dense", "Dropout", "Masking", "InputLayer", "Lambda"]), max_size=2),
)
def test_keras_configs_with_any_values_open_or_give_a_message(changes, kinds):
    buffer = io.BytesIO(FIXTURES["tfkeras_hard_sigmoid.h5"])
    with h5py.File(buffer, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        layers = config["config"]["layers"]
        for index, key, value in changes:
            layers[index]["config"][key] = value
        for k, kind in enumerate(kinds):
            layers[k + 1]["class_name"] = kind
        f.attrs["model_config"] = json.dumps(config)
    opens_or_says_why(buffer.getvalue())


CSV_PIECES = st.sampled_from(
    ["1", "-2.5", "1e5", "nan", "inf", ",", ";", "\t", "\n", "\n\n", '"', "a", "sequence", " ", "\r\n", "\x00", "é"]
)


@SETTINGS
@given(text=st.lists(CSV_PIECES, max_size=80).map("".join) | st.text(max_size=200), npy=st.booleans())
def test_any_data_file_gives_valid_sequences_or_a_message(text, npy):
    data = text.encode()
    if npy:
        buffer = io.BytesIO()
        np.save(buffer, np.zeros((2, 3)))
        data = buffer.getvalue()[:10] + data
    try:
        result = read_data(data, "x.npy" if npy else "x.csv")
    except ValueError as error:
        assert str(error)
        return
    assert isinstance(result, DataFile)
    batch, time, features = result.values.shape
    assert len(result.feature_names) == features and len(result.sequence_names) == batch
    assert result.lengths.min() >= 1 and result.lengths.max() == time
    assert np.isfinite(result.values).all() and result.values.size <= MAX_DATA_VALUES


@SETTINGS
@given(data=st.binary(max_size=600).map(b"PK\x03\x04".__add__) | st.binary(max_size=600))
def test_safe_zip_on_any_bytes(data):
    try:
        archive = SafeZip(data, "a test archive")
        for name in archive.names():
            archive.read(name)
    except ValueError as error:
        assert str(error)
