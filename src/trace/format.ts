/**
 * @file NumPy-style text for arrays: `str` (`[[1. 2.]\n [3. 4.]]`) and the JAX-style repr
 * (`Array([1., 2.], dtype=float32)`). Follows NumPy 2.0's `array2string` defaults: at most 8
 * fraction digits of the shortest representation that identifies each value in its own dtype,
 * scientific notation when the magnitudes demand it, lines wrapped at 75 characters, and
 * summarization with `...` (3 items per edge) beyond 1000 elements.
 */
import type { DType, TypedArray } from "../ir/index.js";
import { roundF16 } from "../backend/reference/float-bits.js";

const THRESHOLD = 1000;
const EDGE = 3;
const PRECISION = 8;
const LINE_WIDTH = 75;

type Fmt = (v: number) => string;

const isFloatDtype = (d: DType) => d === "float32" || d === "float64" || d === "float16";

/**
 * `v` rounded to `p` significant digits, ties to even like NumPy's Dragon4 (JS `toPrecision`
 * breaks exact ties upwards, e.g. 26445.5625 -> 26445.563 where NumPy prints 26445.562).
 */
function roundSig(v: number, p: number): number {
  const [m, e] = Math.abs(v).toExponential(Math.min(100, p + 30)).split("e"); // exact digits
  const digits = m.replace(".", "");
  const tie = digits[p] === "5" && /^0*$/.test(digits.slice(p + 1));
  if (tie && Number(digits[p - 1]) % 2 === 0) {
    return Math.sign(v) * Number(`${digits[0]}.${digits.slice(1, p)}e${e}`);
  }
  return Number(v.toPrecision(p));
}

/** `v` with the fewest significant digits that read back as `v` in `dtype` (NumPy's `unique=True`). */
function shortest(v: number, dtype: DType, maxDigits = 17): { x: number; digits: number } {
  const same = dtype === "float64" ? (x: number) => x === v : dtype === "float16" ? (x: number) => roundF16(x) === v : (x: number) => Math.fround(x) === v;
  for (let p = 1; p < maxDigits; p++) {
    const x = roundSig(v, p);
    if (same(x)) return { x, digits: p };
  }
  return { x: roundSig(v, maxDigits), digits: maxDigits };
}

/** Positional digits: shortest unique, at most PRECISION fraction digits, `1.` for integers. */
function positional(v: number, dtype: DType): string {
  if (v === 0) return Object.is(v, -0) ? "-0." : "0.";
  let s = String(shortest(v, dtype).x);
  if (s.includes("e") || (s.split(".")[1] ?? "").length > PRECISION) {
    s = v.toFixed(PRECISION).replace(/0+$/, "");
  }
  return s.includes(".") ? s : `${s}.`;
}

/** Scientific parts: mantissa integer/fraction digits and the signed exponent. */
function scientific(v: number, dtype: DType): { int: string; frac: string; exp: number } {
  const { x, digits } = shortest(v, dtype, PRECISION + 1);
  const [m, e] = x.toExponential(digits - 1).split("e");
  const [int, frac = ""] = m.split(".");
  return { int, frac: frac.replace(/0+$/, ""), exp: Number(e) };
}

/** NumPy's FloatingFormat: one width and notation for every element. */
function floatFormatter(values: readonly number[], dtype: DType): Fmt {
  const finite = values.filter((v) => Number.isFinite(v));
  const absNz = finite.map(Math.abs).filter((a) => a !== 0);
  const maxA = Math.max(0, ...absNz);
  const minA = absNz.length ? Math.min(...absNz) : 0;
  const useSci = absNz.length > 0 && (maxA >= 1e8 || minA < 1e-4 || maxA / minA > 1e3);
  let padLeft = 0;
  let padRight = 0;
  let body: Fmt;
  if (finite.length === 0) {
    body = () => "";
  } else if (useSci) {
    const parts = finite.map((v) => scientific(v, dtype));
    const prec = Math.max(...parts.map((p) => p.frac.length));
    const expSize = Math.max(2, ...parts.map((p) => String(Math.abs(p.exp)).length));
    padLeft = Math.max(...parts.map((p) => p.int.length));
    padRight = expSize + 2 + prec;
    body = (v) => {
      const { int, frac, exp } = scientific(v, dtype);
      const e = `${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(expSize, "0")}`;
      return `${int.padStart(padLeft)}.${frac.padEnd(prec, "0")}e${e}`;
    };
  } else {
    const parts = finite.map((v) => positional(v, dtype).split("."));
    padLeft = Math.max(...parts.map(([i]) => i.length));
    padRight = Math.max(...parts.map(([, f]) => f.length));
    body = (v) => {
      const [i, f] = positional(v, dtype).split(".");
      return `${i.padStart(padLeft)}.${f.padEnd(padRight)}`;
    };
  }
  if (finite.length !== values.length) {
    // Room for "nan" / "inf" / "-inf", right-aligned in the common width.
    const negInf = values.some((v) => v === -Infinity) ? 1 : 0;
    const offset = padRight + 1;
    padLeft = Math.max(padLeft, 3 - offset, 3 + negInf - offset);
  }
  const width = padLeft + padRight + 1;
  return (v) => {
    if (Number.isNaN(v)) return "nan".padStart(width);
    if (!Number.isFinite(v)) return (v > 0 ? "inf" : "-inf").padStart(width);
    return body(v);
  };
}

/** Builds a formatter that gives every element the same width, as NumPy does. */
function makeFormatter(values: readonly number[], dtype: DType): Fmt {
  if (dtype === "bool") return (v) => (v ? " True" : "False");
  if (!isFloatDtype(dtype)) {
    const w = Math.max(1, ...values.map((v) => String(v).length));
    return (v) => String(v).padStart(w);
  }
  return floatFormatter(values, dtype);
}

/** Indices shown along an axis of length n: all, or EDGE at each end around a -1 marker. */
const shownIndices = (n: number, summarize: boolean): number[] =>
  summarize && n > 2 * EDGE
    ? [...Array.from({ length: EDGE }, (_, i) => i), -1, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)]
    : Array.from({ length: n }, (_, i) => i);

/** The values that will be printed (NumPy formats widths from the summarized edges only). */
function shownValues(data: TypedArray, shape: readonly number[], summarize: boolean): number[] {
  const out: number[] = [];
  const rec = (dim: number, offset: number): void => {
    if (dim === shape.length) {
      out.push(data[offset]);
      return;
    }
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    for (const i of shownIndices(shape[dim], summarize)) if (i >= 0) rec(dim + 1, offset + i * stride);
  };
  rec(0, 0);
  return out;
}

/** Appends `word` to `line`, wrapping to a new line with `indent` when it would pass `width`. */
function extendLine(acc: { s: string; line: string }, word: string, width: number, indent: string): void {
  if (acc.line.length + word.length > width && acc.line.length > indent.length) {
    acc.s += acc.line.trimEnd() + "\n";
    acc.line = indent;
  }
  acc.line += word;
}

/** NumPy's `_formatArray`: nested brackets, wrapped rows, blank lines between blocks. */
function render(data: TypedArray, shape: readonly number[], fmt: Fmt, sep: string, prefix: string, suffix: string, summarize: boolean): string {
  const rec = (dim: number, offset: number, indent: string, width: number): string => {
    if (dim === shape.length) return fmt(data[offset]);
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const idx = shownIndices(shape[dim], summarize);
    const left = shape.length - dim;
    let s: string;
    if (left === 1) {
      const elemWidth = width - Math.max(sep.trimEnd().length, 1);
      const acc = { s: "", line: indent };
      idx.forEach((i, k) => {
        const last = k === idx.length - 1;
        const word = i === -1 ? "..." : rec(dim + 1, offset + i * stride, indent + " ", width - 1);
        extendLine(acc, word, elemWidth, indent);
        if (!last) acc.line += sep;
      });
      s = acc.s + acc.line;
    } else {
      const lineSep = sep.trimEnd() + "\n".repeat(left - 1);
      s = idx
        .map((i) => indent + (i === -1 ? "..." : rec(dim + 1, offset + i * stride, indent + " ", width - 1)))
        .join(lineSep);
    }
    return `[${s.slice(indent.length)}]`;
  };
  return rec(0, 0, " ".repeat(prefix.length + 1), LINE_WIDTH - suffix.length);
}

/** NumPy `str()` of an array. */
export function formatArray(data: TypedArray, shape: readonly number[], dtype: DType): string {
  const size = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 0) return formatScalar(data[0], dtype);
  if (size === 0) return "[]";
  const summarize = size > THRESHOLD;
  const fmt = makeFormatter(shownValues(data, shape, summarize), dtype);
  return render(data, shape, fmt, " ", "", "", summarize);
}

/** `str()` of a 0-d array is the scalar's repr: `1.0`, `1e-05`, `True`, `7`. */
function formatScalar(v: number, dtype: DType): string {
  if (dtype === "bool") return v ? "True" : "False";
  if (!isFloatDtype(dtype)) return String(v);
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  const { x } = shortest(v, dtype);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    const [m, e] = x.toExponential().split("e");
    return `${m}e${e[0]}${e.slice(1).padStart(2, "0")}`;
  }
  const s = Object.is(v, -0) ? "-0" : String(x);
  return s.includes(".") ? s : `${s}.0`;
}

/** JAX-style repr: `Array([1., 2.], dtype=float32)`, long rows wrapped under the bracket. */
export function reprArray(data: TypedArray, shape: readonly number[], dtype: DType, weak: boolean): string {
  const prefix = "Array(";
  const dtypeStr = `dtype=${dtype}${weak ? ", weak_type=True" : ""})`;
  const size = shape.reduce((a, b) => a * b, 1);
  let s: string;
  if (size === 0) s = `[], shape=(${shape.join(", ")}${shape.length === 1 ? "," : ""})`;
  else {
    const summarize = size > THRESHOLD;
    const fmt = makeFormatter(shownValues(data, shape, summarize), dtype);
    s = shape.length === 0 ? fmt(data[0]).trim() : render(data, shape, fmt, ", ", prefix, ",", summarize);
  }
  // JAX measures the last line this way (one more than its true length) and pads, not wraps.
  const lastLineLen = s.length - s.lastIndexOf("\n") + 1;
  const sep = lastLineLen + dtypeStr.length + 1 > LINE_WIDTH ? " ".repeat(prefix.length) : " ";
  return `${prefix}${s},${sep}${dtypeStr}`;
}
