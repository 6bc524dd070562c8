"""`streamlit run`, with two timestamps per rerun logged for bench.load (a benchmark aid, not the app).

    BENCH_RERUN_LOG=reruns.txt python -m bench.load_server run app.py [streamlit options]

Logs, per session, when the server receives a rerun request from a browser and when it queues the
run's last message (script_finished) for that browser: the server's round trip, whatever the
browsers on the same machine are doing. Lines: ``<monotonic seconds> <session id> request|fragment|finished
<page name or ->`` (a fragment's own rerun, as the Train page's progress makes, is logged as such);
and each training job of the worker pool when it finishes: ``<finished> <session id> job <state>
<submitted> <started> <steps done> <seconds in the worker>`` (monotonic seconds, as the rest).
"""

from __future__ import annotations

import os
import sys
import threading
import time

from streamlit.runtime.app_session import AppSession
from streamlit.web.cli import main

from workers.pool import Pool

_lock = threading.Lock()
_out = open(os.environ["BENCH_RERUN_LOG"], "a", buffering=1)  # noqa: SIM115 (open for the server's life)
_handle_backmsg = AppSession.handle_backmsg
_enqueue_forward_msg = AppSession._enqueue_forward_msg


def _log(session: AppSession, what: str, page: str = "") -> None:
    with _lock:
        _out.write(f"{time.monotonic():.6f} {session.id} {what} {page or '-'}\n")


def handle_backmsg(self, msg) -> None:
    if msg.WhichOneof("type") == "rerun_script":
        rerun = msg.rerun_script
        _log(self, "fragment" if rerun.fragment_id else "request", rerun.page_name)
    _handle_backmsg(self, msg)


def enqueue_forward_msg(self, msg) -> None:
    _enqueue_forward_msg(self, msg)
    if msg.WhichOneof("type") == "script_finished":
        _log(self, "finished")


def finish(self, job, state, result=None, error="") -> None:
    _finish(self, job, state, result, error)
    with _lock:  # a training job's life, for the train scenario: submitted, started and finished
        _out.write(
            f"{job.finished:.6f} {job.owner} job {job.state} {job.submitted:.6f} {job.started or 0:.6f} "
            f"{job.steps_done} {job.seconds:.3f}\n"
        )


AppSession.handle_backmsg = handle_backmsg
AppSession._enqueue_forward_msg = enqueue_forward_msg
_finish = Pool._finish
Pool._finish = finish

if __name__ == "__main__":
    sys.exit(main(prog_name="streamlit"))
