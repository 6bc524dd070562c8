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
