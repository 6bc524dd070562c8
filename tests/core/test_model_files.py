"""lstm_core.model_files against files written by real Keras and PyTorch (tests/data/, made by
scripts/make_keras_files.py and scripts/make_torch_files.py): the outputs the libraries computed,
every refusal by name, and hostile files."""

from __future__ import annotations

import io
import itertools
import json
import struct
import zipfile
import zlib
from functools import cache

import h5py
import numpy as np
import pytest

from helpers import DATA, KERAS_FILES, TORCH_FILES, assert_close
from lstm_core import grad_stack, load_params
from lstm_core.activations import GATE_DERIVATIVES, GATE_FUNCTIONS_OF_NEGATED
from lstm_core.model_files import MAX_HDF5_DEPTH, TORCH_EXPORT, OpenedModel, open_model
from lstm_core.weights_io import load_stack

#: The issue's bar for float32 weights.
TOLERANCE = 1e-6
CONFIG = DATA / "keras3_sentiment.config.json"


@cache
def golden(name: str) -> dict[str, np.ndarray]:
    with np.load(DATA / name, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def expected(golden_file: str, model_file: str) -> dict[str, np.ndarray]:
    prefix = f"{model_file}::"
    return {k[len(prefix) :]: v for k, v in golden(golden_file).items() if k.startswith(prefix)}


def opened(name: str) -> OpenedModel:
    config = DATA / name.replace(".weights.h5", ".config.json")
    return open_model(DATA / name, config=config.read_text() if name.endswith(".weights.h5") else None)


def max_error(model: OpenedModel, arrays: dict, dtype) -> float:
    traces = model.run(arrays["lstm_inputs"].astype(dtype))
    return max(float(np.abs(t.outputs - arrays[f"outputs_{k}"]).max()) for k, t in enumerate(traces))


@pytest.mark.parametrize("name", KERAS_FILES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keras_files_give_keras_outputs(name, dtype):
    model, arrays = opened(name), expected("keras_golden.npz", name)
    assert len(model.layers) == len([k for k in arrays if k.startswith("outputs_")]) == 2
    assert all(params.kernel.dtype == np.float32 for params in model.params)
    assert max_error(model, arrays, dtype) <= TOLERANCE


@pytest.mark.parametrize("name", TORCH_FILES)
def test_pytorch_files_give_pytorch_outputs(name):
    model, arrays = opened(name), expected("torch_files_golden.npz", name)
    traces = model.run(arrays["inputs"])
    assert len(traces) == 2
    assert_close(traces[-1].outputs, arrays["outputs"], TOLERANCE, TOLERANCE, what="outputs")
    for k, trace in enumerate(traces):
        assert_close(trace.final_state.h, arrays["h_n"][k], TOLERANCE, TOLERANCE, what=f"h_n {k}")
        assert_close(trace.final_state.c, arrays["c_n"][k], TOLERANCE, TOLERANCE, what=f"c_n {k}")


def test_what_was_read_is_described():
    model = opened("keras3_sentiment.keras")
    assert model.description == (
        "Keras 3 model 'sentiment': Embedding(skipped), LSTM(6) -> Dropout(skipped) -> LSTM(4), Dense(skipped)"
    )
    assert model.library == "Keras 3" and model.version.startswith("3.") and model.input_size == 5
    assert [(s.name, s.kind) for s in model.skipped] == [
        ("embedding", "Embedding"),
        ("dropout", "Dropout"),
        ("dense", "Dense"),
    ]
    assert model.layer_names == ("lstm", "lstm_1") and model.recurrent_activation == "sigmoid"
    torch = opened("torch_encoder.safetensors")
    assert (
        torch.description == "PyTorch state dict: embedding(skipped), encoder.lstm: LSTM(4) -> LSTM(4), head(skipped)"
    )
    assert opened("torch_projection.safetensors").configs[0].num_proj == 2
    assert opened("tfkeras_sigmoid.h5").configs[1].activation == "identity"  # Keras' linear


@pytest.mark.parametrize(
    ("name", "gates", "formula"),
    [
        ("tfkeras_hard_sigmoid.h5", "hard_sigmoid", "clip(0.2x + 0.5, 0, 1)"),
        ("keras3_hard_sigmoid.keras", "hard_sigmoid_keras3", "relu6(x + 3) / 6"),
    ],
)
def test_hard_sigmoid_is_read_by_the_writing_keras_version(name, gates, formula):
    model = opened(name)
    assert model.recurrent_activation == gates and all(c.recurrent_activation == gates for c in model.configs)
    assert formula in model.notes[0] and model.version in model.notes[0]
    # The fixtures would catch the wrong formula: it changes the outputs far beyond the tolerance.
    other = "hard_sigmoid" if gates == "hard_sigmoid_keras3" else "hard_sigmoid_keras3"
    wrong = OpenedModel(
        **{
            **model.__dict__,
            "layers": tuple(
                (c.__class__(**{**c.to_dict(), "recurrent_activation": other}), p) for c, p in model.layers
            ),
        }
    )
    assert max_error(wrong, expected("keras_golden.npz", name), np.float64) > 1e-3


def test_the_gates_clip_in_the_hard_sigmoid_fixtures():
    for name in ("tfkeras_hard_sigmoid.h5", "keras3_hard_sigmoid.keras"):
        traces = opened(name).run(expected("keras_golden.npz", name)["lstm_inputs"])
        gates = np.concatenate([t.f.ravel() for t in traces])
        assert (gates == 0).any() and (gates == 1).any() and ((gates > 0) & (gates < 1)).any(), name


def test_hard_sigmoid_slopes_at_the_corners_are_tensorflow_s():
    arrays = expected("keras_golden.npz", "hard_sigmoid_grad")
    x = arrays["x"]
    for gates in ("hard_sigmoid", "hard_sigmoid_keras3"):
        value = GATE_FUNCTIONS_OF_NEGATED[gates](-x)
        assert_close(value, arrays[f"{gates}_value"], 0, 0, what=f"{gates} value")  # to the bit
        assert_close(GATE_DERIVATIVES[gates](x, value), arrays[gates], 1e-7, 0, what=f"{gates} slope")


def test_backward_pass_matches_tensorflow_autograd_through_the_keras_2_hard_sigmoid_model():
    model, arrays = opened("tfkeras_hard_sigmoid.h5"), expected("keras_golden.npz", "tfkeras_hard_sigmoid.h5")
    traces = model.run(arrays["lstm_inputs"].astype(np.float64))
    grads = grad_stack(traces, arrays["r"].astype(np.float64))
    assert_close(grads[0].inputs, arrays["d_inputs"], 1e-5, 1e-6, what="d inputs")


def test_the_app_s_own_files_keep_the_layers():
    model = opened("tfkeras_hard_sigmoid.h5")
    configs, params, meta = load_stack(io.BytesIO(model.to_npz_bytes()))
    assert configs == model.configs and meta["description"] == model.description
    x = expected("keras_golden.npz", "tfkeras_hard_sigmoid.h5")["lstm_inputs"]
    from lstm_core import run_stack

    assert np.array_equal(run_stack(configs, params, x)[-1].outputs, model.run(x)[-1].outputs)
    cfg, layer = load_params(io.BytesIO(model.layer_npz_bytes(1)))
    assert cfg == model.configs[1] and np.array_equal(layer.kernel, model.params[1].kernel)


# --- refusals, each by name -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("keras3_bidirectional.keras", "layer 'bidirectional' is a bidirectional layer"),
        ("keras3_masking.keras", "layer 'embedding' is using masking"),
        ("tfkeras_gru.h5", "layer 'gru' is a GRU layer"),
        ("torch_bidirectional.safetensors", "this nn.LSTM is a bidirectional layer"),
        ("torch_gru.safetensors", "layer 0 of this nn.LSTM is a GRU layer"),
        ("keras3_sentiment.weights.h5", "without the model's architecture: give the model's config"),
    ],
)
def test_real_files_of_unsupported_models_are_refused_by_name(name, message):
    with pytest.raises(ValueError, match=message):
        open_model(DATA / name)


def test_a_pytorch_pickle_is_refused_unread_with_the_safetensors_export():
    for name in ("torch_pickle.pt", "model.pth"):
        data = (DATA / "torch_pickle.pt").read_bytes() if name.endswith(".pt") else b"\x80\x04\x95garbage"
        with pytest.raises(ValueError) as error:
            open_model(data, name)
        assert "runs whatever code" in str(error.value) and TORCH_EXPORT in str(error.value)


def keras2_with(change) -> bytes:
    """tfkeras_hard_sigmoid.h5 with its model_config changed by ``change(config)``."""
    buffer = io.BytesIO((DATA / "tfkeras_hard_sigmoid.h5").read_bytes())
    with h5py.File(buffer, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        change(config)
        f.attrs["model_config"] = json.dumps(config)
    return buffer.getvalue()


def lstm_option(layer: int, **options):
    return lambda config: config["config"]["layers"][layer]["config"].update(options)


def insert_layer(position: int, kind: str, **options):
    return lambda config: config["config"]["layers"].insert(
        position, {"class_name": kind, "config": {"name": kind.lower(), **options}}
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lstm_option(1, go_backwards=True), "LSTM layer 'lstm' is using go_backwards"),
        (lstm_option(2, stateful=True), "LSTM layer 'lstm_1' is using stateful"),
        (lstm_option(1, activation="elu"), "using activation 'elu'"),
        (lstm_option(1, activation={"class_name": "function", "config": "my_act"}), "a custom function"),
        (lstm_option(2, recurrent_activation="tanh"), "recurrent_activation 'tanh'"),
        (lstm_option(1, units=7), r"has shape \(3, 20\), the config implies \(3, 28\)"),
        (insert_layer(2, "Dense", units=5), "Dense layer 'dense' sits between LSTM layers 'lstm' and 'lstm_1'"),
        (insert_layer(2, "Lambda", function="evil"), "Lambda layer 'lambda' sits between"),
        (insert_layer(1, "Masking"), "layer 'masking' is masking"),
        (insert_layer(1, "SimpleRNN"), "layer 'simplernn' is a plain RNN layer"),
        (lambda config: config.update(class_name="MyModel"), "not a Keras Sequential or Functional"),
        (lambda config: config["config"].update(layers=[]), "lists no layers"),
    ],
)
def test_keras_configs_with_what_the_cell_cannot_run_are_refused_by_name(change, message):
    with pytest.raises(ValueError, match=message):
        open_model(keras2_with(change), "m.h5")


def test_dropout_between_lstm_layers_is_fine_and_other_layers_are_listed():
    model = open_model(keras2_with(insert_layer(2, "Dropout", rate=0.5)))
    assert model.description == "Keras 2 model 'tf1_style': LSTM(5) -> Dropout(skipped) -> LSTM(4), Dense(skipped)"


def test_a_functional_model_must_chain_its_lstm_layers():
    """keras3_sentiment as a Functional model whose second LSTM reads the embedding instead."""
    config = json.loads(CONFIG.read_text())
    config["class_name"] = "Functional"
    layers = config["config"]["layers"]
    for previous, layer in itertools.pairwise(layers):
        history = {"keras_history": [previous["config"]["name"], 0, 0]}
        layer["inbound_nodes"] = [{"args": [{"class_name": "__keras_tensor__", "config": history}]}]
    weights = DATA / "keras3_sentiment.weights.h5"
    assert open_model(weights, config=json.dumps(config)).description.startswith("Keras 3 model 'sentiment'")
    layers[4]["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0] = "embedding"
    with pytest.raises(ValueError, match="'lstm_1' is not fed by LSTM layer 'lstm' alone"):
        open_model(weights, config=json.dumps(config))


# --- hostile files --------------------------------------------------------------------------------


def rezip(source: str, replace: dict[str, bytes], method=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(DATA / source) as original, zipfile.ZipFile(buffer, "w", method) as out:
        for item in original.infolist():
            out.writestr(item.filename, replace.get(item.filename, original.read(item)))
    return buffer.getvalue()


def test_damaged_or_odd_keras_zips_are_refused():
    data = (DATA / "keras3_sentiment.keras").read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30):
        with pytest.raises(ValueError, match="damaged|not a Keras"):
            open_model(data[:cut], "m.keras")
    with pytest.raises(ValueError, match="method 14"):
        open_model(rezip("keras3_sentiment.keras", {}, zipfile.ZIP_LZMA))
    with pytest.raises(ValueError, match="config.json is not valid JSON"):
        open_model(rezip("keras3_sentiment.keras", {"config.json": b"[" * 100_000}))
    with pytest.raises(ValueError, match="needs config.json and model.weights.h5"):
        open_model(rezip("keras3_sentiment.keras", {}).replace(b"config.json", b"configXjson"))


def test_a_keras_zip_bomb_is_refused_without_inflating_it():
    bomb = rezip("keras3_sentiment.keras", {"config.json": b" " * 50_000_000}, zipfile.ZIP_DEFLATED)
    assert len(bomb) < 200_000
    with pytest.raises(ValueError, match="at most 1,048,576 are accepted"):
        open_model(bomb)


def hdf5_with(build) -> bytes:
    """tfkeras_hard_sigmoid.h5 changed in place by ``build(file)``."""
    buffer = io.BytesIO((DATA / "tfkeras_hard_sigmoid.h5").read_bytes())
    with h5py.File(buffer, "r+") as f:
        build(f)
    return buffer.getvalue()


KERNEL = "model_weights/lstm/lstm/lstm_cell/kernel:0"


def replace_kernel(f, **options):
    data = f[KERNEL][()]
    del f[KERNEL]
    f.create_dataset(KERNEL, data=options.pop("data", data), **options)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda f: f.__setitem__("model_weights/elsewhere", h5py.ExternalLink("/etc/passwd", "/x")),
            "an external link",
        ),
        (lambda f: f.__setitem__("model_weights/again", h5py.SoftLink("/model_weights")), "a soft link"),
        (
            lambda f: f.create_dataset("huge", shape=(100_000, 100_000), dtype="f8", chunks=(100, 100)),
            "claims 10,000,000,000 values",
        ),
        (
            lambda f: f.create_dataset(
                "big_chunks", shape=(10, 10), dtype="f4", maxshape=(None, None), chunks=(5000, 5000)
            ),
            "claims chunks",
        ),
        (lambda f: f.create_group("/".join(["g"] * (MAX_HDF5_DEPTH + 2))), "nests groups more than"),
        (lambda f: replace_kernel(f, data=np.full((3, 20), np.nan, np.float32)), "NaN or infinite"),
        (lambda f: replace_kernel(f, data=np.zeros((3, 20), np.int32)), "holds int32 values"),
        (lambda f: replace_kernel(f, data=np.zeros((3, 24), np.float32)), "do not fit its config"),
        (lambda f: replace_kernel(f, chunks=(3, 20), fletcher32=True), "only deflate"),
        (lambda f: f.__delitem__(KERNEL), "are missing"),
        (lambda f: f.attrs.__setitem__("model_config", "{" * 5000), "not valid JSON"),
    ],
    ids=["external", "soft", "huge", "chunks", "deep", "nan", "int", "shape", "filter", "missing", "json"],
)
def test_hostile_hdf5_files_are_refused_unread(build, message):
    with pytest.raises(ValueError, match=message):
        open_model(hdf5_with(build))


def test_an_external_dataset_is_refused(tmp_path):
    def external(f):
        f.create_dataset("outside", shape=(4,), dtype="f4", external=[(str(tmp_path / "raw.bin"), 0, 16)])

    with pytest.raises(ValueError, match="keeps its data in other files"):
        open_model(hdf5_with(external))


def test_compressed_weights_open_and_a_lying_chunk_is_refused_uninflated():
    compressed = open_model(hdf5_with(lambda f: replace_kernel(f, chunks=(2, 7), compression="gzip", shuffle=True)))
    assert np.array_equal(compressed.params[0].kernel, opened("tfkeras_hard_sigmoid.h5").params[0].kernel)

    def lying_chunk(size):
        def build(f):
            replace_kernel(f, chunks=(3, 20), compression="gzip")
            f[KERNEL].id.write_direct_chunk((0, 0), zlib.compress(b"\0" * size))

        return build

    with pytest.raises(ValueError, match="does not inflate to the 240 bytes it claims"):
        open_model(hdf5_with(lying_chunk(1_000_000)))
    with pytest.raises(ValueError, match="more than it can hold"):
        open_model(hdf5_with(lying_chunk(50_000_000)))


def safetensors_file(header: dict, data: bytes, length: int | None = None) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def torch_parts() -> tuple[dict, bytes]:
    data = (DATA / "torch_encoder.safetensors").read_bytes()
    size = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8 : 8 + size]), data[8 + size :]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h, d: (h, d, 2**40), "header claims 1,099,511,627,776 bytes"),
        (
            lambda h, d: ({**h, "embedding.weight": {**h["embedding.weight"], "shape": [12, 6]}}, d, None),
            "lies about its data",
        ),
        (
            lambda h, d: ({**h, "head.bias": {**h["head.bias"], "data_offsets": [0, 8]}}, d, None),
            "overlap or leave gaps",
        ),
        (
            lambda h, d: ({**h, "head.weight": {**h["head.weight"], "data_offsets": [1592, 10**9]}}, d, None),
            "lies about its data",
        ),
        (lambda h, d: (h, d[:-4], None), "lies about its data|does not match"),
        (lambda h, d: (h, d + b"\0" * 8, None), "does not match its header"),
        (
            lambda h, d: ({**h, "x": {"dtype": "F32", "shape": [10**5, 10**5], "data_offsets": [0, 0]}}, d, None),
            "claims 10,000,000,000 values",
        ),
        (lambda h, d: ({**h, "x": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, d, None), "unknown dtype"),
        (lambda h, d: ([1, 2], d, None), "Accepted"),
    ],
    ids=["huge-header", "shape", "overlap", "range", "short", "long", "claims", "dtype", "list"],
)
def test_hostile_safetensors_are_refused(change, message):
    header, data = torch_parts()
    with pytest.raises(ValueError, match=message):
        open_model(safetensors_file(*change(header, data)))


def write_safetensors(tensors: dict[str, np.ndarray]) -> bytes:
    """A valid safetensors file (the format's documented layout), float32 tensors."""
    header, data = {}, b""
    for name, array in tensors.items():
        raw = np.asarray(array, "<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(np.shape(array)),
            "data_offsets": [len(data), len(data) + len(raw)],
        }
        data += raw
    return safetensors_file(header, data)


@pytest.mark.parametrize(
    ("tensors", "message"),
    [
        ({"lstm.weight_ih_l1": np.zeros((8, 2)), "lstm.weight_hh_l1": np.zeros((8, 2))}, r"layers \[1\]"),
        ({"lstm.weight_ih_l0": np.zeros((8, 2))}, "lacks weight_ih_l0 or weight_hh_l0"),
        ({"fc.weight": np.zeros((2, 2))}, "no nn.LSTM weights"),
        ({"weight_ih_l0": np.zeros((2, 3)), "weight_hh_l0": np.zeros((2, 2))}, "a plain RNN layer"),
        ({"weight_ih_l0": np.zeros((8, 3)), "weight_hh_l0": np.zeros((8, 3))}, "are not an LSTM's"),
        (
            {
                "weight_ih_l0": np.zeros((8, 3)),
                "weight_hh_l0": np.zeros((8, 2)),
                "weight_ih_l1": np.zeros((8, 3)),
                "weight_hh_l1": np.zeros((8, 2)),
            },
            "reads 3 values per step, but layer 0 outputs 2",
        ),
    ],
    ids=["no-layer-0", "half", "none", "rnn", "square", "mismatch"],
)
def test_state_dicts_that_are_not_an_lstm_say_why(tensors, message):
    with pytest.raises(ValueError, match=message):
        open_model(write_safetensors(tensors))


def test_nan_in_a_tensor_and_several_modules():
    header, data = torch_parts()
    entry = header["encoder.lstm.weight_ih_l0"]
    start, end = entry["data_offsets"]
    poisoned = data[:start] + np.full((end - start) // 4, np.nan, "<f4").tobytes() + data[end:]
    with pytest.raises(ValueError, match="NaN or infinite"):
        open_model(safetensors_file(header, poisoned))
    renamed = {k.replace("embedding.weight", "decoder.lstm.weight_ih_l0"): v for k, v in header.items()}
    with pytest.raises(ValueError, match=r"several recurrent modules \(decoder.lstm, encoder.lstm\)"):
        open_model(safetensors_file(renamed, data))
    assert open_model(safetensors_file(renamed, data), module="encoder.lstm").layer_names[0] == "encoder.lstm.l0"


@pytest.mark.parametrize(
    "payload", [b"", b"hello", b"{}", b"\x89HDF\r\n\x1a\n" + b"\0" * 100, b"PK\x05\x06" + b"\0" * 18]
)
def test_other_bytes_say_what_is_accepted(payload):
    with pytest.raises(ValueError, match="Accepted|JSON file|damaged|not a Keras|too short|empty|at most"):
        open_model(payload)


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path):
    from lstm_core.model_files import MAX_MODEL_BYTES

    path = tmp_path / "big.h5"
    with open(path, "wb") as f:
        f.truncate(MAX_MODEL_BYTES + 1)  # sparse: no disk, and nothing read
    with pytest.raises(ValueError, match=f"at most {MAX_MODEL_BYTES:,}"):
        open_model(path)
