"""Make tests/data/tf_golden.npz: real TensorFlow LSTM cells run on fixed weights and inputs.

The tests compare lstm_core against this file; TensorFlow itself is not a test dependency.
Regenerate (any machine with Python 3.11, a few minutes, about 1 GB of downloads):

    python3 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    TF_USE_LEGACY_KERAS=1 /tmp/tfenv/bin/python scripts/make_tf_golden.py

Each case runs one cell (BasicLSTMCell, LSTMCell with peepholes / cell_clip / num_proj / proj_clip,
MultiRNNCell, the seed notebook's Keras StackedRNNCells) through tf.compat.v1.nn.dynamic_rnn, and
through static_rnn to read every step's raw gate split (the i, j, f, o of TensorFlow's code) from
the graph. The file stores, per case, ``<case>__<name>`` arrays and one JSON manifest describing
the cells.
"""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from tf_keras.src.layers.rnn import legacy_cells

v1 = tf.compat.v1
v1.disable_eager_execution()
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "tf_golden.npz"
ACTIVATIONS = {
    "tanh": tf.tanh,
    "relu": tf.nn.relu,
    "sigmoid": tf.sigmoid,
    "softsign": tf.nn.softsign,
    "identity": tf.identity,
}


def tf_cell(spec: dict):
    """A legacy TF cell from a spec (the same keys as lstm_core.LSTMConfig, plus 'cell')."""
    activation = ACTIVATIONS[spec.get("activation", "tanh")]
    if spec["cell"] == "BasicLSTMCell":
        return v1.nn.rnn_cell.BasicLSTMCell(spec["num_units"], forget_bias=spec["forget_bias"], activation=activation)
    return v1.nn.rnn_cell.LSTMCell(
        spec["num_units"],
        use_peepholes=spec.get("use_peepholes", False),
        cell_clip=spec.get("cell_clip"),
        num_proj=spec.get("num_proj"),
        proj_clip=spec.get("proj_clip"),
        forget_bias=spec["forget_bias"],
        activation=activation,
    )


def random_weights(rng: np.random.Generator, spec: dict, input_size: int, scale: float) -> dict:
    units = spec["num_units"]
    depth = spec.get("num_proj") or units
    weights = {
        "kernel": rng.normal(0, scale, (input_size + depth, 4 * units)),
        "bias": rng.normal(0, 0.5, 4 * units),
    }
    if spec.get("use_peepholes"):
        for name in ("w_i_diag", "w_f_diag", "w_o_diag"):
            weights[name] = rng.normal(0, 1.0, units)
    if spec.get("num_proj"):
        weights["proj_kernel"] = rng.normal(0, scale, (units, spec["num_proj"]))
    return weights


def variable_field(variable_name: str) -> str:
    """'rnn/lstm_cell/projection/kernel:0' -> 'proj_kernel'; '.../w_f_diag:0' -> 'w_f_diag'."""
    parts = variable_name.split(":")[0].split("/")
    if parts[-2] == "projection":
        return "proj_kernel"
    return parts[-1]


class RecordGateSplits(types.ModuleType):
    """Stands in for the ``tf`` module inside TensorFlow's legacy cell code while active: every
    ``tf.split(..., num_or_size_splits=4)`` (the cell's i, j, f, o split) is passed through to the
    real TensorFlow and its outputs are recorded, in call (= time, then layer) order."""

    def __init__(self) -> None:
        super().__init__("tf_recording_gate_splits")
        self.splits: list = []

    def __getattr__(self, name: str):
        return getattr(tf, name)

    def split(self, *args, **kwargs):
        outputs = tf.split(*args, **kwargs)
        if kwargs.get("num_or_size_splits") == 4:
            self.splits.append(outputs)
        return outputs

    def __enter__(self) -> RecordGateSplits:
        legacy_cells.tf = self
        return self

    def __exit__(self, *exc) -> None:
        legacy_cells.tf = tf


def run_case(
    name: str,
    specs: list[dict],
    inputs: np.ndarray,
    *,
    initial=None,
    sequence_length=None,
    weights=None,
    seed=0,
    scale=0.6,
) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    input_size = inputs.shape[2]
    layer_inputs = [input_size] + [s.get("num_proj") or s["num_units"] for s in specs[:-1]]
    if weights is None:
        weights = [random_weights(rng, s, d, scale) for s, d in zip(specs, layer_inputs, strict=True)]
    graph = tf.Graph()
    with graph.as_default():
        # One cell object per unrolling (a cell built inside dynamic_rnn's while loop keeps
        # placing its ops there); both get the same weights below.
        cells, static_cells = [tf_cell(s) for s in specs], [tf_cell(s) for s in specs]
        cell = cells[0] if len(cells) == 1 else v1.nn.rnn_cell.MultiRNNCell(cells)
        static_cell = static_cells[0] if len(cells) == 1 else v1.nn.rnn_cell.MultiRNNCell(static_cells)
        x = v1.placeholder(tf.float64, inputs.shape)
        state_feeds, init_state = [], None
        if initial is not None:
            tuples = []
            for c0, h0 in initial:
                c_ph, h_ph = v1.placeholder(tf.float64, c0.shape), v1.placeholder(tf.float64, h0.shape)
                state_feeds += [(c_ph, c0), (h_ph, h0)]
                tuples.append(v1.nn.rnn_cell.LSTMStateTuple(c_ph, h_ph))
            init_state = tuples[0] if len(tuples) == 1 else tuple(tuples)
        outputs, state = v1.nn.dynamic_rnn(
            cell,
            x,
            sequence_length=sequence_length,
            initial_state=init_state,
            dtype=tf.float64,
            scope="dyn",
        )
        fetch = {"outputs": outputs, "state": state}
        if sequence_length is None:
            # The same cell object unrolled statically shares the variables; its graph has one
            # Split op per step and layer, whose outputs are TF's raw i, j, f, o.
            with RecordGateSplits() as recorder:
                v1.nn.static_rnn(
                    static_cell, tf.unstack(x, axis=1), initial_state=init_state, dtype=tf.float64, scope="static"
                )
            fetch["splits"] = recorder.splits
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for layer, layer_cell in [*enumerate(cells), *enumerate(static_cells)]:
                for variable in layer_cell.variables:
                    variable.load(weights[layer][variable_field(variable.name)], sess)
            feed = {x: inputs, **dict(state_feeds)}
            result = sess.run(fetch, feed)
    arrays = {"inputs": inputs, "outputs": result["outputs"]}
    final = result["state"] if len(specs) > 1 else (result["state"],)
    for layer, (c, h) in enumerate(final):
        arrays[f"final_c_{layer}"], arrays[f"final_h_{layer}"] = c, h
    for layer, w in enumerate(weights):
        for field, value in w.items():
            arrays[f"{field}_{layer}"] = value
    if initial is not None:
        for layer, (c0, h0) in enumerate(initial):
            arrays[f"initial_c_{layer}"], arrays[f"initial_h_{layer}"] = c0, h0
    if sequence_length is not None:
        arrays["sequence_length"] = np.asarray(sequence_length)
    if "splits" in result:
        # splits: time * layers entries of (i, j, f, o), each (batch, units) -> (batch, time, 4, units)
        layers = len(specs)
        for layer in range(layers):
            steps = result["splits"][layer::layers]
            arrays[f"gate_pre_{layer}"] = np.stack([np.stack(s, axis=1) for s in steps], axis=1)
    meta = {"layers": specs, "input_size": input_size, "source": "dynamic_rnn"}
    return {f"{name}__{k}": np.asarray(v) for k, v in arrays.items()}, meta


def keras_stacked_case(inputs: np.ndarray, seed: int) -> tuple[dict, dict]:
    """The seed notebook's stack: tf.keras.layers.StackedRNNCells([LSTMCell(4), LSTMCell(5)])."""
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed)
        cells = [tf.keras.layers.LSTMCell(4, dtype="float64"), tf.keras.layers.LSTMCell(5, dtype="float64")]
        stacked = tf.keras.layers.StackedRNNCells(cells)
        x = v1.placeholder(tf.float64, [None, None, inputs.shape[2]])
        outputs, _ = v1.nn.dynamic_rnn(stacked, x, dtype=tf.float64)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            # Non-zero biases, so the converter's bias reordering is exercised too.
            rng = np.random.default_rng(seed)
            for cell in cells:
                cell.bias.load(rng.normal(0, 0.5, cell.bias.shape), sess)
            out = sess.run(outputs, {x: inputs})
            arrays = {"inputs": inputs, "outputs": out}
            for layer, cell in enumerate(cells):
                kernel, recurrent, bias = sess.run([cell.kernel, cell.recurrent_kernel, cell.bias])
                arrays[f"keras_kernel_{layer}"] = kernel
                arrays[f"keras_recurrent_kernel_{layer}"] = recurrent
                arrays[f"keras_bias_{layer}"] = bias
    meta = {
        "layers": [{"cell": "keras.LSTMCell", "num_units": 4}, {"cell": "keras.LSTMCell", "num_units": 5}],
        "input_size": int(inputs.shape[2]),
        "source": "dynamic_rnn over StackedRNNCells",
    }
    return {f"notebook_keras_stacked__{k}": np.asarray(v) for k, v in arrays.items()}, meta


def main() -> int:
    rng = np.random.default_rng(2026)
    arrays: dict[str, np.ndarray] = {}
    manifest: dict[str, dict] = {}

    def add(name, specs, inputs, **kwargs):
        case_arrays, meta = run_case(name, specs, inputs, **kwargs)
        arrays.update(case_arrays)
        manifest[name] = meta

    def basic(units, fb=1.0, activation="tanh"):
        return {"cell": "BasicLSTMCell", "num_units": units, "forget_bias": fb, "activation": activation}

    def full(units, fb=1.0, **kw):
        return {"cell": "LSTMCell", "num_units": units, "forget_bias": fb, "activation": "tanh", **kw}

    x = rng.normal(0, 1, (3, 7, 5))
    state = [(rng.normal(0, 1, (3, 4)), rng.normal(0, 0.5, (3, 4)))]
    add("basic_fb1_tanh", [basic(4)], x, initial=state, seed=1)
    add("basic_fb0_tanh", [basic(4, 0.0)], x, seed=2)
    add("basic_fb2.5_relu", [basic(4, 2.5, "relu")], x, initial=state, seed=3)
    add("basic_fb-1_sigmoid", [basic(4, -1.0, "sigmoid")], x, seed=4)
    add("basic_fb1_softsign", [basic(4, 1.0, "softsign")], x, seed=5)
    add("basic_fb0.5_identity", [basic(4, 0.5, "identity")], x, seed=6, scale=0.3)
    add("lstm_peepholes", [full(4, use_peepholes=True)], x, initial=state, seed=7)
    add("lstm_cell_clip", [full(4, cell_clip=0.4)], x, initial=state, seed=8, scale=1.5)
    add("lstm_peepholes_clip", [full(4, 0.0, use_peepholes=True, cell_clip=0.7)], x, seed=9, scale=1.2)
    proj_state = [(rng.normal(0, 1, (3, 4)), rng.normal(0, 0.5, (3, 3)))]
    add("lstm_proj", [full(4, num_proj=3)], x, initial=proj_state, seed=10)
    add("lstm_proj_clip_peepholes", [full(4, use_peepholes=True, num_proj=3, proj_clip=0.15)], x, seed=11, scale=1.0)
    add("multi_rnn", [basic(4), full(5, 0.5, use_peepholes=True, num_proj=3), basic(2, 2.0)], x, seed=12)
    add(
        "dynamic_rnn_sequence_length",
        [full(4, use_peepholes=True)],
        x,
        initial=state,
        seed=13,
        sequence_length=[7, 3, 0],
    )
    add("multi_rnn_sequence_length", [basic(4), basic(3)], x, seed=14, sequence_length=[2, 7, 5])
    # The seeds' worked examples, on this project's own initial weights where they use random ones.
    sys.path.insert(0, str(OUT.parent.parent.parent))
    from lstm_core import LSTMConfig, init_params

    one_step = np.array([[[3, 2, 2, 2, 2, 2]]], dtype=np.float64)
    cfg = LSTMConfig(input_size=6, num_units=4)
    glorot = init_params(cfg, seed=0)
    add("notebook_one_step", [basic(4)], one_step, weights=[{"kernel": glorot.kernel, "bias": glorot.bias}])
    notebook_stacked = np.array(
        [
            [[1, 2, 3, 4, 3, 2], [1, 2, 1, 1, 1, 2], [1, 2, 2, 2, 2, 2]],
            [[1, 2, 3, 4, 3, 2], [3, 2, 2, 1, 1, 2], [0, 0, 0, 0, 3, 2]],
        ],
        dtype=np.float64,
    )
    add("notebook_stacked", [basic(4), basic(5)], notebook_stacked, seed=15)
    add("blog_batch2", [basic(4)], rng.normal(0, 1, (2, 3, 4)), seed=16)
    case_arrays, meta = keras_stacked_case(notebook_stacked, seed=17)
    arrays.update(case_arrays)
    manifest["notebook_keras_stacked"] = meta

    manifest_text = json.dumps({"tensorflow": tf.__version__, "cases": manifest}, sort_keys=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, manifest=np.array(manifest_text), **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(manifest)} cases, TensorFlow {tf.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
