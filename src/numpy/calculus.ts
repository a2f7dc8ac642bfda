/**
 * @file Discrete calculus and 1-D numerics along an axis: cumulative sums and products,
 * differences, gradients, trapezoidal integration, cross products, linear interpolation and
 * polynomial helpers. Static slices and the `cumsum`/`cumprod` primitives only, so all of it traces;
 * `interp` finds each interval by counting comparisons instead of a data-dependent search.
 */
import { type DType, ShapeError, isFloat } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import * as m from "./math.js";
import { concatenate } from "./shape-ops.js";
import { moveaxis } from "./manipulation.js";
import { asTracer, normAxis, sliceAxis } from "./take-static.js";
import { type ArrayInput, axesOf, broadcastTo, checkDtype, promoteArgs, promoteArgsInexact } from "./util.js";

type A = ArrayInput;

/** Options of the cumulative functions: `axis` null (default) flattens first. */
export interface CumOpts {
  readonly axis?: number | null;
  readonly dtype?: DType;
}

function cumulative(op: string, f: typeof lax.cumsum, x: A, opts: CumOpts, nanFill?: number): Tracer {
  let t = asTracer(op, x);
  if (opts.axis === null || opts.axis === undefined) t = lax.reshape(t, [t.size]);
  const ax = normAxis(op, opts.axis ?? 0, t.ndim);
  const dtype = opts.dtype ? checkDtype(op, opts.dtype) : t.dtype === "bool" ? "int32" : t.dtype;
  if (nanFill !== undefined && isFloat(t.dtype)) t = lax.select(lax.ne(t, t), nanFill, t);
  return f(dtype === t.dtype ? t : lax.convertElementType(t, dtype), ax);
}

/**
 * Cumulative sum along `axis` (over the flattened array when no axis is given).
 *
 * @example np.cumsum(np.array([[1, 2], [3, 4]]), { axis: 0 }) // [[1, 2], [4, 6]]
 */
export const cumsum = (x: A, opts: CumOpts = {}) => cumulative("np.cumsum", lax.cumsum, x, opts);
/** Cumulative product. @example np.cumprod(np.array([1, 2, 3])) // [1, 2, 6] */
export const cumprod = (x: A, opts: CumOpts = {}) => cumulative("np.cumprod", lax.cumprod, x, opts);
/** Cumulative sum treating NaN as 0. @example np.nancumsum(np.array([1, NaN, 2])) // [1, 1, 3] */
export const nancumsum = (x: A, opts: CumOpts = {}) => cumulative("np.nancumsum", lax.cumsum, x, opts, 0);
/** Cumulative product treating NaN as 1. @example np.nancumprod(np.array([2, NaN, 3])) // [2, 2, 6] */
export const nancumprod = (x: A, opts: CumOpts = {}) => cumulative("np.nancumprod", lax.cumprod, x, opts, 1);

/** One difference step; booleans differ by `!=`, as in NumPy. */
const step1 = (t: Tracer, ax: number): Tracer => {
  const n = t.shape[ax];
  const hi = sliceAxis(t, ax, 1, n);
  const lo = sliceAxis(t, ax, 0, n - 1);
  return t.dtype === "bool" ? lax.ne(hi, lo) : lax.sub(hi, lo);
};

/** Scalars broadcast to a size-1 slab of `t` along `ax`; arrays pass through. */
const slab = (op: string, v: A, t: Tracer, ax: number): Tracer => {
  const u = asTracer(op, v);
  return u.ndim === 0 ? broadcastTo(op, u, t.shape.map((d, i) => (i === ax ? 1 : d))) : u;
};

/**
 * The `n`-th discrete difference along `axis` (last by default), after optionally joining
 * `prepend` / `append` values.
 *
 * @example np.diff(np.array([1, 2, 4, 7, 0])) // [1, 2, 3, -7]
 */
export function diff(x: A, opts: { readonly n?: number; readonly axis?: number; readonly prepend?: A; readonly append?: A } = {}): Tracer {
  let t = asTracer("np.diff", x);
  if (t.ndim === 0) throw new ShapeError("np.diff: needs an array of rank >= 1, got a scalar.");
  const n = opts.n ?? 1;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`np.diff: order n must be a non-negative integer, got ${n}.`);
  const ax = normAxis("np.diff", opts.axis ?? -1, t.ndim);
  if (opts.prepend !== undefined || opts.append !== undefined) {
    const parts = [
      ...(opts.prepend === undefined ? [] : [slab("np.diff", opts.prepend, t, ax)]),
      t,
      ...(opts.append === undefined ? [] : [slab("np.diff", opts.append, t, ax)]),
    ];
    t = concatenate(parts, ax);
  }
  for (let k = 0; k < n && t.shape[ax] > 0; k++) t = step1(t, ax);
  return t;
}

/**
 * Differences of the flattened array, with optional values joined at either end.
 *
 * @example np.ediff1d(np.array([1, 2, 4]), { toBegin: -9 }) // [-9, 1, 2]
 */
export function ediff1d(x: A, opts: { readonly toEnd?: A; readonly toBegin?: A } = {}): Tracer {
  const t = asTracer("np.ediff1d", x);
  const d = diff(lax.reshape(t, [t.size]));
  const flat = (v: A) => {
    const u = lax.convertElementType(asTracer("np.ediff1d", v), d.dtype);
    return lax.reshape(u, [u.size]);
  };
  const parts = [...(opts.toBegin === undefined ? [] : [flat(opts.toBegin)]), d, ...(opts.toEnd === undefined ? [] : [flat(opts.toEnd)])];
  return parts.length === 1 ? d : lax.concatenate(parts, 0);
}

/** Options of `gradient`: uniform `spacing` (one number, or one per axis), axes, edge order. */
export interface GradientOpts {
  readonly spacing?: number | readonly number[];
  readonly axis?: number | readonly number[] | null;
  readonly edgeOrder?: 1 | 2;
}

/**
 * Central differences inside, one-sided differences of order `edgeOrder` at the ends. Returns one
 * array per axis, or a single array when there is one axis.
 *
 * @example np.gradient(np.array([1, 2, 4, 7, 11])) // [1, 1.5, 2.5, 3.5, 4]
 */
export function gradient(f: A, opts: GradientOpts & { readonly axis: number }): Tracer;
export function gradient(f: A, opts?: GradientOpts): Tracer | Tracer[];
export function gradient(f: A, opts: GradientOpts = {}): Tracer | Tracer[] {
  const op = "np.gradient";
  const [t] = promoteArgsInexact(op, f);
  const axes = typeof opts.axis === "number" ? [normAxis(op, opts.axis, t.ndim)] : axesOf(op, opts.axis, t.ndim);
  const sp = opts.spacing ?? 1;
  const hs = typeof sp === "number" ? axes.map(() => sp) : [...sp];
  if (hs.length !== axes.length || hs.some((h) => typeof h !== "number")) {
    throw new ShapeError(`${op}: spacing must be one number or one number per axis (${axes.length}), got ${JSON.stringify(sp)}.`);
  }
  const order = opts.edgeOrder ?? 1;
  if (order !== 1 && order !== 2) throw new RangeError(`${op}: edgeOrder must be 1 or 2, got ${order}.`);
  const out = axes.map((ax, k) => {
    const n = t.shape[ax];
    const h = hs[k];
    if (n < order + 1) throw new ShapeError(`${op}: axis ${ax} has ${n} points; edgeOrder ${order} needs at least ${order + 1}.`);
    const at = (i: number) => sliceAxis(t, ax, i, i + 1);
    const parts: Tracer[] = [];
    if (order === 1) parts.push(lax.div(lax.sub(at(1), at(0)), h));
    else parts.push(lax.div(lax.add(lax.sub(lax.mul(at(1), 4), lax.mul(at(0), 3)), lax.neg(at(2))), 2 * h));
    if (n > 2) parts.push(lax.div(lax.sub(sliceAxis(t, ax, 2, n), sliceAxis(t, ax, 0, n - 2)), 2 * h));
    if (order === 1) parts.push(lax.div(lax.sub(at(n - 1), at(n - 2)), h));
    else parts.push(lax.div(lax.add(lax.sub(lax.mul(at(n - 1), 3), lax.mul(at(n - 2), 4)), at(n - 3)), 2 * h));
    return lax.concatenate(parts, ax);
  });
  return out.length === 1 ? out[0] : out;
}

/**
 * Integral of `y` along `axis` by the trapezoidal rule, with sample points `x` or spacing `dx`.
 *
 * @example np.trapezoid(np.array([1, 2, 3]), { x: [4, 6, 8] }) // 8
 */
export function trapezoid(y: A, opts: { readonly x?: A; readonly dx?: number; readonly axis?: number } = {}): Tracer {
  const [t] = promoteArgsInexact("np.trapezoid", y);
  if (t.ndim === 0) throw new ShapeError("np.trapezoid: needs an array of rank >= 1, got a scalar.");
  const ax = normAxis("np.trapezoid", opts.axis ?? -1, t.ndim);
  const n = t.shape[ax];
  const lo = Math.min(1, n);
  const mid = lax.div(lax.add(sliceAxis(t, ax, lo, n), sliceAxis(t, ax, 0, n - lo)), 2);
  let d: Tracer | number = opts.dx ?? 1;
  if (opts.x !== undefined) {
    const [xt] = promoteArgsInexact("np.trapezoid", opts.x);
    d = xt.ndim === 1 ? lax.reshape(diff(xt), t.shape.map((s, i) => (i === ax ? s - lo : 1))) : diff(xt, { axis: ax });
  }
  return lax.reduceSum(m.multiply(mid, d), [ax]);
}
/** NumPy's older name for `trapezoid`. */
export const trapz = trapezoid;

/**
 * Cross product of 3-vectors (or 2-vectors, whose z is taken as 0) along the given axes.
 *
 * @example np.cross(np.array([1, 0, 0]), np.array([0, 1, 0])) // [0, 0, 1]
 */
export function cross(a: A, b: A, opts: { readonly axisa?: number; readonly axisb?: number; readonly axisc?: number; readonly axis?: number } = {}): Tracer {
  const op = "np.cross";
  const [ta, tb] = promoteArgs(op, a, b);
  const ax = opts.axis;
  const va = moveaxis(ta, ax ?? opts.axisa ?? -1, -1);
  const vb = moveaxis(tb, ax ?? opts.axisb ?? -1, -1);
  const [na, nb] = [va.shape.at(-1), vb.shape.at(-1)];
  if ((na !== 2 && na !== 3) || (nb !== 2 && nb !== 3)) {
    throw new ShapeError(`${op}: vectors must have 2 or 3 components, got ${na} and ${nb}; pick the vector axes with axisa/axisb.`);
  }
  const comp = (v: Tracer, i: number) => (i < v.shape[v.ndim - 1] ? lax.reshape(sliceAxis(v, v.ndim - 1, i, i + 1), v.shape.slice(0, -1)) : null);
  const [a0, a1, a2] = [0, 1, 2].map((i) => comp(va, i));
  const [b0, b1, b2] = [0, 1, 2].map((i) => comp(vb, i));
  const mul = (p: Tracer | null, q: Tracer | null) => (p && q ? m.multiply(p, q) : null);
  const sub = (p: Tracer | null, q: Tracer | null) => (p && q ? m.subtract(p, q) : p ?? m.negative(q as Tracer));
  const z = sub(mul(a0, b1), mul(a1, b0));
  if (na === 2 && nb === 2) return z;
  const x = sub(mul(a1, b2), mul(a2, b1));
  const y = sub(mul(a2, b0), mul(a0, b2));
  const c = lax.concatenate([x, y, z].map((u) => lax.expandDims(u, [u.ndim])), z.ndim);
  return moveaxis(c, -1, ax ?? opts.axisc ?? -1);
}

/**
 * Piecewise-linear interpolation of points (`xp`, `fp`) at `x`; `xp` must increase. Outside
 * [xp[0], xp[-1]] gives `left` / `right` (default fp[0] / fp[-1]).
 *
 * @example np.interp(np.array([1.5, 2.72]), [1, 2, 3], [3, 2, 0]) // [2.5, 0.56]
 */
export function interp(x: A, xp: A, fp: A, opts: { readonly left?: A; readonly right?: A } = {}): Tracer {
  const op = "np.interp";
  const [xt, xpt, fpt] = promoteArgsInexact(op, x, xp, fp);
  if (xpt.ndim !== 1 || fpt.ndim !== 1 || xpt.size !== fpt.size || xpt.size === 0) {
    throw new ShapeError(`${op}: xp and fp must be non-empty 1-D arrays of one length, got [${xpt.shape.join(", ")}] and [${fpt.shape.join(", ")}].`);
  }
  const n = xpt.size;
  const pick = (v: Tracer, i: number) => lax.reshape(lax.slice(v, [i], [i + 1]), []);
  const [left, right] = [opts.left ?? pick(fpt, 0), opts.right ?? pick(fpt, n - 1)].map((v) => promoteArgs(op, v, xt)[0]);
  let f: Tracer;
  if (n === 1) f = broadcastTo(op, pick(fpt, 0), xt.shape);
  else {
    const full = [...xt.shape, n];
    const dims = xt.shape.map((_, i) => i);
    const row = (v: Tracer) => lax.broadcastInDim(v, full, [xt.ndim]);
    const xb = lax.broadcastInDim(xt, full, dims);
    // i = number of xp <= x, clamped to [1, n-1]: x lies in [xp[i-1], xp[i]].
    const cnt = lax.reduceSum(lax.convertElementType(lax.le(row(xpt), xb), "int32"), [xt.ndim]);
    const i = lax.clamp(1, cnt, n - 1);
    const iota = lax.iota("int32", full, xt.ndim);
    // A select-then-sum gather is exact: every other term is 0, even if fp holds infinities.
    const at = (v: Tracer, k: Tracer) => lax.reduceSum(lax.select(lax.eq(iota, lax.broadcastInDim(k, full, dims)), row(v), 0), [xt.ndim]);
    const i0 = lax.sub(i, 1);
    const [x0, x1, f0, f1] = [at(xpt, i0), at(xpt, i), at(fpt, i0), at(fpt, i)];
    const dx = lax.sub(x1, x0);
    const delta = lax.sub(xt, x0);
    const flat = lax.eq(dx, 0);
    const safeDx = lax.select(flat, 1, dx);
    const df = lax.sub(f1, f0);
    let lin = lax.add(f0, lax.mul(lax.div(delta, safeDx), df));
    // Like NumPy, an infinite fp that spoils one side is retried from the other knot.
    lin = lax.select(lax.ne(lin, lin), lax.add(f1, lax.mul(lax.div(lax.sub(xt, x1), safeDx), df)), lin);
    lin = lax.select(lax.bitwiseAnd(lax.ne(lin, lin), lax.eq(f0, f1)), f0, lin);
    f = lax.select(flat, f0, lin);
  }
  const [lo, hi] = [broadcastTo(op, left, xt.shape), broadcastTo(op, right, xt.shape)];
  f = lax.select(lax.lt(xt, pick(xpt, 0)), lo, f);
  return lax.select(lax.gt(xt, pick(xpt, n - 1)), hi, f);
}

const coeffs = (op: string, p: A): Tracer => {
  const t = asTracer(op, p);
  if (t.ndim !== 1) throw new ShapeError(`${op}: coefficients must be a 1-D array (highest power first), got shape [${t.shape.join(", ")}].`);
  return t;
};

/**
 * Evaluates the polynomial with coefficients `p` (highest power first) at `x`, by Horner's rule.
 *
 * @example np.polyval([3, 0, 1], 5) // 76
 */
export function polyval(p: A, x: A): Tracer {
  const [pt, xt] = promoteArgs("np.polyval", coeffs("np.polyval", p), x);
  let y: Tracer = broadcastTo("np.polyval", lax.convertElementType(0, pt.dtype), xt.shape);
  for (let i = 0; i < pt.size; i++) y = lax.add(lax.mul(y, xt), lax.reshape(lax.slice(pt, [i], [i + 1]), []));
  return y;
}

const alignAdd = (op: string, a: A, b: A, sign: 1 | -1): Tracer => {
  const [ta, tb] = promoteArgs(op, coeffs(op, a), coeffs(op, b));
  const n = Math.max(ta.size, tb.size);
  const grow = (t: Tracer) => lax.pad(t, lax.convertElementType(0, t.dtype), [[n - t.size, 0, 0]]);
  return (sign === 1 ? lax.add : lax.sub)(grow(ta), grow(tb));
};
/** Sum of two polynomials. @example np.polyadd([1, 2], [1, 0, 0]) // [1, 1, 2] */
export const polyadd = (a: A, b: A) => alignAdd("np.polyadd", a, b, 1);
/** Difference of two polynomials. @example np.polysub([1, 2], [1, 0, 0]) // [-1, 1, 2] */
export const polysub = (a: A, b: A) => alignAdd("np.polysub", a, b, -1);

/** The `m`-th derivative of a polynomial. @example np.polyder([1, 2, 3]) // [2, 2] */
export function polyder(p: A, m = 1): Tracer {
  let t = coeffs("np.polyder", p);
  if (!Number.isInteger(m) || m < 0) throw new RangeError(`np.polyder: order m must be a non-negative integer, got ${m}.`);
  for (let k = 0; k < m && t.size > 0; k++) {
    const n = t.size;
    const pw = lax.convertElementType(lax.sub(n - 1, lax.iota("int32", [n - 1])), t.dtype === "bool" ? "int32" : t.dtype);
    t = lax.mul(lax.convertElementType(lax.slice(t, [0], [n - 1]), pw.dtype), pw);
  }
  return t;
}

/**
 * The `m`-th antiderivative; `k` is the integration constant (one per integration, or one for all).
 *
 * @example np.polyint([3, 2, 1]) // [1, 1, 1, 0]
 */
export function polyint(p: A, m = 1, k: number | readonly number[] = 0): Tracer {
  let [t] = promoteArgsInexact("np.polyint", coeffs("np.polyint", p));
  if (!Number.isInteger(m) || m < 0) throw new RangeError(`np.polyint: order m must be a non-negative integer, got ${m}.`);
  const ks = typeof k === "number" ? Array<number>(m).fill(k) : [...k];
  if (ks.length !== m) throw new ShapeError(`np.polyint: k must be one number or ${m} numbers (one per integration), got ${JSON.stringify(k)}.`);
  for (let j = 0; j < m; j++) {
    const n = t.size;
    const pw = lax.convertElementType(lax.sub(n, lax.iota("int32", [n])), t.dtype);
    t = lax.concatenate([lax.div(t, pw), lax.reshape(lax.convertElementType(ks[j], t.dtype), [1])], 0);
  }
  return t;
}
