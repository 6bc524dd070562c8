"""What a prankster in a class can make the server hold: peak and retained memory, scenario by scenario.

    .venv/bin/python -m bench.memory [--cache-mb 512] [--loads 7] [--students 5]

Starts `streamlit run app.py` on loopback (with the run cache's budget set by LSTM_CACHE_MB) and
drives headless Chromium against it, sampling the server's resident memory (RSS) every 0.1 s.
Each scenario prints the server's RSS before it, its peak during it and what it still holds
afterwards (after the browser tabs are closed), and how long the app took to answer:

- loads: the costliest Compare link that fits the page limit, opened again and again with a new
  weight seed each time (new runs every time), each tab closed: the run cache's budget bounds
  what is kept, whatever the number of loads;
- bombs: the upload bombs that used to take gigabytes (a model file with bzip2 members, a .npz
  claiming a huge text or raw-bytes entry, a deflate bomb), each refused;
- limits: a 16 KB link with 8 custom sequences of 499 steps on Compare, the old prankster's
  Compare link, and a configuration file of 8 x 2000 steps on Explore, each refused with the limit;
- students: five students opening the costliest allowed Compare link at the same moment;
- downloads: the trace .npz of the largest run it is offered for, downloaded three times;
- trained: a trained demo while the sidebar's weight seed changes five times (it is not used).

The table goes into docs/memory.md. RSS includes what Python and the allocator keep for reuse, so
"after" sits somewhat above "before" even when every run has been dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import quote

import numpy as np
from playwright.async_api import async_playwright

from bench.common import machine, table
from tools.browser import IDLE, launch_args, rss_mib, server_pid, streamlit_server

LARGE = {"weights": "random", "preset": "sine", "steps": "2000", "features": "2", "num_units": "96"}
COMPARE = {**LARGE, "variants": "basic,peephole,coupled,NIG", "fb01": "true"}
PRANK = {
    "weights": "random",
    "preset": "random",
    "steps": "2000",
    "features": "64",
    "layers": "3",
    "num_units": "256",
    "num_units_2": "256",
    "num_units_3": "256",
    "variants": "basic,peephole,coupled,NIG",
    "fb01": "true",
}


class Sampler:
    """The server's RSS every 0.1 s, in a thread; :meth:`window` gives the peak since a mark."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.1)

    def mark(self) -> float:
        now = rss_mib(self.pid)
        self.peak = now
        return now

    def stop(self) -> None:
        self._stop.set()


def link(url: str, path: str, query: dict) -> str:
    return f"{url}/{path}?" + "&".join(f"{k}={quote(str(v))}" for k, v in query.items())


async def settle(page, timeout: float = 300) -> None:
    await page.wait_for_selector(IDLE, timeout=timeout * 1000)
    await page.wait_for_timeout(300)
    await page.wait_for_selector(IDLE, timeout=timeout * 1000)


async def open_once(browser, address: str) -> tuple[float, str]:
    """Open ``address`` in a fresh context, wait until the app is idle, close it: (seconds, page text)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    started = time.perf_counter()
    await page.goto(address)
    await settle(page)
    seconds = time.perf_counter() - started
    text = await page.locator("[data-testid='stMain']").inner_text()
    await context.close()
    return seconds, text


def bombs() -> list[tuple[str, bytes]]:
    """The upload bombs: small files whose members claim hundreds of MB to GB."""
    from lstm_core.tasks import make_task
    from lstm_core.training import TrainSettings, init_model, model_to_bytes

    model = init_model(make_task("spikes"), TrainSettings(units=3))
    good = dict(np.load(io.BytesIO(model_to_bytes(model, {"task": "spikes", "size": 5}))))
    files = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, array in good.items():
            member = io.BytesIO()
            np.save(member, array)
            payload = member.getvalue() + (bytes(1_500_000_000) if name.startswith("layer0") else b"")
            archive.writestr(f"{name}.npy", payload, compress_type=zipfile.ZIP_BZIP2)
    files.append(("bzip2 members of 1.5 GB (model file)", buffer.getvalue()))
    for descr, shape, entry in (("<U400000000", (), "config"), ("|V1600000000", (1,), "kernel")):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(header, {"descr": descr, "fortran_order": False, "shape": shape})
            archive.writestr(f"{entry}.npy", header.getvalue() + bytes(1_000_000))
            if entry != "config":
                config = io.BytesIO()
                np.save(config, np.array('{"input_size": 2, "num_units": 3}'))
                archive.writestr("config.npy", config.getvalue())
        kind = "text" if descr.startswith("<U") else "raw-bytes"
        files.append((f"a {kind} {entry} entry ({descr.strip('<|')}: 1.6 GB claimed)", buffer.getvalue()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("kernel.npy", bytes(1_000_000_000))
    files.append(("a deflate bomb (1 GB of zeros)", buffer.getvalue()))
    return files


async def upload(page, label: str, name: str, data: bytes) -> str:
    """Upload ``data`` as file ``name`` into the uploader whose label starts with ``label``."""
    uploader = page.locator("[data-testid='stFileUploader']").filter(has_text=label)
    files = {"name": name, "mimeType": "application/octet-stream", "buffer": data}
    await uploader.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(files)
    await page.wait_for_timeout(800)
    await settle(page)
    return await page.locator("[data-testid='stMain']").inner_text()


async def scenarios(url: str, sampler: Sampler, args) -> list[list[str]]:
    rows: list[list[str]] = []

    def row(name: str, before: float, seconds: float, after: float, note: str) -> None:
        rows.append([name, f"{seconds:.1f}", f"{before:.0f}", f"{sampler.peak:.0f}", f"{after:.0f}", note])
        print(rows[-1], flush=True)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_args())
        await open_once(browser, url)  # warm up: imports, the default run
        await asyncio.sleep(1)

        before = sampler.mark()
        seconds = []
        for k in range(args.loads):
            took, _ = await open_once(browser, link(url, "compare", {**COMPARE, "seed": str(100 + k)}))
            seconds.append(took)
        await asyncio.sleep(2)
        row(
            f"{args.loads} loads of Compare, 4 variants x fb 0/1, 2000 x 96 (new seed each), tabs closed",
            before,
            max(seconds),
            rss_mib(sampler.pid),
            f"slowest load; cache budget {args.cache_mb} MB",
        )

        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        page = await context.new_page()
        await page.goto(f"{url}/explore?weights=upload")
        await settle(page)
        for name, data in bombs():
            before = sampler.mark()
            started = time.perf_counter()
            text = await upload(page, "Weights file", "bomb.npz", data)
            refused = "was not loaded" in text
            row(
                f"upload: {name}, {len(data) / 1024:,.0f} KB",
                before,
                time.perf_counter() - started,
                rss_mib(sampler.pid),
                "refused" if refused else "ACCEPTED",
            )
        await context.close()

        custom = " | ".join([";".join(["1"] * 499)] * 8)  # just within a link's 8,000 characters
        for name, address in (
            (f"link: 8 custom sequences of 499 steps on Compare ({len(custom) / 1024:.0f} KB)",
             link(url, "compare", {"weights": "random", "preset": "custom", "custom": custom, "num_units": "256", "fb01": "true",
                                   "variants": "basic,peephole,coupled,NIG"})),
            ("link: Compare, 2000 steps, 64 features, 3 x 256 units, 4 variants, fb 0/1", link(url, "compare", PRANK)),
        ):  # fmt: skip
            before = sampler.mark()
            took, text = await open_once(browser, address)
            row(name, before, took, rss_mib(sampler.pid), "refused" if "at most 2,000,000" in text else "ran")

        document = {"preset": "custom", "custom": " | ".join(["; ".join(["1"] * 2000)] * 8), "num_units": 256}
        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        page = await context.new_page()
        await page.goto(f"{url}/explore?weights=random")
        await settle(page)
        before = sampler.mark()
        started = time.perf_counter()
        text = await upload(page, "Open a configuration", "eight.json", json.dumps(document).encode())
        row(
            "config file: 8 sequences x 2000 steps, 256 units (32 KB)",
            before,
            time.perf_counter() - started,
            rss_mib(sampler.pid),
            "refused" if "at most 2,000,000" in text else "ran",
        )
        await context.close()

        before = sampler.mark()
        started = time.perf_counter()
        address = link(url, "compare", {**COMPARE, "seed": "999"})
        results = await asyncio.gather(*(open_once(browser, address) for _ in range(args.students)))
        await asyncio.sleep(2)
        row(
            f"{args.students} students open that Compare link at once",
            before,
            time.perf_counter() - started,
            rss_mib(sampler.pid),
            "slowest " + f"{max(t for t, _ in results):.1f} s",
        )

        context = await browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = await context.new_page()
        await page.goto(
            link(
                url,
                "explore",
                {"weights": "random", "preset": "sine", "steps": "2000", "num_units": "256", "features": "8"},
            )
        )
        await settle(page)
        before = sampler.mark()
        times = []
        for _ in range(3):
            started = time.perf_counter()
            async with page.expect_download(timeout=300_000) as waiting:
                await page.get_by_role("button", name="Trace, all arrays (.npz)").click()
            download = await waiting.value
            await download.path()
            times.append(time.perf_counter() - started)
        row(
            "download: trace .npz of 2000 steps x 256 units, 3 clicks",
            before,
            sum(times),
            rss_mib(sampler.pid),
            " / ".join(f"{t:.1f}" for t in times) + " s",
        )
        await context.close()

        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        page = await context.new_page()
        await page.goto(f"{url}/explore?weights=recall")
        await settle(page)
        before = sampler.mark()
        started = time.perf_counter()
        seed = page.get_by_role("spinbutton", name="Weight seed")
        for k in range(5):
            await seed.fill(str(k + 1))
            await seed.press("Enter")
            await page.wait_for_timeout(500)
            await settle(page)
        row(
            "trained demo, the sidebar's weight seed changed 5 times",
            before,
            time.perf_counter() - started,
            rss_mib(sampler.pid),
            "",
        )
        await context.close()
        await browser.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-mb", type=int, default=512)
    parser.add_argument("--loads", type=int, default=7)
    parser.add_argument("--students", type=int, default=5)
    args = parser.parse_args()
    log = Path(tempfile.mkdtemp()) / "server.log"
    with streamlit_server("app.py", log=log, env={"LSTM_CACHE_MB": str(args.cache_mb)}) as url:
        sampler = Sampler(server_pid(url))
        rows = asyncio.run(scenarios(url, sampler, args))
        sampler.stop()
    print(f"\n{machine()}; run cache budget {args.cache_mb} MB (LSTM_CACHE_MB)\n")
    print(table(["scenario", "seconds", "RSS before (MiB)", "peak", "after", "note"], rows))
    errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
    print(f"\ntracebacks in the server log: {len(errors)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
