/**
 * @file `lax` convolutions and windowed reductions: JAX's `conv_general_dilated`, `conv`,
 * `conv_transpose`, `reduce_window` (sum / max / min) and `select_and_scatter_add`, including
 * JAX's string paddings ("SAME", "VALID", "SAME_LOWER") and string dimension numbers ("NHWC").
 *
 * Semantics pinned to jax 0.4.30 (`jax/_src/lax/convolution.py`, `jax/_src/lax/windowed_reductions.py`).
 */
import { type ConvDimensionNumbers, type DType, Prim, ShapeError } from "../ir/index.js";
import { type ArrayLike, Tracer, bind1 } from "../trace/core.js";
import { matchWeak, rev, transpose } from "./lax-core.js";

/** Explicit (lo, hi) pairs per spatial axis, or a padding mode resolved by `padtypeToPads`. */
export type Padding = "SAME" | "VALID" | "SAME_LOWER" | readonly (readonly [number, number])[];

/**
 * Dimension numbers: index specs, or layout strings for (lhs, rhs, out) such as
 * `["NHWC", "HWIO", "NHWC"]`, or null for the default `NCHW` / `OIHW` / `NCHW`.
 */
export type ConvDimensionSpec = ConvDimensionNumbers | readonly [string, string, string] | null;

export interface ConvOptions {
  /** Input (lhs) dilation per spatial axis: a transposed convolution. Default 1. */
  lhsDilation?: readonly number[];
  /** Kernel (rhs) dilation per spatial axis: an atrous convolution. Default 1. */
  rhsDilation?: readonly number[];
  dimensionNumbers?: ConvDimensionSpec;
  featureGroupCount?: number;
  batchGroupCount?: number;
  preferredElementType?: DType | null;
}

const ones = (n: number): number[] => new Array<number>(n).fill(1);
const asTracer = (op: string, x: ArrayLike): Tracer => {
  if (!(x instanceof Tracer)) throw new TypeError(`${op}: expected an Array, received ${typeof x} ${String(x)}.`);
  return x;
};

/**
 * Explicit (lo, hi) padding for a padding mode, as JAX's `padtype_to_pads`: "SAME" pads so the
 * output has ceil(in / stride) elements, extra padding at the end; "SAME_LOWER" puts it first.
 *
 * @example padtypeToPads([5], [3], [2], "SAME") // [[1, 1]]
 */
export function padtypeToPads(
  inShape: readonly number[], windowShape: readonly number[], strides: readonly number[], padding: Padding,
): [number, number][] {
  if (typeof padding !== "string") return padding.map(([lo, hi]) => [lo, hi]);
  if (windowShape.length !== inShape.length || strides.length !== inShape.length) {
    throw new ShapeError(
      `lax: padding ${JSON.stringify(padding)} needs one window size and stride per windowed axis ` +
        `(${inShape.length}), received window [${windowShape.join(", ")}] and strides [${strides.join(", ")}].`,
    );
  }
  const mode = padding.toUpperCase();
  if (mode === "VALID") return inShape.map(() => [0, 0]);
  if (mode !== "SAME" && mode !== "SAME_LOWER") {
    throw new RangeError(`lax: unrecognized padding ${JSON.stringify(padding)}; expected "SAME", "VALID", "SAME_LOWER" or (lo, hi) pairs.`);
  }
  return inShape.map((n, i) => {
    const out = Math.ceil(n / strides[i]);
    const total = Math.max((out - 1) * strides[i] + windowShape[i] - n, 0);
    const small = Math.floor(total / 2);
    return mode === "SAME" ? [small, total - small] : [total - small, small];
  });
}

/** Axis positions of [first, second, ...spatial] in `spec`, spatial ordered as in `rhsSpec`. */
function specPerm(spec: string, pair: string, rhsSpec: string): number[] {
  const spatial = [...spec].map((_, i) => i).filter((i) => !pair.includes(spec[i]));
  spatial.sort((a, b) => rhsSpec.indexOf(spec[a]) - rhsSpec.indexOf(spec[b]));
  return [spec.indexOf(pair[0]), spec.indexOf(pair[1]), ...spatial];
}

/**
 * Resolves dimension numbers as JAX's `conv_dimension_numbers`: layout strings name batch `N`
 * and feature `C` (lhs, out), output `O` and input `I` features (rhs); the other letters are
 * spatial axes, matched across the three strings by letter and ordered as in the rhs string.
 *
 * @example convDimensionNumbers([1, 5, 5, 3], [3, 3, 3, 8], ["NHWC", "HWIO", "NHWC"])
 *   // { lhsSpec: [0, 3, 1, 2], rhsSpec: [3, 2, 0, 1], outSpec: [0, 3, 1, 2] }
 */
export function convDimensionNumbers(
  lhsShape: readonly number[], rhsShape: readonly number[], dn: ConvDimensionSpec | undefined,
): ConvDimensionNumbers {
  const n = lhsShape.length;
  if (rhsShape.length !== n) {
    throw new TypeError(`lax.convGeneralDilated: lhs and rhs must have the same rank, received ranks ${n} and ${rhsShape.length}.`);
  }
  if (dn === null || dn === undefined) {
    const iota = [...Array(n).keys()];
    return { lhsSpec: iota, rhsSpec: iota, outSpec: iota };
  }
  if (!Array.isArray(dn)) return dn as ConvDimensionNumbers;
  const specs = dn as readonly [string, string, string];
  const pairs = ["NC", "OI", "NC"];
  specs.forEach((s, i) => {
    const [a, b] = pairs[i];
    const count = (c: string) => [...s].filter((x) => x === c).length;
    if (typeof s !== "string" || count(a) !== 1 || count(b) !== 1 || new Set(s).size !== s.length) {
      throw new TypeError(
        `lax.convGeneralDilated: dimensionNumbers[${i}] ${JSON.stringify(s)} must contain '${a}' and '${b}' ` +
          `exactly once and no repeated letters, e.g. ${["\"NHWC\"", "\"HWIO\"", "\"NHWC\""][i]}.`,
      );
    }
    if (s.length !== n) {
      throw new TypeError(`lax.convGeneralDilated: dimensionNumbers[${i}] ${JSON.stringify(s)} has ${s.length} letters but the operands have rank ${n}.`);
    }
  });
  const spatial = specs.map((s, i) => [...s].filter((c) => !pairs[i].includes(c)).sort().join(""));
  if (spatial[0] !== spatial[1] || spatial[1] !== spatial[2]) {
    throw new TypeError(`lax.convGeneralDilated: dimensionNumbers ${JSON.stringify(dn)} must use the same spatial letters in all three layouts.`);
  }
  return {
    lhsSpec: specPerm(specs[0], "NC", specs[1]),
    rhsSpec: specPerm(specs[1], "OI", specs[1]),
    outSpec: specPerm(specs[2], "NC", specs[1]),
  };
}

/**
 * General convolution (XLA ConvGeneralDilated): window strides, (lo, hi) or string padding,
 * lhs dilation (transposed convolution), rhs dilation (atrous), feature and batch groups.
 * String padding uses the rhs-dilated kernel size, as JAX does.
 *
 * @example convGeneralDilated(x /* [1,5,5,3] *\/, w /* [3,3,3,8] *\/, [1, 1], "SAME",
 *   { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] }) // [1,5,5,8]
 */
export function convGeneralDilated(
  lhs: ArrayLike, rhs: ArrayLike, windowStrides: readonly number[], padding: Padding, opts: ConvOptions = {},
): Tracer {
  const op = "lax.convGeneralDilated";
  const [l, r] = matchWeak([asTracer(op, lhs), asTracer(op, rhs)]) as Tracer[];
  const dn = convDimensionNumbers(l.shape, r.shape, opts.dimensionNumbers);
  const ns = Math.max(l.ndim - 2, 0);
  const rhsDilation = opts.rhsDilation ?? ones(ns);
  let pads: [number, number][];
  if (typeof padding === "string") {
    const k = dn.rhsSpec.slice(2).map((a, i) => (r.shape[a] === 0 ? 0 : (r.shape[a] - 1) * (rhsDilation[i] ?? 1) + 1));
    pads = padtypeToPads(dn.lhsSpec.slice(2).map((a) => l.shape[a]), k, windowStrides, padding);
  } else {
    pads = padding.map(([lo, hi]) => [lo, hi]);
  }
  return bind1(Prim.ConvGeneralDilated, [l, r], {
    windowStrides: [...windowStrides],
    padding: pads,
    lhsDilation: [...(opts.lhsDilation ?? ones(ns))],
    rhsDilation: [...rhsDilation],
    dimensionNumbers: dn,
    featureGroupCount: opts.featureGroupCount ?? 1,
    batchGroupCount: opts.batchGroupCount ?? 1,
    preferredElementType: opts.preferredElementType ?? null,
  });
}

/**
 * Convolution in the default NCHW / OIHW layout with no dilation (JAX `lax.conv`).
 *
 * @example conv(x /* [1,1,4,4] *\/, w /* [1,1,3,3] *\/, [1, 1], "VALID") // [1,1,2,2]
 */
export const conv = (
  lhs: ArrayLike, rhs: ArrayLike, windowStrides: readonly number[], padding: Padding,
  opts: { preferredElementType?: DType | null } = {},
): Tracer => convGeneralDilated(lhs, rhs, windowStrides, padding, opts);

/** Explicit padding of a transposed convolution for a (dilated) kernel size `k` and stride `s`. */
function convTransposePadding(k: number, s: number, padding: "SAME" | "VALID"): [number, number] {
  if (padding === "SAME") {
    const len = k + s - 2;
    const lo = s > k - 1 ? k - 1 : Math.ceil(len / 2);
    return [lo, len - lo];
  }
  return [k - 1, k + s - 2 + Math.max(k - s, 0) - (k - 1)];
}

const TRANSPOSE_DEFAULT: Record<number, readonly [string, string, string]> = {
  2: ["NC", "IO", "NC"],
  3: ["NHC", "HIO", "NHC"],
  4: ["NHWC", "HWIO", "NHWC"],
  5: ["NHWDC", "HWDIO", "NHWDC"],
};

/**
 * Transposed convolution (JAX `lax.conv_transpose`): a convolution with lhs dilation `strides`,
 * so "SAME" output size is `in * stride` and "VALID" is `in * stride + max(k - stride, 0)`.
 * `transposeKernel` flips the kernel's spatial axes and swaps its in/out features, giving the
 * gradient of `convGeneralDilated` with respect to its input. Layouts default to NHWC / HWIO.
 *
 * @example convTranspose(x /* [1,4,4,2] *\/, w /* [3,3,2,5] *\/, [2, 2], "SAME") // [1,8,8,5]
 */
export function convTranspose(
  lhs: ArrayLike, rhs: ArrayLike, strides: readonly number[], padding: Padding,
  opts: {
    rhsDilation?: readonly number[]; dimensionNumbers?: ConvDimensionSpec; transposeKernel?: boolean;
    preferredElementType?: DType | null;
  } = {},
): Tracer {
  const op = "lax.convTranspose";
  let r = asTracer(op, rhs);
  const l = asTracer(op, lhs);
  const n = l.ndim;
  if (n < 2 || r.ndim !== n) {
    throw new TypeError(`${op}: lhs and rhs must have the same rank >= 2, received ${l.aval.str()} and ${r.aval.str()}.`);
  }
  const dnSpec = opts.dimensionNumbers ?? TRANSPOSE_DEFAULT[n];
  if (!dnSpec) throw new RangeError(`${op}: no default dimensionNumbers for rank ${n}; pass them explicitly.`);
  const dn = convDimensionNumbers(l.shape, r.shape, dnSpec);
  const rhsDilation = opts.rhsDilation ?? ones(n - 2);
  let pads: Padding = padding;
  if (padding === "SAME" || padding === "VALID") {
    pads = dn.rhsSpec.slice(2).map((a, i) => {
      const k = r.shape[a] === 0 ? 0 : (r.shape[a] - 1) * rhsDilation[i] + 1;
      return convTransposePadding(k, strides[i], padding);
    });
  } else if (typeof padding === "string") {
    throw new RangeError(`${op}: padding must be "SAME", "VALID" or (lo, hi) pairs, received ${JSON.stringify(padding)}.`);
  }
  if (opts.transposeKernel) {
    r = rev(r, dn.rhsSpec.slice(2));
    const perm = [...Array(n).keys()];
    [perm[dn.rhsSpec[0]], perm[dn.rhsSpec[1]]] = [dn.rhsSpec[1], dn.rhsSpec[0]];
    r = transpose(r, perm);
  }
  return convGeneralDilated(l, r, ones(n - 2), pads, {
    lhsDilation: strides, rhsDilation, dimensionNumbers: dn, preferredElementType: opts.preferredElementType,
  });
}

export interface WindowOptions {
  baseDilation?: readonly number[];
  windowDilation?: readonly number[];
}

const REDUCE_WINDOW = { sum: Prim.ReduceWindowSum, max: Prim.ReduceWindowMax, min: Prim.ReduceWindowMin } as const;

function windowParams(
  x: Tracer, windowDimensions: readonly number[], windowStrides: readonly number[], padding: Padding,
  opts: WindowOptions,
) {
  return {
    windowDimensions: [...windowDimensions],
    windowStrides: [...windowStrides],
    // JAX resolves string padding against the undilated window.
    padding: padtypeToPads(x.shape, windowDimensions, windowStrides, padding),
    baseDilation: [...(opts.baseDilation ?? ones(x.ndim))],
    windowDilation: [...(opts.windowDilation ?? ones(x.ndim))],
  };
}

/**
 * Reduces every window of `x` with sum, max or min (XLA ReduceWindow; the init value is that
 * monoid's identity: 0, -inf / the lowest integer, +inf / the highest integer). Windows span all
 * axes: use a window size and stride of 1 on batch and feature axes for pooling.
 *
 * @example reduceWindow(x /* [1,4,4,1] *\/, "max", [1, 2, 2, 1], [1, 2, 2, 1], "VALID") // [1,2,2,1]
 */
export function reduceWindow(
  x: ArrayLike, kind: "sum" | "max" | "min", windowDimensions: readonly number[], windowStrides: readonly number[],
  padding: Padding, opts: WindowOptions = {},
): Tracer {
  const t = asTracer("lax.reduceWindow", x);
  const prim = REDUCE_WINDOW[kind];
  if (!prim) throw new RangeError(`lax.reduceWindow: kind must be "sum", "max" or "min", received ${JSON.stringify(kind)}.`);
  return bind1(prim, [t], windowParams(t, windowDimensions, windowStrides, padding, opts));
}

/**
 * Max-pooling's gradient (XLA SelectAndScatter with `ge` select and `add` scatter): for each
 * window of `operand`, its `source` value is added at the window's first maximum. `source` has
 * the windowed output shape; the result has `operand`'s shape.
 *
 * @example selectAndScatterAdd(g /* [2,2] *\/, x /* [4,4] *\/, [2, 2], [2, 2], "VALID") // [4,4]
 */
export function selectAndScatterAdd(
  source: ArrayLike, operand: ArrayLike, windowDimensions: readonly number[], windowStrides: readonly number[],
  padding: Padding, opts: WindowOptions = {},
): Tracer {
  const op = "lax.selectAndScatterAdd";
  const s = asTracer(op, source);
  const x = asTracer(op, operand);
  return bind1(Prim.SelectAndScatterAdd, [s, x], windowParams(x, windowDimensions, windowStrides, padding, opts));
}
