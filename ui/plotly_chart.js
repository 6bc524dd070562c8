// A Plotly chart that stays mounted and updates in place (Plotly.react): what ui/plotly_live.js and
// ui/live_explore.js draw their charts with (ui/plotly_live.py puts this file before each of them).
//
// st.plotly_chart gives a chart a new identity whenever its figure changes, so the browser mounts
// a new chart and Plotly.js draws it from scratch (newPlot). This st.components.v2 module keeps one
// div per mounted component and hands each new figure to Plotly.react, which redraws only what
// changed. It reproduces what st.plotly_chart adds in the browser: the Streamlit theme (the
// template, the bold title), the full container width, the configured height, the modebar
// (no logo, no cloud, no lasso/select, a Fullscreen button that expands the chart over the page,
// Escape to close) and the alt text as the figure's accessible name. ui/plotly_live.py fills in
// the two constants below. :func:`mount` makes a chart in a root element, :func:`draw` draws its
// latest ``spec`` ({figure, config, alt}).

const PLOTLY_URL = __PLOTLY_URL__;
const TEMPLATE = __TEMPLATE__;
const MIN_WIDTH = 150; // as st.plotly_chart
const DEFAULT_HEIGHT = 450; // Plotly.js's default, as st.plotly_chart
const REMOVED_BUTTONS = ["lasso2d", "select2d", "sendChartToCloud"];
const PADDING = 16; // around an expanded chart
// The icons of st.plotly_chart's Fullscreen button: Font Awesome Free 6 "expand" and "compress"
// (CC BY 4.0, https://fontawesome.com/license/free), at the size Streamlit gives them.
const EXPAND = {
  width: 600,
  height: 470,
  path: "M32 32C14.3 32 0 46.3 0 64v96c0 17.7 14.3 32 32 32s32-14.3 32-32V96h64c17.7 0 32-14.3 32-32s-14.3-32-32-32H32zM64 352c0-17.7-14.3-32-32-32s-32 14.3-32 32v96c0 17.7 14.3 32 32 32h96c17.7 0 32-14.3 32-32s-14.3-32-32-32H64V352zM320 32c-17.7 0-32 14.3-32 32s14.3 32 32 32h64v64c0 17.7 14.3 32 32 32s32-14.3 32-32V64c0-17.7-14.3-32-32-32H320zM448 352c0-17.7-14.3-32-32-32s-32 14.3-32 32v64H320c-17.7 0-32 14.3-32 32s14.3 32 32 32h96c17.7 0 32-14.3 32-32V352z",
};
const COLLAPSE = {
  width: 600,
  height: 470,
  path: "M160 64c0-17.7-14.3-32-32-32s-32 14.3-32 32v64H32c-17.7 0-32 14.3-32 32s14.3 32 32 32h96c17.7 0 32-14.3 32-32V64zM32 320c-17.7 0-32 14.3-32 32s14.3 32 32 32H96v64c0 17.7 14.3 32 32 32s32-14.3 32-32V352c0-17.7-14.3-32-32-32H32zM352 64c0-17.7-14.3-32-32-32s-32 14.3-32 32v96c0 17.7 14.3 32 32 32h96c17.7 0 32-14.3 32-32s-14.3-32-32-32H352V64zM320 320c-17.7 0-32 14.3-32 32v96c0 17.7 14.3 32 32 32s32-14.3 32-32V384h64c17.7 0 32-14.3 32-32s-14.3-32-32-32H320z",
};

let loading = null;

/** Plotly.js, loaded once per page from the installed plotly package (served by Streamlit). */
function plotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = PLOTLY_URL;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => {
      loading = null;
      reject(new Error(`Could not load Plotly.js from ${PLOTLY_URL}`));
    };
    document.head.appendChild(script);
  });
  return loading;
}

const charts = new WeakMap(); // component root element -> its chart
const decoder = new TextDecoder();

function mount(root) {
  const figure = document.createElement("div");
  figure.className = "stPlotlyChart";
  figure.dataset.testid = "stLivePlotlyChart";
  figure.setAttribute("role", "figure");
  const gd = document.createElement("div");
  gd.style.overflow = "hidden";
  figure.appendChild(gd);
  root.appendChild(figure);
  const chart = { root, figure, gd, text: null, spec: null, width: root.clientWidth, fullscreen: false };
  const toggle = () => expand(chart, !chart.fullscreen);
  // One button object per chart and state: Plotly.react compares configs, and a new click
  // function would count as a change (a full redraw).
  chart.buttons = {
    false: { name: "Fullscreen", title: "Fullscreen", icon: EXPAND, click: toggle },
    true: { name: "Close fullscreen", title: "Close fullscreen", icon: COLLAPSE, click: toggle },
  };
  chart.resize = new ResizeObserver(() => {
    const width = root.clientWidth;
    if (width > 0 && width !== chart.width) {
      chart.width = width;
      if (!chart.fullscreen) draw(chart);
    }
  });
  chart.resize.observe(root);
  chart.onKey = (event) => event.key === "Escape" && expand(chart, false);
  chart.onWindow = () => draw(chart);
  // Streamlit calls the cleanup of an update it superseded as well as on unmount: only let go of
  // the chart once its root has left the page.
  chart.cleanup = () =>
    setTimeout(() => {
      if (root.isConnected) return;
      chart.resize.disconnect();
      chart.spec = null; // nothing left to draw
      expand(chart, false);
      window.Plotly?.purge(gd);
      charts.delete(root);
    }, 0);
  charts.set(root, chart);
  return chart;
}

/** Expand the chart over the page (as st.plotly_chart's Fullscreen button does) or put it back. */
function expand(chart, on) {
  if (chart.fullscreen === on) return;
  chart.fullscreen = on;
  const style = chart.figure.style;
  if (on) {
    Object.assign(style, { position: "fixed", inset: "0", zIndex: "1000100", padding: `${PADDING}px` });
    style.background = TEMPLATE.layout?.paper_bgcolor ?? "#fff";
    document.addEventListener("keydown", chart.onKey);
    window.addEventListener("resize", chart.onWindow);
  } else {
    for (const name of ["position", "inset", "zIndex", "padding", "background"]) style[name] = "";
    document.removeEventListener("keydown", chart.onKey);
    window.removeEventListener("resize", chart.onWindow);
  }
  draw(chart);
}

/** What Plotly.react receives: the figure as st.plotly_chart's frontend would theme and size it. */
function figureFor(chart) {
  const { figure, config } = chart.spec;
  const layout = { ...figure.layout, template: TEMPLATE };
  if (layout.title !== undefined && layout.title !== null) {
    const title = typeof layout.title === "object" ? layout.title : { text: String(layout.title) };
    layout.title = { ...title, text: `<b>${title.text ?? ""}</b>` };
  }
  if (chart.fullscreen) {
    layout.width = window.innerWidth - 2 * PADDING;
    layout.height = window.innerHeight - 2 * PADDING;
  } else {
    layout.width = Math.max(chart.width, MIN_WIDTH);
    layout.height = figure.layout.height >= 10 ? figure.layout.height : DEFAULT_HEIGHT;
  }
  return { data: figure.data, layout, frames: figure.frames, config: chart.configs[chart.fullscreen] };
}

function configFor(chart, config) {
  const make = (fullscreen) => ({
    ...config,
    displaylogo: config.displaylogo ?? false,
    showSendToCloud: config.showSendToCloud ?? false,
    modeBarButtonsToRemove: [...new Set([...(config.modeBarButtonsToRemove ?? []), ...REMOVED_BUTTONS])],
    modeBarButtonsToAdd: [chart.buttons[fullscreen], ...(config.modeBarButtonsToAdd ?? [])],
  });
  return { false: make(false), true: make(true) };
}

/** Draw the latest figure; if another arrives while Plotly is busy, draw that one next. */
async function draw(chart) {
  if (!chart.spec) return;
  if (chart.busy) {
    chart.again = true;
    return;
  }
  chart.busy = true;
  try {
    const Plotly = await plotly();
    do {
      chart.again = false;
      const { data, layout, frames, config } = figureFor(chart);
      chart.gd.style.height = `${layout.height}px`;
      await Plotly.react(chart.gd, { data, layout, frames, config });
    } while (chart.again && chart.spec && chart.root.isConnected);
    chart.onDrawn?.();
  } catch (error) {
    chart.gd.textContent = String(error);
    chart.onError?.(error);
  } finally {
    chart.busy = false;
  }
}

/** Show ``spec`` ({figure, config, alt}) in ``chart``: its accessible name, its modebar, its figure. */
function show(chart, spec) {
  if (spec.alt) chart.figure.setAttribute("aria-label", spec.alt);
  else chart.figure.removeAttribute("aria-label");
  if (JSON.stringify(spec.config) !== JSON.stringify(chart.spec?.config)) chart.configs = configFor(chart, spec.config);
  chart.spec = spec;
  // Reserve the chart's height at once, so the page does not jump while Plotly.js loads.
  if (!chart.gd.style.height) chart.gd.style.height = `${figureFor(chart).layout.height}px`;
  return draw(chart);
}
