"""Nothing a learner made lost without a word: a reload (a new session opening the same link) brings
back the Train page's runs, the trained model opened on Explore and a custom sequence too long for
a link; whatever the server no longer holds gets a message saying what was lost and why (the
server restarted, or the work was dropped after its hours); Streamlit's own Stop stops training."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import finish_training, open_page, page_text
from ui import shelf
from ui.schema import MAX_URL_CUSTOM_CHARS
from ui.weights_menu import MY_TRAINED

TRAIN = "app_pages/train.py"
EXPLORE = "app_pages/explore.py"


def notices(at) -> str:
    return page_text(at, "info", "warning", "success", "error", sep=" ")


def link(at) -> dict:
    return {
        key: at.query_params[key][-1] if isinstance(at.query_params[key], list) else at.query_params[key]
        for key in at.query_params
    }


def train(query: dict) -> object:
    at = open_page(TRAIN, query, timeout=120)
    next(b for b in at.button if b.label.startswith("Train")).click().run()
    return finish_training(at)


def reload(at, page: str, **changes) -> object:
    """A new session on the link ``at``'s page left in the address bar (what a reload does)."""
    return open_page(page, {**link(at), **changes}, timeout=120, app_defaults=True)


def test_a_reload_brings_the_train_pages_runs_back():
    at = train({"train_steps": "30"})
    (before,) = at.session_state["_trainers"].values()
    assert "reload brings them back" in notices(at) and "download" in notices(at)
    assert shelf.is_token(link(at)["runs"])
    again = reload(at, TRAIN)
    (after,) = again.session_state["_trainers"].values()
    assert after.steps_done == 30 and after is not before
    for name, array in before.model.arrays().items():
        np.testing.assert_array_equal(array, after.model.arrays()[name])
    assert "1 trained run came back from the server" in notices(again)
    assert any("more" in b.label for b in again.button)


@pytest.mark.parametrize(
    ("token", "why"),
    [
        ("0000" + "a" * 12, "the server has restarted since"),  # another start of the server made it
        (None, "keeps such work 2 hours after its last use"),
    ],
)
def test_runs_the_server_no_longer_holds_are_named_with_the_reason(token, why):
    if token is None or token.startswith(shelf.BOOT):
        token = shelf.new_token()  # this server's, never put on the shelf
    at = open_page(TRAIN, {"runs": token}, timeout=120)
    said = notices(at)
    assert "1 trained run this link names is gone" in said and why in said
    assert "The same settings and seed train the same model again" in said
    assert not at.session_state["_trainers"]


def test_a_reload_of_explore_keeps_the_trained_model_it_opened():
    at = train({"train_steps": "40"})
    next(b for b in at.button if b.label == "Open on Explore").click().run()
    key = at.session_state[MY_TRAINED]
    assert shelf.is_token(link(at)["mine"]) and link(at)["weights"] == "mine"
    again = reload(at, EXPLORE)
    assert again.session_state[MY_TRAINED] == key  # the same bytes: the same model
    assert "You have not trained a model" not in notices(again)
    assert "40 training steps" in page_text(again, "caption", sep=" ")


def test_a_reload_after_the_model_was_dropped_says_so():
    lost = shelf.new_token()
    at = open_page(EXPLORE, {"weights": "mine", "mine": lost}, timeout=120)
    said = notices(at)
    assert "The trained model this link opens is gone" in said and "keeps such work 2 hours" in said
    assert "mine" not in link(at)


def test_a_custom_sequence_too_long_for_a_link_comes_back_after_a_reload():
    rows = 1800  # about 9,000 characters
    text = "; ".join(f"{k % 7},{(k * 3) % 5}" for k in range(rows))
    assert len(text) > MAX_URL_CUSTOM_CHARS
    at = open_page(EXPLORE, {"preset": "custom"})
    at.text_area(key="custom").set_value(text).run()
    assert "custom" not in link(at) and shelf.is_token(link(at)["custom_ref"])
    again = reload(at, EXPLORE, weights="random")
    assert again.session_state["custom"] == text
    assert "This link's custom sequence is gone" not in notices(again)


def test_a_long_custom_sequence_the_server_no_longer_holds_gets_a_message():
    at = open_page(EXPLORE, {"preset": "custom", "custom_ref": shelf.new_token()})
    said = notices(at)
    assert "This link's custom sequence is gone" in said and f"longer than {MAX_URL_CUSTOM_CHARS:,} characters" in said
    assert "paste yours again" in said


def test_a_reload_of_an_upload_says_it_must_be_uploaded_again():
    at = open_page(EXPLORE, {"weights": "upload"})
    assert "the server does not keep uploads after a reload: upload it again" in notices(at)


def test_a_reload_while_a_run_trains_takes_the_job_over(monkeypatch):
    from ui import training_session

    at = open_page(TRAIN, {"task": "chars", "train_steps": "3000", "train_units": "32"}, timeout=120)
    next(b for b in at.button if b.label.startswith("Train")).click().run()
    (pending,) = at.session_state["_train_jobs"].values()
    monkeypatch.setattr(training_session, "_connected", lambda owner: False)  # the old tab has gone
    again = reload(at, TRAIN)
    (adopted,) = again.session_state["_train_jobs"].values()
    assert adopted.job is pending.job and pending.job.active
    assert "your run goes on training on the server" in notices(again)
    assert any(p.proto.value >= 0 for p in again.get("progress"))  # its progress is on the page
    assert "Stop" in [b.label for b in again.button if not b.disabled]
    while pending.job.steps_done < 2:
        pending.job.wait(0.05)
    training_session.pool().stop(pending.job)
    finish_training(again)
    (run,) = again.session_state["_trainers"].values()
    assert 0 < run.steps_done < 3000 and "Stopped at step" in notices(again)


def test_streamlits_own_stop_stops_training(monkeypatch):
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    from ui import training_session

    at = open_page(TRAIN, {"task": "chars", "train_steps": "3000", "train_units": "32"}, timeout=120)

    def stopped_while_drawing(*args, **kwargs):
        raise StopException()  # what Streamlit raises in the page's script when its Stop is pressed

    next(b for b in at.button if b.label.startswith("Train")).click().run()
    (pending,) = at.session_state["_train_jobs"].values()
    monkeypatch.setattr(training_session, "status_text", stopped_while_drawing)
    at.run()
    assert pending.job.wait(30) and pending.job.state == "stopped"
