"""Make tests/data/tf_rnn_golden.npz: real TensorFlow BasicRNNCell and GRUCell on fixed weights and inputs.

The tests (tests/core/test_rnn_gru.py) compare lstm_core.rnn and lstm_core.gru against this file;
TensorFlow itself is not a test dependency. Regenerate (any machine with Python 3.11, a few
minutes, about 1 GB of downloads), in the same environment as scripts/make_tf_golden.py:

    python3 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    TF_USE_LEGACY_KERAS=1 /tmp/tfenv/bin/python scripts/make_tf_rnn_golden.py

A file of its own, not more cases in tests/data/tf_golden.npz: regenerating that file changes
its Keras case (``notebook_keras_stacked``), whose weights come from Keras' own initialisers,
which do not give the same values twice here even with a graph seed; rewriting it would change
data that the LSTM's tests were written against. The same holds for this file's two
``*_tf_initial_weights`` cases (they keep whatever TensorFlow drew); every other case comes out
byte for byte the same on each run.

Each case runs tf.compat.v1.nn.rnn_cell.BasicRNNCell or GRUCell (alone or in a MultiRNNCell)
through tf.compat.v1.nn.dynamic_rnn, with every activation, batches, initial states and
sequence lengths. Cases without sequence lengths are also unrolled by static_rnn on the same
weights, with TensorFlow's cell code watched while it builds the graph, to read every step's
internals: the GRU's gate pre-activations (the input of its ``tf.sigmoid``), its r and u (the
``tf.split`` of the sigmoid's output) and its candidate before and after the activation; the
basic RNN's pre-activation. Two cases keep TensorFlow's own initial weights, to check the
initialisers; three run Keras' SimpleRNNCell and GRUCell (reset_after False and True). The file
stores, per case, ``<case>__<name>`` arrays and one JSON manifest describing the cells.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np

# The LSTM fixture's script sets TensorFlow up (legacy Keras, graph mode) before tf_keras is imported.
from make_tf_golden import ACTIVATIONS, tf, v1
from tf_keras.src.layers.rnn import legacy_cells

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "tf_rnn_golden.npz"
BATCH, TIME, INPUT_SIZE = 3, 7, 5


class Recorder(types.ModuleType):
    """Stands in for the ``tf`` module inside TensorFlow's legacy cell code while active, and
    wraps the cells' activations: records, in call (= time, then layer) order, what GRUCell's
    ``tf.sigmoid`` reads and what its ``tf.split`` into r, u returns, and what each activation
    reads and returns (the candidate's, or the basic RNN's output)."""

    def __init__(self) -> None:
        super().__init__("tf_recording_rnn_cells")
        self.records: dict[str, list] = {"gate_pre": [], "gates": [], "act_in": [], "act_out": []}

    def __getattr__(self, name: str):
        return getattr(tf, name)

    def sigmoid(self, x, *args, **kwargs):
        self.records["gate_pre"].append(x)
        return tf.sigmoid(x, *args, **kwargs)

    def split(self, *args, **kwargs):
        outputs = tf.split(*args, **kwargs)
        if kwargs.get("num_or_size_splits") == 2:
            self.records["gates"].append(outputs)
        return outputs

    def activation(self, name: str):
        function = ACTIVATIONS[name]

        def recorded(x):
            self.records["act_in"].append(x)
            y = function(x)
            self.records["act_out"].append(y)
            return y

        return recorded

    def __enter__(self) -> Recorder:
        legacy_cells.tf = self
        return self

    def __exit__(self, *exc) -> None:
        legacy_cells.tf = tf


def tf_cell(spec: dict, activation=None):
    """A legacy TF cell from a spec ({"cell": "BasicRNNCell" | "GRUCell", "num_units", "activation"})."""
    cell_type = {"BasicRNNCell": v1.nn.rnn_cell.BasicRNNCell, "GRUCell": v1.nn.rnn_cell.GRUCell}[spec["cell"]]
    return cell_type(spec["num_units"], activation=activation or ACTIVATIONS[spec["activation"]])


def random_weights(rng: np.random.Generator, spec: dict, input_size: int, scale: float) -> dict[str, np.ndarray]:
    units, rows = spec["num_units"], input_size + spec["num_units"]
    if spec["cell"] == "BasicRNNCell":
        return {"kernel": rng.normal(0, scale, (rows, units)), "bias": rng.normal(0, 0.5, units)}
    return {
        "gate_kernel": rng.normal(0, scale, (rows, 2 * units)),
        "gate_bias": rng.normal(0, 0.5, 2 * units),
        "candidate_kernel": rng.normal(0, scale, (rows, units)),
        "candidate_bias": rng.normal(0, 0.5, units),
    }


def variable_field(variable_name: str) -> str:
    """'dyn/gru_cell/gates/kernel:0' -> 'gate_kernel'; '.../candidate/bias:0' -> 'candidate_bias';
    'dyn/basic_rnn_cell/kernel:0' -> 'kernel'."""
    parts = variable_name.split(":")[0].split("/")
    prefix = {"gates": "gate_", "candidate": "candidate_"}.get(parts[-2], "")
    return prefix + parts[-1]


def run_case(
    name: str,
    specs: list[dict],
    inputs: np.ndarray,
    *,
    initial: list[np.ndarray] | None = None,
    sequence_length=None,
    seed: int = 0,
    scale: float = 0.6,
    tf_initial_weights: bool = False,
) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    layer_inputs = [inputs.shape[2]] + [s["num_units"] for s in specs[:-1]]
    weights = [random_weights(rng, s, d, scale) for s, d in zip(specs, layer_inputs, strict=True)]
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed)
        recorder = Recorder()
        cells = [tf_cell(s) for s in specs]
        static_cells = [tf_cell(s, recorder.activation(s["activation"])) for s in specs]
        cell = cells[0] if len(cells) == 1 else v1.nn.rnn_cell.MultiRNNCell(cells)
        static_cell = static_cells[0] if len(cells) == 1 else v1.nn.rnn_cell.MultiRNNCell(static_cells)
        x = v1.placeholder(tf.float64, inputs.shape)
        feed, init_state = {x: inputs}, None
        if initial is not None:
            placeholders = [v1.placeholder(tf.float64, h0.shape) for h0 in initial]
            feed.update(zip(placeholders, initial, strict=True))
            init_state = placeholders[0] if len(placeholders) == 1 else tuple(placeholders)
        outputs, state = v1.nn.dynamic_rnn(
            cell, x, sequence_length=sequence_length, initial_state=init_state, dtype=tf.float64, scope="dyn"
        )
        fetch = {"outputs": outputs, "state": state}
        if sequence_length is None:
            # The ops of a static unrolling are fetchable, one set per step and layer (inside
            # dynamic_rnn's while loop or a cond branch they are not).
            with recorder:
                v1.nn.static_rnn(
                    static_cell, tf.unstack(x, axis=1), initial_state=init_state, dtype=tf.float64, scope="static"
                )
            fetch["records"] = {k: v for k, v in recorder.records.items() if v}
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            if tf_initial_weights:  # keep TensorFlow's initialisers' values (and record them)
                weights = [{variable_field(v.name): sess.run(v) for v in c.variables} for c in cells]
            for layer, layer_cell in [*enumerate(cells), *enumerate(static_cells)]:
                for variable in layer_cell.variables:
                    variable.load(weights[layer][variable_field(variable.name)], sess)
            result = sess.run(fetch, feed)
    arrays = {"inputs": inputs, "outputs": result["outputs"]}
    final = result["state"] if len(specs) > 1 else (result["state"],)
    for layer, h in enumerate(final):
        arrays[f"final_h_{layer}"] = h
    for layer, w in enumerate(weights):
        arrays.update({f"{field}_{layer}": value for field, value in w.items()})
    for layer, h0 in enumerate(initial or []):
        arrays[f"initial_h_{layer}"] = h0
    if sequence_length is not None:
        arrays["sequence_length"] = np.asarray(sequence_length)
    layers = len(specs)
    for record, steps in result.get("records", {}).items():
        for layer, layer_spec in enumerate(specs):
            per_step = steps[layer::layers]  # (time) of (batch, width), or of (r, u) pairs for "gates"
            for field, values in _named_records(layer_spec["cell"], record, per_step).items():
                arrays[f"{field}_{layer}"] = np.stack(values, axis=1)  # (batch, time, num_units)
    meta = {"layers": specs, "input_size": int(inputs.shape[2]), "source": "dynamic_rnn"}
    return {f"{name}__{k}": np.asarray(v) for k, v in arrays.items()}, meta


def _named_records(cell: str, record: str, per_step: list) -> dict[str, list]:
    """A :class:`Recorder` record of one layer by the name of the trace field it is: the
    activation's input and output are the GRU's c_pre and c or the basic RNN's h_pre and new_h,
    and the GRU's gate pre-activations split into r_pre and u_pre."""
    if record == "gates":
        return {"r": [r for r, _ in per_step], "u": [u for _, u in per_step]}
    if record == "gate_pre":
        units = per_step[0].shape[1] // 2
        return {"r_pre": [g[:, :units] for g in per_step], "u_pre": [g[:, units:] for g in per_step]}
    names = {"GRUCell": {"act_in": "c_pre", "act_out": "c"}, "BasicRNNCell": {"act_in": "h_pre", "act_out": "new_h"}}
    return {names[cell][record]: per_step}


def keras_case(name: str, cell_kind: str, inputs: np.ndarray, seed: int, **options) -> tuple[dict, dict]:
    """A Keras cell (SimpleRNNCell or GRUCell with ``options``) through dynamic_rnn, on random
    weights (loaded, not Keras' initial ones), stored in Keras' layout: kernel, recurrent_kernel, bias."""
    rng = np.random.default_rng(seed)
    units = 4
    graph = tf.Graph()
    with graph.as_default():
        cell = getattr(tf.keras.layers, cell_kind)(units, dtype="float64", **options)
        x = v1.placeholder(tf.float64, inputs.shape)
        outputs, _ = v1.nn.dynamic_rnn(cell, x, dtype=tf.float64)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            arrays = {"inputs": inputs}
            for part in ("kernel", "recurrent_kernel", "bias"):
                variable = getattr(cell, part)
                value = rng.normal(0, 0.6 if "kernel" in part else 0.5, variable.shape)
                variable.load(value, sess)
                arrays[f"keras_{part}"] = value
            arrays["outputs"] = sess.run(outputs, {x: inputs})
    meta = {"layers": [{"cell": f"keras.{cell_kind}", "num_units": units, **options}], "source": "keras"}
    return {f"{name}__{k}": np.asarray(v) for k, v in arrays.items()}, meta


def main() -> int:
    rng = np.random.default_rng(2027)
    arrays: dict[str, np.ndarray] = {}
    manifest: dict[str, dict] = {}

    def add(result: tuple[dict, dict], name: str) -> None:
        arrays.update(result[0])
        manifest[name] = result[1]

    def spec(cell: str, activation: str = "tanh", units: int = 4) -> dict:
        return {"cell": cell, "num_units": units, "activation": activation}

    x = rng.normal(0, 1, (BATCH, TIME, INPUT_SIZE))
    state = [rng.normal(0, 0.5, (BATCH, 4))]
    lengths = [7, 3, 0]
    seed = 100
    for cell, short in (("BasicRNNCell", "rnn"), ("GRUCell", "gru")):
        for activation in ACTIVATIONS:
            seed += 1
            name = f"{short}_{activation}"
            scale = 0.3 if activation in ("relu", "identity") else 0.6  # keep unbounded cells small
            add(run_case(name, [spec(cell, activation)], x, initial=state, seed=seed, scale=scale), name)
        add(run_case(f"{short}_zero_state", [spec(cell)], x, seed=seed + 10), f"{short}_zero_state")
        name = f"{short}_sequence_length"
        add(run_case(name, [spec(cell, "softsign")], x, initial=state, sequence_length=lengths, seed=seed + 11), name)
        name = f"{short}_multi_sequence_length"
        layers = [spec(cell, units=4), spec(cell, "relu", units=3)]
        add(run_case(name, layers, x, sequence_length=[2, 7, 5], seed=seed + 12, scale=0.5), name)
        name = f"{short}_multi"
        layers = [spec(cell, "sigmoid", units=3), spec(cell, units=5), spec(cell, "softsign", units=2)]
        add(run_case(name, layers, x, seed=seed + 13), name)
        name = f"{short}_tf_initial_weights"
        add(run_case(name, [spec(cell, units=6)], x, seed=seed + 14, tf_initial_weights=True), name)
    add(keras_case("keras_simple_rnn", "SimpleRNNCell", x, seed=201), "keras_simple_rnn")
    add(keras_case("keras_gru_reset_before", "GRUCell", x, seed=202, reset_after=False), "keras_gru_reset_before")
    add(keras_case("keras_gru_reset_after", "GRUCell", x, seed=203, reset_after=True), "keras_gru_reset_after")

    manifest_text = json.dumps({"tensorflow": tf.__version__, "cases": manifest}, sort_keys=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, manifest=np.array(manifest_text), **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(manifest)} cases, TensorFlow {tf.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
