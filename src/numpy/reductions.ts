/**
 * @file Reductions with NumPy's `axis` / `keepdims`: sum, prod, max, min, mean, var, std,
 * argmax, argmin, all, any, logsumexp. `axis` may be a number, a list, or null for all axes.
 */
import { type DType, isFloat } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { type ArrayInput, asLike, axesOf, cast, checkDtype, promoteArgs, typeOf } from "./util.js";

export interface ReduceOpts {
  readonly axis?: number | readonly number[] | null;
  readonly keepdims?: boolean;
}
export interface SumOpts extends ReduceOpts {
  readonly dtype?: DType;
}

type A = ArrayInput;

const asTracer = (op: string, x: A): Tracer => {
  const t = asLike(op, x);
  return typeof t === "object" ? t : cast(t, typeOf(t));
};

/** Re-inserts reduced axes as size 1 when `keepdims` is set. */
export function keepDims(y: Tracer, axes: readonly number[], keep: boolean | undefined): Tracer {
  return keep && axes.length ? lax.expandDims(y, axes) : y;
}

/** Sums of bool and small ints accumulate in int32, like NumPy's default integer. */
const sumDtype = (d: DType): DType => (d === "bool" ? "int32" : d);

/**
 * Sum over `axis` (all axes by default).
 *
 * @example np.sum(x, { axis: 1, keepdims: true })
 */
export function sum(x: A, opts: SumOpts = {}): Tracer {
  const t = asTracer("np.sum", x);
  const axes = axesOf("np.sum", opts.axis, t.ndim);
  const dtype = opts.dtype ? checkDtype("np.sum", opts.dtype) : sumDtype(t.dtype);
  const src = dtype === t.dtype ? t : lax.convertElementType(t, dtype);
  return keepDims(lax.reduceSum(src, axes), axes, opts.keepdims);
}

export function prod(x: A, opts: SumOpts = {}): Tracer {
  const t = asTracer("np.prod", x);
  const axes = axesOf("np.prod", opts.axis, t.ndim);
  const dtype = opts.dtype ? checkDtype("np.prod", opts.dtype) : sumDtype(t.dtype);
  const src = dtype === t.dtype ? t : lax.convertElementType(t, dtype);
  return keepDims(lax.reduceProd(src, axes), axes, opts.keepdims);
}

function extremum(op: string, f: typeof lax.reduceMax, x: A, opts: ReduceOpts): Tracer {
  const t = asTracer(op, x);
  const axes = axesOf(op, opts.axis, t.ndim);
  for (const a of axes) {
    if (t.shape[a] === 0) {
      throw new RangeError(`${op}: zero-size axis ${a} of an array of shape [${t.shape.join(", ")}] has no identity; pass a non-empty array.`);
    }
  }
  return keepDims(f(t, axes), axes, opts.keepdims);
}

/** @example np.max(x, { axis: 0 }) */
export const max = (x: A, opts: ReduceOpts = {}) => extremum("np.max", lax.reduceMax, x, opts);
export const min = (x: A, opts: ReduceOpts = {}) => extremum("np.min", lax.reduceMin, x, opts);
export const amax = max;
export const amin = min;

/** Arithmetic mean; integers are averaged in float32. */
export function mean(x: A, opts: SumOpts = {}): Tracer {
  const t = asTracer("np.mean", x);
  const axes = axesOf("np.mean", opts.axis, t.ndim);
  const n = axes.reduce((a, i) => a * t.shape[i], 1);
  const dtype = opts.dtype ?? (isFloat(t.dtype) ? t.dtype : "float32");
  const s = sum(t, { axis: axes, keepdims: opts.keepdims, dtype });
  return lax.div(s, n);
}

/** Variance with `ddof` delta degrees of freedom (0 by default, like NumPy). */
export function variance(x: A, opts: SumOpts & { readonly ddof?: number } = {}): Tracer {
  const t = promoteArgs("np.var", x)[0];
  const f = isFloat(t.dtype) ? t : lax.convertElementType(t, "float32");
  const axes = axesOf("np.var", opts.axis, f.ndim);
  const n = axes.reduce((a, i) => a * f.shape[i], 1);
  const m = mean(f, { axis: axes, keepdims: true });
  const d = lax.sub(f, lax.broadcastInDim(m, f.shape, f.shape.map((_, i) => i)));
  const ss = sum(lax.square(d), { axis: axes, keepdims: opts.keepdims });
  return lax.div(ss, Math.max(n - (opts.ddof ?? 0), 0));
}
export { variance as var };

export const std = (x: A, opts: SumOpts & { readonly ddof?: number } = {}) => lax.sqrt(variance(x, opts));

/** Index of the maximum along `axis` (flattened when axis is null). */
export function argmax(x: A, opts: { readonly axis?: number | null; readonly keepdims?: boolean } = {}): Tracer {
  return argExt("np.argmax", lax.argmax, x, opts);
}
export function argmin(x: A, opts: { readonly axis?: number | null; readonly keepdims?: boolean } = {}): Tracer {
  return argExt("np.argmin", lax.argmin, x, opts);
}

function argExt(op: string, f: typeof lax.argmax, x: A, opts: { axis?: number | null; keepdims?: boolean }): Tracer {
  let t = asTracer(op, x);
  if (opts.axis === null || opts.axis === undefined) {
    const flat = lax.reshape(t, [t.size]);
    const r = f(flat, 0);
    return opts.keepdims ? lax.reshape(r, t.shape.map(() => 1)) : r;
  }
  const [axis] = axesOf(op, opts.axis, t.ndim);
  if (t.shape[axis] === 0) throw new RangeError(`${op}: attempt to get ${op.slice(3)} of an empty axis ${axis}.`);
  t = f(t, axis);
  return keepDims(t, [axis], opts.keepdims);
}

const toBool = (t: Tracer) => (t.dtype === "bool" ? t : lax.ne(t, 0));

/** True where every element along `axis` is truthy. */
export function all(x: A, opts: ReduceOpts = {}): Tracer {
  const t = toBool(asTracer("np.all", x));
  const axes = axesOf("np.all", opts.axis, t.ndim);
  return keepDims(lax.reduceAnd(t, axes), axes, opts.keepdims);
}
export function any(x: A, opts: ReduceOpts = {}): Tracer {
  const t = toBool(asTracer("np.any", x));
  const axes = axesOf("np.any", opts.axis, t.ndim);
  return keepDims(lax.reduceOr(t, axes), axes, opts.keepdims);
}

/** log(sum(exp(x))) computed stably by subtracting the max first. */
export function logsumexp(x: A, opts: ReduceOpts = {}): Tracer {
  const t = promoteArgs("np.logsumexp", x)[0];
  const f = isFloat(t.dtype) ? t : lax.convertElementType(t, "float32");
  const axes = axesOf("np.logsumexp", opts.axis, f.ndim);
  const m = lax.stopGradient(lax.reduceMax(f, axes));
  const mFinite = lax.select(lax.isFinite(m), m, 0);
  const mB = lax.broadcastInDim(mFinite, f.shape, f.shape.map((_, i) => i).filter((i) => !axes.includes(i)));
  const s = lax.reduceSum(lax.exp(lax.sub(f, mB)), axes);
  return keepDims(lax.add(lax.log(s), mFinite), axes, opts.keepdims);
}
