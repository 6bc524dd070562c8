"""What the download buttons hand out: plain functions of a run (no Streamlit)."""

from __future__ import annotations

import io
import json

import numpy as np

from lstm_core import params_to_bytes

from .model import Run
from .run_cache import nbytes

#: The largest file a download builds on the server (a larger one gets a message instead): 64 MB.
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
#: Bytes per row of the long CSV (``1,0,12,3,new_c,-0.123456789``), to estimate its size before building it.
CSV_ROW_BYTES = 32


def csv_rows(model: Run, layer: int) -> int:
    trace = model.traces[layer]
    per_step = 9 * trace.config.num_units + 2 * trace.config.h_depth  # quantities of to_frame()
    return trace.batch_size * trace.num_steps * per_step


def trace_csv(model: Run, layer: int) -> bytes:
    """The long table of one layer: batch, t, unit, quantity, value (plus the layer number)."""
    frame = model.traces[layer].to_frame()
    frame.insert(0, "layer", layer + 1)
    return frame.to_csv(index=False, float_format="%.9g").encode()


def trace_npz(model: Run, layer: int | None = None) -> bytes:
    """Every array of every layer (``layer1_f``, ...) plus the spec and configs as JSON."""
    arrays: dict[str, np.ndarray] = {}
    for k, trace in enumerate(model.traces, start=1):
        for name, array in trace.arrays().items():
            arrays[f"layer{k}_{name}"] = np.ascontiguousarray(array)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, spec=np.array(model.spec.key()), configs=np.array(configs_json(model)), **arrays)
    return buffer.getvalue()


def estimated_bytes(kind: str, model: Run, layer: int) -> int:
    """About how large download ``kind`` of ``model`` would be, from the sizes alone."""
    if kind == "trace_csv":
        return csv_rows(model, layer) * CSV_ROW_BYTES
    if kind == "trace_npz":
        return nbytes(model.traces)
    if kind == "config_json":
        return 4096  # the settings and each layer's LSTMConfig as JSON: a few KB at most
    return nbytes(model.params[layer])


def weights_npz(model: Run, layer: int) -> bytes:
    """One layer's weights, in the format lstm_core.load_params reads (config as JSON, no pickle)."""
    return params_to_bytes(model.configs[layer], model.params[layer])


def configs_json(model: Run) -> str:
    return json.dumps([cfg.to_dict() for cfg in model.configs])


def config_json(model: Run) -> str:
    """The whole configuration: the app's settings (spec) and each layer's LSTMConfig."""
    return json.dumps(
        {"spec": json.loads(model.spec.key()), "layers": [cfg.to_dict() for cfg in model.configs]},
        indent=2,
        sort_keys=True,
    )


#: Each download by name: (model, layer index) -> bytes. trace_npz and config_json hold every layer.
BUILDERS = {
    "trace_csv": trace_csv,
    "trace_npz": trace_npz,
    "weights_npz": weights_npz,
    "config_json": lambda model, layer: config_json(model).encode(),
}
