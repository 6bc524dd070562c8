"""Throw generated hostile input at every path that reads what a user sends, and count what escapes.

    python -m bench.fuzz [--cases 10000] [--seed 0]

Paths: the custom-sequence parser (``lstm_core.sequences.parse_sequence``), the URL parser
(``ui.schema.parse_query``, every key), and the weight-file loader behind uploads
(``ui.trained.accept_upload``, then the run and the caption the page shows: the app's own files,
truncated, bit-flipped, random bytes, zip archives with odd members; and structurally valid model
files whose metadata is crafted), the configuration reader behind uploads (``ui.config_io.read_config``:
the app's saved configuration with values swapped for hostile ones, cut or bit-flipped, random JSON), the
model file reader (``lstm_core.model_files.open_model``: the Keras and PyTorch fixtures in tests/data/
cut, bit-flipped or overwritten, random bytes, and structurally valid files with wrong metadata --
Keras configs with values swapped, safetensors headers with entries changed, zips of odd members)
and the data file reader (``lstm_core.data_files.read_data``: CSV built from hostile pieces, .npy
with changed headers), and both as the app takes them (``ui.trained.accept_upload`` under any of a
learner's file names with or without a config, then the run on data of the model's width and the
caption; ``ui.trained.read_input_data`` and ``with_data`` beside an opened layer, then the run). Each is allowed to accept or to raise ValueError with a message;
anything else is a failure. Prints the count per path and every failure (expected: none).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import struct
import sys
import traceback
import warnings
import zipfile
from pathlib import Path

import h5py
import numpy as np

from lstm_core import LSTMConfig, init_params, params_to_bytes
from lstm_core.data_files import DataFile, read_data
from lstm_core.model_files import open_model_isolated
from lstm_core.sequences import InputSpec, parse_sequence
from lstm_core.tasks import make_task
from lstm_core.training import TrainSettings, init_model, model_to_bytes
from ui import trained
from ui.config_io import read_config
from ui.exports import config_json
from ui.model import ModelSpec, run_model
from ui.schema import SCHEMA, parse_query

PIECES = ["1", "-2.5", "nan", "inf", "1e308", "1e999", ",", ";", "|", "[", "]", " ", "\n", "\x00", "'", '"', "{", "}",
          "__import__('os')", "0x10", "1_000", "٣", "∞", "--", "1,,2", "[[1,2],[3]]", "[[1, 2], [3, 4]]", "null", "true"]  # fmt: skip
VALUES = ["", "0", "-1", "1e9", "nan", "inf", "true", "maybe", "x" * 5000, "1,2,3", "basic,NFG,NFG", "∞", "\x00", "[]"]


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))


def random_query(rng: random.Random) -> dict:
    keys = [*SCHEMA, "unknown", "", "a" * 300]
    return {rng.choice(keys): rng.choice([*VALUES, random_text(rng)]) for _ in range(rng.randint(1, 6))}


def weight_files() -> list[bytes]:
    layer = LSTMConfig(input_size=2, num_units=3, use_peepholes=True, num_proj=2)
    model = init_model(make_task("adding"), TrainSettings(units=3, layers=2))
    return [params_to_bytes(layer, init_params(layer)), model_to_bytes(model, {"task": "adding", "size": 20})]


def random_file(rng: random.Random, files: list[bytes]) -> bytes:
    base = bytearray(rng.choice(files))
    kind = rng.randrange(4)
    if kind == 0:
        return bytes(base[: rng.randrange(len(base))])
    if kind == 1:
        for _ in range(rng.randint(1, 8)):
            base[rng.randrange(len(base))] ^= 1 << rng.randrange(8)
        return bytes(base)
    if kind == 2:
        return rng.randbytes(rng.randint(0, 4000))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for _ in range(rng.randint(0, 4)):
            name = rng.choice(["config.npy", "header.npy", "kernel.npy", "bias.npy", "x.npy", "../evil.npy"])
            archive.writestr(name, rng.randbytes(rng.randint(0, 300)))
    return buffer.getvalue()


#: Values a crafted model's metadata field may take (wrong types, ranges, names, lengths).
META_VALUES = [None, True, 0, -1, 5, 10**12, 0.5, 7.0, float("nan"), "", "x" * 500, "recall", "accuracy", [1], {}]


def model_file_with_meta(rng: random.Random, model) -> bytes:
    """A structurally valid trained-model file whose metadata is random (known and unknown fields)."""
    keys = ["task", "size", "title", "steps", "metric_name", "metric", "settings", "command", "extra"]
    meta = {rng.choice(keys): rng.choice([*META_VALUES, random_text(rng)]) for _ in range(rng.randint(0, 6))}
    if rng.random() < 0.5:
        meta["task"] = rng.choice(["recall", "adding", "spikes", "reber"])
    header = {"configs": [c.to_dict() for c in model.configs], "output": model.output, "meta": meta}
    buffer = io.BytesIO()
    np.savez(buffer, header=np.array(json.dumps(header)), **model.arrays())
    return buffer.getvalue()


def accept_and_show(data: bytes) -> None:
    """What an upload goes through on the page: the check, the run, the caption under the menu."""
    weights = trained.accept_upload(data)
    spec = ModelSpec(trained=weights.key, inputs=InputSpec(features=weights.configs[0].input_size))
    run_model(spec, weights)
    trained.describe(weights)


def config_files() -> list[bytes]:
    spec = ModelSpec(units=(3, 4), inputs=InputSpec(preset="custom", custom="1,2; 3,4"), peepholes=True)
    layer = LSTMConfig(input_size=2, num_units=3, num_proj=2)
    return [config_json(run_model(spec)).encode(), layer.to_json().encode(), b'{"forget_bias": 0.5, "num_units": 8}']


def random_json(rng: random.Random, depth: int = 0):
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return rng.choice([None, True, False, 0, -1, 2**70, 1e308, -0.0, 0.1])
    if kind == 1:
        return rng.choice(VALUES[:-1])
    if kind == 2:
        return random_text(rng)
    if kind == 3:
        return rng.uniform(-1e3, 1e3)
    if kind == 4:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = [*SCHEMA, "spec", "layers", "units", "inputs", "trained", "input_size", "num_units", "x"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def random_config(rng: random.Random, files: list[bytes]) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:  # a saved file with some values swapped
        document = json.loads(rng.choice(files))
        target = document.get("spec", document)
        for _ in range(rng.randint(1, 4)):
            target[rng.choice([*target, "inputs"])] = random_json(rng, 1)
        return json.dumps(document).encode()
    if kind == 1:
        return json.dumps(random_json(rng)).encode()
    base = bytearray(rng.choice(files))
    if kind == 2:
        return bytes(base[: rng.randrange(len(base))])
    for _ in range(rng.randint(1, 8)):
        base[rng.randrange(len(base))] = rng.randrange(256)
    return bytes(base)


DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
MODEL_FILES = [
    "keras3_sentiment.keras",
    "keras3_hard_sigmoid.keras",
    "keras3_sentiment.weights.h5",
    "tfkeras_hard_sigmoid.h5",
    "tfkeras_sigmoid.h5",
    "torch_encoder.safetensors",
    "torch_projection.safetensors",
]
KERAS_KEYS = [
    "units",
    "activation",
    "recurrent_activation",
    "use_bias",
    "go_backwards",
    "stateful",
    "name",
    "mask_zero",
]


def model_files() -> dict[str, bytes]:
    return {name: (DATA / name).read_bytes() for name in MODEL_FILES}


def swap_keras_values(rng: random.Random, config: dict) -> dict:
    """A Keras model config with a few layer values (or whole layers) replaced by hostile ones."""
    layers = config["config"]["layers"]
    for _ in range(rng.randint(1, 3)):
        layer = rng.choice(layers)
        if rng.random() < 0.2:
            layer["class_name"] = rng.choice(["GRU", "LSTM", "Dense", "Lambda", "Bidirectional", "Model", "", 5])
        else:
            layer["config"][rng.choice(KERAS_KEYS)] = random_json(rng, 1)
    if rng.random() < 0.1:
        layers.insert(rng.randrange(len(layers) + 1), random_json(rng, 1))
    return config


def wrong_metadata(rng: random.Random, name: str, data: bytes) -> bytes:
    """A structurally valid file of the same kind whose metadata says something else."""
    if name.endswith(".safetensors"):
        size = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8 : 8 + size])
        key = rng.choice(list(header))
        field = rng.choice(["dtype", "shape", "data_offsets"])
        header[key][field] = rng.choice(
            [random_json(rng, 2), [rng.randint(-2, 2**40)], [0, rng.randint(0, 4000)], "F16", "BF16", "I64", [4, 4]]
        )
        if rng.random() < 0.2:  # a key renamed into an LSTM key
            header[f"x.weight_ih_l{rng.randint(0, 3)}"] = header.pop(key)
        text = json.dumps(header).encode()
        return struct.pack("<Q", len(text)) + text + data[8 + size :]
    if name.endswith(".keras"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as out:
            for item in source.infolist():
                content = source.read(item)
                if item.filename == "config.json":
                    content = json.dumps(swap_keras_values(rng, json.loads(content))).encode()
                out.writestr(item.filename, content)
        return buffer.getvalue()
    buffer = io.BytesIO(data)
    with h5py.File(buffer, "r+") as f:
        if "model_config" in f.attrs:
            f.attrs["model_config"] = json.dumps(swap_keras_values(rng, json.loads(f.attrs["model_config"])))
        datasets = []
        f.visititems(lambda path, item: datasets.append(path) if isinstance(item, h5py.Dataset) else None)
        path = rng.choice(datasets)
        if rng.random() < 0.5:  # a weight replaced by one of another shape or kind
            del f[path]
            shape = tuple(rng.randint(0, 30) for _ in range(rng.randint(0, 3)))
            f.create_dataset(path, shape=shape, dtype=rng.choice(["f4", "f8", "i4", "f2"]))
    return buffer.getvalue()


def random_model_file(rng: random.Random, files: dict[str, bytes]) -> tuple[bytes, str | None]:
    name = rng.choice(list(files))
    config = (DATA / "keras3_sentiment.config.json").read_text() if name.endswith(".weights.h5") else None
    kind = rng.randrange(5)
    if kind == 0:
        return wrong_metadata(rng, name, files[name]), config
    if kind == 4:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for _ in range(rng.randint(0, 4)):
                member = rng.choice(["config.json", "metadata.json", "model.weights.h5", "x/data.pkl", "../evil"])
                archive.writestr(
                    member, rng.choice([rng.randbytes(rng.randint(0, 300)), files[rng.choice(list(files))]])
                )
        return buffer.getvalue(), config
    return random_file(rng, [files[name]]), config


def open_generated_model(data: bytes, config: str | None) -> None:
    """The core reader as the app calls it: in a child process (a damaged HDF5 file can make the
    HDF5 library loop: seed 7 found one, which open_model_isolated refuses after its time)."""
    open_model_isolated(data, config=config, seconds=5)


def upload_and_show_model(rng: random.Random, files: dict[str, bytes]) -> None:
    """What a model-file upload goes through on Explore: ui.trained.accept_upload under a name a
    learner's file may have, then a run on data of its width and the caption under the menu."""
    data, config = random_model_file(rng, files)
    name = rng.choice(["m.keras", "m.h5", "m.weights.h5", "m.safetensors", "m.pt", "m.npz", ""])
    weights = trained.accept_upload(data, name, config.encode() if config and rng.random() < 0.9 else None)
    show_with_data(weights, np.zeros((1, 3, weights.configs[0].input_size)))


def show_with_data(weights: trained.Weights, values: np.ndarray) -> None:
    batch, steps, features = values.shape
    data = DataFile(values, np.full(batch, steps), tuple(f"x{k}" for k in range(features)), ("1",) * batch)
    combined = trained.with_data(weights, data, "fuzz")
    run_model(ModelSpec(trained=combined.key), combined)
    trained.describe(combined)


def upload_and_run_data(rng: random.Random, weights: trained.Weights) -> None:
    """What a data upload goes through beside an opened model: read, checked against its width, run."""
    data, name = random_data_file(rng)
    opened = trained.read_input_data(data, name)
    combined = trained.with_data(weights, opened, "fuzz", name)
    run_model(ModelSpec(trained=combined.key), combined)
    trained.describe(combined)


def random_data_file(rng: random.Random) -> tuple[bytes, str]:
    kind = rng.randrange(3)
    if kind == 0:
        pieces = [
            "1",
            "-2.5",
            "nan",
            "inf",
            "1e308",
            ",",
            ";",
            "\t",
            "\n",
            "\n\n",
            '"',
            "a",
            "sequence",
            "x,y",
            " ",
            "\x00",
            "\r\n",
        ]
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 60))).encode(), "data.csv"
    if kind == 1:
        buffer = io.BytesIO()
        np.save(buffer, np.zeros(rng.choice([(3,), (2, 3), (1, 2, 3), (1, 1, 1, 1)])))
        data = buffer.getvalue()
        header = rng.choice([b"(3,)", b"(2, 3)", b"(1, 2, 3)", b"(99999, 99999)", b"(-1,)", b"'O'", b"'<U3'", b"()"])
        target = data[data.index(b"(") : data.index(b")") + 1]
        return data.replace(target, header) if rng.random() < 0.7 else data[: rng.randrange(len(data))], "x.npy"
    return rng.randbytes(rng.randint(0, 400)), rng.choice(["x.npy", "x.csv"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # zipfile warns about the duplicate members some cases write
    rng = random.Random(args.seed)
    files = weight_files()
    recall = init_model(make_task("recall", 10), TrainSettings(units=3))
    configs = config_files()
    models = model_files()
    one_feature = trained.accept_upload(
        params_to_bytes(LSTMConfig(input_size=1, num_units=3), init_params(LSTMConfig(input_size=1, num_units=3)))
    )
    paths = {
        "custom sequence": lambda: parse_sequence(random_text(rng)),
        "URL parameters": lambda: parse_query(random_query(rng)),
        "weight upload": lambda: accept_and_show(random_file(rng, files)),
        "model metadata": lambda: accept_and_show(model_file_with_meta(rng, recall)),
        "config upload": lambda: read_config(random_config(rng, configs)),
        "model file": lambda: open_generated_model(*random_model_file(rng, models)),
        "data file": lambda: read_data(*random_data_file(rng)),
        "app model upload": lambda: upload_and_show_model(rng, models),
        "app data upload": lambda: upload_and_run_data(rng, one_feature),
    }
    counts = dict.fromkeys(paths, 0)
    accepted = dict.fromkeys(paths, 0)
    failures: list[str] = []
    for case in range(args.cases):
        name = list(paths)[case % len(paths)]
        counts[name] += 1
        try:
            paths[name]()
            accepted[name] += 1
        except ValueError as error:
            if not str(error):
                failures.append(f"{name}: ValueError without a message")
        except Exception:
            failures.append(f"{name}: {traceback.format_exc(limit=3)}")
    np.seterr(all="ignore")
    print(f"{args.cases} generated cases, seed {args.seed}")
    for name in paths:
        print(
            f"  {name:16s} {counts[name]:6d} cases: {accepted[name]:6d} returned, the rest raised ValueError with a message"
        )
    print(f"failures: {len(failures)}")
    for failure in failures[:20]:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
