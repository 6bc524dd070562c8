"""The teacher's plan for the Learn page: a 50-minute class, chapter by chapter, written from the
chapters themselves (their questions, right answers and numbers), so the plan and the page agree."""

from __future__ import annotations

from .lesson import LETTERS, Chapter, right

EXPECTED_7 = (
    "forget_bias 1 (in the shipped experiment, 20-step recall: 3 of 5 seeds solved it at forget_bias 1, none at 0; "
    "the class's own two runs decide on the day)"
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
