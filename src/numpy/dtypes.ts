/**
 * @file Dtype introspection in the `np` namespace: machine limits (finfo, iinfo), JAX's
 * promotion lattice (promoteTypes, resultType), cast safety (canCast) and kind tests (isdtype,
 * issubdtype). Every function here is static: it reads dtypes and shapes, never values, so it
 * works the same on concrete arrays and inside traced functions.
 */
import { type DType, DTypeError, isDType, promoteTypes as promoteSpecs, resultType as latticeResult } from "../ir/index.js";
import { Tracer } from "../trace/core.js";
import { typeOf } from "./util.js";

/** Something a dtype can be read from: a dtype name or an Array. */
export type DTypeLike = DType | Tracer;

function dtypeOf(op: string, x: unknown): DType {
  if (x instanceof Tracer) return x.dtype;
  if (isDType(x)) return x;
  throw new DTypeError(
    `${op}: expected a dtype name (float32, int32, uint32, bool, float16, float64) or an Array, ` +
      `received ${typeof x === "string" ? JSON.stringify(x) : typeof x}.`,
  );
}

/** Machine limits of a floating dtype (NumPy's `finfo` fields, in camelCase). */
export interface FInfo {
  readonly dtype: DType;
  readonly bits: number;
  /** Distance from 1.0 to the next larger representable number. */
  readonly eps: number;
  /** Distance from 1.0 to the next smaller representable number. */
  readonly epsneg: number;
  readonly max: number;
  readonly min: number;
  /** The smallest positive normal number (alias `tiny`). */
  readonly smallestNormal: number;
  readonly tiny: number;
  readonly smallestSubnormal: number;
  /** Approximate decimal precision, `10 ** -precision`. */
  readonly resolution: number;
  readonly precision: number;
  /** Bits in the mantissa (excluding the implicit leading bit) and in the exponent. */
  readonly nmant: number;
  readonly nexp: number;
  readonly minexp: number;
  readonly maxexp: number;
}

function floatInfo(dtype: DType, bits: number, nmant: number, nexp: number, precision: number): FInfo {
  const maxexp = 2 ** (nexp - 1);
  const minexp = 2 - maxexp;
  const eps = 2 ** -nmant;
  const max = (2 - eps) * 2 ** (maxexp - 1);
  const smallestNormal = 2 ** minexp;
  return Object.freeze({
    dtype, bits, eps, epsneg: eps / 2, max, min: -max, smallestNormal, tiny: smallestNormal,
    smallestSubnormal: 2 ** (minexp - nmant), resolution: 10 ** -precision, precision, nmant, nexp, minexp, maxexp,
  });
}

const FINFO: Partial<Record<DType, FInfo>> = {
  float16: floatInfo("float16", 16, 10, 5, 3),
  float32: floatInfo("float32", 32, 23, 8, 6),
  float64: floatInfo("float64", 64, 52, 11, 15),
};

/**
 * Machine limits of a floating dtype, as NumPy's `np.finfo`.
 *
 * @example np.finfo("float32").eps // 1.1920928955078125e-7
 */
export function finfo(dtype: DTypeLike): FInfo {
  const d = dtypeOf("np.finfo", dtype);
  const info = FINFO[d];
  if (!info) {
    throw new DTypeError(`np.finfo: ${d} is not a floating dtype; use np.iinfo for int32, uint32 and bool.`);
  }
  return info;
}

/** Limits of an integer dtype (NumPy's `iinfo` fields). */
export interface IInfo {
  readonly dtype: DType;
  readonly bits: number;
  readonly min: number;
  readonly max: number;
}

const IINFO: Partial<Record<DType, IInfo>> = {
  int32: Object.freeze({ dtype: "int32", bits: 32, min: -(2 ** 31), max: 2 ** 31 - 1 }),
  uint32: Object.freeze({ dtype: "uint32", bits: 32, min: 0, max: 2 ** 32 - 1 }),
  // NumPy rejects bool here; Kiln answers with its storage (one byte) and value range.
  bool: Object.freeze({ dtype: "bool", bits: 8, min: 0, max: 1 }),
};

/**
 * Limits of an integer dtype, as NumPy's `np.iinfo`.
 *
 * @example np.iinfo("int32").max // 2147483647
 */
export function iinfo(dtype: DTypeLike): IInfo {
  const d = dtypeOf("np.iinfo", dtype);
  const info = IINFO[d];
  if (!info) throw new DTypeError(`np.iinfo: ${d} is not an integer dtype; use np.finfo for floating dtypes.`);
  return info;
}

/**
 * The dtype both `a` and `b` promote to under JAX's lattice (both taken as strongly typed).
 *
 * @example np.promoteTypes("int32", "float16") // "float16" (JAX), not NumPy's "float64"
 */
export function promoteTypes(a: DTypeLike, b: DTypeLike): DType {
  const [x, y] = [dtypeOf("np.promoteTypes", a), dtypeOf("np.promoteTypes", b)];
  return promoteSpecs({ dtype: x, weak: false }, { dtype: y, weak: false }).dtype;
}

/**
 * The dtype `np` functions give when mixing the arguments: dtype names and Arrays are strong,
 * JS numbers weak (an integer is a weak int32, any other number a weak float32).
 *
 * @example np.resultType(np.array([1], { dtype: "int32" }), 1.5) // "float32"
 */
export function resultType(...args: readonly (DTypeLike | number | boolean)[]): DType {
  if (args.length === 0) throw new TypeError("np.resultType: expected at least one dtype, Array or number.");
  return latticeResult(
    ...args.map((a) =>
      typeof a === "number" || typeof a === "boolean"
        ? typeOf(a)
        : a instanceof Tracer
          ? { dtype: a.dtype, weak: a.weakType }
          : { dtype: dtypeOf("np.resultType", a), weak: false },
    ),
  );
}

/** Casting rules of `canCast`, as NumPy names them. */
export type Casting = "no" | "equiv" | "safe" | "same_kind" | "unsafe";

// Values each dtype holds exactly, as (kind order, significant bits, exponent range) is awkward to
// compare; an explicit table of safe targets is shorter and reads like NumPy's casting table.
const SAFE: Record<DType, readonly DType[]> = {
  bool: ["bool", "int32", "uint32", "float16", "float32", "float64"],
  uint32: ["uint32", "float64"],
  int32: ["int32", "float64"],
  float16: ["float16", "float32", "float64"],
  float32: ["float32", "float64"],
  float64: ["float64"],
};

/** NumPy's kind order b < u < i < f: same_kind casts may not go down it. */
const KIND_ORDER: Record<DType, number> = { bool: 0, uint32: 1, int32: 2, float16: 3, float32: 3, float64: 3 };

/**
 * Whether values of `from` may be cast to `to` under a casting rule (NumPy's `np.can_cast`):
 * "safe" keeps every value exactly, "same_kind" also allows narrowing within a kind (float64 to
 * float32) and unsigned to signed, "unsafe" allows anything, "no"/"equiv" only the same dtype.
 *
 * @example np.canCast("int32", "float32") // false: not every int32 is a float32
 */
export function canCast(from: DTypeLike, to: DTypeLike, casting: Casting = "safe"): boolean {
  const [f, t] = [dtypeOf("np.canCast", from), dtypeOf("np.canCast", to)];
  switch (casting) {
    case "no":
    case "equiv":
      return f === t;
    case "safe":
      return SAFE[f].includes(t);
    case "same_kind":
      return SAFE[f].includes(t) || KIND_ORDER[f] <= KIND_ORDER[t];
    case "unsafe":
      return true;
    default:
      throw new TypeError(
        `np.canCast: casting must be "no", "equiv", "safe", "same_kind" or "unsafe", received ${JSON.stringify(casting)}.`,
      );
  }
}

/** Dtype kinds of the array API's `isdtype`. */
export type DTypeKind =
  | "bool" | "signed integer" | "unsigned integer" | "integral" | "real floating" | "complex floating" | "numeric";

const KINDS: Record<DTypeKind, readonly DType[]> = {
  bool: ["bool"],
  "signed integer": ["int32"],
  "unsigned integer": ["uint32"],
  integral: ["int32", "uint32"],
  "real floating": ["float16", "float32", "float64"],
  "complex floating": [],
  numeric: ["int32", "uint32", "float16", "float32", "float64"],
};

/**
 * Whether `dtype` is of `kind` (a kind name, a dtype, or a list of either), as the array API's
 * `isdtype`. Kiln has no complex dtypes, so "complex floating" matches nothing.
 *
 * @example np.isdtype("uint32", "integral") // true
 */
export function isdtype(dtype: DTypeLike, kind: DTypeKind | DType | readonly (DTypeKind | DType)[]): boolean {
  const d = dtypeOf("np.isdtype", dtype);
  const kinds = typeof kind === "string" ? [kind] : kind;
  return kinds.some((k) => {
    if (isDType(k)) return k === d;
    const members = (KINDS as Record<string, readonly DType[] | undefined>)[k];
    if (!members) {
      throw new TypeError(`np.isdtype: unknown kind ${JSON.stringify(k)}; expected a dtype or one of ${Object.keys(KINDS).map((s) => JSON.stringify(s)).join(", ")}.`);
    }
    return members.includes(d);
  });
}

/** NumPy's abstract scalar types, usable in `issubdtype`. */
export type AbstractDType =
  | "generic" | "number" | "integer" | "signedinteger" | "unsignedinteger" | "inexact" | "floating" | "complexfloating";

// NumPy's scalar type hierarchy as parent links (np.float32.__mro__ and friends).
const PARENT: Record<DType | AbstractDType, DType | AbstractDType | null> = {
  generic: null,
  bool: "generic",
  number: "generic",
  integer: "number",
  signedinteger: "integer",
  unsignedinteger: "integer",
  inexact: "number",
  floating: "inexact",
  complexfloating: "inexact",
  int32: "signedinteger",
  uint32: "unsignedinteger",
  float16: "floating",
  float32: "floating",
  float64: "floating",
};

const typeName = (op: string, x: DTypeLike | AbstractDType): DType | AbstractDType =>
  typeof x === "string" && x in PARENT ? (x as AbstractDType) : dtypeOf(op, x);

/**
 * Whether `arg1` is `arg2` or below it in NumPy's type hierarchy (bool is not a number).
 *
 * @example np.issubdtype("float16", "floating") // true
 */
export function issubdtype(arg1: DTypeLike | AbstractDType, arg2: DTypeLike | AbstractDType): boolean {
  const sup = typeName("np.issubdtype", arg2);
  for (let t: DType | AbstractDType | null = typeName("np.issubdtype", arg1); t !== null; t = PARENT[t]) {
    if (t === sup) return true;
  }
  return false;
}
