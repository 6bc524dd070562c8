"""lstm_core: a TensorFlow-faithful, vectorised NumPy LSTM that records every gate at every step,
and the cells around it, TensorFlow's BasicRNNCell (:class:`BasicRNNConfig`) and GRUCell
(:class:`GRUConfig`), run, traced and differentiated by the same functions.

>>> from lstm_core import GRUConfig, LSTMConfig, init_params, run
>>> cfg = LSTMConfig(input_size=6, num_units=4)
>>> trace = run(cfg, init_params(cfg, seed=0), [[3, 2, 2, 2, 2, 2]])
>>> trace.new_h.shape
(1, 1, 4)
>>> gru = GRUConfig(input_size=6, num_units=4)
>>> run(gru, init_params(gru, seed=0), [[3, 2, 2, 2, 2, 2]]).u.shape
(1, 1, 4)

To read the LSTM's equations as code, see :func:`lstm_core.reference.naive_steps` (one gate a line);
:func:`run` computes the same, arranged for speed (lstm_core/forward.py), and the tests prove them equal.

NumPy only (and h5py for Keras model files, imported when one is opened): no Streamlit, no Plotly.
"""

from .config import ACTIVATIONS, GREFF_FLAGS, RECURRENT_ACTIVATIONS, LSTMConfig, config_from_dict
from .convert import from_keras, from_torch, to_keras, to_torch
from .data_files import DataFile, read_data
from .forward import run, run_stack
from .grad import Gradients, grad, grad_stack
from .gru import GRU_QUANTITIES, GRUConfig, GRUGradients, GRUParams, GRUTrace
from .model_files import OpenedModel, open_model
from .params import GATE_ORDER, LSTMParams, init_params, param_count
from .rnn import BASIC_RNN_QUANTITIES, BasicRNNConfig, BasicRNNGradients, BasicRNNParams, BasicRNNTrace
from .trace import QUANTITIES, LSTMStateTuple, Trace
from .weights_io import load_params, load_stack, params_to_bytes, save_params, save_stack

__all__ = [
    "ACTIVATIONS",
    "BASIC_RNN_QUANTITIES",
    "GATE_ORDER",
    "GREFF_FLAGS",
    "GRU_QUANTITIES",
    "QUANTITIES",
    "RECURRENT_ACTIVATIONS",
    "BasicRNNConfig",
    "BasicRNNGradients",
    "BasicRNNParams",
    "BasicRNNTrace",
    "DataFile",
    "GRUConfig",
    "GRUGradients",
    "GRUParams",
    "GRUTrace",
    "Gradients",
    "LSTMConfig",
    "LSTMParams",
    "LSTMStateTuple",
    "OpenedModel",
    "Trace",
    "config_from_dict",
    "from_keras",
    "from_torch",
    "grad",
    "grad_stack",
    "init_params",
    "load_params",
    "load_stack",
    "open_model",
    "param_count",
    "params_to_bytes",
    "read_data",
    "run",
    "run_stack",
    "save_params",
    "save_stack",
    "to_keras",
    "to_torch",
]
