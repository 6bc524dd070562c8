"""Whatever a link or an upload carries stays text: no link, image, formula, colour or request to another host.

Every link key (and a key *name*) gets Markdown, HTML, LaTeX and Streamlit markup as its value, on
every page; every text field of an upload too (the file's name, a configuration's keys and values,
an archive's entry names, a trained model's title). Each message must still quote the payload as
text, so the test cannot pass by showing nothing.
"""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import quote, urlsplit

import numpy as np
import pytest
from playwright.sync_api import Page

from helpers import DATA
from lstm_core import LSTMConfig, init_params
from lstm_core.tasks import make_task
from lstm_core.training import TrainSettings, init_model, model_to_bytes
from tools.browser import wait_idle
from ui.schema import SCHEMA

EVIL = "evil.example"
#: Values that try everything Streamlit's Markdown knows, each short enough to be quoted whole.
PAYLOADS = (
    f"[phish](http://{EVIL}/a)",
    f"![](http://{EVIL}/b.png)",
    f"http://{EVIL}/c www.{EVIL}",
    f"me@{EVIL} <http://{EVIL}/e>",
    f'<img src="http://{EVIL}/d.png">',
    "$x^2$ :red[red] :material/home: **b**",
)
PAYLOAD = " ".join(PAYLOADS)
#: What must still be readable on the page where the payload is quoted (it is text, not markup).
VISIBLE = f"www.{EVIL}"
PAGES = ["", "explore", "step_through", "compare", "gradient_flow", "train"]
#: Link keys per page load: the page lists at most eight problems of a link.
PER_LOAD = 7


def offences(page: Page, origin: str) -> list[str]:
    """Links, images, formulas and coloured text that the app's own page would not have."""
    found = page.evaluate(
        """(origin) => {
            const out = [];
            for (const a of document.querySelectorAll('a[href]')) {
                const href = a.href;
                if (!href.startsWith(origin) && !href.startsWith('https://docs.streamlit.io')
                        && !href.startsWith('https://streamlit.io')) out.push('link ' + href);
            }
            for (const img of document.querySelectorAll('img[src], image[href]')) {
                const src = img.src || img.getAttribute('href');
                if (!src.startsWith(origin) && !src.startsWith('data:') && !src.startsWith('blob:')) out.push('image ' + src);
            }
            for (const alert of document.querySelectorAll('[data-testid="stAlert"], [data-testid="stCaptionContainer"]')) {
                if (alert.querySelector('.katex')) out.push('formula in ' + alert.innerText.slice(0, 80));
                if (alert.querySelector('[data-testid="stIconMaterial"]') && alert.innerText.includes('home'))
                    out.push('icon in ' + alert.innerText.slice(0, 80));
                for (const span of alert.querySelectorAll('span[style*="color"]'))
                    if (span.innerText.includes('red')) out.push('colour in ' + alert.innerText.slice(0, 80));
            }
            return out;
        }""",
        origin,
    )
    return found


def main_text(page: Page) -> str:
    """The main area's text as read (without the invisible word joiner ui.markup.quote puts in icon names)."""
    return page.locator("[data-testid='stMain']").inner_text().replace("\u2060", "")


def open_and_check(page: Page, url: str, origin: str, requests: list[str], *, expect_visible: bool = True) -> str:
    page.goto(url)
    wait_idle(page)
    page.wait_for_timeout(500)
    assert not offences(page, origin), offences(page, origin)
    text = main_text(page)
    if expect_visible:
        assert VISIBLE in text, f"the payload is not quoted on {url}"
    assert page.locator("[data-testid='stException']").count() == 0
    assert not requests, requests
    return text


@pytest.fixture()
def guarded(page: Page, app_url: str):
    """The page, with every request to another host recorded and refused."""
    origin = f"{urlsplit(app_url).scheme}://{urlsplit(app_url).netloc}"
    requests: list[str] = []

    def route(route) -> None:
        if route.request.url.startswith(origin) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.set_viewport_size({"width": 1400, "height": 1000})
    return page, origin, requests


def test_every_link_key_and_a_key_name_stay_text(guarded, app_url: str) -> None:
    page, origin, requests = guarded
    keys = [name for name, param in SCHEMA.items() if param.kind != "text"]
    batches = [keys[k : k + PER_LOAD] for k in range(0, len(keys), PER_LOAD)]
    for n, batch in enumerate(batches):
        values = [PAYLOADS[(n + k) % len(PAYLOADS)] for k in range(len(batch))]
        query = "&".join(f"{key}={quote(value)}" for key, value in zip(batch, values, strict=True))
        if n == 0:
            query += f"&{quote(PAYLOADS[0])}=1"  # a key whose name is a payload
        text = open_and_check(
            page, f"{app_url}/{PAGES[n % len(PAGES)]}?{query}", origin, requests, expect_visible=False
        )
        assert "could not be used" in text
        for value in values:
            assert value.replace("**", "") in text.replace("**", ""), (value, batch)


@pytest.mark.parametrize(
    ("path", "query", "visible"),
    [
        ("explore", {"preset": "custom", "custom": f"1 www.{EVIL}"}, f"www.{EVIL}"),  # a custom sequence's bad token
        ("explore", {"preset": "custom", "custom": f"1 [x](http://{EVIL})"}, "[x](http://evil.ex"),
        ("explore", {"units": PAYLOAD}, PAYLOADS[0]),  # Explore's units to plot
        ("compare", {"variants": f"basic,www.{EVIL},{PAYLOADS[1]}"}, PAYLOADS[1]),
        ("step_through", {"preset": "text", "text": f"a{PAYLOAD}"}, None),  # characters as step labels
    ],
)
def test_text_settings_stay_text(guarded, app_url: str, path: str, query: dict, visible: str | None) -> None:
    page, origin, requests = guarded
    url = f"{app_url}/{path}?" + "&".join(f"{k}={quote(v)}" for k, v in query.items())
    text = open_and_check(page, url, origin, requests, expect_visible=False)
    assert visible is None or visible in text, (visible, text[:500])


def _upload(page: Page, index: int, name: str, data: bytes) -> None:
    page.locator("[data-testid='stFileUploaderDropzoneInput']").nth(index).set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": data}
    )
    page.wait_for_timeout(600)
    wait_idle(page)
    page.wait_for_timeout(400)


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_every_text_field_of_an_upload_stays_text(guarded, app_url: str) -> None:
    page, origin, requests = guarded
    open_and_check(page, f"{app_url}/explore?weights=upload", origin, requests, expect_visible=False)
    layer = LSTMConfig(input_size=2, num_units=3)
    config = json.loads(layer.to_json())
    params = init_params(layer).arrays()
    model = init_model(make_task("spikes"), TrainSettings(units=3))
    header = {"configs": [c.to_dict() for c in model.configs], "output": "sigmoid", "meta": {"task": "spikes"}}
    files = [
        (f"www.{EVIL} {PAYLOAD[:60]}.npz", b"not an archive"),  # the file's name
        ("entries.npz", _npz(config=np.array(layer.to_json()), **{f"www.{EVIL}": np.zeros(2)})),  # an entry's name
        ("fields.npz", _npz(config=np.array(json.dumps({**config, f"www.{EVIL}": 1})), **params)),  # a config field
        ("output.npz", _npz(header=np.array(json.dumps({**header, "output": PAYLOAD})), **model.arrays())),
        ("title.npz", model_to_bytes(model, {"task": "spikes", "size": 5, "title": PAYLOAD[:120]})),
    ]
    for name, data in files:
        _upload(page, 0, name, data)
        assert not offences(page, origin), (name, offences(page, origin))
        assert not requests, requests
        assert page.locator("[data-testid='stException']").count() == 0
    text = main_text(page)
    assert PAYLOAD[:100] in text, text  # the title, shown as text

    configs = [
        {PAYLOAD: 1, "forget_bias": 0.5},  # a key
        {"forget_bias": PAYLOAD},  # a value
        {"spec": {"inputs": {PAYLOAD: 1}, PAYLOAD: 2}},  # nested keys
        {"input_size": 2, "num_units": 3, PAYLOAD: 1},  # an unknown LSTMConfig field
    ]
    for n, document in enumerate(configs):
        _upload(page, 1, f"config{n}.json", json.dumps(document).encode())
        assert not offences(page, origin), (document, offences(page, origin))
        assert not requests, requests
        assert VISIBLE in main_text(page), document


def test_every_page_at_its_defaults_asks_nothing_of_another_host(guarded, app_url: str) -> None:
    """A classroom without internet sees the whole app: no font, icon or script from elsewhere."""
    page, origin, requests = guarded
    for path in PAGES:
        open_and_check(page, f"{app_url}/{path}", origin, requests, expect_visible=False)
        charts = page.locator(".js-plotly-plot, [data-testid='stPlotlyChart'], [data-lstm-step='ready'] svg")
        if path not in ("train", ""):  # Learn: its first chart follows an answer
            charts.first.wait_for(state="attached", timeout=30_000)  # a live view draws once Plotly.js has loaded
        assert not requests, requests


def _keras_file_named(model_name: str, layer_name: str) -> bytes:
    """The Keras 3 fixture with its model and its (skipped) Embedding renamed: names a page quotes."""
    source = (DATA / "keras3_sentiment.keras").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(buffer, "w") as out:
        for item in original.infolist():
            content = original.read(item)
            if item.filename == "config.json":
                config = json.loads(content)
                config["config"]["name"] = model_name
                embedding = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Embedding")
                embedding["config"]["name"] = layer_name
                content = json.dumps(config).encode()
            out.writestr(item.filename, content)
    return buffer.getvalue()


def test_a_model_files_names_and_a_data_files_header_stay_text(guarded, app_url: str) -> None:
    """Issue 21: what a Keras file names (its model, its layers) and a CSV's feature names reach the
    page's text and the input band's labels as text."""
    page, origin, requests = guarded
    open_and_check(page, f"{app_url}/explore?weights=upload", origin, requests, expect_visible=False)
    _upload(page, 0, "named.keras", _keras_file_named(f"www.{EVIL} {PAYLOAD[:60]}", f"www.{EVIL} {PAYLOADS[0]}"))
    assert not offences(page, origin), offences(page, origin)
    assert VISIBLE in main_text(page) and "Keras 3 model" in main_text(page)
    header = [PAYLOADS[0], PAYLOADS[1], f"www.{EVIL}", "<b>x</b>", "$x^2$"]  # the model reads 5 features
    rows = "\n".join(",".join(str(k + t) for k in range(5)) for t in range(6))
    _upload(page, 1, f"www.{EVIL}.csv", (",".join(header) + "\n" + rows).encode())
    assert not offences(page, origin), offences(page, origin)
    assert not requests, requests
    assert page.locator("[data-testid='stException']").count() == 0
    ticks = page.locator(".js-plotly-plot .ytick text").evaluate_all("(texts) => texts.map((t) => t.textContent)")
    assert "<b>x</b>" in ticks, ticks  # Plotly drew the name, not bold text
    assert page.locator(".js-plotly-plot .ytick text b, .js-plotly-plot .ytick a").count() == 0
