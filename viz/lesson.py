"""The Learn page's story, chapter by chapter: text, figures and predict-first questions written from
the runs each chapter shows (ui.lesson makes the runs; app_pages/learn.py draws the chapters).

Every number a chapter's text quotes is computed here from the run passed in, and so is which answer
of its question is right (a question about what the run will do is answered by the run). Chapters
keep the numbers they quote in ``Chapter.numbers``, so that the tests can recompute each from lstm_core.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go

from lstm_core import LSTMStateTuple, Trace

from .compare import half_life_text, heatmaps_alt, make_columns, value_heatmaps
from .diagram import cell_diagram, diagram_alt
from .figure import figure, typed
from .format import fmt, ten_to
from .gradflow import Flow, flow_lines, steps_until_below
from .heatmaps import heatmap_alt, trace_heatmaps
from .lines import lines_alt, state_lines
from .notice import closed_form_half_life, gate, longest_memory
from .numbers import state_repr
from .stepview import step_values
from .style import FONT_FAMILY
from .training import findings_figure

LETTERS = "abcd"
#: The chapters as the menu at the top of the Learn page names them.
SHORT_TITLES = {
    1: "One step",
    2: "Memory",
    3: "forget_bias",
    4: "A trained cell",
    5: "The error",
    6: "Variants",
    7: "Train",
}


@dataclass(frozen=True)
class Question:
    """A predict-first question: the learner answers, then the chapter reveals what the run did."""

    prompt: str
    options: tuple[str, ...]
    answer: int | None  # the right option (from the run); None until the run exists (chapter 7)
    why: str  # said once answered (Markdown)


@dataclass(frozen=True)
class Shown:
    """One thing a chapter shows: a chart (``body`` a Figure, ``alt`` its text), code or Markdown."""

    kind: str  # "chart", "code", "markdown"
    body: Any
    alt: str = ""
    key: str = ""
    height: int | None = None  # presenter mode's height for a chart
    wide: bool = False  # presenter mode: the page's whole width (under the text), not beside the text


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str
    minutes: int  # in the teacher's plan
    text: tuple[str, ...]  # Markdown paragraphs
    question: Question
    before: tuple[Shown, ...] = ()  # shown from the start
    after: tuple[Shown, ...] = ()  # revealed with the answer
    explore: str = ""  # the page "Explore this yourself" opens (its path)
    explore_settings: dict = field(default_factory=dict)  # the controls it sets there
    explore_label: str = ""
    ask: str = ""  # what the teacher asks the class (the plan)
    numbers: dict[str, float] = field(default_factory=dict)  # every number the text quotes


def right(question: Question) -> str:
    """The right option's text."""
    return question.options[question.answer] if question.answer is not None else ""


# --------------------------------------------------------------------------- numbers


def spike_unit(trace: Trace, batch: int = 0) -> int:
    """The unit whose cell state the spike moved most (at step 0)."""
    return int(np.argmax(np.abs(trace.new_c[batch, 0])))


def kept_fraction(trace: Trace, unit: int, batch: int = 0) -> np.ndarray:
    """|c_t| / |c_0| of ``unit``: how much of what the first step wrote is left at each step."""
    c = np.abs(trace.new_c[batch, :, unit].astype(np.float64))
    return c / c[0]


def half_life(fraction: np.ndarray) -> int | None:
    """The first step at which less than half is left (None: never within the sequence)."""
    below = np.nonzero(fraction < 0.5)[0]
    return int(below[0]) if below.size else None


def steps_text(steps: int | None, total: int) -> str:
    return (
        f"more than {total - 1} steps (never, in this sequence)"
        if steps is None
        else f"{steps} step{'s' * (steps != 1)}"
    )


# --------------------------------------------------------------------------- 1. one step


def one_step(trace: Trace, unit: int = 0) -> Chapter:
    """The seed notebook's one step: x = [[3, 2, 2, 2, 2, 2]], 4 units, zero state."""
    cfg = trace.config
    v = step_values(trace, 0, 0, unit)
    written = v.i * v.j
    state = LSTMStateTuple(trace.new_c[0:1, 0], trace.new_h[0:1, 0])
    nonzero = bool(np.any(np.abs(trace.new_c[0, 0]) > 1e-12))
    options = (
        "Still all zeros: the cell has not remembered anything yet.",
        "i ⊙ j: what the input gate lets in of the new candidate j.",
        "The input x itself, copied in.",
    )
    return Chapter(
        1,
        "One step of the cell",
        6,
        (
            "An LSTM cell reads a sequence **one step at a time**. At each step it takes the input **x** and "
            "its own previous output **h**, and updates a memory, the **cell state c**.",
            "A layer has several **units** (here 4), side by side: each holds one number of the memory c and "
            "one of the output h. Four numbers per unit decide what happens, all computed from [x, h] by one "
            "matrix product: the **input gate i**, the **candidate j** (the new value it could write; the heatmaps "
            "call it the *new input*), the **forget gate f** and the **output gate o**.",
            "The gates go through **σ**, the sigmoid, which squashes any number into 0 (shut) to 1 (open); j and "
            "the output go through **tanh**, which squashes into -1 to 1. **⊙** multiplies unit by unit. Then "
            "`new_c = f ⊙ c + i ⊙ j` and `new_h = o ⊙ tanh(new_c)`.",
            "Here is the very first example of TensorFlow's tutorial: one step of 6 inputs, "
            f"x = [[3, 2, 2, 2, 2, 2]], into a cell of {cfg.num_units} units that starts with c = 0 and h = 0.",
        ),
        Question(
            "The cell starts with c = 0. What is its cell state c after this one step?",
            options,
            1 if nonzero else 0,
            f"The old memory is 0, so `f ⊙ c` adds nothing; what the input gate lets in of the candidate is all "
            f"there is. For unit {unit}: i = {fmt(v.i)} of j = {fmt(v.j)} gives c = {fmt(written)}. x itself never "
            "goes into c: it only feeds the gates and the candidate, through the weights.",
        ),
        after=(
            Shown(
                "chart",
                cell_diagram(cfg, v),
                diagram_alt(cfg, v),
                key="learn_1_diagram",
                height=520,
            ),
            Shown(
                "markdown",
                "The state after the step, printed as the notebook prints it (c first, then h, one row per "
                "sequence, one value per unit):",
            ),
            Shown("code", state_repr(state)),
        ),
        explore="app_pages/step_through.py",
        explore_settings={"preset": "notebook_one_step", "step": 0, "unit": unit, "weights": "random"},
        explore_label="Open this step on Step through",
        ask="Before the reveal: 'c starts at 0. Can one step put anything into it?' Then point at i and j in the drawing.",
        numbers={"i": v.i, "j": v.j, "c": written, "f": v.f, "o": v.o, "h": float(trace.new_h[0, 0, unit])},
    )


# --------------------------------------------------------------------------- 2. memory


def memory(trace: Trace) -> Chapter:
    """One spike, then silence: c carries the spike forward and the forget gate decides how long."""
    steps = trace.num_steps
    unit = spike_unit(trace)
    fraction = kept_fraction(trace, unit)
    life = half_life(fraction)
    mean_f = float(trace.f[0, 1:, unit].mean())
    fb = trace.config.forget_bias
    next_step = float(fraction[1])
    options = (
        "It drops back to 0 at the next step: the spike is gone.",
        "It fades: at every step a part of it is lost.",
        "It stays exactly where the spike left it.",
    )
    answer = 0 if next_step < 0.1 else 2 if life is None and abs(fraction[-1] - 1) < 0.01 else 1
    return Chapter(
        2,
        "Memory: one spike, then silence",
        7,
        (
            f"Now a sequence of {steps} steps: the input is **3 at step 0, then 0** for every later step. "
            "Whatever the cell knows about the spike after step 0, it must carry in its memory c.",
            "At each step `c = f ⊙ c_prev + i ⊙ j`: the forget gate f says which part of the old memory is kept. "
            f"These are random weights, with TensorFlow's default forget_bias = {fb:g}.",
        ),
        Question(
            "After the spike, the input is 0. What does the cell state c do?",
            options,
            answer,
            f"Unit {unit}, the one the spike moved most, starts at c = {fmt(float(trace.new_c[0, 0, unit]))}. At every "
            f"step the old c is multiplied by the forget gate, which stays near {fmt(mean_f, 2)}: after 1 step "
            f"{fraction[1]:.0%} is left, and **half of it is gone after {steps_text(life, steps)}** (the memory's "
            "half-life). What is lost is not always lost for good: the cell also feeds its own output back into j, "
            "which can write a little into c again.",
        ),
        after=(
            Shown(
                "chart",
                state_lines(trace, 0, list(range(trace.config.num_units))),
                lines_alt(trace, 0, list(range(trace.config.num_units))),
                key="learn_2_lines",
                height=480,
            ),
        ),
        explore="app_pages/explore.py",
        explore_settings={},  # filled by ui.lesson (the chapter's input)
        explore_label="Explore this run (every gate, every step)",
        ask="'The input is silent after step 0. Where does the cell keep the spike?' Then: 'Which gate decides for how long?'",
        numbers={"unit": unit, "c0": float(trace.new_c[0, 0, unit]), "mean_f": mean_f, "kept_1": next_step}
        | ({"half_life": life} if life is not None else {}),
    )


# --------------------------------------------------------------------------- 3. forget_bias

FB_VALUES = (-3.0, 0.0, 1.0, 3.0)
FB_COLOURS = {-3.0: "#CC79A7", 0.0: "#D55E00", 1.0: "#0072B2", 3.0: "#009E73"}


def decay_figure(fractions: dict[float, np.ndarray], shown: tuple[float, ...], unit: int) -> go.Figure:
    """|c_t| / |c_0| of one unit at each forget_bias (solid, log y), with sigmoid(fb)^t dashed."""
    steps = len(next(iter(fractions.values())))
    x = np.arange(steps, dtype=np.float32)
    data = []
    for fb in shown:
        colour = FB_COLOURS.get(fb, "#000000")
        kept = np.maximum(fractions[fb], 1e-12)
        closed = gate(fb) ** np.arange(steps)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": typed(x),
                "y": typed(kept.astype(np.float32)),
                "name": f"forget_bias {fb:g}: measured",
                "line": {"color": colour, "width": 3},
                "marker": {"size": 5},
                "hovertemplate": f"forget_bias {fb:g}, step %{{x}}: %{{y:.3g}} of c is left<extra></extra>",
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": typed(x),
                "y": typed(np.maximum(closed, 1e-12).astype(np.float32)),
                "name": f"σ({fb:g})^t = {gate(fb):.2f}^t",
                "line": {"color": colour, "width": 2, "dash": "dash"},
                "hovertemplate": f"σ({fb:g})^t at step %{{x}}: %{{y:.3g}}<extra></extra>",
            }
        )
    layout = {
        "height": 460,
        "margin": {"l": 70, "r": 20, "t": 20, "b": 50},
        "font": {"family": FONT_FAMILY, "size": 14},
        "xaxis": {"title": {"text": "step t"}, "dtick": 5 if steps > 12 else 1},
        "yaxis": {
            "title": {"text": f"unit {unit}: |c_t| / |c_0| (log)"},
            "type": "log",
            "dtick": 1,  # decades only: a log axis's 2 and 5 labels are drawn small
            "exponentformat": "power",  # 10⁻⁴, not 100μ
            "range": [-4, math.log10(max(2.0, max(float(fractions[fb].max()) for fb in shown) * 1.5))],
        },
        "legend": {"orientation": "h", "y": -0.18},
        "shapes": [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": 0.5,
                "y1": 0.5,
                "line": {"color": "#888", "dash": "dot"},
            }
        ],
        "annotations": [
            {
                "xref": "paper",
                "x": 1,
                "y": math.log10(0.5),
                "text": "half",
                "showarrow": False,
                "xanchor": "right",
                "yanchor": "bottom",
            }
        ],
    }
    return figure(data, layout)


def forget_bias_chapter(traces: dict[float, Trace]) -> Chapter:
    """The same spike and weights at forget_bias -3, 0, 1 and 3; measured decay beside sigmoid(fb)^t."""
    default = traces[1.0]
    steps = default.num_steps
    unit = spike_unit(default)
    fractions = {fb: kept_fraction(trace, unit) for fb, trace in traces.items()}
    lives = {fb: half_life(fraction) for fb, fraction in fractions.items()}
    longest = max(FB_VALUES, key=lambda fb: steps if lives[fb] is None else lives[fb])
    grown = float(fractions[max(FB_VALUES)][-1])
    options = tuple(f"forget_bias {fb:g}" for fb in FB_VALUES)
    lines = [
        f"- forget_bias **{fb:g}**: σ({fb:g}) = {gate(fb):.3f}; half of c is gone after "
        f"**{steps_text(lives[fb], steps)}** (if f were exactly σ({fb:g}) at every step: {closed_form_half_life(fb):.1f})."
        for fb in FB_VALUES
    ]
    return Chapter(
        3,
        "forget_bias: how long the memory lasts",
        8,
        (
            "TensorFlow's cell adds **forget_bias** to the forget gate's input at every step: "
            "`f = σ(f_pre + forget_bias)`. When the weights have nothing to say (f_pre near 0, as in a fresh, "
            "untrained network), the gate sits at σ(forget_bias): σ(0) = 0.5 halves the memory at every step; "
            "σ(1) = 0.73 keeps almost three quarters.",
            "Kept for t steps, that is σ(forget_bias)^t: the dashed line. Below is the same spike, the same "
            f"weights, unit {unit}, at forget_bias 1 (the default); the question is what the others do.",
        ),
        Question(
            "At which forget_bias does the spike's memory last longest?",
            options,
            FB_VALUES.index(longest),
            "A larger forget_bias pushes every forget gate towards 1, so each step keeps more of c. "
            "Then why does TensorFlow use 1 and not 3? A cell that hardly forgets cannot clear its memory: at "
            + (
                f"forget_bias 3 this unit's c does not fade, it grows to {grown:.1f} times its first value by the last "
                "step, as the cell keeps adding to it."
                if grown >= 1
                else f"forget_bias 3 this unit still holds {grown:.0%} of the spike {steps - 1} steps later, whatever "
                "came after it."
            )
            + " Gers et al. (2000) introduced the forget gate because cells "
            "that never forget fill up on long inputs. Training moves each gate where the task needs it; 1 is a "
            "starting point that remembers for a few steps and can still learn to forget: Jozefowicz et al. (2015) "
            "found that it closes most of the gap to the best recurrent cells they searched.",
        ),
        before=(
            Shown(
                "chart",
                decay_figure(fractions, (1.0,), unit),
                f"Line chart: how much of unit {unit}'s first cell state is left at each step at forget_bias 1.",
                key="learn_3_decay",
                height=500,
            ),
        ),
        after=(
            Shown(
                "chart",
                decay_figure(fractions, FB_VALUES, unit),
                f"Line chart: how much of unit {unit}'s first cell state is left at forget_bias -3, 0, 1 and 3, "
                "measured (solid) and sigmoid(forget_bias)^t (dashed).",
                key="learn_3_decay",
                height=500,
            ),
            Shown("markdown", "\n".join(lines)),
            Shown(
                "markdown",
                "Where the solid line leaves the dashed one, the weights are not silent: the cell's own output, fed "
                "back, writes into c again. Drag forget_bias on Explore and watch c's band follow.",
            ),
        ),
        explore="app_pages/explore.py",
        explore_settings={"forget_bias": 3.0},
        explore_label="Explore it at forget_bias 3 (drag the slider there)",
        ask="Vote with hands for -3, 0, 1, 3 before the reveal. Then: 'why would an untrained network want f near 1?'",
        numbers={f"half_life_{fb:g}": (lives[fb] if lives[fb] is not None else -1) for fb in FB_VALUES}
        | {"unit": unit, "longest": longest, "grown": grown},
    )


# --------------------------------------------------------------------------- 4. a trained cell


def trained_chapter(
    trained: Trace,
    broken: Trace,
    accuracy: float,
    broken_accuracy: float,
    trained_fb: float,
    broken_fb: float,
    compact: bool = False,
) -> Chapter:
    """The shipped delayed-recall model: it holds the symbol in c; pushed to forget, it fails.
    ``compact``: band labels for presenter mode (viz.heatmaps.trace_heatmaps)."""
    cue = delay = trained.num_steps - 1  # the symbol at step 0, the cue at the last step
    c = trained.new_c[0]
    # The unit Explore's "What to notice" names too: the one whose forget gates keep its memory best.
    memory = longest_memory(trained)
    unit = memory.unit if memory is not None else int(np.argmax(np.abs(c[cue])))
    mean_f = float(trained.f[0, 1:cue, unit].mean())
    broken_f = float(broken.f[0, 1:cue, unit].mean())
    kept = float(np.prod(trained.f[0, 1 : cue + 1, unit].astype(np.float64)))
    options = ("Above 90%: it still recalls.", "From 40% to 90%: it often forgets.", "Below 40%: near chance (25%).")
    answer = 0 if broken_accuracy > 0.9 else 1 if broken_accuracy >= 0.4 else 2
    names = ("A", "B", "C", "D", "cue")
    return Chapter(
        4,
        "A trained cell remembers on purpose",
        8,
        (
            f"This cell was trained on **delayed recall**: a symbol (A, B, C or D) arrives at step 0, then "
            f"nothing for {delay - 1} steps, then a cue asks which symbol it was. Chance is 25%; the trained model "
            f"gets **{accuracy:.0%}** of 256 fresh sequences right.",
            f"Look at unit {unit}: its forget gate stays open at about **{fmt(mean_f, 2)}** all through the wait, so "
            f"the forget gates alone pass on **{kept:.0%}** of what c held at step 0 to the cue, {delay} steps later "
            f"(σ({trained_fb:g}) = {fmt(gate(trained_fb))} at every step would keep {gate(trained_fb) ** delay:.0%}): "
            f"the symbol is held in c. It was trained with forget_bias {trained_fb:g}.",
        ),
        Question(
            f"Now we break it: the same trained weights, but forget_bias {broken_fb:g} instead of {trained_fb:g}, which "
            "pushes every forget gate towards 0. How many sequences will it still get right?",
            options,
            answer,
            f"With forget_bias {broken_fb:g}, unit {unit}'s forget gate falls to about {fmt(broken_f, 2)} during the "
            f"wait: c is wiped at every step, nothing about the symbol is left at the cue, and accuracy is "
            f"**{broken_accuracy:.0%}**. The weights did not change: the forget gate alone decided.",
        ),
        before=(
            Shown(
                "chart",
                trace_heatmaps(
                    trained, 0, step_labels=tuple(str(t) for t in range(trained.num_steps)), feature_names=names
                ),
                heatmap_alt(trained, 0, False),
                key="learn_4_trained",
                height=None,  # presenter mode: its own height, which its eight units' labels need
                wide=True,
            ),
        ),
        after=(
            Shown(
                "chart",
                value_heatmaps(
                    make_columns(
                        [
                            ("basic", f"as trained: forget_bias {trained_fb:g}", trained),
                            ("basic", f"forget_bias {broken_fb:g}", broken),
                        ]
                    ),
                    names=("f", "new_c"),
                ),
                f"Heatmaps of the forget gate and the cell state, side by side: the trained model at forget_bias "
                f"{trained_fb:g} and the same weights at {broken_fb:g}.",
                key="learn_4_broken",
                height=460,
            ),
        ),
        explore="app_pages/explore.py",
        explore_settings={"weights": "recall", "trained_fb_on": True, "trained_fb": broken_fb},
        explore_label=f"Break it yourself on Explore (forget_bias {broken_fb:g})",
        ask="'Where in the picture is the symbol kept during the wait?' (the c band of one unit). Then the vote on accuracy.",
        numbers={
            "unit": unit,
            "accuracy": accuracy,
            "broken_accuracy": broken_accuracy,
            "mean_f": mean_f,
            "broken_f": broken_f,
            "c_cue": float(c[cue, unit]),
            "kept": kept,
        },
    )


# --------------------------------------------------------------------------- 5. gradient flow

BACK = 20


def gradient_chapter(flows: list[Flow], rnn_log_ratio: np.ndarray) -> Chapter:
    """How far back the error reaches: the LSTM at forget_bias 0 and 1, a plain tanh RNN beside it."""
    zero, one = flows
    steps = zero.steps
    back = min(BACK, steps - 1)
    at = {
        "0": float(zero.log_ratio[-1 - back]),
        "1": float(one.log_ratio[-1 - back]),
        "rnn": float(rnn_log_ratio[-1 - back]),
    }
    options = ("About half of it.", "About a hundredth.", f"Less than {ten_to(-4)}: almost nothing.")
    answer = 0 if at["0"] > math.log10(0.2) else 1 if at["0"] > -3 else 2
    fig = flow_lines(flows, math.nan)  # no curve is "the slider's" here
    fig.data = [trace for trace in fig.data if trace.name.endswith("· gradient")]  # the measured curves only
    x = np.arange(steps, dtype=np.float32)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=np.power(10.0, np.maximum(rnn_log_ratio, -300)).astype(np.float64),
            mode="lines",
            name="plain RNN (tanh), same input",
            line={"color": "#000000", "width": 2.5, "dash": "dashdot"},
            hovertemplate="plain RNN, step %{x}: %{y:.2e} of the error<extra></extra>",
        )
    )
    return Chapter(
        5,
        "How far back the error reaches",
        8,
        (
            "A network learns from its error at the end, sent **back through the steps**. What arrives at step t "
            "is how much the cell can learn about what happened at step t: if nothing arrives, nothing is learned.",
            "Going back one step through the cell state multiplies the error by f. Through a plain RNN's state it "
            "is multiplied by its weights and tanh's slope at every step, which usually shrinks it.",
            f"Here the input is a sine wave of {steps} steps (random weights, 4 units) and the error is on the last "
            f"step, t = {steps - 1}: the chart shows, for every earlier step, which fraction of it arrives there (the "
            "gradient ‖∂L/∂c_t‖, how much the error would change if c_t changed a little, divided by the last "
            f"step's; log scale: each grid line is ten times smaller). {back} steps back is t = {steps - 1 - back}.",
        ),
        Question(
            f"With forget_bias 0 (f near 0.5), how much of the error at the last step reaches {back} steps back?",
            options,
            answer,
            f"{back} steps back, the error is {fmt_log(at['0'])} of itself at forget_bias 0, {fmt_log(at['1'])} at "
            f"forget_bias 1, and {fmt_log(at['rnn'])} through the plain RNN. 0.5 multiplied {back} times is "
            f"{fmt_log(back * math.log10(0.5))}: the additive path through c, kept open by f near 1, is what lets an LSTM learn "
            "from far back (Hochreiter and Schmidhuber's 'constant error carousel').",
        ),
        after=(
            Shown(
                "chart",
                fig,
                "Line chart, log scale: the fraction of the last step's error that reaches each step, for the LSTM at "
                "forget_bias 0 and 1 and for a plain RNN.",
                key="learn_5_flow",
                height=520,
            ),
            Shown(
                "markdown",
                f"The error falls below a hundredth after {steps_text(steps_until_below(zero.log_ratio), steps)} at "
                f"forget_bias 0, after {steps_text(steps_until_below(one.log_ratio), steps)} at forget_bias 1, and "
                f"after {steps_text(steps_until_below(rnn_log_ratio), steps)} in the plain RNN.",
            ),
        ),
        explore="app_pages/gradient_flow.py",
        explore_settings={"forget_bias": 0.0},
        explore_label="Open Gradient flow with this input",
        ask="'If an error of 1 is halved at every step, what is left after 20 steps?' (about one millionth).",
        numbers={"back": back, "log_0": at["0"], "log_1": at["1"], "log_rnn": at["rnn"]},
    )


def fmt_log(log_value: float) -> str:
    """10^log_value in words a class reads: 0.53, 0.012, 2.1 × 10⁻⁵."""
    value = 10.0**log_value
    if value >= 0.01:
        return f"{value:.2g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa} × {ten_to(int(exponent))}"


# --------------------------------------------------------------------------- 6. variants


def longest_task(summary: list[dict]) -> list[dict]:
    """The rows of the experiment's hardest (last) task: one group of bars, labels that fit."""
    return [row for row in summary if row["task"] == summary[-1]["task"]] if summary else summary


GREFF_OPTIONS = ("Coupling i and f (i = 1 - f, CIFG)", "Removing the peepholes", "Removing the forget gate")


def variants_chapter(columns: list, summary: list[dict]) -> Chapter:
    """Peepholes and the coupled gate, Greff et al.'s finding, and what our shipped experiment found."""
    findings = []
    for row in summary:
        rate = float(row["success_rate"])
        findings.append((row["task"], row["setting"], rate, row["median_steps_to_solve"]))
    worst = sorted(findings, key=lambda item: (item[2], -float(item[3] or 1e9)))[:2]
    worst_text = "; ".join(
        f"**{setting}** on {task}: {rate:.0%} of runs solved it"
        + (f", in a median {float(steps):,.0f} training steps" if steps not in ("", None) else "")
        for task, setting, rate, steps in worst
    )
    cells = ", ".join(f"{column.label} {half_life_text(column.trace)}" for column in columns)
    nfg = next((column for column in columns if column.key == "NFG"), None)
    nfg_text = ""
    if nfg is not None:
        c = np.abs(nfg.trace.new_c[0].astype(np.float64))
        unit = int(np.argmax(c[-1]))
        nfg_text = (
            f"In NFG's panel above nothing fades: unit {unit}'s c goes from {fmt(float(c[0, unit]), 2)} at step 0 "
            f"to {fmt(float(c[-1, unit]), 2)} at the end, as every step adds to it. "
        )
    return Chapter(
        6,
        "Variants: peepholes and the coupled gate",
        7,
        (
            "TensorFlow's LSTMCell can add **peepholes**: f and i also read the old cell state c_(t-1), and o reads "
            "the new c, through one weight per unit. The **coupled** cell (CIFG) ties two gates together: i = 1 - f, "
            "so exactly what is forgotten is written.",
            "Greff et al. (2017, *LSTM: A Search Space Odyssey*) compared the vanilla cell with eight variants, each "
            "one change away from it, some taking a part away: **NFG** has no forget gate (f is always 1), **NIG** no "
            "input gate, **NOG** no output gate, **NIAF** no input activation (j is not squashed by tanh), **NOAF** no "
            "output activation (h = o ⊙ c). Below, the spike of chapter 2 through four of them, with the same weights. "
            f"The memory's half-life (median over units): {cells}. Which changes matter when the cell has to *learn*?",
        ),
        Question(
            "Greff et al. (2017) trained 5,400 networks on speech, handwriting and music. Which single change "
            "from the vanilla LSTM hurt most?",
            GREFF_OPTIONS,
            2,
            "Removing the forget gate (or the output activation) hurt most; coupling i and f or dropping the "
            "peepholes cost little, and no variant beat the vanilla cell (the standard LSTM, with peepholes). "
            f"{nfg_text}A cell whose f is always 1 can never clear what it holds, so old inputs pile up in c and "
            "crowd out the new. Our own shipped experiment (the adding "
            f"problem, 3 seeds per variant) found: {worst_text}: the variants that struggled most here. Small runs "
            "are noisy: a finding needs many seeds, as Greff et al. had.",
        ),
        before=(
            Shown(
                "chart",
                value_heatmaps(columns, names=("i", "f", "new_c")),
                heatmaps_alt(columns),
                key="learn_6_variants",
                height=None,
                wide=True,  # four panels need the projector's width
            ),
        ),
        after=(
            Shown(
                "chart",
                findings_figure(longest_task(summary), "success_rate", "runs that solved it"),
                "Bar chart: the share of 3 training runs per variant that solved the longest adding problem.",
                key="learn_6_findings",
                height=460,
            ),
        ),
        explore="app_pages/compare.py",
        explore_settings={"variants": ",".join(column.key for column in columns)},
        explore_label="Compare the variants side by side",
        ask="'If i = 1 - f, what can the cell no longer do?' (keep everything and write something new at once).",
        numbers={"worst_rate": worst[0][2] if worst else float("nan")},
    )


# --------------------------------------------------------------------------- 7. train it yourself

TRAIN_FBS = (0.0, 1.0)


def train_chapter(solved_at: dict[float, int | None], accuracy: dict[float, float], steps: int, delay: int) -> Chapter:
    """Delayed recall at forget_bias 0 and 1: the learner trains both (ui.lesson) and sees which learns."""
    done = set(TRAIN_FBS) <= set(accuracy)
    options = ("forget_bias 0", "forget_bias 1", "Both the same")
    answer = None
    why = "Train both to see the answer."
    if done:
        score = {fb: (solved_at[fb] if solved_at[fb] is not None else steps + 1, -accuracy[fb]) for fb in TRAIN_FBS}
        answer = 2 if score[0.0] == score[1.0] else (0 if score[0.0] < score[1.0] else 1)
        parts = [
            f"forget_bias {fb:g}: "
            + (f"**solved at step {solved_at[fb]}**" if solved_at[fb] is not None else f"not solved in {steps} steps")
            + f", accuracy {accuracy[fb]:.0%}"
            for fb in TRAIN_FBS
        ]
        why = (
            "; ".join(parts)
            + ". With forget_bias 0 the error from the cue is halved at every step on its way back to the symbol "
            f"{delay} steps earlier, so the weights that should keep it hear almost nothing; with 1, enough arrives. "
            "Another seed may differ: our shipped experiment (5 seeds) solved 20-step recall in 3 of 5 runs at "
            "forget_bias 1 and in none at 0."
        )
    return Chapter(
        7,
        "Train it yourself",
        6,
        (
            f"Two cells learn delayed recall with a {delay}-step wait, from the same random start: one with "
            "forget_bias 0, one with 1. Each takes a second or two on this computer.",
            "Press **Train both** and watch the curves: the loss going down, the accuracy going up (25% is chance). "
            "Their x axis counts *training* steps: one update of the weights from 32 sequences, not a step of a sequence.",
        ),
        Question("Which one learns to recall the symbol?", options, answer, why),
        explore="app_pages/train.py",
        explore_settings={"task": "recall", "task_size": delay, "train_units": 8, "lr": "0.03", "train_fb": 0.0},
        explore_label="Train more on the Train page",
        ask="Predict first, then train. 'Why does a forget gate near 1 help the *learning*, not just the memory?'",
        numbers={f"accuracy_{fb:g}": value for fb, value in accuracy.items()},
    )
