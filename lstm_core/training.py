"""Training a small LSTM on a task: a linear read-out on the last layer, Adam, gradient clipping.

    >>> from lstm_core.tasks import make_task
    >>> trainer = Trainer(make_task("recall", 5), TrainSettings(units=8, seed=0))
    >>> loss = trainer.step()          # one Adam step on a fresh seeded batch; returns the loss

Everything is seeded: the same settings give the same weights, batches and losses. The gradient
is :func:`lstm_core.grad_stack` through the LSTM plus the read-out's own, exact (the tests check
it by central differences); no autodiff library is involved.
"""

from __future__ import annotations

import io
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from .config import LSTMConfig
from .forward import run_stack
from .grad import grad_stack
from .params import LSTMParams, init_params
from .quoting import listed, shown
from .safe_npz import DEFAULT_LIMITS, Limits, SafeNpz
from .tasks import TASKS, Batch, Task, make_task
from .trace import Trace
from .variants import CHOICES, cell_config
from .weights_io import check_headers, check_size, layer_entries, read_layers


@dataclass(frozen=True)
class TrainSettings:
    """What a training run needs besides the task. ``variant`` is a key of :data:`lstm_core.variants.CHOICES`:
    an LSTM variant, or the plain RNN or the GRU (which ignore ``forget_bias``)."""

    units: int = 16
    layers: int = 1
    variant: str = "basic"
    forget_bias: float = 1.0
    learning_rate: float = 0.01
    batch_size: int = 32
    clip_norm: float = 1.0  # the gradient's global norm is scaled down to at most this
    seed: int = 0

    def __post_init__(self) -> None:
        if self.variant not in CHOICES:
            raise ValueError(f"Unknown variant {shown(self.variant)}; accepted: {', '.join(CHOICES)}.")
        if not 1 <= self.layers <= 3:
            raise ValueError(f"layers must be from 1 to 3, got {self.layers}.")
        if not 0 < self.learning_rate <= 1:
            raise ValueError(f"learning_rate must be in (0, 1], got {self.learning_rate}.")
        if not 1 <= self.batch_size <= 1024:
            raise ValueError(f"batch_size must be from 1 to 1024, got {self.batch_size}.")
        if not self.clip_norm > 0:
            raise ValueError(f"clip_norm must be positive, got {self.clip_norm}.")

    def configs(self, input_size: int) -> list[LSTMConfig]:
        configs = []
        for _ in range(self.layers):
            cfg = cell_config(self.variant, input_size, self.units, forget_bias=self.forget_bias)
            configs.append(cfg)
            input_size = cfg.h_depth
        return configs


@dataclass(frozen=True, eq=False)
class Model:
    """A stack of LSTM layers and a linear read-out: ``logits = outputs @ weight + bias``."""

    configs: tuple[LSTMConfig, ...]
    params: tuple[LSTMParams, ...]
    readout_weight: np.ndarray  # (h_depth, output_size)
    readout_bias: np.ndarray  # (output_size,)
    output: str  # "softmax", "sigmoid" or "linear"

    def arrays(self) -> dict[str, np.ndarray]:
        """Every trainable array by a flat name (``layer0.kernel``, ..., ``readout.weight``)."""
        out = {f"layer{k}.{name}": a for k, p in enumerate(self.params) for name, a in p.arrays().items()}
        out["readout.weight"], out["readout.bias"] = self.readout_weight, self.readout_bias
        return out

    def with_arrays(self, arrays: dict[str, np.ndarray]) -> Model:
        params = tuple(
            replace(p, **{name: arrays[f"layer{k}.{name}"] for name in p.arrays()}) for k, p in enumerate(self.params)
        )
        return replace(
            self, params=params, readout_weight=arrays["readout.weight"], readout_bias=arrays["readout.bias"]
        )

    def run(self, inputs: np.ndarray, lengths: np.ndarray | None = None) -> tuple[list[Trace], np.ndarray]:
        """The traces of every layer and the task's outputs (probabilities or values)."""
        traces = run_stack(self.configs, self.params, inputs, sequence_length=lengths)
        logits = traces[-1].outputs @ self.readout_weight + self.readout_bias
        return traces, _output_function(self.output, logits)


def init_model(task: Task, settings: TrainSettings) -> Model:
    """Seeded Glorot LSTM weights (layer k from seed + k) and a small seeded read-out."""
    configs = settings.configs(task.input_size)
    params = tuple(init_params(cfg, seed=settings.seed + k) for k, cfg in enumerate(configs))
    rng = np.random.default_rng([settings.seed, 1])
    depth = configs[-1].h_depth
    limit = np.sqrt(6.0 / (depth + task.output_size))
    weight = rng.uniform(-limit, limit, (depth, task.output_size))
    return Model(tuple(configs), params, weight, np.zeros(task.output_size), task.output)


def _output_function(kind: str, logits: np.ndarray) -> np.ndarray:
    if kind == "softmax":
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)
    if kind == "sigmoid":
        return 0.5 * (1 + np.tanh(0.5 * logits))  # sigmoid without overflow warnings
    return logits


def loss_and_gradient(output: str, logits: np.ndarray, batch: Batch) -> tuple[float, np.ndarray]:
    """The task's loss, averaged over the steps that count, and dL/d logits.

    softmax: cross-entropy in nats; sigmoid: binary cross-entropy summed over the outputs;
    linear: squared error summed over the outputs. Each is averaged over the masked steps.
    """
    mask = batch.mask[:, :, None]
    count = max(float(batch.mask.sum()), 1.0)
    y = batch.targets
    if output == "softmax":
        shifted = logits - logits.max(axis=-1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        loss = -float((mask * y * log_probs).sum()) / count
        d_logits = (np.exp(log_probs) - y) * mask / count
    elif output == "sigmoid":
        # log(1 + exp(-z)) for y = 1 and log(1 + exp(z)) for y = 0, stably.
        loss = float((mask * (np.logaddexp(0, logits) - y * logits)).sum()) / count
        d_logits = (_output_function("sigmoid", logits) - y) * mask / count
    else:
        error = logits - y
        loss = float((mask * error * error).sum()) / count
        d_logits = 2 * error * mask / count
    return loss, d_logits


def model_gradient(model: Model, batch: Batch) -> tuple[float, dict[str, np.ndarray], list[Trace]]:
    """The loss on ``batch``, dL/d every array of :meth:`Model.arrays`, and the forward traces."""
    traces = run_stack(model.configs, model.params, batch.inputs, sequence_length=batch.lengths)
    top = traces[-1].outputs
    logits = top @ model.readout_weight + model.readout_bias
    loss, d_logits = loss_and_gradient(model.output, logits, batch)
    flat_top = top.reshape(-1, top.shape[-1])
    flat_d = d_logits.reshape(-1, d_logits.shape[-1])
    grads = {"readout.weight": flat_top.T @ flat_d, "readout.bias": flat_d.sum(axis=0)}
    d_outputs = d_logits @ model.readout_weight.T
    for k, g in enumerate(grad_stack(traces, d_outputs)):
        for name, array in g.params.arrays().items():
            grads[f"layer{k}.{name}"] = array
    return loss, grads, traces


def metric(task: Task, outputs: np.ndarray, batch: Batch) -> float:
    """The task's measure of success on a batch (see ``Task.metric_name``)."""
    mask = batch.mask.astype(bool)
    if task.metric_name == "accuracy":
        right = outputs.argmax(axis=-1) == batch.targets.argmax(axis=-1)
        return float(right[mask].mean())
    if task.metric_name == "sequences right":
        step_right = ((outputs > 0.5) == (batch.targets > 0.5)).all(axis=-1) | ~mask
        return float(step_right.all(axis=1).mean())
    error = ((outputs - batch.targets) ** 2).sum(axis=-1)
    return float(error[mask].mean())


@dataclass
class Adam:
    """Adam (Kingma & Ba 2015) with the usual defaults, on a dict of arrays."""

    learning_rate: float
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    steps: int = 0
    first: dict[str, np.ndarray] = field(default_factory=dict)
    second: dict[str, np.ndarray] = field(default_factory=dict)

    def update(self, arrays: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        self.steps += 1
        out = {}
        correction1 = 1 - self.beta1**self.steps
        correction2 = 1 - self.beta2**self.steps
        for name, value in arrays.items():
            g = grads[name]
            m = self.first.get(name, 0) * self.beta1 + (1 - self.beta1) * g
            v = self.second.get(name, 0) * self.beta2 + (1 - self.beta2) * g * g
            self.first[name], self.second[name] = m, v
            out[name] = value - self.learning_rate * (m / correction1) / (np.sqrt(v / correction2) + self.eps)
        return out


def clip_by_global_norm(grads: dict[str, np.ndarray], clip_norm: float) -> tuple[dict[str, np.ndarray], float]:
    """Scale every gradient by ``min(1, clip_norm / ||all of them||)``; returns them and the norm before."""
    norm = float(np.sqrt(sum(float((g * g).sum()) for g in grads.values())))
    if norm > clip_norm:
        grads = {name: g * (clip_norm / norm) for name, g in grads.items()}
    return grads, norm


@dataclass
class Record:
    step: int
    loss: float
    grad_norm: float
    metric: float | None = None  # on the fixed test batch, every evaluation


class Trainer:
    """One training run: call :meth:`step` as often as you like; it can stop at any step."""

    def __init__(self, task: Task, settings: TrainSettings, test_size: int = 256) -> None:
        self.task, self.settings = task, settings
        self.model = init_model(task, settings)
        self.optimizer = Adam(settings.learning_rate)
        self.rng = np.random.default_rng([settings.seed, 2])
        self.test_batch = task.batch(np.random.default_rng([settings.seed, 3]), test_size)
        self.history: list[Record] = []
        self.solved_at: int | None = None  # the first evaluated step at which the task was solved
        self.start_metric: float | None = None  # the metric before any training (see evaluate)

    @property
    def steps_done(self) -> int:
        return self.optimizer.steps

    def step(self) -> float:
        """One Adam step on a fresh batch; returns the batch's loss (before the step)."""
        batch = self.task.batch(self.rng, self.settings.batch_size)
        loss, grads, _ = model_gradient(self.model, batch)
        grads, norm = clip_by_global_norm(grads, self.settings.clip_norm)
        self.model = self.model.with_arrays(self.optimizer.update(self.model.arrays(), grads))
        self.history.append(Record(self.steps_done, loss, norm))
        return loss

    def evaluate(self) -> float:
        """The task's metric on the fixed test batch, recorded on the last history entry."""
        _, outputs = self.model.run(self.test_batch.inputs, self.test_batch.lengths)
        value = metric(self.task, outputs, self.test_batch)
        if self.history:
            self.history[-1].metric = value
        else:
            self.start_metric = value
        if self.solved_at is None and self.task.is_solved(value):
            self.solved_at = self.steps_done
        return value

    def train(self, steps: int, evaluate_every: int = 25, stop_when_solved: bool = False) -> None:
        for _ in range(steps):
            self.step()
            if self.steps_done % evaluate_every == 0:
                self.evaluate()
                if stop_when_solved and self.solved_at is not None:
                    return

    # --- moving a run between processes (the server and its training workers) ---------------

    def state_to_bytes(self) -> bytes:
        """Everything a run needs to go on where it stopped, as an .npz (no pickle): the model's arrays,
        Adam's moments and step count, the batch generator's state, the history and the verdicts.
        :meth:`from_state` on the same task and settings rebuilds a run that continues exactly as
        this one would (the test batch is rebuilt from the seed)."""
        arrays = {f"model/{name}": a for name, a in self.model.arrays().items()}
        arrays |= {f"first/{name}": a for name, a in self.optimizer.first.items()}
        arrays |= {f"second/{name}": a for name, a in self.optimizer.second.items()}
        history = np.array(
            [[r.step, r.loss, r.grad_norm, np.nan if r.metric is None else r.metric] for r in self.history]
        )
        header = {
            "adam_steps": self.optimizer.steps,
            "rng": self.rng.bit_generator.state,
            "solved_at": self.solved_at,
            "start_metric": self.start_metric,
        }
        buffer = io.BytesIO()
        np.savez(buffer, header=np.array(json.dumps(header)), history=history.reshape(-1, 4), **arrays)
        return buffer.getvalue()

    @classmethod
    def from_state(cls, task: Task, settings: TrainSettings, data: bytes, test_size: int = 256) -> Trainer:
        """The run :meth:`state_to_bytes` saved, on ``task`` with ``settings`` (the ones it was made with)."""
        trainer = cls(task, settings, test_size)
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            header = json.loads(str(archive["header"]))
            parts: dict[str, dict[str, np.ndarray]] = {"model": {}, "first": {}, "second": {}}
            for name in archive.files:
                if "/" in name:
                    part, array = name.split("/", 1)
                    parts[part][array] = archive[name]
            history = archive["history"]
        trainer.model = trainer.model.with_arrays(parts["model"])
        trainer.optimizer.first, trainer.optimizer.second = parts["first"], parts["second"]
        trainer.optimizer.steps = int(header["adam_steps"])
        trainer.rng.bit_generator.state = header["rng"]
        trainer.history = [
            Record(int(step), float(loss), float(norm), None if np.isnan(value) else float(value))
            for step, loss, norm, value in history
        ]
        trainer.solved_at, trainer.start_metric = header["solved_at"], header["start_metric"]
        return trainer


def train_steps(
    trainer: Trainer,
    steps: int,
    report: Callable[[], None] | None = None,
    report_seconds: float = 0.4,
    stop: Callable[[], bool] | None = None,
) -> bool:
    """Train ``trainer`` ``steps`` more steps, evaluating every 5 to 25 steps (a twentieth of the run)
    and at the end, calling ``report()`` at most every ``report_seconds`` and at the end. ``stop()`` is
    asked before every step and during nothing else (one step is at most about 0.2 s at the app's
    largest settings); returns whether it stopped the run early, which keeps every step done."""
    last = time.perf_counter()
    target = trainer.steps_done + steps
    evaluate_every = max(5, min(25, steps // 20))
    while trainer.steps_done < target:
        if stop is not None and stop():
            if trainer.history and trainer.history[-1].metric is None:
                trainer.evaluate()
            if report is not None:
                report()
            return True
        trainer.step()
        if trainer.steps_done % evaluate_every == 0 or trainer.steps_done == target:
            trainer.evaluate()
        now = time.perf_counter()
        if report is not None and (now - last > report_seconds or trainer.steps_done == target):
            last = now
            report()
    return False


# --- saving a trained model ---------------------------------------------------------------------


def model_to_bytes(model: Model, meta: dict | None = None) -> bytes:
    """An .npz of every array plus the configs and ``meta`` as JSON (load with allow_pickle=False)."""
    header = {
        "configs": [cfg.to_dict() for cfg in model.configs],
        "output": model.output,
        "meta": meta or {},
    }
    buffer = io.BytesIO()
    np.savez_compressed(buffer, header=np.array(json.dumps(header)), **model.arrays())
    return buffer.getvalue()


#: The largest read-out a model file may declare (outputs per step).
MAX_OUTPUTS = 1000
#: The longest title a model file's metadata may carry, and the most training steps it may claim.
MAX_TITLE_CHARS = 120
MAX_META_STEPS = 10_000_000
_OUTPUTS = ("softmax", "sigmoid", "linear")
_READOUT = ("readout.weight", "readout.bias")


def model_from_file(file, limits: Limits = DEFAULT_LIMITS) -> tuple[Model, dict]:
    """Read :func:`model_to_bytes`'s output: (model, meta); a ValueError says what is wrong.

    Safe on any upload (:mod:`lstm_core.safe_npz`): nothing is unpickled, the archive's sizes are
    checked before it is unpacked, the header's configurations against ``limits``, and every
    array's header against the shape its configuration implies before any array is read; then
    shapes, dtypes and finiteness as for weight files, and the metadata by :func:`check_meta`.
    """
    try:
        with SafeNpz(file, "a trained-model file (.npz) of this app", limits) as archive:
            text = archive.text("header", missing="it has no 'header' entry", not_text="its header is not JSON text")
            header = json.loads(text)
            if not isinstance(header, dict) or not isinstance(header.get("configs"), list):
                raise ValueError("its header must be a JSON object with a list of 'configs'")
            if not 1 <= len(header["configs"]) <= min(3, limits.max_layers):
                raise ValueError("it must hold 1 to 3 layers")
            configs = tuple(LSTMConfig.from_dict(c) for c in header["configs"])
            for cfg in configs:
                check_size(cfg, limits)
            output = header.get("output")
            if output not in _OUTPUTS:
                raise ValueError(f"unknown output {shown(output)}; accepted: {', '.join(_OUTPUTS)}")
            depth = configs[-1].h_depth
            unknown = sorted(set(archive.names) - set(layer_entries(configs)) - {"header", *_READOUT})
            if unknown:
                raise ValueError(f"unknown entries {listed(unknown)}")
            # Every header first: a file that is wrong anywhere is refused before anything is read.
            if "readout.bias" not in archive:
                raise ValueError("'readout.bias' is missing")
            outputs = archive.header("readout.bias")[0]
            if len(outputs) != 1 or not 1 <= outputs[0] <= MAX_OUTPUTS:
                raise ValueError(f"the read-out must have 1 to {MAX_OUTPUTS} outputs")
            check_headers(archive, {"readout.weight": (depth, outputs[0]), "readout.bias": outputs})
            params = read_layers(archive, configs, np.float64)
            weight, bias = (np.asarray(archive.array(name), np.float64) for name in _READOUT)
        if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
            raise ValueError("the read-out contains NaN or infinite values")
        model = Model(configs, tuple(params), weight, bias, output)
        meta = check_meta(header.get("meta", {}), model)
    except (ValueError, TypeError, RecursionError) as error:
        raise ValueError(f"Not a trained-model file of this app: {error}") from None
    return model, meta


def check_meta(meta: object, model: Model) -> dict:
    """The metadata of a model file, every field checked (type, range, consistency with ``model``).

    Known fields are ``task`` and ``size`` (which task it learned, to rebuild its inputs), ``title``,
    ``settings``, ``steps``, ``metric_name``, ``metric`` and ``command``; all are optional, unknown
    ones are dropped. A ValueError names the first field that is wrong.
    """
    if not isinstance(meta, dict):
        raise ValueError("its 'meta' must be a JSON object")
    checked: dict = {}
    task = None
    if "task" in meta:
        key = meta["task"]
        if not isinstance(key, str) or key not in TASKS:
            raise ValueError(f"meta.task {shown(key)} is not a task of this app ({', '.join(TASKS)})")
        kind = TASKS[key]
        low, high = kind.size_low, kind.size_high
        size = meta.get("size", kind.size_default)
        if isinstance(size, bool) or not isinstance(size, int) or not low <= size <= high:
            raise ValueError(
                f"meta.size must be a whole number from {low} to {high} ({kind.title}: {kind.size_name.lower()}), "
                f"got {shown(size)}"
            )
        task = make_task(key, size)
        if model.configs[0].input_size != task.input_size or model.readout_bias.shape[0] != task.output_size:
            raise ValueError(
                f"the model reads {model.configs[0].input_size} and answers {model.readout_bias.shape[0]} values per "
                f"step, but {task.title} has {task.input_size} inputs and {task.output_size} outputs"
            )
        if model.output != task.output:
            raise ValueError(f"the model's output is {model.output}, but {task.title} needs {task.output}")
        checked["task"] = key
        if "size" in meta:
            checked["size"] = size
    for name, limit in (("title", MAX_TITLE_CHARS), ("command", 200)):
        if name in meta:
            if not isinstance(meta[name], str) or len(meta[name]) > limit:
                raise ValueError(f"meta.{name} must be text of at most {limit} characters")
            checked[name] = meta[name]
    if "steps" in meta:
        steps = meta["steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= MAX_META_STEPS:
            raise ValueError(f"meta.steps must be a whole number from 0 to {MAX_META_STEPS:,}, got {shown(steps)}")
        checked["steps"] = steps
    if "metric_name" in meta or "metric" in meta:
        name, value = meta.get("metric_name"), meta.get("metric")
        if task is None or name != task.metric_name:
            wanted = task.metric_name if task is not None else "the metric of its meta.task"
            raise ValueError(f"meta.metric_name must be {wanted}, got {shown(name)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ValueError(f"meta.metric must be a finite number >= 0, got {shown(value)}")
        if task.higher_is_better and value > 1:
            raise ValueError(f"meta.metric is a share ({task.metric_name}) and must be at most 1, got {shown(value)}")
        checked["metric_name"], checked["metric"] = name, float(value)
    if "settings" in meta:
        if not isinstance(meta["settings"], dict) or len(json.dumps(meta["settings"])) > 2000:
            raise ValueError("meta.settings must be a small JSON object")
        checked["settings"] = meta["settings"]
    return checked


def trained_meta(trainer: Trainer, size: int, metric: float, **extra) -> dict:
    """What a saved model says about itself: its task (key and size, to rebuild its inputs), its
    training settings and steps, and its test metric."""
    task = trainer.task
    return {
        "task": task.key,
        "size": size,
        "title": task.title,
        "settings": asdict(trainer.settings),
        "steps": trainer.steps_done,
        "metric_name": task.metric_name,
        "metric": metric,
        **extra,
    }
