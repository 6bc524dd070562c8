"""Tasks, the model's loss gradient (central differences), Adam, clipping, and training that learns."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest

from lstm_core.tasks import _REBER, REBER_SYMBOLS, TASKS, make_task
from lstm_core.training import (
    Adam,
    Trainer,
    TrainSettings,
    clip_by_global_norm,
    init_model,
    loss_and_gradient,
    model_from_file,
    model_gradient,
    model_to_bytes,
)
from tests.core.test_grad import numeric_gradient, relative_error


@pytest.mark.parametrize("key", list(TASKS))
def test_every_task_makes_seeded_batches_of_the_declared_shape(key):
    task = make_task(key)
    a = task.batch(np.random.default_rng(1), 5)
    b = task.batch(np.random.default_rng(1), 5)
    assert a.inputs.shape[0] == 5 and a.inputs.shape[2] == task.input_size
    assert a.targets.shape == (*a.inputs.shape[:2], task.output_size)
    assert a.mask.shape == a.inputs.shape[:2] and a.mask.sum() > 0
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert len(task.input_names) == task.input_size and len(task.output_names) == task.output_size


def test_delayed_recall_asks_for_the_first_symbol_at_the_cue():
    task = make_task("recall", 7)
    batch = task.batch(np.random.default_rng(0), 50)
    assert batch.inputs.shape[1] == 8
    np.testing.assert_array_equal(batch.targets[:, 7].argmax(1), batch.inputs[:, 0, :4].argmax(1))
    assert (batch.inputs[:, 7, 4] == 1).all() and batch.inputs[:, 1:7].sum() == 0
    assert (batch.mask[:, 7] == 1).all() and batch.mask[:, :7].sum() == 0


def test_adding_problem_target_is_the_sum_of_the_two_marked_values():
    batch = make_task("adding", 12).batch(np.random.default_rng(0), 40)
    marked = (batch.inputs[:, :, 0] * batch.inputs[:, :, 1]).sum(axis=1)
    np.testing.assert_allclose(batch.targets[:, -1, 0], marked)
    assert (batch.inputs[:, :6, 1].sum(1) == 1).all() and (batch.inputs[:, 6:, 1].sum(1) == 1).all()


def test_spikes_come_every_period_after_the_start():
    batch = make_task("spikes", 4).batch(np.random.default_rng(0), 20)
    for x, y in zip(batch.inputs[:, :, 0], batch.targets[:, :, 0], strict=True):
        start = int(x.argmax())
        assert np.flatnonzero(y).tolist() == list(range(start + 4, 20, 4))


def test_reber_strings_follow_the_grammar_and_targets_contain_the_next_symbol():
    task = make_task("reber")
    batch = task.batch(np.random.default_rng(0), 30)
    for row in range(30):
        steps = int(batch.lengths[row])
        symbols = [REBER_SYMBOLS[k] for k in batch.inputs[row, :steps].argmax(1)]
        assert symbols[0] == "B" and symbols[1] in "TP" and symbols[2] == "B"
        assert symbols[-1] == symbols[1]  # the long-range dependency
        inner, state = symbols[3:-2], 0
        for symbol in inner[:-1] if inner[-1] == "E" else inner:  # walk Reber's graph
            state = dict(_REBER[state])[symbol]
        # Every next symbol is among the allowed ones the target lists.
        following = [*symbols[1:], "E"]
        for t, nxt in enumerate(following):
            assert batch.targets[row, t, REBER_SYMBOLS.index(nxt)] == 1
        assert batch.mask[row, :steps].all() and not batch.mask[row, steps:].any()


@pytest.mark.parametrize("key, variant", [("recall", "peephole"), ("reber", "coupled"), ("adding", "NOAF")])
def test_model_gradient_matches_central_differences(key, variant):
    """Loss through two LSTM layers and the read-out, for each output kind (softmax, sigmoid with
    sequence lengths, linear)."""
    task = make_task(key, {"recall": 3, "reber": 14, "adding": 5}[key])
    settings = TrainSettings(units=3, layers=2, variant=variant, seed=4)
    model = init_model(task, settings)
    batch = task.batch(np.random.default_rng(2), 3)
    _, grads, _ = model_gradient(model, batch)
    arrays = model.arrays()
    for name in ("layer0.kernel", "layer1.bias", "readout.weight", "readout.bias"):

        def loss(a, name=name):
            return model_gradient(model.with_arrays({**arrays, name: a}), batch)[0]

        numeric = numeric_gradient(loss, arrays[name])
        assert relative_error(grads[name], numeric) <= 1e-6, name


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "linear"])
def test_losses_have_their_textbook_values(output):
    batch = make_task("recall", 2).batch(np.random.default_rng(0), 4)
    logits = np.zeros_like(batch.targets)
    loss, _ = loss_and_gradient(output, logits, batch)
    expected = {"softmax": np.log(4), "sigmoid": 4 * np.log(2), "linear": 1.0}[output]
    assert loss == pytest.approx(expected)


def test_adam_matches_its_formula_and_clipping_caps_the_norm():
    adam = Adam(0.1)
    x = {"w": np.array([1.0, -2.0])}
    g = {"w": np.array([0.5, 0.25])}
    out = adam.update(x, g)
    # First step: m_hat = g, v_hat = g^2, so the step is lr * sign(g) (up to eps).
    np.testing.assert_allclose(out["w"], x["w"] - 0.1 * np.sign(g["w"]), rtol=1e-6)
    clipped, norm = clip_by_global_norm({"a": np.array([3.0]), "b": np.array([4.0])}, 1.0)
    assert norm == pytest.approx(5.0)
    assert np.sqrt(clipped["a"] ** 2 + clipped["b"] ** 2)[0] == pytest.approx(1.0)


def test_training_is_seeded_and_learns_delayed_recall():
    task = make_task("recall", 5)
    settings = TrainSettings(units=8, seed=3, learning_rate=0.02)
    a, b = Trainer(task, settings), Trainer(task, settings)
    losses = [a.step() for _ in range(5)]
    assert losses == [b.step() for _ in range(5)]
    first = a.evaluate()
    a.train(300, evaluate_every=25, stop_when_solved=True)
    assert first < 0.6 and a.solved_at is not None, (first, a.history[-1])
    assert a.history[-1].loss < losses[0] / 2


def test_trained_model_round_trips_and_hostile_files_are_refused():
    task = make_task("adding", 6)
    model = init_model(task, TrainSettings(units=4, layers=2, variant="peephole"))
    loaded, meta = model_from_file(io.BytesIO(model_to_bytes(model, {"task": "adding"})))
    assert meta == {"task": "adding"}
    for name, array in model.arrays().items():
        np.testing.assert_array_equal(loaded.arrays()[name], array)
    bad = replace(model, params=(model.params[0].scaled(np.nan), model.params[1]))
    for data in (b"not an npz", model_to_bytes(bad)):
        with pytest.raises(ValueError):
            model_from_file(io.BytesIO(data))


@pytest.mark.parametrize(("variant", "config_type"), [("rnn", "BasicRNNConfig"), ("gru", "GRUConfig")])
def test_the_plain_rnn_and_the_gru_train_with_exact_gradients(variant, config_type):
    """TrainSettings' other cells are TensorFlow's BasicRNNCell and GRUCell; their model gradient
    (two layers and the read-out, sequence lengths included) matches central differences."""
    task = make_task("reber", 14)
    settings = TrainSettings(units=3, layers=2, variant=variant, seed=4)
    model = init_model(task, settings)
    assert [type(cfg).__name__ for cfg in model.configs] == [config_type] * 2
    batch = task.batch(np.random.default_rng(2), 3)
    _, grads, _ = model_gradient(model, batch)
    arrays = model.arrays()
    names = [name for name in arrays if name.startswith("layer0.")] + ["layer1." + next(iter(model.params[1].arrays()))]
    for name in names:

        def loss(a, name=name):
            return model_gradient(model.with_arrays({**arrays, name: a}), batch)[0]

        # 1e-5, not the LSTM test's 1e-6: the second GRU layer's gradients are about 1e-5 in size, where
        # central differences' rounding is relatively larger; a wrong term would be off by order 1.
        assert relative_error(grads[name], numeric_gradient(loss, arrays[name])) <= 1e-5, name
    with pytest.raises(ValueError, match="Unknown variant"):
        TrainSettings(variant="lstm2")


def test_the_cells_experiment_trains_each_cell_on_the_same_task_and_seeds():
    from lstm_core.experiments import CELL_RUNS, cell_runs

    runs = list(cell_runs([3], seeds=2, steps=25))
    assert [(delay, cell, seed) for delay, cell, seed, _ in runs] == [
        (3, cell, seed) for cell in CELL_RUNS for seed in range(2)
    ]
    result = runs[0][3]()  # the plain RNN, seed 0, on a 3-step delay: a row of results/cells.csv
    assert result.setting == "RNN" and result.task == "Delayed recall (3 steps)" and result.steps <= 25
