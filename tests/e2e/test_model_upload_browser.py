"""A Keras 3 model file dropped on Explore in a real browser: the page says what was read, and with
the file's own input given as .npy its heatmaps show the numbers Keras computed (issue 21)."""

from __future__ import annotations

import io

import numpy as np
from playwright.sync_api import Page, expect

from helpers import DATA
from tools.browser import full_page_screenshot, plotly_traces, wait_idle, wait_until

MODEL = "keras3_sentiment.keras"


def uploader(page: Page, label: str):
    """The file input of the uploader whose label starts with ``label``."""
    box = page.locator("[data-testid='stFileUploader']").filter(has_text=label)
    return box.locator("[data-testid='stFileUploaderDropzoneInput']")


def test_a_keras_file_opens_on_explore_and_shows_keras_numbers(page: Page, app_url: str, artifacts) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{app_url}/explore?weights=upload")
    wait_idle(page)
    page.wait_for_selector(".js-plotly-plot .main-svg")

    uploader(page, "Weights file").set_input_files(str(DATA / MODEL))
    expect(page.get_by_text("Keras 3 model 'sentiment'", exact=False).first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Embedding(skipped), LSTM(6)", exact=False).first).to_be_visible()
    # The sidebar has 2 features; the model reads 5: the page says so and offers the data uploader.
    expect(page.get_by_text("reads 5 feature(s) per step", exact=False).first).to_be_visible()

    with np.load(DATA / "keras_golden.npz") as golden:
        inputs = golden[f"{MODEL}::lstm_inputs"]
        outputs = golden[f"{MODEL}::outputs_1"]
    buffer = io.BytesIO()
    np.save(buffer, inputs)
    uploader(page, "Your own input data").set_input_files(
        {"name": "embedded.npy", "mimeType": "application/octet-stream", "buffer": buffer.getvalue()}
    )
    expect(page.get_by_text("your data embedded.npy", exact=False).first).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("radiogroup").filter(has_text="layer 2").get_by_text("layer 2").click()
    wait_idle(page)

    def top_layer_shown() -> bool:
        h = plotly_traces(page).get("new_h", {}).get("z")
        return h is not None and h.shape == outputs[0].T.shape

    wait_until(top_layer_shown, what="layer 2's heatmaps")
    np.testing.assert_allclose(plotly_traces(page)["new_h"]["z"], outputs[0].T, atol=1e-6, rtol=0)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    full_page_screenshot(page, artifacts / "explore_keras_upload.png")
    assert not errors, errors
