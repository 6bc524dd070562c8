"""ui/numpy_repr.js prints a state exactly as viz.numbers.state_repr does (NumPy's repr), run by Node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lstm_core import LSTMStateTuple
from viz.numbers import state_repr

SCRIPT = Path(__file__).resolve().parents[2] / "ui" / "numpy_repr.js"
NODE = shutil.which("node") or shutil.which("nodejs")


@pytest.fixture(autouse=True)
def _node() -> None:
    assert NODE, "Node.js is missing: bash scripts/setup.sh dev installs Debian's nodejs"


# Reads [[layers, asTuple, summarise, stacked], ...] as JSON on stdin, prints the texts as JSON.
HARNESS = """
const source = require("fs").readFileSync(process.argv[1], "utf8");
const { stateRepr } = require("vm").runInThisContext(`(() => { ${source}; return { stateRepr }; })()`);
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const cases = JSON.parse(input);
  process.stdout.write(JSON.stringify(cases.map(([layers, asTuple, summarise, stacked]) => stateRepr(layers, asTuple, summarise, stacked))));
});
"""


def printed_by_js(cases: list) -> list[str]:
    out = subprocess.run(
        [NODE, "-e", HARNESS, str(SCRIPT)], input=json.dumps(cases), capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def vectors(rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Vectors of every kind a state holds: gates' and tanh's ranges, large cell states, exact
    decimals and integers, tiny values that print as 0, negative zero, long and short."""
    out = []
    for k in range(count):
        n = int(rng.choice([1, 2, 3, 4, 5, 8, 9, 16, 17, 32, 64, 256]))
        kind = k % 8
        if kind == 0:
            v = rng.uniform(-1, 1, n)
        elif kind == 1:
            v = rng.uniform(0, 1, n)
        elif kind == 2:
            v = rng.normal(0, 10 ** rng.uniform(-3, 7), n)
        elif kind == 3:
            v = np.round(rng.uniform(-5, 5, n), int(rng.integers(0, 9)))
        elif kind == 4:
            v = rng.integers(-3, 4, n).astype(np.float64)
        elif kind == 5:
            v = rng.uniform(-1, 1, n) * 10.0 ** rng.integers(-12, -5, n)
        elif kind == 6:
            v = np.where(rng.uniform(size=n) < 0.3, -0.0, rng.uniform(-2, 2, n))
        else:
            v = (rng.integers(-(2**12), 2**12, n) / 2.0 ** rng.integers(0, 12, n)).astype(np.float64)
        out.append(v)
    return out


def test_every_kind_of_vector_prints_as_numpy_prints_it() -> None:
    rng = np.random.default_rng(20261201)
    cases, expected = [], []
    for v in vectors(rng, 2000):
        split = max(1, len(v) // 2)
        c, h = v[:split].reshape(1, -1), v[split:].reshape(1, -1) if len(v) > 1 else v.reshape(1, -1)
        state = LSTMStateTuple(c, h)
        for as_tuple, summarise in ((True, True), (False, True), (True, False)):
            cases.append([[[c[0].tolist(), h[0].tolist()]], as_tuple, summarise, False])
            expected.append(state_repr(state, as_tuple, summarise=summarise))
    got = printed_by_js(cases)
    wrong = [(e, g) for e, g in zip(expected, got, strict=True) if e != g]
    assert not wrong, f"{len(wrong)} of {len(expected)} differ; first:\n{wrong[0][0]}\n---\n{wrong[0][1]}"


def test_a_stack_prints_as_multirnncell_returns_it() -> None:
    rng = np.random.default_rng(7)
    layers = [LSTMStateTuple(rng.uniform(-1, 1, (1, n)), rng.uniform(-1, 1, (1, n))) for n in (3, 20, 2)]
    as_lists = [[s.c[0].tolist(), s.h[0].tolist()] for s in layers]
    got = printed_by_js([[as_lists, True, True, True], [as_lists, False, False, True]])
    assert got == [state_repr(layers, True), state_repr(layers, False, summarise=False)]
