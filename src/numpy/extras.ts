/**
 * @file The rest of NumPy 2's everyday API and the array-API standard names: aliases (acos,
 * concat, permuteDims, bitwiseInvert...), cumulativeSum/Prod, unstack, log- and geometric
 * spacing, vander, fromfunction, frexp/modf/divmod, the complex-number functions on real
 * arrays (Kiln has no complex dtypes, so they are identities, zeros or constant answers),
 * infinity and scalar tests, bitwiseCount, matvec/vecmat, applyOverAxes, histogramBinEdges
 * and astype. All are compositions of lax and other np functions, so they trace.
 */
import { type DType, ShapeError, isFloat, isInt } from "../ir/index.js";
import { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { type DtypeOpt, linspace } from "./creation.js";
import { matmul } from "./linalg-core.js";
import {
  arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, bitwiseNot, floorDivide, leftShift, remainder, rightShift,
} from "./math.js";
import { copysign, cumprod, cumsum, ldexp } from "./math-extra.js";
import { concatenate } from "./shape-ops.js";
import { constant } from "./sort-util.js";
import { histogram } from "./statistics.js";
import { asTracer, normAxis, sliceAxis } from "./take-static.js";
import { type ArrayInput, checkDtype, promoteArgsInexact, unaryInexact } from "./util.js";

type A = ArrayInput;

// ---- array-API spellings of existing functions ------------------------------------------------

/** Array-API name of `arccos`. @example np.acos(np.array([1])) // [0] */
export const acos = arccos;
/** Array-API name of `arcsin`. @example np.asin(np.array([0])) // [0] */
export const asin = arcsin;
/** Array-API name of `arctan`. @example np.atan(np.array([1])) // [0.7854] */
export const atan = arctan;
/** Array-API name of `arccosh`. @example np.acosh(np.array([1])) // [0] */
export const acosh = arccosh;
/** Array-API name of `arcsinh`. @example np.asinh(np.array([0])) // [0] */
export const asinh = arcsinh;
/** Array-API name of `arctanh`. @example np.atanh(np.array([0])) // [0] */
export const atanh = arctanh;
/** Array-API name of `arctan2`. @example np.atan2(1, np.array([-1])) // [2.3562] */
export const atan2 = arctan2;
/** Array-API name of `leftShift`. @example np.bitwiseLeftShift(1, np.array([3], { dtype: "int32" })) // [8] */
export const bitwiseLeftShift = leftShift;
/** Array-API name of `rightShift`. @example np.bitwiseRightShift(np.array([8], { dtype: "int32" }), 2) // [2] */
export const bitwiseRightShift = rightShift;
/** Array-API name of `bitwiseNot` / `invert`. @example np.bitwiseInvert(np.array([0], { dtype: "int32" })) // [-1] */
export const bitwiseInvert = bitwiseNot;

/**
 * Joins arrays along an existing axis; `axis: null` joins them flattened (array-API `concat`).
 *
 * @example np.concat([np.zeros([2, 2]), np.ones([1, 2])]) // f32[3,2]
 */
export function concat(xs: readonly A[], opts: { readonly axis?: number | null } = {}): Tracer {
  if (opts.axis === null) return concatenate(xs.map((x) => { const t = asTracer("np.concat", x); return lax.reshape(t, [t.size]); }), 0);
  return concatenate(xs, opts.axis ?? 0);
}

/**
 * Permutes the axes: `axes[i]` is the input axis that becomes output axis i (array-API name).
 *
 * @example np.permuteDims(np.zeros([2, 3, 4]), [2, 0, 1]).shape // [4, 2, 3]
 */
export function permuteDims(x: A, axes: readonly number[]): Tracer {
  const t = asTracer("np.permuteDims", x);
  const perm = axes.map((a) => (Number.isInteger(a) && a < 0 ? a + t.ndim : a));
  if (perm.length !== t.ndim || new Set(perm).size !== t.ndim || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= t.ndim)) {
    throw new ShapeError(
      `np.permuteDims: axes ${JSON.stringify(axes)} must be a permutation of 0..${t.ndim - 1} for an array of shape ` +
        `[${t.shape.join(", ")}]; list every axis once.`,
    );
  }
  return lax.transpose(t, perm);
}

/** Options of `cumulativeSum` / `cumulativeProd`. */
export interface CumulativeOpts extends DtypeOpt {
  /** Required unless the input is 1-D. */
  readonly axis?: number;
  /** Prepend the identity (0 or 1), so the result is one longer along `axis`. */
  readonly includeInitial?: boolean;
}

function cumulativeWith(op: string, f: typeof cumsum, identity: number, x: A, opts: CumulativeOpts): Tracer {
  const t = asTracer(op, x);
  if (t.ndim === 0) throw new ShapeError(`${op}: the input must have at least one axis, received a scalar; reshape it to [1].`);
  if (opts.axis === undefined && t.ndim > 1) {
    throw new ShapeError(`${op}: axis is required for an input of rank ${t.ndim} (shape [${t.shape.join(", ")}]); pass { axis }.`);
  }
  const ax = normAxis(op, opts.axis ?? 0, t.ndim);
  const out = f(t, { axis: ax, dtype: opts.dtype });
  if (!opts.includeInitial) return out;
  const shape = t.shape.map((d, i) => (i === ax ? 1 : d));
  return lax.concatenate([lax.broadcastInDim(constant(identity, out.dtype), shape, []), out], ax);
}

/**
 * Cumulative sum along `axis` (NumPy 2 / array-API `cumulative_sum`), optionally starting at 0.
 *
 * @example np.cumulativeSum(np.array([1, 2, 3]), { includeInitial: true }) // [0, 1, 3, 6]
 */
export const cumulativeSum = (x: A, opts: CumulativeOpts = {}) => cumulativeWith("np.cumulativeSum", cumsum, 0, x, opts);
/**
 * Cumulative product along `axis`, optionally starting at 1.
 *
 * @example np.cumulativeProd(np.array([[1, 2], [3, 4]]), { axis: 1 }) // [[1, 2], [3, 12]]
 */
export const cumulativeProd = (x: A, opts: CumulativeOpts = {}) => cumulativeWith("np.cumulativeProd", cumprod, 1, x, opts);

/**
 * Splits `x` into the arrays along `axis`, each without that axis (inverse of `stack`).
 *
 * @example np.unstack(np.array([[1, 2], [3, 4]]), { axis: 1 }) // [[1, 3], [2, 4]]
 */
export function unstack(x: A, opts: { readonly axis?: number } = {}): Tracer[] {
  const t = asTracer("np.unstack", x);
  if (t.ndim === 0) throw new ShapeError("np.unstack: the input must have at least one axis, received a scalar.");
  const ax = normAxis("np.unstack", opts.axis ?? 0, t.ndim);
  const rest = t.shape.filter((_, i) => i !== ax);
  return Array.from({ length: t.shape[ax] }, (_, i) => lax.reshape(sliceAxis(t, ax, i, i + 1), rest));
}

// ---- spacing and construction -------------------------------------------------------------------

type SpaceOpts = DtypeOpt & { readonly endpoint?: boolean };

/**
 * `num` samples `base ** v` for v evenly spaced from `start` to `stop` (computed in float64).
 *
 * @example np.logspace(0, 3, 4) // [1, 10, 100, 1000]
 */
export function logspace(start: number, stop: number, num = 50, opts: SpaceOpts & { readonly base?: number } = {}): Tracer {
  const exps = linspace(start, stop, num, { endpoint: opts.endpoint, dtype: "float64" });
  const v = lax.pow(lax.convertElementType(opts.base ?? 10, "float64"), exps);
  return lax.convertElementType(v, opts.dtype ? checkDtype("np.logspace", opts.dtype) : "float32");
}

/**
 * `num` samples in geometric progression from `start` to `stop` (same sign, non-zero); the
 * endpoints are exact. Integer dtypes truncate, as NumPy's `astype` does.
 *
 * @example np.geomspace(1, 1000, 4) // [1, 10, 100, 1000]
 */
export function geomspace(start: number, stop: number, num = 50, opts: SpaceOpts = {}): Tracer {
  if (start === 0 || stop === 0) throw new RangeError(`np.geomspace: a geometric sequence cannot include 0; received start ${start}, stop ${stop}.`);
  if (Math.sign(start) !== Math.sign(stop)) {
    throw new RangeError(`np.geomspace: start ${start} and stop ${stop} must have the same sign (Kiln has no complex results).`);
  }
  const sign = Math.sign(start);
  const endpoint = opts.endpoint ?? true;
  let v = logspace(Math.log10(start * sign), Math.log10(stop * sign), num, { endpoint, dtype: "float64" });
  const idx = lax.iota("int32", [num]);
  const pin = (i: number, value: number) => (v = lax.select(lax.eq(idx, i), lax.broadcastInDim(constant(value, "float64"), [num], []), v));
  if (num > 0) pin(0, start * sign);
  if (num > 1 && endpoint) pin(num - 1, stop * sign);
  v = lax.mul(v, constant(sign, "float64"));
  const dtype = opts.dtype ? checkDtype("np.geomspace", opts.dtype) : "float32";
  return lax.convertElementType(v, dtype);
}

/**
 * The Vandermonde matrix of a 1-D `x`: columns are powers of x, decreasing from `N - 1` (default
 * `len(x)`) to 0, or increasing with `increasing: true`. 0 ** 0 is 1.
 *
 * @example np.vander(np.array([1, 2, 3]), { N: 3 }) // [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
 */
export function vander(x: A, opts: { readonly N?: number; readonly increasing?: boolean } = {}): Tracer {
  let t = asTracer("np.vander", x);
  if (t.ndim !== 1) throw new ShapeError(`np.vander: x must be 1-D, received shape [${t.shape.join(", ")}].`);
  if (t.dtype === "bool") t = lax.convertElementType(t, "int32");
  const n = t.shape[0];
  const N = opts.N ?? n;
  if (!Number.isInteger(N) || N < 0) throw new RangeError(`np.vander: N must be a non-negative integer, received ${N}.`);
  const grid = lax.broadcastInDim(t, [n, N], [0]);
  // Column j is the product of j copies of x: a cumulative product over [1, x, x, ...].
  const first = lax.eq(lax.iota("int32", [n, N], 1), 0);
  const pows = lax.cumprod(lax.select(first, lax.broadcastInDim(constant(1, t.dtype), [n, N], []), grid), 1);
  return opts.increasing ? pows : lax.rev(pows, [1]);
}

/**
 * Calls `fn` once with one index array per axis of `shape` (each of that full shape), as
 * NumPy's `fromfunction`; `fn` must therefore work on whole arrays.
 *
 * @example np.fromfunction((i, j) => i.add(j), [2, 3]) // [[0, 1, 2], [1, 2, 3]]
 */
export function fromfunction<R>(fn: (...indices: Tracer[]) => R, shape: readonly number[], opts: DtypeOpt = {}): R {
  const dtype = opts.dtype ? checkDtype("np.fromfunction", opts.dtype) : "float32";
  return fn(...shape.map((_, i) => lax.iota(dtype, shape, i)));
}

// ---- decompositions -------------------------------------------------------------------------------

/**
 * Splits `x` into mantissa and exponent, `x = m * 2 ** e` with 0.5 <= |m| < 1 (e int32);
 * 0, infinities and NaN give (x, 0).
 *
 * @example np.frexp(np.array([8, -0.75, 0])) // [[0.5, -0.75, 0], [4, 0, 0]]
 */
export function frexp(x: A): [Tracer, Tracer] {
  const [t] = promoteArgsInexact("np.frexp", x);
  const special = lax.bitwiseOr(lax.eq(t, 0), lax.bitwiseNot(lax.isFinite(t)));
  const a = lax.select(special, 1, lax.abs(t));
  // floor(log2|x|) + 1 may be off by one where log rounds; one correction step each way fixes it.
  let e = lax.add(lax.convertElementType(lax.floor(lax.div(lax.log(a), constant(Math.LN2, t.dtype))), "int32"), 1);
  let m = ldexp(t, lax.neg(e));
  const big = lax.ge(lax.abs(m), 1);
  m = lax.select(big, lax.mul(m, 0.5), m);
  e = lax.select(big, lax.add(e, 1), e);
  const small = lax.lt(lax.abs(m), 0.5);
  m = lax.select(small, lax.mul(m, 2), m);
  e = lax.select(small, lax.sub(e, 1), e);
  return [lax.select(special, t, m), lax.select(special, lax.broadcastInDim(constant(0, "int32"), t.shape, []), e)];
}

/**
 * Fractional and integral parts, both with the sign of `x` (NumPy's `modf`: an infinity has
 * fraction ±0).
 *
 * @example np.modf(np.array([3.5, -2.25])) // [[0.5, -0.25], [3, -2]]
 */
export function modf(x: A): [Tracer, Tracer] {
  const [t] = promoteArgsInexact("np.modf", x);
  const whole = lax.select(lax.lt(t, 0), lax.ceil(t), lax.floor(t));
  const frac = lax.select(lax.eq(lax.abs(t), Infinity), 0, lax.sub(t, whole));
  return [copysign(frac, t), whole];
}

/**
 * `[floorDivide(x, y), remainder(x, y)]`, so `x = q * y + r` with r taking y's sign.
 *
 * @example np.divmod(np.array([7, -7], { dtype: "int32" }), 2) // [[3, -4], [1, 1]]
 */
export const divmod = (x: A, y: A): [Tracer, Tracer] => [floorDivide(x, y), remainder(x, y)];

// ---- complex-number functions on real arrays -------------------------------------------------------

/** The real part: `x` itself, as Kiln arrays are real. @example np.real(np.array([1.5])) // [1.5] */
export const real = (x: A): Tracer => asTracer("np.real", x);
/** The imaginary part: zeros of `x`'s shape and dtype. @example np.imag(np.array([1.5])) // [0] */
export function imag(x: A): Tracer {
  const t = asTracer("np.imag", x);
  return lax.broadcastInDim(constant(0, t.dtype), t.shape, []);
}
/** Complex conjugate: `x` itself for real arrays. @example np.conj(np.array([2])) // [2] */
export const conj = (x: A): Tracer => asTracer("np.conj", x);
/** Alias of `conj`. @example np.conjugate(np.array([2])) // [2] */
export const conjugate = conj;

/**
 * The argument of each element: 0 for x >= +0, pi for x < 0 and -0, NaN for NaN; in degrees
 * with `deg: true`.
 *
 * @example np.angle(np.array([2, -2])) // [0, 3.1416]
 */
export function angle(x: A, opts: { readonly deg?: boolean } = {}): Tracer {
  return unaryInexact("np.angle", (t) => {
    const r = lax.atan2(lax.broadcastInDim(constant(0, t.dtype), t.shape, []), t);
    return opts.deg ? lax.mul(r, constant(180 / Math.PI, t.dtype)) : r;
  }, x);
}

const boolFill = (x: A, op: string, v: boolean): Tracer =>
  lax.broadcastInDim(constant(v ? 1 : 0, "bool"), asTracer(op, x).shape, []);
/** True everywhere: every element of a real array is real. @example np.isreal(np.array([1, NaN])) // [true, true] */
export const isreal = (x: A): Tracer => boolFill(x, "np.isreal", true);
/** False everywhere: no element of a real array is complex. @example np.iscomplex(np.array([1])) // [false] */
export const iscomplex = (x: A): Tracer => boolFill(x, "np.iscomplex", false);
/** Whether `x` has a real dtype: always true in Kiln. @example np.isrealobj(np.array([1])) // true */
export const isrealobj = (_x: A): boolean => true;
/** Whether `x` has a complex dtype: always false in Kiln. @example np.iscomplexobj(np.array([1])) // false */
export const iscomplexobj = (_x: A): boolean => false;

// ---- predicates ------------------------------------------------------------------------------------

const infTest = (op: string, v: number) => (x: A): Tracer => {
  const t = asTracer(op, x);
  return isFloat(t.dtype) ? lax.eq(t, constant(v, t.dtype)) : lax.broadcastInDim(constant(0, "bool"), t.shape, []);
};
/** True where x is +infinity. @example np.isposinf(np.array([Infinity, -Infinity, 1])) // [true, false, false] */
export const isposinf = infTest("np.isposinf", Infinity);
/** True where x is -infinity. @example np.isneginf(np.array([Infinity, -Infinity, 1])) // [false, true, false] */
export const isneginf = infTest("np.isneginf", -Infinity);

/**
 * Whether `x` is a scalar: a JS number or boolean, or (as in jax.numpy) a rank-0 Array.
 *
 * @example np.isscalar(np.array(3)) // true; np.isscalar([3]) // false
 */
export const isscalar = (x: unknown): boolean =>
  typeof x === "number" || typeof x === "boolean" || (x instanceof Tracer && x.ndim === 0);

// ---- bits, products, axes, histograms, casts ---------------------------------------------------------

/**
 * Number of 1 bits in |x| for integers and bools (NumPy 2's `bitwise_count`); uint32 results,
 * as Kiln has no uint8.
 *
 * @example np.bitwiseCount(np.array([7, -8, 0], { dtype: "int32" })) // [3, 1, 0]
 */
export function bitwiseCount(x: A): Tracer {
  const t = asTracer("np.bitwiseCount", x);
  if (!isInt(t.dtype) && t.dtype !== "bool") {
    throw new TypeError(`np.bitwiseCount: expected an integer or bool array, received ${t.dtype}; convert it with .astype("int32").`);
  }
  // |INT_MIN| wraps to INT_MIN, whose bit pattern 2^31 has the right count.
  let v = t.dtype === "uint32" ? t : lax.bitcastConvertType(t.dtype === "bool" ? lax.convertElementType(t, "int32") : lax.abs(t), "uint32");
  const c = (n: number) => constant(n, "uint32");
  const shr = (u: Tracer, k: number) => lax.shiftRightLogical(u, c(k));
  // Sums of adjacent 1-, 2-, 4-bit fields, then bytes folded together: no multiply that could round.
  v = lax.sub(v, lax.bitwiseAnd(shr(v, 1), c(0x55555555)));
  v = lax.add(lax.bitwiseAnd(v, c(0x33333333)), lax.bitwiseAnd(shr(v, 2), c(0x33333333)));
  v = lax.bitwiseAnd(lax.add(v, shr(v, 4)), c(0x0f0f0f0f));
  v = lax.add(v, shr(v, 8));
  v = lax.add(v, shr(v, 16));
  return lax.bitwiseAnd(v, c(0x3f));
}

/**
 * Matrix-vector product over the last axes with broadcast batch axes: [..., m, n] x [..., n] -> [..., m].
 *
 * @example np.matvec(np.array([[1, 2], [3, 4]]), np.array([1, 1])) // [3, 7]
 */
export function matvec(a: A, v: A): Tracer {
  const [m, x] = [asTracer("np.matvec", a), asTracer("np.matvec", v)];
  if (m.ndim < 2 || x.ndim < 1) {
    throw new ShapeError(`np.matvec: expected a matrix [..., m, n] and a vector [..., n], received [${m.shape.join(", ")}] and [${x.shape.join(", ")}].`);
  }
  const out = matmul(m, lax.expandDims(x, [x.ndim]));
  return lax.squeeze(out, [out.ndim - 1]);
}

/**
 * Vector-matrix product over the last axes with broadcast batch axes: [..., n] x [..., n, m] -> [..., m].
 *
 * @example np.vecmat(np.array([1, 1]), np.array([[1, 2], [3, 4]])) // [4, 6]
 */
export function vecmat(v: A, a: A): Tracer {
  const [x, m] = [asTracer("np.vecmat", v), asTracer("np.vecmat", a)];
  if (m.ndim < 2 || x.ndim < 1) {
    throw new ShapeError(`np.vecmat: expected a vector [..., n] and a matrix [..., n, m], received [${x.shape.join(", ")}] and [${m.shape.join(", ")}].`);
  }
  const out = matmul(lax.expandDims(x, [x.ndim - 1]), m);
  return lax.squeeze(out, [out.ndim - 2]);
}

/**
 * Applies `fn(a, axis)` for each axis in turn; a result that lost the axis gets it back as size 1
 * (NumPy's `apply_over_axes`).
 *
 * @example np.applyOverAxes((t, ax) => np.sum(t, { axis: ax }), x /* [2, 3, 4] *\/, [0, 2]) // [1, 3, 1]
 */
export function applyOverAxes(fn: (a: Tracer, axis: number) => Tracer, a: A, axes: number | readonly number[]): Tracer {
  let t = asTracer("np.applyOverAxes", a);
  for (const raw of typeof axes === "number" ? [axes] : axes) {
    const axis = normAxis("np.applyOverAxes", raw, t.ndim);
    const r = fn(t, axis);
    if (r.ndim === t.ndim) t = r;
    else if (r.ndim === t.ndim - 1) t = lax.expandDims(r, [axis]);
    else {
      throw new ShapeError(
        `np.applyOverAxes: fn must keep the rank (${t.ndim}) or drop one axis, but returned shape [${r.shape.join(", ")}] for axis ${axis}.`,
      );
    }
  }
  return t;
}

/**
 * The bin edges `histogram` would use: `bins` equal bins over `range` (default: the data's min
 * and max, widened by 0.5 each way when they are equal), or the given edges.
 *
 * @example np.histogramBinEdges(np.array([1, 2, 5]), { bins: 4 }) // [1, 2, 3, 4, 5]
 */
export function histogramBinEdges(a: A, opts: { readonly bins?: number | A; readonly range?: readonly [number, number] } = {}): Tracer {
  const [counts, edges] = histogram(a, { bins: opts.bins, range: opts.range });
  counts.dispose();
  return edges;
}

/**
 * `x` converted to `dtype` (NumPy 2's function form of `.astype`); floats to ints truncate.
 *
 * @example np.astype(np.array([1.7, -1.7]), "int32") // [1, -1]
 */
export function astype(x: A, dtype: DType): Tracer {
  const d = checkDtype("np.astype", dtype);
  const t = asTracer("np.astype", x);
  return t.dtype === d && !t.weakType ? t : lax.convertElementType(t, d);
}
