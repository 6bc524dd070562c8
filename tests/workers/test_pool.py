"""The worker pool that trains the class's runs: a run trained by a worker is exactly the run trained
here; the queue keeps its order and says who is ahead; a session may have two jobs at once; Stop
reaches a queued job and a running one and keeps what was learned; a worker that dies fails its job
with a message and is replaced; a job whose session has gone is stopped, and its result still
reaches its owner's bookkeeping."""

from __future__ import annotations

import sys
from dataclasses import asdict

import numpy as np
import pytest

from lstm_core.tasks import make_task
from lstm_core.training import Trainer, TrainSettings, train_steps
from workers.pool import Busy, Pool

TASK = make_task("recall", 5)
SETTINGS = TrainSettings(units=8, seed=3)
SLOW = {"task": "chars", "size": 40, "settings": asdict(TrainSettings(units=32)), "steps": 5000}


def request(steps: int = 40, settings: TrainSettings = SETTINGS) -> dict:
    return {"task": TASK.key, "size": TASK.size, "settings": asdict(settings), "steps": steps, "report_seconds": 0.05}


def same_run(a: Trainer, b: Trainer) -> None:
    assert a.steps_done == b.steps_done
    for name, array in a.model.arrays().items():
        np.testing.assert_array_equal(array, b.model.arrays()[name], err_msg=name)
    assert [(r.step, r.loss, r.grad_norm, r.metric) for r in a.history] == [
        (r.step, r.loss, r.grad_norm, r.metric) for r in b.history
    ]
    assert (a.solved_at, a.start_metric) == (b.solved_at, b.start_metric)


@pytest.fixture
def pool():
    found = Pool(2)
    yield found
    found.close()


def test_a_run_trained_by_a_worker_is_the_run_trained_here_and_goes_on_where_it_stopped(pool):
    here = Trainer(TASK, SETTINGS)
    here.evaluate()
    train_steps(here, 40)
    job = pool.submit("a", "run", request())
    assert job.wait(60) and job.state == "done", job.error
    there = Trainer.from_state(TASK, SETTINGS, job.result)
    same_run(here, there)
    # The progress the page drew is the run's own history.
    assert [r.step for r in here.history] == sorted(job.history)
    # Twenty more steps from the state sent back: the same as twenty more here.
    more = pool.submit("a", "run", request(20), job.result)
    assert more.wait(60) and more.state == "done"
    train_steps(here, 20)
    same_run(here, Trainer.from_state(TASK, SETTINGS, more.result))


def test_the_queue_keeps_its_order_and_says_how_many_are_ahead():
    pool = Pool(1)
    try:
        first = pool.submit("a", "slow", SLOW)
        while first.state == "queued":
            first.wait(0.01)
        waiting = [pool.submit(owner, "run", request()) for owner in ("b", "c", "d")]
        assert [job.state for job in waiting] == ["queued"] * 3
        assert [job.ahead() for job in waiting] == [0, 1, 2]
        assert pool.jobs() == [first, *waiting]
        pool.stop(first)
        assert all(job.wait(60) for job in waiting)
        assert all(job.state == "done" for job in waiting)
        started = [job.started for job in waiting]
        assert started == sorted(started)  # first come, first served
    finally:
        pool.close()


def test_a_session_may_have_two_jobs_at_once(pool):
    jobs = [pool.submit("a", "slow", SLOW), pool.submit("a", "slow", SLOW)]
    with pytest.raises(Busy):
        pool.submit("a", "run", request())
    other = pool.submit("b", "run", request())  # another session is not held up by it
    for job in jobs:
        pool.stop(job)
    assert other.wait(60) and other.state == "done"


def test_stop_takes_a_job_out_of_the_queue_and_stops_a_running_one_keeping_what_it_learned():
    pool = Pool(1)
    try:
        running = pool.submit("a", "slow", SLOW)
        queued = pool.submit("b", "run", request())
        while running.steps_done < 3:
            running.wait(0.05)
        pool.stop(queued)
        assert queued.state == "stopped" and queued.result is None  # it never started: nothing changed
        pool.stop(running)
        assert running.wait(30) and running.state == "stopped"
        kept = Trainer.from_state(make_task("chars", 40), TrainSettings(units=32), running.result)
        assert 3 <= kept.steps_done < 5000
        assert kept.steps_done >= running.steps_done and running.stop_reached is not None
        assert kept.history[-1].metric is not None  # the last step is evaluated, for the chart
    finally:
        pool.close()


def test_a_worker_that_dies_fails_its_job_with_a_message_and_is_replaced(tmp_path):
    flag = tmp_path / "died-once"
    command = [
        sys.executable,
        "-c",
        "import pathlib, runpy, sys; f = pathlib.Path(sys.argv[1]);"
        " (f.touch(), sys.exit(3)) if not f.exists() else runpy.run_module('workers.child', run_name='__main__')",
        str(flag),
    ]
    pool = Pool(1, command=command)
    try:
        job = pool.submit("a", "run", request())
        assert job.wait(60) and job.state == "failed"
        assert "stopped unexpectedly (exit code 3)" in job.error and "as it was before" in job.error
        again = pool.submit("a", "run", request())
        assert again.wait(60) and again.state == "done", again.error
    finally:
        pool.close()


def test_a_bad_job_costs_its_own_message_not_the_worker(pool):
    bad = pool.submit("a", "run", {**request(), "task": "no-such-task"})
    assert bad.wait(60) and bad.state == "failed" and "Unknown task" in bad.error
    good = pool.submit("a", "run", request())
    assert good.wait(60) and good.state == "done"


def test_a_job_whose_session_has_gone_is_stopped_and_its_result_still_kept(pool):
    kept = []
    pool.orphan_check = (lambda owner: owner != "gone", 0.0)
    job = pool.submit("gone", "slow", SLOW, on_finish=lambda job: kept.append(job.result))
    assert job.wait(60) and job.state == "stopped"
    assert kept and kept[0] == job.result and job.steps_done < 5000


@pytest.mark.parametrize(("niceness", "expected"), [(None, 0), (7, 7)])
def test_a_pool_sets_its_workers_niceness(monkeypatch, niceness, expected):
    """The training pool's workers run at the server's priority, the compute pool's lower (workers.pool.compute)."""
    import os

    from lstm_core import LSTMConfig, init_params
    from workers import remote

    monkeypatch.delenv("LSTM_WORKER_NICENESS", raising=False)
    cfg = LSTMConfig(input_size=2, num_units=3)
    header, blob = remote.pack([cfg], [init_params(cfg)], np.ones((1, 4, 2)), None, None)
    pool = Pool(1, niceness=niceness)
    try:
        assert pool.submit("me", "run", header, blob).wait(60)
        worker = pool._slots[0].process.pid
        assert os.getpriority(os.PRIO_PROCESS, worker) == os.getpriority(os.PRIO_PROCESS, 0) + expected
    finally:
        pool.close()
