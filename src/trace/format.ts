/**
 * @file NumPy-style text for arrays: `str` (`[[1. 2.]\n [3. 4.]]`) and the JAX-style repr
 * (`Array([1., 2.], dtype=float32)`). Follows NumPy's defaults: 8 significant digits, scientific
 * notation when the range demands it, and summarization with `...` beyond 1000 elements.
 */
import type { DType, TypedArray } from "../ir/index.js";

const THRESHOLD = 1000;
const EDGE = 3;
const PRECISION = 8;

type Fmt = (v: number) => string;

/** Shortest decimal with at most PRECISION significant digits, NumPy style (`1.`, `0.5`). */
function trimFixed(v: number): string {
  let s = v.toPrecision(PRECISION);
  if (s.includes("e")) s = Number(s).toString();
  if (s.includes(".")) s = s.replace(/0+$/, "");
  if (!s.includes(".") && !s.includes("e")) s += ".";
  return s;
}

function sci(v: number): string {
  const [m, e] = v.toExponential(PRECISION - 1).split("e");
  const mant = m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, ".") : m + ".";
  const exp = Number(e);
  return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

function special(v: number): string | null {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return null;
}

/** Builds a formatter that gives every element the same width, as NumPy does. */
function makeFormatter(values: number[], dtype: DType): Fmt {
  if (dtype === "bool") {
    return (v) => (v ? " True" : "False");
  }
  if (dtype !== "float32" && dtype !== "float64" && dtype !== "float16") {
    const w = Math.max(1, ...values.map((v) => String(v).length));
    return (v) => String(v).padStart(w);
  }
  const finite = values.filter((v) => Number.isFinite(v));
  const absNz = finite.map(Math.abs).filter((a) => a !== 0);
  const maxA = Math.max(0, ...absNz);
  const minA = absNz.length ? Math.min(...absNz) : 0;
  const useSci = maxA >= 1e16 || (minA > 0 && minA < 1e-4) || (minA > 0 && maxA / minA > 1e3 && maxA >= 1e8);
  const strs = values.map((v) => special(v) ?? (useSci ? sci(v) : trimFixed(v)));
  if (useSci) {
    const w = Math.max(...strs.map((s) => s.length));
    return (v) => (special(v) ?? sci(v)).padStart(w);
  }
  // Align on the decimal point: pad the integer part left and the fraction right.
  const parts = strs.map((s) => (s.includes(".") ? s.split(".") : [s, ""]));
  const intW = Math.max(...parts.map(([i]) => i.length));
  const fracW = Math.max(...parts.map(([i, f]) => (i.match(/nan|inf/) ? 0 : f.length)));
  return (v) => {
    const sp = special(v);
    if (sp) return sp.padStart(intW + 1 + fracW);
    const [i, f] = trimFixed(v).split(".");
    return `${i.padStart(intW)}.${f.padEnd(fracW)}`;
  };
}

function render(data: TypedArray, shape: readonly number[], fmt: Fmt, sep: string, indent: string): string {
  const size = shape.reduce((a, b) => a * b, 1);
  const summarize = size > THRESHOLD;
  const rec = (dim: number, offset: number, ind: string): string => {
    if (dim === shape.length) return fmt(data[offset]);
    const n = shape[dim];
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const idx =
      summarize && n > 2 * EDGE
        ? [...Array.from({ length: EDGE }, (_, i) => i), -1, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)]
        : Array.from({ length: n }, (_, i) => i);
    const items = idx.map((i) => (i === -1 ? "..." : rec(dim + 1, offset + i * stride, ind + " ")));
    if (dim === shape.length - 1) return `[${items.join(sep)}]`;
    const nl = "\n".repeat(shape.length - dim - 1);
    return `[${items.join(`${sep.trimEnd()}${nl}${ind} `)}]`;
  };
  return rec(0, 0, indent);
}

function sample(data: TypedArray, shape: readonly number[]): number[] {
  if (data.length <= THRESHOLD) return Array.from(data);
  // Formatting width from the printed edges only, like NumPy.
  const out: number[] = [];
  for (let i = 0; i < Math.min(data.length, EDGE * 50); i++) out.push(data[i]);
  for (let i = Math.max(0, data.length - EDGE * 50); i < data.length; i++) out.push(data[i]);
  void shape;
  return out;
}

/** NumPy `str()` of an array. */
export function formatArray(data: TypedArray, shape: readonly number[], dtype: DType): string {
  const fmt = makeFormatter(sample(data, shape), dtype);
  if (shape.length === 0) return fmt(data[0]).trim();
  return render(data, shape, fmt, " ", "");
}

/** JAX-style repr: `Array([1., 2.], dtype=float32)`. */
export function reprArray(data: TypedArray, shape: readonly number[], dtype: DType, weak: boolean): string {
  const fmt = makeFormatter(sample(data, shape), dtype);
  const weakStr = weak ? ", weak_type=True" : "";
  const body = shape.length === 0 ? fmt(data[0]).trim() : render(data, shape, fmt, ", ", "      ");
  return `Array(${body}, dtype=${dtype}${weakStr})`;
}
