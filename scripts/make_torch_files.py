"""Make the PyTorch model files in tests/data/ and their outputs as PyTorch computes them.

lstm_core.model_files reads these files; PyTorch is not a test dependency. Regenerate with:

    python3 -m venv /tmp/torchenv2 && /tmp/torchenv2/bin/pip install torch==2.13.0 numpy safetensors
    /tmp/torchenv2/bin/python scripts/make_torch_files.py

Files (float32 state dicts written by ``safetensors.torch.save_file(model.state_dict(), ...)``):

- ``torch_encoder.safetensors``: a module holding an Embedding, ``encoder.lstm``, an
  ``nn.LSTM(5, 4, num_layers=2)``, and a Linear head; keys ``encoder.lstm.weight_ih_l0`` ...
- ``torch_projection.safetensors``: ``rnn``, an ``nn.LSTM(3, 6, num_layers=2, proj_size=2)``.
- ``torch_bidirectional.safetensors`` and ``torch_gru.safetensors``: what the reader refuses.
- ``torch_pickle.pt``: ``torch.save(model.state_dict())``, a pickle, which the reader refuses
  unread.

tests/data/torch_files_golden.npz holds, per file, ``<file>::inputs`` (batch_first, what the LSTM
receives), ``<file>::outputs`` (the last layer's outputs, every step), ``<file>::h_n`` and
``<file>::c_n`` (every layer's final state), all from the module's own forward pass from a zero
state, and a JSON ``manifest`` with the versions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import safetensors
import torch
from safetensors.torch import save_file

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
OUT = DATA / "torch_files_golden.npz"


class Encoder(torch.nn.Module):
    def __init__(self, lstm: torch.nn.LSTM) -> None:
        super().__init__()
        self.lstm = lstm


class Classifier(torch.nn.Module):
    """Embedding -> encoder.lstm -> head: the LSTM sits two modules deep, as in real models."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = torch.nn.Embedding(12, 5)
        self.encoder = Encoder(torch.nn.LSTM(5, 4, num_layers=2, batch_first=True))
        self.head = torch.nn.Linear(4, 2)


class Projected(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = torch.nn.LSTM(3, 6, num_layers=2, proj_size=2, batch_first=True)


def widen(module: torch.nn.Module) -> None:
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.uniform_(-0.9, 0.9)  # wider than the default, so the gates saturate sometimes


def record(name: str, lstm: torch.nn.LSTM, inputs: torch.Tensor) -> dict[str, np.ndarray]:
    with torch.no_grad():
        outputs, (h_n, c_n) = lstm(inputs)
    arrays = {"inputs": inputs, "outputs": outputs, "h_n": h_n, "c_n": c_n}
    return {f"{name}::{key}": value.numpy() for key, value in arrays.items()}


def main() -> int:
    torch.manual_seed(2027)
    arrays: dict[str, np.ndarray] = {}
    classifier = Classifier()
    widen(classifier)
    save_file(classifier.state_dict(), DATA / "torch_encoder.safetensors")
    tokens = torch.randint(0, 12, (2, 7))
    with torch.no_grad():
        embedded = classifier.embedding(tokens)
    arrays.update(record("torch_encoder.safetensors", classifier.encoder.lstm, embedded))

    projected = Projected()
    widen(projected)
    save_file(projected.state_dict(), DATA / "torch_projection.safetensors")
    arrays.update(record("torch_projection.safetensors", projected.rnn, torch.randn(3, 6, 3)))

    save_file(torch.nn.LSTM(3, 2, bidirectional=True).state_dict(), DATA / "torch_bidirectional.safetensors")
    save_file(torch.nn.GRU(3, 2).state_dict(), DATA / "torch_gru.safetensors")
    torch.save(torch.nn.LSTM(3, 2).state_dict(), DATA / "torch_pickle.pt")

    manifest = {"torch": torch.__version__, "safetensors": safetensors.__version__}
    np.savez_compressed(OUT, manifest=np.array(json.dumps(manifest)), **arrays)
    for path in sorted(DATA.glob("torch_*")):
        print(f"{path.name}: {path.stat().st_size:,} bytes")
    print(f"PyTorch {torch.__version__}, safetensors {safetensors.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
