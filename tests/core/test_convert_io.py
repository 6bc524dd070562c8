"""Weights in and out: PyTorch and Keras converters (against real PyTorch), and the .npz format."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from helpers import DATA, assert_close
from lstm_core import (
    LSTMConfig,
    LSTMParams,
    LSTMStateTuple,
    from_keras,
    from_torch,
    init_params,
    load_params,
    run,
    run_stack,
    save_params,
    to_keras,
    to_torch,
)


def torch_case(name: str) -> dict[str, np.ndarray]:
    with np.load(DATA / "torch_golden.npz", allow_pickle=False) as data:
        return {k.split("__", 1)[1]: data[k] for k in data.files if k.startswith(f"{name}__")}


@pytest.mark.parametrize("case", ["one_layer", "projection"])
def test_from_torch_matches_pytorch_nn_lstm(case: str) -> None:
    a = torch_case(case)
    cfg, params = from_torch(
        a["weight_ih_l0"], a["weight_hh_l0"], a["bias_ih_l0"], a["bias_hh_l0"], a.get("weight_hr_l0")
    )
    assert cfg.forget_bias == 0.0 and cfg.num_proj == (3 if case == "projection" else None)
    trace = run(cfg, params, a["inputs"], LSTMStateTuple(a["c0"][0], a["h0"][0]))
    assert_close(trace.outputs, a["outputs"], 1e-9)
    assert_close(trace.final_state.h, a["h_n"][0], 1e-9)
    assert_close(trace.final_state.c, a["c_n"][0], 1e-9)


def test_two_layer_pytorch_lstm_is_a_stack() -> None:
    a = torch_case("two_layers")
    layers = [
        from_torch(a[f"weight_ih_l{k}"], a[f"weight_hh_l{k}"], a[f"bias_ih_l{k}"], a[f"bias_hh_l{k}"]) for k in (0, 1)
    ]
    states = [LSTMStateTuple(a["c0"][k], a["h0"][k]) for k in (0, 1)]
    traces = run_stack([c for c, _ in layers], [p for _, p in layers], a["inputs"], states)
    assert_close(traces[-1].outputs, a["outputs"], 1e-9)
    for k in (0, 1):
        assert_close(traces[k].final_state.c, a["c_n"][k], 1e-9)


def test_to_torch_round_trip_keeps_the_function_and_folds_the_forget_bias() -> None:
    cfg = LSTMConfig(input_size=3, num_units=5, forget_bias=1.0, num_proj=2)
    params = init_params(cfg, seed=4)
    params = LSTMParams(params.kernel, np.linspace(-1, 1, 20), proj_kernel=params.proj_kernel)
    weights = to_torch(cfg, params)
    assert weights["weight_ih"].shape == (20, 3) and weights["weight_hh"].shape == (20, 2)
    assert weights["weight_hr"].shape == (2, 5)
    assert np.all(weights["bias_hh"] == 0)
    # PyTorch's forget block (rows 5..10) carries bias + forget_bias.
    assert_close(weights["bias_ih"][5:10], params.bias[10:15] + 1.0, 0, 0)
    cfg2, params2 = from_torch(**weights)
    x = np.random.default_rng(0).normal(size=(2, 4, 3))
    assert cfg2.forget_bias == 0.0
    assert_close(run(cfg2, params2, x).outputs, run(cfg, params, x).outputs, 1e-12)


def test_to_keras_round_trip_and_layout() -> None:
    cfg = LSTMConfig(input_size=3, num_units=2, forget_bias=0.7, activation="relu")
    params = init_params(cfg, seed=1)
    kernel, recurrent, bias = to_keras(cfg, params)
    assert kernel.shape == (3, 8) and recurrent.shape == (2, 8) and bias.shape == (8,)
    # Keras blocks are i, f, c, o: block 1 (f) holds the folded forget bias, block 2 TF's j.
    assert_close(bias[2:4], [0.7, 0.7], 0, 0)
    assert_close(kernel[:, 4:6], params.kernel[:3, 2:4], 0, 0)
    cfg2, params2 = from_keras(kernel, recurrent, bias, activation="relu")
    x = np.random.default_rng(1).normal(size=(1, 5, 3))
    assert_close(run(cfg2, params2, x).new_h, run(cfg, params, x).new_h, 1e-12)


@pytest.mark.parametrize(
    "change", [{"use_peepholes": True}, {"coupled": True}, {"cell_clip": 1.0}, {"activation": "relu"}]
)
def test_to_torch_refuses_what_pytorch_cannot_express(change: dict) -> None:
    cfg = LSTMConfig(input_size=2, num_units=2, **change)
    with pytest.raises(ValueError, match="PyTorch's LSTM has no"):
        to_torch(cfg, init_params(cfg))


def test_converters_reject_bad_shapes() -> None:
    with pytest.raises(ValueError, match="recurrent_kernel must have shape"):
        from_keras(np.zeros((3, 8)), np.zeros((3, 8)))
    with pytest.raises(ValueError, match="weight_hh must have shape"):
        from_torch(np.zeros((8, 3)), np.zeros((8, 3)))
    with pytest.raises(ValueError, match="4 \\* hidden_size rows"):
        from_torch(np.zeros((7, 3)), np.zeros((7, 3)))
    with pytest.raises(ValueError, match="NaN"):
        from_torch(np.full((8, 3), np.nan), np.zeros((8, 2)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_save_and_load_round_trip(tmp_path, dtype) -> None:
    cfg = LSTMConfig(input_size=4, num_units=3, forget_bias=0.5, use_peepholes=True, num_proj=2, proj_clip=1.0)
    params = init_params(cfg, seed=9, dtype=dtype)
    path = tmp_path / "w.npz"
    save_params(path, cfg, params)
    cfg2, params2 = load_params(path)
    assert cfg2 == cfg
    assert params2.kernel.dtype == dtype
    for name, array in params.arrays().items():
        assert_close(getattr(params2, name), array, 0, 0, what=name)
    with np.load(path, allow_pickle=False) as data:  # plain NumPy can read it without pickle
        assert "config" in data.files


def _npz(**arrays) -> io.BytesIO:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    return buffer


def _valid_entries() -> dict:
    cfg = LSTMConfig(input_size=2, num_units=2)
    p = init_params(cfg)
    return {"config": np.array(cfg.to_json()), "kernel": p.kernel, "bias": p.bias}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"kernel": np.zeros((4, 8))}, "no 'config'"),
        ({**_valid_entries(), "evil": np.zeros(1)}, "unknown entries: evil"),
        ({**_valid_entries(), "config": np.array("{not json")}, "not valid JSON"),
        (
            {**_valid_entries(), "config": np.array('{"input_size": 2, "num_units": 2, "x": 1}')},
            "Unknown configuration",
        ),
        ({**_valid_entries(), "kernel": np.zeros((5, 8))}, "should have shape \\(4, 8\\)"),
        ({**_valid_entries(), "kernel": np.full((4, 8), np.inf)}, "NaN or infinite"),
        ({**_valid_entries(), "kernel": np.zeros((4000, 4000))}, "claims 16,000,000 values, far more"),
        ({**_valid_entries(), "config": np.array(5)}, "must be JSON text"),
        ({**_valid_entries(), "bias": np.array(["a"] * 8)}, "real numbers"),
        ({"config": _valid_entries()["config"], "kernel": np.zeros((4, 8))}, "needs both 'kernel' and 'bias'"),
    ],
)
def test_load_params_rejects_bad_files_with_a_clear_message(entries: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_params(_npz(**entries))


def test_load_params_never_unpickles() -> None:
    buffer = io.BytesIO()
    np.savez(
        buffer, config=np.array(_valid_entries()["config"]), kernel=np.array([object()], dtype=object), bias=np.zeros(8)
    )
    buffer.seek(0)
    with pytest.raises(ValueError, match="Python objects"):
        load_params(buffer)


@pytest.mark.parametrize("payload", [b"", b"not a zip at all", b"PK\x03\x04garbage"])
def test_load_params_rejects_non_npz_bytes(payload: bytes) -> None:
    with pytest.raises(ValueError, match="not a weight file|not a readable"):
        load_params(io.BytesIO(payload))


def test_load_params_rejects_a_damaged_member() -> None:
    good = _npz(**_valid_entries()).getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[: len(data) // 2] if item.filename == "kernel.npy" else data)
    out.seek(0)
    with pytest.raises(ValueError, match="kernel"):
        load_params(out)
