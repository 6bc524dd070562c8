"""What the Train page's experiments found, in words: who solved each task, who was fastest."""

from __future__ import annotations


def findings_summary(summary: list[dict]) -> str:
    """One sentence per setting: how many runs solved the task at each size."""
    parts = []
    for setting in dict.fromkeys(row["setting"] for row in summary):
        rows = [row for row in summary if row["setting"] == setting]
        solved = ", ".join(
            f"{row['solved']} of {row['runs']} at {row['task'].split('(')[-1].rstrip(')')}" for row in rows
        )
        parts.append(f"**{setting.replace('=', ' ')}** solved {solved}")
    return "; ".join(parts) + "."


def variants_verdict(summary: list[dict], labels: dict[str, str]) -> str:
    """What the variants' results say, from the numbers: per size, who failed and who was fastest."""
    sentences = []
    for task in dict.fromkeys(row["task"] for row in summary):
        rows = [row for row in summary if row["task"] == task]
        failed = [
            f"{labels.get(r['setting'], r['setting'])} ({r['solved']} of {r['runs']})"
            for r in rows
            if r["solved"] != r["runs"]
        ]
        timed = [r for r in rows if r["median_steps_to_solve"] not in ("", None)]
        fastest = min(timed, key=lambda r: float(r["median_steps_to_solve"]), default=None)
        slowest = max(timed, key=lambda r: float(r["median_steps_to_solve"]), default=None)
        part = f"**{task}**: " + (
            f"not every seed solved it with {', '.join(failed)}" if failed else "every variant solved it"
        )
        if fastest and slowest:
            part += (
                f"; fastest {labels.get(fastest['setting'], fastest['setting'])} "
                f"({float(fastest['median_steps_to_solve']):.0f} steps), slowest "
                f"{labels.get(slowest['setting'], slowest['setting'])} ({float(slowest['median_steps_to_solve']):.0f})"
            )
        sentences.append(part + ".")
    return " ".join(sentences)


def start_note(start_metrics: list[tuple[str, float]], output_size: int, one_answer: bool = True) -> str:
    """Why an untrained classifier's accuracy at step 0 is not the chance of guessing, with this
    session's numbers (``start_metrics``: each run's name and its accuracy before training);
    ``one_answer``: the task has one answer per sequence (delayed recall), not one per step."""
    if len(start_metrics) == 1:
        shown = f"{start_metrics[0][1]:.0%}"
    else:
        shown = ", ".join(f"{value:.0%} ({name})" for name, value in start_metrics)
    chance = f"guessing at random would score {1 / output_size:.0%} on average."
    if not one_answer:
        return (
            f"Step 0 is the untrained model: here it scored {shown}. That is not the chance of guessing, and not "
            "a bug: the random read-out favours a few answers whatever it reads, so its score is how often those "
            f"happen to be right; {chance}"
        )
    return (
        f"Step 0 is the untrained model: here it scored {shown}. Anywhere from 0 to about 50% is normal there, "
        "not a bug: the random read-out answers systematically (often the same symbol whatever was shown, or a "
        f"wrong symbol for each), so it is right for all the sequences of one symbol or for none; {chance}"
    )


def cells_verdict(summary: list[dict]) -> str:
    """What the cells experiment found, from the numbers: per delay, each cell's share of seeds that
    solved it and its median steps; then whether the plain RNN fell behind as the delay grew."""
    sentences = []
    tasks = list(dict.fromkeys(row["task"] for row in summary))
    for task in tasks:
        rows = [row for row in summary if row["task"] == task]
        parts = []
        for row in rows:
            steps = row["median_steps_to_solve"]
            median = f", median {float(steps):.0f} steps" if steps not in ("", None) else ""
            parts.append(f"{row['setting']} {row['solved']} of {row['runs']}{median}")
        sentences.append(f"**{task}**: " + "; ".join(parts) + ".")
    rate = {(row["task"], row["setting"]): float(row["success_rate"]) for row in summary}
    first, last = tasks[0], tasks[-1]
    if ("rnn" not in {s.lower() for _, s in rate}) or len(tasks) < 2:
        return " ".join(sentences)
    rnn_first, rnn_last = rate.get((first, "RNN")), rate.get((last, "RNN"))
    best_last = max((setting for task, setting in rate if task == last), key=lambda s: rate[(last, s)])
    if rnn_first is not None and rnn_last is not None:
        trend = (
            f"The plain RNN's success fell from {rnn_first:.0%} to {rnn_last:.0%} from the shortest delay to the longest"
            if rnn_last < rnn_first
            else f"The plain RNN did not fall behind as the delay grew ({rnn_first:.0%} at the shortest, "
            f"{rnn_last:.0%} at the longest)"
        )
        sentences.append(
            trend + f"; at the longest delay {best_last} solved it most often ({rate[(last, best_last)]:.0%})."
        )
    return " ".join(sentences)


def silent_wait_note(delay: int, rnn_kept: float, lstm_kept: float, seeds: int) -> str:
    """The measured reason the plain RNN copes with a silent wait: the median share of the error at the
    cue that reaches the symbol's step, untrained, in the RNN (‖∂L/∂h‖) and the LSTM (‖∂L/∂c‖)."""
    return (
        f"Measured on this task (delay {delay}, untrained, median of {seeds} seeds): **{rnn_kept:.1%}** of the error "
        f"at the cue reaches the symbol's step through the plain RNN's h, and **{lstm_kept:.1%}** through the "
        "LSTM's c."
    )
