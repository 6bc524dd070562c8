"""`streamlit run`, with two timestamps per rerun logged for bench.load (a benchmark aid, not the app).

    BENCH_RERUN_LOG=reruns.txt python -m bench.load_server run app.py [streamlit options]

Logs, per session, when the server receives a rerun request from a browser and when it queues the
run's last message (script_finished) for that browser: the server's round trip, whatever the
browsers on the same machine are doing. Lines: ``<monotonic seconds> <session id> request|fragment|finished
<page name or ->`` (a fragment's own rerun, as the Train page's progress makes, is logged as such).
"""

from __future__ import annotations

import os
import sys
import threading
import time

from streamlit.runtime.app_session import AppSession
from streamlit.web.cli import main

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


AppSession.handle_backmsg = handle_backmsg
AppSession._enqueue_forward_msg = enqueue_forward_msg

if __name__ == "__main__":
    sys.exit(main(prog_name="streamlit"))
