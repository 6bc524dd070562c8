"""What Explore's live charts receive: every number they show, at every forget bias of a sweep.

The browser (ui/live_explore.js) only picks from these arrays and formats them: the numbers are
lstm_core's (ui.sweeps runs the cell once per forget bias), the colour ranges, the labels that count
the values beyond them and the saturated cells are worked out here, per forget bias, as
viz.heatmaps draws them for one run.

The arrays go to the browser once, packed (:func:`pack`): a JSON header and the raw bytes of each
array, 8-byte aligned, so that the browser reads them as typed arrays without decoding text. The
store does not depend on the forget bias or the step the page has selected, so that Streamlit
sends it once and, on later reruns, only a reference to it.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from lstm_core import Trace

from .heatmaps import MAX_MARKS, band_text, heatmap_alt
from .notice import explore_notes, longest_memory
from .numbers import cell_signature
from .style import PRE, SIGNED_SCALE, STYLES, beyond, color_range, fitted_range

#: The per-step arrays of the shown layer the table and the heatmaps read, in the table's order.
TABLE = ("i_pre", "j_pre", "f_pre", "o_pre", "i", "j", "f", "o", "new_c", "new_h")
#: NumPy's repr writes exponents from this magnitude on; ui/numpy_repr.js does not.
PRINTABLE_BELOW = 1e8
_ALIGN = 8


def pack(header: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """``header`` (JSON) and ``arrays`` as bytes: a little-endian uint32 length, the header (with
    ``arrays``: name -> dtype, shape and offset), then each array's bytes at an 8-byte boundary."""
    blobs, specs, offset = [], {}, 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        if array.dtype.str not in ("<f8", "<f4", "|u1"):
            raise TypeError(f"{name}: {array.dtype} cannot be packed (float64, float32 or uint8)")
        specs[name] = {"dtype": array.dtype.str[1:], "shape": list(array.shape), "offset": offset}
        data = array.tobytes()
        blobs.append(data + b"\0" * (-len(data) % _ALIGN))
        offset += len(blobs[-1])
    text = json.dumps({**header, "arrays": specs}, separators=(",", ":"), allow_nan=False).encode()
    text += b" " * (-(4 + len(text)) % _ALIGN)
    return struct.pack("<I", len(text)) + text + b"".join(blobs)


def unpack(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and arrays :func:`pack` packed (what the browser reads, for the tests)."""
    (length,) = struct.unpack_from("<I", data)
    header = json.loads(data[4 : 4 + length])
    base = 4 + length
    arrays = {}
    for name, spec in header.pop("arrays").items():
        dtype = np.dtype(spec["dtype"])
        count = int(np.prod(spec["shape"], dtype=np.int64))
        arrays[name] = np.frombuffer(data, dtype, count, base + spec["offset"]).reshape(spec["shape"])
    return header, arrays


def table_names(trace_or_cfg) -> tuple[str, ...]:
    """The arrays of :data:`TABLE`, with m (before the projection) too for a projected cell."""
    cfg = getattr(trace_or_cfg, "config", trace_or_cfg)
    return (*TABLE, "m") if cfg.num_proj is not None else TABLE


def explore_extract(seq: int, layer: int, configs) -> Callable[[list[Trace]], dict[str, np.ndarray]]:
    """What Explore shows of one run (every layer's traces): the shown ``layer``'s (0-based) arrays
    of sequence ``seq``, every layer's c and h at every step and its final state (the printed
    states), and with ``layer`` > 0 its input, the h of the layer below."""
    names = table_names(configs[layer])

    def extract(traces: list[Trace]) -> dict[str, np.ndarray]:
        shown = traces[layer]
        out = {name: getattr(shown, name)[seq] for name in names}
        for k, trace in enumerate(traces):
            if k != layer:
                out[f"c{k}"], out[f"h{k}"] = trace.new_c[seq], trace.new_h[seq]
            out[f"final_c{k}"], out[f"final_h{k}"] = trace.final_state.c[seq], trace.final_state.h[seq]
        if layer:
            out["x"] = shown.inputs[seq].astype(np.float32)
        return {
            name: np.ascontiguousarray(v, dtype=np.float32 if name == "x" else np.float64) for name, v in out.items()
        }

    return extract


def explore_run_bytes(configs, steps: int, layer: int) -> int:
    """What :func:`explore_store` sends per forget bias (an upper bound), from the sizes alone."""
    cfg = configs[layer]
    shown = 8 * steps * (len(table_names(cfg)) - 1) * cfg.num_units + 8 * steps * cfg.h_depth
    others = sum(8 * steps * (c.num_units + c.h_depth) for k, c in enumerate(configs) if k != layer)
    finals = sum(8 * (c.num_units + c.h_depth) for c in configs)
    below = 4 * steps * cfg.input_size if layer else 0
    masks = 7 * (steps * max(cfg.num_units, cfg.h_depth, cfg.input_size) // 8 + 1)
    text = 4500  # the band labels, the alt text, the notes and the signature, as JSON
    return shown + others + finals + below + masks + text


def _band_sources(show_pre: bool) -> list[str]:
    return [PRE[g] if show_pre else g for g in ("i", "j", "f", "o")] + ["new_c", "new_h"]


def _capped_mask(outside: np.ndarray) -> np.ndarray:
    """``outside`` (rows, columns) with only its first MAX_MARKS cells kept, as viz.heatmaps marks them."""
    rows, columns = np.nonzero(outside)
    kept = np.zeros_like(outside)
    kept[rows[:MAX_MARKS], columns[:MAX_MARKS]] = True
    return kept


def explore_store(
    live,
    trace: Trace,
    *,
    seq: int,
    yaxes: list[str],
    show_pre: bool,
    fit: bool,
    compact: bool,
    below=None,
    configs=(),
    layer: int = 0,
    step_labels: tuple[str, ...] = (),
    feature_names: tuple[str, ...] | None = None,
) -> bytes:
    """The packed store of a sweep ``live`` (ui.sweeps.Live of :func:`explore_extract`'s arrays) for
    the heatmaps viz.heatmaps.trace_heatmaps draws of ``trace`` (its bands on the y axes ``yaxes``):
    per forget bias, each band's colour range, label and saturated cells, the alt text, the cell's
    signature and What to notice (viz.notice.explore_notes, with the unit it follows); the options
    are trace_heatmaps's."""
    arrays = dict(live.arrays)
    biases = [float(b) for b in live.biases]
    cfg = trace.config
    steps, units = trace.num_steps, cfg.num_units
    bands = []
    for n, name in enumerate(["x", *_band_sources(show_pre)]):
        if name == "x" and not layer:
            arrays["x_static"] = trace.inputs[seq].astype(np.float32)
        source = "x_static" if name == "x" and not layer else name
        values = arrays[source]
        per_bias = values if values.ndim == 3 else values[None]
        style = STYLES.get(name)
        if name == "x":
            symbol, title = ("x = h", "h of the layer below") if layer else ("x", "input")
            scale = SIGNED_SCALE
        else:
            symbol, title, scale = style.symbol, style.title, style.scale
        ranges, texts, masks = [], [], []
        for v in per_bias:
            z = np.ascontiguousarray(v.T, dtype=np.float32)
            if name == "x" and layer:
                zrange = color_range("new_h", v, below, fit=fit)
            elif name == "x":
                zrange = fitted_range("x", v)
            else:
                zrange = color_range(name, v, cfg, fit=fit)
            count, peak = beyond(z, *zrange)
            ranges.append([float(zrange[0]), float(zrange[1])])
            texts.append(band_text(name, symbol, title, zrange, count, peak, compact=compact))
            masks.append(np.packbits(_capped_mask((z < zrange[0]) | (z > zrange[1])).reshape(-1)))
        if any(m.any() for m in masks):
            arrays[f"mask_{name}"] = np.stack(masks)
        bands.append(
            {
                "name": name,
                "symbol": symbol,
                "source": source,
                "rows": int(values.shape[-1]),
                "yaxis": yaxes[n],
                "scale": [[float(p), c] for p, c in scale],
                "ranges": ranges,
                "texts": texts,
                "pre": PRE[name] if name in ("i", "j", "f", "o") else None,
                "names": list(feature_names) if name == "x" and not layer and feature_names else None,
                "mask": f"mask_{name}" if f"mask_{name}" in arrays else None,
            }
        )
    alts = [heatmap_alt(_as_trace(arrays, k, trace, seq), 0, show_pre) for k in range(len(biases))]
    notes, memory_units = [], []
    for k, bias in enumerate(biases):
        shown = _as_trace(arrays, k, trace, seq, forget_bias=bias)
        memory = longest_memory(shown)
        memory_units.append(memory.unit if memory else None)
        # Each note as markdown's runs: the odd ones bold (the browser writes them as text, never as HTML).
        notes.append([note.split("**") for note in explore_notes(shown, 0, tuple(step_labels) or None)])
    header = {
        "role": "store",
        "biases": biases,
        "steps": steps,
        "units": units,
        "layer": layer,
        "layers": [{"units": c.num_units, "h_depth": c.h_depth} for c in configs],
        "table": list(table_names(cfg)),
        "projected": cfg.num_proj is not None,
        "fit": fit,
        "printable": all(_printable(arrays[k]) for k in arrays if k.startswith(("new_c", "new_h", "c", "h", "final_"))),
        "step_labels": list(step_labels),
        "bands": bands,
        "alts": alts,
        "notes": notes,
        "memory_units": memory_units,
        "signatures": [cell_signature(replace(cfg, forget_bias=b)) for b in biases],
        "initial_c": [float(v) for v in trace.initial_state.c[seq]],
    }
    header["id"] = store_id(header, arrays)
    return pack(header, arrays)


def store_id(header: dict, arrays: dict[str, np.ndarray]) -> str:
    """A fingerprint of a store's contents: every view names the store it was drawn for."""
    digest = hashlib.sha256(json.dumps(header, sort_keys=True).encode())
    for name in sorted(arrays):
        digest.update(name.encode() + np.ascontiguousarray(arrays[name]).tobytes())
    return digest.hexdigest()[:16]


def _printable(values: np.ndarray) -> bool:
    return (
        values.dtype == np.float64
        and bool(np.all(np.isfinite(values)))
        and float(np.abs(values).max(initial=0)) < PRINTABLE_BELOW
    )


def _as_trace(arrays: dict, k: int, trace: Trace, seq: int, forget_bias: float | None = None):
    """What viz.heatmaps.heatmap_alt and viz.notice.explore_notes read of a trace, at the k-th forget
    bias (``forget_bias``, in its config) of the sweep, a batch of one."""
    fields = {name: arrays[name][k][None] for name in TABLE}
    config = trace.config if forget_bias is None else replace(trace.config, forget_bias=forget_bias)
    return SimpleNamespace(**fields, config=config, num_steps=trace.num_steps, inputs=trace.inputs[seq : seq + 1])
