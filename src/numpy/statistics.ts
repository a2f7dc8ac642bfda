/**
 * @file Statistics: NaN-ignoring reductions, ptp, weighted averages, covariance and correlation,
 * and counting (histogram, bincount, digitize, countNonzero). Counts are built from comparisons
 * against the bin edges and sums, so every function traces once its output size is static.
 */
import { ShapeError, TracerError, isFloat, isInt } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import { ConcreteArray } from "../trace/array.js";
import * as lax from "./lax-core.js";
import { matmul } from "./linalg-core.js";
import { type ReduceOpts, type SumOpts, all, argmax, argmin, keepDims, max, mean, min, prod, sum } from "./reductions.js";
import { concatenate } from "./shape-ops.js";
import { asTracer, normAxis } from "./take-static.js";
import { type ArrayInput, axesOf, broadcastTo, promoteArgs, promoteArgsInexact } from "./util.js";

type A = ArrayInput;
type ArgOpts = { readonly axis?: number | null; readonly keepdims?: boolean };
type VarOpts = SumOpts & { readonly ddof?: number };

const isnan = (t: Tracer) => lax.ne(t, t);
const fill = (t: Tracer, v: number) => (isFloat(t.dtype) ? lax.select(isnan(t), v, t) : t);
const floatOf = (op: string, x: A) => promoteArgsInexact(op, x)[0];

/** Sum treating NaN as 0. @example np.nansum(np.array([1, NaN, 2])) // 3 */
export const nansum = (x: A, opts: SumOpts = {}) => sum(fill(asTracer("np.nansum", x), 0), opts);
/** Product treating NaN as 1. @example np.nanprod(np.array([2, NaN, 3])) // 6 */
export const nanprod = (x: A, opts: SumOpts = {}) => prod(fill(asTracer("np.nanprod", x), 1), opts);

/** Mean of the non-NaN entries (NaN where there are none). @example np.nanmean(np.array([1, NaN, 3])) // 2 */
export function nanmean(x: A, opts: SumOpts = {}): Tracer {
  const t = floatOf("np.nanmean", x);
  const cnt = sum(lax.convertElementType(lax.bitwiseNot(isnan(t)), t.dtype), { axis: opts.axis, keepdims: opts.keepdims });
  return lax.div(nansum(t, { axis: opts.axis, keepdims: opts.keepdims }), cnt);
}

/** Variance of the non-NaN entries, NaN where fewer than `ddof` + 1 remain. @example np.nanvar(np.array([1, NaN, 3])) // 1 */
export function nanvar(x: A, opts: VarOpts = {}): Tracer {
  const t = floatOf("np.nanvar", x);
  const axes = axesOf("np.nanvar", opts.axis, t.ndim);
  const ok = lax.bitwiseNot(isnan(t));
  const cnt = lax.reduceSum(lax.convertElementType(ok, t.dtype), axes);
  const kept = t.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const mu = lax.broadcastInDim(lax.div(lax.reduceSum(fill(t, 0), axes), cnt), t.shape, kept);
  const ss = lax.reduceSum(lax.select(ok, lax.square(lax.sub(t, mu)), 0), axes);
  const dof = lax.sub(cnt, opts.ddof ?? 0);
  return keepDims(lax.select(lax.le(dof, 0), NaN, lax.div(ss, dof)), axes, opts.keepdims);
}
/** Standard deviation of the non-NaN entries. @example np.nanstd(np.array([1, NaN, 3])) // 1 */
export const nanstd = (x: A, opts: VarOpts = {}) => lax.sqrt(nanvar(x, opts));

function nanExt(op: string, f: typeof max, x: A, opts: ReduceOpts, fillWith: number): Tracer {
  const t = asTracer(op, x);
  if (!isFloat(t.dtype)) return f(t, opts);
  return lax.select(all(isnan(t), opts), NaN, f(fill(t, fillWith), opts));
}
/** Maximum ignoring NaN (NaN where all are NaN). @example np.nanmax(np.array([1, NaN, 3])) // 3 */
export const nanmax = (x: A, opts: ReduceOpts = {}) => nanExt("np.nanmax", max, x, opts, -Infinity);
/** Minimum ignoring NaN. @example np.nanmin(np.array([1, NaN, 3])) // 1 */
export const nanmin = (x: A, opts: ReduceOpts = {}) => nanExt("np.nanmin", min, x, opts, Infinity);

function nanArg(op: string, f: typeof argmax, x: A, opts: ArgOpts, fillWith: number): Tracer {
  const t = asTracer(op, x);
  if (!isFloat(t.dtype)) return f(t, opts);
  // NumPy raises on an all-NaN slice; like jax.numpy the traced version answers -1 there.
  const allNan = all(isnan(t), { axis: opts.axis, keepdims: opts.keepdims });
  return lax.select(allNan, -1, f(fill(t, fillWith), opts));
}
/** Index of the maximum ignoring NaN (-1 for an all-NaN slice). @example np.nanargmax(np.array([1, NaN, 3])) // 2 */
export const nanargmax = (x: A, opts: ArgOpts = {}) => nanArg("np.nanargmax", argmax, x, opts, -Infinity);
/** Index of the minimum ignoring NaN. @example np.nanargmin(np.array([1, NaN, 3])) // 0 */
export const nanargmin = (x: A, opts: ArgOpts = {}) => nanArg("np.nanargmin", argmin, x, opts, Infinity);

/** Range (max - min), "peak to peak". @example np.ptp(np.array([[4, 9], [2, 6]]), { axis: 1 }) // [5, 4] */
export const ptp = (x: A, opts: ReduceOpts = {}) => lax.sub(max(x, opts), min(x, opts));

/** Options of `average`. */
export interface AverageOpts {
  readonly axis?: number | readonly number[] | null;
  /** Same shape as the input, or 1-D along a single `axis`. */
  readonly weights?: A;
  readonly keepdims?: boolean;
  /** Also return the sum of weights, broadcast to the result's shape. */
  readonly returned?: boolean;
}

/**
 * Weighted mean along `axis`.
 *
 * @example np.average(np.array([1, 2, 3, 4]), { weights: [4, 3, 2, 1] }) // 2
 */
export function average(a: A, opts: AverageOpts & { readonly returned: true }): [Tracer, Tracer];
export function average(a: A, opts?: AverageOpts): Tracer;
export function average(a: A, opts: AverageOpts = {}): Tracer | [Tracer, Tracer] {
  const op = "np.average";
  const red = { axis: opts.axis, keepdims: opts.keepdims };
  let avg: Tracer;
  let scl: Tracer;
  if (opts.weights === undefined) {
    avg = mean(floatOf(op, a), red);
    const t = asTracer(op, a);
    const n = axesOf(op, opts.axis, t.ndim).reduce((p, i) => p * t.shape[i], 1);
    scl = lax.convertElementType(n, avg.dtype);
  } else {
    const [t, w0] = promoteArgsInexact(op, a, opts.weights);
    let w = w0;
    if (w.ndim !== t.ndim || w.shape.some((d, i) => d !== t.shape[i])) {
      if (typeof opts.axis !== "number") throw new ShapeError(`${op}: weights of shape [${w.shape.join(", ")}] differ from a's [${t.shape.join(", ")}]; pass a single axis for 1-D weights.`);
      const ax = normAxis(op, opts.axis, t.ndim);
      if (w.ndim !== 1 || w.size !== t.shape[ax]) throw new ShapeError(`${op}: 1-D weights must have length ${t.shape[ax]} (axis ${ax}), got shape [${w.shape.join(", ")}].`);
      w = lax.broadcastInDim(w, t.shape, [ax]);
    }
    scl = sum(w, red);
    avg = lax.div(sum(lax.mul(t, w), red), scl);
  }
  return opts.returned ? [avg, broadcastTo(op, scl, avg.shape)] : avg;
}

/** Options of `cov` and `corrcoef` (NumPy's names; `fweights`/`aweights` are 1-D per observation). */
export interface CovOpts {
  readonly y?: A;
  readonly rowvar?: boolean;
  readonly bias?: boolean;
  readonly ddof?: number;
  readonly fweights?: A;
  readonly aweights?: A;
}

const observations = (op: string, x: Tracer, rowvar: boolean): Tracer => {
  if (x.ndim > 2) throw new ShapeError(`${op}: expected a 1-D or 2-D array of variables, got shape [${x.shape.join(", ")}].`);
  const m = x.ndim === 2 ? x : lax.reshape(x, [1, x.size]);
  return !rowvar && m.shape[0] !== 1 ? lax.transpose(m, [1, 0]) : m;
};

/**
 * Covariance matrix of variables (rows by default) observed in columns.
 *
 * @example np.cov(np.array([[0, 1, 2], [2, 1, 0]])) // [[1, -1], [-1, 1]]
 */
export function cov(m: A, opts: CovOpts = {}): Tracer {
  const op = "np.cov";
  const rowvar = opts.rowvar ?? true;
  const [mt, ...rest] = promoteArgsInexact(op, m, ...(opts.y === undefined ? [] : [opts.y]));
  let X = observations(op, mt, rowvar);
  if (rest.length) X = concatenate([X, observations(op, rest[0], rowvar)], 0);
  const n = X.shape[1];
  const ddof = opts.ddof ?? (opts.bias ? 0 : 1);
  const ws = [opts.fweights, opts.aweights].map((w) => {
    if (w === undefined) return undefined;
    const t = promoteArgs(op, w, X)[0];
    if (t.ndim !== 1 || t.size !== n) throw new ShapeError(`${op}: weights must be 1-D with one entry per observation (${n}), got shape [${t.shape.join(", ")}].`);
    return t;
  });
  const [fw, aw] = ws;
  const w = fw && aw ? lax.mul(fw, aw) : fw ?? aw;
  let fact: Tracer | number;
  let avg: Tracer;
  if (w === undefined) {
    avg = mean(X, { axis: 1 });
    fact = Math.max(n - ddof, 0);
  } else {
    const [av, wsum] = average(X, { axis: 1, weights: w, returned: true });
    avg = av;
    const ws0 = lax.reshape(lax.slice(wsum, [0], [1]), []);
    fact = ddof === 0 ? ws0 : aw === undefined ? lax.sub(ws0, ddof) : lax.sub(ws0, lax.div(lax.mul(ddof, lax.reduceSum(lax.mul(w, aw), [0])), ws0));
    fact = lax.max(fact, 0);
  }
  const Xc = lax.sub(X, lax.broadcastInDim(avg, X.shape, [0]));
  const XT = lax.transpose(w === undefined ? Xc : lax.mul(Xc, lax.broadcastInDim(w, X.shape, [1])), [1, 0]);
  const c = lax.div(matmul(Xc, XT), fact);
  const ones = c.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
  return ones.length ? lax.squeeze(c, ones) : c;
}

/**
 * Pearson correlation coefficients, the covariance normalized by standard deviations.
 *
 * @example np.corrcoef(np.array([[1, 2, 3], [3, 2, 1]])) // [[1, -1], [-1, 1]]
 */
export function corrcoef(x: A, opts: Pick<CovOpts, "y" | "rowvar"> = {}): Tracer {
  const c = cov(x, { y: opts.y, rowvar: opts.rowvar });
  if (c.ndim === 0) return lax.div(c, c);
  const k = c.shape[0];
  const eye = lax.eq(lax.iota("int32", [k, k], 0), lax.iota("int32", [k, k], 1));
  const sd = lax.sqrt(lax.reduceSum(lax.select(eye, c, 0), [1]));
  const r = lax.div(lax.div(c, lax.broadcastInDim(sd, [k, k], [0])), lax.broadcastInDim(sd, [k, k], [1]));
  return lax.clamp(-1, r, 1);
}

/** Options of `histogram`: `bins` is a count (with an optional static `range`) or the edges. */
export interface HistogramOpts {
  readonly bins?: number | A;
  readonly range?: readonly [number, number];
  readonly weights?: A;
  readonly density?: boolean;
}

/**
 * Counts of `a` in bins, returned with the bin edges. Bins are half-open [e_i, e_i+1) except the
 * last, which includes its right edge; values outside the edges are not counted.
 *
 * @example np.histogram(np.array([1, 2, 1]), { bins: 2, range: [0, 2] }) // [[0, 3], [0, 1, 2]]
 */
export function histogram(a: A, opts: HistogramOpts = {}): [Tracer, Tracer] {
  const op = "np.histogram";
  const t0 = floatOf(op, a);
  const x = lax.reshape(t0, [t0.size]);
  const bins = opts.bins ?? 10;
  let edges: Tracer;
  if (typeof bins === "number") {
    if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`${op}: bins must be a positive integer, got ${bins}.`);
    let lo: Tracer | number;
    let hi: Tracer | number;
    if (opts.range) {
      [lo, hi] = opts.range;
      if (!(lo <= hi) || !Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`${op}: range must be finite with min <= max, got ${JSON.stringify(opts.range)}.`);
      if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
    } else if (x.size === 0) [lo, hi] = [0, 1];
    else {
      const [mn, mx] = [lax.reduceMin(x, [0]), lax.reduceMax(x, [0])];
      const same = lax.eq(mn, mx);
      [lo, hi] = [lax.select(same, lax.sub(mn, 0.5), mn), lax.select(same, lax.add(mx, 0.5), mx)];
    }
    const i = lax.iota(x.dtype, [bins + 1]);
    const span = typeof hi === "number" && typeof lo === "number" ? hi - lo : lax.sub(hi, lo);
    const lin = lax.add(lax.mul(i, typeof span === "number" ? span / bins : lax.div(span, bins)), lo);
    // The last edge is exactly the maximum, so the largest value always lands in the last bin.
    edges = lax.select(lax.eq(i, bins), lax.broadcastInDim(lax.convertElementType(hi, x.dtype), [bins + 1], []), lin);
  } else {
    edges = promoteArgs(op, bins, x)[0];
    if (edges.ndim !== 1 || edges.size < 2) throw new ShapeError(`${op}: bin edges must be a 1-D array of at least 2 values, got shape [${edges.shape.join(", ")}].`);
  }
  const nb = edges.size - 1;
  const full = [x.size, nb];
  const xb = lax.broadcastInDim(x, full, [0]);
  const lower = lax.ge(xb, lax.broadcastInDim(lax.slice(edges, [0], [nb]), full, [1]));
  const upperEdge = lax.broadcastInDim(lax.slice(edges, [1], [nb + 1]), full, [1]);
  const last = lax.eq(lax.iota("int32", full, 1), nb - 1);
  const inBin = lax.bitwiseAnd(lower, lax.select(last, lax.le(xb, upperEdge), lax.lt(xb, upperEdge)));
  let counts: Tracer;
  if (opts.weights === undefined) counts = lax.reduceSum(lax.convertElementType(inBin, "int32"), [0]);
  else {
    const w = asTracer(op, opts.weights);
    if (w.size !== x.size) throw new ShapeError(`${op}: weights must have a's shape [${t0.shape.join(", ")}], got [${w.shape.join(", ")}].`);
    counts = lax.reduceSum(lax.select(inBin, lax.broadcastInDim(lax.reshape(w, [w.size]), full, [0]), 0), [0]);
  }
  if (opts.density) {
    const c = lax.convertElementType(counts, edges.dtype);
    const widths = lax.sub(lax.slice(edges, [1], [nb + 1]), lax.slice(edges, [0], [nb]));
    counts = lax.div(lax.div(c, lax.reduceSum(c, [0])), widths);
  }
  return [counts, edges];
}

/**
 * Occurrences of each value 0..length-1 in a 1-D integer array (summed `weights` if given).
 * Negative values count as 0 and values >= length are dropped, as in jax.numpy. Eagerly the
 * length defaults to max(x) + 1 (at least `minlength`); inside a trace pass `length`.
 *
 * @example np.bincount(np.array([0, 1, 1, 3], { dtype: "int32" })) // [1, 2, 0, 1]
 */
export function bincount(x: A, opts: { readonly weights?: A; readonly minlength?: number; readonly length?: number } = {}): Tracer {
  const op = "np.bincount";
  const t = asTracer(op, x);
  if (!isInt(t.dtype) && t.dtype !== "bool") throw new TypeError(`${op}: x must hold integers, got ${t.dtype}; convert with .astype("int32").`);
  if (t.ndim !== 1) throw new ShapeError(`${op}: x must be 1-D, got shape [${t.shape.join(", ")}].`);
  const minlength = opts.minlength ?? 0;
  if (!Number.isInteger(minlength) || minlength < 0) throw new RangeError(`${op}: minlength must be a non-negative integer, got ${minlength}.`);
  let length = opts.length;
  if (length === undefined) {
    if (!(t instanceof ConcreteArray)) {
      throw new TracerError(`${op}: the output length depends on the values of x, which are unknown while tracing; pass a static { length }.`);
    }
    length = Math.max(minlength, t.size ? Math.max(...Array.from(t.dataSync(), Number)) + 1 : 0);
  }
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`${op}: length must be a non-negative integer, got ${length}.`);
  const full = [t.size, length];
  const v = lax.max(lax.convertElementType(t, "int32"), 0);
  const hit = lax.eq(lax.broadcastInDim(v, full, [0]), lax.iota("int32", full, 1));
  if (opts.weights === undefined) return lax.reduceSum(lax.convertElementType(hit, "int32"), [0]);
  let w = asTracer(op, opts.weights);
  if (w.ndim !== 1 || w.size !== t.size) throw new ShapeError(`${op}: weights must have x's shape [${t.size}], got [${w.shape.join(", ")}].`);
  if (w.dtype === "bool") w = lax.convertElementType(w, "int32");
  return lax.reduceSum(lax.select(hit, lax.broadcastInDim(w, full, [0]), 0), [0]);
}

/**
 * Index of the bin each value falls in (`bins` increasing or decreasing), as NumPy's digitize.
 *
 * @example np.digitize(np.array([0.2, 6.4, 3.0]), [0, 1, 2.5, 4, 10]) // [1, 4, 3]
 */
export function digitize(x: A, bins: A, opts: { readonly right?: boolean } = {}): Tracer {
  const op = "np.digitize";
  const [xt, bt] = promoteArgs(op, x, bins);
  if (bt.ndim !== 1) throw new ShapeError(`${op}: bins must be 1-D, got shape [${bt.shape.join(", ")}].`);
  const n = bt.size;
  if (n === 0) return lax.broadcastInDim(lax.convertElementType(0, "int32"), xt.shape, []);
  const full = [...xt.shape, n];
  const xb = lax.broadcastInDim(xt, full, xt.shape.map((_, i) => i));
  const bb = lax.broadcastInDim(bt, full, [xt.ndim]);
  const cnt = lax.reduceSum(lax.convertElementType(opts.right ? lax.lt(bb, xb) : lax.le(bb, xb), "int32"), [xt.ndim]);
  const first = lax.slice(bt, [0], [1]);
  const increasing = lax.reshape(lax.ge(lax.slice(bt, [n - 1], [n]), first), []);
  return lax.select(increasing, cnt, lax.sub(n, cnt));
}

/** Number of non-zero (truthy) entries. @example np.countNonzero(np.array([[0, 1], [2, 0]]), { axis: 0 }) // [1, 1] */
export function countNonzero(x: A, opts: ReduceOpts = {}): Tracer {
  const t = asTracer("np.countNonzero", x);
  return sum(lax.convertElementType(t.dtype === "bool" ? t : lax.ne(t, 0), "int32"), opts);
}
