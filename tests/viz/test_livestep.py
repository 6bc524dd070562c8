"""The live Step-through view's frames: every piece the browser shows is the string the page prints.

viz.frametable sends templates once and numbers per frame; viz.livestep makes the frames from the
same canvas, equations and sentences as the server-drawn page. These tests decode frames as
live_step.js does (viz.frametable.decode) and compare them with those functions at the same step
and forget bias, from a separate run of lstm_core at that forget bias.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from plotly.colors import sample_colorscale

from lstm_core.sequences import InputSpec
from ui import live_step, sweeps
from ui.model import ModelSpec, run_model
from viz import frametable, livestep
from viz.diagram import cell_canvas
from viz.numbers import cell_signature
from viz.stepview import equations, sentences, step_values, unit_arrays, values_at
from viz.style import GATE_SCALE, SIGNED_SCALE, color_channels, color_range, hex_color, value_color, value_colors


@pytest.mark.parametrize(
    ("scale", "low", "high"),
    [(GATE_SCALE, 0.0, 1.0), (SIGNED_SCALE, -1.0, 1.0), (SIGNED_SCALE, -0.5, 0.5), (GATE_SCALE, 1.0, 1.0)],
)
def test_value_colors_are_plotlys_colours_bit_for_bit(scale, low, high) -> None:
    values = np.concatenate([np.random.default_rng(0).uniform(-2, 2, 3000), [0.0, 1.0, -1.0, 0.5, 0.125, -0.0, 5.0]])
    expected = [
        sample_colorscale(scale, [0.5 if high <= low else min(max((v - low) / (high - low), 0.0), 1.0)])[0]
        for v in values
    ]
    assert value_colors(values, scale, low, high) == expected
    assert value_color(float(values[5]), scale, low, high) == expected[5]
    rgb = color_channels(values[:3], scale, low, high)
    assert [hex_color(c) for c in expected[:3]] == ["#{:02x}{:02x}{:02x}".format(*c) for c in rgb.tolist()]


def test_a_table_decodes_to_every_frames_strings() -> None:
    kinds = {"a": frametable.Kind(lambda s: s.upper()), "b": frametable.Kind(str, lambda n: f"<{n}>")}
    frames = [
        {"a:x": f"gate {v:.3f} of (-{v:.4f})", "b": f"{100 * v:.1f}% #00ff{k:02x}", "a:fixed": "same 0.5"}
        for k, v in enumerate([0.25, 0.5, 1.75])
    ]
    table = frametable.encode(frames, kinds)
    assert table["static"] == {"a:fixed": "SAME 0.5"}
    assert table["dynamic"] == ["a:x", "b"]
    assert len(table["shapes"]) == 1 and len(table["skeletons"]) == 2  # the numbers vary, the text does not
    assert table["frames"][1] == "0 0.500 (-0.5000) <50.0%> <#00ff01>"
    for k, frame in enumerate(frames):
        decoded = frametable.decode(table, k)
        assert decoded == {name: kinds[name.split(":")[0]].render(text) for name, text in frame.items()}


def test_svg_labels_and_mathml() -> None:
    assert livestep.svg_text("<b>c<sub>t-1</sub></b><br>0.336") == (
        '<tspan x="0" dy="-0.6em"><tspan font-weight="bold">c<tspan baseline-shift="sub" font-size="70%">t-1'
        '</tspan></tspan></tspan><tspan x="0" dy="1.2em">0.336</tspan>'
    )
    with pytest.raises(ValueError, match="unexpected markup"):
        livestep.svg_text("<i>x</i>")
    math = livestep.mathml(r"f_t = \sigma\left(" + frametable.SLOT + r"\right)")
    assert math.startswith("<math") and math.count(frametable.SLOT) == 1 and "<mn>\x00</mn>" in math


VARIANTS = [
    ModelSpec(),
    ModelSpec(peepholes=True, cell_clip=0.5, init_state="random"),
    ModelSpec(coupled=True, num_proj=2),
    ModelSpec(activation="relu", units=(3, 2)),
    ModelSpec(inputs=InputSpec(preset="text", text="to be or not")),
]


@pytest.mark.parametrize("spec", VARIANTS, ids=["basic", "peep-clip", "coupled-proj", "relu-2-layers", "text"])
def test_each_frame_is_what_the_page_prints_at_that_step_and_forget_bias(spec: ModelSpec) -> None:
    model = run_model(spec)
    layer, unit = len(model.traces), 1
    data, shown = live_step.frames(model, 0, layer, unit)
    sent = json.loads(data)
    assert shown.reason == "" and shown.biases == sent["biases"] and len(shown.biases) == 101
    assert sent["id"] == shown.id and len(data) <= sweeps.LIVE_BYTES
    steps = sent["steps"]
    for fb, t in [(-5.0, 0), (0.3, 3), (1.0, steps - 1), (4.9, 7)]:
        k = sent["biases"].index(fb)
        run = run_model(replace(spec, forget_bias=fb)).traces[layer - 1]
        v = step_values(run, 0, t, unit)
        decoded = frametable.decode(sent["table"], k * steps + t)
        kinds = livestep.KINDS
        for eq in equations(run.config, v):
            assert decoded[f"eq:{eq.name}"] == kinds["eq"].render(eq.numeric), (fb, t, eq.name)
        for name, text in sentences(run.config, v).items():
            assert decoded[f"say:{name}"] == kinds["say"].render(text)
        label = model.sequence.step_labels[t]
        x_name = f"'{label}'" if layer == 1 and label != str(t) else None
        canvas = cell_canvas(run.config, v, c_bound=color_range("new_c", run.new_c[0], run.config)[1], x_name=x_name)
        for name, text in canvas.texts().items():
            assert decoded[f"svg:{name}"] == livestep.svg_text(text), name
        for name, fill in canvas.fills().items():
            color = fill.color() if hasattr(fill, "color") else fill
            assert decoded[f"fill:{name}"] == hex_color(color), name
        assert float(decoded["v:c"]) == pytest.approx(float(run.new_c[0, t, unit]), abs=5e-4)
        assert sent["titles"][k] == f"{cell_signature(run.config)}, layer {layer}"


def test_the_unrolled_view_and_timeline_read_pieces_every_frame_has() -> None:
    model = run_model(ModelSpec(coupled=True, num_proj=3))
    sent = json.loads(live_step.frames(model, 0, 1, 0)[0])
    names = set(frametable.decode(sent["table"], 0))
    used = set()
    for item in sent["unrolled"]["items"] + sent["drawing"]["items"]:
        for value in item.values():
            if isinstance(value, dict) and "piece" in value:
                used.add(value["piece"])
    assert used <= names, used - names
    assert {f"fill:{box}" for box, _ in sent["timeline"]} <= names
    assert [box for box, _ in sent["timeline"]] == ["f", "i", "j", "o", "c"]  # h is a projection: no colour of its own
    slots = {item["slot"] for item in sent["unrolled"]["items"] if item["slot"] is not None}
    assert slots == set(range(sent["unrolled"]["cells"])) == set(range(5))


def test_the_values_of_a_step_come_from_the_trace() -> None:
    trace = run_model(ModelSpec(inputs=InputSpec(steps=40), init_state="random")).traces[0]
    arrays = unit_arrays(trace, 0, 2)
    for t in (0, 1, 39):
        v = values_at(arrays, t, 2, {"w_i": None, "w_f": None, "w_o": None})
        assert v.t == t and v.f == trace.f[0, t, 2] and v.m == trace.m[0, t, 2]
        np.testing.assert_array_equal(v.new_h, trace.new_h[0, t])
    first, later = values_at(arrays, 0, 2, {}), values_at(arrays, 5, 2, {})
    assert first.c_prev == trace.initial_state.c[0, 2] and later.c_prev == trace.new_c[0, 4, 2]
    np.testing.assert_array_equal(first.h_prev, trace.initial_state.h[0])


def test_the_grid_coarsens_with_the_steps_and_is_skipped_at_the_largest() -> None:
    longer = run_model(ModelSpec(inputs=InputSpec(steps=300)))
    data, shown = live_step.frames(longer, 0, 1, 0)
    assert shown.reason == "" and 11 <= len(shown.biases) < 101 and len(data) <= sweeps.LIVE_BYTES
    largest = run_model(ModelSpec(inputs=InputSpec(steps=2000)))
    data, shown = live_step.frames(largest, 0, 1, 0)
    assert shown.biases == [1.0] and "8 MB" in shown.reason and "through the server" in shown.reason
    sent = json.loads(data)
    assert sent["steps"] == 2000 and len(sent["table"]["frames"]) == 2000  # Play still has every step
