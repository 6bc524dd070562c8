"""A learner's own Keras or PyTorch model file and own data on Explore and Step through (issue 21).

Each fixture in tests/data was written by the real library (scripts/make_keras_files.py,
scripts/make_torch_files.py), which also computed its outputs on a fixed input: opening the file on
Explore and giving that input as a .npy shows the library's numbers (1e-6, float32 weights) in the
heatmaps, for every layer and sequence. Every refused feature gets its message and changes
nothing; CSV (with and without a header, a ``sequence`` column) and .npy inputs run; a wrong width
says which the model needs. Hypothesis throws any bytes at the app's two new readers.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import (
    DATA,
    KERAS_FILES,
    TORCH_FILES,
    chart_spec,
    chart_traces,
    library_outputs,
    npy,
    open_page,
    page_text,
    upload,
)
from lstm_core import run_stack
from lstm_core.data_files import DataFile
from lstm_core.model_files import TORCH_EXPORT, open_model, open_model_isolated
from ui import runs, trained
from ui.model import ModelSpec, run_model

TOLERANCE = 1e-6
#: What the page says was read, as the learner reads it (the file's own names).
READ = {
    "keras3_sentiment.keras": "Keras 3 model 'sentiment': Embedding(skipped), LSTM(6) -> Dropout(skipped) -> LSTM(4), Dense(skipped)",
    "torch_encoder.safetensors": "PyTorch state dict: embedding(skipped), encoder.lstm: LSTM(4) -> LSTM(4), head(skipped)",
}


def open_fixture(at, name: str):
    """Upload fixture ``name`` as a learner would: a weights-only file, then its config."""
    upload(at, name, (DATA / name).read_bytes())
    if name.endswith(".weights.h5"):
        assert "holds weights only" in page_text(at, "info")
        config = DATA / name.replace(".weights.h5", ".config.json")
        upload(at, config.name, config.read_bytes(), key="weights_config_file")
    return at


def explore(query: dict | None = None):
    return open_page("app_pages/explore.py", {"weights": "upload", **(query or {})})


def shown(at) -> str:
    return page_text(at, "caption", "markdown", "info", "warning", "error", "success", sep=" ")


def errors(at) -> str:
    return page_text(at, "error", sep=" ")


def band(at, name: str) -> np.ndarray:
    return chart_traces(at)[name]["z"]


def select(at, key: str, value: int):
    """Choose the sequence or layer shown (its radio must be there: a batch of 2, a stack of 2)."""
    at.radio(key=key).set_value(value).run()
    assert not at.exception, at.exception
    assert at.radio(key=key).value == value


@pytest.mark.parametrize("name", KERAS_FILES + TORCH_FILES)
def test_each_model_file_shows_its_layers_and_its_librarys_numbers(name):
    arrays = library_outputs(name)
    inputs = arrays["lstm_inputs"] if "lstm_inputs" in arrays else arrays["inputs"]
    at = open_fixture(explore(), name)
    assert f"Opened {name}" in page_text(at, "success")
    assert "Read:" in shown(at) and "LSTM(" in shown(at)
    if name in READ:
        assert READ[name] in shown(at)
    upload(at, "inputs.npy", npy(inputs), key="data_file")
    assert "your data inputs.npy" in shown(at) and not errors(at)
    assert "run on your own data" in page_text(at, "info")  # the sidebar says its inputs are not used
    batch = inputs.shape[0]
    for layer in (1, 2):
        select(at, "layer", layer)
        for seq in range(batch):
            select(at, "seq", seq)
            h = band(at, "new_h")  # (h_depth, steps): the layer's output at every step
            if name.endswith(".safetensors"):  # PyTorch: the top layer's outputs, every layer's final state
                if layer == 2:
                    np.testing.assert_allclose(h, arrays["outputs"][seq].T, atol=TOLERANCE, rtol=0)
                np.testing.assert_allclose(h[:, -1], arrays["h_n"][layer - 1, seq], atol=TOLERANCE, rtol=0)
                c = band(at, "new_c")
                np.testing.assert_allclose(c[:, -1], arrays["c_n"][layer - 1, seq], atol=TOLERANCE, rtol=0)
            else:
                np.testing.assert_allclose(h, arrays[f"outputs_{layer - 1}"][seq].T, atol=TOLERANCE, rtol=0)


def test_hard_sigmoid_is_run_and_said_on_explore_and_step_through():
    at = open_fixture(explore({"features": "3"}), "tfkeras_hard_sigmoid.h5")  # runs on the sidebar's 3 features
    assert "hard-sigmoid gates (Keras 2: clip(0.2x + 0.5, 0, 1))" in shown(at)
    assert not errors(at)
    step = open_page("app_pages/step_through.py", {"weights": "upload", "features": "3"})
    open_fixture(step, "keras3_hard_sigmoid.keras")
    text = shown(step)
    assert "relu6(x + 3) / 6" in text  # Keras 3's hard sigmoid, said beside the menu and the drawing
    latex = " ".join(str(element.value) for element in step.get("latex"))
    assert r"f_t = \sigma_{hard}\left(" in latex and r"o_t = \sigma_{hard}\left(" in latex
    assert "σ_hard: the gates use hard-sigmoid gates (Keras 3: relu6(x + 3) / 6)" in page_text(step, "caption")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("keras3_bidirectional.keras", "bidirectional layer"),
        ("keras3_masking.keras", "masking"),
        ("tfkeras_gru.h5", "a GRU layer"),
        ("torch_gru.safetensors", "a GRU layer"),
        ("torch_bidirectional.safetensors", "bidirectional layer"),
        ("torch_pickle.pt", TORCH_EXPORT),
    ],
)
def test_each_refused_feature_gets_its_message_and_the_weights_before_stay(name, message):
    at = open_fixture(explore(), "torch_encoder.safetensors")
    before = band(at, "f")
    upload(at, name, (DATA / name).read_bytes())
    assert f"{name} was not loaded" in errors(at) and message in errors(at)
    assert "The weights shown before stay" in errors(at)
    assert READ["torch_encoder.safetensors"] in shown(at)
    np.testing.assert_array_equal(band(at, "f"), before)
    if name.endswith(".pt"):  # the export is shown as code, to copy
        assert f"`{TORCH_EXPORT}`" in " ".join(str(e.value) for e in at.error)
    at.run()  # the refused file is still in the uploader: the page says it is not what is shown
    assert f"{name} was not loaded (the message said why); the weights opened before are shown" in shown(at)
    np.testing.assert_array_equal(band(at, "f"), before)


def test_a_weights_only_file_with_a_wrong_config_is_refused_and_changes_nothing():
    at = upload(explore(), "tfkeras_hard_sigmoid.weights.h5", (DATA / "tfkeras_hard_sigmoid.weights.h5").read_bytes())
    assert "holds weights only" in page_text(at, "info")
    upload(at, "wrong.json", b'{"class_name": "Sequential", "config": {"layers": []}}', key="weights_config_file")
    assert "was not loaded" in errors(at) and "lists no layers" in errors(at)
    upload(at, "config.json", (DATA / "keras3_sentiment.config.json").read_bytes(), key="weights_config_file")
    assert "was not loaded" in errors(at)  # the sentiment model's config does not fit these weights
    good = DATA / "tfkeras_hard_sigmoid.config.json"
    upload(at, good.name, good.read_bytes(), key="weights_config_file")
    assert "Opened tfkeras_hard_sigmoid.weights.h5" in page_text(at, "success")


CSV_HEADER = "temperature,rain,<b>w</b>\n0.1,0.0,1.5\n0.3,1.0,0.5\n-0.2,0.5,0.0\n0.0,0.0,2.0\n"
CSV_PLAIN = "0.1,0.0,1.5\n0.3,1.0,0.5\n-0.2,0.5,0.0\n0.0,0.0,2.0\n"


@pytest.mark.parametrize("text", [CSV_HEADER, CSV_PLAIN], ids=["header", "no header"])
def test_a_csv_is_the_input_with_its_feature_names_on_the_input_band(text):
    at = open_fixture(explore(), "keras3_hard_sigmoid.keras")  # reads 3 features
    upload(at, "weather.csv", text.encode(), key="data_file")
    assert not errors(at)
    values = np.array([[0.1, 0.0, 1.5], [0.3, 1.0, 0.5], [-0.2, 0.5, 0.0], [0.0, 0.0, 2.0]])
    np.testing.assert_allclose(band(at, "x"), values.T, atol=1e-7)  # charts carry float32
    model = trained.open_model_file((DATA / "keras3_hard_sigmoid.keras").read_bytes(), "m.keras")
    traces = run_stack(list(model.configs), list(model.params), values[None])
    np.testing.assert_allclose(band(at, "new_h"), traces[0].new_h[0].T, atol=TOLERANCE)
    layout = chart_spec(at)["layout"]
    labels = [axis.get("ticktext") for key, axis in layout.items() if key.startswith("yaxis")]
    # A name is cut to fit beside the band and shown as text (Plotly would read <b> as bold); the
    # caption under the menu names them in full.
    names = ["tempera…", "rain", "&lt;b&gt;w&lt;/b&gt;"] if text == CSV_HEADER else ["x0", "x1", "x2"]
    assert names in labels
    if text == CSV_HEADER:
        assert "features temperature, rain, <b>w</b>" in shown(at)


def test_sequences_in_a_sequence_column_run_side_by_side_each_to_its_own_end():
    at = open_fixture(explore(), "keras3_hard_sigmoid.keras")
    text = "sequence,a,b,c\nfirst,1,0,0\nfirst,0,1,0\nfirst,0,0,1\nsecond,1,1,1\nsecond,0,0,0\n"
    upload(at, "two.csv", text.encode(), key="data_file")
    assert "2 sequences of up to 3 steps" in shown(at)
    select(at, "seq", 1)
    h = band(at, "new_h")
    assert h.shape[1] == 3
    np.testing.assert_array_equal(h[:, 2], h[:, 1])  # it ended after 2 steps: its state is carried
    assert "its state is carried unchanged" in shown(at)


def test_a_npy_input_and_a_wrong_width_input():
    at = open_fixture(explore(), "keras3_hard_sigmoid.keras")
    upload(at, "good.npy", npy(np.linspace(-1, 1, 12).reshape(4, 3)), key="data_file")
    good = band(at, "x")
    assert good.shape == (3, 4)
    upload(at, "wide.csv", b"1,2,3,4,5\n6,7,8,9,10\n", key="data_file")
    assert "wide.csv was not loaded" in errors(at)
    assert "The model reads 3 feature(s) per step" in errors(at) and "the data has 5" in errors(at)
    assert "The input shown before stays" in errors(at)
    np.testing.assert_array_equal(band(at, "x"), good)
    for name, data in (("bad.npy", b"\x93NUMPY\x01\x00garbage"), ("bad.csv", b"1,2,x\n")):
        upload(at, name, data, key="data_file")
        assert f"{name} was not loaded" in errors(at)
        np.testing.assert_array_equal(band(at, "x"), good)


def test_the_sidebar_inputs_say_which_width_the_model_needs():
    at = open_fixture(explore(), "keras3_sentiment.keras")  # reads 5 features; the sidebar has 2
    warned = page_text(at, "warning", sep=" ")  # beside the data uploader: not a fault, a request
    assert "Not run yet: the uploaded model reads 5 feature(s) per step but the input has 2" in warned
    assert "give your own data with 5 column(s)" in warned and not errors(at)
    assert band(at, "f").shape == (4, 60)  # the sidebar's own model meanwhile


def test_the_converted_weights_download_opens_again_with_the_same_numbers():
    at = open_fixture(explore(), "torch_projection.safetensors")
    inputs = library_outputs("torch_projection.safetensors")["inputs"]
    upload(at, "inputs.npy", npy(inputs), key="data_file")
    before = band(at, "new_h")
    button = next(b for b in at.get("download_button") if "converted weights" in b.proto.label)
    assert "2 layers" in button.proto.label
    weights = trained.open_model_file((DATA / "torch_projection.safetensors").read_bytes())
    data = trained.stack_bytes(weights)
    upload(at, "converted_lstm.npz", data)
    assert "PyTorch state dict" in shown(at)  # what was read travels with the converted file
    np.testing.assert_array_equal(band(at, "new_h"), before)


def test_step_through_opens_a_model_and_runs_it_on_your_data():
    at = open_page("app_pages/step_through.py", {"weights": "upload"})
    open_fixture(at, "tfkeras_sigmoid.h5")
    inputs = library_outputs("tfkeras_sigmoid.h5")["lstm_inputs"]
    upload(at, "inputs.npy", npy(inputs), key="data_file")
    assert "your data inputs.npy" in shown(at) and not errors(at)


MODEL_NAMES = ["m.keras", "m.h5", "m.weights.h5", "m.safetensors", "m.pt", "m.npz", ""]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(KERAS_FILES + TORCH_FILES),
    name=st.sampled_from(MODEL_NAMES),
    cut=st.integers(0, 10**6),
    flip=st.integers(0, 10**6),
    noise=st.binary(max_size=2000),
)
def test_any_bytes_under_any_name_give_weights_or_a_clear_value_error(base, name, cut, flip, noise):
    original = (DATA / base).read_bytes()
    damaged = bytearray(original)
    damaged[flip % len(damaged)] ^= 0xFF
    for blob in (noise, original[: cut % len(original)], bytes(damaged)):
        try:
            weights = trained.accept_upload(blob, name)
        except ValueError as error:
            assert str(error)
        else:  # what was accepted runs on an input of its width
            features = weights.configs[0].input_size
            data = DataFile(np.zeros((1, 3, features)), np.array([3]), tuple(f"x{k}" for k in range(features)), ("1",))
            with_data = trained.with_data(weights, data, "d")
            run_model(ModelSpec(trained=with_data.key), with_data)
            assert trained.describe(with_data)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=3000), name=st.sampled_from(["d.csv", "d.npy", "d.txt", ""]))
def test_any_data_bytes_give_an_input_or_a_clear_value_error(data, name):
    weights = trained.open_model_file((DATA / "keras3_hard_sigmoid.keras").read_bytes())
    try:
        opened = trained.read_input_data(data, name)
        combined = trained.with_data(weights, opened, "d")
    except ValueError as error:
        assert str(error)
    else:
        run_model(ModelSpec(trained=combined.key), combined)


def test_data_beyond_what_a_page_shows_is_refused_and_the_input_before_stays(monkeypatch):
    monkeypatch.setattr(runs, "REQUEST_CELLS", 100_000)  # the page's budget, smaller to test it cheaply
    at = open_fixture(explore(), "keras3_hard_sigmoid.keras")  # 3 features, layers of 5 and 3 units
    upload(at, "good.csv", b"1,2,3\n4,5,6\n", key="data_file")
    good = band(at, "x")
    many = "\n\n".join("1,2,3\n4,5,6" for _ in range(trained.MAX_DATA_SEQUENCES_SHOWN + 1))
    upload(at, "many.csv", many.encode(), key="data_file")
    assert "many.csv was not loaded" in errors(at) and "the pages show at most 16" in errors(at)
    long = npy(np.zeros((9, 2000, 3)))  # 9 x 2,000 steps x 8 units: more cells than a page computes
    upload(at, "long.npy", long, key="data_file")
    assert "long.npy was not loaded" in errors(at) and "one page may compute at most 100,000" in errors(at)
    at.run()
    assert "long.npy was not loaded (the message said why); the input is still good.csv" in shown(at)
    np.testing.assert_array_equal(band(at, "x"), good)


def test_the_sequence_columns_names_are_said_in_the_menus_order():
    at = open_fixture(explore(), "keras3_hard_sigmoid.keras")
    text = "a,b,c,sequence\n1,0,0,walk\n0,1,0,walk\n1,1,1,run\n"
    upload(at, "moves.csv", text.encode(), key="data_file")
    assert "named walk, run in the menu's order" in shown(at)
    assert at.radio(key="seq").options == ["sequence 1", "sequence 2"]


def test_a_file_the_reader_does_not_finish_in_time_is_refused_and_the_server_goes_on():
    """A damaged HDF5 file can make the HDF5 library loop (bench.fuzz --seed 7 found one): the app
    reads model files in a child process and gives up after its time, with a message."""
    data = (DATA / "tfkeras_sigmoid.h5").read_bytes()
    with pytest.raises(ValueError, match="could not be read in 0 s"):
        open_model_isolated(data, "m.h5", seconds=0)
    assert open_model_isolated(data, "m.h5").description == open_model(data, "m.h5").description
