"""Weight uploads on Explore: the app's own files work; anything else gets a clear message, nothing
is unpickled, and the weights shown before stay. Hypothesis throws arbitrary and damaged files at
the loader: only ValueError may come out."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import as_read, chart_traces, open_page, page_text
from lstm_core import LSTMConfig, init_params, load_params, params_to_bytes, run
from lstm_core.sequences import InputSpec, make_inputs
from lstm_core.tasks import make_task
from lstm_core.training import TrainSettings, init_model, model_to_bytes
from ui import trained
from ui.model import ModelSpec, run_model

LAYER = LSTMConfig(input_size=2, num_units=5, use_peepholes=True)  # reads the default 2-feature sine
LAYER_FILE = params_to_bytes(LAYER, init_params(LAYER, seed=9))
MODEL_FILE = model_to_bytes(init_model(make_task("spikes"), TrainSettings(units=3)), {"task": "spikes", "size": 5})


def upload(at, name: str, data: bytes):
    at.file_uploader(key="weights_file").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    return at


def errors(at) -> str:
    return page_text(at, "error", sep=" ")


def test_an_uploaded_layer_runs_on_the_sidebar_inputs():
    at = upload(open_page("app_pages/explore.py", {"weights": "upload"}), "layer.npz", LAYER_FILE)
    expected = run(LAYER, init_params(LAYER, seed=9), make_inputs(InputSpec()).values)
    np.testing.assert_allclose(chart_traces(at)["f"]["z"], expected.f[0].T, rtol=1e-6)
    assert "Uploaded weights" in page_text(at, "caption", sep=" ")


def test_an_uploaded_trained_model_runs_on_its_task():
    at = upload(open_page("app_pages/explore.py", {"weights": "upload"}), "model.npz", MODEL_FILE)
    z = chart_traces(at)["f"]["z"]
    assert z.shape == (3, 25)  # 3 units, the spike task's 25 steps


def test_a_hostile_or_wrong_file_is_refused_and_the_previous_weights_stay():
    at = upload(open_page("app_pages/explore.py", {"weights": "upload"}), "layer.npz", LAYER_FILE)
    before = chart_traces(at)["f"]["z"]
    evil = io.BytesIO()
    np.savez(evil, config=np.array(LAYER.to_json()), kernel=np.array([object()], dtype=object))
    for name, data in (
        ("notes.npz", b"just text"),
        ("pickle.npz", pickle.dumps({"kernel": 1})),
        ("object.npz", evil.getvalue()),
    ):
        upload(at, name, data)
        assert f"{name} was not loaded" in errors(at) and "stay" in errors(at)
        np.testing.assert_array_equal(chart_traces(at)["f"]["z"], before)


def test_a_layer_for_other_inputs_says_what_to_change():
    wide = LSTMConfig(input_size=6, num_units=2)
    at = upload(
        open_page("app_pages/explore.py", {"weights": "upload"}), "wide.npz", params_to_bytes(wide, init_params(wide))
    )
    assert "reads 6 feature(s) per step but the input has 2" in page_text(at, "warning", sep=" ")
    assert chart_traces(at)["f"]["z"].shape == (4, 60)  # the sidebar's own model is shown instead


def test_a_huge_claimed_array_is_refused_unread():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
        header["shape"] = (10**9, 10**3)
        member = io.BytesIO()
        np.lib.format.write_array_header_1_0(member, header)
        archive.writestr("kernel.npy", member.getvalue())
        config = io.BytesIO()
        np.save(config, np.array(LAYER.to_json()))
        archive.writestr("config.npy", config.getvalue())
    try:
        trained.accept_upload(buffer.getvalue())
    except ValueError as error:
        assert "refused unread" in str(error)
    else:
        raise AssertionError("accepted a file claiming 10**12 values")


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=3000), cut=st.integers(0, 5000), flip=st.integers(0, 5000))
def test_any_bytes_give_a_key_or_a_clear_value_error(data, cut, flip):
    base = [data, LAYER_FILE[:cut], MODEL_FILE[:cut]]
    damaged = bytearray(MODEL_FILE)
    damaged[flip % len(damaged)] ^= 0xFF
    for blob in [*base, bytes(damaged)]:
        try:
            weights = trained.accept_upload(blob)
        except ValueError as error:
            assert str(error)
        else:
            run_model(ModelSpec(trained=weights.key, inputs=InputSpec(features=2)), weights)  # what was accepted runs


def _readme_block(heading: str) -> str:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = text.split(heading, 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


class _Tensor:
    """What the README's PyTorch lines touch: ``.detach().numpy()``."""

    def __init__(self, array):
        self.array = array

    def detach(self):
        return self

    def numpy(self):
        return self.array


def test_the_readme_keras_and_pytorch_snippets_make_files_the_app_opens(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    units, features = 3, 2  # the default sine input has 2 features
    keras_layer = SimpleNamespace(
        get_weights=lambda: [
            rng.normal(size=(features, 4 * units)),
            rng.normal(size=(units, 4 * units)),
            rng.normal(size=4 * units),
        ]
    )
    torch_lstm = SimpleNamespace(
        weight_ih_l0=_Tensor(rng.normal(size=(4 * units, features))),
        weight_hh_l0=_Tensor(rng.normal(size=(4 * units, units))),
        bias_ih_l0=_Tensor(rng.normal(size=4 * units)),
        bias_hh_l0=_Tensor(rng.normal(size=4 * units)),
    )
    monkeypatch.chdir(tmp_path)
    exec(_readme_block("### Weights from Keras or PyTorch"), {"keras_layer": keras_layer, "torch_lstm": torch_lstm})
    at = open_page("app_pages/explore.py", {"weights": "upload"})
    for name in ("from_keras.npz", "from_torch.npz"):
        data = (tmp_path / name).read_bytes()
        cfg, params = load_params(io.BytesIO(data))
        upload(at, name, data)
        expected = run(cfg, params, make_inputs(InputSpec()).values)
        np.testing.assert_allclose(chart_traces(at)["f"]["z"], expected.f[0].T, rtol=1e-6)
        assert not at.error


META_VALUES = (
    st.none()
    | st.booleans()
    | st.integers(-(10**15), 10**15)
    | st.floats(allow_nan=True)
    | st.text(max_size=300)
    | st.sampled_from(["recall", "adding", "spikes", "accuracy", "mean squared error", "sequences right"])
    | st.lists(st.integers(), max_size=3)
    | st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)
)
META = st.dictionaries(
    st.sampled_from(["task", "size", "title", "steps", "metric_name", "metric", "settings", "command", "x"]),
    META_VALUES,
    max_size=8,
)
RECALL = init_model(make_task("recall", 10), TrainSettings(units=3))


@settings(max_examples=200, deadline=None)
@given(meta=META)
def test_crafted_metadata_is_refused_at_upload_or_shows_and_runs(meta):
    """A structurally valid model file with any metadata: a message at upload, or a model that runs and
    whose caption can be written (before, a missing task or a string metric broke every later run)."""
    header = {"configs": [c.to_dict() for c in RECALL.configs], "output": RECALL.output, "meta": meta}
    buffer = io.BytesIO()
    np.savez(buffer, header=np.array(json.dumps(header)), **RECALL.arrays())
    try:
        weights = trained.accept_upload(buffer.getvalue())
    except ValueError as error:
        assert str(error) and len(str(error)) < 600
        return
    assert set(weights.meta) <= {"task", "size", "title", "steps", "metric_name", "metric", "settings", "command"}
    model = run_model(ModelSpec(trained=weights.key), weights)
    assert model.sequence.values.shape[2] == weights.task.input_size
    title = " ".join(str(weights.meta.get("title", weights.task.title)).split())  # shown on one line
    assert title in as_read(trained.describe(weights))
