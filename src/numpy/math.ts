/**
 * @file Elementwise math with NumPy broadcasting and JAX promotion: arithmetic, powers,
 * exponentials and logs, trigonometry, rounding, comparisons and logic.
 */
import { isFloat, isInt } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { type ArrayInput, asLike, binary, broadcastArgs, cast, promoteArgs, typeOf, unaryInexact, unaryNumeric } from "./util.js";

type A = ArrayInput;

/** @example np.add(x, 1) */
export const add = (x: A, y: A) => binary("np.add", lax.add, x, y);
export const subtract = (x: A, y: A) => binary("np.subtract", lax.sub, x, y);
export const multiply = (x: A, y: A) => binary("np.multiply", lax.mul, x, y);
/** True division: integers are promoted to float first. */
export const divide = (x: A, y: A) => binary("np.divide", lax.div, x, y, true);
export const trueDivide = divide;
export const maximum = (x: A, y: A) => binary("np.maximum", lax.max, x, y);
export const minimum = (x: A, y: A) => binary("np.minimum", lax.min, x, y);
export const arctan2 = (x: A, y: A) => binary("np.arctan2", lax.atan2, x, y, true);
export const nextafter = (x: A, y: A) => binary("np.nextafter", lax.nextafter, x, y, true);

/** Floor division, rounding towards -inf like NumPy (lax.div truncates). */
export const floorDivide = (x: A, y: A) =>
  binary("np.floorDivide", (a, b) => {
    if (isFloat(a.dtype)) {
      // Via the remainder, as NumPy and JAX do: floor(a / b) would round 1 / 0.1 up to 10
      // although 0.1 * 10 > 1; (a - fmod(a, b)) / b is within rounding of an integer.
      const m = lax.rem(a, b);
      const d = lax.div(lax.sub(a, m), b);
      const fixd = lax.bitwiseAnd(lax.ne(m, 0), lax.ne(lax.lt(m, 0), lax.lt(b, 0)));
      const q = lax.round(lax.select(fixd, lax.sub(d, 1), d), "to_nearest_even");
      return lax.select(lax.eq(b, 0), lax.div(a, b), q);
    }
    const q = lax.div(a, b);
    // Truncation rounded the wrong way when signs differ and the division was inexact.
    const fix = lax.bitwiseAnd(lax.ne(lax.rem(a, b), 0), lax.ne(lax.lt(a, 0), lax.lt(b, 0)));
    return a.dtype === "uint32" ? q : lax.select(fix, lax.sub(q, 1), q);
  }, x, y);

/** Remainder with the sign of the divisor (NumPy `mod`); `fmod` keeps the dividend's sign. */
export const remainder = (x: A, y: A) =>
  binary("np.remainder", (a, b) => {
    const r = lax.rem(a, b);
    if (a.dtype === "uint32") return r;
    const fix = lax.bitwiseAnd(lax.ne(r, 0), lax.ne(lax.lt(r, 0), lax.lt(b, 0)));
    return lax.select(fix, lax.add(r, b), r);
  }, x, y);
export const mod = remainder;
export const fmod = (x: A, y: A) => binary("np.fmod", lax.rem, x, y);

/** Power; integer exponents of integer arrays stay integer. */
export const power = (x: A, y: A) => {
  if (typeof y === "number" && Number.isInteger(y) && Math.abs(y) <= 64) {
    const [t] = promoteArgs("np.power", x);
    if (y >= 0 || isFloat(t.dtype)) return lax.integerPow(t, y);
  }
  const [a] = promoteArgs("np.power", x, y);
  if (isInt(a.dtype)) {
    // Integer ** integer array: compute in float64 and convert back (exact below 2^53).
    return binary("np.power", (p, q) => lax.convertElementType(lax.pow(lax.convertElementType(p, "float64"), lax.convertElementType(q, "float64")), p.dtype), x, y);
  }
  return binary("np.power", lax.pow, x, y, true);
};
export const pow = power;
export const floatPower = (x: A, y: A) => binary("np.floatPower", lax.pow, x, y, true);

export const negative = (x: A) => unaryNumeric("np.negative", lax.neg, x);
export const positive = (x: A) => unaryNumeric("np.positive", (a) => a, x);
export const abs = (x: A) => unaryNumeric("np.abs", (a) => (a.dtype === "bool" || a.dtype === "uint32" ? a : lax.abs(a)), x);
export const absolute = abs;
export const fabs = (x: A) => unaryInexact("np.fabs", lax.abs, x);
export const sign = (x: A) => unaryNumeric("np.sign", (a) => (a.dtype === "bool" ? a : lax.sign(a)), x);
export const square = (x: A) => unaryNumeric("np.square", (a) => (a.dtype === "bool" ? a : lax.square(a)), x);
export const reciprocal = (x: A) => unaryInexact("np.reciprocal", (a) => lax.div(1, a), x);

export const exp = (x: A) => unaryInexact("np.exp", lax.exp, x);
export const exp2 = (x: A) => unaryInexact("np.exp2", lax.exp2, x);
export const expm1 = (x: A) => unaryInexact("np.expm1", lax.expm1, x);
export const log = (x: A) => unaryInexact("np.log", lax.log, x);
/**
 * A constant in `a`'s dtype computed from small exact integers: a JS constant such as Math.LN2
 * would first become a weak float32 scalar and lose its low bits on float64 arrays. On literal
 * inputs these ops fold at trace time, so staged programs still show one literal.
 */
const typed = (a: Tracer, v: number) => lax.convertElementType(v, a.dtype);
const ln = (a: Tracer, v: number) => lax.log(typed(a, v));
const pi = (a: Tracer) => lax.acos(typed(a, -1));

export const log2 = (x: A) => unaryInexact("np.log2", (a) => lax.div(lax.log(a), ln(a, 2)), x);
export const log10 = (x: A) => unaryInexact("np.log10", (a) => lax.div(lax.log(a), ln(a, 10)), x);
export const log1p = (x: A) => unaryInexact("np.log1p", lax.log1p, x);
export const sqrt = (x: A) => unaryInexact("np.sqrt", lax.sqrt, x);
export const cbrt = (x: A) => unaryInexact("np.cbrt", lax.cbrt, x);
/** log(exp(x) + exp(y)) without overflow. */
export const logaddexp = (x: A, y: A) =>
  binary("np.logaddexp", (a, b) => {
    const m = lax.max(a, b);
    const d = lax.neg(lax.abs(lax.sub(a, b)));
    // Where both are -inf the difference is NaN; the answer is m itself.
    const safe = lax.select(lax.isFinite(d), d, -Infinity);
    return lax.add(m, lax.log1p(lax.exp(safe)));
  }, x, y, true);

export const sin = (x: A) => unaryInexact("np.sin", lax.sin, x);
export const cos = (x: A) => unaryInexact("np.cos", lax.cos, x);
export const tan = (x: A) => unaryInexact("np.tan", lax.tan, x);
export const arcsin = (x: A) => unaryInexact("np.arcsin", lax.asin, x);
export const arccos = (x: A) => unaryInexact("np.arccos", lax.acos, x);
export const arctan = (x: A) => unaryInexact("np.arctan", lax.atan, x);
export const sinh = (x: A) => unaryInexact("np.sinh", lax.sinh, x);
export const cosh = (x: A) => unaryInexact("np.cosh", lax.cosh, x);
export const tanh = (x: A) => unaryInexact("np.tanh", lax.tanh, x);
export const arcsinh = (x: A) => unaryInexact("np.arcsinh", lax.asinh, x);
export const arccosh = (x: A) => unaryInexact("np.arccosh", lax.acosh, x);
export const arctanh = (x: A) => unaryInexact("np.arctanh", lax.atanh, x);
export const deg2rad = (x: A) => unaryInexact("np.deg2rad", (a) => lax.mul(a, lax.div(pi(a), typed(a, 180))), x);
export const rad2deg = (x: A) => unaryInexact("np.rad2deg", (a) => lax.mul(a, lax.div(typed(a, 180), pi(a))), x);
export const radians = deg2rad;
export const degrees = rad2deg;
/** sqrt(x^2 + y^2) scaled by max(|x|, |y|) so that the squares cannot overflow or underflow. */
export const hypot = (x: A, y: A) =>
  binary("np.hypot", (a, b) => {
    const [ax, bx] = [lax.abs(a), lax.abs(b)];
    const hi = lax.max(ax, bx);
    const lo = lax.min(ax, bx);
    // hi = 0 gives 0/0; hi = inf gives inf/inf: both are fixed by the selects below.
    const r = lax.div(lo, hi);
    const h = lax.mul(hi, lax.sqrt(lax.add(1, lax.square(r))));
    return lax.select(lax.eq(hi, 0), hi, lax.select(lax.eq(hi, Infinity), hi, h));
  }, x, y, true);

const intPassthrough = (op: string, f: (a: Tracer) => Tracer) => (x: A) =>
  unaryNumeric(op, (a) => (isFloat(a.dtype) ? f(a) : a), x);
export const floor = intPassthrough("np.floor", lax.floor);
export const ceil = intPassthrough("np.ceil", lax.ceil);
/** Rounds half to even, like NumPy. */
export const round = (x: A, decimals = 0) =>
  unaryNumeric("np.round", (a) => {
    if (!isFloat(a.dtype)) return a;
    if (decimals === 0) return lax.round(a, "to_nearest_even");
    // 10^-k is not exact in binary; dividing by the exact 10^k keeps negative decimals right.
    if (decimals < 0) {
      const f = 10 ** -decimals;
      return lax.mul(lax.round(lax.div(a, f), "to_nearest_even"), f);
    }
    const f = 10 ** decimals;
    return lax.div(lax.round(lax.mul(a, f), "to_nearest_even"), f);
  }, x);
export const around = round;
export const rint = (x: A) => round(x);
export const trunc = intPassthrough("np.trunc", (a) => lax.select(lax.lt(a, 0), lax.ceil(a), lax.floor(a)));
export const fix = trunc;

const cmp = (op: string, f: (a: Tracer, b: Tracer) => Tracer) => (x: A, y: A) => binary(op, f, x, y);
export const equal = cmp("np.equal", lax.eq);
export const notEqual = cmp("np.notEqual", lax.ne);
export const less = cmp("np.less", lax.lt);
export const lessEqual = cmp("np.lessEqual", lax.le);
export const greater = cmp("np.greater", lax.gt);
export const greaterEqual = cmp("np.greaterEqual", lax.ge);

const toBool = (x: A) => {
  const t = asLike("np.logical", x);
  const spec = typeOf(t);
  return spec.dtype === "bool" ? cast(t, spec) : lax.ne(cast(t, spec), 0);
};
export const logicalAnd = (x: A, y: A) => binary("np.logicalAnd", lax.bitwiseAnd, toBool(x), toBool(y));
export const logicalOr = (x: A, y: A) => binary("np.logicalOr", lax.bitwiseOr, toBool(x), toBool(y));
export const logicalXor = (x: A, y: A) => binary("np.logicalXor", lax.bitwiseXor, toBool(x), toBool(y));
export const logicalNot = (x: A) => lax.bitwiseNot(toBool(x));

export const bitwiseAnd = (x: A, y: A) => binary("np.bitwiseAnd", lax.bitwiseAnd, x, y);
export const bitwiseOr = (x: A, y: A) => binary("np.bitwiseOr", lax.bitwiseOr, x, y);
export const bitwiseXor = (x: A, y: A) => binary("np.bitwiseXor", lax.bitwiseXor, x, y);
export const bitwiseNot = (x: A) => unaryNumeric("np.bitwiseNot", lax.bitwiseNot, x);
export const invert = bitwiseNot;
export const leftShift = (x: A, y: A) => binary("np.leftShift", lax.shiftLeft, x, y);
export const rightShift = (x: A, y: A) =>
  binary("np.rightShift", (a, b) => (a.dtype === "uint32" ? lax.shiftRightLogical(a, b) : lax.shiftRightArithmetic(a, b)), x, y);

export const isfinite = (x: A) => unaryNumeric("np.isfinite", (a) => (isFloat(a.dtype) ? lax.isFinite(a) : lax.eq(a, a)), x);
export const isnan = (x: A) => unaryNumeric("np.isnan", (a) => lax.ne(a, a), x);
export const isinf = (x: A) =>
  unaryNumeric("np.isinf", (a) => (isFloat(a.dtype) ? lax.eq(lax.abs(a), Infinity) : lax.ne(a, a)), x);

/** Clips values to [min, max]; either bound may be null. */
export function clip(x: A, min: A | null, max: A | null): Tracer {
  let t = promoteArgs("np.clip", x)[0];
  if (min !== null) t = maximum(t, min);
  if (max !== null) t = minimum(t, max);
  return t;
}

/** Elementwise choice: `cond ? x : y` with broadcasting. */
export function where(cond: A, x: A, y: A): Tracer {
  const [a, b] = promoteArgs("np.where", x, y);
  const [c, aa, bb] = broadcastArgs("np.where", [toBool(cond), a, b], false);
  return lax.select(c, aa, bb);
}
