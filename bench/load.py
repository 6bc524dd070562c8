"""Thirty students at once: concurrent headless-browser sessions changing Explore's controls.

    .venv/bin/python -m bench.load [--sessions 30] [--seconds 60] [--think 0.5 2.0] [--compression] [--draw]
    .venv/bin/python -m bench.load --scenario train [--sessions 30] [--light 5]
    .venv/bin/python -m bench.load --scenario heavy [--sessions 25] [--heavy 4]
    .venv/bin/python -m bench.load --scenario pool [--sessions 30]

Scenarios (issue 22): **explore** (the default) is the class changing Explore's controls.
**train**: first one student alone presses Train on the Train page at its default task (the single
run's time); then ``--sessions`` students press Train within one second while ``--light`` others
change Explore's controls. The trainers are tabs that speak Streamlit's websocket protocol
(bench.protocol): the same reruns, fragment polls and messages as the page's JavaScript, but no
Chromium page on this machine, because in a class each student's browser runs on the student's own
computer, not on the server's two cores (thirty starved Chromium pages, even under the idle
scheduler, took two thirds of the workers' CPU). Printed: each trainer's time from the press to the
trained model on the page, the last one's against (students x single run / cores) + 20%, whether
every page shows its model, and the light students' server round trips. **heavy**: ``--heavy`` students open the
costliest Compare link (4 variants at forget_bias 0 and 1, 2000 steps x 96 units: new runs on
every load, each with its own weight seed) again and again while ``--sessions`` light students
change Explore's controls. Target in both: light p95 under 2 s, nothing refused without a message.
**pool**: the worker pool alone, no server and no browsers: the class's thirty runs against the
same bound, and the same runs in threads of one interpreter as the Train page trained before.

Starts `streamlit run app.py` on loopback, then one headless Chromium with one browser context (its
own cookies, cache and Streamlit session) per student. All open the same link at once; when every
page has loaded, each student changes a control (num_units, the weight scale, the weight seed,
the pre-activation toggle: forget_bias and the step scrub in the browser and send nothing), waits
for the page to finish, thinks for
a random 0.5 to 2 s and does it again, for 60 s.

The round trip of each change is the server's: from receiving the browser's request for a rerun to
queuing the rerun's last message for it, logged by the server (bench/load_server.py wraps
`streamlit run` to timestamp both). The time from the key press to the last message painted in the
page is printed too ("in the page"), but it is this machine's, not the server's:

this machine is also the students' thirty computers. A Chromium page load of the app costs about
10 CPU-seconds here and each rerun about half a CPU-second of browser work, against about 0.1 s of
server work. So the browsers run under the Linux idle scheduler (SCHED_IDLE: they only get the CPU
time the server leaves), the server at normal priority, and the browsers get a stand-in for Plotly.js that takes each figure and draws nothing (--draw uses the
real one): each student's own computer draws their charts (bench.app_latency times the drawing).
The page load times printed are this machine's too.

Prints the counts, the percentiles, the changes per second achieved, the server's CPU use, every
exception (Streamlit's exception boxes on the pages, errors in the pages' JavaScript, tracebacks in
the server log) and the server's memory before the students arrive, at its peak, and after they
leave. Target: zero exceptions, p95 round trip < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import async_playwright

from bench.common import machine, table
from bench.protocol import Tab
from tools.browser import IDLE, WEBSOCKET_RECORDER, launch_args, rss_mib, server_pid, streamlit_server
from workers.child import niceness

#: Sliders a student moves with the arrow keys: (label, lowest and highest offset from the start, in steps).
#: Explore's forget_bias and step scrub in the browser with no server message (bench.scrub measures
#: them), so the changes that reach the server are these.
SLIDERS = {
    "num_units": (0, 28),
    "Weight scale": (-5, 10),
}
ACTIONS = [*SLIDERS, "Weight seed", "Show pre-activations"]
QUIET_MS = 300  # the rerun is over when the page is idle and no message came for this long

#: What the students' browsers get instead of Plotly.js (unless --draw): it takes each figure as
#: Plotly.react would, and draws nothing.
PLOTLY_STUB = """window.Plotly = {
    react: async (gd, figure) => {
        gd.classList.add("js-plotly-plot");
        if (!gd.firstChild) gd.innerHTML = '<svg class="main-svg"></svg>';
        gd.data = figure.data;
        gd.layout = figure.layout;
        return gd;
    },
    purge: () => {},
};"""

STATE = """([since, idle]) => {
    const ws = window.__ws;
    const last = ws.received.length ? ws.received[ws.received.length - 1] : 0;
    const painted = ws.painted.filter((t) => t >= last);
    return {
        count: ws.received.length,
        last, painted: painted.length ? painted[painted.length - 1] : last,
        now: performance.now(),
        idle: !!document.querySelector(idle),
        exceptions: document.querySelectorAll('[data-testid="stException"]').length,
        bytes: ws.bytes.slice(since).reduce((a, b) => a + b, 0),
    };
}"""


@dataclass
class Student:
    number: int
    rng: random.Random
    offsets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SLIDERS, 0))
    load_s: float = 0.0
    page_ms: list[float] = field(default_factory=list)
    bytes_per_rerun: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    timeouts: int = 0


async def act(page, student: Student, action: str) -> None:
    if action in SLIDERS:
        low, high = SLIDERS[action]
        offset = student.offsets[action]
        up = offset < high and (offset <= low or student.rng.random() < 0.5)
        student.offsets[action] += 1 if up else -1
        thumb = page.locator("[data-testid='stSlider']").filter(has_text=action).get_by_role("slider")
        await thumb.focus()
        await page.keyboard.press("ArrowRight" if up else "ArrowLeft")
    elif action == "Weight seed":
        box = page.locator("[data-testid='stNumberInput']").filter(has_text=action)
        await box.locator("[data-testid='stNumberInputStepUp']").click()
    else:
        await page.get_by_text(action, exact=True).click()


async def timed(page, student: Student, action: str, timeout: float = 60.0) -> None:
    """Make one change and wait for its rerun to end; record its round trip."""
    before = await page.evaluate(STATE, [0, IDLE])
    await act(page, student, action)
    deadline = time.monotonic() + timeout
    while True:
        await asyncio.sleep(0.25)  # only paces the polling: the times come from the browser
        state = await page.evaluate(STATE, [before["count"], IDLE])
        if state["exceptions"]:
            student.errors.append(f"student {student.number}: an exception box after {action}")
            return
        if state["count"] > before["count"] and state["idle"] and state["now"] - state["last"] > QUIET_MS:
            break
        if time.monotonic() > deadline:
            student.timeouts += 1
            return
    student.page_ms.append(state["painted"] - before["now"])
    student.bytes_per_rerun.append(state["bytes"])


async def stub_plotly(context) -> None:
    async def fulfil(route):
        await route.fulfill(body=PLOTLY_STUB, content_type="application/javascript")

    await context.route("**/plotly.min.js", fulfil)


async def open_page(browser, url: str, student: Student, draw: bool):
    """The student's own context and page, its websocket traffic recorded (tools.browser)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    if not draw:
        await stub_plotly(context)
    page = await context.new_page()
    page.on("pageerror", lambda error: student.errors.append(f"student {student.number}: JavaScript: {error}"))
    await page.add_init_script(WEBSOCKET_RECORDER)
    return context, page


async def run_student(
    browser,
    url: str,
    student: Student,
    loaded,
    go: asyncio.Event,
    seconds,
    think,
    draw,
    until: asyncio.Event | None = None,
) -> None:
    """A light student: change a control, think, again, for ``seconds`` (and, with ``until``, until it is set)."""
    context = None
    try:
        context, page = await open_page(browser, url, student, draw)
        began = time.monotonic()
        await page.goto(url, timeout=600_000)
        await page.wait_for_selector(IDLE, timeout=600_000)
        await page.wait_for_selector(".js-plotly-plot .main-svg", timeout=600_000)
        student.load_s = time.monotonic() - began
        loaded()
        await go.wait()
        end = time.monotonic() + seconds
        while time.monotonic() < end or (until is not None and not until.is_set()):
            await timed(page, student, student.rng.choice(ACTIONS))
            await asyncio.sleep(student.rng.uniform(*think))
    except Exception as error:  # a failed page is counted, not raised: the others keep going
        student.errors.append(f"student {student.number}: {type(error).__name__}: {str(error)[:300]}")
        if not student.load_s:  # it never loaded: don't keep the others waiting for it
            loaded()
    finally:
        if context is not None:
            await context.close()


#: The Train page's verdict once a model is on the page, and its note on a finished job.
VERDICT = re.compile(r"after (\d+) steps")
TRAINED = re.compile(r"Trained (\d+) (?:more )?steps (?:\(\d+ in all\) )?in ([\d.]+) s(?:, after waiting (\d+) s)?")
#: What the Train page says when it refuses or fails a run.
REFUSED = re.compile(r"already training|failed|stopped unexpectedly|shutting down", re.I)


@dataclass
class TrainStudent:
    number: int
    pressed: float = 0.0
    finished: float = 0.0
    worker_s: float = 0.0
    waited_s: float = 0.0
    steps: int = 0
    refused: str = ""
    errors: list[str] = field(default_factory=list)


#: The Train page's button before a run has trained.
TRAIN_BUTTON = re.compile(r"Train \d+ steps")


async def run_trainer(url: str, trainer: TrainStudent, loaded, go: asyncio.Event, timeout: float = 900) -> None:
    """A student who presses Train within a second of ``go`` and waits for the trained model's
    verdict on the page: a tab that speaks Streamlit's protocol (bench.protocol), as the page's
    JavaScript would from the student's own computer."""
    rng = random.Random(trainer.number)
    opened = False
    try:
        async with Tab(url) as tab:
            await tab.open()
            button = tab.button(TRAIN_BUTTON)
            opened = True
            loaded()
            if button is None:
                trainer.errors.append(f"trainer {trainer.number}: no Train button on the page")
                return
            await go.wait()
            await asyncio.sleep(rng.uniform(0, 1))  # the class presses Train within one second
            trainer.pressed = time.monotonic()
            await tab.rerun(trigger=button[0])
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):  # a run of the page has finished: look at it
                    await asyncio.wait_for(tab.updated.wait(), max(0.0, deadline - time.monotonic()))
                tab.updated.clear()
                verdict = tab.find(VERDICT, ("markdown",))
                if verdict is not None:
                    break
                refusal = tab.find(REFUSED, ("alert",))
                if refusal is not None:
                    trainer.refused = refusal.string[:200]
                    return
            else:
                trainer.errors.append(f"trainer {trainer.number}: no model after {timeout:.0f} s")
                return
            trainer.finished = time.monotonic()
            trainer.steps = int(verdict.group(1))
            note = tab.find(TRAINED, ("alert",))
            if note is not None:
                trainer.worker_s, trainer.waited_s = float(note.group(2)), float(note.group(3) or 0)
            trainer.errors += [f"trainer {trainer.number}: an exception box: {text[:300]}" for text in tab.exceptions]
    except Exception as error:  # a failed tab is counted, not raised: the others keep going
        trainer.errors.append(f"trainer {trainer.number}: {type(error).__name__}: {str(error)[:300]}")
        if not opened:  # it never opened: don't keep the others waiting for it
            loaded()


async def run_heavy(
    browser, url: str, number: int, loads: list[float], errors: list[str], until: asyncio.Event
) -> None:
    """A student on the costliest Compare link, loading it again with a new weight seed until ``until``."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await stub_plotly(context)
    page = await context.new_page()
    round_ = 0
    try:
        while not until.is_set():
            began = time.monotonic()
            await page.goto(f"{url}&seed={1000 + 37 * number + round_}", timeout=600_000)
            await page.wait_for_selector(IDLE, timeout=600_000)
            if await page.locator("[data-testid='stException']").count():
                errors.append(f"heavy student {number}: an exception box")
            loads.append(time.monotonic() - began)
            round_ += 1
    except Exception as error:
        errors.append(f"heavy student {number}: {type(error).__name__}: {str(error)[:300]}")
    finally:
        await context.close()


async def class_load(base: str, args) -> dict:
    """The train or heavy scenario (see the module docstring); what main prints."""
    report: dict = {"errors": []}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_args())
        # The browsers (and Playwright's driver) were started under the idle scheduler; the protocol
        # tabs of this process stand for the students' own computers, so they get normal priority.
        with contextlib.suppress(PermissionError):
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        warm = await browser.new_page()
        await warm.goto(f"{base}/explore?weights=random")
        await warm.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
        await warm.close()
        until, go = asyncio.Event(), asyncio.Event()
        if args.scenario == "train":
            alone = TrainStudent(-1)
            await run_trainer(f"{base}/train?train_seed=999", alone, lambda: None, _set(go))
            report["single"] = alone
            go = asyncio.Event()
        light_count = args.light if args.scenario == "train" else args.sessions
        waiting = [light_count + (args.sessions if args.scenario == "train" else 0)]

        def loaded() -> None:
            waiting[0] -= 1
            if waiting[0] <= 0:
                go.set()

        students = [Student(k, random.Random(args.seed * 1000 + k)) for k in range(light_count)]
        light = [
            asyncio.create_task(
                run_student(
                    browser,
                    f"{base}/explore?weights=random",
                    s,
                    loaded,
                    go,
                    args.seconds,
                    tuple(args.think),
                    args.draw,
                    until,
                )
            )
            for s in students
        ]
        heavy_loads: list[float] = []
        trainers: list[TrainStudent] = []
        if args.scenario == "train":
            trainers = [TrainStudent(k) for k in range(args.sessions)]
            work = [
                asyncio.create_task(run_trainer(f"{base}/train?train_seed={k}", t, loaded, go))
                for k, t in enumerate(trainers)
            ]
        if not waiting[0]:
            go.set()
        await go.wait()
        report["go"] = time.monotonic()
        cpu_go, client_go = cpu_seconds(server_pid(base)), time.process_time()
        if args.scenario == "heavy":
            compare = f"{base}/compare?" + "&".join(f"{k}={v}" for k, v in HEAVY_LINK.items())
            work = [
                asyncio.create_task(run_heavy(browser, compare, k, heavy_loads, report["errors"], until))
                for k in range(args.heavy)
            ]
            await asyncio.sleep(args.seconds)
            until.set()
            await asyncio.gather(*work)
        else:
            await asyncio.gather(*work)
            report["class_cpu"] = cpu_seconds(server_pid(base)) - cpu_go, time.monotonic() - report["go"]
            report["client_cpu"] = time.process_time() - client_go  # the thirty protocol tabs (this process)
            until.set()
        await asyncio.gather(*light)
        report["end"] = time.monotonic()
        await browser.close()
    report["students"], report["trainers"], report["heavy_loads"] = students, trainers, heavy_loads
    return report


def _set(event: asyncio.Event) -> asyncio.Event:
    event.set()
    return event


#: The costliest Compare link that fits the page limit (bench.memory's): 4 variants at forget_bias
#: 0 and 1, 2000 steps x 96 units, 1,536,000 cells; each load gets a new weight seed.
HEAVY_LINK = {
    "preset": "random",
    "steps": "2000",
    "num_units": "96",
    "variants": "basic,peephole,coupled,NIG",
    "fb01": "true",
}


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sample_memory(pid: int, samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(rss_mib(pid))
        await asyncio.sleep(1.0)


async def load(url: str, args) -> tuple[list[Student], dict]:
    pid = server_pid(url)
    report: dict = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_args())
        warm = await browser.new_page()  # one visit first, so "before" is the server with the app loaded
        await warm.goto(url)
        await warm.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
        await warm.close()
        await asyncio.sleep(2)
        report["before"] = rss_mib(pid)
        students = [Student(k, random.Random(args.seed * 1000 + k)) for k in range(args.sessions)]
        go, stop = asyncio.Event(), asyncio.Event()
        waiting = [len(students)]

        def loaded() -> None:
            waiting[0] -= 1
            if not waiting[0]:
                go.set()

        samples: list[float] = []
        sampler = asyncio.create_task(sample_memory(pid, samples, stop))
        started = time.monotonic()
        tasks = [
            asyncio.create_task(run_student(browser, url, s, loaded, go, args.seconds, tuple(args.think), args.draw))
            for s in students
        ]
        await go.wait()
        report["go"] = time.monotonic()
        report["all_loaded_s"] = report["go"] - started
        cpu0, wall0 = cpu_seconds(pid), time.monotonic()
        await asyncio.gather(*tasks)
        report["server_cpu"] = (cpu_seconds(pid) - cpu0) / (time.monotonic() - wall0)
        report["window_s"] = time.monotonic() - wall0
        stop.set()
        await sampler
        await browser.close()
    await asyncio.sleep(5)  # the server drops the sessions once their websockets close
    report["peak"] = max(samples, default=report["before"])
    report["after"] = rss_mib(pid)
    return students, report


def server_round_trips(log: Path, since: float, page: str | None = None) -> list[float]:
    """Milliseconds from each rerun request (after ``since``, time.monotonic) to the next finished run
    of the same session, from bench.load_server's log; with ``page``, only the sessions that asked
    for reruns of that page (e.g. "explore": the light students). A fragment's own rerun (the Train
    page's progress) is not a student's change and is left out."""
    pending: dict[str, float] = {}
    pages: dict[str, set[str]] = {}
    times: dict[str, list[float]] = {}
    for line in log.read_text().splitlines():
        stamp, session, what, *rest = line.split()
        if what == "job":
            continue
        if what in ("request", "fragment"):
            pages.setdefault(session, set()).add(rest[0] if rest else "-")
        if what == "fragment":
            pending.pop(session, None)
            pending[session] = -1.0  # its finish is not a student's round trip
        elif what == "request" and pending.get(session, -1.0) < 0:
            pending[session] = float(stamp)
        elif what == "finished" and session in pending:
            requested = pending.pop(session)
            if requested >= since:
                times.setdefault(session, []).append((float(stamp) - requested) * 1000)
    return [t for session, values in times.items() if page is None or page in pages[session] for t in values]


@dataclass
class JobRecord:
    owner: str
    state: str
    submitted: float
    started: float
    finished: float
    steps: int
    seconds: float


def jobs_of(log: Path, since: float) -> list[JobRecord]:
    """The training jobs bench.load_server logged, submitted after ``since``."""
    found = []
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) == 8 and parts[2] == "job":
            finished, owner, _, state, submitted, started, steps, seconds = parts
            if float(submitted) >= since:
                found.append(
                    JobRecord(
                        owner, state, float(submitted), float(started), float(finished), int(steps), float(seconds)
                    )
                )
    return found


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 2.0), metavar=("MIN", "MAX"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compression", action="store_true", help="server.enableWebsocketCompression on")
    parser.add_argument("--draw", action="store_true", help="the browsers draw the charts with the real Plotly.js")
    parser.add_argument("--scenario", choices=("explore", "train", "heavy", "pool"), default="explore")
    parser.add_argument("--light", type=int, default=5, help="train: light students beside the trainers")
    parser.add_argument("--heavy", type=int, default=4, help="heavy: students on the costliest link")
    parser.add_argument("--idle-workers", action="store_true", help="the workers under the idle scheduler too")
    args = parser.parse_args()
    if args.scenario == "pool":
        return pool_main(args)
    if args.scenario != "explore":
        return class_main(args)
    options = ("--server.enableWebsocketCompression", "true" if args.compression else "false")
    folder = Path(tempfile.mkdtemp())
    log, reruns = folder / "server.log", folder / "reruns.txt"
    env = {"BENCH_RERUN_LOG": str(reruns)}
    with streamlit_server("app.py", log=log, options=options, module="bench.load_server", env=env) as url:
        # The server started at normal priority; this process and the Chromium it starts yield to it.
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        students, report = asyncio.run(load(f"{url}/explore?weights=random", args))
    server_errors = [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line]
    errors = [e for s in students for e in s.errors] + [f"server log: {line}" for line in server_errors]
    server = server_round_trips(reruns, report["go"])
    in_page = [t for s in students for t in s.page_ms]
    sizes = [b for s in students for b in s.bytes_per_rerun]
    loads = [s.load_s for s in students if s.load_s]
    timeouts = sum(s.timeouts for s in students)

    print(f"{machine()}")
    print(
        f"{args.sessions} sessions, each changing controls for {args.seconds:g} s (think {args.think[0]:g}-"
        f"{args.think[1]:g} s); websocket compression {'on' if args.compression else 'off'}; "
        f"charts {'drawn' if args.draw else 'not drawn (Plotly.js stand-in)'}"
    )
    if loads:
        print(
            f"page loads (this machine's {args.sessions} browsers at once): all loaded after {report['all_loaded_s']:.0f} s, "
            f"median {statistics.median(loads):.0f} s"
        )
    print()
    rows = [
        [name, str(len(values))] + [f"{percentile(values, q):.0f}" for q in (50, 95)] + [f"{max(values):.0f}"]
        for name, values in (("server round trip", server), ("in the page (key press to painted)", in_page))
        if values
    ]
    if rows:
        print(table(["ms", "changes", "median", "p95", "max"], rows))
        print()
    print(
        f"{len(in_page) / report['window_s']:.1f} changes per second over {report['window_s']:.0f} s; "
        f"server CPU {100 * report['server_cpu']:.0f}% of one core"
    )
    if sizes:
        print(f"bytes received per rerun (uncompressed): median {statistics.median(sizes):,.0f}, max {max(sizes):,}")
    print(
        f"server memory (RSS, MiB): before {report['before']:.0f}, peak {report['peak']:.0f}, "
        f"after the students left {report['after']:.0f}"
    )
    print(f"changes with no answer within 60 s: {timeouts}")
    print(f"exceptions: {len(errors)}")
    for error in errors[:20]:
        print("  " + error)
    p95 = percentile(server, 95) if server else float("inf")
    verdict = "met" if not errors and not timeouts and p95 < 2000 else "NOT met"
    print(f"target (no exceptions, p95 server round trip < 2000 ms): {verdict}")
    return 0 if verdict == "met" else 1


def pool_main(args) -> int:
    """The pool alone (no server, no browsers): one default run, then ``--sessions`` runs submitted
    within one second, as the class's presses reach it; and, for contrast, the same runs in threads of
    one interpreter, as the Train page trained before the pool."""
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import asdict

    from lstm_core.tasks import TASKS, make_task
    from lstm_core.training import Trainer, TrainSettings, train_steps
    from workers.pool import Pool

    kind = TASKS["recall"]

    def request(seed: int) -> dict:
        settings = asdict(TrainSettings(seed=seed))
        return {"task": "recall", "size": kind.size_default, "settings": settings, "steps": kind.default_steps}

    cores = os.cpu_count() or 1
    pool = Pool()
    try:
        pool.submit("warm", "warm", request(998)).wait()
        alone = pool.submit("alone", "alone", request(999))
        alone.wait()
        single = alone.finished - alone.submitted
        rng = random.Random(args.seed)
        jobs = []
        first = time.monotonic()
        for k in range(args.sessions):
            time.sleep(max(0.0, first + rng.uniform(0, 1) * k / args.sessions - time.monotonic()))
            jobs.append(pool.submit(f"student{k}", "run", request(k)))
        for job in jobs:
            job.wait()
    finally:
        pool.close()
    last = max(j.finished for j in jobs) - min(j.submitted for j in jobs)
    bound = args.sessions * single / cores * 1.2

    def in_process(seed: int) -> float:
        began = time.perf_counter()
        trainer = Trainer(make_task("recall"), TrainSettings(seed=seed))
        trainer.evaluate()
        train_steps(trainer, kind.default_steps)
        return time.perf_counter() - began

    threads = min(args.sessions, 10)
    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as executor:
        each = list(executor.map(in_process, range(threads)))
    before = time.perf_counter() - began
    print(machine())
    print(
        f"pool: {pool.size} workers; {args.sessions} default runs of delayed recall ({kind.default_steps} steps) submitted within one second"
    )
    print()
    rows = [
        ["one run alone (submitted to finished)", f"{single:.2f}"],
        [f"the last of {args.sessions} finished, after the first was submitted", f"{last:.2f}"],
        [f"bound: ({args.sessions} x one run / {cores} cores) + 20%", f"{bound:.2f}"],
        [
            f"before the pool: {threads} runs in threads of one interpreter, all done",
            f"{before:.2f} (each {min(each):.1f}-{max(each):.1f})",
        ],
    ]
    print(table(["seconds", ""], rows))
    kept = sum(1 for j in jobs if j.state == "done" and j.steps_done == kind.default_steps)
    print(
        f"\nruns kept: {kept} of {args.sessions}; target (last within the bound, every run kept): {'met' if last <= bound and kept == args.sessions else 'NOT met'}"
    )
    return 0 if last <= bound and kept == args.sessions else 1


def class_main(args) -> int:
    """The train and heavy scenarios: run, print, and say whether the targets are met."""
    folder = Path(tempfile.mkdtemp())
    log, reruns = folder / "server.log", folder / "reruns.txt"
    options = ("--server.enableWebsocketCompression", "false")
    with streamlit_server(
        "app.py", log=log, options=options, module="bench.load_server", env={"BENCH_RERUN_LOG": str(reruns)}
    ) as url:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        pid = server_pid(url)
        cpu0 = cpu_seconds(pid)
        report = asyncio.run(class_load(url, args))
        server_cpu = cpu_seconds(pid) - cpu0
    server_errors = [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line]
    errors = report["errors"] + [e for s in report["students"] for e in s.errors]
    errors += [e for t in report["trainers"] for e in t.errors] + [f"server log: {line}" for line in server_errors]
    light = server_round_trips(reruns, report["go"], page="explore")
    timeouts = sum(s.timeouts for s in report["students"])
    cores = os.cpu_count() or 1
    print(machine())
    met = True
    if args.scenario == "train":
        single, trainers = report["single"], report["trainers"]
        jobs = jobs_of(reruns, 0.0)
        alone = [j for j in jobs if j.submitted < report["go"]]
        class_jobs = [j for j in jobs if j.submitted >= report["go"]]
        single_s = alone[-1].finished - alone[-1].submitted if alone else float("nan")
        print(
            f"train: {len(trainers)} students press Train (default task) within one second; {args.light} light students "
            f"change Explore's controls meanwhile; {cores} cores; workers "
            + ("under the idle scheduler, as the browsers" if args.idle_workers else f"at niceness {niceness()}")
        )
        print(
            f"one student alone: trained {single_s:.2f} s after the press reached the server (worker "
            f"{single.worker_s:.2f} s); the model on the page {single.finished - single.pressed:.1f} s after the click"
        )
        print()
        rows = []
        if class_jobs:
            for name, values in (
                ("press to trained (server)", [j.finished - j.submitted for j in class_jobs]),
                ("waiting for a worker", [j.started - j.submitted for j in class_jobs]),
                ("training in the worker", [j.seconds for j in class_jobs]),
            ):
                rows.append(
                    [
                        name,
                        str(len(values)),
                        *(f"{v:.2f}" for v in (statistics.median(values), percentile(values, 95), max(values))),
                    ]
                )
        shown = sorted(t.finished - t.pressed for t in trainers if t.finished)
        if shown:
            rows.append(
                [
                    "press to the model on the page (its tab's messages)",
                    str(len(shown)),
                    f"{statistics.median(shown):.1f}",
                    f"{percentile(shown, 95):.1f}",
                    f"{max(shown):.1f}",
                ]
            )
        if rows:
            print(table(["trainers, s", "runs", "median", "p95", "max"], rows))
        print()
        last = (
            max(j.finished for j in class_jobs) - min(j.submitted for j in class_jobs) if class_jobs else float("inf")
        )
        bound = len(trainers) * single_s / cores * 1.2
        print(
            f"the class's last model {last:.1f} s after the first press reached the server; bound ({len(trainers)} x "
            f"{single_s:.2f} s / {cores} cores) + 20% = {bound:.1f} s: {'met' if last <= bound else 'NOT met'}"
        )
        kept = sum(1 for j in class_jobs if j.state == "done" and j.steps == single.steps)
        on_pages = sum(1 for t in trainers if t.finished and t.steps == single.steps)
        refused = [t for t in trainers if t.refused]
        print(
            f"models kept: {kept} of {len(trainers)} jobs done with {single.steps} steps; on their pages: {on_pages}; "
            f"refused: {len(refused)}"
        )
        for t in refused[:5]:
            print(f"  trainer {t.number}: {t.refused}")
        cpu, seconds = report["class_cpu"]
        print(
            f"the server's own CPU (its pages, not the workers) from the first press to the last model on its page: "
            f"{cpu:.1f} s over {seconds:.1f} s; the thirty tabs' (this process, the students' computers): "
            f"{report['client_cpu']:.1f} s"
        )
        met = last <= bound and kept == on_pages == len(trainers) and not refused
    else:
        loads = report["heavy_loads"]
        print(
            f"heavy: {args.heavy} students load the costliest Compare link (new runs each load) for {args.seconds:g} s while "
            f"{args.sessions} light students change Explore's controls; {cores} cores"
        )
        if loads:
            print(
                f"heavy loads: {len(loads)}, median {statistics.median(loads):.1f} s, max {max(loads):.1f} s (load to idle, "
                "this machine's browser included)"
            )
    print()
    if light:
        print(
            table(
                ["light students, ms", "changes", "median", "p95", "max"],
                [
                    [
                        "server round trip",
                        str(len(light)),
                        f"{percentile(light, 50):.0f}",
                        f"{percentile(light, 95):.0f}",
                        f"{max(light):.0f}",
                    ]
                ],
            )
        )
    print(
        f"server CPU: {server_cpu:.0f} s over {report['end'] - report['go']:.0f} s; changes with no answer within 60 s: {timeouts}"
    )
    print(f"exceptions: {len(errors)}")
    for error in errors[:20]:
        print("  " + error)
    p95 = percentile(light, 95) if light else float("inf")
    met = met and not errors and not timeouts and p95 < 2000
    print(
        f"targets (light p95 < 2000 ms, no exceptions{', the bound, every model kept' if args.scenario == 'train' else ''}): {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
