// Step through, live (ui/live_step.py): the cell drawing, the unrolled view, a timeline of the unit,
// the equations and the sentences of one step, moved in the browser by Play, the step buttons and
// the step and forget_bias sliders, from frames the server made (viz/livestep.py). This module
// computes no LSTM maths and prints no number of its own: it picks a frame, joins its templates
// with its numbers (as viz/frametable.py's decode does) and puts them in the page. It tells the
// server the step or the forget bias only when the learner stops (a trigger): nothing is sent
// while they play or drag.
//
// Mounted twice (see live_step.py): once with bytes, the frames (kept in STORE by their id), and
// once with the view's small data (which frames, and the step and forget bias the page has).

const STORE = (globalThis.__lstmLiveStep ??= { payloads: new Map(), waiting: new Set(), renders: [] });
const SVG = "http://www.w3.org/2000/svg";
const decoder = new TextDecoder();
/** Play's speeds, in steps per second. */
const SPEEDS = [
  ["Slow", 1],
  ["Normal", 3],
  ["Fast", 10],
  ["Very fast", 30],
];
/** After the last change, the step or the forget bias goes to the server (ms). */
const COMMIT_MS = 350;
/** Frames whose numbers are kept split. */
const MEMO = 5000;
/** The smallest text of the drawings, in px (in presenter mode: as viz.figure.for_presenter's). */
const MIN_TEXT_PX = 10;
const PRESENTER_MIN_TEXT_PX = 18;
const ID_BYTES = 27; // {"id":"<20 hex digits>",

const CSS = `
.ls-root { font-family: inherit; color: rgb(49, 51, 63); }
.ls-root button { font: inherit; font-size: 0.95rem; padding: 0.25rem 0.7rem; border: 1px solid rgba(49, 51, 63, 0.2);
  border-radius: 0.5rem; background: white; cursor: pointer; min-height: 2.2rem; }
.ls-root button:hover { border-color: rgb(255, 75, 75); color: rgb(255, 75, 75); }
.ls-root button:disabled { opacity: 0.45; cursor: default; color: inherit; border-color: rgba(49, 51, 63, 0.2); }
.ls-root button.ls-play { background: rgb(255, 75, 75); border-color: rgb(255, 75, 75); color: white; min-width: 6.2rem; }
.ls-root button.ls-play:hover { background: rgb(230, 55, 55); color: white; }
.ls-root select { font: inherit; font-size: 0.95rem; padding: 0.2rem; border-radius: 0.4rem; border: 1px solid rgba(49, 51, 63, 0.2); }
.ls-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 0.9rem; margin: 0.2rem 0 0.6rem 0; }
.ls-group { display: flex; align-items: center; gap: 0.4rem; }
.ls-slider { display: flex; align-items: center; gap: 0.6rem; flex: 1 1 16rem; min-width: 12rem; }
.ls-slider input[type=range] { flex: 1; accent-color: rgb(255, 75, 75); min-width: 6rem; }
.ls-slider output { font-variant-numeric: tabular-nums; white-space: nowrap; }
.ls-note { font-size: 0.85rem; color: rgba(49, 51, 63, 0.7); }
.ls-title { margin: 0.2rem 0 0.4rem 0; }
.ls-main { display: grid; grid-template-columns: 3fr 2fr; gap: 1.2rem; align-items: start; }
.ls-side h3, .ls-root h3 { font-size: 1.3rem; font-weight: 600; margin: 0.6rem 0 0.3rem 0; padding: 0; }
.ls-side ul { margin: 0; padding-left: 1.2rem; }
.ls-side li { margin: 0.15rem 0 0.35rem 0; line-height: 1.45; }
.ls-drawing svg, .ls-unrolled svg { display: block; width: 100%; height: auto; overflow: visible; }
.ls-drawing { border-radius: 0.4rem; outline: 3px solid transparent; outline-offset: 2px; }
.ls-drawing.ls-hovered { outline-color: rgb(255, 160, 40); }
.ls-caption { font-size: 0.85rem; color: rgba(49, 51, 63, 0.7); margin: 0.2rem 0 0 0; }
.ls-unrolled .ls-cell { cursor: pointer; }
.ls-unrolled .ls-cell.ls-current { stroke: #111; }
.ls-unrolled .ls-cell.ls-hover { stroke: rgb(255, 140, 0); }
.ls-unrolled .ls-later { opacity: 0.28; }
.ls-timeline { position: relative; margin: 0.9rem 0 0.9rem 1.6rem; cursor: pointer; }
.ls-timeline canvas { display: block; width: 100%; }
.ls-timeline .ls-rows { position: absolute; left: -1.5rem; top: 0; display: grid; font-size: 0.85rem; font-weight: 600; }
.ls-timeline .ls-rows span { display: flex; align-items: center; }
.ls-mark { position: absolute; top: -3px; bottom: -3px; pointer-events: none; box-sizing: border-box; }
.ls-mark.ls-cursor { border: 2px solid #111; }
.ls-mark.ls-window { top: -8px; bottom: -8px; border-top: 4px solid rgba(49, 51, 63, 0.5); border-bottom: 4px solid rgba(49, 51, 63, 0.5); }
.ls-mark.ls-hovermark { border: 2px solid rgb(255, 140, 0); }
.ls-tip { position: absolute; z-index: 10; pointer-events: none; background: white; border: 1px solid rgba(49, 51, 63, 0.25);
  border-radius: 0.3rem; padding: 0.2rem 0.5rem; font-size: 0.85rem; white-space: nowrap; box-shadow: 0 1px 4px rgba(0,0,0,0.12); }
.ls-eqs { display: grid; gap: 0.5rem; }
.ls-eq { overflow-x: auto; }
.ls-eq math { font-size: 1.15rem; margin: 0.1rem 0; }
.ls-eq math + math { color: rgb(30, 30, 30); }
.ls-error { color: rgb(180, 30, 30); }
.ls-present .ls-main { grid-template-columns: 5fr 2fr; }
.ls-present button, .ls-present select { font-size: 1.15rem; }
.ls-present .ls-slider, .ls-present .ls-title, .ls-present .ls-side li { font-size: 1.3rem; }
.ls-present .ls-side h3, .ls-present h3 { font-size: 1.6rem; }
.ls-present .ls-caption, .ls-present .ls-note, .ls-present .ls-tip, .ls-present .ls-timeline .ls-rows { font-size: 1.1rem; }
.ls-present .ls-eq math { font-size: 1.45rem; }
.ls-present .ls-side .ls-bar { margin-top: 0; }
`;

function styles() {
  if (document.getElementById("lstm-live-step-css")) return;
  const style = document.createElement("style");
  style.id = "lstm-live-step-css";
  style.textContent = CSS;
  document.head.appendChild(style);
}

// ---------------------------------------------------------------------------------------------
// The frames: viz/frametable.py's table, decoded piece by piece.

function prepare(payload) {
  const table = payload.table;
  const index = new Map(table.dynamic.map((name, k) => [name, k]));
  const offsets = table.shapes.map((shape) => {
    let at = 0;
    return shape.map((skeleton) => {
      const start = at;
      at += table.skeletons[skeleton].length - 1;
      return start;
    });
  });
  return { ...payload, index, offsets, memo: new Map(), colours: new Map() };
}

function numbers(p, frame) {
  let tokens = p.memo.get(frame);
  if (tokens === undefined) {
    if (p.memo.size >= MEMO) p.memo.clear();
    tokens = p.table.frames[frame].split(" ");
    p.memo.set(frame, tokens);
  }
  return tokens;
}

/** Piece ``name`` of frame ``frame`` (forget bias k, step t: k * steps + t) as the page shows it. */
function piece(p, frame, name) {
  const fixed = p.table.static[name];
  if (fixed !== undefined) return fixed;
  const d = p.index.get(name);
  if (d === undefined) return "";
  const tokens = numbers(p, frame);
  const shape = +tokens[0];
  const parts = p.table.skeletons[p.table.shapes[shape][d]];
  let at = 1 + p.offsets[shape][d];
  let out = parts[0];
  for (let k = 1; k < parts.length; k++) out += tokens[at++] + parts[k];
  return out;
}

function receivePayload(bytes) {
  const head = decoder.decode(bytes.subarray(0, ID_BYTES));
  const id = head.slice(7, 27);
  if (!STORE.payloads.has(id)) {
    const payload = prepare(JSON.parse(decoder.decode(bytes)));
    for (const old of [...STORE.payloads.keys()].slice(0, -1)) STORE.payloads.delete(old); // keep the last two
    STORE.payloads.set(id, payload);
    for (const wake of STORE.waiting) wake();
  }
  return () => {};
}

// ---------------------------------------------------------------------------------------------
// The drawings: SVG from the layouts viz/livestep.py made (data coordinates, y down).

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) node.setAttribute(key, value);
  if (parent) parent.appendChild(node);
  return node;
}

/** An SVG of a layout; the bindings that fill its pieces from a frame. */
function drawing(layout, prefix, font) {
  const [x, y, w, h] = layout.view;
  const svg = el("svg", { viewBox: `${x} ${y} ${w} ${h}`, "font-family": font });
  const defs = el("defs", {}, svg);
  const heads = new Map();
  const head = (color) => {
    if (!heads.has(color)) {
      const id = `${prefix}-head-${heads.size}`;
      const marker = el("marker", { id, viewBox: "0 0 10 10", refX: 3, refY: 5, markerWidth: 4.5, markerHeight: 4.5, orient: "auto" }, defs);
      el("path", { d: "M0,0 L10,5 L0,10 z", fill: color }, marker);
      heads.set(color, id);
    }
    return heads.get(color);
  };
  const bindings = [];
  const bind = (node, target, value, slot) => {
    if (value && typeof value === "object") {
      bindings.push({ node, target, piece: value.piece, step: value.step, slot: value.slot ?? slot, last: null });
      return null;
    }
    return value;
  };
  const cells = [];
  const texts = [];
  for (const item of layout.items) {
    const slot = item.slot ?? null;
    if (item.kind === "rect") {
      const node = el("rect", {
        x: item.x - item.w / 2,
        y: item.y - item.h / 2,
        width: item.w,
        height: item.h,
        rx: item.role === "cell" ? 0.18 : 0.05,
        stroke: "#444444",
        "stroke-width": item.role === "cell" ? item.stroke * 1.6 : item.stroke,
        "stroke-dasharray": item.dash ? `${item.stroke * 4} ${item.stroke * 3}` : null,
      }, svg);
      const fill = bind(node, "fill", item.fill, slot);
      if (fill) node.setAttribute("fill", fill);
      if (item.role === "cell") {
        node.classList.add("ls-cell");
        cells.push({ node, slot });
      }
      if (slot !== null) node.dataset.slot = slot;
    } else if (item.kind === "circle") {
      const node = el("circle", { cx: item.x, cy: item.y, r: item.r, fill: "white", stroke: "#444444", "stroke-width": item.stroke }, svg);
      if (slot !== null) node.dataset.slot = slot;
    } else if (item.kind === "line" || item.kind === "arrow") {
      let { x0, y0, x1, y1 } = item;
      const node = el("line", {
        x1: x0,
        y1: y0,
        "stroke-width": item.width,
        "stroke-dasharray": item.dash ? `${item.width * 1.2} ${item.width * 1.6}` : null,
        "stroke-linecap": item.kind === "line" ? "butt" : "butt",
      }, svg);
      if (item.kind === "arrow") {
        // The line stops inside the head, whose tip is at (x1, y1).
        const length = Math.hypot(x1 - x0, y1 - y0) || 1;
        const back = Math.min(4.5 * item.width * 0.7, length * 0.5);
        x1 -= ((x1 - x0) / length) * back;
        y1 -= ((y1 - y0) / length) * back;
        node.setAttribute("marker-end", `url(#${head(item.color)})`);
      }
      node.setAttribute("x2", x1);
      node.setAttribute("y2", y1);
      const color = bind(node, "stroke", item.color, slot);
      if (color) node.setAttribute("stroke", color);
      if (slot !== null) node.dataset.slot = slot;
    } else if (item.kind === "text") {
      const node = el("text", {
        transform: `translate(${item.x} ${item.y})`,
        "font-size": item.size,
        "text-anchor": { center: "middle", left: "start", right: "end" }[item.anchor] ?? "middle",
        "dominant-baseline": "central",
        "font-weight": item.weight === "bold" ? "bold" : null,
      }, svg);
      const color = bind(node, "fill", item.color, slot);
      if (color) node.setAttribute("fill", color);
      const text = bind(node, "html", item.text, slot);
      if (text !== null) node.innerHTML = text;
      if (slot !== null) node.dataset.slot = slot;
      texts.push({ node, size: item.size });
    }
  }
  return { svg, bindings, cells, texts, width: w, shown: 0 };
}

/** Keep every text of a drawing at least ``minPx`` px at the width it is shown (text sizes are in
 * data units, so they grow and shrink with the drawing). */
function fitText(picture, minPx) {
  const shown = picture.svg.getBoundingClientRect().width;
  if (!shown || shown === picture.shown) return;
  picture.shown = shown;
  const least = (minPx / (shown / picture.width)) * 1.002; // a hair over, so that rounding keeps it minPx
  for (const { node, size } of picture.texts) node.setAttribute("font-size", Math.max(size, least).toFixed(4));
}

// ---------------------------------------------------------------------------------------------
// The view.

const views = new WeakMap(); // component root -> its view
let made = 0;

function div(className, parent, text) {
  const node = document.createElement("div");
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function button(label, title, parent, onClick) {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = label;
  node.title = title;
  node.addEventListener("click", onClick);
  parent.appendChild(node);
  return node;
}

function mount(root) {
  styles();
  const view = {
    root,
    prefix: `ls${++made}`,
    payload: null,
    data: null,
    t: 0,
    fb: 0,
    playing: false,
    speed: 1,
    hover: null,
    server: { step: null, fb: null },
    timers: {},
    scheduled: false,
  };
  const box = div("ls-root", root);
  box.dataset.lstmStep = "loading";
  box.dataset.testid = "lstm-live-step";
  view.box = box;
  box.textContent = "Starting the live drawing…";
  view.wake = () => view.data && show(view);
  STORE.waiting.add(view.wake);
  view.onKey = (event) => keys(view, event);
  document.addEventListener("keydown", view.onKey);
  view.resize = new ResizeObserver(() => {
    if (view.timeline) view.timeline.width = 0; // redraw at the new width
    schedule(view);
  });
  view.resize.observe(box);
  view.cleanup = () =>
    setTimeout(() => {
      if (root.isConnected) return;
      stop(view);
      STORE.waiting.delete(view.wake);
      document.removeEventListener("keydown", view.onKey);
      view.resize.disconnect();
      views.delete(root);
    }, 0);
  views.set(root, view);
  return view;
}

function fail(view, error) {
  view.box.dataset.lstmStep = "failed";
  view.setTrigger?.("running", false); // the page draws its server-side version again
  view.box.replaceChildren(div("ls-error", null, `The live drawing stopped: ${error}`));
  console.error(error);
}

/** Build the view for the payload the data names (once it has arrived), then draw it. */
function show(view) {
  const data = view.data;
  const payload = STORE.payloads.get(data.payload);
  if (!payload) return; // not here yet: STORE wakes the view when it is
  try {
    if (payload !== view.payload || data.present !== view.present) build(view, payload, data);
    follow(view, data);
    schedule(view);
    if (!data.running && !view.said) {
      view.said = true;
      view.setTrigger("running", true); // the page need not draw its hidden server-side version any more
    }
  } catch (error) {
    fail(view, error);
  }
}

/** Take the step and forget bias the server has, when they changed there (not as our own echo). */
function follow(view, data) {
  const p = view.payload;
  if (data.step !== view.server.step) {
    view.server.step = data.step;
    if (!view.playing) view.t = Math.min(Math.max(data.step, 0), p.steps - 1);
  }
  if (data.fb !== view.server.fb) {
    view.server.fb = data.fb;
    view.fb = nearest(p.biases, data.fb);
  }
}

function build(view, p, data) {
  stop(view);
  const first = view.payload === null;
  view.payload = p;
  view.present = data.present;
  if (first || p.biases.length !== view.biasCount) view.fb = nearest(p.biases, data.fb);
  view.biasCount = p.biases.length;
  view.server = { step: null, fb: null };
  view.minText = data.present ? PRESENTER_MIN_TEXT_PX : MIN_TEXT_PX;
  const box = view.box;
  box.replaceChildren();
  box.classList.toggle("ls-present", !!data.present);

  // The controls: play, step, forget_bias.
  const bar = div("ls-bar");
  const group = div("ls-group", bar);
  view.prev = button("◀", "Previous step (←)", group, () => move(view, -1));
  view.play = button("▶ Play", "Play the steps from here (space)", group, () => toggle(view));
  view.play.classList.add("ls-play");
  view.next = button("▶", "Next step (→)", group, () => move(view, 1));
  const speed = document.createElement("select");
  speed.title = "How fast Play goes";
  for (const [name, rate] of SPEEDS) speed.add(new Option(`${name} (${rate}/s)`, rate));
  speed.value = String(SPEEDS[1][1]);
  view.rate = SPEEDS[1][1];
  speed.addEventListener("change", () => (view.rate = +speed.value));
  group.appendChild(speed);
  view.speedSelect = speed;
  const stepRow = div("ls-slider", bar);
  const stepLabel = document.createElement("label");
  stepLabel.textContent = "step";
  stepRow.appendChild(stepLabel);
  view.stepRange = range(stepRow, p.steps - 1, "The step t shown");
  stepLabel.htmlFor = view.stepRange.id = `${view.prefix}-step`;
  view.stepOut = document.createElement("output");
  stepRow.appendChild(view.stepOut);
  view.stepRange.addEventListener("input", () => {
    stop(view);
    view.t = +view.stepRange.value;
    schedule(view);
  });
  view.stepRange.addEventListener("change", () => commit(view, "step", pointer(view.stepRange)));

  const fbRow = div("ls-slider");
  const fbLabel = document.createElement("label");
  fbLabel.textContent = data.fbLabel;
  fbRow.appendChild(fbLabel);
  view.fbRange = null;
  if (p.biases.length > 1) {
    view.fbRange = range(fbRow, p.biases.length - 1, data.fbLabel);
    fbLabel.htmlFor = view.fbRange.id = `${view.prefix}-fb`;
    view.fbRange.addEventListener("input", () => {
      view.fb = +view.fbRange.value;
      schedule(view);
    });
    view.fbRange.addEventListener("change", () => commit(view, "forget_bias", pointer(view.fbRange)));
  }
  view.fbOut = document.createElement("output");
  fbRow.appendChild(view.fbOut);
  const fbNote = div(
    "ls-note",
    null,
    data.fbNote
      ? "Not live here: it is changed through the server (see below why)."
      : `Drag it: all ${p.biases.length} values are ready in your browser, so every number follows the slider.`,
  );

  view.title = div("ls-title");
  const main = div("ls-main");
  const left = div("", main);
  view.drawingBox = div("ls-drawing", left);
  const cell = drawing(p.drawing, `${view.prefix}d`, p.font);
  view.pictures = [cell];
  cell.svg.setAttribute("role", "img");
  view.drawingBox.appendChild(cell.svg);
  view.cellSvg = cell.svg;
  div("ls-caption", left, p.notes.colours);
  const side = div("ls-side", main);
  if (data.present) {
    side.append(bar, fbRow, fbNote);
  }
  const said = document.createElement("h3");
  said.textContent = "What happened";
  side.appendChild(said);
  const list = document.createElement("ul");
  side.appendChild(list);
  const sentenceBindings = p.sentences.map((name) => {
    const item = document.createElement("li");
    list.appendChild(item);
    return { node: item, target: "html", piece: `say:${name}`, slot: null, last: null };
  });
  if (!data.present) box.append(bar, fbRow, fbNote);
  box.append(view.title, main);

  // The unrolled view.
  const unrolledHead = section(
    "The last few steps, unrolled",
    "Each box is the same cell at another step. The memory c runs along the top from step to step " +
      "(× f forgets, + i·j writes), the output h runs along the bottom into the next step, and each step reads its own input x. Steps after t are faded: the cell has not reached them yet (their numbers are the ones it will compute). Click a step to show it.",
  );
  view.unrolledBox = div("ls-unrolled");
  const chain = drawing(p.unrolled, `${view.prefix}u`, p.font);
  view.pictures.push(chain);
  chain.svg.setAttribute("role", "img");
  chain.svg.setAttribute("aria-label", "The cell unrolled over the last steps: c and h pass from each step to the next.");
  view.unrolledBox.appendChild(chain.svg);
  view.cells = chain.cells;
  for (const { node, slot } of chain.cells) {
    node.addEventListener("mouseenter", () => hover(view, firstShown(view) + slot));
    node.addEventListener("mouseleave", () => hover(view, null));
    node.addEventListener("click", () => goTo(view, firstShown(view) + slot, true));
  }
  view.slotted = [...chain.svg.querySelectorAll("[data-slot]")];

  // The timeline: every step of the unit, one row per quantity.
  const timelineHead = section(
    `Every step of unit ${p.unit}`,
    "Hover a step for its values, click it to show it; the frame marks the step shown, the bars the steps unrolled above.",
  );
  const line = div("ls-timeline");
  const rowHeight = data.present ? 22 : 15;
  const rows = div("ls-rows", line);
  rows.style.gridTemplateRows = `repeat(${p.timeline.length}, ${rowHeight}px)`;
  for (const [, label] of p.timeline) rows.appendChild(Object.assign(document.createElement("span"), { textContent: label }));
  const canvas = document.createElement("canvas");
  canvas.style.height = `${rowHeight * p.timeline.length}px`;
  line.appendChild(canvas);
  view.timeline = canvas;
  view.timelineBox = line;
  view.timelineFb = null;
  view.marks = {
    window: div("ls-mark ls-window", line),
    cursor: div("ls-mark ls-cursor", line),
    hover: div("ls-mark ls-hovermark", line),
  };
  view.tip = div("ls-tip", line);
  view.tip.style.display = "none";
  const stepAt = (event) => {
    const bounds = canvas.getBoundingClientRect();
    return Math.min(p.steps - 1, Math.max(0, Math.floor(((event.clientX - bounds.left) / bounds.width) * p.steps)));
  };
  line.addEventListener("mousemove", (event) => hover(view, stepAt(event), event));
  line.addEventListener("mouseleave", () => hover(view, null));
  line.addEventListener("click", (event) => goTo(view, stepAt(event), true));

  // The equations.
  const eqHead = section("The equations", p.notes.equations);
  const eqs = div("ls-eqs");
  const eqBindings = p.equations.map((eq) => {
    const row = div("ls-eq", eqs);
    row.innerHTML = eq.symbolic;
    const numeric = document.createElement("div");
    row.appendChild(numeric);
    row.dataset.equation = eq.name;
    return { node: numeric, target: "html", piece: `eq:${eq.name}`, slot: null, last: null };
  });
  box.append(...unrolledHead, view.unrolledBox, ...timelineHead, line, ...eqHead, eqs);

  view.bindings = [...cell.bindings, ...sentenceBindings, ...eqBindings];
  view.unrolledBindings = chain.bindings;
  box.dataset.lstmStep = "ready";
}

/** Whether the last change of a slider was a release of the pointer (else a key: wait for more). */
function pointer(input) {
  return input.dataset.pointer === "up";
}

/** A section's heading and the caption under it. */
function section(title, note) {
  const heading = document.createElement("h3");
  heading.textContent = title;
  return [heading, div("ls-caption", null, note)];
}

function range(parent, max, title) {
  const input = document.createElement("input");
  input.addEventListener("pointerdown", () => (input.dataset.pointer = "down"));
  input.addEventListener("pointerup", () => (input.dataset.pointer = "up"));
  input.addEventListener("keydown", () => (input.dataset.pointer = ""));
  input.type = "range";
  input.min = 0;
  input.max = Math.max(max, 0);
  input.step = 1;
  input.title = title;
  input.disabled = max <= 0;
  parent.appendChild(input);
  return input;
}

function firstShown(view) {
  return Math.max(0, view.t - view.payload.unrolled.cells + 1);
}

function frameOf(view, t) {
  return view.fb * view.payload.steps + t;
}

function apply(binding, value) {
  if (binding.last === value) return;
  binding.last = value;
  if (binding.target === "html") binding.node.innerHTML = value;
  else binding.node.setAttribute(binding.target, value);
}

/** Draw the frame of the step and forget bias shown (at the next animation frame). */
function schedule(view) {
  if (view.scheduled || !view.payload) return;
  view.scheduled = true;
  requestAnimationFrame((now) => {
    view.scheduled = false;
    try {
      const started = performance.now();
      render(view);
      // What bench/scrub_step.py reads: when each frame was drawn, and how long drawing it took.
      STORE.renders.push([now, performance.now() - started]);
      if (STORE.renders.length > 5000) STORE.renders.splice(0, 2500);
      view.box.dataset.frames = String((+view.box.dataset.frames || 0) + 1);
    } catch (error) {
      fail(view, error);
    }
  });
}

function render(view) {
  const p = view.payload;
  for (const picture of view.pictures) fitText(picture, view.minText);
  const t = view.t;
  const frame = frameOf(view, t);
  for (const binding of view.bindings) apply(binding, piece(p, frame, binding.piece));
  const first = firstShown(view);
  for (const binding of view.unrolledBindings) {
    const step = first + binding.slot;
    apply(binding, binding.step !== undefined ? `t = ${step}` : piece(p, frameOf(view, step), binding.piece));
  }
  for (const node of view.slotted) node.classList.toggle("ls-later", first + +node.dataset.slot > t);
  for (const { node, slot } of view.cells) {
    node.classList.toggle("ls-current", first + slot === t);
    node.classList.toggle("ls-hover", first + slot === view.hover);
  }
  view.drawingBox.classList.toggle("ls-hovered", view.hover === t);
  const bias = p.biases[view.fb];
  view.title.replaceChildren(
    Object.assign(document.createElement("b"), { textContent: p.titles[view.fb] }),
    `: step `,
    Object.assign(document.createElement("b"), { textContent: `t = ${t}` }),
    `${p.stepNames[t]}, unit `,
    Object.assign(document.createElement("b"), { textContent: String(p.unit) }),
    ` of ${p.units}.`,
  );
  view.cellSvg.setAttribute(
    "aria-label",
    `LSTM cell diagram, live: unit ${p.unit} at step t = ${t}, forget_bias ${bias}; its numbers are listed under What happened.`,
  );
  view.stepRange.value = t;
  view.stepOut.textContent = `t = ${t}${p.stepNames[t]} (steps 0 to ${p.steps - 1})`;
  if (view.fbRange) view.fbRange.value = view.fb;
  view.fbOut.textContent = String(bias.toFixed(1));
  view.prev.disabled = t <= 0;
  view.next.disabled = t >= p.steps - 1;
  view.play.textContent = view.playing ? "❚❚ Pause" : "▶ Play";
  timeline(view);
}

function timeline(view) {
  const p = view.payload;
  const canvas = view.timeline;
  const width = Math.max(1, Math.round(canvas.clientWidth * devicePixelRatio));
  const height = Math.max(1, Math.round(canvas.clientHeight * devicePixelRatio));
  if (canvas.width !== width || canvas.height !== height || view.timelineFb !== view.fb) {
    canvas.width = width;
    canvas.height = height;
    view.timelineFb = view.fb;
    const context = canvas.getContext("2d");
    const rows = p.timeline.length;
    for (let t = 0; t < p.steps; t++) {
      const x0 = Math.floor((t / p.steps) * width);
      const x1 = Math.floor(((t + 1) / p.steps) * width);
      p.timeline.forEach(([box], r) => {
        context.fillStyle = piece(p, frameOf(view, t), `fill:${box}`);
        context.fillRect(x0, Math.floor((r / rows) * height), Math.max(1, x1 - x0), Math.ceil(height / rows));
      });
    }
  }
  const place = (mark, from, to) => {
    mark.style.left = `${(from / p.steps) * 100}%`;
    mark.style.width = `${((to - from) / p.steps) * 100}%`;
  };
  const first = firstShown(view);
  place(view.marks.window, first, Math.min(p.steps, first + p.unrolled.cells));
  place(view.marks.cursor, view.t, view.t + 1);
  view.marks.hover.style.display = view.hover === null ? "none" : "";
  if (view.hover !== null) place(view.marks.hover, view.hover, view.hover + 1);
}

function hover(view, step, event) {
  view.hover = step;
  const tip = view.tip;
  if (step === null || !event) {
    if (step === null) tip.style.display = "none";
  } else {
    const p = view.payload;
    const frame = frameOf(view, step);
    const value = (name) => piece(p, frame, `v:${name}`);
    const parts = p.timeline.map(([box, label]) => `${label} ${value(box)}`);
    tip.textContent = `t = ${step}${p.stepNames[step]}: ${parts.join(" · ")}`;
    tip.style.display = "";
    const bounds = view.timelineBox.getBoundingClientRect();
    const x = event.clientX - bounds.left;
    tip.style.left = `${Math.min(Math.max(0, x - tip.offsetWidth / 2), bounds.width - tip.offsetWidth)}px`;
    tip.style.top = `${-tip.offsetHeight - 6}px`;
  }
  schedule(view);
}

// ---------------------------------------------------------------------------------------------
// Moving: play, step, go to; telling the server when the learner stops.

function move(view, delta) {
  stop(view);
  goTo(view, view.t + delta);
}

function goTo(view, step, now = false) {
  stop(view);
  view.t = Math.min(Math.max(step, 0), view.payload.steps - 1);
  schedule(view);
  commit(view, "step", now);
}

function toggle(view) {
  if (view.playing) {
    stop(view);
    commit(view, "step", true);
    schedule(view);
    return;
  }
  const p = view.payload;
  if (view.t >= p.steps - 1) view.t = 0; // from the start again
  view.playing = true;
  let last = performance.now();
  const tick = (now) => {
    if (!view.playing) return;
    if (now - last >= 1000 / view.rate - 2) {
      last = now;
      if (view.t >= p.steps - 1) {
        stop(view);
        commit(view, "step", true);
      } else {
        view.t += 1;
      }
      schedule(view);
    }
    view.raf = requestAnimationFrame(tick);
  };
  view.raf = requestAnimationFrame(tick);
  schedule(view);
}

function stop(view) {
  view.playing = false;
  if (view.raf) cancelAnimationFrame(view.raf);
  view.raf = null;
}

/** Tell the server the step or forget bias shown: at once (``now``: a pause, a release), or once the
 * learner has stopped pressing keys or buttons for COMMIT_MS. */
function commit(view, name, now = false) {
  clearTimeout(view.timers[name]);
  view.timers[name] = setTimeout(() => {
    if (!view.payload || !view.setTrigger) return;
    if (name === "step") {
      if (view.t !== view.server.step) {
        view.server.step = view.t;
        view.setTrigger("step", view.t);
      }
    } else {
      const bias = view.payload.biases[view.fb];
      if (bias !== view.server.fb) {
        view.server.fb = bias;
        view.setTrigger("forget_bias", bias);
      }
    }
  }, now ? 0 : COMMIT_MS);
}

function keys(view, event) {
  if (!view.payload || !view.root.isConnected || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  const target = event.target;
  const typing = target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  if (typing) return;
  if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
    event.preventDefault();
    move(view, event.key === "ArrowLeft" ? -1 : 1);
  } else if (event.key === " " && view.box.contains(target)) {
    event.preventDefault();
    toggle(view);
  }
}

export default function ({ data, parentElement, setTriggerValue }) {
  if (data instanceof Uint8Array) return receivePayload(data);
  const view = views.get(parentElement) ?? mount(parentElement);
  view.setTrigger = setTriggerValue;
  view.data = data;
  show(view);
  return view.cleanup;
}
