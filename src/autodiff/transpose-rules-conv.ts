/**
 * @file Transpose rules of convolution and the windowed ops (jax 0.4.30
 * `jax/_src/lax/convolution.py`, `windowed_reductions.py`).
 *
 * conv is bilinear: its lhs transpose convolves the cotangent with the spatially reversed kernel,
 * swapping the roles of window strides and lhs dilation; its rhs transpose convolves the lhs with
 * the cotangent as kernel, swapping window strides and rhs dilation. Feature and batch groups trade
 * places between the two (a feature-grouped conv's kernel gradient is a batch-grouped conv).
 * reduce_window_sum transposes to a sum over windows of the dilated, padded cotangent, and
 * select_and_scatter_add (in its source) to the windowed gather at the selected positions.
 */
import { type ConvDimensionNumbers, Prim, type PrimParams, type ShapedArray } from "../ir/index.js";
import { type Tracer, bind1 } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import { type Tangent, Zero, instantiate } from "./zero.js";
import { type PrimalOrUndef, isUndef } from "./transpose.js";
import { windowGather } from "./jvp-rules-window.js";

type Rule<P extends Prim> = (
  cts: readonly Tangent[],
  inputs: readonly PrimalOrUndef[],
  params: PrimParams[P],
) => (Tangent | null)[];

type ConvParams = PrimParams[Prim.ConvGeneralDilated];

/** `(n - 1) * d + 1`: the extent of n points spaced d apart (0 for none). */
const dilate = (n: number, d: number) => (n === 0 ? 0 : (n - 1) * d + 1);
const pick = (shape: readonly number[], axes: readonly number[]) => axes.map((a) => shape[a]);
const swap01 = (spec: readonly number[]) => [spec[1], spec[0], ...spec.slice(2)];

const known = (x: PrimalOrUndef): Tracer => {
  if (isUndef(x) || typeof x !== "object") throw new Error("internal: conv transpose needs the other operand known");
  return x;
};

/**
 * Padding of the lhs-gradient convolution: the dilated cotangent padded so every input position
 * sees each kernel tap that touched it (JAX's `_conv_general_vjp_lhs_padding`).
 */
export function vjpLhsPadding(
  inShape: readonly number[], window: readonly number[], strides: readonly number[], outShape: readonly number[],
  padding: readonly (readonly [number, number])[], lhsDilation: readonly number[], rhsDilation: readonly number[],
): [number, number][] {
  return inShape.map((n, i) => {
    const lhsD = dilate(n, lhsDilation[i]);
    const rhsD = dilate(window[i], rhsDilation[i]);
    const outD = dilate(outShape[i], strides[i]);
    const before = rhsD - padding[i][0] - 1;
    return [before, lhsD + rhsD - 1 - outD - before];
  });
}

/** Padding of the rhs-gradient convolution (JAX's `_conv_general_vjp_rhs_padding`). */
function vjpRhsPadding(
  inShape: readonly number[], window: readonly number[], strides: readonly number[], outShape: readonly number[],
  padding: readonly (readonly [number, number])[], lhsDilation: readonly number[], rhsDilation: readonly number[],
): [number, number][] {
  return inShape.map((n, i) => {
    const lo = padding[i][0];
    const fromLhs = dilate(outShape[i], strides[i]) - dilate(n, lhsDilation[i]);
    const fromRhs = dilate(window[i], rhsDilation[i]) - lo - 1;
    return [lo, fromLhs + fromRhs];
  });
}

/** Splits axis `src` into [size, rest] (size major). */
function splitAxis(x: Tracer, src: number, size: number): Tracer {
  const shape = [...x.shape];
  shape.splice(src, 1, size, shape[src] / size);
  return lax.reshape(x, shape);
}

/** Merges axis `src` into axis `dst` (numbered after removing src), src major. */
function mergeAxis(x: Tracer, src: number, dst: number): Tracer {
  const perm = x.shape.map((_, i) => i).filter((i) => i !== src);
  perm.splice(dst, 0, src);
  const shape = x.shape.filter((_, i) => i !== src);
  shape[dst] *= x.shape[src];
  return lax.reshape(lax.transpose(x, perm), shape);
}

const conv = (lhs: Tracer, rhs: Tracer, p: ConvParams) => bind1(Prim.ConvGeneralDilated, [lhs, rhs], p);
const castTo = (x: Tracer, a: ShapedArray) => (x.dtype === a.dtype ? x : lax.convertElementType(x, a.dtype));

/** ct_lhs: conv of ct with the reversed kernel, strides and lhs dilation swapped. */
function convTransposeLhs(ct: Tracer, lhs: ShapedArray, rhs: Tracer, p: ConvParams): Tracer {
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  let w = rhs;
  let groups = p.featureGroupCount;
  // The kernel's output-feature groups move into its input features, which the transposed conv
  // treats as its output features.
  if (p.featureGroupCount > 1 || p.batchGroupCount > 1) {
    groups = Math.max(p.featureGroupCount, p.batchGroupCount);
    w = mergeAxis(splitAxis(w, rhsSpec[0], groups), rhsSpec[0], rhsSpec[1]);
  }
  const dn: ConvDimensionNumbers = { lhsSpec: outSpec, rhsSpec: swap01(rhsSpec), outSpec: lhsSpec };
  const sp = rhsSpec.slice(2);
  const padding = vjpLhsPadding(
    pick(lhs.shape, lhsSpec.slice(2)), pick(w.shape, sp), p.windowStrides, pick(ct.shape, outSpec.slice(2)),
    p.padding, p.lhsDilation, p.rhsDilation,
  );
  let out = conv(ct, lax.rev(w, sp), {
    ...p, windowStrides: p.lhsDilation, padding, lhsDilation: p.windowStrides, dimensionNumbers: dn,
    featureGroupCount: groups, batchGroupCount: 1,
  });
  // Batch groups came out as feature groups: move them back into the batch axis.
  if (p.batchGroupCount > 1) out = mergeAxis(splitAxis(out, lhsSpec[1], p.batchGroupCount), lhsSpec[1], lhsSpec[0]);
  return castTo(out, lhs);
}

/** ct_rhs: conv of lhs with ct as the kernel, strides and rhs dilation swapped. */
function convTransposeRhs(ct: Tracer, lhs: Tracer, rhs: ShapedArray, p: ConvParams): Tangent {
  if (ct.size === 0) return new Zero(rhs);
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  const dn: ConvDimensionNumbers = { lhsSpec: swap01(lhsSpec), rhsSpec: swap01(outSpec), outSpec: swap01(rhsSpec) };
  const padding = vjpRhsPadding(
    pick(lhs.shape, lhsSpec.slice(2)), pick(rhs.shape, rhsSpec.slice(2)), p.windowStrides,
    pick(ct.shape, outSpec.slice(2)), p.padding, p.lhsDilation, p.rhsDilation,
  );
  const out = conv(lhs, ct, {
    ...p, windowStrides: p.rhsDilation, padding, rhsDilation: p.windowStrides, dimensionNumbers: dn,
    featureGroupCount: p.batchGroupCount, batchGroupCount: p.featureGroupCount,
  });
  return castTo(out, rhs);
}

export const convTransposeRules: {
  [P in Prim.ConvGeneralDilated | Prim.ReduceWindowSum | Prim.SelectAndScatterAdd]: Rule<P>;
} = {
  [Prim.ConvGeneralDilated]: (cts, [lhs, rhs], p) => {
    const ct = instantiate(cts[0]);
    return [
      isUndef(lhs) ? convTransposeLhs(ct, lhs.aval, known(rhs), p) : null,
      isUndef(rhs) ? convTransposeRhs(ct, known(lhs), rhs.aval, p) : null,
    ];
  },
  /**
   * reduce_window_sum^T: each input element receives the cotangents of the windows covering it:
   * dilate ct by the strides, pad it like the lhs-gradient conv, and sum windows of the same
   * (all-ones, so unreversed) shape, striding by the base dilation to skip its holes.
   */
  [Prim.ReduceWindowSum]: (cts, [x], p) => {
    const ct = instantiate(cts[0]);
    const xa = isUndef(x) ? x.aval : known(x).aval;
    const pads = vjpLhsPadding(xa.shape, p.windowDimensions, p.windowStrides, ct.shape, p.padding, p.baseDilation, p.windowDilation);
    const cfg = pads.map(([lo, hi], i): [number, number, number] => [lo, hi, p.windowStrides[i] - 1]);
    const padded = lax.pad(ct, lax.convertElementType(0, ct.dtype), cfg);
    return [
      bind1(Prim.ReduceWindowSum, [padded], {
        windowDimensions: p.windowDimensions,
        windowStrides: p.baseDilation,
        padding: xa.shape.map((): [number, number] => [0, 0]),
        baseDilation: xa.shape.map(() => 1),
        windowDilation: p.windowDilation,
      }),
    ];
  },
  // Linear in the source: each window's cotangent is read back at the element it was added to.
  [Prim.SelectAndScatterAdd]: (cts, [source, operand], p) => {
    if (isUndef(operand)) throw new Error("internal: select_and_scatter_add is not linear in its operand");
    return [isUndef(source) ? windowGather(known(operand), instantiate(cts[0]), p, "ge") : null, null];
  },
};
