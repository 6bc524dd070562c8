"""Start `streamlit run` on a free loopback port and drive it with Debian's Chromium through Playwright.

Shared by tests/e2e and the bench/ scripts, so the tests and the measurements see the same server.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def chromium_path() -> str:
    """Debian's chromium (Playwright cannot download its own browsers here)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise RuntimeError("No Chromium found: install Debian's `chromium` package (bash scripts/setup.sh dev does).")


def launch_args() -> dict:
    return {"executable_path": chromium_path(), "args": CHROMIUM_ARGS, "headless": True}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60, log: Path | None = None) -> None:
    """Wait until the Streamlit server at ``url`` (run by ``process``) answers its health check."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}; see {log}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            if response.status == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout} s")
        time.sleep(0.2)


#: base URL -> process id of each server streamlit_server is running (see server_pid).
_PIDS: dict[str, int] = {}


def server_pid(url: str) -> int:
    """The process id of the server :func:`streamlit_server` started at ``url``."""
    return _PIDS[url]


def rss_mib(pid: int) -> float:
    """A process's resident memory in MiB (Linux /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@contextlib.contextmanager
def streamlit_server(
    script: str | Path = "app.py",
    log: Path | None = None,
    timeout: float = 60,
    cwd: str | Path = ROOT,
    options: tuple[str, ...] = (),
    module: str = "streamlit",
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Iterator[str]:
    """Run `streamlit run script` headless on a free port from ``cwd`` (this checkout by default),
    with extra command-line ``options`` (e.g. ``("--server.enableWebsocketCompression", "true")``),
    through ``python -m module`` (a wrapper of Streamlit's command line, e.g. bench.load_server) and
    with extra environment variables ``env``, on ``port`` if given (to start it again where a page
    left it); yields its base URL and stops it afterwards."""
    port = port or free_port()
    command = [
        sys.executable, "-m", module, "run", str(script),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.runOnSave", "false", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false", *options,
    ]  # fmt: skip
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    _PIDS[url] = process.pid
    try:
        wait_healthy(url, process, timeout, log)
        yield url
    finally:
        _PIDS.pop(url, None)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            out.close()


def wait_idle(page, timeout: float = 60) -> None:
    """Wait until the app has finished its script run and drawn its charts."""
    page.wait_for_selector(IDLE, timeout=timeout * 1000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=timeout * 1000)


def decode_plotly_array(value):
    """A Plotly JSON array: a list, or a typed array {"dtype": "f4", "bdata": base64, "shape": "4, 60"}."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array
    return np.asarray(value)


ARRAY_KEYS = ("x", "y", "z", "customdata")


def decode_traces(data: list[dict]) -> dict[str, dict]:
    """{trace name: trace} with the array fields decoded to NumPy."""
    traces = {}
    for trace in data:
        decoded = {key: decode_plotly_array(value) if key in ARRAY_KEYS else value for key, value in trace.items()}
        traces[trace.get("name", str(len(traces)))] = decoded
    return traces


def plotly_traces(page, index: int = 0) -> dict[str, dict]:
    """The traces of the index-th Plotly chart on the page, as the browser holds them."""
    data = page.evaluate(
        """(index) => JSON.stringify(document.querySelectorAll('.js-plotly-plot')[index].data.map(
            (t) => ({name: t.name, z: t.z, x: t.x, y: t.y, customdata: t.customdata})))""",
        index,
    )
    return decode_traces(json.loads(data))


def slider(page, label: str):
    """The keyboard-focusable thumb of the Streamlit slider with this label."""
    return page.locator("[data-testid='stSlider']").filter(has_text=label).get_by_role("slider")


def wait_until(condition, timeout: float = 30, what: str = "condition"):
    """Poll condition() until it returns something truthy (returned), or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)
    return result


# Timestamps every websocket frame the page sends and receives (performance.now(), in ms), the size
# of each received one (uncompressed) and the animation frame painted after it; and the last change
# inside a Plotly chart (its drawing) with the frame painted after it. Installed before the app's scripts run. Only the charts'
# DOM is watched: elsewhere Streamlit makes invisible changes long after a rerun (st.dataframe
# updates its hidden accessibility table about 200 ms after drawing its canvas).
WEBSOCKET_RECORDER = """(() => {
    window.__ws = {sent: [], received: [], bytes: [], painted: [], chartChanged: 0, chartPainted: 0};
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', (event) => {
                window.__ws.received.push(performance.now());
                const data = event.data;
                window.__ws.bytes.push(data.byteLength ?? data.size ?? data.length ?? 0);
                requestAnimationFrame(() => window.__ws.painted.push(performance.now()));
            });
        }
        send(data) {
            window.__ws.sent.push(performance.now());
            return super.send(data);
        }
    };
    const inChart = (record) => {
        const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
        return !!(node && node.closest('.js-plotly-plot'));
    };
    new MutationObserver((records) => {
        if (!records.some(inChart)) return;
        window.__ws.chartChanged = performance.now();
        requestAnimationFrame(() => { window.__ws.chartPainted = performance.now(); });
    }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();"""


def record_websocket(page) -> None:
    """Record websocket traffic and chart drawing on every document this page loads (call before page.goto)."""
    page.add_init_script(WEBSOCKET_RECORDER)


def websocket_log(page) -> dict:
    return page.evaluate("() => window.__ws")


def round_trip(page, act, quiet: float = 0.6, timeout: float = 60) -> tuple[float, float]:
    """Milliseconds from act() (a user action) to (the page settled, the last server message it caused), painted.

    The page has settled when it has painted the last server message and the last change of its
    Plotly charts (drawn after the messages that carried them); the rerun is over when neither the
    server nor a chart has changed for `quiet` seconds. The second time counts the messages only,
    as this function did before it watched the charts: a chart drawn after the last message is
    missed by it.
    """
    before = len(websocket_log(page)["received"])
    started = page.evaluate("() => performance.now()")
    act()
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(quiet / 3)
        log = websocket_log(page)
        now = page.evaluate("() => performance.now()")
        if len(log["received"]) > before and now - max(log["received"][-1], log["chartChanged"]) > quiet * 1000:
            painted = [t for t in log["painted"] if t >= log["received"][-1]]
            message = painted[-1] if painted else log["received"][-1]
            settled = max(message, log["chartPainted"] if log["chartChanged"] >= started else 0)
            return settled - started, message - started
        if time.monotonic() > deadline:
            raise AssertionError(f"no answer from the server within {timeout} s")


def full_page_screenshot(page, path, width: int | None = None) -> None:
    """Screenshot the whole app: Streamlit scrolls inside its main area, so grow the viewport to fit it."""
    viewport = page.viewport_size or {"width": 1400, "height": 1000}
    height = page.evaluate(
        """() => Math.max(...['stMain', 'stSidebarContent'].map((id) => {
            const element = document.querySelector(`[data-testid="${id}"]`);
            return element ? element.scrollHeight : 0;
        }))"""
    )
    page.set_viewport_size({"width": width or viewport["width"], "height": min(max(height, 600), 16000)})
    page.wait_for_timeout(800)  # let the charts re-layout to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(viewport)


# Every text of every Plotly chart on the page that runs out of its chart, into another text, or out of
# the box (a rect shape) it sits in: what a reader would see clipped or overprinted.
CHART_TEXT_PROBLEMS = """(tolerance) => {
    const problems = [];
    const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0.5 && r.height > 0.5 && el.textContent.trim() !== ''; };
    const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > tolerance
        && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > tolerance;
    for (const [index, gd] of [...document.querySelectorAll('.js-plotly-plot')].entries()) {
        const svg = gd.querySelector('.main-svg');
        if (!svg) continue;
        const box = svg.getBoundingClientRect();
        const name = gd.closest('[aria-label]')?.getAttribute('aria-label')?.slice(0, 40) || `chart ${index}`;
        const texts = [...gd.querySelectorAll('svg text')].filter(visible)
            .filter((t) => !t.closest('.hoverlayer, .modebar, .updatemenu-container, .slider-container'));
        const rects = texts.map((t) => t.getBoundingClientRect());
        texts.forEach((t, k) => {
            const r = rects[k];
            if (r.left < box.left - tolerance || r.right > box.right + tolerance || r.top < box.top - tolerance || r.bottom > box.bottom + tolerance)
                problems.push(`${name}: "${t.textContent.trim().slice(0, 30)}" runs out of the chart`);
            for (let m = k + 1; m < texts.length; m++)
                if (overlap(r, rects[m]) && !t.contains(texts[m]) && !texts[m].contains(t))
                    problems.push(`${name}: "${t.textContent.trim().slice(0, 30)}" overlaps "${texts[m].textContent.trim().slice(0, 30)}"`);
        });
        // Only rectangles (Plotly draws a rect as "M x,y H x V y H x Z"; a line's box is not a box).
        const shapes = [...gd.querySelectorAll('.shapelayer path')]
            .filter((p) => /H/.test(p.getAttribute('d') || '') && /V/.test(p.getAttribute('d') || ''))
            .map((p) => p.getBoundingClientRect())
            .filter((r) => r.width > 8 && r.height > 8 && r.width < box.width * 0.5);
        for (const [k, t] of texts.entries()) {
            const r = rects[k], cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
            for (const s of shapes) {
                if (cx > s.left && cx < s.right && cy > s.top && cy < s.bottom
                        && (r.left < s.left - tolerance || r.right > s.right + tolerance || r.top < s.top - tolerance || r.bottom > s.bottom + tolerance))
                    problems.push(`${name}: "${t.textContent.trim().slice(0, 30)}" runs out of its box`);
            }
        }
    }
    return problems;
}"""


def chart_text_problems(page, tolerance: float = 1.0) -> list[str]:
    """What :data:`CHART_TEXT_PROBLEMS` finds on the page (empty when every chart's text is clear)."""
    return page.evaluate(CHART_TEXT_PROBLEMS, tolerance)


_DRAWN_SCALES = """() => [...document.querySelectorAll('.js-plotly-plot')].map((gd) => [
    ...(gd._fullData || []).map((trace) => trace.colorscale).filter(Boolean),
    ...Object.keys(gd._fullLayout || {}).filter((key) => /^coloraxis\\d*$/.test(key))
        .map((key) => gd._fullLayout[key].colorscale).filter(Boolean),
])"""


def rgb(colour: str) -> tuple[int, int, int]:
    """ "#rrggbb" or "rgb(r, g, b)" as a tuple."""
    colour = colour.strip().lower()
    if colour.startswith("#"):
        return tuple(int(colour[k : k + 2], 16) for k in (1, 3, 5))
    return tuple(round(float(v)) for v in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3])


def drawn_colour_scales(page) -> list[list[list[tuple[int, int, int]]]]:
    """Per chart, the colour scales Plotly.js drew with (its own copy, after it validated them), as
    lists of rgb tuples: a colour it rejected shows here as its default."""
    return [[[rgb(stop[1]) for stop in scale] for scale in chart] for chart in page.evaluate(_DRAWN_SCALES)]
