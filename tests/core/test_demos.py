"""The shipped trained demos (demos/*.npz, `python -m lstm_core.experiments demos`) do their task."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core.tasks import make_task
from lstm_core.training import metric
from ui import trained


@pytest.mark.parametrize("name", list(trained.DEMO_TITLES))
def test_each_demo_solves_its_task_on_fresh_sequences(name):
    model, meta = trained.load(name)
    task = make_task(meta["task"], meta["size"])
    batch = task.batch(np.random.default_rng(12345), 512)  # sequences it never saw
    _, outputs = model.run(batch.inputs, batch.lengths)
    value = metric(task, outputs, batch)
    assert task.is_solved(value), (name, value)
    assert meta["command"] == "python -m lstm_core.experiments demos"


def test_an_unknown_or_lost_model_is_refused_clearly():
    with pytest.raises(ValueError, match="Unknown trained demo"):
        trained.load("../../etc/passwd")
    with pytest.raises(ValueError, match="no longer on the server"):
        trained.load("mine:0123456789abcdef0123")
