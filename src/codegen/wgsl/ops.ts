/**
 * @file WGSL code for every `alu` primitive of the kernel IR: one rule per primitive, from the
 * WGSL expressions of its operands to the expression of its result, following the reference
 * backend's semantics (src/backend/reference/elementwise.ts) where WGSL differs: integer division
 * by zero, shifts by 32 or more, NaN propagation in max/min, float -> int conversion that
 * saturates and maps NaN to 0, pow of negative bases.
 *
 * Types: float32 -> f32, int32 and index -> i32, uint32 -> u32, bool -> bool (stored as u32),
 * float16 -> f32 rounded to half precision after every operation (render.ts), as the reference
 * backend does. float64 kernels are refused (the backend runs those primitives another way).
 */
import { type DType, Prim, type PrimParams } from "../../ir/index.js";
import type { AluArg, KDType, UOp } from "../kernel-ir.js";
import { F32_INF, F32_NAN } from "./math.js";

/** The WGSL type of a kernel dtype. */
export function wgslType(d: KDType): "f32" | "i32" | "u32" | "bool" {
  if (d === "float32" || d === "float16") return "f32";
  if (d === "int32" || d === "index") return "i32";
  if (d === "uint32") return "u32";
  if (d === "bool") return "bool";
  throw new RangeError(`wgsl renderer: dtype '${d}' is not supported (float64 runs on the host path)`);
}

/** The WGSL element type a buffer of `d` is stored as (bool as u32). */
export const storageType = (d: DType): "f32" | "i32" | "u32" => (d === "bool" ? "u32" : (wgslType(d) as "f32" | "i32" | "u32"));

const f32Bits = new Float32Array(1);
const u32Of = new Uint32Array(f32Bits.buffer);

/** A constant of dtype `d` as an exact WGSL expression. */
export function literal(v: number, d: KDType): string {
  switch (wgslType(d)) {
    case "bool":
      return v ? "true" : "false";
    case "u32":
      return `${v >>> 0}u`;
    case "i32":
      return (v | 0) === -0x80000000 ? "bitcast<i32>(0x80000000u)" : `${v | 0}i`;
    default: {
      f32Bits[0] = v;
      const r = f32Bits[0];
      if (Number.isNaN(r)) return F32_NAN;
      if (!Number.isFinite(r)) return r > 0 ? F32_INF : `(-${F32_INF})`;
      if (Number.isInteger(r) && Math.abs(r) < 2 ** 24 && !Object.is(r, -0)) return `${r}.0f`;
      return `bitcast<f32>(0x${u32Of[0].toString(16)}u)`;
    }
  }
}

/** Emits a rule's use of a helper function from math.ts. */
export type Need = (helper: string) => void;
type Rule = (xs: readonly string[], d: KDType, u: UOp, need: Need) => string;

const isF = (d: KDType) => d === "float32" || d === "float16";
const isU = (d: KDType) => d === "uint32";
const call = (name: string): Rule => (xs, _d, _u, need) => (need(name), `k_${name}(${xs.join(", ")})`);
const builtin = (name: string): Rule => (xs) => `${name}(${xs.join(", ")})`;
const floatOnly = (r: Rule): Rule => (xs, d, u, need) => {
  if (!isF(d)) throw new RangeError(`wgsl renderer: ${(u.arg as AluArg).prim} on ${d}`);
  return r(xs, d, u, need);
};
/** A binary operator, with bools (which WGSL does not add or order) handled per rule. */
const op = (o: string) => ([a, b]: readonly string[]) => `(${a} ${o} ${b})`;
const cmp = (o: string): Rule => ([a, b], d) => (d === "bool" ? `(u32(${a}) ${o} u32(${b}))` : `(${a} ${o} ${b})`);

const shift = (kind: "l" | "rl" | "ra"): Rule => ([a, b], d) => {
  const n = isU(d) ? b : `u32(${b})`;
  const inRange = `(${n} < 32u)`;
  if (kind === "l") return `select(${isU(d) ? "0u" : "0i"}, ${a} << ${n}, ${inRange})`;
  if (kind === "rl") return isU(d) ? `select(0u, ${a} >> ${n}, ${inRange})` : `select(0i, bitcast<i32>(bitcast<u32>(${a}) >> ${n}), ${inRange})`;
  return isU(d)
    ? `select(bitcast<u32>(bitcast<i32>(${a}) >> 31u), bitcast<u32>(bitcast<i32>(${a}) >> ${n}), ${inRange})`
    : `select(${a} >> 31u, ${a} >> ${n}, ${inRange})`;
};

function intPow(x: string, y: number, d: KDType): string {
  const one = isF(d) ? "1.0f" : isU(d) ? "1u" : "1i";
  let acc: string | null = null;
  let base = x;
  const parts: string[] = [];
  for (let n = Math.abs(y); n > 0; n >>= 1) {
    if (n & 1) acc = acc ? `(${acc} * ${base})` : base;
    if (n > 1) base = `(${base} * ${base})`;
    parts.push(base);
  }
  const p = acc ?? one;
  if (y >= 0) return p;
  if (isF(d)) return `(1.0f / ${p})`;
  // XLA: 1 / x^n truncated, and -1 where x^n is 0.
  return `select(select(select(0i, ${p}, ${p} == -1i), 1i, ${p} == 1i), -1i, ${p} == 0i)`;
}

function convert(x: string, from: KDType, to: DType, need: Need): string {
  if (to === from) return x;
  if (to === "bool") return from === "bool" ? x : `(${x} != ${literal(0, from)})`;
  const t = wgslType(to);
  if (from === "bool") return `select(${literal(0, to)}, ${literal(1, to)}, ${x})`;
  if (isF(from)) {
    if (t === "i32") return (need("ftoi"), `k_ftoi(${x})`);
    if (t === "u32") return (need("ftou"), `k_ftou(${x})`);
    return x;
  }
  if (t === "f32") return `f32(${x})`;
  return `bitcast<${t}>(${x})`; // int32 <-> uint32 keep their bits
}

/** Code for every `alu` primitive. `d` is the first operand's dtype. */
export const codeForOp: Record<string, Rule> = {
  [Prim.Neg]: ([x], d) => (isU(d) ? `(0u - ${x})` : `(-(${x}))`),
  [Prim.Sign]: ([x], d, _u, need) => {
    if (isF(d)) return (need("copysign"), `select(${x}, k_copysign(1.0f, ${x}), abs(${x}) > 0.0f)`);
    return isU(d) ? `select(0u, 1u, ${x} != 0u)` : `sign(${x})`;
  },
  [Prim.Floor]: builtin("floor"),
  [Prim.Ceil]: builtin("ceil"),
  [Prim.Round]: ([x], d, u, need) => {
    if (!isF(d)) return x;
    if ((((u.arg as AluArg).params ?? {}) as PrimParams[Prim.Round]).method === "to_nearest_even") return `round(${x})`;
    need("copysign");
    return `(trunc(${x}) + k_copysign(select(0.0f, 1.0f, abs(${x} - trunc(${x})) >= 0.5f), ${x}))`;
  },
  [Prim.Abs]: ([x], d) => (isU(d) ? x : `abs(${x})`),
  [Prim.Exp]: floatOnly(builtin("exp")),
  [Prim.Exp2]: floatOnly(builtin("exp2")),
  [Prim.Log]: floatOnly(builtin("log")),
  [Prim.Log1p]: floatOnly(call("log1p")),
  [Prim.Expm1]: floatOnly(call("expm1")),
  [Prim.Sqrt]: floatOnly(builtin("sqrt")),
  [Prim.Rsqrt]: floatOnly(([x]) => `(1.0f / sqrt(${x}))`),
  [Prim.Cbrt]: floatOnly(call("cbrt")),
  [Prim.Sin]: floatOnly(builtin("sin")),
  [Prim.Cos]: floatOnly(builtin("cos")),
  [Prim.Tan]: floatOnly(builtin("tan")),
  // The drivers' asin/acos are coarse (2e-4 off on llvmpipe); atan2 is accurate.
  [Prim.Asin]: floatOnly(([x]) => `atan2(${x}, sqrt((1.0f - ${x}) * (1.0f + ${x})))`),
  [Prim.Acos]: floatOnly(([x]) => `atan2(sqrt((1.0f - ${x}) * (1.0f + ${x})), ${x})`),
  [Prim.Atan]: floatOnly(builtin("atan")),
  [Prim.Sinh]: floatOnly(builtin("sinh")),
  [Prim.Cosh]: floatOnly(builtin("cosh")),
  [Prim.Tanh]: floatOnly(call("tanh")),
  [Prim.Asinh]: floatOnly(builtin("asinh")),
  [Prim.Acosh]: floatOnly(builtin("acosh")),
  [Prim.Atanh]: floatOnly(builtin("atanh")),
  [Prim.Logistic]: floatOnly(call("logistic")),
  [Prim.Erf]: floatOnly(call("erf")),
  [Prim.Erfc]: floatOnly(call("erfc")),
  [Prim.ErfInv]: floatOnly(call("erfinv")),
  [Prim.Square]: ([x]) => `(${x} * ${x})`,
  [Prim.IsFinite]: ([x], d) => (isF(d) ? `(abs(${x}) < ${F32_INF})` : "true"),
  [Prim.Not]: ([x], d) => (d === "bool" ? `(!(${x}))` : `(~(${x}))`),
  [Prim.Add]: ([a, b], d) => (d === "bool" ? `(${a} | ${b})` : `(${a} + ${b})`),
  [Prim.Sub]: ([a, b], d) => (d === "bool" ? `(${a} != ${b})` : `(${a} - ${b})`),
  [Prim.Mul]: ([a, b], d) => (d === "bool" ? `(${a} & ${b})` : `(${a} * ${b})`),
  [Prim.Div]: (xs, d, u, need) => (isF(d) ? op("/")(xs) : call(isU(d) ? "udiv" : "idiv")(xs, d, u, need)),
  [Prim.Rem]: (xs, d, u, need) => call(isF(d) ? "frem" : isU(d) ? "urem" : "irem")(xs, d, u, need),
  [Prim.Pow]: floatOnly(call("pow")),
  [Prim.Max]: (xs, d, u, need) => (isF(d) ? call("fmax")(xs, d, u, need) : d === "bool" ? op("|")(xs) : builtin("max")(xs, d, u, need)),
  [Prim.Min]: (xs, d, u, need) => (isF(d) ? call("fmin")(xs, d, u, need) : d === "bool" ? op("&")(xs) : builtin("min")(xs, d, u, need)),
  [Prim.Atan2]: floatOnly(builtin("atan2")),
  [Prim.Nextafter]: floatOnly(call("nextafter")),
  [Prim.And]: (xs) => op("&")(xs),
  [Prim.Or]: (xs) => op("|")(xs),
  [Prim.Xor]: (xs, d) => (d === "bool" ? op("!=")(xs) : op("^")(xs)),
  [Prim.ShiftLeft]: shift("l"),
  [Prim.ShiftRightLogical]: shift("rl"),
  [Prim.ShiftRightArithmetic]: shift("ra"),
  [Prim.Eq]: (xs) => op("==")(xs),
  [Prim.Ne]: (xs) => op("!=")(xs),
  [Prim.Lt]: cmp("<"),
  [Prim.Le]: cmp("<="),
  [Prim.Gt]: cmp(">"),
  [Prim.Ge]: cmp(">="),
  [Prim.SelectN]: ([which, ...cases], d) => {
    if (d === "bool") return `select(${cases[0]}, ${cases[1]}, ${which})`;
    let r = cases[0];
    for (let k = 1; k < cases.length; k++) r = `select(${r}, ${cases[k]}, ${which} >= ${literal(k, d)})`;
    return r;
  },
  [Prim.Clamp]: ([lo, x, hi], d, _u, need) => {
    if (!isF(d)) return `min(max(${x}, ${lo}), ${hi})`;
    need("fmax");
    need("fmin");
    return `k_fmin(k_fmax(${x}, ${lo}), ${hi})`;
  },
  [Prim.ConvertElementType]: ([x], d, u, need) =>
    convert(x, d, (((u.arg as AluArg).params ?? {}) as PrimParams[Prim.ConvertElementType]).newDtype, need),
  [Prim.IntegerPow]: ([x], d, u) => intPow(x, (((u.arg as AluArg).params ?? {}) as PrimParams[Prim.IntegerPow]).y, d),
};
