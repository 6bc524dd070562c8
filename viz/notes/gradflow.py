"""What to notice in Gradient flow's charts: how far back the error reaches at each forget_bias,
against the closed form, and why the real gradient departs from it, from the numbers of the flows."""

from __future__ import annotations

import math

import numpy as np

from ..format import and_list, fraction, power_of_ten, times
from ..gradflow import (
    LOG_FLOOR,
    Flow,
    HiddenFlow,
    closed_form_steps,
    grows_back,
    label,
    rnn_name,
    steps_until_below,
)


def what_to_notice(flows: list[Flow], current: float) -> str:
    """A few sentences from the numbers: how far back the gradient stays above 1% at each
    forget_bias, against the closed form; how much more forget_bias 1 carries back than 0; why the
    real gradient departs from the closed form; and whether it grows instead. The flows have at least
    two steps: with one there is nothing to go back through, which the page says instead."""
    steps = flows[0].steps
    back = steps - 1
    crossings = [(f, steps_until_below(f.log_ratio)) for f in flows]
    fall = [
        f"after {n} step{'s' if n != 1 else ''} with **{label(f.forget_bias, current)}** "
        f"(closed form: after {closed_form_steps(f.forget_bias)})"
        for f, n in crossings
        if n is not None
    ]
    stay = [f for f, n in crossings if n is None]
    stay_names = and_list([f"**{label(f.forget_bias, current)}**" for f in stay])
    stay_closed = and_list([str(closed_form_steps(f.forget_bias)) for f in stay])
    sentences = []
    if fall:
        sentences.append(
            "Going back from the last step, the gradient reaching c falls below 1% of its final size "
            + and_list(fall)
            + "."
        )
    if stay:
        sentences.append(
            ("With " if fall else "Going back from the last step, with ")
            + f"{stay_names} it stays above 1% over all {back} step{'s' if back != 1 else ''} back "
            + f"(the closed form falls below after {stay_closed} step{'s' if stay_closed != '1' else ''}"
            + _beyond([closed_form_steps(f.forget_bias) for f in stay], back)
            + ")."
        )
    by_fb = {f.forget_bias: f for f in flows}
    if 0.0 in by_fb and 1.0 in by_fb:
        gain = float(by_fb[1.0].log_ratio[0] - by_fb[0.0].log_ratio[0])
        if gain > 0.05:
            sentences.append(
                f"At the first step, {back} steps back, forget_bias 1 carries **{times(gain)}** more of the "
                "error back than forget_bias 0."
            )
        else:
            sentences.append(
                f"At the first step, {back} steps back, forget_bias 1 carries no more of the error back than 0."
            )
    shown = by_fb.get(current, flows[-1])
    name = label(shown.forget_bias, current)
    closed, alone, real = (float(a[0]) for a in (shown.log_closed_form, shown.log_through_c, shown.log_ratio))
    tolerance = 0.3 + 0.1 * abs(closed)  # decades
    sigmoid = 1 / (1 + math.exp(-shown.forget_bias))
    if not shown.zero_at_end:  # else nothing reaches c_T, so there is no "c alone" to compare (said below)
        # Near: forgetting at most twice or half as fast per step (1 - f), as memory goes.
        near = abs(math.log((1 - min(shown.mean_f, 1 - 1e-12)) / (1 - sigmoid))) <= math.log(2)
        if abs(alone - closed) <= tolerance and near:
            sentences.append(
                f"With {name}, the dotted line (c alone, with this run's forget gates) stays near the closed form: "
                f"the gates sit near σ({shown.forget_bias:g}) = {sigmoid:.2f} "
                f"(their mean is {shown.mean_f:.2f})."
            )
        elif abs(alone - closed) <= tolerance:  # over a short sequence, gates off σ(forget_bias) add up to little
            sentences.append(
                f"With {name}, the dotted line (c alone, with this run's forget gates) is close to the closed form "
                f"over these {back} steps, though the gates are not at σ({shown.forget_bias:g}) = {sigmoid:.2f} "
                f"(their mean is {shown.mean_f:.2f}): over so few steps the difference adds up to little."
            )
        else:
            sentences.append(
                f"With {name}, the dotted line (c alone, with this run's forget gates) leaves the closed form: the "
                f"weights push the gates away from σ({shown.forget_bias:g}) = "
                f"{sigmoid:.2f} (here they range from {shown.min_f:.2f} to "
                f"{shown.max_f:.2f}, mean {shown.mean_f:.2f})."
            )
    grown = max(flows, key=lambda f: float(f.log_ratio.max()))
    grows = grows_back(grown.log_ratio)
    fades = not grows_back(shown.log_ratio) and not shown.zero_at_end  # else said below
    if fades and real - alone > tolerance:
        sentences.append(
            "The real gradient fades more slowly than that: part of the error also goes back through h and the "
            "gates, and it adds to what c carries."
        )
    elif fades and alone - real > tolerance:
        sentences.append(
            "The real gradient fades faster than that: what goes back through h and the gates partly cancels what "
            "c carries."
        )
    if grows:
        sentences.append(
            f"With {label(grown.forget_bias, current)} the gradient **grows** going back (up to "
            f"{times(float(grown.log_ratio.max()))} the last step's): the path through h multiplies it by the "
            "recurrent weights and the gates' slopes at every step, and where their product exceeds 1 (large "
            "weights, a large forget_bias that keeps f near 1, or an unbounded activation such as relu) the "
            "error builds up instead of fading."
        )
    for f in flows:
        gone = np.nonzero(f.log_ratio[::-1] <= LOG_FLOOR)[0]
        if gone.size:
            sentences.append(
                f"With {label(f.forget_bias, current)}, from {gone[0]} steps back on the gradient is below "
                "10⁻³⁰⁰, too small for a float64 number: it is drawn at the bottom edge."
            )
    blind = [label(f.forget_bias, current) for f in flows if f.zero_at_end]
    if blind:
        sentences.append(
            f"With {and_list(blind)}, h_T does not depend on c_T at all (an output gate shut, or relu at 0 in every "
            "unit), so the lines are relative to the largest gradient instead of the last step's; choose the final "
            "cell state as the loss for the usual picture."
        )
    if any(f.overflowed for f in flows):
        sentences.append("At some steps it exceeded float64's largest number; those are drawn at the top of the scale.")
    return " ".join(sentences)


def _beyond(steps: list[int], back: int) -> str:
    """What to add when some of the closed form's ``steps`` lie beyond the ``back`` steps there are."""
    beyond = [str(n) for n in steps if n > back]
    if not beyond:
        return ""
    if len(beyond) == len(steps):
        return ", beyond this sequence"
    return f"; {and_list(beyond)} {'is' if len(beyond) == 1 else 'are'} more than the {back} steps there are"


#: How far back the plain RNN and the LSTM are compared in words (or the whole sequence, if shorter).
RNN_BACK = 30


def kept_text(log_value: float) -> str:
    """A share of the error given as its log10, as the note writes it: 23.1%, 0.3%, 2.1 × 10⁻⁹."""
    if log_value <= LOG_FLOOR:
        return "less than 10⁻³⁰⁰ (below float64)"
    return fraction(10.0**log_value) if log_value >= -3 else power_of_ten(10.0**log_value)


def rnn_comparison(flows: list[Flow], rnn: HiddenFlow, current: float) -> str:
    """The plain RNN against the LSTM in numbers: the share of the last step's error that reaches
    RNN_BACK steps back (or the first step) in each, and where each falls below 1%."""
    steps = rnn.steps
    back = min(RNN_BACK, steps - 1)
    name = rnn_name(rnn)
    lstm = and_list(
        [f"**{kept_text(float(f.log_ratio[-1 - back]))}** at {label(f.forget_bias, current)}" for f in flows]
    )
    sentences = [
        f"**{back} steps back**, the {name} keeps **{kept_text(float(rnn.log_ratio[-1 - back]))}** of the error at the "
        f"last step (in ‖∂L/∂h‖); the LSTM's cell state keeps {lstm} (in ‖∂L/∂c‖)."
    ]
    kept = float(rnn.log_ratio[-1 - back])
    beaten = [f for f in flows if float(f.log_ratio[-1 - back]) < kept]
    if beaten:
        near_one = (
            "here even forget_bias 1 is not enough: a larger forget_bias, or one learned"
            if any(f.forget_bias >= 1 for f in beaten)
            else "forget_bias 1 or more, or learned"
        )
        sentences.append(
            f"{back} steps back, the RNN keeps more than the LSTM at "
            f"{and_list([label(f.forget_bias, current) for f in beaten])}: "
            "forget gates near σ(forget_bias) shrink the error at every step too. The LSTM's advantage is a "
            f"forget gate near 1 ({near_one}), which the RNN has no counterpart of."
        )
    below = steps_until_below(rnn.log_ratio)
    lstm_below = [
        f"{'never within the sequence' if n is None else f'after {n}'} at {label(f.forget_bias, current)}"
        for f, n in ((f, steps_until_below(f.log_ratio)) for f in flows)
    ]
    if below is not None:
        sentences.append(
            f"The RNN's error falls below 1% after {below} step{'s' if below != 1 else ''} back; the LSTM's "
            + and_list(lstm_below)
            + "."
        )
    if grows_back(rnn.log_ratio):
        sentences.append(
            f"Here the RNN's error also **grows** on the way back (up to {times(float(rnn.log_ratio.max()))} the last "
            "step's): its recurrent weights are large enough to amplify it: the exploding gradient, the other face "
            "of the same product."
        )
    else:
        sentences.append(
            f"The {name}'s state has no additive path: going back one step multiplies the error by the recurrent weights and "
            f"by {rnn.activation}'s slope, step after step, which is what Hochreiter (1991) and Bengio et al. (1994) "
            "called the vanishing gradient; the LSTM's cell state also has a path back that multiplies by f alone, "
            "with no weights and no slope (the dotted line)."
        )
    return " ".join(sentences)
