// What every live component (ui/live_explore.js, ui/live_flow.js, ui/live_step.js) shares about the
// sweep's grid of forget biases; Python puts this file before theirs.

/** The grid position of the value nearest ``value`` (the server's value may lie between two). */
function nearest(values, value) {
  let best = 0;
  values.forEach((v, k) => {
    if (Math.abs(v - value) < Math.abs(values[best] - value)) best = k;
  });
  return best;
}
