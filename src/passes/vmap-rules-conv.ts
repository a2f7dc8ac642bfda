/**
 * @file Batching rules of convolution and windowed reductions.
 *
 * A convolution has no spare axis for the vmap axis, so it is folded into one the convolution
 * already maps over: the lhs batch axis (batched images), the rhs output-feature axis (batched
 * kernels), or, when both are batched, feature groups (each example convolves its own image with
 * its own kernel). The result axis is then split back out. This is the algorithm of JAX's
 * `_conv_general_dilated_batch_rule` (`jax/_src/lax/convolution.py`, jax 0.4.30). Windowed
 * reductions just get a size-1 window along the batch axis.
 */
import { Prim, type PrimParams, type WindowParams } from "../ir/index.js";
import { type Tracer, bind1 } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import { type BatchRule, batchSize, range, toFront } from "./vmap-rules-common.js";

type ConvPrim =
  | Prim.ConvGeneralDilated | Prim.ReduceWindowSum | Prim.ReduceWindowMax | Prim.ReduceWindowMin
  | Prim.SelectAndScatterAdd;

/**
 * Merges axis `src` into axis `dst` (numbered as if `src` were deleted), `src` being the major
 * part of the merged axis.
 */
export function reshapeAxisInto(src: number, dst: number, x: Tracer): Tracer {
  const perm = range(x.ndim).filter((i) => i !== src);
  perm.splice(dst, 0, src);
  const shape = x.shape.filter((_, i) => i !== src);
  shape[dst] *= x.shape[src];
  return lax.reshape(lax.transpose(x, perm), shape);
}

/** Splits axis `src` into (`major`, rest), in place. */
export function reshapeAxisOutOf(src: number, major: number, x: Tracer): Tracer {
  const shape = [...x.shape];
  shape.splice(src, 1, major, x.shape[src] / major);
  return lax.reshape(x, shape);
}

type ConvParams = PrimParams[Prim.ConvGeneralDilated];
const conv = (lhs: Tracer, rhs: Tracer, p: ConvParams) => bind1(Prim.ConvGeneralDilated, [lhs, rhs], p);

const convBatcher: BatchRule<Prim.ConvGeneralDilated> = ([lhs, rhs], [dl, dr], params) => {
  const { lhsSpec, rhsSpec, outSpec } = params.dimensionNumbers;
  const { featureGroupCount: G, batchGroupCount: BG } = params;
  const size = batchSize([lhs, rhs], [dl, dr]);
  if (dl !== null && dr !== null) {
    // Each example is its own group: lhs examples join the feature (or batch-group) axis, rhs
    // examples the output features; group counts grow by the batch size.
    const byBatch = BG > 1;
    const newLhs = reshapeAxisInto(dl, byBatch ? lhsSpec[0] : lhsSpec[1], lhs);
    const newRhs = reshapeAxisInto(dr, rhsSpec[0], rhs);
    const out = conv(newLhs, newRhs, {
      ...params,
      featureGroupCount: byBatch ? G : G * size,
      batchGroupCount: byBatch ? BG * size : BG,
    });
    return [[reshapeAxisOutOf(outSpec[1], size, out)], [outSpec[1]]];
  }
  if (dl !== null) {
    if (BG === 1) {
      // More images: fold the vmap axis into the lhs batch axis.
      const out = conv(reshapeAxisInto(dl, lhsSpec[0], lhs), rhs, params);
      return [[reshapeAxisOutOf(outSpec[0], size, out)], [outSpec[0]]];
    }
    // Batch groups must stay outermost: split them out, fold the vmap axis inside each group,
    // then merge the groups back.
    let x = reshapeAxisOutOf(lhsSpec[0] + (dl <= lhsSpec[0] ? 1 : 0), BG, lhs);
    x = reshapeAxisInto(dl + (lhsSpec[0] < dl ? 1 : 0), lhsSpec[0] + 1, x);
    x = reshapeAxisInto(lhsSpec[0], lhsSpec[0], x);
    const out = conv(x, rhs, params);
    return [[reshapeAxisOutOf(outSpec[0], size, out)], [outSpec[0]]];
  }
  if (G === 1 && BG === 1) {
    // More kernels: fold the vmap axis into the output features.
    const out = conv(lhs, reshapeAxisInto(dr!, rhsSpec[0], rhs), params);
    return [[reshapeAxisOutOf(outSpec[1], size, out)], [outSpec[1]]];
  }
  // Grouped: groups stay outermost in the output features, the vmap axis goes inside each group.
  const groups = G > 1 ? G : BG;
  let k = reshapeAxisOutOf(rhsSpec[0] + (dr! <= rhsSpec[0] ? 1 : 0), groups, rhs);
  k = reshapeAxisInto(dr! + (rhsSpec[0] < dr! ? 1 : 0), rhsSpec[0] + 1, k);
  k = reshapeAxisInto(rhsSpec[0], rhsSpec[0], k);
  let out = conv(lhs, k, params);
  out = reshapeAxisOutOf(outSpec[1], groups, out);
  out = reshapeAxisOutOf(outSpec[1] + 1, size, out);
  out = reshapeAxisInto(outSpec[1], outSpec[1] + 1, out);
  return [[out], [outSpec[1]]];
};

/** A window of 1 along axis `d`, which leaves that axis as it is. */
function withBatchWindow(w: WindowParams, d: number): WindowParams {
  const ins = <T>(xs: readonly T[], v: T): T[] => [...xs.slice(0, d), v, ...xs.slice(d)];
  return {
    windowDimensions: ins(w.windowDimensions, 1),
    windowStrides: ins(w.windowStrides, 1),
    padding: ins(w.padding, [0, 0] as const),
    baseDilation: ins(w.baseDilation, 1),
    windowDilation: ins(w.windowDilation, 1),
  };
}

const reduceWindowBatcher =
  <P extends Prim.ReduceWindowSum | Prim.ReduceWindowMax | Prim.ReduceWindowMin>(prim: P): BatchRule<P> =>
  ([x], [d], params) => [[bind1(prim, [x], withBatchWindow(params, d!) as PrimParams[P])], [d]];

export const convVmapRules: { [P in ConvPrim]: BatchRule<P> } = {
  [Prim.ConvGeneralDilated]: convBatcher,
  [Prim.ReduceWindowSum]: reduceWindowBatcher(Prim.ReduceWindowSum),
  [Prim.ReduceWindowMax]: reduceWindowBatcher(Prim.ReduceWindowMax),
  [Prim.ReduceWindowMin]: reduceWindowBatcher(Prim.ReduceWindowMin),
  // source and operand share the batched layout [B, ...]; the window skips the batch axis.
  [Prim.SelectAndScatterAdd]: ([source, operand], [ds, dop], params) => {
    const size = batchSize([source, operand], [ds, dop]);
    const y = bind1(Prim.SelectAndScatterAdd, [toFront(source, ds, size), toFront(operand, dop, size)], withBatchWindow(params, 0));
    return [[y], [0]];
  },
};
