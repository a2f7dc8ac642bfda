/**
 * @file More of NumPy's elementwise math: closeness tests and array equality, sign handling
 * (copysign, signbit, heaviside), sinc, logaddexp2, ldexp, NaN-ignoring fmax/fmin, nanToNum,
 * and integer gcd/lcm (Euclid in one `while` loop). The axis-wise numerics (cumsum, diff,
 * gradient, interp...) live in calculus.ts and are re-exported here.
 */
import { type DType, broadcastShapes, isFloat, isInt } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { full } from "./creation.js";
import { whileLoop } from "./lax-control.js";
import { all } from "./reductions.js";
import { asTracer } from "./take-static.js";
import { type ArrayInput, binary, broadcastArgs, promoteArgs, promoteArgsInexact, unaryInexact, unaryNumeric } from "./util.js";

export * from "./calculus.js";

type A = ArrayInput;

const isnan = (t: Tracer) => lax.ne(t, t);

/** Options of the closeness tests (NumPy defaults). */
export interface CloseOpts {
  readonly rtol?: number;
  readonly atol?: number;
  readonly equalNan?: boolean;
}

/**
 * Elementwise `|a - b| <= atol + rtol * |b|`; infinities are close only to themselves and NaN
 * to nothing unless `equalNan`.
 *
 * @example np.isclose(np.array([1, 1.1]), [1.0000001, 1]) // [true, false]
 */
export function isclose(a: A, b: A, opts: CloseOpts = {}): Tracer {
  const { rtol = 1e-5, atol = 1e-8, equalNan = false } = opts;
  return binary("np.isclose", (x, y) => {
    const tol = lax.add(atol, lax.mul(rtol, lax.abs(y)));
    const finite = lax.bitwiseAnd(lax.isFinite(x), lax.isFinite(y));
    let r = lax.bitwiseOr(lax.eq(x, y), lax.bitwiseAnd(finite, lax.le(lax.abs(lax.sub(x, y)), tol)));
    if (equalNan) r = lax.bitwiseOr(r, lax.bitwiseAnd(isnan(x), isnan(y)));
    return r;
  }, a, b, true);
}

/** True when every pair is `isclose`. @example np.allclose(np.array([1, 2]), [1, 2.000001]) // true */
export const allclose = (a: A, b: A, opts: CloseOpts = {}): Tracer => all(isclose(a, b, opts));

const falseScalar = () => full([], false, { dtype: "bool" });

/**
 * True when both arrays have the same shape and elements (NaN equal to NaN with `equalNan`).
 *
 * @example np.arrayEqual(np.array([1, 2]), [1, 2]) // true
 */
export function arrayEqual(a: A, b: A, opts: { readonly equalNan?: boolean } = {}): Tracer {
  const [x, y] = promoteArgs("np.arrayEqual", a, b);
  if (x.ndim !== y.ndim || x.shape.some((d, i) => d !== y.shape[i])) return falseScalar();
  let eq = lax.eq(x, y);
  if (opts.equalNan && isFloat(x.dtype)) eq = lax.bitwiseOr(eq, lax.bitwiseAnd(isnan(x), isnan(y)));
  return all(eq);
}

/** True when the arrays broadcast together and are equal elementwise. @example np.arrayEquiv([1, 2], [[1, 2], [1, 2]]) // true */
export function arrayEquiv(a: A, b: A): Tracer {
  const [x, y] = promoteArgs("np.arrayEquiv", a, b);
  try {
    broadcastShapes("np.arrayEquiv", x.shape, y.shape);
  } catch {
    return falseScalar();
  }
  const [bx, by] = broadcastArgs("np.arrayEquiv", [x, y]);
  return all(lax.eq(bx, by));
}

/**
 * True where the sign bit is set, including -0 (and negative NaNs for float32).
 *
 * @example np.signbit(np.array([-1, -0, 2])) // [true, true, false]
 */
export function signbit(x: A): Tracer {
  return unaryNumeric("np.signbit", (t) => {
    if (t.dtype === "float32") return lax.lt(lax.bitcastConvertType(t, "int32"), 0);
    // No 64/16-bit integers to bitcast into: -0 is recognised by the sign of 1/x.
    if (isFloat(t.dtype)) return lax.bitwiseOr(lax.lt(t, 0), lax.bitwiseAnd(lax.eq(t, 0), lax.lt(lax.div(1, t), 0)));
    if (t.dtype === "int32") return lax.lt(t, 0);
    return lax.ne(t, t);
  }, x);
}

/** The magnitude of `x` with the sign of `y`. @example np.copysign(np.array([1, -2]), -1) // [-1, -2] */
export const copysign = (x: A, y: A) =>
  binary("np.copysign", (a, b) => {
    const mag = lax.abs(a);
    return lax.select(signbit(b), lax.neg(mag), mag);
  }, x, y, true);

/** Step function: 0 for x < 0, `h0` at 0, 1 for x > 0 (NaN stays NaN). @example np.heaviside(np.array([-1, 0, 2]), 0.5) // [0, 0.5, 1] */
export const heaviside = (x: A, h0: A) =>
  binary("np.heaviside", (a, h) => {
    const [ba, bh] = broadcastArgs("np.heaviside", [a, h], false);
    return lax.select(isnan(ba), ba, lax.select(lax.lt(ba, 0), 0, lax.select(lax.gt(ba, 0), 1, bh)));
  }, x, h0, true);

/** Normalized sinc, sin(pi x) / (pi x), equal to 1 at 0. @example np.sinc(np.array([0, 0.5])) // [1, 0.6366] */
export const sinc = (x: A) =>
  unaryInexact("np.sinc", (t) => {
    const zero = lax.eq(t, 0);
    // Dividing a safe stand-in keeps 0/0 out of the values and the gradients.
    const px = lax.select(zero, 1, lax.mul(t, Math.PI));
    return lax.select(zero, 1, lax.div(lax.sin(px), px));
  }, x);

/** log2(2^x + 2^y) without overflow. @example np.logaddexp2(1, 1) // 2 */
export const logaddexp2 = (x: A, y: A) =>
  binary("np.logaddexp2", (a, b) => {
    const d = lax.neg(lax.abs(lax.sub(a, b)));
    const safe = lax.select(lax.isFinite(d), d, -Infinity);
    return lax.add(lax.max(a, b), lax.div(lax.log1p(lax.exp2(safe)), Math.LN2));
  }, x, y, true);

/**
 * `x * 2**e` for integer exponents `e`.
 *
 * @example np.ldexp(5, np.array([-1, 2], { dtype: "int32" })) // [2.5, 20]
 */
export function ldexp(x: A, e: A): Tracer {
  const et = asTracer("np.ldexp", e);
  if (!isInt(et.dtype)) throw new TypeError(`np.ldexp: exponents must be integers, got ${et.dtype}; convert them with .astype("int32").`);
  const [xt] = promoteArgsInexact("np.ldexp", x);
  const k = et.dtype === "int32" ? et : lax.convertElementType(et, "int32");
  const [a, kb] = broadcastArgs("np.ldexp", [xt, k], false);
  // Two half-steps keep 2**k finite when x * 2**k is representable but 2**k alone is not.
  const k1 = lax.shiftRightArithmetic(kb, 1);
  const p = (v: Tracer) => lax.exp2(lax.convertElementType(v, a.dtype));
  return lax.mul(lax.mul(a, p(k1)), p(lax.sub(kb, k1)));
}

const nanIgnoring = (op: string, f: typeof lax.max) => (x: A, y: A) =>
  binary(op, (a, b) => (isFloat(a.dtype) ? lax.select(isnan(b), a, lax.select(isnan(a), b, f(a, b))) : f(a, b)), x, y);
/** Elementwise maximum that ignores a NaN operand. @example np.fmax(np.array([1, NaN]), [NaN, 2]) // [1, 2] */
export const fmax = nanIgnoring("np.fmax", lax.max);
/** Elementwise minimum that ignores a NaN operand. @example np.fmin(np.array([1, NaN]), 0) // [0, 0] */
export const fmin = nanIgnoring("np.fmin", lax.min);

const FLOAT_MAX: Partial<Record<DType, number>> = { float16: 65504, float32: 3.4028234663852886e38, float64: Number.MAX_VALUE };

/**
 * Replaces NaN with `nan` (0) and infinities with `posinf` / `neginf` (the largest finite values).
 *
 * @example np.nanToNum(np.array([NaN, Infinity])) // [0, 3.4028235e38]
 */
export function nanToNum(x: A, opts: { readonly nan?: number; readonly posinf?: number; readonly neginf?: number } = {}): Tracer {
  return unaryNumeric("np.nanToNum", (t) => {
    if (!isFloat(t.dtype)) return t;
    const big = FLOAT_MAX[t.dtype] as number;
    let r = lax.select(isnan(t), opts.nan ?? 0, t);
    r = lax.select(lax.eq(r, Infinity), opts.posinf ?? big, r);
    return lax.select(lax.eq(r, -Infinity), opts.neginf ?? -big, r);
  }, x);
}

const intArgs = (op: string, x: A, y: A): [Tracer, Tracer] => {
  const [a, b] = promoteArgs(op, x, y);
  if (!isInt(a.dtype)) throw new TypeError(`${op}: arguments must be integers, got ${a.dtype}; convert them with .astype("int32").`);
  const [ba, bb] = broadcastArgs(op, [a, b], false);
  return [ba, bb];
};

function gcdOf(a: Tracer, b: Tracer): Tracer {
  const start = a.dtype === "uint32" ? [a, b] : [lax.abs(a), lax.abs(b)];
  // Euclid on every element at once, looping until all are done: finished elements (y = 0) keep
  // their x, so the loop runs as many steps as the slowest element needs (at most 46 below 2^32).
  const [x] = whileLoop(
    ([, y]: Tracer[]) => lax.reduceOr(lax.ne(y, 0), y.shape.map((_, i) => i)),
    ([x, y]: Tracer[]) => {
      const done = lax.eq(y, 0);
      const r = lax.rem(x, lax.select(done, 1, y));
      return [lax.select(done, x, y), lax.select(done, 0, r)];
    },
    start,
  ) as Tracer[];
  return x;
}

/** Greatest common divisor of integers (non-negative). @example np.gcd(12, 20) // 4 */
export const gcd = (x: A, y: A): Tracer => gcdOf(...intArgs("np.gcd", x, y));

/** Least common multiple of integers (non-negative; 0 if either is 0). @example np.lcm(12, 20) // 60 */
export function lcm(x: A, y: A): Tracer {
  const [a, b] = intArgs("np.lcm", x, y);
  const g = gcdOf(a, b);
  const zero = lax.eq(g, 0);
  const r = lax.mul(lax.div(a, lax.select(zero, 1, g)), b);
  return lax.select(zero, 0, a.dtype === "uint32" ? r : lax.abs(r));
}
