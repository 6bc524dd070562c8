"""The numbers of a step, as a table and as TensorFlow's seed notebook prints them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstm_core import GREFF_FLAGS, LSTMStateTuple, Trace
from lstm_core.config import HARD_SIGMOID_NAMES


def step_table(trace: Trace, batch: int, step: int) -> pd.DataFrame:
    """One row per unit: the pre-activations, the gates, the state before and after step ``step``."""
    cfg = trace.config
    c_prev = trace.initial_state.c[batch] if step == 0 else trace.new_c[batch, step - 1]
    columns = {
        "i_pre": trace.i_pre[batch, step],
        "j_pre": trace.j_pre[batch, step],
        "f_pre": trace.f_pre[batch, step],
        "o_pre": trace.o_pre[batch, step],
        "i": trace.i[batch, step],
        "j": trace.j[batch, step],
        "f": trace.f[batch, step],
        "o": trace.o[batch, step],
        "c_prev": c_prev,
        "new_c": trace.new_c[batch, step],
    }
    if cfg.num_proj is None:
        columns["new_h"] = trace.new_h[batch, step]
    else:
        columns["m (before projection)"] = trace.m[batch, step]
    frame = pd.DataFrame(columns)
    frame.index.name = "unit"
    return frame


#: Vectors longer than this are printed as NumPy summarises them: the first and last SUMMARY_EDGE values.
SUMMARY_THRESHOLD = 16
SUMMARY_EDGE = 4


def state_repr(
    state: LSTMStateTuple | list[LSTMStateTuple],
    state_is_tuple: bool = True,
    precision: int = 8,
    summarise: bool = True,
) -> str:
    """The state as the seed notebook prints it: ``LSTMStateTuple(c=array([[...]]), h=array([[...]]))``,
    or, with ``state_is_tuple=False``, the concatenated ``[c, h]`` array TensorFlow used to pass; for
    a stack (a list, one per layer), the tuple of them MultiRNNCell returns. With ``summarise``, long
    vectors are cut as NumPy's own repr cuts them (``[a, b, c, d, ..., w, x, y, z]``)."""
    if isinstance(state, list):
        layers = [state_repr(s, state_is_tuple, precision, summarise).replace("\n", "\n    ") for s in state]
        return "(\n    " + ",\n    ".join(layers) + ",\n)"
    threshold = SUMMARY_THRESHOLD if summarise else 1_000_000
    options = {"precision": precision, "suppress": True, "floatmode": "maxprec_equal", "linewidth": 78}
    with np.printoptions(threshold=threshold, edgeitems=SUMMARY_EDGE, **options):
        if not state_is_tuple:
            return repr(state.concatenated())
        c = repr(np.asarray(state.c)).replace("\n", "\n" + " " * 6)
        h = repr(np.asarray(state.h)).replace("\n", "\n" + " " * 6)
        return f"LSTMStateTuple(\n    c={c},\n    h={h})"


def summarised(state: LSTMStateTuple) -> bool:
    """Whether :func:`state_repr` cuts ``state`` (a vector longer than SUMMARY_THRESHOLD)."""
    return max(np.asarray(state.c).size, np.asarray(state.h).size) > SUMMARY_THRESHOLD


def cell_signature(cfg) -> str:
    """The TensorFlow constructor call this config corresponds to, as a learner would write it."""
    args = [f"num_units={cfg.num_units}"]
    if cfg.coupled:
        name = "CoupledInputForgetGateLSTMCell"
    elif cfg.use_peepholes or cfg.cell_clip is not None or cfg.num_proj is not None:
        name = "LSTMCell"
    else:
        name = "BasicLSTMCell"
    if cfg.use_peepholes:
        args.append("use_peepholes=True")
    if cfg.cell_clip is not None:
        args.append(f"cell_clip={cfg.cell_clip:g}")
    if cfg.num_proj is not None:
        args.append(f"num_proj={cfg.num_proj}")
    args.append(f"forget_bias={cfg.forget_bias}")
    if cfg.activation != "tanh":
        args.append(f"activation={'tf.identity' if cfg.activation == 'identity' else 'tf.nn.' + cfg.activation}")
    call = f"{name}({', '.join(args)})"
    greff = [short for flag, short in GREFF_FLAGS.items() if getattr(cfg, flag)]
    if greff:  # not a TensorFlow cell: say which of Greff et al.'s changes it carries
        call += f" with Greff et al.'s {' + '.join(greff)}"
    gates = getattr(cfg, "recurrent_activation", "sigmoid")
    if gates != "sigmoid":  # Keras's hard sigmoid (a model file's recurrent_activation)
        call += f" with {HARD_SIGMOID_NAMES[gates]}"
    return call
