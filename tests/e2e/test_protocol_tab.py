"""The Train page on the wire, through bench.protocol's tab (what bench.load's thirty trainers are):
one press of Train is one rerun that already draws the buttons of a queued run, the progress
fragment reruns on its timer, and the model reaches the page."""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor

from bench.load import TRAIN_BUTTON, VERDICT
from bench.protocol import Tab

STOP = re.compile("Stop")


async def press_train(url: str) -> dict:
    async with Tab(f"{url}/train?train_steps=3000&task=chars&train_units=32") as tab:
        await tab.open()
        (train, disabled), before = tab.button(TRAIN_BUTTON), tab.runs
        assert not disabled and tab.button(STOP)[1], "before a press: Train on, Stop off"
        await tab.rerun(trigger=train)
        await asyncio.wait_for(tab.finished.wait(), 60)
        seen = {"runs": tab.runs - before, "train_off": tab.button(TRAIN_BUTTON)[1]}
        seen["stop_on"] = not tab.button(STOP)[1]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the progress fragment, rerun by the tab's timer
            seen["progress"] = list(tab.texts(("progress",)))
            if tab.fragment_runs and any(re.match(r"Step [1-9]\d* of 3000", p) for p in seen["progress"]):
                break
            await asyncio.sleep(0.1)
        seen["fragment_runs"] = tab.fragment_runs
        await tab.rerun(trigger=tab.button(STOP)[0])  # Stop: the model keeps what it learned
        while time.monotonic() < deadline:
            verdict = tab.find(VERDICT, ("markdown",))
            if verdict is not None:
                seen["steps"] = int(verdict.group(1))
                break
            await asyncio.sleep(0.1)
        seen["exceptions"] = tab.exceptions
        return seen


def test_a_press_is_one_rerun_and_the_progress_follows_on_its_timer(app_url: str) -> None:
    # A thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        seen = thread.submit(asyncio.run, press_train(app_url)).result()
    assert seen["runs"] == 1 and seen["train_off"] and seen["stop_on"], seen
    assert seen["fragment_runs"] >= 1 and any(re.match(r"Step [1-9]\d* of 3000", p) for p in seen["progress"]), seen
    assert 0 < seen.get("steps", 0) < 3000 and not seen["exceptions"], seen
