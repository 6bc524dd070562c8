"""The Step-through page through AppTest: what the live view is sent, and the server-side page it falls
back to (stepping, the numbers in the equations, each variant's drawing)."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from helpers import chart_by_key as chart
from helpers import open_page, page_text
from lstm_core.sequences import InputSpec
from ui import live_step
from ui.model import ModelSpec, run_model
from viz import frametable
from viz.stepview import DIGITS

PAGE = "app_pages/step_through.py"


def step_page(query: dict | None = None) -> AppTest:
    return open_page(PAGE, query)


def equation_values(at: AppTest) -> dict[str, float]:
    """{left-hand symbol: the number each substituted equation ends with}."""
    out = {}
    for element in at.latex:
        text = element.value
        if r"\\" not in text or "begin{gathered}" not in text:
            continue
        numeric = text.split(r"\\", 1)[1].replace(r"\end{gathered}", "").replace("$$", "").strip()
        symbol = numeric.split("=", 1)[0].strip()
        last = numeric.rsplit("=", 1)[1].strip()
        if re.fullmatch(r"-?\d+\.\d+", last):
            out[symbol] = float(last)
    return out


def diagram_text(at: AppTest) -> str:
    return " ".join(a["text"] for a in chart(at, "cell_diagram")["layout"]["annotations"])


def expected_trace(**spec):
    return run_model(ModelSpec(**spec)).traces[0]


def test_equations_show_the_trace_numbers_and_stepping_changes_them() -> None:
    at = step_page({"step": "5", "unit": "2"})
    trace = expected_trace()
    shown = equation_values(at)
    expected = {
        "f_t": trace.f[0, 5, 2],
        "i_t": trace.i[0, 5, 2],
        "j_t": trace.j[0, 5, 2],
        "c_t": trace.new_c[0, 5, 2],
        "o_t": trace.o[0, 5, 2],
        "h_t": trace.new_h[0, 5, 2],
    }
    assert set(shown) == set(expected)
    for name, value in expected.items():
        assert shown[name] == pytest.approx(round(float(value), DIGITS), abs=10**-DIGITS), name

    at.button(key="step_next").click().run()
    assert at.slider(key="step").value == 6
    after = equation_values(at)
    assert after["c_t"] == pytest.approx(round(float(trace.new_c[0, 6, 2]), DIGITS), abs=10**-DIGITS)
    assert after != shown
    assert f"{trace.new_c[0, 6, 2]:.3f}" in diagram_text(at)  # the drawing follows
    at.button(key="step_prev").click().run()
    at.button(key="step_prev").click().run()
    assert at.slider(key="step").value == 4
    assert at.query_params["step"] == "4"


def test_first_step_cannot_go_back() -> None:
    at = step_page()
    at.button(key="step_prev").click().run()
    assert at.slider(key="step").value == 0
    assert not at.exception


@pytest.mark.parametrize(
    ("query", "in_equations", "in_diagram", "absent"),
    [
        ({}, [r"i_t = \sigma\left(i_{pre}\right)"], ["<b>i</b> σ"], ["w_f", "1 - f", "clip", "W_{proj}"]),
        (
            {"peepholes": "true"},
            [r"w_f \odot c_{t-1}", r"w_i \odot c_{t-1}", r"w_o \odot c_t"],
            ["w<sub>f</sub>", "w<sub>o</sub>"],
            ["1 - f"],
        ),
        ({"coupled": "true"}, [r"i_t = 1 - f_t"], ["<b>1 - f</b>"], [r"\sigma\left(i_{pre}"]),
        ({"cell_clip": "0.5"}, [r"\operatorname{clip}"], ["clip<br>±0.5"], ["w_f"]),
        ({"num_proj": "2"}, [r"W_{proj}", "m_t ="], ["W<sub>proj</sub>"], ["clip"]),
    ],
)
def test_each_variant_draws_its_own_diagram_and_equations(query, in_equations, in_diagram, absent) -> None:
    at = step_page({**query, "step": "3"})
    latex = " ".join(element.value for element in at.latex)
    drawing = diagram_text(at)
    for text in in_equations:
        assert text in latex, text
    for text in in_diagram:
        assert text in drawing, text
    for text in absent:
        assert text not in latex and text not in drawing, text


def test_coupled_input_gate_is_one_minus_f_in_the_numbers() -> None:
    at = step_page({"coupled": "true", "step": "2", "unit": "1"})
    shown = equation_values(at)
    assert shown["i_t"] == pytest.approx(1 - shown["f_t"], abs=2 * 10**-DIGITS)


def live_view(at: AppTest) -> tuple[dict, dict]:
    """(the frames the live view was sent, decoded from JSON; its small data: step, forget bias...)."""
    frames = view = None
    for node in at.main:
        if node.type == "bidi_component" and node.proto.component_name == live_step.NAME:
            if node.proto.id.endswith(live_step.PAYLOAD_KEY):
                frames = json.loads(node.proto.bytes)
            elif node.proto.id.endswith(live_step.VIEW_KEY):
                view = json.loads(node.proto.json)
    assert frames is not None and view is not None, "no live view on the page"
    return frames, view


def test_the_live_view_gets_every_step_of_the_unit_at_every_forget_bias_it_can_show() -> None:
    at = step_page({"unit": "3", "steps": "700", "step": "650", "forget_bias": "0.5"})
    frames, view = live_view(at)
    trace = expected_trace(inputs=InputSpec(steps=700), forget_bias=0.5)
    assert view["payload"] == frames["id"] and view["step"] == 650 and view["fb"] == 0.5
    assert frames["steps"] == 700 and frames["unit"] == 3
    assert 11 <= len(frames["biases"]) < 101 and 0.5 in frames["biases"]  # a coarser grid at 700 steps
    k = frames["biases"].index(0.5)
    for t in (0, 650, 699):
        shown = frametable.decode(frames["table"], k * 700 + t)
        assert float(shown["v:c"]) == pytest.approx(float(trace.new_c[0, t, 3]), abs=5e-4)
        assert float(shown["v:f"]) == pytest.approx(float(trace.f[0, t, 3]), abs=5e-4)
    assert view["fbNote"] == "" and "Too large to precompute" not in page_text(at, "caption")


def test_above_the_budget_forget_bias_goes_through_the_server_and_the_page_says_so() -> None:
    at = step_page({"steps": "2000", "step": "1500"})
    frames, view = live_view(at)
    assert frames["biases"] == [1.0] and frames["steps"] == 2000  # Play and the step still live
    reason = page_text(at, "caption", sep=" ")
    assert "Too large to precompute every forget_bias" in reason and "8 MB" in reason
    assert "through the server" in view["fbNote"]
    assert at.slider(key="forget_bias").value == 1.0  # the slider of before, by the drawing
    at.slider(key="forget_bias").set_value(0.4).run()
    frames, view = live_view(at)
    assert view["fb"] == 0.4 and frames["biases"] == [0.4]


def test_trained_weights_send_forget_bias_to_their_own_control() -> None:
    at = step_page({"weights": "spikes"})
    frames, view = live_view(at)
    assert view["fbLabel"] == "forget_bias, instead of the trained one" and len(frames["biases"]) == 101
    assert at.session_state["_live_step_fb_target"][0] == "trained_fb"


def test_presenter_mode_hides_the_controls_but_keeps_the_step_buttons() -> None:
    at = step_page({"present": "true"})
    assert at.toggle(key="present").value is True
    assert any("stSidebar" in element.proto.body for element in at.get("html"))
    assert at.button(key="step_next") is not None
    at.toggle(key="present").set_value(False).run()
    assert not any("stSidebar" in element.proto.body for element in at.get("html"))


def test_matrix_view_writes_out_small_kernels() -> None:
    at = step_page({"preset": "notebook_one_step", "num_units": "2"})
    latex = " ".join(element.value for element in at.latex)
    assert r"1 \times 8" in latex  # [x_t, h_(t-1)]: 6 inputs + 2 units
    assert "bmatrix" in latex


def test_trained_demo_weights_are_stepped_through_too() -> None:
    """?weights=spikes: the equations show the trained model's numbers at the chosen step."""
    from ui.model import ModelSpec, run_model

    at = open_page("app_pages/step_through.py", {"weights": "spikes", "step": "3"})
    trace = run_model(ModelSpec(trained="spikes")).traces[0]
    shown = equation_values(at)
    for name, value in {"f_t": trace.f[0, 3, 0], "c_t": trace.new_c[0, 3, 0], "h_t": trace.new_h[0, 3, 0]}.items():
        assert shown[name] == pytest.approx(round(float(value), DIGITS), abs=10**-DIGITS), name
    assert "Spike timing" in page_text(at, "caption", sep=" ")


def test_a_text_input_shows_its_character_in_the_drawing_not_zeros() -> None:
    # The first two entries of a one-hot vector are almost always 0: the box named the wrong thing.
    at = step_page({"preset": "text", "step": "0"})
    label = run_model(ModelSpec(inputs=InputSpec(preset="text"))).sequence.step_labels[0]
    drawing = diagram_text(at)
    (x_box,) = [
        a["text"] for a in chart(at, "cell_diagram")["layout"]["annotations"] if a["text"].startswith("<b>x<sub>")
    ]
    assert x_box == f"<b>x<sub>t</sub></b><br>'{label}' (one-hot)"
    assert not re.search(r"[-−]0\.0+(?!\d)", drawing), drawing  # no negative zero anywhere in the boxes
    at = step_page({"preset": "text", "step": "0", "layers": "2", "layer": "2"})
    assert "(one-hot)" not in diagram_text(at)  # layer 2 reads layer 1's h, not the text
