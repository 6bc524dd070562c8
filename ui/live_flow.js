// ui/live_flow.py's component: Gradient flow's forget_bias slider and its line chart. While the
// thumb moves, the slider's three curves are swapped for the ones the server computed at that value
// (every value of the grid was sent at once); nothing goes to the server until the thumb is released.
// What to notice and the heatmaps are instances of their own ("notes", "heatmaps") that follow the
// slider of the same store: the notes as the thumb moves, the heatmaps' slider panel when it rests.
// The chart itself (mount, draw, the theme, Fullscreen) is ui/plotly_chart.js, which Python puts first.

const views = new WeakMap(); // component root -> its view
// For tests and bench/scrub.py: how many times the chart was drawn, and the value it shows. The
// stores (every value's curves, by id) and the views waiting for theirs.
const FLOW = (globalThis.__lstmLiveFlow ??= { renders: 0, shown: null });
FLOW.stores ??= new Map();
FLOW.waiting ??= new Set();
FLOW.followers ??= new Set(); // the notes and heatmaps views
FLOW.at ??= new Map(); // store id -> the grid position its slider shows
// The heatmaps follow the thumb once it has rested this long (a redraw costs some 30 ms: while it
// moves, the frames are the line chart's).
const HEATMAPS_REST_MS = 150;
const storeTexts = new WeakMap(); // the store's root -> the text it was last given

function node(tag, className, parent, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  parent.appendChild(made);
  return made;
}

const shortNumber = (value) => String(Math.round(value * 1e6) / 1e6);

function build(root, setTriggerValue) {
  const box = node("div", "lx-controls lf-controls", root);
  const slider = node("div", "lx-slider lx-narrow", box);
  const head = node("div", "lx-slider-head", slider);
  const label = node("span", "lx-label", head);
  const value = node("span", "lx-value", head);
  const input = node("input", "lx-range", slider);
  input.type = "range";
  input.min = "0";
  input.step = "1";
  const ends = node("div", "lx-ends", slider);
  const low = node("span", "", ends);
  const high = node("span", "", ends);
  const note = node("div", "lx-note", box);
  const noteText = node("span", "", note);
  const same = node("span", "lf-same", note);
  const chartRoot = node("div", "lf-chart", root);
  const view = { root, box, label, value, input, low, high, note: noteText, same, chart: mount(chartRoot), text: null, spec: null, index: 0 };
  // The slider's note below the floor: drawn over the chart where Plotly would put it, so that it
  // follows the thumb (an annotation changed on release would have Plotly redraw the whole chart).
  view.floorNote = node("div", "lf-floor-note", view.chart.figure);
  view.chart.figure.style.position = "relative";
  view.chart.onDrawn = () => {
    globalThis.__lstmLiveFlow.renders += 1;
    globalThis.__lstmLiveFlow.shown = view.spec?.biases[view.index] ?? null;
    chartRoot.dataset.forgetBias = shortNumber(globalThis.__lstmLiveFlow.shown);
    if (!view.chart.fullscreen) view.chart.figure.style.position = "relative";
    placeNote(view);
  };
  view.chart.onError = (error) => setTriggerValue("failed", String(error).slice(0, 200));
  input.addEventListener("input", () => pick(view, Number(input.value), true));
  input.addEventListener("change", () => {
    setTriggerValue("release", { forget_bias: view.spec.biases[Number(input.value)] });
    setTimeout(() => view.dirty && settle(view), 0); // once the release is on its way to the server
    // The heatmaps' redraw (some 30 ms) while the server answers, not before the release has left.
    requestAnimationFrame(() => setTimeout(() => follow(view.spec.store, view.index, true), 0));
  });
  // Plotly's hover reads what it computed when it last drew: after a drag, draw before the pointer needs it.
  chartRoot.addEventListener("pointerenter", () => {
    if (view.stale && !view.dirty) draw(view.chart);
    view.stale = FLOW.stale = false;
  });
  return view;
}

/** Show the slider's curves at grid position ``k`` (the server's arrays, as they are); while
 *  ``scrubbing``, by moving the drawn curves, else by a redraw. */
function pick(view, k, scrubbing = false) {
  const { spec } = view;
  view.index = k;
  const curves = view.curves[k];
  const figure = spec.figure;
  const data = figure.data.slice();
  curves.names.forEach((name, i) => {
    data[spec.first + i] = {
      ...data[spec.first + i],
      name,
      y: curves.y[i],
      text: curves.text[i],
      hovertemplate: name.replace(" · ", ", ") + spec.tail,
    };
  });
  const annotations = view.baseAnnotations; // the slider's own note is placeNote's
  view.chart.spec = { ...view.chart.spec, figure: { ...figure, data, layout: { ...figure.layout, annotations } } };
  view.value.textContent = shortNumber(spec.biases[k]);
  // At 0 or 1 the slider's curves lie under those of the same forget_bias: say so, not "nothing green".
  // Elsewhere the sentence keeps its room, hidden, so that the chart below does not move.
  const same = spec.biases[k] === 0 || spec.biases[k] === 1;
  const b = same ? spec.biases[k] : 1;
  view.same.textContent = ` ${spec.same.replaceAll("{b}", shortNumber(b)).replace("{colour}", b ? "blue" : "orange")}`;
  view.same.style.visibility = same ? "" : "hidden";
  placeNote(view);
  const last = spec.biases.length - 1;
  view.input.style.setProperty("--fill", `${last > 0 ? (100 * k) / last : 0}%`);
  if (scrubbing && retrace(view, curves)) {
    view.dirty = true; // drawn over Plotly's own paths; Plotly redraws (and learns the values for its hover) on release
    view.chart.onDrawn?.();
  } else {
    view.dirty = false;
    draw(view.chart);
  }
  view.chart.figure.setAttribute("aria-label", curves.alt?.[0] ?? spec.alt); // the alt text at this value
  follow(spec.store, k, !scrubbing);
}

/** Tell the views that follow the slider of ``store`` that it shows grid position ``k``
 *  (``released``: the thumb was let go, or the server set it). */
function follow(store, k, released) {
  FLOW.at.set(store, k);
  for (const follower of FLOW.followers) {
    if (!follower.root.isConnected) FLOW.followers.delete(follower);
    else if (follower.spec?.store === store) follower.follow(k, released);
  }
}

/** After a drag, the curves drawn over Plotly's paths become Plotly's own data (what it redraws
 *  from, on a legend click or a resize) and its note below the floor is redrawn; the full redraw
 *  that its hover needs waits for the pointer (``stale``), so that the release is not held up. */
function settle(view) {
  const gd = view.chart.gd;
  const figure = view.chart.spec.figure;
  // A legend name longer than the one Plotly made room for runs out of the chart: then Plotly redraws.
  const legend = gd.querySelector(".legend rect.bg")?.getBoundingClientRect();
  const overflows = !!legend && [...gd.querySelectorAll(".legend .legendtext")].some(
    (text) => text.getBoundingClientRect().right > legend.right + 1,
  );
  if (!gd.data || gd.data.length !== figure.data.length || view.chart.busy || overflows) {
    view.dirty = false;
    return draw(view.chart);
  }
  for (let i = view.spec.first; i < view.spec.first + view.curves[view.index].y.length; i++) {
    for (const name of ["name", "y", "text", "hovertemplate"]) gd.data[i][name] = figure.data[i][name];
  }
  view.dirty = false;
  view.stale = FLOW.stale = true; // for the tests: Plotly's hover waits for the pointer
  view.chart.onDrawn?.();
}

/** The slider's note below the floor at the value shown (viz.gradflow.below_floor_note: its text,
 *  colour and height in the plot), at the plot's right edge; hidden when its curves stay above. */
function placeNote(view) {
  const box = view.floorNote;
  const note = view.curves?.[view.index]?.note;
  const size = view.chart.gd._fullLayout?._size;
  if (!note || !size) {
    box.style.display = "none";
    return;
  }
  // Its text is the server's: words and 10<sup>k</sup>, written as text and a superscript.
  const parts = String(note.text).split(/<sup>(.*?)<\/sup>/);
  box.replaceChildren(...parts.map((part, i) => (i % 2 ? Object.assign(document.createElement("sup"), { textContent: part }) : document.createTextNode(part))));
  box.style.color = note.font?.color ?? "";
  box.style.left = `${view.chart.gd.offsetLeft + size.l + size.w}px`;
  box.style.top = `${view.chart.gd.offsetTop + size.t + size.h * (1 - note.y)}px`;
  box.style.display = "block";
}

/** Move the slider's three curves (their line, their markers, their legend names) to ``curves``,
 *  on the paths Plotly drew, with Plotly's own axis mapping; false if the chart is not as drawn
 *  (a curve hidden from the legend, the first drawing still to come): then Plotly redraws. */
function retrace(view, curves) {
  const gd = view.chart.gd;
  const layout = gd._fullLayout;
  const full = gd._fullData;
  if (!layout?.xaxis || view.chart.busy || !full || full.some((trace) => trace.visible !== true)) return false;
  const groups = gd.querySelectorAll(".scatterlayer .trace");
  const names = gd.querySelectorAll(".legend .traces .legendtext");
  const inLegend = full.map((trace, i) => (trace.showlegend === false ? -1 : i)).filter((i) => i >= 0);
  if (groups.length !== full.length || names.length !== inLegend.length) return false;
  const xa = layout.xaxis;
  const ya = layout.yaxis;
  const x = full[view.spec.first].x; // decoded by Plotly (the figure sends typed arrays)
  curves.y.forEach((y, i) => {
    const group = groups[view.spec.first + i];
    const points = [];
    for (let t = 0; t < y.length; t++) points.push([xa.c2p(xa.d2c(x[t])), ya.c2p(ya.d2c(y[t]))]);
    const line = group.querySelector("path.js-line");
    if (line) line.setAttribute("d", points.map(([px, py], t) => `${t ? "L" : "M"}${px.toFixed(2)},${py.toFixed(2)}`).join(""));
    group.querySelectorAll("path.point").forEach((marker, t) => {
      if (points[t]) marker.setAttribute("transform", `translate(${points[t][0].toFixed(2)},${points[t][1].toFixed(2)})`);
    });
    const entry = inLegend.indexOf(view.spec.first + i);
    if (entry >= 0) names[entry].textContent = curves.names[i];
  });
  return true;
}

/** Keep a store's curves (the latest few) and draw the views that were waiting for them. */
function keep(parentElement, text) {
  if (storeTexts.get(parentElement) === text) return;
  storeTexts.set(parentElement, text);
  const store = JSON.parse(text);
  FLOW.stores.set(store.id, store.curves);
  while (FLOW.stores.size > 4) FLOW.stores.delete(FLOW.stores.keys().next().value);
  for (const view of [...FLOW.waiting]) {
    if (view.waitingFor?.spec.store === store.id) {
      FLOW.waiting.delete(view);
      const { spec, text: viewText } = view.waitingFor;
      view.waitingFor = null;
      if (view.follow) setFollower(view, spec, viewText);
      else update(view, spec, viewText);
    }
  }
}

function update(view, spec, text) {
  const curves = FLOW.stores.get(spec.store);
  if (!curves) {
    view.waitingFor = { spec, text }; // its store has not come yet (it is mounted first, so it will)
    FLOW.waiting.add(view);
    return;
  }
  view.text = text;
  // The same chart at the value it shows already (the rerun after its release): nothing to redraw.
  const same = view.spec?.key === spec.key && view.curves === curves && nearest(spec.biases, spec.value) === view.index;
  view.spec = spec;
  view.curves = curves;
  if (same) {
    if (spec.alt) view.chart.figure.setAttribute("aria-label", spec.alt);
    return;
  }
  view.baseAnnotations = spec.figure.layout.annotations ?? [];
  view.box.classList.toggle("lx-presenting", !!spec.presenting);
  view.label.textContent = spec.label;
  view.label.title = spec.help;
  view.input.title = spec.help;
  view.input.setAttribute("aria-label", spec.label);
  view.input.max = String(spec.biases.length - 1);
  view.low.textContent = shortNumber(spec.low);
  view.note.textContent = spec.note;
  view.high.textContent = shortNumber(spec.high);
  const k = nearest(spec.biases, spec.value);
  view.input.value = String(k);
  show(view.chart, { figure: spec.figure, config: spec.config, alt: spec.alt });
  pick(view, k);
}

// ---------------------------------------------------------------------------------------------
// The followers: What to notice and the heatmaps at the value the slider of their store shows (or,
// before it has shown one, the page's value). Both wait for their store as the slider's view does.

function follower(root, make) {
  const view = { root, text: null, spec: null, curves: null, index: null };
  make(view);
  FLOW.followers.add(view);
  return view;
}

function setFollower(view, spec, text) {
  const curves = FLOW.stores.get(spec.store);
  if (!curves) {
    view.waitingFor = { spec, text };
    FLOW.waiting.add(view);
    return;
  }
  view.text = text;
  view.spec = spec;
  view.curves = curves;
  view.index = null; // what the server sent: shown afresh
  view.follow(FLOW.at.get(spec.store) ?? nearest(spec.biases, spec.value), true);
}

function notesView(root) {
  return follower(root, (view) => {
    view.box = node("div", "lx-notes lf-notes", root);
    view.follow = (k) => {
      if (k === view.index) return;
      view.index = k;
      const head = document.createElement("p");
      head.className = "lx-notes-head";
      head.append("At forget_bias ");
      node("b", "", head, shortNumber(view.spec.biases[k]));
      head.append(", where the slider is:");
      const paragraphs = view.curves[k].notes.map((runs) => {
        const paragraph = document.createElement("p");
        runs.forEach((part, n) => (n % 2 ? node("b", "", paragraph, part) : paragraph.append(part)));
        return paragraph;
      });
      view.box.replaceChildren(head, ...paragraphs);
      view.box.classList.toggle("lx-presenting", !!view.spec.presenting);
      view.box.dataset.forgetBias = shortNumber(view.spec.biases[k]);
    };
  });
}

function heatmapsView(root) {
  return follower(root, (view) => {
    view.chart = mount(root);
    view.follow = (k, released) => {
      clearTimeout(view.later);
      // While the thumb moves, the line chart has the frames: the heatmaps wait for it to rest.
      if (!released) {
        view.later = setTimeout(() => view.follow(FLOW.at.get(view.spec.store) ?? k, true), HEATMAPS_REST_MS);
        return;
      }
      if (k === view.index) return;
      view.index = k;
      const { figure, config, panel } = view.spec;
      const patch = view.curves[k].panel;
      const data = figure.data.slice();
      data[panel] = { ...data[panel], z: patch.z, name: patch.name, hovertemplate: patch.hovertemplate };
      const annotations = (figure.layout.annotations ?? []).slice();
      annotations[panel] = { ...annotations[panel], text: patch.title };
      show(view.chart, { figure: { ...figure, data, layout: { ...figure.layout, annotations } }, config, alt: view.curves[k].alt[1] });
    };
  });
}

const FOLLOWERS = { notes: notesView, heatmaps: heatmapsView };

export default function ({ data, parentElement, setTriggerValue }) {
  const text = decoder.decode(data);
  if (text.startsWith('{"role":"store"')) {
    keep(parentElement, text);
    return undefined;
  }
  const role = text.match(/^\{"role":"(\w+)"/)?.[1];
  if (FOLLOWERS[role]) {
    const view = views.get(parentElement) ?? FOLLOWERS[role](parentElement);
    views.set(parentElement, view);
    if (text !== view.text && text !== view.waitingFor?.text) setFollower(view, JSON.parse(text), text);
    return view.chart?.cleanup;
  }
  const view = views.get(parentElement) ?? build(parentElement, setTriggerValue);
  views.set(parentElement, view);
  if (text !== view.text && text !== view.waitingFor?.text) update(view, JSON.parse(text), text);
  return view.chart.cleanup;
}
