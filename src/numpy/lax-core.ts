/**
 * @file `lax`: one-line wrappers that bind primitives, with JAX's strict semantics (equal shapes
 * and dtypes, except that rank-0 operands broadcast; no promotion). Arrays are positional and
 * static params come in one object, as in `jax.lax`.
 */
import { type DType, Prim, type PrimParams } from "../ir/index.js";
import { type ArrayLike, type BindArg, Tracer, TypedScalar, bind, bind1 } from "../trace/core.js";

type T = ArrayLike;
type B = BindArg;

const un = <P extends Prim>(p: P) => (x: T): Tracer => bind1(p, [x], {} as PrimParams[P]);
const bin = <P extends Prim>(p: P) => (x: T, y: T): Tracer => bind1(p, matchWeak([x, y]), {} as PrimParams[P]);

/**
 * JS scalars and weakly typed operands take the dtype of the strongly typed operand, as JAX's
 * `_promote_weak_typed_inputs` does for lax operations; everything else must already agree.
 */
export function matchWeak(xs: readonly T[]): B[] {
  const tracers = xs.filter((x): x is Tracer => x instanceof Tracer);
  const strong = tracers.find((t) => !t.weakType) ?? tracers[0];
  if (!strong) return [...xs];
  return xs.map((x) => {
    // A JS number becomes an exact typed scalar, which bind frees right after use.
    if (typeof x === "number" || typeof x === "boolean") return new TypedScalar(Number(x), strong.dtype, strong.weakType);
    if (!(x instanceof Tracer)) return x;
    if (x.weakType && x.dtype !== strong.dtype) return convertElementType(x, strong.dtype, strong.weakType);
    return x;
  });
}

export const neg = un(Prim.Neg);
export const sign = un(Prim.Sign);
export const floor = un(Prim.Floor);
export const ceil = un(Prim.Ceil);
/** Rounds half away from zero (default) or to nearest even. */
export const round = (x: T, method: PrimParams[Prim.Round]["method"] = "away_from_zero") =>
  bind1(Prim.Round, [x], { method });
export const abs = un(Prim.Abs);
export const exp = un(Prim.Exp);
export const exp2 = un(Prim.Exp2);
export const log = un(Prim.Log);
export const log1p = un(Prim.Log1p);
export const expm1 = un(Prim.Expm1);
export const sqrt = un(Prim.Sqrt);
export const rsqrt = un(Prim.Rsqrt);
export const cbrt = un(Prim.Cbrt);
export const sin = un(Prim.Sin);
export const cos = un(Prim.Cos);
export const tan = un(Prim.Tan);
export const asin = un(Prim.Asin);
export const acos = un(Prim.Acos);
export const atan = un(Prim.Atan);
export const sinh = un(Prim.Sinh);
export const cosh = un(Prim.Cosh);
export const tanh = un(Prim.Tanh);
export const asinh = un(Prim.Asinh);
export const acosh = un(Prim.Acosh);
export const atanh = un(Prim.Atanh);
export const logistic = un(Prim.Logistic);
export const erf = un(Prim.Erf);
export const erfc = un(Prim.Erfc);
export const erfInv = un(Prim.ErfInv);
export const lgamma = un(Prim.Lgamma);
export const digamma = un(Prim.Digamma);
export const square = un(Prim.Square);
export const isFinite = un(Prim.IsFinite);
export const bitwiseNot = un(Prim.Not);
export const integerPow = (x: T, y: number) => bind1(Prim.IntegerPow, [x], { y });

export const add = bin(Prim.Add);
export const sub = bin(Prim.Sub);
export const mul = bin(Prim.Mul);
export const div = bin(Prim.Div);
export const rem = bin(Prim.Rem);
export const pow = bin(Prim.Pow);
export const max = bin(Prim.Max);
export const min = bin(Prim.Min);
export const atan2 = bin(Prim.Atan2);
export const nextafter = bin(Prim.Nextafter);
export const bitwiseAnd = bin(Prim.And);
export const bitwiseOr = bin(Prim.Or);
export const bitwiseXor = bin(Prim.Xor);
export const shiftLeft = bin(Prim.ShiftLeft);
export const shiftRightLogical = bin(Prim.ShiftRightLogical);
export const shiftRightArithmetic = bin(Prim.ShiftRightArithmetic);
export const eq = bin(Prim.Eq);
export const ne = bin(Prim.Ne);
export const lt = bin(Prim.Lt);
export const le = bin(Prim.Le);
export const gt = bin(Prim.Gt);
export const ge = bin(Prim.Ge);

/** `select(pred, onTrue, onFalse)`: elementwise choice (JAX's `lax.select`). */
export const select = (pred: T, onTrue: T, onFalse: T) =>
  bind1(Prim.SelectN, [pred, ...matchWeak([onFalse, onTrue])], {});
/** `selectN(which, ...cases)`: picks `cases[which]` elementwise. */
export const selectN = (which: T, ...cases: T[]) => bind1(Prim.SelectN, [which, ...matchWeak(cases)], {});
export const clamp = (lo: T, x: T, hi: T) => bind1(Prim.Clamp, matchWeak([lo, x, hi]), {});

/** Converts to `newDtype` (float -> int truncates and saturates; NaN -> 0). JS numbers convert exactly. */
export const convertElementType = (x: T, newDtype: DType, weakType = false) =>
  bind1(Prim.ConvertElementType, [typeof x === "number" ? new TypedScalar(x, newDtype, weakType) : x], { newDtype, weakType });
/** Reinterprets the bits of each element as `newDtype` (equal widths only). */
export const bitcastConvertType = (x: T, newDtype: DType) => bind1(Prim.BitcastConvertType, [x], { newDtype });

export const broadcastInDim = (x: T, shape: readonly number[], broadcastDimensions: readonly number[]) =>
  bind1(Prim.BroadcastInDim, [x], { shape: [...shape], broadcastDimensions: [...broadcastDimensions] });
export const reshape = (x: T, newSizes: readonly number[]) => bind1(Prim.Reshape, [x], { newSizes: [...newSizes] });
export const transpose = (x: T, permutation: readonly number[]) =>
  bind1(Prim.Transpose, [x], { permutation: [...permutation] });
export const squeeze = (x: T, dimensions: readonly number[]) => bind1(Prim.Squeeze, [x], { dimensions: [...dimensions] });
export const expandDims = (x: T, dimensions: readonly number[]) =>
  bind1(Prim.ExpandDims, [x], { dimensions: [...dimensions] });
export const rev = (x: T, dimensions: readonly number[]) => bind1(Prim.Rev, [x], { dimensions: [...dimensions] });
/** Pads with (low, high, interior) per axis; negative low/high crop. */
export const pad = (x: T, paddingValue: T, paddingConfig: readonly (readonly [number, number, number])[]) =>
  bind1(Prim.Pad, matchWeak([x, paddingValue]), { paddingConfig });
export const concatenate = (xs: readonly T[], dimension: number) => bind1(Prim.Concatenate, xs, { dimension });
export const slice = (
  x: T,
  startIndices: readonly number[],
  limitIndices: readonly number[],
  strides: readonly number[] | null = null,
) => bind1(Prim.Slice, [x], { startIndices: [...startIndices], limitIndices: [...limitIndices], strides });
/** Slice of `sliceSizes` starting at traced `startIndices`, clamped to stay in bounds. */
export const dynamicSlice = (x: T, startIndices: readonly T[], sliceSizes: readonly number[]) =>
  bind1(Prim.DynamicSlice, [x, ...startIndices], { sliceSizes: [...sliceSizes] });
export const dynamicUpdateSlice = (x: T, update: T, startIndices: readonly T[]) =>
  bind1(Prim.DynamicUpdateSlice, [x, update, ...startIndices], {});
export const iota = (dtype: DType, shape: readonly number[], dimension = 0) =>
  bind1(Prim.Iota, [], { dtype, shape: [...shape], dimension });
export const copy = un(Prim.Copy);

const red = <P extends Prim>(p: P) => (x: T, axes: readonly number[]): Tracer =>
  bind1(p, [x], { axes: [...axes] } as unknown as PrimParams[P]);
export const reduceSum = red(Prim.ReduceSum);
export const reduceMax = red(Prim.ReduceMax);
export const reduceMin = red(Prim.ReduceMin);
export const reduceProd = red(Prim.ReduceProd);
export const reduceAnd = red(Prim.ReduceAnd);
export const reduceOr = red(Prim.ReduceOr);
export const reduceXor = red(Prim.ReduceXor);
export const argmax = (x: T, axis: number, indexDtype: DType = "int32") =>
  bind1(Prim.Argmax, [x], { axes: [axis], indexDtype });
export const argmin = (x: T, axis: number, indexDtype: DType = "int32") =>
  bind1(Prim.Argmin, [x], { axes: [axis], indexDtype });

const cum = <P extends Prim>(p: P) => (x: T, axis = 0, reverse = false): Tracer =>
  bind1(p, [x], { axis, reverse } as unknown as PrimParams[P]);
export const cumsum = cum(Prim.Cumsum);
export const cumprod = cum(Prim.Cumprod);
export const cummax = cum(Prim.Cummax);
export const cummin = cum(Prim.Cummin);
export const cumlogsumexp = cum(Prim.Cumlogsumexp);

/** Sorts operands along `dimension` by the first `numKeys` of them (lexicographically). */
export const sort = (operands: readonly T[], dimension = -1, isStable = true, numKeys = 1): Tracer[] => {
  const first = operands[0] as Tracer;
  const nd = typeof first === "object" ? first.ndim : 0;
  return bind(Prim.Sort, operands, { dimension: dimension < 0 ? dimension + nd : dimension, isStable, numKeys });
};
/** The `k` largest entries along the last axis and their int32 indices. */
export const topK = (x: T, k: number): [Tracer, Tracer] => bind(Prim.TopK, [x], { k }) as [Tracer, Tracer];

/**
 * General tensor contraction (XLA DotGeneral).
 *
 * @example dotGeneral(a, b, [[[1], [0]], [[], []]]) // matrix product
 */
export const dotGeneral = (
  lhs: T,
  rhs: T,
  dimensionNumbers: PrimParams[Prim.DotGeneral]["dimensionNumbers"],
  preferredElementType: DType | null = null,
) => bind1(Prim.DotGeneral, [lhs, rhs], { dimensionNumbers, preferredElementType });

export const stopGradient = un(Prim.StopGradient);

/** threefry2x32 hash of counters (x0, x1) under key (k0, k1): four uint32 arrays of one shape. */
export const threefry2x32 = (k0: T, k1: T, x0: T, x1: T): [Tracer, Tracer] =>
  bind(Prim.Threefry2x32, [k0, k1, x0, x1], {}) as [Tracer, Tracer];
