"""The Train page's runs: this session's trainers, trained by the server's worker processes.

Training runs in :mod:`workers.pool` (one queue for the whole class, a few worker processes), never
in the page's own script: pressing **Train** queues a job and returns at once, and :func:`watch`
redraws the job's progress every :data:`UPDATE_SECONDS` in a fragment until it has finished; the
page then runs again and shows the model. **Stop** (the page's, or Streamlit's own Stop in the
top-right corner) reaches a queued job at once and a running one before its next step, and the
run keeps every step it finished.

Every run has a token (ui.shelf): its state goes on the server's shelf whenever a job of it
finishes (even if the browser tab has gone), and the link lists the session's tokens (``runs=``),
so that a reload brings the runs back, or says why it cannot.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.exceptions import StopException

from lstm_core.tasks import Task, make_task
from lstm_core.training import Record, Trainer, TrainSettings, init_model
from lstm_core.variants import CHOICES, is_lstm
from viz.gradflow import gradient_flow, hidden_flow
from workers import pool as workers

from . import runs, shelf

_TRAINERS = "_trainers"
_TOKENS = "_run_tokens"
_JOBS = "_train_jobs"
_NOTES = "_train_notes"
#: The most runs a session keeps (the oldest goes first): each a few small weight sets.
MAX_RUNS = 6
#: How often the page redraws a job's progress while it trains, and its place while it waits, in seconds.
UPDATE_SECONDS = 0.5
WAIT_SECONDS = 2.0
#: How long the page waits for a job that has just been queued or started before it draws it live: a
#: default run of delayed recall (about 0.3 s in a worker) shows its model at once, with one rerun.
QUICK_SECONDS = 0.6
#: How long a job may run with no browser tab of its session connected before it is stopped
#: (what it learned is kept on the shelf): a reload reconnects well within it.
ORPHAN_SECONDS = 60.0


def run_label(task: Task, settings: TrainSettings) -> str:
    """A run's full name: the key of this session's runs. A plain RNN or a GRU has no forget_bias
    (the part says so, so that every label has the same parts for :func:`legend_names`)."""
    forget_bias = f"forget_bias {settings.forget_bias:g}" if is_lstm(settings.variant) else "no forget gate"
    return (
        f"{task.title}, {CHOICES[settings.variant].short}, {settings.units} units, {forget_bias}, "
        f"lr {settings.learning_rate:g}, seed {settings.seed}"
    )


def trainers() -> dict[str, Trainer]:
    """This session's runs by :func:`run_label`, oldest first."""
    return st.session_state.setdefault(_TRAINERS, {})


def tokens() -> dict[str, str]:
    """The shelf token of each of this session's runs, by label."""
    return st.session_state.setdefault(_TOKENS, {})


def runs_of(task: Task) -> dict[str, Trainer]:
    """This session's runs of ``task`` (what its progress chart overlays)."""
    return {name: run for name, run in trainers().items() if run.task.title == task.title}


def forget(task: Task, settings: TrainSettings) -> None:
    """Drop the run of these settings ("Start over")."""
    label = run_label(task, settings)
    trainers().pop(label, None)
    tokens().pop(label, None)


def _keep(label: str, trainer: Trainer) -> None:
    kept = trainers()
    kept[label] = trainer
    while len(kept) > MAX_RUNS:
        tokens().pop(next(iter(kept)), None)
        kept.pop(next(iter(kept)))


# --- the worker pool ------------------------------------------------------------------------------


def _owner() -> str:
    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else "no-session"


def _connected(owner: str) -> bool:
    try:
        return Runtime.instance().is_active_session(owner)
    except RuntimeError:  # no Streamlit server (AppTest): the session is the test's
        return True


def pool() -> workers.Pool:
    """The server's worker pool (:func:`workers.pool.shared`), which stops a job whose session has gone."""
    found = workers.shared()
    found.orphan_check = _connected, ORPHAN_SECONDS
    return found


@dataclass(eq=False)
class Pending:
    """A job of this session: the run it trains and where its result goes."""

    job: workers.Job
    task: Task
    settings: TrainSettings
    token: str
    base: list[Record] = field(default_factory=list)  # the run's history before this job
    base_start: float | None = None


def jobs() -> dict[str, Pending]:
    """This session's jobs not yet taken back into its runs (:func:`collect`), by label."""
    return st.session_state.setdefault(_JOBS, {})


def active() -> dict[str, Pending]:
    return {label: pending for label, pending in jobs().items() if pending.job.active}


def _entry(job: workers.Job, state: bytes) -> dict:
    """What the shelf keeps of a run: its job's task, size and settings, its label and its state."""
    return {name: job.request[name] for name in ("task", "size", "settings")} | {"label": job.label, "state": state}


def _pending(job: workers.Job, task: Task, settings: TrainSettings, token: str) -> Pending:
    """``job`` as this session follows it, after the run's history so far (if it has one)."""
    pending = Pending(job, task, settings, token)
    trainer = trainers().get(job.label)
    if trainer is not None:
        pending.base, pending.base_start = list(trainer.history), trainer.start_metric
    return pending


def train(task: Task, settings: TrainSettings, steps: int) -> Pending:
    """Queue ``steps`` more steps of the run of ``settings`` (a new one if there is none); raises
    :class:`workers.pool.Busy` if this session already has as many jobs as it may."""
    label = run_label(task, settings)
    trainer = trainers().get(label)
    token = tokens().setdefault(label, shelf.new_token())
    request = {
        "task": task.key,
        "size": task.size,
        "settings": asdict(settings),
        "steps": int(steps),
        "report_seconds": UPDATE_SECONDS * 0.8,
    }
    job = pool().submit(
        _owner(),
        label,
        request,
        trainer.state_to_bytes() if trainer is not None else b"",
        tag=token,
        on_finish=lambda job: job.result and shelf.SHELF.put(token, _entry(job, job.result)),
    )
    st.session_state.setdefault(_NOTES, {}).pop(label, None)
    jobs()[label] = pending = _pending(job, task, settings, token)
    return pending


def stop_all(wait: float = 1.0) -> None:
    """Stop this session's jobs and wait up to ``wait`` seconds for them to send back what they learned."""
    found = active()
    for pending in found.values():
        pool().stop(pending.job)
    deadline = time.monotonic() + wait
    for pending in found.values():
        pending.job.wait(max(0.0, deadline - time.monotonic()))


EXPERIMENT = "_live_experiment"


def start_experiment(delay: int, seeds: int) -> workers.Job:
    """Queue the findings tab's small forget_bias experiment (workers.child's "forget_bias" job) for
    this session; raises :class:`workers.pool.Busy` if the session already has as many jobs as it may."""
    job = pool().submit(
        _owner(), f"forget_bias experiment, delay {delay}", {"kind": "forget_bias", "delay": delay, "seeds": seeds}
    )
    st.session_state[EXPERIMENT] = job
    return job


def experiment() -> workers.Job | None:
    """This session's last small experiment (queued, running or finished), if any."""
    return st.session_state.get(EXPERIMENT)


def experiment_text(job: workers.Job) -> tuple[float, str]:
    """(share done, what the progress bar says) of the small experiment: which run it is on."""
    if job.state == "queued":
        ahead = job.ahead()
        return 0.0, "Waiting: you are next." if not ahead else f"Waiting: {ahead} other runs are ahead of these."
    if not job.target:
        return 0.0, "Starting..."
    seeds, done = int(job.request["seeds"]), min(job.steps_done, job.target - 1)
    forget_bias, seed = (0, done) if done < seeds else (1, done - seeds)
    return done / job.target, f"Run {done + 1} of {job.target}: forget_bias {forget_bias}, seed {seed}..."


def note(label: str) -> tuple[str, str] | None:
    """What the last job of the run ``label`` said when it finished, (kind, message), kept until its
    next job: the page shows it beside the run (the reminder to download included)."""
    return st.session_state.setdefault(_NOTES, {}).get(label)


def collect() -> list[tuple[str, str, str]]:
    """Take this session's finished jobs back into its runs; for each, (label, kind, message) to show
    (kind "success", "info" or "error"), also kept as the run's :func:`note`."""
    said = []
    for label, pending in list(jobs().items()):
        job = pending.job
        if job.active:
            continue
        del jobs()[label]
        if job.result:
            trainer = Trainer.from_state(pending.task, pending.settings, job.result)
            _keep(label, trainer)
            tokens()[label] = pending.token
        waited = (job.started or job.finished) - job.submitted
        queue_note = f", after waiting {waited:.0f} s for a free worker" if waited >= 1 else ""
        if job.state == "done":
            before = pending.base[-1].step if pending.base else 0
            trained = f"{job.target - before} more steps ({job.target} in all)" if before else f"{job.target} steps"
            said.append(
                (
                    label,
                    "success",
                    f"Trained {trained} in {job.seconds:.1f} s{queue_note}. The server keeps this session's runs for "
                    f"{shelf.KEEP_HOURS} hours (a reload brings them back); **download** the model below to keep it for good.",
                )
            )
        elif job.state == "stopped":
            steps = trainers()[label].steps_done if label in trainers() else 0
            said.append(
                (
                    label,
                    "info",
                    f"Stopped at step {steps}: the model keeps what it learned. The server keeps it for "
                    f"{shelf.KEEP_HOURS} hours; **download** it below to keep it for good."
                    if job.result
                    else "Cancelled while it waited: nothing was trained.",
                )
            )
        else:
            said.append((label, "error", job.error or "Training failed."))
    notes = st.session_state.setdefault(_NOTES, {})
    for label, kind, message in said:
        notes[label] = (kind, message)
    return said


@dataclass(frozen=True)
class Progress:
    """A run as far as its job has got: what the progress chart reads of a Trainer."""

    task: Task
    settings: TrainSettings
    history: list[Record]
    start_metric: float | None
    solved_at: int | None
    steps_done: int


def progress(pending: Pending) -> Progress:
    """The run of ``pending`` so far: its history before the job, then the job's records."""
    job = pending.job
    records = sorted(
        (Record(int(step), loss, norm, metric) for step, loss, norm, metric in job.history.values()),
        key=lambda r: r.step,
    )
    start = pending.base_start if pending.base_start is not None else job.start_metric
    return Progress(pending.task, pending.settings, [*pending.base, *records], start, job.solved_at, job.steps_done)


def status_text(pending: Pending) -> tuple[float, str]:
    """(share done, what the progress bar says) of a job."""
    job = pending.job
    if job.state == "queued":
        ahead = job.ahead()
        size = pool().size
        workers_busy = f"its {size} trainers are busy" if size > 1 else "its trainer is busy"
        if not ahead:
            return (
                0.0,
                f"Waiting: you are next. The server trains {size} run{'s' * (size > 1)} at a time and {workers_busy} with other runs.",
            )
        return 0.0, (
            f"Waiting: {ahead} other {'run is' if ahead == 1 else 'runs are'} ahead of yours. The server trains "
            f"{size} run{'s' * (size > 1)} at a time."
        )
    start = pending.base[-1].step if pending.base else 0
    total = max(job.target - start, 1)
    done = min(max(job.steps_done - start, 0) / total, 1.0) if job.target else 0.0
    seconds = time.monotonic() - (job.started or time.monotonic())
    if job.stop_asked is not None:
        return done, f"Stopping at step {job.steps_done}..."
    if not job.target:
        return done, "Starting..."
    if start:
        return done, f"Step {job.steps_done - start} of {total} more ({job.steps_done} in all, {seconds:.0f} s)"
    return done, f"Step {job.steps_done} of {job.target} ({seconds:.0f} s)"


def running() -> bool:
    """Whether one of this session's jobs is training now (not only waiting in the queue)."""
    return any(pending.job.state == "running" for pending in jobs().values())


def watch(draw: Callable[[dict[str, Pending]], None]) -> None:
    """While this session has jobs, redraw ``draw(active jobs)`` in a fragment: every UPDATE_SECONDS
    while one trains, every WAIT_SECONDS while they only wait in the queue (thirty waiting pages
    must not keep the server busy saying so). When a job starts (after up to QUICK_SECONDS, in which a
    short run finishes), or they have all finished, the whole page runs again. Streamlit's own Stop
    stops them too."""
    if not active():
        return
    waiting = not running()

    def tick() -> None:
        found = active()
        if not found or (waiting and running()):
            # One has just started: a short run is done before the page redraws.
            deadline = time.monotonic() + QUICK_SECONDS
            for pending in found.values():
                pending.job.wait(max(0.0, deadline - time.monotonic()))
            st.rerun(scope="app")
        draw(found)

    _every(WAIT_SECONDS if waiting else UPDATE_SECONDS, tick, lambda: stop_all(wait=0))


def watch_experiment() -> None:
    """While this session's small experiment is queued or running, its progress bar in a fragment;
    when it has finished, the whole page runs again (:func:`collect_experiment`). Streamlit's Stop stops it."""
    job = experiment()
    if job is None or not job.active:
        return

    def tick() -> None:
        if not job.active:
            st.rerun(scope="app")
        done, text = experiment_text(job)
        st.progress(done, text=text)

    _every(UPDATE_SECONDS, tick, lambda: pool().stop(job))


def collect_experiment() -> tuple[list[dict], tuple[str, str] | None]:
    """The rows of this session's small experiment once it has finished (a stopped one's so far), and
    what to say of it, (kind, message) or None; it is then no longer this session's."""
    job = experiment()
    if job is None or job.active:
        return [], None
    del st.session_state[EXPERIMENT]
    rows = json.loads(job.result or b"[]")
    if job.state == "stopped":
        return rows, ("info", "Stopped: the table has the runs that finished.")
    return rows, None if job.state == "done" else ("error", job.error or "The runs failed.")


def _every(seconds: float, tick: Callable[[], None], on_stop: Callable[[], None]) -> None:
    """``tick`` in a fragment every ``seconds``; Streamlit's own Stop (top right) runs ``on_stop``
    first, since the learner means what the fragment follows."""

    def run() -> None:
        try:
            tick()
        except StopException:
            on_stop()
            raise

    st.fragment(run, run_every=seconds)()


def restore(listed: str) -> tuple[int, int, list[str]]:
    """Bring back the runs a link lists (``runs=``, tokens separated by dots) into a new session:
    (how many came back trained, how many are still training or waiting, why each of the others did
    not come back)."""
    back, going, lost = 0, 0, []
    for token in [t for t in listed.split(".") if t][:MAX_RUNS]:
        if not shelf.is_token(token) or token in tokens().values():
            continue
        running = next((job for job in pool().jobs() if job.tag == token), None) if workers.started() else None
        entry = shelf.SHELF.get(token)
        if running is not None and not _connected(running.owner):
            running.owner = _owner()  # a reload while it trained: this session takes it over
            entry = entry or _entry(running, b"")
        if entry is None:
            lost.append(shelf.why_missing(token))
            continue
        task = make_task(entry["task"], entry["size"])
        settings = TrainSettings(**entry["settings"])
        label = entry["label"]
        if entry["state"]:
            _keep(label, Trainer.from_state(task, settings, entry["state"]))
        tokens()[label] = token
        if running is not None and running.owner == _owner():
            jobs()[label] = _pending(running, task, settings, token)
            going += 1
        elif entry["state"]:
            back += 1
    return back, going, lost


def listed() -> str:
    """This session's runs as the link lists them (``runs=``)."""
    labels = [*trainers(), *(label for label in jobs() if label not in trainers())]
    return ".".join(tokens()[label] for label in labels if label in tokens())[:200]


def latest_metric(trainer: Trainer) -> float:
    """The test metric of the trainer's last evaluation (evaluating now if its last step has none)."""
    last = trainer.history[-1] if trainer.history else None
    return last.metric if last is not None and last.metric is not None else trainer.evaluate()


def legend_names(labels: list[str]) -> dict[str, str]:
    """Each run named by what differs between the runs shown (all of it when there is one run)."""
    parts = [label.split(", ") for label in labels]
    if len(parts) < 2 or len({len(p) for p in parts}) > 1:
        return {label: label for label in labels}
    differ = [k for k in range(len(parts[0])) if len({p[k] for p in parts}) > 1]
    return {label: ", ".join(p[k] for k in differ) or label for label, p in zip(labels, parts, strict=True)}


#: The silent wait measured under the cells' findings: the longest delay of the experiment, five seeds.
SILENT_DELAY, SILENT_SEEDS = 40, 5


def silent_wait_shares(delay: int = SILENT_DELAY, seeds: int = SILENT_SEEDS) -> tuple[float, float]:
    """(plain RNN, LSTM): the median share of the error at the cue of delayed recall that reaches the
    symbol's step, in untrained cells of the experiment's size (16 units, seeds 0 to ``seeds`` - 1):
    ||dL/dh_0|| / ||dL/dh_T|| for the RNN, ||dL/dc_0|| / ||dL/dc_T|| for the LSTM. Kept in the shared cache."""

    def compute() -> tuple[float, float]:
        task = make_task("recall", delay)
        batch = task.batch(np.random.default_rng(0), 1)
        shares: dict[str, list[float]] = {"rnn": [], "basic": []}
        for seed in range(seeds):
            for cell, values in shares.items():
                (trace,), _ = init_model(task, TrainSettings(units=16, variant=cell, seed=seed)).run(batch.inputs)
                flow = hidden_flow(trace) if cell == "rnn" else gradient_flow(trace, 0, "c")
                values.append(10.0 ** float(flow.log_ratio[0]))
        return float(np.median(shares["rnn"])), float(np.median(shares["basic"]))

    return runs.cached(f"silent_wait:{delay}:{seeds}", compute)
