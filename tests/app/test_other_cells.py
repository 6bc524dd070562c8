"""The plain RNN (BasicRNNCell) and the GRU (GRUCell) on Compare, Gradient flow and Train, through
AppTest: what is drawn is the core's numbers for those cells, rows a cell lacks are empty and say so,
the notes' numbers are the gradients', and the findings tab shows the shipped results."""

from __future__ import annotations

import math

import numpy as np

from helpers import chart_by_key, live_flow_notes, open_page, open_tab, page_text, press
from lstm_core import BasicRNNConfig, GRUConfig, LSTMConfig, grad, init_params, run
from lstm_core.experiments import RESULTS, read_csv
from lstm_core.sequences import InputSpec, make_inputs
from tools.browser import decode_traces
from viz.gradflow import FB_COLORS, RNN_COLOR
from viz.notes.gradflow import kept_text
from viz.training import GRU_COLOR

X = make_inputs(InputSpec()).values  # the sidebar's default input: a sine wave, 60 steps, 2 features


def core_run(config):
    """The cell's run on the default input with the default weight seed (0), straight from the core."""
    return run(config, init_params(config, seed=0), X)


def panels(at, key: str) -> dict[str, np.ndarray]:
    return {name: t["z"] for name, t in decode_traces(chart_by_key(at, key)["data"]).items() if "z" in t}


def shown(at) -> str:
    return page_text(at, "markdown", "caption", "info", "warning", "error") + "\n" + live_flow_notes(at)


# ----------------------------------------------------------------------------- Compare


def test_a_compare_link_with_lstm_gru_and_rnn_draws_each_cells_own_numbers() -> None:
    at = open_page("app_pages/compare.py", {"variants": "basic,gru,rnn"}, timeout=90)
    values = panels(at, "compare_values")
    lstm = core_run(LSTMConfig(input_size=2, num_units=4))
    gru = core_run(GRUConfig(input_size=2, num_units=4))
    rnn = core_run(BasicRNNConfig(input_size=2, num_units=4))
    expected = {
        **{f"{name} · basic": getattr(lstm, name) for name in ("i", "j", "f", "o", "new_c", "new_h")},
        **{f"{name} · GRU": getattr(gru, name) for name in ("r", "u", "c", "new_h")},
        "new_h · plain RNN": rnn.new_h,
    }
    assert set(values) == set(expected)  # nothing drawn for a quantity a cell does not have
    for name, array in expected.items():
        np.testing.assert_array_equal(values[name], array[0].T.astype(np.float32), err_msg=name)
    # The rows a cell lacks are empty panels that say why, not zeros.
    layout = chart_by_key(at, "compare_values")["layout"]
    notes = [a["text"].replace("<br>", " ") for a in layout["annotations"]]
    assert notes.count("a plain RNN has no gates and no cell state") == 5  # i, j, f, o, c
    assert notes.count("a plain RNN has no gates") == 3  # r, u, c̃
    assert "no forget gate in a GRU (u keeps h)" in notes and "an LSTM has no reset gate" in notes
    # h is on one colour scale for all three cells.
    h_axes = {t["coloraxis"] for t in chart_by_key(at, "compare_values")["data"] if t["name"].startswith("new_h ·")}
    assert len(h_axes) == 1
    axis = layout[h_axes.pop()]
    assert (axis["cmin"], axis["cmax"]) == (-1.0, 1.0)
    # Only LSTMs are subtracted: with one LSTM there is no difference chart, and the page says why.
    assert "compare_differences" not in " ".join(c.id for c in at.get("plotly_chart"))
    assert "a difference from an LSTM would not be what one connection changes" in shown(at)


def test_the_table_counts_each_cells_parameters_and_leaves_what_it_lacks_empty() -> None:
    at = open_page("app_pages/compare.py", {"variants": "basic,gru,rnn"}, timeout=90)
    table = at.dataframe[0].value
    assert list(table.columns) == ["basic", "GRU", "RNN"]
    # (2 inputs + 4 units) x 4 units + 4 biases per block: the LSTM 4 blocks, the GRU 3, the RNN 1.
    assert [table.loc["parameters", c] for c in table.columns] == ["112", "84", "28"]
    assert list(table.loc["forget_bias"]) == ["1", "—", "—"]
    assert list(table.loc["f: mean (min to max)"])[1:] == ["—", "—"]
    assert table.loc["r: mean (min to max)", "basic"] == "—"
    gru = core_run(GRUConfig(input_size=2, num_units=4))
    u = gru.u[0]
    assert table.loc["u: mean (min to max)", "GRU"] == f"{u.mean():.2f} ({u.min():.2f} to {u.max():.2f})"
    # The notes are the numbers: the GRU's update gate, the parameter ratios.
    text = shown(at)
    assert f"The update gate u averages {u.mean():.2f}" in text
    assert "84 parameters, 0.75 of basic's 112" in text and "28 parameters, 0.25 of basic's 112" in text
    # Each cell's own equations; h_t on the last line of each.
    latex = [e.value for e in at.latex]
    assert len(latex) == 6 + 4 + 1
    assert r"\tilde{c}_t" in latex[-2] and r"h_t = \tanh" in latex[-1]


def test_the_nfg_variant_shows_no_forget_bias_and_the_differences_say_rounded_up() -> None:
    at = open_page("app_pages/compare.py", {"variants": "basic,NFG"}, timeout=90)
    table = at.dataframe[0].value
    assert table.loc["forget_bias", "basic"] == "1" and table.loc["forget_bias", "NFG"] == "—"
    assert "largest difference in the row **rounded up**" in "\n".join(str(c.value) for c in at.caption)


def test_forget_bias_zero_against_one_runs_the_gru_once() -> None:
    at = open_page("app_pages/compare.py", {"variants": "basic,gru", "fb01": "true"}, timeout=90)
    titles = {name.split(" · ")[1] for name in panels(at, "compare_values")}
    assert titles == {"basic, forget_bias 0", "basic, forget_bias 1", "GRU"}


# ----------------------------------------------------------------------------- Gradient flow


def rnn_ratio() -> np.ndarray:
    """log10 ||dL/dh_t|| / ||dL/dh_T|| of the plain RNN on the default input, L = sum(h_T)."""
    trace = core_run(BasicRNNConfig(input_size=2, num_units=4))
    norms = np.linalg.norm(grad(trace, None, np.ones((1, 4))).dh[0], axis=1)
    return np.log10(norms / norms[-1])


def lstm_ratio(forget_bias: float) -> np.ndarray:
    trace = core_run(LSTMConfig(input_size=2, num_units=4, forget_bias=forget_bias))
    norms = np.linalg.norm(grad(trace, None, (np.ones((1, 4)), None)).dc[0], axis=1)
    return np.log10(norms / norms[-1])


def test_gradient_flow_draws_the_plain_rnn_beside_the_lstm_with_the_numbers_in_the_note() -> None:
    at = open_page("app_pages/gradient_flow.py", timeout=120)
    lines = {n: t for n, t in decode_traces(chart_by_key(at, "gradient_flow_lines")["data"]).items()}
    rnn = lines["plain RNN (tanh) · ‖∂L/∂h_t‖"]
    expected = rnn_ratio()
    floor = math.log10(float(np.min(rnn["y"])))
    shown_above = expected > floor + 1e-6  # below the axis's floor the line lies on it (a note says so)
    np.testing.assert_allclose(np.log10(rnn["y"])[shown_above], expected[shown_above], atol=1e-6)
    assert rnn["line"]["color"] == RNN_COLOR
    # The vanishing gradient at a glance: 30 steps back, the RNN keeps far less than the LSTM at 1.
    assert expected[-31] < lstm_ratio(1.0)[-31] - 1
    text = shown(at)
    assert f"30 steps back, the plain RNN (tanh) keeps {kept_text(expected[-31])} of the error" in text
    assert f"{kept_text(lstm_ratio(1.0)[-31])} at forget_bias 1 (slider)" in text
    assert f"{kept_text(lstm_ratio(0.0)[-31])} at forget_bias 0" in text
    # Its per-unit |dL/dh_t| is a panel of its own on the heatmaps' one colour scale.
    trace = core_run(BasicRNNConfig(input_size=2, num_units=4))
    dh = grad(trace, None, np.ones((1, 4))).dh[0]
    heat = decode_traces(chart_by_key(at, "gradient_flow_heatmaps")["data"])
    np.testing.assert_allclose(heat["plain RNN (tanh)"]["z"], np.log10(np.abs(dh)).T, rtol=1e-5, atol=1e-5)
    assert {t["coloraxis"] for t in heat.values()} == {"coloraxis"}
    # It can be turned off, and the link remembers.
    at.toggle(key="flow_rnn").set_value(False).run()
    names = decode_traces(chart_by_key(at, "gradient_flow_lines")["data"])
    assert not any("RNN" in name for name in names) and at.query_params["flow_rnn"] == "false"
    assert "plain RNN (tanh)" not in decode_traces(chart_by_key(at, "gradient_flow_heatmaps")["data"])
    assert "the plain RNN (tanh) keeps" not in shown(at)


# ----------------------------------------------------------------------------- Train


def test_train_runs_a_plain_rnn_and_a_gru_and_draws_their_own_quantities() -> None:
    at = press(open_page("app_pages/train.py", {"train_variant": "rnn", "train_steps": "30"}, timeout=120), "Train")
    assert at.number_input(key="train_fb").disabled  # no forget gate to add it to
    (trainer,) = at.session_state["_trainers"].values()
    assert type(trainer.model.configs[0]).__name__ == "BasicRNNConfig" and trainer.steps_done == 30
    assert "RNN, 16 units, no forget gate" in next(iter(at.session_state["_trainers"]))
    assert set(panels(at, "train_heatmaps")) == {"new_h · plain RNN"}
    assert "Explore and Step through show LSTMs only" in shown(at)

    at.selectbox(key="train_variant").set_value("gru").run()
    press(at, "Train")
    gru = at.session_state["_trainers"][next(k for k in at.session_state["_trainers"] if ", GRU," in k)]
    drawn = panels(at, "train_heatmaps")
    assert set(drawn) == {"r · GRU", "u · GRU", "c · GRU", "new_h · GRU"}
    (trace,), _ = gru.model.run(gru.test_batch.inputs[:1], gru.test_batch.lengths)
    np.testing.assert_allclose(drawn["u · GRU"], trace.u[0].T, rtol=1e-6, atol=1e-7)
    # Both runs on one chart: the forget_bias colours are not used (one LSTM forget_bias, none here).
    legend = {t["name"] for t in chart_by_key(at, "train_progress")["data"]}
    assert legend == {"RNN", "GRU"}


def test_runs_that_differ_by_forget_bias_take_the_gradient_flow_pages_colours() -> None:
    at = press(open_page("app_pages/train.py", {"train_steps": "20", "train_fb": "0"}, timeout=120), "Train")
    at.number_input(key="train_fb").set_value(1.0).run()
    press(at, "Train")
    at.selectbox(key="train_variant").set_value("gru").run()
    press(at, "Train")
    colours = {t["name"]: t["line"]["color"] for t in chart_by_key(at, "train_progress")["data"]}
    assert colours == {
        "basic, forget_bias 0": FB_COLORS[0.0],
        "basic, forget_bias 1": FB_COLORS[1.0],
        "GRU, no forget gate": GRU_COLOR,
    }
    layout = chart_by_key(at, "train_progress")["layout"]
    assert layout["yaxis"]["type"] == "log" and layout["yaxis"]["minor"]["ticks"] == "outside"
    starts = [t.start_metric for t in at.session_state["_trainers"].values()]
    names = ["basic, forget_bias 0", "basic, forget_bias 1", "GRU, no forget gate"]
    scored = ", ".join(f"{value:.0%} ({name})" for value, name in zip(starts, names, strict=True))
    assert f"here it scored {scored}. Anywhere from 0 to about 50%" in shown(at)
    # A table of the runs, and the chart stays when the settings have no run yet.
    assert len([d for d in at.dataframe if "solved at step" in d.value.columns]) == 1
    at.number_input(key="train_seed").set_value(5).run()
    assert "Nothing trained yet" in shown(at) and len(chart_by_key(at, "train_progress")["data"]) == 6


def test_the_findings_tab_shows_the_cells_results_beside_the_claims() -> None:
    at = open_tab(open_page("app_pages/train.py", timeout=120), "Published findings, checked")
    summary = read_csv(RESULTS / "cells_summary.csv")
    assert {row["setting"] for row in summary} == {"RNN", "GRU", "LSTM"}
    assert {row["task"] for row in summary} == {f"Delayed recall ({d} steps)" for d in (10, 20, 40)}
    (table,) = [d.value for d in at.dataframe if set(d.value.get("setting", [])) == {"RNN", "GRU", "LSTM"}]
    assert len(table) == 9
    bars = {t["name"]: t["y"] for t in chart_by_key(at, "findings_cells")["data"]}
    for cell in ("RNN", "GRU", "LSTM"):
        assert bars[cell] == [float(r["success_rate"]) for r in summary if r["setting"] == cell]
    text = shown(at)
    row = next(r for r in summary if r["setting"] == "LSTM" and "40" in r["task"])
    assert f"LSTM {row['solved']} of {row['runs']}" in text  # the verdict is the file's numbers
    assert "Bengio et al. (1994)" in text and "Measured on this task (delay 40" in text
