"""A student's tab without a browser: Streamlit's own websocket protocol, spoken from Python (a
benchmark aid, not the app).

In a classroom each student's browser runs on the student's own computer, but a load test on one
machine would have thirty Chromium pages share the server's cores with it. :class:`Tab` does what
the page's JavaScript does on the wire and nothing else: it opens ``/_stcore/stream``, asks for a
page with its link's query, keeps the elements the server sends (by their delta path), presses a
button by sending its trigger, and reruns every ``st.fragment(run_every=...)`` on its timer, as
Streamlit's frontend does (``autoRerun`` sets a timer per fragment, ``stopAutoRerun`` and a full
run's ``newSession`` clear them). So the server does for it exactly the work it does for a real
tab: the same reruns, the same fragment polls, the same messages; only the drawing is missing.

Widgets a tab never touches are not sent: the server keeps their values from the run before.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


class Tab:
    """One browser tab's session on a Streamlit server: ``async with Tab(url) as tab``."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.stream = f"ws://{parts.netloc}/_stcore/stream"
        self.page_name = parts.path.strip("/")
        self.query = parts.query
        self.page_hash = ""
        self.elements: dict[tuple[int, ...], object] = {}
        self.finished = asyncio.Event()  # the last run (full or fragment) has sent script_finished
        self.updated = asyncio.Event()  # set at every script_finished: wait on it, clear it, look
        self.runs = 0  # full runs finished
        self.fragment_runs = 0
        self.exceptions: list[str] = []  # every exception box the server sent this tab
        self._timers: dict[str, asyncio.Task] = {}
        self._intervals: dict[str, float] = {}
        self._socket = None
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> Tab:
        self._socket = await websockets.connect(
            self.stream, subprotocols=["streamlit"], max_size=None, compression=None
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        for timer in self._timers.values():
            timer.cancel()
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
                await self._reader

    async def rerun(self, *, trigger: str | None = None, fragment_id: str = "") -> None:
        """Ask for a run, as the page does: the whole page (with ``trigger``, a button's widget id,
        pressed) or, with ``fragment_id``, a fragment's timed rerun."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_hash
        state.page_name = "" if self.page_hash else self.page_name
        state.widget_states.SetInParent()
        if trigger is not None:
            widget = state.widget_states.widgets.add()
            widget.id = trigger
            widget.trigger_value = True
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = True
        else:
            self.finished.clear()
        await self._socket.send(msg.SerializeToString())

    async def open(self, timeout: float = 600) -> None:
        """Load the page and wait for its first run to finish."""
        await self.rerun()
        await asyncio.wait_for(self.finished.wait(), timeout)

    def texts(self, kinds: tuple[str, ...] = ("markdown", "alert", "progress")) -> Iterator[str]:
        """The text of every element of ``kinds`` (markdown, alert, progress) on the page now."""
        for element in self.elements.values():
            kind = element.WhichOneof("type")
            if kind in kinds:
                yield element.progress.text if kind == "progress" else getattr(element, kind).body

    def find(self, pattern: re.Pattern, kinds: tuple[str, ...] = ("markdown", "alert", "progress")) -> re.Match | None:
        """The first match of ``pattern`` in the text of the elements of ``kinds`` on the page now."""
        return next((found for text in self.texts(kinds) if (found := pattern.search(text))), None)

    def button(self, label) -> tuple[str, bool] | None:
        """(widget id, disabled) of the button whose label matches ``label`` (a compiled regex), if shown."""
        for element in self.elements.values():
            if element.WhichOneof("type") == "button" and label.fullmatch(element.button.label):
                return element.button.id, element.button.disabled
        return None

    async def _read(self) -> None:
        async for data in self._socket:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                if not msg.metadata.run.fragment_ids:  # a full run: the frontend's cleanupAutoReruns
                    for timer in self._timers.values():
                        timer.cancel()
                    self._timers.clear()
                    self._intervals.clear()
                    self.elements = {}
            elif kind == "navigation":  # st.navigation's page: the hash later runs ask for
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                self.elements[tuple(msg.metadata.delta_path)] = element
                if element.WhichOneof("type") == "exception":
                    self.exceptions.append(f"{element.exception.type}: {element.exception.message}")
            elif kind == "auto_rerun":
                self._timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
            elif kind == "stop_auto_rerun":
                for fragment_id in msg.stop_auto_rerun.fragment_ids:
                    self._intervals.pop(fragment_id, None)
                    if timer := self._timers.pop(fragment_id, None):
                        timer.cancel()
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                    self.fragment_runs += 1
                else:
                    self.runs += 1
                self.finished.set()
                self.updated.set()

    def _timer(self, fragment_id: str, interval: float) -> None:
        """The frontend's handleAutoRerun: a timer per fragment, replaced if its interval changes."""
        if self._intervals.get(fragment_id) == interval:
            return
        if timer := self._timers.pop(fragment_id, None):
            timer.cancel()
        self._intervals[fragment_id] = interval

        async def tick() -> None:
            next_at = time.monotonic() + interval
            while True:  # setInterval: a fixed period, whether or not the last rerun has answered
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
                await self.rerun(fragment_id=fragment_id)

        self._timers[fragment_id] = asyncio.create_task(tick())
