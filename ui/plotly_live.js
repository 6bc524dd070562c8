// ui/plotly_live.py's component: one Plotly chart, kept mounted and updated in place. The chart
// itself (mount, draw, the theme, Fullscreen) is ui/plotly_chart.js, which Python puts before this.

export default function ({ data, parentElement }) {
  const chart = charts.get(parentElement) ?? mount(parentElement);
  const text = decoder.decode(data);
  if (text !== chart.text) {
    chart.text = text;
    show(chart, JSON.parse(text));
  }
  return chart.cleanup;
}
