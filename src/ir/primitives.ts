/**
 * @file The primitive catalogue: every operation the IR knows, as data.
 *
 * A primitive is a string enum value (its printed, JAX-style snake_case name) plus a params type
 * in `PrimParams`. Every transformation is a table keyed by `Prim` and typed as a mapped type, so
 * adding a primitive here fails to compile until every table has an entry for it.
 * Semantics follow XLA/`jax.lax` (pinned to jax 0.4.30) unless a comment says otherwise.
 */
import type { DType } from "./dtype.js";
import type { Program } from "./program.js";
import type { ShapedArray } from "./aval.js";

export enum Prim {
  // ---- elementwise, unary (output dtype = input dtype unless noted) ----
  Neg = "neg",
  Sign = "sign",
  Floor = "floor",
  Ceil = "ceil",
  Round = "round",
  Abs = "abs",
  Exp = "exp",
  Exp2 = "exp2",
  Log = "log",
  Log1p = "log1p",
  Expm1 = "expm1",
  Sqrt = "sqrt",
  Rsqrt = "rsqrt",
  Cbrt = "cbrt",
  Sin = "sin",
  Cos = "cos",
  Tan = "tan",
  Asin = "asin",
  Acos = "acos",
  Atan = "atan",
  Sinh = "sinh",
  Cosh = "cosh",
  Tanh = "tanh",
  Asinh = "asinh",
  Acosh = "acosh",
  Atanh = "atanh",
  Logistic = "logistic",
  Erf = "erf",
  Erfc = "erfc",
  ErfInv = "erf_inv",
  Lgamma = "lgamma",
  Digamma = "digamma",
  Square = "square",
  IntegerPow = "integer_pow",
  IsFinite = "is_finite", // -> bool
  Not = "not", // bool: logical not; ints: bitwise not
  // ---- elementwise, binary (operands of equal shape and dtype) ----
  Add = "add",
  Sub = "sub",
  Mul = "mul",
  Div = "div", // ints: truncating, like C and XLA
  Rem = "rem", // sign of the dividend, like C fmod
  Pow = "pow",
  Max = "max",
  Min = "min",
  Atan2 = "atan2",
  Nextafter = "nextafter",
  And = "and",
  Or = "or",
  Xor = "xor",
  ShiftLeft = "shift_left",
  ShiftRightLogical = "shift_right_logical",
  ShiftRightArithmetic = "shift_right_arithmetic",
  Eq = "eq", // comparisons -> bool
  Ne = "ne",
  Lt = "lt",
  Le = "le",
  Gt = "gt",
  Ge = "ge",
  // ---- elementwise, other ----
  SelectN = "select_n", // (which, ...cases): which is bool (2 cases) or int32
  Clamp = "clamp", // (min, x, max)
  ConvertElementType = "convert_element_type",
  BitcastConvertType = "bitcast_convert_type",
  // ---- structural ----
  BroadcastInDim = "broadcast_in_dim",
  Reshape = "reshape",
  Transpose = "transpose",
  Squeeze = "squeeze",
  ExpandDims = "expand_dims",
  Rev = "rev",
  Pad = "pad", // (operand, paddingValue)
  Concatenate = "concatenate",
  Slice = "slice",
  DynamicSlice = "dynamic_slice", // (operand, ...startIndices)
  DynamicUpdateSlice = "dynamic_update_slice", // (operand, update, ...startIndices)
  Gather = "gather", // (operand, indices)
  Scatter = "scatter", // (operand, indices, updates)
  ScatterAdd = "scatter-add",
  ScatterMul = "scatter-mul",
  ScatterMin = "scatter-min",
  ScatterMax = "scatter-max",
  Iota = "iota",
  Copy = "copy",
  // ---- reductions and scans ----
  ReduceSum = "reduce_sum",
  ReduceMax = "reduce_max",
  ReduceMin = "reduce_min",
  ReduceProd = "reduce_prod",
  ReduceAnd = "reduce_and",
  ReduceOr = "reduce_or",
  ReduceXor = "reduce_xor",
  Argmax = "argmax",
  Argmin = "argmin",
  Cumsum = "cumsum",
  Cumprod = "cumprod",
  Cummax = "cummax",
  Cummin = "cummin",
  Cumlogsumexp = "cumlogsumexp",
  Sort = "sort", // multi-operand: sorts all operands by the first numKeys
  TopK = "top_k", // -> (values, int32 indices)
  // ---- contractions and windows ----
  DotGeneral = "dot_general",
  ConvGeneralDilated = "conv_general_dilated",
  ReduceWindowSum = "reduce_window_sum",
  ReduceWindowMax = "reduce_window_max",
  ReduceWindowMin = "reduce_window_min",
  SelectAndScatterAdd = "select_and_scatter_add", // (source, operand): max-pool gradient
  // ---- randomness ----
  Threefry2x32 = "threefry2x32", // (k0, k1, x0, x1) uint32 -> (y0, y1)
  // ---- autodiff helpers ----
  StopGradient = "stop_gradient",
  // ---- higher-order: they hold sub-programs (closed: constants are explicit leading inputs) ----
  Pjit = "pjit", // a jitted call: inputs are the program's inputs
  Cond = "cond", // (index, ...operands): runs branches[clamp(index)]
  While = "while", // (...condConsts, ...bodyConsts, ...carry)
  Scan = "scan", // (...consts, ...carry, ...xs) -> (...carry, ...ys)
  CustomJvpCall = "custom_jvp_call", // a function with a user-defined JVP rule
  CustomVjpCall = "custom_vjp_call", // a function with user-defined forward/backward passes
  CustomLin = "custom_lin", // (...residuals, ...tangents): the linear part of a custom_vjp_call
  Remat = "checkpoint", // rematerialization: residuals are recomputed, not stored
}

/** Primitives whose params hold sub-programs; backends never see them (traces interpret them). */
export const HIGHER_ORDER_PRIMS = [
  Prim.Pjit, Prim.Cond, Prim.While, Prim.Scan, Prim.CustomJvpCall, Prim.CustomVjpCall, Prim.CustomLin, Prim.Remat,
] as const;

/**
 * User rules held by custom-derivative primitives. The IR cannot name tracers, so values are
 * `unknown` here; the autodiff layer calls these with tracers.
 */
export type CustomJvpRule = (primals: readonly unknown[], tangents: readonly unknown[]) => [unknown[], unknown[]];
export type CustomFwd = (primals: readonly unknown[]) => [outs: unknown[], residuals: unknown[]];
export type CustomBwd = (residuals: readonly unknown[], cts: readonly unknown[]) => unknown[];
export type HigherOrderPrim = (typeof HIGHER_ORDER_PRIMS)[number];
export type FirstOrderPrim = Exclude<Prim, HigherOrderPrim>;
export const isHigherOrder = (p: Prim): p is HigherOrderPrim => (HIGHER_ORDER_PRIMS as readonly Prim[]).includes(p);

/** Window configuration shared by reduce_window and select_and_scatter_add. */
export interface WindowParams {
  readonly windowDimensions: readonly number[];
  readonly windowStrides: readonly number[];
  /** (low, high) padding per dimension. */
  readonly padding: readonly (readonly [number, number])[];
  readonly baseDilation: readonly number[];
  readonly windowDilation: readonly number[];
}

/** XLA GatherDimensionNumbers, named as in `jax.lax.GatherDimensionNumbers`. */
export interface GatherDimensionNumbers {
  readonly offsetDims: readonly number[];
  readonly collapsedSliceDims: readonly number[];
  readonly startIndexMap: readonly number[];
  readonly operandBatchingDims: readonly number[];
  readonly startIndicesBatchingDims: readonly number[];
}

/** XLA ScatterDimensionNumbers, named as in `jax.lax.ScatterDimensionNumbers`. */
export interface ScatterDimensionNumbers {
  readonly updateWindowDims: readonly number[];
  readonly insertedWindowDims: readonly number[];
  readonly scatterDimsToOperandDims: readonly number[];
  readonly operandBatchingDims: readonly number[];
  readonly scatterIndicesBatchingDims: readonly number[];
}

/**
 * Out-of-bounds index handling (JAX's `GatherScatterMode`): `clip` clamps start indices so the
 * whole slice is in bounds; `fill` returns `fillValue` for gathers whose slice leaves the operand
 * and drops such scatter updates; `promise_in_bounds` is treated as `clip` on every backend.
 */
export type GatherScatterMode = "clip" | "fill" | "promise_in_bounds";

/** Dimension numbers of `conv_general_dilated`, as index lists (JAX's ConvDimensionNumbers). */
export interface ConvDimensionNumbers {
  /** lhs: [batch, feature, ...spatial] positions in the lhs layout. */
  readonly lhsSpec: readonly number[];
  /** rhs: [out feature, in feature, ...spatial] positions in the rhs layout. */
  readonly rhsSpec: readonly number[];
  /** out: [batch, feature, ...spatial] positions in the output layout. */
  readonly outSpec: readonly number[];
}

interface NoParams {}
interface ReduceParams {
  readonly axes: readonly number[];
}
interface CumParams {
  readonly axis: number;
  readonly reverse: boolean;
}
interface ScatterParams {
  readonly dimensionNumbers: ScatterDimensionNumbers;
  readonly indicesAreSorted: boolean;
  readonly uniqueIndices: boolean;
  readonly mode: GatherScatterMode;
}

type Unary =
  | Prim.Neg | Prim.Sign | Prim.Floor | Prim.Ceil | Prim.Abs | Prim.Exp | Prim.Exp2 | Prim.Log
  | Prim.Log1p | Prim.Expm1 | Prim.Sqrt | Prim.Rsqrt | Prim.Cbrt | Prim.Sin | Prim.Cos | Prim.Tan
  | Prim.Asin | Prim.Acos | Prim.Atan | Prim.Sinh | Prim.Cosh | Prim.Tanh | Prim.Asinh | Prim.Acosh
  | Prim.Atanh | Prim.Logistic | Prim.Erf | Prim.Erfc | Prim.ErfInv | Prim.Lgamma | Prim.Digamma
  | Prim.Square | Prim.IsFinite | Prim.Not;

type Binary =
  | Prim.Add | Prim.Sub | Prim.Mul | Prim.Div | Prim.Rem | Prim.Pow | Prim.Max | Prim.Min
  | Prim.Atan2 | Prim.Nextafter | Prim.And | Prim.Or | Prim.Xor | Prim.ShiftLeft
  | Prim.ShiftRightLogical | Prim.ShiftRightArithmetic;

type Compare = Prim.Eq | Prim.Ne | Prim.Lt | Prim.Le | Prim.Gt | Prim.Ge;

/** The unary elementwise primitives with no params. */
export const UNARY_PRIMS: readonly Unary[] = [
  Prim.Neg, Prim.Sign, Prim.Floor, Prim.Ceil, Prim.Abs, Prim.Exp, Prim.Exp2, Prim.Log,
  Prim.Log1p, Prim.Expm1, Prim.Sqrt, Prim.Rsqrt, Prim.Cbrt, Prim.Sin, Prim.Cos, Prim.Tan,
  Prim.Asin, Prim.Acos, Prim.Atan, Prim.Sinh, Prim.Cosh, Prim.Tanh, Prim.Asinh, Prim.Acosh,
  Prim.Atanh, Prim.Logistic, Prim.Erf, Prim.Erfc, Prim.ErfInv, Prim.Lgamma, Prim.Digamma,
  Prim.Square, Prim.IsFinite, Prim.Not,
];
export const BINARY_PRIMS: readonly Binary[] = [
  Prim.Add, Prim.Sub, Prim.Mul, Prim.Div, Prim.Rem, Prim.Pow, Prim.Max, Prim.Min,
  Prim.Atan2, Prim.Nextafter, Prim.And, Prim.Or, Prim.Xor, Prim.ShiftLeft,
  Prim.ShiftRightLogical, Prim.ShiftRightArithmetic,
];
export const COMPARE_PRIMS: readonly Compare[] = [Prim.Eq, Prim.Ne, Prim.Lt, Prim.Le, Prim.Gt, Prim.Ge];

/** Params of every primitive. */
export type PrimParams = { [P in Unary | Binary | Compare]: NoParams } & {
  [Prim.Round]: { readonly method: "away_from_zero" | "to_nearest_even" };
  [Prim.IntegerPow]: { readonly y: number };
  [Prim.SelectN]: NoParams;
  [Prim.Clamp]: NoParams;
  [Prim.ConvertElementType]: { readonly newDtype: DType; readonly weakType: boolean };
  [Prim.BitcastConvertType]: { readonly newDtype: DType };
  [Prim.BroadcastInDim]: {
    readonly shape: readonly number[];
    readonly broadcastDimensions: readonly number[];
  };
  [Prim.Reshape]: { readonly newSizes: readonly number[] };
  [Prim.Transpose]: { readonly permutation: readonly number[] };
  [Prim.Squeeze]: { readonly dimensions: readonly number[] };
  [Prim.ExpandDims]: { readonly dimensions: readonly number[] };
  [Prim.Rev]: { readonly dimensions: readonly number[] };
  /** (low, high, interior) per dimension; low/high may be negative (cropping). */
  [Prim.Pad]: { readonly paddingConfig: readonly (readonly [number, number, number])[] };
  [Prim.Concatenate]: { readonly dimension: number };
  [Prim.Slice]: {
    readonly startIndices: readonly number[];
    readonly limitIndices: readonly number[];
    readonly strides: readonly number[] | null;
  };
  /** Start indices are clamped so the slice stays in bounds (XLA semantics). */
  [Prim.DynamicSlice]: { readonly sliceSizes: readonly number[] };
  [Prim.DynamicUpdateSlice]: NoParams;
  [Prim.Gather]: {
    readonly dimensionNumbers: GatherDimensionNumbers;
    readonly sliceSizes: readonly number[];
    readonly indicesAreSorted: boolean;
    readonly uniqueIndices: boolean;
    readonly mode: GatherScatterMode;
    readonly fillValue: number | null;
  };
  [Prim.Scatter]: ScatterParams;
  [Prim.ScatterAdd]: ScatterParams;
  [Prim.ScatterMul]: ScatterParams;
  [Prim.ScatterMin]: ScatterParams;
  [Prim.ScatterMax]: ScatterParams;
  [Prim.Iota]: {
    readonly dtype: DType;
    readonly shape: readonly number[];
    readonly dimension: number;
  };
  [Prim.Copy]: NoParams;
  [Prim.ReduceSum]: ReduceParams;
  [Prim.ReduceMax]: ReduceParams;
  [Prim.ReduceMin]: ReduceParams;
  [Prim.ReduceProd]: ReduceParams;
  [Prim.ReduceAnd]: ReduceParams;
  [Prim.ReduceOr]: ReduceParams;
  [Prim.ReduceXor]: ReduceParams;
  /** NaN wins (like NumPy); ties pick the first index. */
  [Prim.Argmax]: { readonly axes: readonly [number]; readonly indexDtype: DType };
  [Prim.Argmin]: { readonly axes: readonly [number]; readonly indexDtype: DType };
  [Prim.Cumsum]: CumParams;
  [Prim.Cumprod]: CumParams;
  [Prim.Cummax]: CumParams;
  [Prim.Cummin]: CumParams;
  [Prim.Cumlogsumexp]: CumParams;
  /** NaNs sort to the end, -0 before +0 (total order, like NumPy). */
  [Prim.Sort]: { readonly dimension: number; readonly isStable: boolean; readonly numKeys: number };
  /** Along the last axis; largest first, ties by lower index. */
  [Prim.TopK]: { readonly k: number };
  [Prim.DotGeneral]: {
    /** [[lhsContracting, rhsContracting], [lhsBatch, rhsBatch]] */
    readonly dimensionNumbers: readonly [
      readonly [readonly number[], readonly number[]],
      readonly [readonly number[], readonly number[]],
    ];
    readonly preferredElementType: DType | null;
  };
  [Prim.ConvGeneralDilated]: {
    readonly windowStrides: readonly number[];
    readonly padding: readonly (readonly [number, number])[];
    readonly lhsDilation: readonly number[];
    readonly rhsDilation: readonly number[];
    readonly dimensionNumbers: ConvDimensionNumbers;
    readonly featureGroupCount: number;
    readonly batchGroupCount: number;
    readonly preferredElementType: DType | null;
  };
  [Prim.ReduceWindowSum]: WindowParams;
  [Prim.ReduceWindowMax]: WindowParams;
  [Prim.ReduceWindowMin]: WindowParams;
  [Prim.SelectAndScatterAdd]: WindowParams;
  [Prim.Threefry2x32]: NoParams;
  [Prim.StopGradient]: NoParams;
  [Prim.Pjit]: { readonly program: Program; readonly name: string };
  /** Branch programs share input and output avals; the index is clamped into range, as in XLA. */
  [Prim.Cond]: { readonly branches: readonly Program[] };
  [Prim.While]: {
    readonly condProgram: Program;
    readonly bodyProgram: Program;
    readonly condNconsts: number;
    readonly bodyNconsts: number;
  };
  /**
   * The body maps (consts, carry, x slices) to (carry, y slices); `length` iterations over the
   * leading axis of each xs, in reverse order when `reverse`. ys are stacked along axis 0.
   */
  [Prim.Scan]: {
    readonly program: Program;
    readonly numConsts: number;
    readonly numCarry: number;
    readonly length: number;
    readonly reverse: boolean;
  };
  /** Inputs: [...hoisted consts, ...args]; `jvp` receives the args' primals and tangents only. */
  [Prim.CustomJvpCall]: {
    readonly program: Program;
    readonly jvp: CustomJvpRule;
    readonly numConsts: number;
    readonly name: string;
  };
  [Prim.CustomVjpCall]: {
    readonly program: Program;
    readonly fwd: CustomFwd;
    readonly bwd: CustomBwd;
    readonly numConsts: number;
    readonly name: string;
  };
  /** Linear in the tangents; transposed by calling `bwd(residuals, cts)`. */
  [Prim.CustomLin]: {
    readonly bwd: CustomBwd;
    readonly numResiduals: number;
    readonly outAvals: readonly ShapedArray[];
    /** Which args (after residuals) are float, i.e. receive a cotangent. */
    readonly name: string;
  };
  [Prim.Remat]: { readonly program: Program; readonly name: string };
};

/** Every primitive, in catalogue order. */
export const ALL_PRIMS: readonly Prim[] = Object.values(Prim) as Prim[];
