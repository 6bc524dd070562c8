"""A worker process: ``python -m workers.child`` trains the runs the server sends it, one at a time.

It reads jobs and stop requests from its standard input and writes progress and results to its
standard output (:mod:`workers.wire`). It runs at the server's own priority unless
LSTM_WORKER_NICENESS lowers it: measured with a class training while others change Explore's
controls (bench.load --scenario train, docs/performance.md), the server's pages stay well inside
their target either way, and training at a lower priority than the pages (niceness 5 or 10) lost
the class's bound, the light students' work taking the workers' share. LSTM_WORKER_SCHED=idle puts
it under Linux's idle scheduler instead.

Messages in: ``{"kind": "train", "id", "task", "size", "settings", "steps", "report_seconds"}``
with the run's state as the blob (empty for a new run), ``{"kind": "run", "id", "configs"}`` with a
stack's weights and input (:mod:`workers.remote`), ``{"kind": "sweep", "id", "configs", "biases", "seq"}`` (the
same, at every forget bias of a live slider's grid, one sequence kept), ``{"kind": "forget_bias", "id", "delay", "seeds"}``
(the Train page's small experiment: progress counts its runs, the result is its rows as JSON), and
``{"kind": "stop", "id"}``.
Messages out, for each job: ``{"event": "started"}``, ``{"event": "progress", "steps_done",
"target", "history", "solved_at", "start_metric"}`` (history: the records since the last progress,
as ``[step, loss, grad_norm, metric or null]``), ``{"event": "stopping"}`` once a stop has reached
the run, and finally ``{"event": "done", "stopped", "seconds"}`` with the state as the blob, or
``{"event": "error", "message"}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import sys
import threading
import time
from dataclasses import fields

from lstm_core.experiments import forget_bias_runs
from lstm_core.tasks import make_task
from lstm_core.training import Trainer, TrainSettings, train_steps

from . import remote, wire

#: How much lower than the server a worker runs (os.nice; LSTM_WORKER_NICENESS, 0 to 19, to change it).
NICENESS = 0


def niceness() -> int:
    """LSTM_WORKER_NICENESS if it is a whole number from 0 to 19, else :data:`NICENESS`."""
    try:
        value = int(os.environ["LSTM_WORKER_NICENESS"])
    except (KeyError, ValueError):
        return NICENESS
    return value if 0 <= value <= 19 else NICENESS


def _settings(values: dict) -> TrainSettings:
    known = {f.name for f in fields(TrainSettings)}
    return TrainSettings(**{name: value for name, value in values.items() if name in known})


def train(header: dict, blob: bytes, out, stopped: threading.Event) -> None:
    """One "train" job: progress on ``out`` as it goes, the state at the end."""
    job = header["id"]
    started = time.perf_counter()
    task = make_task(header["task"], header["size"])
    settings = _settings(header["settings"])
    if blob:
        trainer = Trainer.from_state(task, settings, blob)
    else:
        trainer = Trainer(task, settings)
        trainer.evaluate()
    wire.send(out, {"id": job, "event": "started"})
    target = trainer.steps_done + int(header["steps"])
    sent = len(trainer.history)

    def report() -> None:
        nonlocal sent
        # The last record sent again: its metric may have come since (a stop evaluates it).
        records = [[r.step, r.loss, r.grad_norm, r.metric] for r in trainer.history[max(sent - 1, 0) :]]
        sent = len(trainer.history)
        wire.send(
            out,
            {
                "id": job,
                "event": "progress",
                "steps_done": trainer.steps_done,
                "target": target,
                "history": records,
                "solved_at": trainer.solved_at,
                "start_metric": trainer.start_metric,
            },
        )

    def stop() -> bool:
        if stopped.is_set():
            wire.send(out, {"id": job, "event": "stopping", "steps_done": trainer.steps_done})
            return True
        return False

    report()
    was_stopped = train_steps(trainer, int(header["steps"]), report, float(header.get("report_seconds", 0.4)), stop)
    wire.send(
        out,
        {"id": job, "event": "done", "stopped": was_stopped, "seconds": time.perf_counter() - started},
        trainer.state_to_bytes(),
    )


def run_layers(header: dict, blob: bytes, out, stopped: threading.Event) -> None:
    """One "run" job: a stack of LSTM layers over an input (:mod:`workers.remote` packs and unpacks it)."""
    job = header["id"]
    started = time.perf_counter()
    traces = remote.run_packed(header, blob)
    wire.send(
        out,
        {"id": job, "event": "done", "stopped": False, "seconds": time.perf_counter() - started},
        remote.pack_traces(traces),
    )


#: The Train page's small forget_bias experiment: its bounds (the page's inputs) and steps per run.
EXPERIMENT_DELAYS, EXPERIMENT_SEEDS, EXPERIMENT_STEPS = (5, 60), (1, 3), 600


def forget_bias_experiment(header: dict, blob: bytes, out, stopped: threading.Event) -> None:
    """One "forget_bias" job: delayed recall at one delay, forget_bias 0 then 1, each for a few seeds,
    each trained until solved or EXPERIMENT_STEPS (lstm_core.experiments.forget_bias_runs). Progress
    counts runs; the result is the rows, as JSON. A stop takes effect between runs."""
    job = header["id"]
    started = time.perf_counter()
    delay = min(max(int(header["delay"]), EXPERIMENT_DELAYS[0]), EXPERIMENT_DELAYS[1])
    seeds = min(max(int(header["seeds"]), EXPERIMENT_SEEDS[0]), EXPERIMENT_SEEDS[1])
    runs = list(forget_bias_runs([delay], seeds, EXPERIMENT_STEPS))
    wire.send(out, {"id": job, "event": "started"})
    rows = []
    for done, (_, forget_bias, seed, run) in enumerate(runs):
        if stopped.is_set():
            wire.send(out, {"id": job, "event": "stopping", "steps_done": done})
            break
        progress = {"steps_done": done, "target": len(runs), "history": [], "solved_at": None, "start_metric": None}
        wire.send(out, {"id": job, "event": "progress", **progress})
        result = run()
        rows.append(
            {
                "forget_bias": forget_bias,
                "seed": seed,
                "solved": result.solved,
                "steps": result.steps,
                "accuracy": round(result.metric, 3),
                "seconds": round(result.seconds, 1),
            }
        )
    stopped_early = len(rows) < len(runs)
    wire.send(
        out,
        {"id": job, "event": "done", "stopped": stopped_early, "seconds": time.perf_counter() - started},
        json.dumps(rows).encode(),
    )


def sweep(header: dict, blob: bytes, out, stopped: threading.Event) -> None:
    """One "sweep" job: a stack run at every forget bias of a grid, one sequence kept (:mod:`workers.remote`)."""
    started = time.perf_counter()
    result = remote.sweep_packed(header, blob)
    wire.send(
        out, {"id": header["id"], "event": "done", "stopped": False, "seconds": time.perf_counter() - started}, result
    )


JOBS = {"train": train, "run": run_layers, "forget_bias": forget_bias_experiment, "sweep": sweep}


def main() -> int:
    with contextlib.suppress(OSError):
        os.nice(niceness())
        if os.environ.get("LSTM_WORKER_SCHED") == "idle":  # bench.load: beside the students' browsers
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    stdin, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the messages
    pending: queue.Queue = queue.Queue()
    stops: dict[str, threading.Event] = {}
    lock = threading.Lock()

    def flag(job: str) -> threading.Event:
        with lock:
            return stops.setdefault(job, threading.Event())

    def read() -> None:
        while (message := wire.receive(stdin)) is not None:
            header, blob = message
            if header.get("kind") == "stop":
                flag(str(header.get("id"))).set()
            else:
                pending.put((header, blob))
        with lock:  # the server has gone: stop what runs, and then the process
            for event in stops.values():
                event.set()
        pending.put(None)

    threading.Thread(target=read, daemon=True).start()
    while (item := pending.get()) is not None:
        header, blob = item
        job = str(header.get("id"))
        stopped = flag(job)
        try:
            JOBS[header["kind"]](header, blob, out, stopped)
        except Exception as error:  # a bad job costs its own message, not the worker
            wire.send(out, {"id": job, "event": "error", "message": f"{type(error).__name__}: {error}"})
        with lock:
            stops.pop(job, None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
