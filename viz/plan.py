"""The teacher's plan for the Learn page: a 50-minute class, chapter by chapter, written from the
chapters themselves (their questions, right answers and numbers), so the plan and the page agree."""

from __future__ import annotations

from .lesson import LETTERS, Chapter, right

EXPECTED_7 = (
    "forget_bias 1 (in the shipped experiment, 20-step recall: 3 of 5 seeds solved it at forget_bias 1, none at 0; "
    "the class's own two runs decide on the day)"
)


#: The four symbols a class needs before chapter 1.
WARM_UP = (
    "**a unit**: one memory cell; a layer has num_units of them side by side, each with its own c and h.",
    "**σ (sigmoid)** squashes any number into 0 to 1: how open a gate is (0 closed, 1 open).",
    "**tanh** squashes any number into -1 to 1: a signed value, the candidate j and the output.",
    "**⊙** multiplies element by element: unit k's gate scales only unit k's value.",
)
#: Chapter 7 trains live: what to say when the class's runs do not show the expected answer.
FALLBACK_7 = (
    "one run is one seed, and a seed can be lucky or unlucky: if forget_bias 0 solves it too, or 1 does not, say so, "
    "then show the shipped experiment (Train page, findings tab), which ran several seeds of each. If the server is "
    "slow with the whole class pressing Train at once, train on the projector only."
)


def plan_markdown(chapters: list[Chapter]) -> str:
    """The plan as Markdown: timings, what to show, the question to ask the class and its answer."""
    total = sum(c.minutes for c in chapters)
    lines = [
        f"# How an LSTM cell remembers: a {total}-minute class",
        "",
        "Open the app's **Learn** page on the projector (switch on **Presenter mode**, top right). Students can "
        "follow on their own screens: a link with `?chapter=N` opens chapter N. Each chapter asks a question "
        "*before* it shows the answer: let the class vote first (hands, or each student on their screen), then "
        "reveal it by choosing an answer.",
        "",
    ]
    lines += [
        "## Before chapter 1 (its first two minutes) · four symbols",
        "",
        "Write them on the board; every chapter uses them.",
        "",
        *(f"- {symbol}" for symbol in WARM_UP),
        "",
    ]
    start = 0
    for c in chapters:
        q = c.question
        answer = f"**{LETTERS[q.answer]}. {right(q)}**" if q.answer is not None else f"**{EXPECTED_7}**"
        lines += [
            f"## {start}-{start + c.minutes} min · {c.number}. {c.title}",
            "",
            *(f"{paragraph}" for paragraph in c.text[:1]),
            "",
            f"- **Ask the class:** {q.prompt}",
            *(f"  - {LETTERS[k]}. {option}" for k, option in enumerate(q.options)),
            f"- **Answer:** {answer}",
            f"- **Why:** {q.why}" if q.answer is not None else "- **Why:** the two training curves show it.",
            f"- **Then:** {c.ask}",
            f"- **Let them poke it:** the button *{c.explore_label}* opens it with the chapter's settings.",
            *([f"- **If it goes differently:** {FALLBACK_7}"] if q.answer is None else []),
            "",
        ]
        start += c.minutes
    lines += [
        "## Afterwards",
        "",
        "- Ask each student to write, in two sentences, what the forget gate does and why forget_bias 1 helps.",
        "- For the curious: the Compare page (variants side by side) and the Train page's published findings.",
    ]
    return "\n".join(lines) + "\n"
