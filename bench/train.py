"""How long the Train page's runs take at its defaults (16 units, basic cell, forget_bias 1,
learning rate 0.01, batch 32, each task at its default size and step count).

    python -m bench.train

Target (issue 6): at the page's defaults a run ends within 60 s on a 2-core machine. The page's
default task is delayed recall; every task is timed, with the test metric evaluated every 25 steps
as the page does.
"""

from __future__ import annotations

import datetime
import sys
import time

from bench.common import limit_threads, machine, table

limit_threads(2)

from lstm_core.tasks import TASKS, format_metric, make_task  # noqa: E402
from lstm_core.training import Trainer, TrainSettings  # noqa: E402

TARGET_SECONDS = 60.0


def main() -> int:
    rows = []
    for key, steps in ((kind.key, kind.default_steps) for kind in TASKS.values()):
        task = make_task(key)
        started = time.perf_counter()
        trainer = Trainer(task, TrainSettings())
        trainer.evaluate()
        trainer.train(steps, evaluate_every=25)
        seconds = time.perf_counter() - started
        value = trainer.history[-1].metric
        solved = "step " + str(trainer.solved_at) if trainer.solved_at is not None else "no"
        verdict = "ok" if seconds <= TARGET_SECONDS else "MISSED"
        rows.append(
            [
                task.title,
                str(steps),
                f"{seconds:.1f}",
                f"{1000 * seconds / steps:.1f}",
                f"{task.metric_name} {format_metric(task.metric_name, value)}",
                solved,
                f"<= {TARGET_SECONDS:g} s {verdict}",
            ]
        )
    print(f"Train page defaults, float64, 2 threads ({machine()}) -- {datetime.date.today()}")
    print()
    print(table(["task", "steps", "seconds", "ms per step", "test metric", "solved at", "target"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
