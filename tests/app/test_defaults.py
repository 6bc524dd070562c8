"""The app's defaults show memory at work: Explore and Step through open on the trained delayed-recall
model, Step through at a step where something happens, both with a "What to notice" written from the run."""

from __future__ import annotations

import numpy as np

from helpers import chart_traces, charts, notes_shown, open_page, page_text
from lstm_core import run_stack
from ui import trained
from viz import notice


def longest_half_peak_run(c: np.ndarray) -> int:
    """The most consecutive steps in which one unit's |c| stays at least half of that unit's peak."""
    best = 0
    for row in np.abs(c):
        above = row >= row.max() / 2
        length = 0
        for flag in above:
            length = length + 1 if flag else 0
            best = max(best, length)
    return best


def test_explore_opens_on_a_memory_that_persists_and_says_where_it_is() -> None:
    at = open_page("app_pages/explore.py", app_defaults=True)
    assert at.selectbox(key="weights").value == "recall"
    bands = chart_traces(at, 0)
    # What the learner sees: some unit's c band stays above half its peak for at least 5 steps.
    assert longest_half_peak_run(bands["new_c"]["z"]) >= 5
    # The note, recomputed from lstm_core on the input the page shows (the x band: features x steps).
    demo = trained.demo("recall")
    traces = run_stack(list(demo.configs), list(demo.params), bands["x"]["z"].T[None])
    memory = notice.longest_memory(traces[0])
    assert memory.half_gone is None  # its forget gates keep more than half of it to the end
    text = notes_shown(at)
    assert "What to notice" in text
    assert f"Unit {memory.unit} keeps a memory longest" in text
    assert f"{memory.kept[-1]:.0%} of it is still there at t = {memory.end}" in text
    swing = notice.biggest_swing(traces[0])
    assert f"of unit {swing.unit}" in text and f"at t = {swing.t}" in text


def test_step_through_opens_on_the_unit_that_keeps_memory_at_the_first_step_with_one_to_keep() -> None:
    at = open_page("app_pages/step_through.py", app_defaults=True)
    explore = open_page("app_pages/explore.py", app_defaults=True)
    demo = trained.demo("recall")
    x = chart_traces(explore, 0)["x"]["z"].T[None]
    memory = notice.longest_memory(run_stack(list(demo.configs), list(demo.params), x)[0])
    assert at.selectbox(key="unit").value == memory.unit
    assert at.query_params["step"] == "1" and at.query_params["unit"] == str(memory.unit)
    assert f"Unit {memory.unit}'s memory" in page_text(at, "markdown")


def test_a_link_that_names_the_step_or_unit_opens_there() -> None:
    at = open_page("app_pages/step_through.py", {"step": "5", "unit": "2"}, app_defaults=True)
    assert at.selectbox(key="unit").value == 2 and at.query_params["step"] == "5"
    at = open_page("app_pages/step_through.py", {"unit": "3"}, app_defaults=True)
    assert at.selectbox(key="unit").value == 3 and "step" not in at.query_params  # t = 0, as named


def test_explores_line_chart_shows_the_unit_what_to_notice_names_until_units_are_picked() -> None:
    at = open_page("app_pages/explore.py", app_defaults=True)
    demo = trained.demo("recall")
    x = chart_traces(at, 0)["x"]["z"].T[None]
    memory = notice.longest_memory(run_stack(list(demo.configs), list(demo.params), x)[0])
    assert memory.unit in at.multiselect(key="units_widget").value
    assert f"c unit {memory.unit}" in [trace["name"] for trace in charts(at)[1].figure["data"]]
    picked = open_page("app_pages/explore.py", {"units": "0,1"}, app_defaults=True)
    assert picked.multiselect(key="units_widget").value == [0, 1]
