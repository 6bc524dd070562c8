"""The named cells this project compares: TensorFlow's three LSTM cells, Greff et al.'s variants,
and the two cells around the LSTM, TensorFlow's BasicRNNCell and GRUCell.

One registry for the core, the experiments and the app: each :class:`Variant` is the LSTMConfig
options that make it (everything else as the basic cell, BasicLSTMCell without peepholes), with
the names a learner reads and where it comes from; each :class:`Cell` of :data:`CELLS` is another
cell type altogether (its own weights, its own quantities). :data:`CHOICES` is both, as menus offer
them. How a variant *looks* (colours, figure titles) is the app's business (viz); what it *is*
lives here.

The variants are TensorFlow's basic, peephole and coupled (CIFG) cells and the one-change
variants of Greff et al., "LSTM: A Search Space Odyssey" (2017): no input gate (NIG), no forget
gate (NFG), no output gate (NOG), no input activation (NIAF), no output activation (NOAF).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .config import GREFF_FLAGS, HiddenStateConfig, LSTMConfig
from .gru import GRUConfig
from .rnn import BasicRNNConfig


@dataclass(frozen=True)
class Variant:
    """One named cell: its key, what a learner reads about it, and the LSTMConfig options that make it."""

    key: str  # "basic", "peephole", "coupled", "NIG", ...: the link's and the experiments' name
    label: str  # "coupled (CIFG)": menus, cards
    short: str  # "CIFG": narrow places (figure columns, legends, table headers)
    summary: str  # what it changes, in one line
    source: str  # where it comes from
    options: Mapping[str, bool] = field(default_factory=dict)  # LSTMConfig fields it sets

    def config(self, input_size: int, num_units: int, **settings) -> LSTMConfig:
        """This variant's LSTMConfig with ``settings`` (forget_bias, activation, ...); its own options win."""
        return LSTMConfig(input_size=input_size, num_units=num_units, **{**settings, **self.options})


def _greff(flag: str, label: str, summary: str) -> Variant:
    short = GREFF_FLAGS[flag]
    source = "Greff et al.'s " + short + (" (the original 1997 LSTM had no forget gate)" if short == "NFG" else "")
    return Variant(short, f"{label} ({short})", short, summary, source, MappingProxyType({flag: True}))


VARIANTS: Mapping[str, Variant] = MappingProxyType(
    {
        v.key: v
        for v in [
            Variant(
                "basic",
                "basic",
                "basic",
                "BasicLSTMCell: no peepholes.",
                "TensorFlow; Greff et al.'s NP (no peepholes)",
            ),
            Variant(
                "peephole",
                "peephole",
                "peephole",
                "c(t−1) feeds i and f, c(t) feeds o, through one weight per unit.",
                "TensorFlow LSTMCell(use_peepholes=True); Greff et al.'s vanilla (V)",
                MappingProxyType({"use_peepholes": True}),
            ),
            Variant(
                "coupled",
                "coupled (CIFG)",
                "CIFG",
                "i = 1 − f: the cell writes exactly as much as it forgets.",
                "TensorFlow CoupledInputForgetGateLSTMCell; Greff et al.'s CIFG",
                MappingProxyType({"coupled": True}),
            ),
            _greff("no_input_gate", "no input gate", "i = 1: all of j is written every step."),
            _greff("no_forget_gate", "no forget gate", "f = 1: nothing is ever forgotten."),
            _greff("no_output_gate", "no output gate", "o = 1: all of act(c) is let out."),
            _greff("no_input_activation", "no input activation", "j = j_pre: the new input is not squashed."),
            _greff(
                "no_output_activation",
                "no output activation",
                "h = o ⊙ c: the cell state is not squashed before the output gate.",
            ),
        ]
    }
)


@dataclass(frozen=True)
class Cell:
    """A cell that is not an LSTM (TensorFlow's BasicRNNCell, GRUCell): its key, names and config type."""

    key: str  # "rnn", "gru": the link's and the experiments' name
    label: str  # "plain RNN": menus, cards
    short: str  # "RNN": figure columns, legends, table headers
    summary: str  # what it is, in one line
    source: str  # where it comes from
    config_type: type[HiddenStateConfig]

    def config(self, input_size: int, num_units: int, activation: str = "tanh", **_lstm_settings) -> HiddenStateConfig:
        """This cell's config; the LSTM's own settings (forget_bias, peepholes, ...) do not apply and are ignored."""
        return self.config_type(input_size=input_size, num_units=num_units, activation=activation)


CELLS: Mapping[str, Cell] = MappingProxyType(
    {
        c.key: c
        for c in [
            Cell(
                "rnn",
                "plain RNN",
                "RNN",
                "h = tanh(W [x; h(t−1)] + b): no gates, no cell state.",
                "TensorFlow BasicRNNCell (Elman 1990)",
                BasicRNNConfig,
            ),
            Cell(
                "gru",
                "GRU",
                "GRU",
                "Two gates, no cell state: h = u ⊙ h(t−1) + (1 − u) ⊙ c̃.",
                "TensorFlow GRUCell (Cho et al. 2014; reset before the matmul, not PyTorch's or Keras' default)",
                GRUConfig,
            ),
        ]
    }
)

#: Every named cell a menu offers, by key: the LSTM variants, then the other cells.
CHOICES: Mapping[str, Variant | Cell] = MappingProxyType({**VARIANTS, **CELLS})


def cell_config(key: str, input_size: int, num_units: int, **settings) -> LSTMConfig | HiddenStateConfig:
    """The config of the named cell ``key`` (of :data:`CHOICES`) with ``settings``; an LSTM variant's
    own options win, and a non-LSTM cell takes only ``activation`` of them."""
    return CHOICES[key].config(input_size, num_units, **settings)


def is_lstm(key: str) -> bool:
    """Whether ``key`` names an LSTM variant (rather than one of :data:`CELLS`)."""
    return key in VARIANTS


def variant_label(key: str) -> str:
    """What a menu shows for a variant or cell (a module function: see ui.controls.unit_label)."""
    return CHOICES[key].label
