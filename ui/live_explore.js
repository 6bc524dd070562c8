// Explore's live views (ui/live_explore.py): one st.components.v2 module mounted as several views
// of one store. The store holds every number the views show at every forget bias of a sweep (made
// by viz/live.py from lstm_core's runs); the views only pick from it and format: a slider or the
// pointer moves a selection (forget bias, step, unit), and every view repaints in the next animation
// frame, with no server message until a slider is released or a cell clicked.
//
// Python puts ui/plotly_chart.js (mount, draw, show: the charts that stay mounted) and
// ui/numpy_repr.js (stateRepr: the printed state) before this file.

/** What every view shares, kept on window so that a module loaded twice still finds it (and so
 *  that the watchdog of ui/live_explore.py sees that this module ran). */
const HUB = (window.__lstmLiveExplore ??= {
  store: null, // {header, arrays} of the latest store
  committed: null, // the server's selection: {store, forget_bias, step, unit}
  preview: {}, // {index, step} while a slider moves or the pointer is on a chart
  hover: null, // {step, unit} of the cell (or step) under the pointer
  views: new Set(),
  controls: null, // the controls view: it sends what is released or clicked
  pending: false,
  failed: false,
  stats: { frames: 0, last: 0, renders: 0, paintMs: 0, views: {} }, // views: paints of each role // painted updates (bench/scrub.py reads them)
});
const TYPES = { f8: Float64Array, f4: Float32Array, u1: Uint8Array };
const textDecoder = new TextDecoder();
const roots = new WeakMap(); // component root -> its view

/** viz.live.pack's bytes: the JSON header and typed arrays over the same buffer (no copy). */
function unpack(data) {
  let bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer ?? data, data.byteOffset ?? 0, data.byteLength);
  if (bytes.byteOffset % 8) bytes = bytes.slice(); // typed arrays of 8-byte values must be aligned
  const length = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const text = textDecoder.decode(bytes.subarray(4, 4 + length));
  const header = JSON.parse(text);
  const base = bytes.byteOffset + 4 + length;
  const arrays = {};
  for (const [name, spec] of Object.entries(header.arrays)) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    arrays[name] = { data: new TYPES[spec.dtype](bytes.buffer, base + spec.offset, count), shape: spec.shape };
  }
  return { header, arrays, text };
}

/** The value of a per-forget-bias array (K, T, N) at [k, t, n], or of a fixed one (T, N) at [t, n]. */
function at(array, k, t, n) {
  const [, b, c] = array.shape;
  return array.shape.length === 3 ? array.data[(k * b + t) * c + n] : array.data[t * b + n];
}

/** A row (all of the last axis) of a per-forget-bias array: (K, T, N) at [k, t], or (K, N) at [k]. */
function row(array, k, t = null) {
  const n = array.shape[array.shape.length - 1];
  const start = array.shape.length === 3 ? (k * array.shape[1] + t) * n : k * n;
  return array.data.subarray(start, start + n);
}

/** What the views show now: the previewed forget bias and step, else the server's. */
function selection() {
  const store = HUB.store;
  const committed = HUB.committed;
  if (!store || !committed || committed.store !== store.header.id) return null;
  const last = store.header.steps - 1;
  const step = Math.min(Math.max(HUB.preview.step ?? committed.step, 0), last);
  return {
    index: HUB.preview.index ?? committed.index,
    committedIndex: committed.index,
    step,
    committedStep: Math.min(Math.max(committed.step, 0), last),
    unit: HUB.hover?.unit ?? null,
    band: HUB.hover?.band ?? null,
  };
}

/** Repaint every view in the next animation frame (once, however many changes come before it). */
function schedule() {
  if (HUB.pending) return;
  HUB.pending = true;
  requestAnimationFrame(paint);
}

function paint() {
  const started = performance.now();
  HUB.pending = false;
  const chosen = selection();
  if (!chosen) return;
  let changed = false;
  for (const view of HUB.views) {
    if (view.storeId !== HUB.store.header.id) continue;
    try {
      if (view.render(chosen)) {
        changed = true;
        HUB.stats.views[view.role] = (HUB.stats.views[view.role] ?? 0) + 1;
      }
    } catch (error) {
      fail(error);
    }
  }
  HUB.stats.renders += 1;
  if (changed) {
    HUB.stats.frames += 1;
    HUB.stats.last = performance.now();
    HUB.stats.paintMs += HUB.stats.last - started;
  }
}

/** Tell the server that the live views cannot work here: it goes back to its own sliders. */
function fail(error) {
  console.error("live_explore:", error);
  if (HUB.failed || !HUB.controls) return;
  HUB.failed = true;
  HUB.controls.send("failed", String(error?.message ?? error).slice(0, 200));
}

function syncCommitted() {
  const c = HUB.committed;
  if (c && HUB.store && c.store === HUB.store.header.id) c.index = nearest(HUB.store.header.biases, c.forget_bias);
}

function element(tag, className, parent, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  parent?.appendChild(node);
  return node;
}

const fmt = (value) => String(Math.round(value * 1e6) / 1e6);

function stepWord(t) {
  const label = HUB.store?.header.step_labels?.[t];
  return label !== undefined && label !== String(t) ? ` (character '${label}')` : "";
}

// ---------------------------------------------------------------------------------------------
// The store: hidden, holds the arrays.

function storeView() {
  return {
    update(message, component) {
      if (message.header.held) {
        // Only the id, after this browser said it holds that store: ask for it whole if it does not.
        if (HUB.store?.header.id !== message.header.id) component.setTriggerValue("missing", message.header.id);
        return;
      }
      if (HUB.store?.header.id === message.header.id) return;
      HUB.store = message;
      syncCommitted();
      schedule();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The controls: the forget_bias and step sliders, and the line naming the cell and the step.

function slider(parent, labelText, help) {
  const box = element("div", "lx-slider", parent);
  const head = element("div", "lx-slider-head", box);
  const label = element("span", "lx-label", head, labelText);
  label.title = help;
  const value = element("span", "lx-value", head);
  const input = element("input", "lx-range", box);
  input.type = "range";
  input.setAttribute("aria-label", labelText);
  input.title = help;
  const ends = element("div", "lx-ends", box);
  return { box, label, value, input, low: element("span", "", ends), high: element("span", "", ends) };
}

/** Colour a range input's track up to its value (as Streamlit's sliders do). */
function filled(input, value, last) {
  input.style.setProperty("--fill", `${last > 0 ? (100 * value) / last : 0}%`);
}

/** Preview while an input moves; commit once it is released (pointer), or after a pause (keys). */
function scrubbing(input, preview, commit) {
  let keyboard = false;
  let timer = null;
  input.addEventListener("keydown", () => (keyboard = true));
  input.addEventListener("pointerdown", () => (keyboard = false));
  input.addEventListener("input", () => {
    filled(input, Number(input.value), Number(input.max));
    preview(Number(input.value));
  });
  input.addEventListener("change", () => {
    clearTimeout(timer);
    timer = setTimeout(() => commit(Number(input.value)), keyboard ? 600 : 0);
  });
}

function controlsView(root) {
  const box = element("div", "lx-controls", root);
  const row = element("div", "lx-row", box);
  const view = { box, sentence: element("div", "lx-sentence", box), note: element("div", "lx-note", box), last: "" };
  view.fb = slider(row, "forget_bias", "");
  view.step = slider(row, "Selected step t", "");
  view.fb.box.classList.add("lx-narrow");
  scrubbing(
    view.fb.input,
    (k) => {
      HUB.preview.index = k;
      schedule();
    },
    (k) => {
      const c = HUB.committed;
      delete HUB.preview.index;
      if (!c || k === c.index) return schedule();
      c.index = k; // shown at once; the server's rerun confirms it
      c.forget_bias = HUB.store.header.biases[k];
      view.send("release", { forget_bias: c.forget_bias });
      schedule();
    },
  );
  scrubbing(
    view.step.input,
    (t) => {
      HUB.preview.step = t;
      schedule();
    },
    (t) => select(t, null),
  );
  view.update = (message, component) => {
    view.send = (name, value) => component.setTriggerValue(name, value);
    HUB.controls = view;
    HUB.failed = false; // drawn again (after "Try the live charts again"): report a new failure too
    const h = message.header;
    view.storeId = h.store;
    view.data = h;
    box.classList.toggle("lx-presenting", !!h.presenting);
    view.fb.label.textContent = h.label;
    view.fb.label.title = view.fb.input.title = h.help;
    view.step.label.title = view.step.input.title = h.step_help;
    view.note.textContent = h.note;
    const c = HUB.committed;
    const same = c && c.store === h.store && c.forget_bias === h.forget_bias && c.step === h.step && c.unit === h.unit;
    if (!same) HUB.committed = { store: h.store, forget_bias: h.forget_bias, step: h.step, unit: h.unit, index: 0 };
    syncCommitted();
    view.last = "";
    schedule();
  };
  view.render = (chosen) => {
    const h = HUB.store.header;
    const key = `${chosen.index}|${chosen.step}|${chosen.committedStep}|${HUB.store.header.id}`;
    if (key === view.last) return false;
    view.last = key;
    const biases = h.biases;
    Object.assign(view.fb.input, { min: 0, max: biases.length - 1, step: 1 });
    if (document.activeElement !== view.fb.input || HUB.preview.index === undefined) view.fb.input.value = chosen.index;
    view.fb.value.textContent = fmt(biases[chosen.index]);
    filled(view.fb.input, chosen.index, biases.length - 1);
    filled(view.step.input, chosen.step, h.steps - 1);
    view.fb.low.textContent = fmt(biases[0]);
    view.fb.high.textContent = fmt(biases[biases.length - 1]);
    Object.assign(view.step.input, { min: 0, max: h.steps - 1, step: 1 });
    view.step.input.value = chosen.step;
    view.step.value.textContent = String(chosen.step);
    view.step.low.textContent = "0";
    view.step.high.textContent = String(h.steps - 1);
    view.sentence.replaceChildren();
    element("b", "", view.sentence, h.signatures[chosen.index]);
    view.sentence.append(` ${view.data.sentence} `);
    if (chosen.step === chosen.committedStep) {
      view.sentence.append("Selected step ");
      element("b", "", view.sentence, `t = ${chosen.step}`);
      view.sentence.append(`${stepWord(chosen.step)}.`);
    } else {
      view.sentence.append("Showing step ");
      element("b", "", view.sentence, `t = ${chosen.step}`);
      view.sentence.append(`${stepWord(chosen.step)}; click a cell to select it (selected: t = ${chosen.committedStep}).`);
    }
    return true;
  };
  view.cleanup = () => {};
  return view;
}

/** Select step ``t`` (and ``unit``) for the whole app: shown at once, sent to the server. */
function select(t, unit) {
  const c = HUB.committed;
  delete HUB.preview.step;
  if (!c || !HUB.controls) return;
  const event = { step: t };
  if (unit !== null && unit !== undefined) event.unit = unit;
  if (t === c.step && (event.unit === undefined || event.unit === c.unit)) return schedule();
  c.step = t;
  if (event.unit !== undefined) c.unit = event.unit;
  HUB.controls.send("select", event);
  schedule();
}

// ---------------------------------------------------------------------------------------------
// The heatmaps: Plotly draws the figure as ui.plotly_live does (axes, labels, colour bars: never
// redrawn while scrubbing); a canvas over each band paints its cells from the store.

/** A colour scale [[position, colour], ...] as a lookup table of 1024 RGB colours. */
function lookup(scale) {
  const stops = scale.map(([p, colour]) => [p, parseColour(colour)]);
  const table = new Uint8ClampedArray(1024 * 3);
  for (let k = 0; k < 1024; k++) {
    const p = k / 1023;
    let s = 0;
    while (s < stops.length - 2 && p > stops[s + 1][0]) s++;
    const [p0, c0] = stops[s];
    const [p1, c1] = stops[s + 1];
    const f = p1 > p0 ? Math.min(Math.max((p - p0) / (p1 - p0), 0), 1) : 0;
    for (let c = 0; c < 3; c++) table[k * 3 + c] = Math.round(c0[c] + f * (c1[c] - c0[c]));
  }
  return table;
}

function parseColour(colour) {
  if (colour.startsWith("#")) return [1, 3, 5].map((k) => parseInt(colour.slice(k, k + 2), 16));
  return colour.slice(colour.indexOf("(") + 1, -1).split(",").slice(0, 3).map(Number);
}

function heatmapsView(root) {
  const chart = mount(root);
  const canvas = element("canvas", "lx-cells", chart.figure);
  const tip = element("div", "lx-tip", chart.figure);
  const view = { chart, canvas, tip, bands: [], last: "", drawnAt: 0 };
  chart.gd.style.position = "relative"; // for the labels drawn in it
  chart.gd.style.touchAction = "pan-y"; // on a touch screen a sideways drag scrubs the step, an upright one scrolls
  const maskAt = (band, k) => row(HUB.store.arrays[band.mask], k);
  chart.figure.style.position = "relative";
  chart.onDrawn = () => {
    view.drawnAt += 1;
    if (!chart.fullscreen) chart.figure.style.position = "relative";
    schedule();
  };
  chart.onError = fail;
  view.update = (message) => {
    const h = message.header;
    view.storeId = h.store;
    // The axes hold the cells exactly (no room for the saturation dots, which the canvas draws).
    const layout = { ...h.figure.layout, hovermode: false, dragmode: false };
    for (const trace of h.figure.data.filter((trace) => trace.type === "heatmap")) {
      const [rows, steps] = String(trace.z.shape).split(",").map(Number); // viz.figure.typed's "rows, columns"
      const name = trace.yaxis.replace("y", "yaxis");
      layout[name] = { ...layout[name], range: [rows - 0.5, -0.5], autorange: false };
      layout.xaxis = { ...layout.xaxis, range: [-0.5, steps - 0.5], autorange: false };
    }
    const data = h.figure.data.filter((trace) => trace.type === "heatmap");
    const config = {
      ...h.config,
      modeBarButtonsToRemove: ["zoom2d", "pan2d", "zoomIn2d", "zoomOut2d", "autoScale2d", "resetScale2d", "toImage"],
    };
    // The band labels change with the forget bias (how many values lie beyond the colours): drawn
    // by labels() over the chart, since Plotly takes some 50 ms to redraw one annotation.
    view.annotations = layout.annotations ?? [];
    layout.annotations = [];
    // The step marker is the canvas's (render), at the selected step.
    layout.shapes = [];
    view.labelled = null;
    view.last = "";
    // The canvas paints the cells, their colours and the hover from the store, so a figure that
    // differs only in its cells' values (a released forget bias or step) needs no redraw by Plotly
    // (some 100 ms for seven bands): its spec is kept for the next one, and the canvas repaints.
    const signature = JSON.stringify({
      layout,
      config,
      data: data.map(({ z, customdata, text, hovertemplate, ...rest }) => rest),
    });
    const spec = { figure: { ...h.figure, data, layout }, config, alt: h.alt };
    if (signature === view.signature && chart.spec && chart.gd._fullLayout) {
      chart.spec = spec;
      // The chart's data says what the canvas shows (for whatever reads it: a screen reader's tools,
      // the tests); Plotly, which draws nothing visible of it, takes it at its next redraw.
      data.forEach((trace, i) => {
        const drawn = chart.gd.data?.[i];
        if (drawn) Object.assign(drawn, { z: trace.z, customdata: trace.customdata, hovertemplate: trace.hovertemplate });
      });
      view.dataIndex = HUB.committed?.index ?? null;
      schedule();
      return;
    }
    view.signature = signature;
    view.dataIndex = HUB.committed?.index ?? null; // the server's figure is at the page's forget bias
    show(chart, spec);
  };
  /** Put the cells at forget bias ``k`` into Plotly's data (what its PNG download draws, and what
   *  any tool reading the chart finds), as the server's figure at that value would hold them: a
   *  release reruns only the controls, so no figure comes. Only where the figure has one column a
   *  step (above its cell budget the server averages steps into bins: it keeps its own). */
  view.syncData = (k) => {
    const data = chart.gd.data;
    if (view.dataIndex === k || !data) return;
    view.dataIndex = k;
    const s = HUB.store;
    const steps = s.header.steps;
    const columns = (z) =>
      Array.isArray(z) ? z[0]?.length : Number(String(z?.shape ?? "").split(",")[1] ?? NaN);
    const grid = (values, rows) =>
      Array.from({ length: rows }, (_, r) => Array.from({ length: steps }, (_, t) => Math.fround(at(values, k, t, r))));
    view.bands.forEach((band, n) => {
      const trace = data[n];
      const values = s.arrays[band.source];
      if (!trace || values.shape.length !== 3 || columns(trace.z) !== steps) return;
      trace.z = grid(values, band.rows);
      if (band.pre && trace.customdata !== undefined) trace.customdata = grid(s.arrays[band.pre], band.rows);
    });
  };
  view.prepare = () => {
    const s = HUB.store;
    if (view.preparedFor === s.header.id) return;
    view.preparedFor = s.header.id;
    view.bands = s.header.bands.map((band) => {
      const offscreen = document.createElement("canvas");
      offscreen.width = s.header.steps;
      offscreen.height = band.rows;
      return { ...band, offscreen, table: lookup(band.scale), paintedIndex: null };
    });
  };
  view.geometry = () => {
    const layout = chart.gd._fullLayout;
    if (!layout?.xaxis?._length) return null;
    const xa = layout.xaxis;
    return view.bands.map((band) => {
      const ya = layout[band.yaxis.replace("y", "yaxis")];
      const x0 = xa._offset + xa.c2p(-0.5);
      const x1 = xa._offset + xa.c2p(HUB.store.header.steps - 0.5);
      const y0 = ya._offset + ya.c2p(-0.5);
      const y1 = ya._offset + ya.c2p(band.rows - 0.5);
      return { xa, ya, left: Math.min(x0, x1), right: Math.max(x0, x1), top: Math.min(y0, y1), bottom: Math.max(y0, y1) };
    });
  };
  view.paintBand = (band, k) => {
    const s = HUB.store;
    if (band.paintedIndex === k) return;
    band.paintedIndex = k;
    const steps = s.header.steps;
    const values = s.arrays[band.source];
    const [zmin, zmax] = band.ranges[Math.min(k, band.ranges.length - 1)];
    const image = new ImageData(steps, band.rows);
    const span = zmax > zmin ? zmax - zmin : 1;
    for (let r = 0; r < band.rows; r++) {
      for (let t = 0; t < steps; t++) {
        const v = Math.fround(at(values, values.shape.length === 3 ? k : null, t, r));
        const p = Math.min(Math.max((v - zmin) / span, 0), 1);
        const c = Math.round(p * 1023) * 3;
        const o = (r * steps + t) * 4;
        image.data[o] = band.table[c];
        image.data[o + 1] = band.table[c + 1];
        image.data[o + 2] = band.table[c + 2];
        image.data[o + 3] = 255;
      }
    }
    band.offscreen.getContext("2d").putImageData(image, 0, 0);
  };
  view.render = (chosen) => {
    if (!HUB.store || !chart.gd._fullLayout) return false;
    view.prepare();
    const boxes = view.geometry();
    if (!boxes) return false;
    const k = chosen.index;
    if (HUB.preview.index === undefined) view.syncData(chosen.committedIndex);
    const key = `${k}|${chosen.step}|${chosen.committedStep}|${chosen.band}|${chosen.unit}|${view.drawnAt}`;
    if (key === view.last) return false;
    view.last = key;
    view.labels(k);
    const s = HUB.store;
    const layout = chart.gd._fullLayout;
    const ratio = window.devicePixelRatio || 1;
    const width = layout.width;
    const height = layout.height;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    canvas.style.left = `${chart.gd.offsetLeft}px`;
    canvas.style.top = `${chart.gd.offsetTop}px`;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.imageSmoothingEnabled = false;
    view.bands.forEach((band, n) => {
      const box = boxes[n];
      view.paintBand(band, k);
      ctx.drawImage(band.offscreen, box.left, box.top, box.right - box.left, box.bottom - box.top);
      if (band.mask && s.arrays[band.mask]) view.dots(ctx, band, box, k);
    });
    const xa = boxes[0].xa;
    const size = layout._size;
    const marker = (t, style, lineWidth, dash) => {
      const x0 = xa._offset + xa.c2p(t - 0.5);
      const x1 = xa._offset + xa.c2p(t + 0.5);
      ctx.setLineDash(dash);
      ctx.strokeStyle = style;
      ctx.lineWidth = lineWidth;
      ctx.strokeRect(Math.min(x0, x1), size.t, Math.abs(x1 - x0), size.h);
      ctx.setLineDash([]);
    };
    if (chosen.step !== chosen.committedStep) marker(chosen.committedStep, "#777777", 1.5, [4, 3]);
    marker(chosen.step, "#111111", 2, []);
    if (chosen.band !== null && HUB.hover) {
      const box = boxes[chosen.band];
      const ya = box.ya;
      const r = HUB.hover.row;
      const y0 = ya._offset + ya.c2p(r - 0.5);
      const y1 = ya._offset + ya.c2p(r + 0.5);
      const x0 = xa._offset + xa.c2p(chosen.step - 0.5);
      const x1 = xa._offset + xa.c2p(chosen.step + 0.5);
      ctx.lineWidth = 3;
      ctx.strokeStyle = "#ffffff";
      ctx.strokeRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#111111";
      ctx.strokeRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
    }
    chart.figure.setAttribute("aria-label", s.header.alts[k]);
    if (s.header.fit) view.colourBars(k, chosen.committedIndex);
    return true;
  };
  /** With colours fitted to the data, a colour bar's numbers are those of the selected forget bias:
   *  hidden while another one with another range is shown (its band's label says the range). */
  view.colourBars = (k, committed) => {
    const bars = chart.gd.querySelectorAll("g.colorbar");
    view.bands.forEach((band, n) => {
      const [now, then] = [band.ranges[Math.min(k, band.ranges.length - 1)], band.ranges[Math.min(committed, band.ranges.length - 1)]];
      const same = now[0] === then[0] && now[1] === then[1];
      bars[n]?.querySelectorAll("text").forEach((text) => (text.style.visibility = same ? "" : "hidden"));
    });
  };
  // The band's dots, drawn once per forget bias and size on a canvas of their own (a frame that
  // only moves the step marker, as a hover does, copies them: thousands of arcs cost a frame).
  view.dots = (ctx, band, box, k) => {
    const ratio = window.devicePixelRatio || 1;
    const width = box.right - box.left;
    const height = box.bottom - box.top;
    const key = `${k}|${width}|${height}|${ratio}`;
    if (band.dotsKey !== key) {
      band.dotsKey = key;
      band.dotsCanvas ??= document.createElement("canvas");
      band.dotsCanvas.width = Math.max(1, Math.round(width * ratio));
      band.dotsCanvas.height = Math.max(1, Math.round(height * ratio));
      const dots = band.dotsCanvas.getContext("2d");
      dots.setTransform(ratio, 0, 0, ratio, 0, 0);
      const mask = maskAt(band, k);
      const steps = HUB.store.header.steps;
      const cellW = width / steps;
      const cellH = height / band.rows;
      dots.fillStyle = "#ffffff";
      dots.beginPath();
      for (let i = 0; i < band.rows * steps; i++) {
        if (!((mask[i >> 3] >> (7 - (i & 7))) & 1)) continue;
        const x = ((i % steps) + 0.5) * cellW;
        const y = (Math.floor(i / steps) + 0.5) * cellH;
        dots.moveTo(x + 1.5, y);
        dots.arc(x, y, 1.5, 0, 2 * Math.PI);
      }
      dots.fill();
    }
    ctx.drawImage(band.dotsCanvas, box.left, box.top, width, height);
  };
  /** The band labels (their range, how many values lie beyond it) at forget bias k, as SVG text
   *  where Plotly would put the annotations: right-aligned in the left margin, beside each band. */
  view.labels = (k) => {
    const gd = chart.gd;
    const layout = gd._fullLayout;
    let svg = gd.querySelector(":scope > svg.lx-labels");
    if (!svg) {
      svg = document.createElementNS(SVG_NS, "svg");
      svg.setAttribute("class", "lx-labels");
      gd.appendChild(svg);
    }
    const key = `${k}|${view.drawnAt}|${layout.width}|${layout.height}`;
    if (view.labelled === key) return;
    view.labelled = key;
    svg.setAttribute("width", layout.width);
    svg.setAttribute("height", layout.height);
    const size = layout._size;
    const texts = view.annotations.map((note, n) => {
      const band = view.bands[n];
      const fontSize = note.font?.size ?? 13;
      const lines = (band ? band.texts[Math.min(k, band.texts.length - 1)] : note.text).split("<br>");
      const text = document.createElementNS(SVG_NS, "text");
      const x = size.l + note.x * size.w - 2;
      const middle = size.t + (1 - note.y) * size.h;
      text.setAttribute("text-anchor", "end");
      text.setAttribute("class", "annotation-text");
      Object.assign(text.style, { fontSize: `${fontSize}px`, fontFamily: layout.font.family, fill: layout.font.color });
      lines.forEach((line, i) => {
        const tspan = document.createElementNS(SVG_NS, "tspan");
        tspan.setAttribute("x", x);
        tspan.setAttribute("y", middle + (i - (lines.length - 1) / 2) * 1.3 * fontSize + 0.35 * fontSize);
        for (const part of line.split(/(<b>.*?<\/b>)/)) {
          if (!part) continue;
          const piece = document.createElementNS(SVG_NS, "tspan");
          const bold = part.startsWith("<b>");
          piece.textContent = bold ? part.slice(3, -4) : part;
          if (bold) piece.style.fontWeight = "bold";
          tspan.appendChild(piece);
        }
        text.appendChild(tspan);
      });
      return text;
    });
    svg.replaceChildren(...texts);
  };
  /** The cell (or step) under a pointer event: {band, row, unit, step}, or null off the plot. */
  view.cellAt = (event, clamp = false) => {
    const boxes = HUB.store && view.geometry();
    if (!boxes) return null;
    const rect = chart.gd.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    const xa = boxes[0].xa;
    const steps = HUB.store.header.steps;
    let step = Math.round(xa.p2c(x - xa._offset));
    if (step < 0 || step >= steps) {
      if (!clamp) return null;
      step = Math.min(Math.max(step, 0), steps - 1);
    }
    const size = chart.gd._fullLayout._size;
    if (!clamp && (y < size.t || y > size.t + size.h)) return null;
    const n = boxes.findIndex((box) => y >= box.top && y <= box.bottom);
    if (n < 0) return { band: null, row: null, unit: null, step };
    const band = view.bands[n];
    const ya = boxes[n].ya;
    const r = Math.min(Math.max(Math.round(ya.p2c(y - ya._offset)), 0), band.rows - 1);
    return { band: n, row: r, unit: band.name === "x" ? null : r, step };
  };
  view.tooltip = (event, cell) => {
    if (!cell || cell.band === null) {
      tip.style.display = "none";
      return;
    }
    const s = HUB.store;
    const chosen = selection();
    const band = view.bands[cell.band];
    const k = chosen.index;
    const value = Math.fround(at(s.arrays[band.source], s.arrays[band.source].shape.length === 3 ? k : null, cell.step, cell.row));
    const lines = [`step ${cell.step}${stepWord(cell.step)}`];
    lines.push(band.name === "x" ? `feature ${band.names?.[cell.row] ?? cell.row}` : `unit ${cell.row}`);
    lines.push(`${band.symbol} = ${value.toFixed(4)}`);
    const [zmin, zmax] = band.ranges[Math.min(k, band.ranges.length - 1)];
    if (value < zmin || value > zmax) lines.push(`too big for the colours (±${zmax.toFixed(2)}): drawn in the end colour`);
    if (band.pre) {
      const pre = Math.fround(at(s.arrays[band.pre], k, cell.step, cell.row));
      const extra = band.name === "f" ? ` (+ forget_bias ${fmt(s.header.biases[k])})` : "";
      lines.push(`${band.pre} = ${pre.toFixed(4)}${extra}`);
    }
    tip.replaceChildren(...lines.map((line) => element("div", "", null, line)));
    const frame = chart.figure.getBoundingClientRect();
    tip.style.display = "block";
    const left = event.clientX - frame.left + 14;
    tip.style.left = `${Math.min(left, frame.width - tip.offsetWidth - 4)}px`;
    tip.style.top = `${event.clientY - frame.top + 14}px`;
  };
  let dragging = null;
  const hover = (event, cell) => {
    HUB.hover = cell;
    if (cell) HUB.preview.step = cell.step;
    else delete HUB.preview.step;
    view.tooltip(event, cell);
    schedule();
  };
  chart.gd.addEventListener("pointermove", (event) => hover(event, view.cellAt(event, dragging !== null)));
  chart.gd.addEventListener("pointerleave", (event) => {
    if (dragging === null) hover(event, null);
  });
  chart.gd.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || event.target.closest?.(".modebar")) return;
    const cell = view.cellAt(event);
    if (!cell) return;
    dragging = event.pointerId;
    chart.gd.setPointerCapture(event.pointerId);
    hover(event, cell);
  });
  const release = (event) => {
    if (dragging !== event.pointerId) return;
    dragging = null;
    const cell = view.cellAt(event, true) ?? HUB.hover;
    if (cell) select(cell.step, cell.unit);
    if (!view.cellAt(event)) hover(event, null);
  };
  chart.gd.addEventListener("pointerup", release);
  chart.gd.addEventListener("pointercancel", release);
  view.cleanup = chart.cleanup;
  return view;
}

// ---------------------------------------------------------------------------------------------
// The line chart: Plotly draws the lines (swapped from the store when the forget bias moves); the
// step line and the dots on it are drawn over the chart.

const SVG_NS = "http://www.w3.org/2000/svg";

function linesView(root) {
  const chart = mount(root);
  const overlay = document.createElementNS(SVG_NS, "svg");
  overlay.setAttribute("class", "lx-overlay");
  chart.figure.appendChild(overlay);
  chart.figure.style.position = "relative";
  const view = { chart, overlay, last: "", drawnAt: 0, index: null };
  chart.onError = fail;
  chart.onDrawn = () => {
    view.drawnAt += 1;
    if (!chart.fullscreen) chart.figure.style.position = "relative";
    if (!view.listening && chart.gd.on) {
      view.listening = true;
      chart.gd.on("plotly_hover", (event) => {
        HUB.preview.step = Math.round(event.points[0].x);
        schedule();
      });
      chart.gd.on("plotly_unhover", () => {
        delete HUB.preview.step;
        schedule();
      });
      chart.gd.on("plotly_click", (event) => select(Math.round(event.points[0].x), null));
    }
    schedule();
  };
  /** Move Plotly's line paths to ``ys`` (one per series), as Plotly draws them; false if it cannot
   *  (a line hidden from the legend): then Plotly redraws. */
  view.retrace = (ys) => {
    const layout = chart.gd._fullLayout;
    const paths = chart.gd.querySelectorAll(".scatterlayer .trace path.js-line");
    if (paths.length !== ys.length || chart.gd._fullData?.some((trace) => trace.visible !== true)) return false;
    const xa = layout.xaxis;
    const ya = layout.yaxis;
    ys.forEach((y, i) => {
      let d = "";
      for (let t = 0; t < y.length; t++) d += `${t ? "L" : "M"}${xa.c2p(t).toFixed(2)},${ya.c2p(y[t]).toFixed(2)}`;
      paths[i].setAttribute("d", d);
    });
    return true;
  };
  view.update = (message) => {
    const h = message.header;
    view.storeId = h.store;
    view.series = h.series;
    view.alts = h.alts;
    view.last = "";
    const spec = { figure: h.figure, config: h.config, alt: h.alt };
    // A figure that differs only in the lines' values (a released forget bias) is the one render()
    // has just had Plotly draw from the store at that value: no second redraw.
    const signature = JSON.stringify({
      store: h.store,
      layout: h.figure.layout,
      config: h.config,
      series: h.series,
      data: h.figure.data.map(({ y, text, customdata, hovertemplate, ...rest }) => rest),
    });
    if (signature === view.signature && chart.spec && chart.gd._fullLayout && view.reacted !== null) {
      chart.spec = spec;
      chart.spec.figure.data.forEach((trace, i) => (trace.y = view.drawnY?.[i] ?? trace.y));
      if (h.alt) chart.figure.setAttribute("aria-label", h.alt);
      schedule();
      return;
    }
    view.signature = signature;
    view.index = null;
    view.reacted = null;
    show(chart, spec);
  };
  view.render = (chosen) => {
    const s = HUB.store;
    const spec = chart.spec;
    if (!spec || !chart.gd._fullLayout?.xaxis) return false;
    let changed = false;
    const steps = s.header.steps;
    const lines = () =>
      view.series.map(([name, unit]) => {
        const y = new Float64Array(steps);
        for (let t = 0; t < steps; t++) y[t] = at(s.arrays[name], chosen.index, t, unit);
        return y;
      });
    const scrubbing = HUB.preview.index !== undefined;
    if (view.index !== chosen.index && scrubbing && view.retrace(lines())) {
      view.index = chosen.index; // drawn over Plotly's own paths: a full redraw takes a frame or more
      changed = true;
    } else if (view.reacted !== chosen.index && !(scrubbing && view.index === chosen.index)) {
      view.drawnY = lines();
      view.drawnY.forEach((y, i) => (spec.figure.data[i].y = y));
      view.index = view.reacted = chosen.index;
      draw(chart); // Plotly redraws the lines (and knows their values for its hover)
      changed = true;
    }
    const alt = view.alts?.[chosen.index];
    if (alt && !scrubbing && chart.figure.getAttribute("aria-label") !== alt) chart.figure.setAttribute("aria-label", alt);
    const key = `${chosen.index}|${chosen.step}|${chosen.unit}|${view.drawnAt}`;
    if (key === view.last) return changed;
    view.last = key;
    const layout = chart.gd._fullLayout;
    const xa = layout.xaxis;
    const ya = layout.yaxis;
    overlay.setAttribute("width", layout.width);
    overlay.setAttribute("height", layout.height);
    overlay.style.left = `${chart.gd.offsetLeft}px`;
    overlay.style.top = `${chart.gd.offsetTop}px`;
    const x = xa._offset + xa.c2p(chosen.step);
    const shapes = [];
    const line = document.createElementNS(SVG_NS, "line");
    for (const [name, value] of [["x1", x], ["x2", x], ["y1", layout._size.t], ["y2", layout._size.t + layout._size.h]])
      line.setAttribute(name, value);
    line.setAttribute("class", "lx-step-line");
    shapes.push(line);
    view.series.forEach(([name, unit], i) => {
      const trace = chart.gd._fullData?.[i];
      if (!trace || trace.visible !== true) return;
      const y = ya._offset + ya.c2p(at(s.arrays[name], chosen.index, chosen.step, unit));
      const dot = document.createElementNS(SVG_NS, "circle");
      const picked = chosen.unit === unit;
      dot.setAttribute("cx", x);
      dot.setAttribute("cy", y);
      dot.setAttribute("r", picked ? 7 : 4);
      dot.setAttribute("fill", trace.line.color);
      dot.setAttribute("class", picked ? "lx-dot lx-dot-picked" : "lx-dot");
      dot.dataset.unit = unit;
      dot.dataset.name = name;
      shapes.push(dot);
    });
    overlay.replaceChildren(...shapes);
    return true;
  };
  view.cleanup = chart.cleanup;
  return view;
}

// ---------------------------------------------------------------------------------------------
// The numbers of the shown step, one row per unit, 6 decimals (as the server's table shows them).

function tableView(root) {
  const box = element("div", "lx-table-box", root);
  const caption = element("div", "lx-table-caption", box);
  const scroller = element("div", "lx-table-scroll", box);
  const table = element("table", "lx-table", scroller);
  const view = { box, caption, table, last: "", builtFor: null, cells: [] };
  view.update = (message) => {
    view.storeId = message.header.store;
    view.last = "";
    schedule();
  };
  view.build = () => {
    const h = HUB.store.header;
    if (view.builtFor === h.id) return;
    view.builtFor = h.id;
    view.columns = ["i_pre", "j_pre", "f_pre", "o_pre", "i", "j", "f", "o", "c_prev", "new_c", h.projected ? "m" : "new_h"];
    table.replaceChildren();
    const head = element("tr", "", element("thead", "", table));
    element("th", "", head, "unit");
    for (const name of view.columns) element("th", "", head, name === "m" ? "m (before projection)" : name);
    const body = element("tbody", "", table);
    view.rows = [];
    view.cells = [];
    for (let u = 0; u < h.units; u++) {
      const tr = element("tr", "", body);
      tr.dataset.unit = u;
      element("th", "", tr, String(u));
      view.rows.push(tr);
      view.cells.push(view.columns.map(() => element("td", "", tr)));
    }
  };
  view.render = (chosen) => {
    view.build();
    const s = HUB.store;
    const key = `${chosen.index}|${chosen.step}|${chosen.committedStep}|${chosen.unit}|${s.header.id}`;
    if (key === view.last) return false;
    view.last = key;
    const k = chosen.index;
    const t = chosen.step;
    caption.textContent = `Step t = ${t}${stepWord(t)}, forget_bias = ${fmt(s.header.biases[k])}${
      t === chosen.committedStep ? "" : ` (showing; selected: t = ${chosen.committedStep})`
    }`;
    view.columns.forEach((name, c) => {
      for (let u = 0; u < s.header.units; u++) {
        let v;
        if (name === "c_prev") v = t === 0 ? s.header.initial_c[u] : at(s.arrays.new_c, k, t - 1, u);
        else v = at(s.arrays[name], k, t, u);
        const text = v.toFixed(6);
        const cell = view.cells[u][c];
        if (cell.textContent !== text) cell.textContent = text;
      }
    });
    view.rows.forEach((tr, u) => tr.classList.toggle("lx-picked", chosen.unit === u));
    return true;
  };
  view.cleanup = () => {};
  return view;
}

// ---------------------------------------------------------------------------------------------
// The state after the shown step and the final state, printed as the seed notebook prints them.

function stateView(root) {
  const box = element("div", "lx-state", root);
  const view = { box, last: "" };
  const block = (title) => {
    const heading = element("p", "lx-state-heading", box, title);
    const code = element("pre", "lx-code", box);
    const details = element("details", "lx-details", box);
    const summary = element("summary", "", details);
    const full = element("pre", "lx-code", details);
    return { heading, code, details, summary, full };
  };
  view.after = block("");
  view.final = block("");
  view.update = (message) => {
    view.storeId = message.header.store;
    view.data = message.header;
    view.last = "";
    schedule();
  };
  const layersAt = (k, t) =>
    HUB.store.header.layers.map((_, l) => {
      const a = HUB.store.arrays;
      if (t === null) return [row(a[`final_c${l}`], k), row(a[`final_h${l}`], k)];
      const shown = l === HUB.store.header.layer;
      return [row(a[shown ? "new_c" : `c${l}`], k, t), row(a[shown ? "new_h" : `h${l}`], k, t)];
    });
  view.render = (chosen) => {
    const s = HUB.store;
    const d = view.data;
    const key = `${chosen.index}|${chosen.step}|${d.as_tuple}|${s.header.id}`;
    if (key === view.last) return false;
    view.last = key;
    const layers = s.header.layers;
    const tail = `, printed as TensorFlow's tutorial notebook prints it${
      d.stacked ? ` (a tuple of ${layers.length} layers' states, as MultiRNNCell returns it)` : ""
    }:`;
    const most = Math.max(...layers.map((l) => l.units));
    for (const [part, t, title] of [
      [view.after, chosen.step, `State after step ${chosen.step}`],
      [view.final, null, "Final state (after the last step)"],
    ]) {
      const states = layersAt(chosen.index, t);
      part.heading.textContent = title + tail;
      part.code.textContent = stateRepr(states, d.as_tuple, true, d.stacked);
      part.details.style.display = d.summarised ? "" : "none";
      if (d.summarised) {
        part.summary.textContent = `All ${most} values of each vector`;
        part.full.textContent = stateRepr(states, d.as_tuple, false, d.stacked);
      }
    }
    return true;
  };
  view.cleanup = () => {};
  return view;
}

// ---------------------------------------------------------------------------------------------
// What to notice: the sentences viz.notice wrote from the run at each forget bias of the sweep,
// shown at the one the sliders show (while forget_bias moves, they follow it).

function notesView(root) {
  const box = element("div", "lx-notes", root);
  const view = { box, last: "" };
  view.update = (message) => {
    view.storeId = message.header.store;
    box.classList.toggle("lx-presenting", !!message.header.presenting);
    view.last = "";
    schedule();
  };
  view.render = (chosen) => {
    const h = HUB.store.header;
    const key = `${chosen.index}|${h.id}`;
    if (key === view.last) return false;
    view.last = key;
    const head = element("p", "lx-notes-head");
    element("b", "", head, "What to notice");
    head.append(` (at forget_bias ${fmt(h.biases[chosen.index])}):`);
    const list = element("ul", "lx-notes-list");
    for (const runs of h.notes[chosen.index]) {
      const item = element("li", "", list);
      runs.forEach((text, k) => (k % 2 ? element("b", "", item, text) : item.append(text)));
    }
    box.replaceChildren(head, list);
    return true;
  };
  view.cleanup = () => {};
  return view;
}

// ---------------------------------------------------------------------------------------------

const held = (value) =>
  value && typeof value === "object" && HUB.store ? { ...value, held: HUB.store.header.id } : value;

const MAKERS = {
  store: storeView,
  controls: controlsView,
  heatmaps: heatmapsView,
  lines: linesView,
  table: tableView,
  state: stateView,
  notes: notesView,
};

export default function (component) {
  const { data, parentElement } = component;
  let view = roots.get(parentElement);
  try {
    const message = unpack(data);
    if (!view) {
      view = MAKERS[message.header.role](parentElement);
      view.role = message.header.role;
      roots.set(parentElement, view);
      if (view.render) HUB.views.add(view);
    }
    // A release or a selection also says which store this browser holds: its rerun need not resend it.
    if (view.role === "controls") view.send = (name, value) => component.setTriggerValue(name, held(value));
    if (view.text !== message.text) {
      view.text = message.text;
      view.update(message, component);
    }
    plotly().catch(fail); // Plotly.js could not load: say so (the server goes back to its sliders)
  } catch (error) {
    if (view?.role === "controls" || !HUB.controls) {
      HUB.controls ??= { send: (name, value) => component.setTriggerValue(name, value) };
    }
    fail(error);
  }
  return () => {
    setTimeout(() => {
      if (parentElement.isConnected) return;
      HUB.views.delete(view);
      roots.delete(parentElement);
      if (HUB.controls === view) HUB.controls = null;
      view?.cleanup?.();
    }, 0);
  };
}
