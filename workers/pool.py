"""A bounded pool of worker processes for the server's heavy work, shared by every session.

:func:`shared` is the server's pool: as many workers as the machine has cores (or the
LSTM_WORKERS environment variable), started when first needed and restarted if one dies. A job
waits in one first-come, first-served queue until a worker is free; :meth:`Job.ahead` says how
many other owners' jobs are before it ("2 other runs are ahead of yours"). One session (an
*owner*) may have at most :data:`PER_OWNER` jobs queued or running at once, so one student's clicks
cannot fill the queue.

:meth:`Pool.stop` removes a queued job (nothing of its run changes) or tells the running one's
worker, which stops the run before its next training step (a step is at most about 0.2 s at the
app's largest settings) and sends back everything learned so far.

Each worker is ``python -m workers.child`` with pipes for its standard input and output
(:mod:`workers.wire`); the pool's threads only wait on those pipes, so the server's interpreter
stays free for the pages while the workers use the other cores.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import wire

ROOT = Path(__file__).resolve().parent.parent
#: The compute pool's niceness (see :func:`compute`); the training pool's workers run at the server's.
COMPUTE_NICENESS = 10
#: Jobs one owner (a browser session) may have queued or running at once (the Learn page trains
#: its two runs together; the Train page one at a time).
PER_OWNER = 2
_ACTIVE = ("queued", "running")
#: One BLAS thread a worker: the pool already has a worker per core, and a second thread of each
#: would only wait for the other (the app's matrices are small).
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def default_size() -> int:
    """LSTM_WORKERS (a whole number from 1 to 64) if set, else the machine's cores."""
    try:
        return max(1, min(64, int(os.environ["LSTM_WORKERS"])))
    except (KeyError, ValueError):
        return os.cpu_count() or 1


class Busy(Exception):
    """The owner already has :data:`PER_OWNER` jobs queued or running."""


@dataclass(eq=False)
class Job:
    """One job and what is known of it so far; the pool's threads update it, pages read it."""

    id: str
    owner: str
    label: str
    request: dict
    blob: bytes
    state: str = "queued"  # then "running", and "done", "stopped" or "failed"
    steps_done: int = 0
    target: int = 0
    history: dict[int, tuple] = field(default_factory=dict)  # step -> (step, loss, grad_norm, metric)
    solved_at: int | None = None
    start_metric: float | None = None
    result: bytes | None = None  # the run's state, when it is done or stopped
    error: str = ""
    seconds: float = 0.0  # the worker's time for the run
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    stop_asked: float | None = None
    stop_reached: float | None = None  # when the worker said the run had stopped training
    tag: str = ""  # the owner's name for the run (a shelf token), to find the job again after a reload
    on_finish: Callable[[Job], object] | None = field(default=None, repr=False)  # called once it has finished
    _pool: Pool | None = field(default=None, repr=False)
    _checked: float = field(default=0.0, repr=False)
    _gone_since: float | None = field(default=None, repr=False)
    _slot: _Slot | None = field(default=None, repr=False)

    @property
    def active(self) -> bool:
        return self.state in _ACTIVE

    def ahead(self) -> int:
        """Other owners' jobs before this one in the queue (0 when it runs or has finished): its
        owner's own earlier job is not "ahead of you"."""
        return self._pool._ahead(self) if self._pool is not None else 0

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job has finished (or ``timeout`` seconds); whether it has."""
        return self._pool._wait(self, timeout) if self._pool is not None else not self.active


@dataclass(eq=False)
class _Slot:
    """One worker: its process (None until started) and the job it runs."""

    number: int
    process: subprocess.Popen | None = None
    job: Job | None = None
    write_lock: threading.Lock = field(default_factory=threading.Lock)


class Pool:
    """See the module docstring. ``command`` starts a worker (tests use it to break one)."""

    def __init__(
        self,
        size: int | None = None,
        per_owner: int = PER_OWNER,
        command: list[str] | None = None,
        niceness: int | None = None,
    ) -> None:
        self.size = size or default_size()
        self.per_owner = per_owner
        #: The workers' niceness (workers.child's LSTM_WORKER_NICENESS), unless the server's own
        #: environment sets it for every pool; None: the child's default.
        self.niceness = niceness
        self.command = command or [sys.executable, "-m", "workers.child"]
        self._queue: deque[Job] = deque()
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._closed = False
        #: (is_connected(owner), seconds): a running job whose owner has not been connected for that
        #: long is stopped (its tab was closed; what it learned is kept by on_finish).
        self.orphan_check: tuple[Callable[[str], bool], float] | None = None
        self._slots = [_Slot(k) for k in range(self.size)]
        self._threads = [
            threading.Thread(target=self._serve, args=(slot,), name=f"lstm-worker-{slot.number}", daemon=True)
            for slot in self._slots
        ]
        for thread in self._threads:
            thread.start()

    # --- what pages ask ---

    def submit(
        self,
        owner: str,
        label: str,
        request: dict,
        blob: bytes = b"",
        tag: str = "",
        on_finish: Callable[[Job], object] | None = None,
    ) -> Job:
        """Queue a job for ``owner``; :class:`Busy` if the owner already has :attr:`per_owner` active."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the pool is closed")
            if sum(1 for job in self.jobs() if job.owner == owner) >= self.per_owner:
                raise Busy(owner)
            job = Job(f"job{next(self._ids)}", owner, label, dict(request), blob, tag=tag, on_finish=on_finish)
            job._pool = self
            self._queue.append(job)
            self._cond.notify_all()
        return job

    def stop(self, job: Job) -> None:
        """Stop ``job``: a queued one leaves the queue, a running one stops before its next step."""
        with self._cond:
            if not job.active:
                return
            job.stop_asked = job.stop_asked or time.monotonic()
            if job.state == "queued":
                self._queue.remove(job)
                job.state, job.finished = "stopped", time.monotonic()
                job.stop_reached = job.finished
                self._cond.notify_all()
                return
            slot = job._slot
        if slot is not None and slot.process is not None:
            try:
                with slot.write_lock:
                    wire.send(slot.process.stdin, {"kind": "stop", "id": job.id})
            except (OSError, ValueError):
                pass  # the worker is gone: its thread marks the job failed

    def jobs(self) -> list[Job]:
        """Every active job: the running ones, then the queue in order."""
        with self._cond:
            return [slot.job for slot in self._slots if slot.job is not None] + list(self._queue)

    def close(self) -> None:
        """Stop every job and worker (the server is shutting down, or a test is over)."""
        with self._cond:
            self._closed = True
            queued, self._queue = list(self._queue), deque()
            for job in queued:
                job.state, job.error, job.finished = "failed", "The server is shutting down.", time.monotonic()
            self._cond.notify_all()
        for slot in self._slots:
            if slot.process is not None:
                slot.process.kill()

    # --- the pool's own threads ---

    def _ahead(self, job: Job) -> int:
        with self._cond:
            if job not in self._queue:
                return 0
            before = list(self._queue)[: self._queue.index(job)]
            return sum(1 for other in before if other.owner != job.owner)

    def _wait(self, job: Job, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while job.active:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def _serve(self, slot: _Slot) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job = self._queue.popleft()
                job.state, job.started, job._slot, slot.job = "running", time.monotonic(), slot, job
            try:
                self._run(slot, job)
            except Exception as error:  # a broken worker fails its job, never the pool
                self._finish(job, "failed", error=f"The training process failed ({type(error).__name__}: {error}).")
                self._kill(slot)
            finally:
                with self._cond:
                    slot.job = None
                    self._cond.notify_all()

    def _start(self, slot: _Slot) -> subprocess.Popen:
        if slot.process is None or slot.process.poll() is not None:
            slot.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self._environment(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,
                bufsize=0,
            )
        return slot.process

    def _environment(self) -> dict[str, str]:
        env = {**os.environ, **ONE_THREAD}
        if self.niceness is not None and "LSTM_WORKER_NICENESS" not in os.environ:
            env["LSTM_WORKER_NICENESS"] = str(self.niceness)
        return env

    def _kill(self, slot: _Slot) -> None:
        if slot.process is not None:
            slot.process.kill()
            slot.process.wait()
            slot.process = None

    def _run(self, slot: _Slot, job: Job) -> None:
        process = self._start(slot)
        with slot.write_lock:
            wire.send(process.stdin, {"kind": "train", **job.request, "id": job.id}, job.blob)
        if job.stop_asked is not None:  # asked while it was being handed over
            self.stop(job)
        while True:
            message = wire.receive(process.stdout)
            if message is None:
                try:
                    code = process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    code = "none: it was killed"
                self._kill(slot)
                self._finish(
                    job,
                    "failed",
                    error=f"The training process stopped unexpectedly (exit code {code}); the run is as it was before.",
                )
                return
            header, blob = message
            event = header.get("event")
            self._check_owner(job)
            with self._cond:
                if event == "progress":
                    job.steps_done, job.target = header["steps_done"], header["target"]
                    job.solved_at, job.start_metric = header["solved_at"], header["start_metric"]
                    for record in header["history"]:
                        job.history[int(record[0])] = tuple(record)
                elif event == "stopping":
                    job.stop_reached = time.monotonic()
                self._cond.notify_all()
            if event == "done":
                job.seconds = float(header.get("seconds", 0.0))
                self._finish(job, "stopped" if header.get("stopped") else "done", result=blob)
                return
            if event == "error":
                self._finish(job, "failed", error=f"Training failed: {header.get('message', 'no reason given')}.")
                return

    def _check_owner(self, job: Job) -> None:
        if self.orphan_check is None or job.stop_asked is not None:
            return
        connected, grace = self.orphan_check
        now = time.monotonic()
        if now - job._checked < 2.0:
            return
        job._checked = now
        if connected(job.owner):
            job._gone_since = None
        elif job._gone_since is None:
            job._gone_since = now
        elif now - job._gone_since > grace:
            self.stop(job)

    def _finish(self, job: Job, state: str, result: bytes | None = None, error: str = "") -> None:
        with self._cond:
            job.state, job.result, job.error, job.finished = state, result, error, time.monotonic()
            job.blob = b""
            self._cond.notify_all()
        if job.on_finish is not None:
            with contextlib.suppress(Exception):  # the owner's bookkeeping must not take the pool down
                job.on_finish(job)


_SHARED: Pool | None = None
_COMPUTE: Pool | None = None
_SHARED_LOCK = threading.Lock()


def started() -> bool:
    """Whether the server's pool exists yet (nothing to look up before the first job)."""
    return _SHARED is not None


def shared() -> Pool:
    """The server's pool for training, made on first use."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Pool()
        return _SHARED


def compute() -> Pool:
    """The server's pool for the largest runs a page asks for (workers.remote), made on first use:
    beside the training pool, so that a page never waits behind a class's training; as many workers
    as cores, each job a few seconds at most (ui.runs.REQUEST_CELLS). Its workers run at niceness
    :data:`COMPUTE_NICENESS`: a few students' costliest links must not slow the rest of the class's
    pages (bench.load --scenario heavy: light p95 1.0 s so, 1.3 s at the server's priority)."""
    global _COMPUTE
    with _SHARED_LOCK:
        if _COMPUTE is None:
            _COMPUTE = Pool(per_owner=1_000_000, niceness=COMPUTE_NICENESS)
        return _COMPUTE
