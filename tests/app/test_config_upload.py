"""Configuration uploads on Explore: a saved configuration reproduces the page it was saved from; a
file with some bad values applies the rest and names the bad ones; anything that is not a
configuration is refused with a message and changes nothing. Hypothesis throws arbitrary bytes and
arbitrary JSON at the reader: only ValueError may come out, and what it returns is always valid."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpers import chart_traces, explore_value, open_page, page_text
from lstm_core import LSTMConfig
from lstm_core.sequences import InputSpec
from ui.config_io import CELL_KEYS, MAX_CONFIG_BYTES, MODEL_KEYS, read_config
from ui.exports import config_json
from ui.model import ModelSpec, run_model
from ui.schema import SCHEMA

EXPLORE = "app_pages/explore.py"
SAVED = ModelSpec(
    units=(3, 6),
    forget_bias=-0.7,
    activation="softsign",
    peepholes=True,
    seed=5,
    init_state="random",
    inputs=InputSpec(preset="text", text="to be or not"),
)


def upload(at, name: str, data: bytes):
    at.file_uploader(key="config_file").set_value((name, data, "application/json")).run()
    assert not at.exception, at.exception
    return at


def shown(at, kind: str) -> str:
    return page_text(at, kind, sep=" ")


def test_a_saved_configuration_reproduces_the_page_it_came_from():
    saved = config_json(run_model(SAVED)).encode()  # what "Configuration (.json)" hands out
    at = upload(open_page(EXPLORE), "lstm_config.json", saved)
    assert "Opened lstm_config.json: its settings are now in the sidebar" in shown(at, "success")
    assert explore_value(at, "forget_bias") == -0.7
    assert at.selectbox(key="activation").value == "softsign"
    assert at.checkbox(key="peepholes").value is True
    assert at.radio(key="layers").value == 2
    expected = run_model(SAVED).traces[0]
    np.testing.assert_allclose(chart_traces(at)["f"]["z"], expected.f[0].T, rtol=1e-6)
    # The link follows, so the configuration can be shared on.
    assert at.query_params["forget_bias"] == "-0.7" and at.query_params["text"] == "to be or not"


def test_link_names_in_json_apply_and_bad_values_are_named():
    data = json.dumps({"num_units": 9, "forget_bias": "nan", "activation": "<script>", "seed": 2, "bogus": 1})
    at = upload(open_page(EXPLORE, {"forget_bias": "2"}), "mine.json", data.encode())
    warning = shown(at, "warning")
    assert "forget_bias" in warning and "not a finite number" in warning
    assert "activation" in warning and "one of tanh" in warning
    assert "bogus" in warning and "not a setting" in warning
    assert at.slider(key="num_units").value == 9
    assert explore_value(at, "forget_bias") == 1.0  # the file's bad value: the default, as it says
    assert chart_traces(at)["f"]["z"].shape == (9, 60)


def test_an_lstm_core_configuration_sets_the_cell_and_keeps_the_inputs():
    cfg = LSTMConfig(input_size=2, num_units=5, forget_bias=0.0, coupled=True, cell_clip=3.0)
    at = open_page(EXPLORE, {"preset": "ramp", "steps": "15"})
    upload(at, "cell.json", cfg.to_json().encode())
    assert at.checkbox(key="coupled").value is True
    assert at.slider(key="cell_clip").value == 3.0
    assert at.selectbox(key="preset").value == "ramp"
    assert chart_traces(at)["f"]["z"].shape == (5, 15)


def test_what_is_not_a_configuration_is_refused_and_nothing_changes():
    at = open_page(EXPLORE, {"forget_bias": "-2", "num_units": "3"})
    before = chart_traces(at)["f"]["z"]
    for name, data, reason in (
        ("list.json", b"[1, 2, 3]", "not a list"),
        ("binary.json", bytes(range(256)), "not text"),
        ("broken.json", b'{"forget_bias": 0.5', "not valid JSON"),
        ("deep.json", b"[" * 200_000, "nested too deeply"),
        ("huge.json", b" " * (MAX_CONFIG_BYTES + 1), "at most 1,048,576 bytes"),
        ("other.json", b'{"name": "a web page"}', "no setting of this app"),
    ):
        upload(at, name, data)
        error = shown(at, "error")
        assert f"{name} was not opened" in error and reason in error and "stay as they were" in error, error
        np.testing.assert_array_equal(chart_traces(at)["f"]["z"], before)
        assert explore_value(at, "forget_bias") == -2.0
    # The upload box states the same limit ("1MB per file") and the browser enforces it.
    assert at.file_uploader(key="config_file").proto.max_upload_size_mb * 1024 * 1024 == MAX_CONFIG_BYTES


def test_a_full_configuration_resets_what_it_leaves_out():
    """A saved link only carries non-default settings, so what a file leaves out is the default."""
    at = open_page(EXPLORE, {"forget_bias": "-2", "seed": "7", "preset": "ramp"})
    upload(at, "link.json", b'{"num_units": 6}')
    assert explore_value(at, "forget_bias") == 1.0
    assert at.number_input(key="seed").value == 0
    assert at.selectbox(key="preset").value == "sine"


def _valid(values: dict) -> None:
    for key, value in values.items():
        param = SCHEMA[key]
        if param.kind != "text":
            assert param.parse(param.format(value)) == (value, None), (key, value)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
keys = st.sampled_from([*SCHEMA, "spec", "layers", "input_size", "units", "inputs", "trained", "x"]) | st.text(
    max_size=8
)


@settings(max_examples=300, deadline=None)
@example(document={"input_size": 3, "layers": 2, "num_units": 2}, spec={})
@example(document={"spec": [], "layers": []}, spec={"units": [1, 2, 3, 4], "inputs": []})
@given(document=st.dictionaries(keys, json_values, max_size=6) | json_values, spec=st.dictionaries(keys, json_values))
def test_any_json_gives_valid_settings_or_a_clear_value_error(document, spec):
    for candidate in (document, {"spec": spec}, {"layers": [spec]}):
        try:
            values, messages = read_config(json.dumps(candidate).encode())
        except ValueError as error:
            assert str(error)
            continue
        assert set(values) <= set(SCHEMA)
        assert set(values) >= set(CELL_KEYS) and (set(values) >= set(MODEL_KEYS) or "layers" in candidate)
        assert all(isinstance(m, str) and m for m in messages)
        _valid(values)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=2000))
def test_any_bytes_give_settings_or_a_clear_value_error(data):
    try:
        values, _ = read_config(data)
    except ValueError as error:
        assert str(error)
    else:
        _valid(values)
