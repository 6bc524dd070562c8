"""The fast figures are valid Plotly (checked against Plotly's full schema) and carry the trace's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import validated
from lstm_core import LSTMConfig, init_params, run
from tools.browser import decode_traces
from viz.heatmaps import trace_heatmaps
from viz.lines import state_lines


def make_trace(steps: int = 12, units: int = 3, features: int = 2):
    cfg = LSTMConfig(input_size=features, num_units=units)
    inputs = np.random.default_rng(0).normal(size=(2, steps, features))
    return run(cfg, init_params(cfg, seed=1), inputs)


@pytest.mark.parametrize("show_pre", [False, True])
def test_heatmaps_are_valid_and_exact(show_pre: bool) -> None:
    trace = make_trace()
    spec = validated(trace_heatmaps(trace, 1, show_pre=show_pre, step=3, step_labels=tuple("abcdefghijkl")))
    traces = decode_traces(spec["data"])
    gate = "f_pre" if show_pre else "f"
    np.testing.assert_array_equal(traces[gate]["z"], getattr(trace, gate)[1].T.astype(np.float32))
    if not show_pre:  # hover shows the pre-activation beside the gate
        np.testing.assert_array_equal(traces[gate]["customdata"], trace.f_pre[1].T.astype(np.float32))
    assert spec["layout"]["xaxis"]["ticktext"][:3] == ["a", "b", "c"]
    assert spec["layout"]["shapes"][0]["x0"] == 2.5  # the marker around step 3


def test_pooled_heatmaps_average_bins_of_steps() -> None:
    trace = make_trace(steps=100, units=4)
    spec = validated(trace_heatmaps(trace, 0, budget=100))  # 100 steps x 4 units over a 100-cell budget
    z = decode_traces(spec["data"])["new_c"]["z"]
    assert z.shape == (4, 25)
    np.testing.assert_allclose(z[:, 0], trace.new_c[0, :4].mean(axis=0), rtol=1e-6)
    assert "mean of 4 steps" in spec["layout"]["title"]["text"]


def test_lines_are_valid_and_exact() -> None:
    trace = make_trace()
    spec = validated(state_lines(trace, 0, [0, 2], step=5))
    traces = decode_traces(spec["data"])
    assert list(traces) == ["c unit 0", "h unit 0", "c unit 2", "h unit 2", "step 5"]
    np.testing.assert_array_equal(traces["h unit 2"]["y"], trace.new_h[0, :, 2].astype(np.float32))
    assert spec["layout"]["shapes"][0]["x0"] == 5
    # One dot per line where it crosses the selected step, in the line's colour.
    dots = spec["data"][-1]
    assert dots["x"] == [5] * 4
    assert dots["y"] == [
        float(trace.new_c[0, 5, 0]),
        float(trace.new_h[0, 5, 0]),
        float(trace.new_c[0, 5, 2]),
        float(trace.new_h[0, 5, 2]),
    ]
    assert dots["marker"]["color"] == [line["line"]["color"] for line in spec["data"][:4]]
    assert all(line["mode"] == "lines" for line in spec["data"][:4])
    assert [t["name"] for t in validated(state_lines(trace, 0, [0, 2]))["data"]] == list(traces)[:4]


@pytest.mark.parametrize(
    "options",
    [{}, {"use_peepholes": True}, {"coupled": True}, {"cell_clip": 0.1}, {"num_proj": 2, "proj_clip": 0.5}],
)
def test_diagram_is_valid_for_every_variant(options: dict) -> None:
    from viz.diagram import cell_diagram
    from viz.stepview import step_values

    cfg = LSTMConfig(input_size=2, num_units=3, **options)
    trace = run(cfg, init_params(cfg, seed=2), np.random.default_rng(3).normal(size=(1, 9, 2)))
    validated(cell_diagram(cfg, step_values(trace, 0, 4, 1), c_bound=2.0))


def colorscales(node) -> list:
    """Every "colorscale" value anywhere in a figure spec (but its theme template)."""
    if isinstance(node, dict):
        found = [value for key, value in node.items() if key == "colorscale"]
        return found + [scale for key, value in node.items() if key != "template" for scale in colorscales(value)]
    if isinstance(node, list):
        return [scale for value in node for scale in colorscales(value)]
    return []


def test_compare_figures_are_valid_and_spell_out_their_colour_scales() -> None:
    """Plotly.js has no "RdBu_r" and its own "RdBu" is grey in the middle: the figures, which skip
    the Python-side validation that would translate names, must carry explicit scales. (The
    first of several colour axes once kept its name and drew a grey-centred scale.)"""
    from viz.compare import Column, difference_heatmaps, value_heatmaps

    runs = []
    for options in ({}, {"no_forget_gate": True}, {"no_output_activation": True}):
        cfg = LSTMConfig(input_size=2, num_units=3, **options)
        runs.append(run(cfg, init_params(cfg, seed=2), np.random.default_rng(3).normal(size=(1, 9, 2))))
    columns = [Column("basic", "basic", runs[0]), Column("NFG", "NFG", runs[1], 0), Column("NOAF", "NOAF", runs[2], 0)]
    for fig in (value_heatmaps(columns), difference_heatmaps(columns), trace_heatmaps(runs[0])):
        spec = validated(fig)
        scales = colorscales(spec)
        assert scales and all(isinstance(scale, list | tuple) for scale in scales)
    values = validated(value_heatmaps(columns))
    from viz.style import GATE_SCALE

    assert values["layout"]["coloraxis"]["colorscale"] == GATE_SCALE  # the gates' scale for the first row (i)
    differences = validated(difference_heatmaps(columns))
    traces = decode_traces(differences["data"])
    f_axis = differences["layout"][traces["f · NFG − basic"]["coloraxis"]]
    assert f_axis["colorscale"][5][1] == "rgb(247,247,247)"  # white at zero
    np.testing.assert_array_equal(traces["f · NFG − basic"]["z"], (1 - runs[0].f[0]).T.astype(np.float32))
    # One scale per quantity for every panel of its row (a small change looks small), reaching the
    # row's largest difference; each panel's own largest difference is written above it.
    peaks = [float(np.max(np.abs(r.new_h[0] - runs[0].new_h[0]))) for r in runs[1:]]
    h_axis = differences["layout"][traces["new_h · NOAF − basic"]["coloraxis"]]
    assert traces["new_h · NFG − basic"]["coloraxis"] == traces["new_h · NOAF − basic"]["coloraxis"]
    assert h_axis["cmax"] == -h_axis["cmin"] >= max(peaks) and h_axis["cmax"] < 2 * max(peaks) + 1e-12
    from viz.format import tick

    notes = [a["text"] for a in differences["layout"]["annotations"]]
    assert all(any(f"largest ±{tick(p)}" == n for n in notes) for p in peaks)
    same = validated(difference_heatmaps([columns[0], Column("peephole", "copy", runs[0], 0)]))
    assert sum(a["text"] == "identical" for a in same["layout"]["annotations"]) == 6


def test_busiest_units_prefer_changing_colours_over_a_drift_to_the_limit() -> None:
    from viz.training import busiest_units

    t = np.arange(200)
    drift = 10 * (1 - np.exp(-t / 20))  # the largest spread, but one colour after the first steps
    flips = 0.5 * np.sign(np.sin(t * 1.3))  # small, but its colour changes almost every character
    slow = np.sin(t / 30)
    values = np.stack([drift, slow, flips], axis=1)
    assert values.std(axis=0).argmax() == 0
    assert busiest_units(values) == [2, 1, 0]
    assert busiest_units(values[:1], count=2) == [0, 1]  # one character: no change anywhere, no error


def test_step_sentences_add_up_as_printed() -> None:
    # "Cell state: 0.336 -> 0.265, down by 0.071": the change is the difference of the printed numbers.
    import re

    from viz.stepview import sentences, step_values

    cfg = LSTMConfig(input_size=2, num_units=3)
    trace = run(cfg, init_params(cfg, seed=5), np.random.default_rng(6).normal(size=(1, 200, 2)))
    checked = 0
    for t in range(200):
        for unit in range(3):
            text = sentences(cfg, step_values(trace, 0, t, unit))
            old, new, rest = re.match(r"Cell state: (-?[\d.]+) -> (-?[\d.]+), (.*)$", text["new_c"]).groups()
            difference = round(float(new) - float(old), 3)
            if difference == 0:
                assert rest == "unchanged to three decimals.", text["new_c"]
            else:
                direction, by = re.match(r"(up|down) by ([\d.]+)\.$", rest).groups()
                assert float(by) == abs(difference) and direction == ("up" if difference > 0 else "down")
                checked += 1
            gate, share = re.match(r"Forget gate (\d\.\d{3}): keeps ([\d.]+)%", text["f"]).groups()  # as drawn
            assert f"{float(gate) * 100:.1f}" == share, text["f"]  # 0.445 keeps 44.5%, not 44%
    assert checked > 500


def test_compare_numbers_read_as_numbers() -> None:
    # Colour-bar scales and kept fractions: no "2.1e-03" next to "0.01", no "10^-9".
    from viz.format import fraction as _fraction
    from viz.format import tick as _tick

    assert [_tick(v) for v in (0.5, -0.25, 0.0123, 0.0021, -0.00912, 0)] == [
        "0.50",
        "−0.25",
        "0.012",
        "0.0021",
        "−0.0091",
        "0.00",
    ]
    assert _tick(9.9e-5) == "9.9 × 10⁻⁵" and _tick(-2.1e-7) == "−2.1 × 10⁻⁷"
    assert [_fraction(v) for v in (1.0, 0.5, 0.0012, 4.4e-9, 0.0)] == ["100.0%", "50.0%", "0.1%", "4.4 × 10⁻⁹", "0"]


def test_line_charts_of_one_or_three_steps_tick_whole_steps_only() -> None:
    from viz.lines import state_lines

    for steps in (1, 3):
        cfg = LSTMConfig(input_size=2, num_units=3)
        trace = run(cfg, init_params(cfg), np.zeros((1, steps, 2)))
        xaxis = validated(state_lines(trace, 0, [0, 1], step=0))["layout"]["xaxis"]
        assert xaxis["dtick"] == 1 and xaxis["tickformat"] == "d" and xaxis["range"] == [-0.5, steps - 0.5]


def test_log_axes_write_their_labels_in_full() -> None:
    """The Train page's loss axis: 0.2 reads 0.2, not a bare 2 beside 10^-1 (Plotly's own minor labels)."""
    from lstm_core.tasks import make_task
    from lstm_core.training import Record, TrainSettings
    from ui.training_session import Progress
    from viz.figure import log_ticks
    from viz.training import progress_figure

    assert log_ticks([0.15, 0.9, 2.0]) == {
        "tickmode": "array",
        "tickvals": [0.2, 0.5, 1.0, 2.0],
        "ticktext": ["0.2", "0.5", "1", "2"],
    }
    assert log_ticks([2e-6, 3.0])["ticktext"] == ["10⁻⁵", "10⁻⁴", "0.001", "0.01", "0.1", "1"]  # powers only
    assert log_ticks([0.31, 0.52])["ticktext"] == ["0.4", "0.5"]  # short: every digit, still in full
    assert log_ticks([0.31, 0.38]) == {}  # one label at most: Plotly's own ticks
    history = [Record(step, loss, 1.0, None) for step, loss in enumerate([1.4, 0.8, 0.35, 0.12, 0.04])]
    task = make_task("recall")
    run = Progress(task, TrainSettings(), history, None, None, len(history))
    axis = progress_figure({"run": run}, task, "run").to_plotly_json()["layout"]["yaxis"]
    assert axis["type"] == "log" and axis["ticktext"] == ["0.05", "0.1", "0.2", "0.5", "1"]
