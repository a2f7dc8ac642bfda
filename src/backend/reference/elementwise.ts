/**
 * @file Reference impls of elementwise primitives, written for clarity.
 *
 * Floats compute in float64 and round on store (Float32Array rounds to float32, float16 is
 * rounded by the backend after every op). Integers wrap like two's complement (Math.imul for
 * products). Integer division truncates; x/0 gives -1 (int32) or 0xFFFFFFFF (uint32), x%0 gives x,
 * as XLA does on CPU. Float -> int conversion truncates, saturates, and maps NaN to 0.
 */
import { type DType, Prim, type ShapedArray, type TypedArray, isFloat, allocTyped } from "../../ir/index.js";
import type { Impl, RefArray } from "./ref-array.js";
import { alloc } from "./ref-array.js";
import { erf, erfc, erfinv, lgamma, digamma } from "./special.js";
import { nextafter } from "./float-bits.js";

type Unary = (x: number, dtype: DType) => number;
type Binary = (a: number, b: number, dtype: DType) => number;

const isInt = (d: DType) => d === "int32" || d === "uint32";

// |x| + 0.5 would round up for the largest double below 0.5; comparing the exact fraction does not.
export const roundAway = (x: number) => {
  const t = Math.trunc(x);
  return Math.abs(x - t) >= 0.5 ? t + Math.sign(x) : t;
};
export const roundEven = (x: number) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

export const UNARY_FNS: Record<string, Unary> = {
  [Prim.Neg]: (x) => -x,
  [Prim.Sign]: (x, d) => (d === "uint32" ? (x > 0 ? 1 : 0) : Number.isNaN(x) ? NaN : Math.sign(x)),
  [Prim.Floor]: Math.floor,
  [Prim.Ceil]: Math.ceil,
  [Prim.Abs]: (x) => Math.abs(x),
  [Prim.Exp]: Math.exp,
  [Prim.Exp2]: (x) => 2 ** x,
  [Prim.Log]: Math.log,
  [Prim.Log1p]: Math.log1p,
  [Prim.Expm1]: Math.expm1,
  [Prim.Sqrt]: Math.sqrt,
  [Prim.Rsqrt]: (x) => 1 / Math.sqrt(x),
  [Prim.Cbrt]: Math.cbrt,
  [Prim.Sin]: Math.sin,
  [Prim.Cos]: Math.cos,
  [Prim.Tan]: Math.tan,
  [Prim.Asin]: Math.asin,
  [Prim.Acos]: Math.acos,
  [Prim.Atan]: Math.atan,
  [Prim.Sinh]: Math.sinh,
  [Prim.Cosh]: Math.cosh,
  [Prim.Tanh]: Math.tanh,
  [Prim.Asinh]: Math.asinh,
  [Prim.Acosh]: Math.acosh,
  [Prim.Atanh]: Math.atanh,
  [Prim.Logistic]: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  [Prim.Erf]: erf,
  [Prim.Erfc]: erfc,
  [Prim.ErfInv]: erfinv,
  [Prim.Lgamma]: lgamma,
  [Prim.Digamma]: digamma,
  [Prim.Square]: (x, d) => (isInt(d) ? Math.imul(x, x) : x * x),
  [Prim.IsFinite]: (x) => (Number.isFinite(x) ? 1 : 0),
  [Prim.Not]: (x, d) => (d === "bool" ? (x ? 0 : 1) : ~x),
};

const intDiv = (a: number, b: number, d: DType) =>
  b === 0 ? (d === "uint32" ? 0xffffffff : -1) : Math.trunc(a / b);

const shift = (kind: "l" | "rl" | "ra") => (a: number, b: number, d: DType) => {
  const bits = d === "uint32" ? b >>> 0 : b;
  if (bits < 0 || bits >= 32) return kind === "ra" ? ((a | 0) < 0 ? -1 : 0) : 0;
  return kind === "l" ? a << bits : kind === "rl" ? a >>> bits : (a | 0) >> bits;
};

export const BINARY_FNS: Record<string, Binary> = {
  [Prim.Add]: (a, b, d) => (d === "bool" ? a | b : a + b),
  [Prim.Sub]: (a, b) => a - b,
  [Prim.Mul]: (a, b, d) => (d === "bool" ? a & b : isInt(d) ? Math.imul(a, b) : a * b),
  [Prim.Div]: (a, b, d) => (isInt(d) ? intDiv(a, b, d) : a / b),
  [Prim.Rem]: (a, b, d) => (isInt(d) && b === 0 ? a : a % b),
  [Prim.Pow]: Math.pow,
  [Prim.Max]: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  [Prim.Min]: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  [Prim.Atan2]: Math.atan2,
  [Prim.Nextafter]: (a, b, d) => nextafter(a, b, d === "float64" ? "double" : d === "float16" ? "half" : "single"),
  [Prim.And]: (a, b) => a & b,
  [Prim.Or]: (a, b) => a | b,
  [Prim.Xor]: (a, b) => a ^ b,
  [Prim.ShiftLeft]: shift("l"),
  [Prim.ShiftRightLogical]: shift("rl"),
  [Prim.ShiftRightArithmetic]: shift("ra"),
  [Prim.Eq]: (a, b) => (a === b ? 1 : 0),
  [Prim.Ne]: (a, b) => (a !== b ? 1 : 0),
  [Prim.Lt]: (a, b) => (a < b ? 1 : 0),
  [Prim.Le]: (a, b) => (a <= b ? 1 : 0),
  [Prim.Gt]: (a, b) => (a > b ? 1 : 0),
  [Prim.Ge]: (a, b) => (a >= b ? 1 : 0),
};

/** Reads element i of an operand that may be a scalar broadcast against the output. */
const at = (x: RefArray, i: number) => (x.shape.length === 0 ? x.data[0] : x.data[i]);

export const unaryImpl =
  (fn: Unary): Impl<Prim> =>
  ([x], _p, [out]) => {
    const o = alloc(out);
    for (let i = 0; i < o.length; i++) o[i] = fn(x.data[i], x.dtype);
    return [o];
  };

export const binaryImpl =
  (fn: Binary): Impl<Prim> =>
  ([a, b], _p, [out]) => {
    const o = alloc(out);
    // A rank-0 operand broadcasts (the only broadcasting primitives allow).
    for (let i = 0; i < o.length; i++) o[i] = fn(at(a, i), at(b, i), a.dtype);
    return [o];
  };


export const roundImpl: Impl<Prim.Round> = ([x], { method }, [out]) => {
  const o = alloc(out);
  const f = method === "to_nearest_even" ? roundEven : roundAway;
  for (let i = 0; i < o.length; i++) o[i] = f(x.data[i]);
  return [o];
};

/** x^y for an integer y: floats by `**`; ints by wrapping square-and-multiply (XLA: 1/x^n truncated). */
export function integerPowValue(v: number, y: number, int: boolean): number {
  if (!int) return v ** y;
  let acc = 1;
  let base = v;
  let n = Math.abs(y);
  while (n > 0) {
    if (n & 1) acc = Math.imul(acc, base);
    base = Math.imul(base, base);
    n >>= 1;
  }
  return y < 0 ? (acc === 0 ? -1 : Math.trunc(1 / acc)) : acc;
}

export const integerPowImpl: Impl<Prim.IntegerPow> = ([x], { y }, [out]) => {
  const o = alloc(out);
  const int = isInt(x.dtype);
  for (let i = 0; i < o.length; i++) o[i] = integerPowValue(x.data[i], y, int);
  return [o];
};

export const selectNImpl: Impl<Prim.SelectN> = ([which, ...cases], _p, [out]) => {
  const o = alloc(out);
  for (let i = 0; i < o.length; i++) {
    const k = Math.min(Math.max(at(which, i), 0), cases.length - 1);
    o[i] = at(cases[k], i);
  }
  return [o];
};

export const clampImpl: Impl<Prim.Clamp> = ([lo, x, hi], _p, [out]) => {
  const o = alloc(out);
  for (let i = 0; i < o.length; i++) {
    const v = at(x, i);
    o[i] = Number.isNaN(v) ? v : Math.min(Math.max(v, at(lo, i)), at(hi, i));
  }
  return [o];
};

/** Converts one value to `to`, following XLA's CPU conversion rules. */
export function convertValue(v: number, from: DType, to: DType): number {
  if (to === "bool") return v !== 0 ? 1 : 0;
  if (isFloat(to) || !isFloat(from)) return v; // typed-array store rounds/wraps
  if (Number.isNaN(v)) return 0;
  const t = Math.trunc(v);
  if (to === "int32") return Math.min(Math.max(t, -2147483648), 2147483647);
  return Math.min(Math.max(t, 0), 4294967295);
}

export const convertImpl: Impl<Prim.ConvertElementType> = ([x], { newDtype }, [out]) => {
  const o = alloc(out);
  for (let i = 0; i < o.length; i++) o[i] = convertValue(x.data[i], x.dtype, newDtype);
  return [o];
};

export const bitcastImpl: Impl<Prim.BitcastConvertType> = ([x], _p, [out]: readonly ShapedArray[]) => {
  const src = x.dtype === "float16" || out.dtype === "float16" ? null : x.data;
  if (!src) throw new Error("bitcast_convert_type: float16 bitcasts are not supported on the reference backend.");
  const o = allocTyped(out.dtype, out.size) as TypedArray;
  new Uint8Array(o.buffer).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  return [o];
};
