"""Make the Keras model files in tests/data/ and their outputs as Keras computes them.

lstm_core.model_files reads these files; Keras and TensorFlow are not test dependencies.
Regenerate (any machine with Python 3.11, a few minutes, about 1 GB of downloads):

    python3 -m venv /tmp/tfenv2
    /tmp/tfenv2/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    TF_USE_LEGACY_KERAS=1 /tmp/tfenv2/bin/python scripts/make_keras_files.py

Keras 3 (``import keras``, which comes with tensorflow-cpu 2.21) writes the ``.keras`` files and the
weights-only ``.weights.h5`` with its config; tf.keras / Keras 2 (``import tf_keras``) writes the
``.h5`` files (and one weights-only ``save_weights`` file with ``model.to_json()``), one with ``recurrent_activation="hard_sigmoid"`` (Keras 2's formula, the default of
TensorFlow 1.x's Keras, as the seed notebook's stacked tf.keras LSTMCell had) and one with the
sigmoid; and three that the reader refuses (a Bidirectional LSTM, masking, a GRU). Weights are float32, drawn wider than Keras' defaults so that the hard sigmoids clip.

Every model's LSTM layers are run by Keras itself on a fixed input: each layer as a copy with
``return_sequences=True`` (so every step is recorded) on the previous layer's outputs, and the
whole model for its own output. They go to tests/data/keras_golden.npz as
``<file>::lstm_inputs`` (what the first LSTM layer receives, after any Embedding),
``<file>::outputs_<k>`` (layer k's outputs, every step), ``<file>::model_output``, and a JSON
``manifest`` with the library versions; ``hard_sigmoid_grad::*`` holds TensorFlow's gradient of
each hard sigmoid at its corners, and ``<file>::d_inputs`` for the Keras 2 hard-sigmoid model the
gradient of ``sum(outputs_last * r)`` with respect to ``lstm_inputs`` by TensorFlow's autograd.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # Keras 3
import numpy as np
import tensorflow as tf
import tf_keras  # Keras 2 (tf.keras)

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
OUT = DATA / "keras_golden.npz"
BATCH, TIME = 2, 7


def widen(model, rng: np.random.Generator, scale: float) -> None:
    """Every weight redrawn from N(0, scale) (biases included, so bias reordering is tested)."""
    model.set_weights([rng.normal(0, scale, w.shape).astype(np.float32) for w in model.get_weights()])


def lstm_layers(model, library) -> list:
    return [layer for layer in model.layers if isinstance(layer, library.layers.LSTM)]


def per_layer_outputs(model, library, lstm_inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Each LSTM layer re-run by Keras as a return_sequences copy on the previous layer's outputs."""
    arrays = {}
    x = lstm_inputs
    for k, layer in enumerate(lstm_layers(model, library)):
        config = {**layer.get_config(), "return_sequences": True, "name": f"copy_{k}"}
        copy = library.layers.LSTM.from_config(config)
        copy.build((None, None, x.shape[-1]))
        copy.set_weights(layer.get_weights())
        x = np.asarray(copy(x))
        arrays[f"outputs_{k}"] = x
    return arrays


def first_lstm_inputs(model, library, model_inputs: np.ndarray) -> np.ndarray:
    """What the first LSTM layer receives: the model's inputs, through any Embedding before it."""
    x = model_inputs
    for layer in model.layers:
        if isinstance(layer, library.layers.LSTM):
            return np.asarray(x, np.float32)
        x = layer(x)
    raise ValueError("no LSTM layer")


def record(name: str, model, library, model_inputs: np.ndarray) -> dict[str, np.ndarray]:
    lstm_inputs = first_lstm_inputs(model, library, model_inputs)
    arrays = {"model_inputs": model_inputs, "lstm_inputs": lstm_inputs, "model_output": np.asarray(model(model_inputs))}
    arrays.update(per_layer_outputs(model, library, lstm_inputs))
    return {f"{name}::{key}": value for key, value in arrays.items()}


def keras3_models(rng: np.random.Generator) -> dict[str, tuple]:
    layers = keras.layers
    tokens = rng.integers(1, 30, (BATCH, TIME))
    sentiment = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            layers.Embedding(30, 5, name="embedding"),
            layers.LSTM(6, return_sequences=True, name="lstm"),
            layers.Dropout(0.2, name="dropout"),
            layers.LSTM(4, name="lstm_1"),
            layers.Dense(1, activation="sigmoid", name="dense"),
        ],
        name="sentiment",
    )
    widen(sentiment, rng, 0.5)
    hard = keras.Sequential(
        [
            keras.Input((None, 3)),
            layers.LSTM(5, recurrent_activation="hard_sigmoid", activation="softsign", return_sequences=True),
            layers.LSTM(3, recurrent_activation="hard_sigmoid", activation="relu", use_bias=False),
        ],
        name="hard_gates",
    )
    widen(hard, rng, 1.2)
    signal = rng.normal(0, 1.5, (BATCH, TIME, 3)).astype(np.float32)
    return {"keras3_sentiment": (sentiment, tokens), "keras3_hard_sigmoid": (hard, signal)}


def keras2_models(rng: np.random.Generator) -> dict[str, tuple]:
    layers = tf_keras.layers
    signal = rng.normal(0, 1.5, (BATCH, TIME, 3)).astype(np.float32)
    tf1_style = tf_keras.Sequential(
        [
            layers.InputLayer(input_shape=(None, 3)),
            layers.LSTM(5, recurrent_activation="hard_sigmoid", return_sequences=True),
            layers.LSTM(4, recurrent_activation="hard_sigmoid", activation="sigmoid"),
            layers.Dense(2),
        ],
        name="tf1_style",
    )
    widen(tf1_style, rng, 1.2)
    tokens = rng.integers(1, 20, (BATCH, TIME))
    sigmoid = tf_keras.Sequential(
        [
            layers.InputLayer(input_shape=(None,)),
            layers.Embedding(20, 4),
            layers.LSTM(6, return_sequences=True),
            layers.LSTM(3, activation="linear", return_sequences=True),
            layers.Dense(1),
        ],
        name="tfkeras_sigmoid",
    )
    widen(sigmoid, rng, 0.6)
    return {"tfkeras_hard_sigmoid": (tf1_style, signal), "tfkeras_sigmoid": (sigmoid, tokens)}


def refused_models() -> dict[str, tuple]:
    """Real files of what the reader refuses by name (no outputs recorded: they are not run)."""
    k3, k2 = keras.layers, tf_keras.layers
    return {
        "keras3_bidirectional.keras": keras.Sequential([keras.Input((None, 3)), k3.Bidirectional(k3.LSTM(2))]),
        "keras3_masking.keras": keras.Sequential(
            [keras.Input((None,), dtype="int32"), k3.Embedding(9, 3, mask_zero=True), k3.LSTM(2)]
        ),
        "tfkeras_gru.h5": tf_keras.Sequential([k2.InputLayer(input_shape=(None, 3)), k2.GRU(2)]),
    }


def hard_sigmoid_corner_gradients() -> dict[str, np.ndarray]:
    """TensorFlow's autograd of both hard sigmoids at and around their corners."""
    x = tf.constant([-3.5, -3.0, -2.5, -1.0, 0.0, 2.5, 2.6, 3.0, 3.5], tf.float32)
    arrays = {"hard_sigmoid_grad::x": x.numpy()}
    for name, function in (
        ("hard_sigmoid", tf_keras.backend.hard_sigmoid),
        ("hard_sigmoid_keras3", keras.activations.hard_sigmoid),
    ):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = function(x)
        arrays[f"hard_sigmoid_grad::{name}"] = tape.gradient(y, x).numpy()
        arrays[f"hard_sigmoid_grad::{name}_value"] = y.numpy()
    return arrays


def keras2_input_gradient(model, lstm_inputs: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """d sum(last LSTM's outputs * r) / d lstm_inputs, by TensorFlow's autograd, through copies of
    the LSTM layers with return_sequences=True."""
    copies, width = [], lstm_inputs.shape[-1]
    for k, layer in enumerate(lstm_layers(model, tf_keras)):
        copy = tf_keras.layers.LSTM.from_config({**layer.get_config(), "return_sequences": True, "name": f"g{k}"})
        copy.build((None, None, width))
        copy.set_weights(layer.get_weights())
        copies.append(copy)
        width = layer.units
    r = rng.normal(size=(BATCH, TIME, width)).astype(np.float32)
    x = tf.constant(lstm_inputs)
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = x
        for copy in copies:
            h = copy(h)
        loss = tf.reduce_sum(h * r)
    return {"r": r, "d_inputs": tape.gradient(loss, x).numpy()}


def main() -> int:
    rng = np.random.default_rng(2027)
    arrays: dict[str, np.ndarray] = {}
    files: dict[str, dict] = {}
    for name, (model, inputs) in keras3_models(rng).items():
        path = DATA / f"{name}.keras"
        model.save(path)
        arrays.update(record(path.name, model, keras, inputs))
        files[path.name] = {"library": "keras", "version": keras.__version__, "model": model.name}
    # The sentiment model once more as weights only, with its config beside it.
    sentiment = keras.models.load_model(DATA / "keras3_sentiment.keras")
    weights = DATA / "keras3_sentiment.weights.h5"
    sentiment.save_weights(weights)
    (DATA / "keras3_sentiment.config.json").write_text(sentiment.to_json())
    files[weights.name] = {**files["keras3_sentiment.keras"], "config": "keras3_sentiment.config.json"}
    arrays.update({k.replace("keras3_sentiment.keras", weights.name): v for k, v in arrays.items() if "sentiment" in k})

    for name, (model, inputs) in keras2_models(rng).items():
        path = DATA / f"{name}.h5"
        model.save(path, save_format="h5")
        arrays.update(record(path.name, model, tf_keras, inputs))
        files[path.name] = {"library": "tf_keras", "version": tf_keras.__version__, "model": model.name}
        if name == "tfkeras_hard_sigmoid":
            gradient = keras2_input_gradient(model, arrays[f"{path.name}::lstm_inputs"], rng)
            arrays.update({f"{path.name}::{k}": v for k, v in gradient.items()})
            # Keras 2's weights-only file (save_weights to .h5), with model.to_json() beside it.
            weights = DATA / "tfkeras_hard_sigmoid.weights.h5"
            model.save_weights(weights)
            (DATA / "tfkeras_hard_sigmoid.config.json").write_text(model.to_json())
            files[weights.name] = {**files[path.name], "config": "tfkeras_hard_sigmoid.config.json"}
            arrays.update({k.replace(path.name, weights.name): v for k, v in arrays.items() if k.startswith(path.name)})
    arrays.update(hard_sigmoid_corner_gradients())
    for name, model in refused_models().items():
        model.save(DATA / name)
        files[name] = {"library": "keras" if name.endswith(".keras") else "tf_keras", "refused": True}

    manifest = {"tensorflow": tf.__version__, "keras": keras.__version__, "tf_keras": tf_keras.__version__}
    manifest["files"] = files
    np.savez_compressed(OUT, manifest=np.array(json.dumps(manifest, sort_keys=True)), **arrays)
    for name in sorted(files):
        print(f"wrote {name} ({(DATA / name).stat().st_size:,} bytes)")
    print(f"wrote {OUT.name} ({OUT.stat().st_size:,} bytes): TensorFlow {tf.__version__}, {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
