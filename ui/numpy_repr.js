// NumPy's repr of a state, in the browser: viz.numbers.state_repr's text, character for character.
//
// state_repr prints a (1, n) float64 array under np.printoptions(precision=8, suppress=True,
// floatmode="maxprec_equal", linewidth=78, threshold=16 (or none), edgeitems=4). These functions
// port what NumPy 2's arrayprint does for such an array (FloatingFormat.fillFormat, _formatArray,
// _extendLine): each value's shortest round-trip digits, cut at 8 decimals (rounded exactly, ties to
// even, as Dragon4 does), every value padded to the most decimals any has, lines wrapped at 78.
// tests/viz/test_numpy_repr_js.py checks them against NumPy on thousands of arrays. Values of 1e8
// and more (NumPy then writes exponents) are not handled: viz.live does not ask for them. A cut
// array ends with its shape, as NumPy 2 writes it.

const PRECISION = 8;
const LINE_WIDTH = 78 - 1; // less the closing ")"
const EDGE_ITEMS = 4;
const SUMMARY_THRESHOLD = 16;
const TEN_TO_PRECISION = 10n ** BigInt(PRECISION);
const bits = new DataView(new ArrayBuffer(8));

/** [integer digits, PRECISION decimals] of a >= 0, rounded exactly to PRECISION decimals, ties to even. */
function roundedDigits(a) {
  bits.setFloat64(0, a);
  const high = bits.getUint32(0);
  const exponentBits = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(bits.getUint32(4));
  let exponent = -1074;
  if (exponentBits !== 0) {
    mantissa |= 1n << 52n;
    exponent = exponentBits - 1075;
  }
  const scaled = mantissa * TEN_TO_PRECISION; // a * 10^8 = scaled * 2^exponent
  let whole;
  if (exponent >= 0) whole = scaled << BigInt(exponent);
  else {
    const shift = BigInt(-exponent);
    whole = scaled >> shift;
    const rest = scaled - (whole << shift);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (whole & 1n) === 1n)) whole += 1n;
  }
  const digits = whole.toString().padStart(PRECISION + 1, "0");
  return [digits.slice(0, -PRECISION), digits.slice(-PRECISION)];
}

/** [integer digits, decimals] of a >= 0 with its shortest round-trip digits, or null past 8 decimals. */
function shortestDigits(a) {
  const [mantissa, power] = a.toExponential().split("e"); // the shortest digits that read back as a
  const digits = mantissa.replace(".", "");
  const point = Number(power) + 1; // digits before the decimal point
  if (point <= 0) return digits.length - point > PRECISION ? null : ["0", "0".repeat(-point) + digits];
  if (point >= digits.length) return [digits + "0".repeat(point - digits.length), ""];
  const decimals = digits.slice(point);
  return decimals.length > PRECISION ? null : [digits.slice(0, point), decimals];
}

/** NumPy's dragon4_positional(x, precision=8, unique=True, fractional=True, trim="."): [sign and integer part, decimals]. */
function positional(x) {
  const a = Math.abs(x);
  let [whole, decimals] = shortestDigits(a) ?? roundedDigits(a);
  if (decimals.length === PRECISION) decimals = decimals.replace(/0+$/, "");
  if (a === 0) [whole, decimals] = ["0", ""];
  const negative = x < 0 || Object.is(x, -0);
  return [(negative ? "-" : "") + whole, decimals];
}

/** Can numpyRepr print these values (finite, below 1e8, where NumPy writes no exponent)? */
function printable(values) {
  for (const v of values) if (!Number.isFinite(v) || Math.abs(v) >= 1e8) return false;
  return true;
}

/** NumPy's line filling (_extendLine): add word to line, or start a new line with prefix. */
function extendLine(text, line, word, width, prefix) {
  const wrap = line.length + word.length > width && line.length > prefix.length;
  if (wrap) return [text + line.trimEnd() + "\n", prefix + word];
  return [text, line + word];
}

/** repr(np.asarray(values).reshape(1, -1)) under state_repr's print options; ``summarise``: cut
 *  a vector longer than 16 to its first and last 4 values, as NumPy does. */
function numpyRepr(values, summarise = true) {
  const n = values.length;
  const summary = summarise && n > SUMMARY_THRESHOLD && 2 * EDGE_ITEMS < n;
  const shown = summary ? [...values.slice(0, EDGE_ITEMS), ...values.slice(n - EDGE_ITEMS)] : Array.from(values);
  const parts = shown.map(positional);
  const padLeft = Math.max(0, ...parts.map(([whole]) => whole.length));
  const padRight = Math.max(0, ...parts.map(([, decimals]) => decimals.length));
  const words = parts.map(([whole, decimals]) => whole.padStart(padLeft) + "." + decimals.padEnd(padRight, "0"));
  const prefix = " ".repeat(8); // "array([" and "[" of the outer axis
  const width = LINE_WIDTH - 1; // less the outer "]"
  const elemWidth = width - 1; // less "," or "]"
  let text = "";
  let line = prefix;
  const items = summary ? [...words.slice(0, EDGE_ITEMS), "...", ...words.slice(EDGE_ITEMS)] : words;
  items.forEach((word, k) => {
    [text, line] = extendLine(text, line, word, elemWidth, prefix);
    if (k < items.length - 1) line += ", ";
  });
  text += line;
  const printed = "array([[" + text.slice(prefix.length) + "]]";
  if (!summary) return printed + ")";
  // NumPy 2 names the shape of an array it cut, on the last line if it fits (_array_repr_implementation).
  const extra = `shape=(1, ${n}))`;
  const lastLine = printed.length + 1 - (printed.lastIndexOf("\n") + 1);
  return printed + "," + (lastLine + extra.length + 1 > LINE_WIDTH + 1 ? "\n      " : " ") + extra;
}

/** viz.numbers.state_repr of one layer's state: c and h are the values of one sequence. */
function layerRepr(c, h, asTuple, summarise) {
  if (!asTuple) return numpyRepr([...c, ...h], summarise);
  const indent = (text) => text.replaceAll("\n", "\n      ");
  return `LSTMStateTuple(\n    c=${indent(numpyRepr(c, summarise))},\n    h=${indent(numpyRepr(h, summarise))})`;
}

/** viz.numbers.state_repr of a state: ``layers`` is [[c, h], ...], one per layer; ``stacked``: print
 *  the tuple of them MultiRNNCell returns (else the one layer's state). */
function stateRepr(layers, asTuple, summarise, stacked) {
  if (!stacked) return layerRepr(layers[0][0], layers[0][1], asTuple, summarise);
  const each = layers.map(([c, h]) => layerRepr(c, h, asTuple, summarise).replaceAll("\n", "\n    "));
  return "(\n    " + each.join(",\n    ") + ",\n)";
}
