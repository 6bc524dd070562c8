"""A server a class shares: what one student does is bounded, and stays theirs.

Each test names the way a session could hurt the others, as it was seen before it was fixed:
uploads pushed out of a registry shared by everyone, a new file with an old name ignored, a model
file of 3 x 2048 units accepted, page runs kept alive by a page's lambdas, links that asked for
gigabytes of runs, and downloads rebuilt on every click.
"""

from __future__ import annotations

import gc
import io
import json
import types

import numpy as np

from helpers import chart_traces, open_page, page_text, upload
from lstm_core import LSTMConfig, init_params, params_to_bytes
from lstm_core.sequences import InputSpec
from lstm_core.tasks import make_task
from lstm_core.training import TrainSettings, init_model, model_to_bytes
from ui import exports, runs, trained
from ui.model import ModelSpec, run_model

EXPLORE = "app_pages/explore.py"
PAGES = [
    "app_pages/explore.py",
    "app_pages/step_through.py",
    "app_pages/compare.py",
    "app_pages/gradient_flow.py",
    "app_pages/train.py",
]
LAYER = LSTMConfig(input_size=2, num_units=3)


def layer_file(seed: int) -> bytes:
    return params_to_bytes(LAYER, init_params(LAYER, seed=seed))


def test_another_sessions_uploads_do_not_push_out_my_model():
    model = init_model(make_task("spikes"), TrainSettings(units=3))
    mine = model_to_bytes(model, {"task": "spikes", "size": 5, "title": "Alice's spikes"})
    alice = upload(open_page(EXPLORE, {"weights": "upload"}), "alice.npz", mine)
    assert "Alice's spikes" in page_text(alice, "caption")
    bob = open_page(EXPLORE, {"weights": "upload"})
    for seed in range(70):  # more than the old shared registry's 64 entries
        upload(bob, f"bob{seed}.npz", layer_file(seed))
    alice.run()
    assert "Alice's spikes" in page_text(alice, "caption")
    assert not alice.error
    assert len(bob.session_state["_session_weights"]) == trained.SESSION_ENTRIES  # Bob keeps his last few


def test_a_new_file_with_the_same_name_and_size_is_read():
    first, second = layer_file(1), layer_file(2)
    assert len(first) == len(second)
    at = upload(open_page(EXPLORE, {"weights": "upload"}), "weights.npz", first)
    before = chart_traces(at)["f"]["z"]
    upload(at, "weights.npz", second)
    after = chart_traces(at)["f"]["z"]
    assert not np.array_equal(before, after)
    weights = trained.accept_upload(second)
    np.testing.assert_allclose(after, run_model(ModelSpec(trained=weights.key), weights).traces[0].f[0].T, rtol=1e-6)


def test_a_model_far_larger_than_the_app_allows_is_refused_before_its_weights_are_read():
    at = open_page(EXPLORE, {"weights": "upload"})
    for units, dtype, message in (
        (
            2048,
            np.float64,
            "bytes; an .npz file saved by the app (Explore's weights or the Train page's model) may hold at most 16,777,216",
        ),  # 3 x 2048 zero units: 655 KB, 400 MB unpacked
        (512, np.float32, "num_units = 512; the app accepts at most 256"),  # small enough to unpack, still too big
    ):
        cfg = LSTMConfig(input_size=2, num_units=units)
        layers = [cfg] * (3 if units == 2048 else 1)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            config=np.array(cfg.to_json()),
            kernel=np.zeros((2 + units, 4 * units), dtype),
            bias=np.zeros(4 * units, dtype),
            **({f"extra{k}": np.zeros((units, 4 * units), dtype) for k in range(len(layers) - 1)}),
        )
        upload(at, f"huge{units}.npz", buffer.getvalue())
        assert message in page_text(at, "error"), units
        assert chart_traces(at)["f"]["z"].shape == (4, 60)  # the sidebar's own model is shown instead


def test_crafted_model_metadata_gets_a_message_at_upload_and_the_pages_keep_working():
    model = init_model(make_task("recall", 10), TrainSettings(units=3))
    header = {"configs": [c.to_dict() for c in model.configs], "output": "softmax", "meta": {"metric": "high"}}
    buffer = io.BytesIO()
    np.savez(buffer, header=np.array(json.dumps(header)), **model.arrays())
    at = upload(open_page(EXPLORE, {"weights": "upload"}), "crafted.npz", buffer.getvalue())
    assert "meta.metric_name" in page_text(at, "error")
    at.switch_page("app_pages/step_through.py").run()
    assert not at.exception


def test_trained_runs_are_keyed_by_what_they_use():
    at = open_page(EXPLORE, {"weights": "recall"})
    keys = set(runs.CACHE._entries)
    assert at.number_input(key="seed").disabled  # the sidebar says these weights bring their own cell
    at.session_state["seed"] = 7  # as another page (or a link) would leave it
    at.session_state["num_units"] = 9
    at.run()
    assert not at.exception
    assert {k for k in runs.CACHE._entries if "recall" in k} == {k for k in keys if "recall" in k}


def test_a_link_asking_for_too_much_is_refused_with_the_limit_before_anything_runs():
    huge = {"preset": "random", "steps": "2000", "features": "64", "layers": "3"}
    huge |= {"num_units": "256", "num_units_2": "256", "num_units_3": "256"}
    before = set(runs.CACHE._entries)
    at = open_page("app_pages/compare.py", {**huge, "variants": "basic,peephole,coupled,NIG", "fb01": "true"})
    text = page_text(at, "info", "error")
    assert "This comparison is too large" in text and "at most 2,000,000" in text and "12,288,000 cells" in text
    at = open_page("app_pages/gradient_flow.py", {**huge, "forget_bias": "2"})
    assert "This gradient flow is too large" in page_text(at, "info")
    new = set(runs.CACHE._entries) - before
    # Only each page's own sidebar run, which is within the limit on its own, was computed.
    assert len([key for key in new if key.startswith("run:")]) <= 2
    assert not [key for key in new if key.startswith("flow:")]


def test_a_configuration_file_cannot_step_around_the_limit():
    document = {"preset": "custom", "custom": " | ".join(["; ".join(["1, 2"] * 2000)] * 8), "num_units": 256}
    at = open_page(EXPLORE)
    upload(at, "eight.json", json.dumps(document).encode(), key="config_file")
    at.run()
    text = page_text(at, "error", "info")
    assert "cannot be run" in text and "at most 2,000,000" in text and "8 sequences × 2,000 steps" in text


def test_a_download_is_built_once_per_run_and_a_huge_one_is_not_offered():
    spec = ModelSpec(units=(5,), inputs=InputSpec(steps=30))
    first = runs.download("trace_npz", spec, None, 0)
    assert runs.download("trace_npz", spec, None, 0) is first  # the second click reuses the file
    with np.load(io.BytesIO(first)) as data:
        np.testing.assert_array_equal(data["layer1_f"], run_model(spec).traces[0].f)
    big = open_page(
        EXPLORE, {"steps": "2000", "layers": "3", "num_units": "256", "num_units_2": "256", "num_units_3": "256"}
    )
    captions = page_text(big, "caption")
    assert "more than the 64 MB a download may be" in captions
    labels = [button.label for button in big.get("download_button")]
    assert "Trace, all arrays (.npz)" not in labels and any(label.startswith("Weights") for label in labels)
    assert exports.estimated_bytes("trace_npz", run_model(spec), 0) < exports.MAX_DOWNLOAD_BYTES


def _reachable_page_namespaces(root) -> list[str]:
    """The files of page scripts whose namespace (globals) can be reached from ``root``."""
    found, seen, stack = set(), set(), [root]
    while stack and len(seen) < 200_000:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type | types.ModuleType | str | bytes | int | float):
            continue
        seen.add(id(item))
        if isinstance(item, dict) and str(item.get("__file__", "")).replace("\\", "/").find("app_pages/") >= 0:
            found.add(item["__file__"])
            continue
        if isinstance(item, types.FunctionType):
            stack.append(item.__globals__)
        stack.extend(gc.get_referents(item))
    return sorted(found)


def test_no_widget_keeps_a_page_and_its_runs_alive():
    for page in PAGES:
        at = open_page(page)
        widgets = at._session_state._state._new_widget_state.widget_metadata
        assert widgets, page
        assert _reachable_page_namespaces(widgets) == [], page


def test_clearing_streamlits_caches_costs_speed_only():
    """Any websocket client can send Streamlit's clear_cache; the app keeps its own cache and works on."""
    import streamlit as st

    at = open_page(EXPLORE)
    before = chart_traces(at)["f"]["z"]
    st.cache_data.clear()
    st.cache_resource.clear()
    runs.CACHE.clear()  # even if our own cache were emptied, the page recomputes
    at.run()
    assert not at.exception
    np.testing.assert_array_equal(chart_traces(at)["f"]["z"], before)
