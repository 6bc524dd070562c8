"""Three published findings, checked on this project's own cells.

    python -m lstm_core.experiments forget-bias [--seeds 5] [--delays 40,80] [--steps 2000]
    python -m lstm_core.experiments variants    [--seeds 3] [--length 30] [--steps 2000]
    python -m lstm_core.experiments cells       [--seeds 10] [--delays 10,20,40] [--steps 2000]
    python -m lstm_core.experiments demos       # the trained weights the app offers in one click

``forget-bias``: delayed recall with long delays, forget_bias 0 against 1 (Gers et al. 2000;
Jozefowicz et al. 2015 found that a forget bias of 1 closes most of the gap to the GRU).
``variants``: the adding problem for each cell variant (Greff et al. 2017, "LSTM: A Search Space
Odyssey": coupling the gates or dropping the peepholes costs little; dropping the forget gate or the
output activation hurts). ``cells``: delayed recall for TensorFlow's plain RNN (BasicRNNCell), its
GRUCell and the basic LSTM at forget_bias 1 (Bengio et al. 1994 and Hochreiter and Schmidhuber 1997:
a plain RNN's error vanishes over long delays; Chung et al. 2014 and Jozefowicz et al. 2015: the GRU
and the LSTM are about equal). Each run trains until the task is solved or the step budget is spent.

Each writes one row per run to ``results/<name>.csv`` and a summary per setting to
``results/<name>_summary.csv`` (the app's Train page shows these), and an interactive plot,
``results/<name>.html`` (it loads Plotly.js from its CDN when opened).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .tasks import Task, adding, delayed_recall, make_task
from .training import Trainer, TrainSettings, model_to_bytes, trained_meta
from .variants import CELLS, CHOICES, VARIANTS

#: The cells of the ``cells`` experiment, by key of :data:`lstm_core.variants.CHOICES`: the basic LSTM
#: (at forget_bias 1, the default) against the two cells around it.
CELL_RUNS = ("rnn", "gru", "basic")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results"
DEMOS = ROOT / "demos"
EVALUATE_EVERY = 25


@dataclass
class RunResult:
    setting: str  # what the row compares: "forget_bias=1" or a variant name
    task: str
    seed: int
    solved: bool
    steps: int  # steps trained (to the solving evaluation, or the budget)
    metric: float  # the task's metric at the end
    loss: float  # the last batch's loss
    seconds: float


def train_once(task: Task, settings: TrainSettings, steps: int, setting: str) -> RunResult:
    started = time.perf_counter()
    trainer = Trainer(task, settings)
    trainer.train(steps, evaluate_every=EVALUATE_EVERY, stop_when_solved=True)
    final = trainer.evaluate()
    return RunResult(
        setting=setting,
        task=task.title,
        seed=settings.seed,
        solved=trainer.solved_at is not None,
        steps=trainer.solved_at if trainer.solved_at is not None else trainer.steps_done,
        metric=final,
        loss=trainer.history[-1].loss,
        seconds=time.perf_counter() - started,
    )


def forget_bias_runs(
    delays: Iterable[int], seeds: int, steps: int, units: int = 16
) -> Iterable[tuple[int, float, int, Callable[[], RunResult]]]:
    """(delay, forget_bias, seed, run) for every run of the forget-bias experiment."""
    for delay in delays:
        task = delayed_recall(delay)
        for forget_bias in (0.0, 1.0):
            for seed in range(seeds):
                settings = TrainSettings(units=units, forget_bias=forget_bias, seed=seed, learning_rate=0.01)
                yield (
                    delay,
                    forget_bias,
                    seed,
                    lambda t=task, s=settings, fb=forget_bias: train_once(t, s, steps, f"forget_bias={fb:g}"),
                )


def variant_runs(
    variants: Iterable[str], length: int, seeds: int, steps: int, units: int = 16
) -> Iterable[tuple[str, int, Callable[[], RunResult]]]:
    task = adding(length)
    for variant in variants:
        for seed in range(seeds):
            settings = TrainSettings(units=units, variant=variant, seed=seed, learning_rate=0.01)
            yield variant, seed, lambda s=settings, v=variant: train_once(task, s, steps, v)


def cell_runs(
    delays: Iterable[int], seeds: int, steps: int, units: int = 16
) -> Iterable[tuple[int, str, int, Callable[[], RunResult]]]:
    """(delay, cell, seed, run) for every run of the cells experiment: the same task, units,
    learning rate and seeds for each cell; the setting is the cell's short name (RNN, GRU, LSTM)."""
    for delay in delays:
        task = delayed_recall(delay)
        for cell in CELL_RUNS:
            name = cell_setting(cell)
            for seed in range(seeds):
                settings = TrainSettings(units=units, variant=cell, seed=seed, learning_rate=0.01)
                yield delay, cell, seed, lambda t=task, s=settings, n=name: train_once(t, s, steps, n)


def cell_setting(key: str) -> str:
    """The name a cell's rows carry in results/cells*.csv: RNN, GRU, or LSTM for the basic LSTM."""
    return CELLS[key].short if key in CELLS else ("LSTM" if key == "basic" else CHOICES[key].short)


def summarise(rows: list[RunResult], better: str) -> list[dict]:
    """Per (task, setting): runs, solved, success rate, median steps to solve, median final metric."""
    groups: dict[tuple[str, str], list[RunResult]] = {}
    for row in rows:
        groups.setdefault((row.task, row.setting), []).append(row)
    out = []
    for (task, setting), runs in groups.items():
        solved = [r.steps for r in runs if r.solved]
        out.append(
            {
                "task": task,
                "setting": setting,
                "runs": len(runs),
                "solved": len(solved),
                "success_rate": round(len(solved) / len(runs), 3),
                "median_steps_to_solve": statistics.median(solved) if solved else "",
                f"median_final_{better}": round(statistics.median(r.metric for r in runs), 5),
            }
        )
    return out


def write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_plot(path: Path, summary: list[dict], title: str) -> None:
    import plotly.graph_objects as go

    fig = go.Figure()
    for task in dict.fromkeys(r["task"] for r in summary):
        rows = [r for r in summary if r["task"] == task]
        fig.add_bar(name=task, x=[r["setting"] for r in rows], y=[r["success_rate"] for r in rows])
    fig.update_layout(title=title, yaxis_title="share of seeds solved", yaxis_range=[0, 1], barmode="group")
    fig.write_html(path, include_plotlyjs="cdn")


def _progress(done: int, total: int, result: RunResult) -> None:
    state = f"solved at {result.steps}" if result.solved else f"not solved in {result.steps}"
    print(f"[{done}/{total}] {result.task}, {result.setting}, seed {result.seed}: {state} ({result.seconds:.0f} s)")


def run_forget_bias(args: argparse.Namespace) -> None:
    runs = list(forget_bias_runs([int(d) for d in args.delays.split(",")], args.seeds, args.steps))
    results = []
    for k, (*_, fn) in enumerate(runs, 1):
        results.append(fn())
        _progress(k, len(runs), results[-1])
    finish("forget_bias", results, "accuracy", "Delayed recall: forget_bias 0 vs 1")


def run_variants(args: argparse.Namespace) -> None:
    variants = args.variants.split(",") if args.variants else list(VARIANTS)
    runs = list(variant_runs(variants, args.length, args.seeds, args.steps))
    results = []
    for k, (*_, fn) in enumerate(runs, 1):
        results.append(fn())
        _progress(k, len(runs), results[-1])
    finish("variants", results, "squared_error", "Adding problem: cell variants")


def run_cells(args: argparse.Namespace) -> None:
    runs = list(cell_runs([int(d) for d in args.delays.split(",")], args.seeds, args.steps))
    results = []
    started = time.perf_counter()
    for k, (*_, fn) in enumerate(runs, 1):
        results.append(fn())
        _progress(k, len(runs), results[-1])
    finish("cells", results, "accuracy", "Delayed recall: plain RNN, GRU and LSTM")
    print(f"{len(runs)} runs in {time.perf_counter() - started:.0f} s")


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def merged(path: Path, rows: list[dict]) -> list[dict]:
    """The rows already in ``path`` for other tasks (e.g. another delay), then ``rows``: a rerun
    with other sizes adds to the results instead of replacing them."""
    tasks = {row["task"] for row in rows}
    return [row for row in read_csv(path) if row["task"] not in tasks] + rows


def finish(name: str, results: list[RunResult], better: str, title: str) -> None:
    write_csv(RESULTS / f"{name}.csv", merged(RESULTS / f"{name}.csv", [vars(r) for r in results]))
    summary = merged(RESULTS / f"{name}_summary.csv", summarise(results, better))
    summary.sort(key=lambda row: (len(row["task"]), row["task"]))  # shorter delays and lengths first
    write_csv(RESULTS / f"{name}_summary.csv", summary)
    write_plot(RESULTS / f"{name}.html", summary, title)
    print(f"wrote {RESULTS / f'{name}.csv'}, {name}_summary.csv and {name}.html")


#: The trained demos: (file name, task key, task size, settings, steps).
DEMO_RUNS = [
    ("recall", "recall", 10, TrainSettings(units=8, seed=0, learning_rate=0.01), 600),
    ("adding", "adding", 20, TrainSettings(units=8, seed=0, learning_rate=0.01), 1500),
    ("spikes", "spikes", 5, TrainSettings(units=8, seed=0, learning_rate=0.01), 800),
]


def run_demos(args: argparse.Namespace) -> None:
    DEMOS.mkdir(exist_ok=True)
    for name, key, size, settings, steps in DEMO_RUNS:
        task = make_task(key, size)
        trainer = Trainer(task, settings)
        trainer.train(steps, evaluate_every=EVALUATE_EVERY)
        final = trainer.evaluate()
        meta = trained_meta(trainer, size, final, command="python -m lstm_core.experiments demos")
        (DEMOS / f"{name}.npz").write_bytes(model_to_bytes(trainer.model, meta))
        print(f"{name}: {task.title}, {trainer.steps_done} steps, {task.metric_name} {final:.4g}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lstm_core.experiments", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fb = commands.add_parser("forget-bias", help="forget_bias 0 vs 1 on delayed recall with long delays")
    fb.add_argument("--seeds", type=int, default=5)
    fb.add_argument("--delays", default="40,80")
    fb.add_argument("--steps", type=int, default=2000)
    variants = commands.add_parser("variants", help="every cell variant on the adding problem")
    variants.add_argument("--seeds", type=int, default=3)
    variants.add_argument("--length", type=int, default=30)
    variants.add_argument("--steps", type=int, default=2000)
    variants.add_argument("--variants", default="", help=f"comma-separated, from {', '.join(VARIANTS)}")
    cells = commands.add_parser("cells", help="plain RNN vs GRU vs LSTM on delayed recall")
    cells.add_argument("--seeds", type=int, default=10)
    cells.add_argument("--delays", default="10,20,40")
    cells.add_argument("--steps", type=int, default=2000)
    commands.add_parser("demos", help="train and save the demo weights in demos/")
    args = parser.parse_args(argv)
    commands_run = {"forget-bias": run_forget_bias, "variants": run_variants, "cells": run_cells, "demos": run_demos}
    commands_run[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
