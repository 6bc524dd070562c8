"""The Compare page through AppTest: variants chosen, the numbers in every heatmap, the differences,
the summary, the equations, forget_bias 0 vs 1, and the link."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from helpers import chart_by_key, open_page, page_text
from tools.browser import decode_traces
from ui.model import ModelSpec, run_model

PAGE = "app_pages/compare.py"
ROWS = ("i", "j", "f", "o", "new_c", "new_h")


def compare_page(query: dict | None = None) -> AppTest:
    return open_page(PAGE, query, timeout=90)


def panels(at: AppTest, key: str) -> dict[str, np.ndarray]:
    """{"quantity · column title": z (units, steps)} of a comparison chart."""
    return {name: trace["z"] for name, trace in decode_traces(chart_by_key(at, key)["data"]).items() if "z" in trace}


def variant_trace(key: str, peepholes_everywhere: bool = False, **spec):
    base = ModelSpec(**spec)
    return run_model(base.with_variant(key, peepholes_everywhere)).traces[0]


def markdown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def test_default_page_shows_basic_peephole_coupled_with_every_number_right() -> None:
    at = compare_page()
    values = panels(at, "compare_values")
    titles = {"basic": "basic", "peephole": "peephole", "coupled": "coupled (CIFG)"}
    assert len(values) == 6 * 3
    traces = {key: variant_trace(key) for key in titles}
    for key, title in titles.items():
        for name in ROWS:
            z = values[f"{name} · {title}"]
            np.testing.assert_array_equal(z, getattr(traces[key], name)[0].T.astype(np.float32), err_msg=name)
    # The coupled cell's identity is visible in what is drawn.
    np.testing.assert_allclose(values["i · coupled (CIFG)"], 1 - values["f · coupled (CIFG)"], atol=1e-6)
    # One colour axis per quantity, shared by its columns.
    spec = chart_by_key(at, "compare_values")
    axes = {trace["name"].split(" · ")[0]: set() for trace in spec["data"]}
    for trace in spec["data"]:
        axes[trace["name"].split(" · ")[0]].add(trace["coloraxis"])
    assert all(len(names) == 1 for names in axes.values()) and len({*map(frozenset, axes.values())}) == 6


def test_difference_maps_equal_the_difference_of_the_traces() -> None:
    at = compare_page()
    diffs = panels(at, "compare_differences")
    basic = variant_trace("basic")
    assert len(diffs) == 6 * 2
    for key, title in (("peephole", "peephole − basic"), ("coupled", "coupled (CIFG) − basic")):
        other = variant_trace(key)
        for name in ROWS:
            expected = (getattr(other, name)[0] - getattr(basic, name)[0]).T.astype(np.float32)
            np.testing.assert_array_equal(diffs[f"{name} · {title}"], expected, err_msg=name)
        assert np.abs(diffs[f"new_h · {title}"]).max() > 1e-3  # the change is visible
    # The scale of each difference row is symmetric.
    layout = chart_by_key(at, "compare_differences")["layout"]
    for axis in [value for key, value in layout.items() if key.startswith("coloraxis")]:
        assert axis["cmin"] == -axis["cmax"] > -np.inf


def test_choosing_variants_changes_the_columns_the_link_and_the_notes() -> None:
    at = compare_page()
    at.multiselect(key="variants_widget").set_value(["basic", "NFG", "NOAF"]).run()
    assert not at.exception
    assert at.query_params["variants"] == "basic,NFG,NOAF"
    values = panels(at, "compare_values")
    assert np.all(values["f · no forget gate (NFG)"] == 1)
    noaf = variant_trace("NOAF")
    np.testing.assert_allclose(values["new_h · no output activation (NOAF)"], (noaf.o[0] * noaf.new_c[0]).T, atol=1e-6)
    table = at.dataframe[0].value
    assert list(table.columns) == ["basic", "NFG", "NOAF"]
    assert table.loc["c₀ kept after 60 steps", "NFG"] == "100.0%"
    assert table.loc["memory half-life", "NFG"] == "never (f = 1)"
    assert table.loc["parameters", "basic"] == "112"
    text = markdown(at)
    assert "f = 1: nothing is forgotten" in text and "h = o ⊙ c is not squashed by tanh" in text
    # A shared link reproduces the same figures.
    again = compare_page({"variants": "basic,NFG,NOAF"})
    for name, z in panels(again, "compare_values").items():
        np.testing.assert_array_equal(z, values[name])


def test_parameter_counts_and_equations_show_what_each_variant_changes() -> None:
    at = compare_page({"variants": "basic,coupled,NIG"})
    table = at.dataframe[0].value
    # 2 features + 4 units + bias, 4 units per block: basic 4 blocks, coupled and NIG 3.
    assert [table.loc["parameters", c] for c in table.columns] == ["112", "84", "84"]
    latex = [element.value.replace("$$", "").replace(r"\small", "").strip() for element in at.latex]
    basic, coupled, nig = latex[0::3], latex[1::3], latex[2::3]  # one row per equation: f, i, j, c, o, h
    assert not any(r"\cancel" in text or "#D55E00" in text for text in basic)  # the reference is plain
    assert r"\cancel{\sigma ( i_{pre} )}" in coupled[1] and "#D55E00}1 - f_t" in coupled[1]
    assert r"\cancel{\sigma ( i_{pre} )}" in nig[1] and "#D55E00}1" in nig[1]
    # Only the input gate's line differs: the others are the reference's, unmarked.
    for k in (0, 2, 3, 4, 5):
        assert coupled[k] == nig[k] == basic[k]


def test_four_variants_put_their_equations_in_two_groups_of_two() -> None:
    # Four side by side cut the peephole equations off at a quarter of the page's width.
    at = compare_page({"variants": "basic,peephole,coupled,NIG", "peep_all": "true"})
    heads = [m.value for m in at.markdown if m.value.startswith("**") and m.value.endswith("**")]
    labels = [h.strip("*") for h in heads[-4:]]
    assert labels == ["basic", "peephole", "coupled (CIFG)", "no input gate (NIG)"], heads
    latex = [element.value.replace("$$", "").replace(r"\small", "").strip() for element in at.latex]
    assert len(latex) == 4 * 6
    first, second = latex[:12], latex[12:]  # basic and peephole, then coupled and NIG, a row per equation
    basic, coupled = first[0::2], second[0::2]
    assert r"w_f \odot c_{t-1}" in basic[0]  # peepholes everywhere: the whole f line, t-1 included
    assert r"\cancel" not in "".join(basic)
    assert r"1 - f_t" in coupled[1]  # compared with the same reference as before


def test_forget_bias_zero_against_one_in_one_click() -> None:
    at = compare_page({"variants": "basic,coupled"})
    at.toggle(key="fb01").set_value(True).run()
    assert not at.exception
    assert at.query_params["fb01"] == "true"
    values = panels(at, "compare_values")
    assert len(values) == 6 * 4
    diffs = panels(at, "compare_differences")
    title = "basic, forget_bias 1 − 0"
    at0 = variant_trace("basic", forget_bias=0.0)
    at1 = variant_trace("basic", forget_bias=1.0)
    np.testing.assert_array_equal(diffs[f"f · {title}"], (at1.f[0] - at0.f[0]).T.astype(np.float32))
    assert np.all(diffs[f"f · {title}"][:, 0] > 0)  # same first-step inputs: a larger bias keeps more
    assert "forget_bias 1 against 0" in markdown(at)


def test_zero_peephole_strength_makes_the_peephole_cell_the_basic_cell() -> None:
    at = compare_page({"variants": "basic,peephole", "peep_scale": "0"})
    diffs = panels(at, "compare_differences")
    assert all(np.all(z == 0) for z in diffs.values())
    assert "identical" in " ".join(a["text"] for a in chart_by_key(at, "compare_differences")["layout"]["annotations"])
    at.slider(key="peep_scale").set_value(2.0).run()
    assert max(np.abs(z).max() for z in panels(at, "compare_differences").values()) > 0.01


@pytest.mark.parametrize(
    ("variants", "message"),
    [("basic,bogus", "ignored `bogus`"), ("basic", "at least two"), ("NFG,,NFG,<script>", "ignored")],
)
def test_bad_variant_lists_get_a_message_not_a_traceback(variants: str, message: str) -> None:
    at = compare_page({"variants": variants})
    shown = "\n".join(str(e.value) for e in [*at.info, *at.warning, *at.error])
    assert message in shown


def test_peepholes_everywhere_gives_greffs_vanilla_variants() -> None:
    at = compare_page({"variants": "peephole,NOG", "peep_all": "true"})
    values = panels(at, "compare_values")
    nog = variant_trace("NOG", peepholes_everywhere=True)
    assert nog.config.use_peepholes and nog.config.no_output_gate
    np.testing.assert_array_equal(values["new_c · no output gate (NOG)"], nog.new_c[0].T.astype(np.float32))
    assert np.all(values["o · no output gate (NOG)"] == 1)


def test_with_peepholes_everywhere_basic_and_peephole_are_said_to_be_one_cell() -> None:
    at = compare_page({"variants": "basic,peephole,coupled", "peep_all": "true"})
    same = [z for name, z in panels(at, "compare_differences").items() if "peephole" in name]
    assert len(same) == 6 and all(np.all(z == 0) for z in same), len(same)
    text = markdown(at)
    assert "Identical to basic: with peepholes everywhere, basic has them too, so they are the same cell." in text
    assert "not the cell this variant changes" not in text
    assert "BasicLSTMCell: no peepholes" not in text and "BasicLSTMCell given peepholes" in text
    assert "Here with peepholes, as every variant." in text  # the coupled card
    captions = page_text(at, "caption", sep=" ")
    assert "differs from the start" in captions and "Only the first step" not in captions
    # Without it, basic is the plain cell again.
    assert "BasicLSTMCell: no peepholes" in markdown(compare_page({"variants": "basic,peephole"}))


def test_notes_only_credit_a_change_when_the_reference_is_the_cell_it_changes() -> None:
    at = compare_page({"variants": "NFG,NIG"})
    text = markdown(at)
    assert "There is no forget gate (f = 1)" in text  # the reference card does not claim σ(forget_bias)
    assert "is not the cell this variant changes in one place" in text
    assert "i = 1: every step adds all of j" not in text
    at = compare_page({"variants": "NFG", "fb01": "true"})
    assert "forget_bias has nothing to act on" in markdown(at)
    assert len(panels(at, "compare_values")) == 6 * 2  # one variant is enough for 0 against 1
    assert all(np.all(z == 0) for z in panels(at, "compare_differences").values())


def test_four_variants_say_that_four_is_the_most() -> None:
    at = compare_page({"variants": "basic,peephole,coupled,NFG,NIG"})
    assert "At most 4 variants side by side" in page_text(at, "caption")
    assert "At most 4 variants" not in page_text(compare_page({"variants": "basic,NFG"}), "caption")
