"""Does websocket compression help? Bytes on the wire and round trip per slider change, off and on.

    .venv/bin/python -m bench.ws_compression [--rounds 20]

Runs `streamlit run app.py` with server.enableWebsocketCompression false, then true, behind a small
TCP relay that counts the bytes the server sends, and changes Explore's forget_bias slider
``rounds`` times in headless Chromium (tools.browser.round_trip). Prints, per setting, the bytes
sent per change and the median round trip. Loopback has no bandwidth limit, so the round trip shows
compression's cost; the bytes show what it would save on a classroom's shared network.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from bench.common import machine, table
from tools.browser import free_port, launch_args, record_websocket, round_trip, slider, streamlit_server, wait_idle


class Relay:
    """A TCP relay on a free loopback port to ``target`` (host, port), counting server-to-client bytes."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.downstream = 0
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result()

    async def _start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _client(self, client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self.target)

        async def pipe(reader, writer, count: bool) -> None:
            try:
                while data := await reader.read(65536):
                    if count:
                        self.downstream += len(data)
                    writer.write(data)
                    await writer.drain()
            except ConnectionError:
                pass
            finally:
                writer.close()

        await asyncio.gather(pipe(client_reader, server_writer, False), pipe(server_reader, client_writer, True))


def measure(browser, compression: bool, rounds: int) -> tuple[float, float]:
    """(bytes sent by the server per change, median round trip ms)."""
    options = ("--server.enableWebsocketCompression", "true" if compression else "false")
    with streamlit_server("app.py", options=options) as url:
        address = urlsplit(url)
        relay = Relay((address.hostname, address.port))
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        record_websocket(page)
        page.goto(f"http://127.0.0.1:{relay.port}")
        wait_idle(page, timeout=120)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
        thumb = slider(page, "forget_bias")
        times = []
        before = relay.downstream
        for k in range(rounds):
            thumb.focus()
            times.append(round_trip(page, lambda k=k: page.keyboard.press("ArrowRight" if k % 2 == 0 else "ArrowLeft")))
        sent = (relay.downstream - before) / rounds
        page.close()
    return sent, statistics.median(t[1] for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_args())
        results = {setting: measure(browser, setting, args.rounds) for setting in (False, True)}
        browser.close()
    print(f"Websocket compression, Explore defaults, one forget_bias change ({machine()})\n")
    rows = [
        [("on" if setting else "off"), str(args.rounds), f"{sent / 1024:.1f}", f"{ms:.0f}"]
        for setting, (sent, ms) in results.items()
    ]
    print(table(["compression", "changes", "KiB on the wire per change", "last message, median ms"], rows))


if __name__ == "__main__":
    main()
