"""viz.live: what Explore's live views receive is, at every forget bias, what the server's page
draws for the run at that forget bias: lstm_core's arrays, trace_heatmaps's colour ranges, band
labels and saturated cells, its alt text and the cell's signature."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lstm_core.sequences import InputSpec
from tools.browser import decode_plotly_array
from ui import sweeps, trained
from ui.model import ModelSpec, run_model
from viz.figure import axis_suffix
from viz.heatmaps import heatmap_alt, trace_heatmaps
from viz.live import TABLE, explore_extract, explore_run_bytes, explore_store, pack, table_names, unpack
from viz.numbers import cell_signature
from viz.style import PRE

YAXES = [f"y{axis_suffix(n)}" for n in range(7)]


def store_of(model, *, seq=0, layer=0, show_pre=False, fit=False, compact=False):
    configs, steps = model.configs, model.sequence.values.shape[1]
    per_run = explore_run_bytes(configs, steps, layer)
    live = sweeps.live_sweep(
        model,
        f"test-live:{seq}:{layer}",
        explore_extract(seq, layer, configs),
        per_run,
        include=configs[0].forget_bias,
        seq=seq,
    )
    data = explore_store(
        live,
        model.traces[layer],
        seq=seq,
        yaxes=YAXES,
        show_pre=show_pre,
        fit=fit,
        compact=compact,
        below=configs[layer - 1] if layer else None,
        configs=configs,
        layer=layer,
        step_labels=model.sequence.step_labels,
    )
    return live, per_run, data


def test_pack_reads_back_every_array_aligned() -> None:
    arrays = {"a": np.arange(7.0), "b": np.ones((2, 3), np.float32), "c": np.arange(5, dtype=np.uint8)}
    data = pack({"role": "x", "n": [1, 2]}, arrays)
    header, back = unpack(data)
    assert header == {"role": "x", "n": [1, 2]}
    for name, array in arrays.items():
        np.testing.assert_array_equal(back[name], array)
        assert back[name].dtype == array.dtype
    (length,) = np.frombuffer(data[:4], "<u4")
    assert (4 + length) % 8 == 0  # the browser's Float64Arrays need 8-byte offsets
    with pytest.raises(TypeError):
        pack({}, {"bad": np.arange(3)})  # int64: not a type the browser reads


CASES = {
    "defaults": (ModelSpec(), {}),
    "two layers, the second shown, random state": (
        ModelSpec(units=(3, 5), init_state="random", forget_bias=-0.7),
        {"layer": 1},
    ),
    "projection and clipping, pre-activations": (
        ModelSpec(units=(4,), num_proj=2, cell_clip=0.5, peepholes=True),
        {"show_pre": True},
    ),
    "colours fitted, presenter labels, a batch": (
        ModelSpec(inputs=InputSpec(preset="custom", custom="1,2; 3,4; 0,1 | 2,2; 1,1; 5,5")),
        {"fit": True, "compact": True, "seq": 1},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_forget_bias_is_what_the_page_draws_for_its_own_run(case: str) -> None:
    spec, options = CASES[case]
    model = run_model(spec)
    layer, seq = options.get("layer", 0), options.get("seq", 0)
    live, per_run, data = store_of(model, **options)
    header, arrays = unpack(data)
    assert header["biases"] == [float(b) for b in live.biases] and len(header["biases"]) >= 101
    assert len(data) <= len(live.biases) * per_run  # the budget was checked against an upper bound
    names = table_names(model.configs[layer])
    for fb in (-5.0, -0.7, 1.0, 3.3, 5.0):
        k = header["biases"].index(fb)
        run = run_model(replace(spec, forget_bias=fb))
        trace = run.traces[layer]
        for name in names:  # the table and the heatmaps read these, bit for bit
            np.testing.assert_array_equal(arrays[name][k], getattr(trace, name)[seq], err_msg=name)
        for other, t in enumerate(run.traces):  # the printed states read these
            c = arrays["new_c"] if other == layer else arrays[f"c{other}"]
            np.testing.assert_array_equal(c[k], t.new_c[seq])
            np.testing.assert_array_equal(arrays[f"final_h{other}"][k], t.final_state.h[seq])
        fig = trace_heatmaps(
            trace,
            seq,
            show_pre=options.get("show_pre", False),
            fit=options.get("fit", False),
            below=run.configs[layer - 1] if layer else None,
            compact=options.get("compact", False),
        ).to_plotly_json()
        bands = [t for t in fig["data"] if t["type"] == "heatmap"]
        labels = [a["text"] for a in fig["layout"]["annotations"]]
        marks = {t["yaxis"]: t for t in fig["data"] if t.get("name") == "beyond the colour range"}
        for n, band in enumerate(header["bands"]):
            assert band["yaxis"] == bands[n]["yaxis"] and band["name"] == bands[n]["name"]
            zrange = band["ranges"][min(k, len(band["ranges"]) - 1)]
            assert zrange == [bands[n]["zmin"], bands[n]["zmax"]], (band["name"], fb)
            assert band["texts"][min(k, len(band["texts"]) - 1)] == labels[n], (band["name"], fb)
            drawn = marks.get(band["yaxis"])  # the white dots of the saturated cells
            dots = set() if drawn is None else set(zip(_decoded(drawn["x"]), _decoded(drawn["y"]), strict=True))
            mask = np.zeros((band["rows"], trace.num_steps), bool)
            if band["mask"]:
                mask = np.unpackbits(arrays[band["mask"]][k])[: mask.size].astype(bool).reshape(mask.shape)
            assert {(float(t), float(r)) for r, t in zip(*np.nonzero(mask), strict=True)} == dots, (band["name"], fb)
        assert header["alts"][k] == heatmap_alt(trace, seq, options.get("show_pre", False))
        assert header["signatures"][k] == cell_signature(trace.config)
    assert header["table"] == list(names)
    assert header["initial_c"] == [float(v) for v in model.traces[layer].initial_state.c[seq]]


def _decoded(values) -> list[float]:
    return [float(v) for v in decode_plotly_array(values)]


def test_the_sources_are_the_bands_drawn():
    model = run_model(ModelSpec())
    header, arrays = unpack(store_of(model, show_pre=True)[2])
    assert [b["source"] for b in header["bands"]] == ["x_static", *(PRE[g] for g in "ijfo"), "new_c", "new_h"]
    assert [b["pre"] for b in header["bands"]] == [None] * 7  # pre-activation bands show no second value
    header, _ = unpack(store_of(model)[2])
    assert [b["pre"] for b in header["bands"]][1:5] == [PRE[g] for g in "ijfo"]
    np.testing.assert_array_equal(arrays["x_static"], model.traces[0].inputs[0].astype(np.float32))
    assert set(TABLE) <= set(arrays)


def test_a_trained_models_store_sweeps_its_own_forget_bias():
    weights = trained.demo("recall")
    spec = ModelSpec(trained="recall", trained_forget_bias=0.75)
    model = run_model(spec, weights)
    _, _, data = store_of(model, seq=2)
    header, arrays = unpack(data)
    assert 0.75 in header["biases"] and len(header["biases"]) == 102  # the grid, and the value shown
    for fb in (0.75, -2.0):
        k = header["biases"].index(fb)
        run = run_model(replace(spec, trained_forget_bias=fb), weights)
        np.testing.assert_array_equal(arrays["f"][k], run.traces[0].f[2])


def test_states_too_large_for_the_browsers_printer_say_so():
    """NumPy prints 1e8 and more with exponents, which ui/numpy_repr.js does not: the page then
    prints the state on the server (app_pages/explore.py)."""
    assert unpack(store_of(run_model(ModelSpec()))[2])[0]["printable"]
    growing = ModelSpec(activation="identity", weight_scale=3.0, inputs=InputSpec(preset="constant", steps=100))
    assert np.abs(run_model(replace(growing, forget_bias=5.0)).traces[0].new_c).max() > 1e8
    assert not unpack(store_of(run_model(growing))[2])[0]["printable"]
