/**
 * @file Batching rules (JAX's `primitive_batchers`): for every primitive, how to compute it on
 * values that carry an extra batch axis, without a per-example loop.
 *
 * Most rules renumber axis params so the batch axis rides along where it already is; a few move it
 * to the front first (reshape, sort, concatenate). Indexing, convolution and control-flow rules
 * live in their own files and are spread into the one exhaustive table here.
 */
import { BINARY_PRIMS, COMPARE_PRIMS, Prim, type PrimParams, UNARY_PRIMS } from "../ir/index.js";
import { type Tracer, bind } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import {
  type BatchDim, type BatchRule, allAt, batchSize, exampleShape, fullAxis, moveaxis, range, toFront,
} from "./vmap-rules-common.js";
import { indexingVmapRules } from "./vmap-rules-indexing.js";
import { convVmapRules } from "./vmap-rules-conv.js";
import { controlVmapRules } from "./vmap-rules-control.js";
import { customVmapRules } from "./vmap-rules-custom.js";

export type { BatchDim, BatchRule } from "./vmap-rules-common.js";

const apply = <P extends Prim>(prim: P, xs: readonly Tracer[], params: PrimParams[P]) => bind(prim, xs, params);

/**
 * Elementwise primitives. Operands have one per-example shape, except that rank-0 operands may
 * mix with full-rank ones (as the lax shape rules allow). When every batched operand is full rank
 * with the same batch axis and the unbatched ones are scalars, the primitive applies as is;
 * otherwise batch axes move to the front and the rest broadcast to `[B, ...shape]`.
 * `strict` primitives (threefry2x32) need every operand at the full shape, scalars included.
 */
export const elementwiseBatcher =
  <P extends Prim>(prim: P, strict = false): BatchRule<P> =>
  (vals, dims, params) => {
    const ranks = vals.map((v, i) => v.ndim - (dims[i] === null ? 0 : 1));
    const full = Math.max(...ranks);
    const batched = range(vals.length).filter((i) => dims[i] !== null);
    const d0 = dims[batched[0]]!;
    const inPlace =
      batched.every((i) => dims[i] === d0 && ranks[i] === full) &&
      vals.every((v, i) => dims[i] !== null || (!strict && v.ndim === 0));
    if (inPlace) {
      const outs = apply(prim, vals, params);
      return [outs, allAt(outs, d0)];
    }
    const size = batchSize(vals, dims);
    const widest = ranks.indexOf(full);
    const target = [size, ...exampleShape(vals[widest], dims[widest])];
    const args = vals.map((v, i) => {
      const d = dims[i];
      if (d === null) {
        if (v.ndim === 0 && !strict) return v;
        return lax.broadcastInDim(v, target, v.ndim === 0 ? [] : range(full, 1));
      }
      const front = moveaxis(v, d, 0);
      return ranks[i] < full ? lax.broadcastInDim(front, target, [0]) : front;
    });
    const outs = apply(prim, args, params);
    return [outs, allAt(outs, 0)];
  };

/** Reductions over `axes`: renumber the axes around the batch axis, which stays put. */
const reduceBatcher =
  <P extends Prim>(prim: P): BatchRule<P> =>
  ([x], [d], params) => {
    const { axes } = params as unknown as PrimParams[Prim.ReduceSum];
    const full = axes.map((a) => fullAxis(a, d!));
    const out = apply(prim, [x], { ...params, axes: full } as PrimParams[P]);
    return [out, [d! - full.filter((a) => a < d!).length]];
  };

/** Scans along one axis (cumsum...): renumber the axis; the batch axis stays put. */
const cumBatcher =
  <P extends Prim>(prim: P): BatchRule<P> =>
  ([x], [d], params) => {
    const { axis } = params as unknown as PrimParams[Prim.Cumsum];
    return [apply(prim, [x], { ...params, axis: fullAxis(axis, d!) } as PrimParams[P]), [d]];
  };

/** Axis-list params that name per-example axes and keep the rank (rev). */
const revBatcher: BatchRule<Prim.Rev> = ([x], [d], { dimensions }) => [
  [lax.rev(x, dimensions.map((a) => fullAxis(a, d!)))],
  [d],
];

/** Unbatched operands broadcast, batched ones move to the front; returns the operands. */
const allToFront = (vals: readonly Tracer[], dims: readonly BatchDim[]): Tracer[] => {
  const size = batchSize(vals, dims);
  return vals.map((v, i) => toFront(v, dims[i], size));
};

/**
 * pad: a batched operand gets a (0, 0, 0) entry for its batch axis. A batched padding value pads
 * with zero and then writes each example's value where a padding mask (the same pad of `false`
 * with `true`) is set.
 */
const padBatcher: BatchRule<Prim.Pad> = ([x, v], [dx, dv], { paddingConfig }) => {
  if (dv === null) {
    const cfg = [...paddingConfig];
    cfg.splice(dx!, 0, [0, 0, 0]);
    return [[lax.pad(x, v, cfg)], [dx]];
  }
  const size = batchSize([x, v], [dx, dv]);
  const xb = toFront(x, dx, size);
  const zero = lax.convertElementType(0, x.dtype);
  const y = lax.pad(xb, zero, [[0, 0, 0], ...paddingConfig]);
  const falses = lax.broadcastInDim(false, exampleShape(x, dx), []);
  const mask = lax.pad(falses, true, paddingConfig);
  const shape = y.shape;
  const maskB = lax.broadcastInDim(mask, shape, range(mask.ndim, 1));
  const vB = lax.broadcastInDim(toFront(v, dv, size), shape, [0]);
  return [[lax.select(maskB, vB, y)], [0]];
};

/** dot_general: a batch axis on both sides is a new batch dimension; on one side, a free one. */
const dotGeneralBatcher: BatchRule<Prim.DotGeneral> = ([a, b], [da, db], params) => {
  const [[lc, rc], [lb, rb]] = params.dimensionNumbers;
  const mapA = (xs: readonly number[]) => (da === null ? [...xs] : xs.map((x) => fullAxis(x, da)));
  const mapB = (xs: readonly number[]) => (db === null ? [...xs] : xs.map((x) => fullAxis(x, db)));
  let [lc2, lb2, rc2, rb2] = [mapA(lc), mapA(lb), mapB(rc), mapB(rb)];
  let out: number;
  if (da !== null && db !== null) {
    lb2 = [da, ...lb2];
    rb2 = [db, ...rb2];
    out = 0;
  } else if (da !== null) {
    // Output axes: batch, then lhs free axes in order, then rhs free axes.
    const free = range(a.ndim).filter((i) => !lc2.includes(i) && !lb2.includes(i));
    out = lb.length + free.indexOf(da);
  } else {
    const free = range(b.ndim).filter((i) => !rc2.includes(i) && !rb2.includes(i));
    out = lb.length + (a.ndim - lc.length - lb.length) + free.indexOf(db!);
  }
  const dn = [[lc2, rc2], [lb2, rb2]] as const;
  return [[lax.dotGeneral(a, b, dn, params.preferredElementType)], [out]];
};

const unaryRules = Object.fromEntries(UNARY_PRIMS.map((p) => [p, elementwiseBatcher(p)])) as unknown as {
  [P in (typeof UNARY_PRIMS)[number]]: BatchRule<P>;
};
const binaryRules = Object.fromEntries(BINARY_PRIMS.map((p) => [p, elementwiseBatcher(p)])) as unknown as {
  [P in (typeof BINARY_PRIMS)[number]]: BatchRule<P>;
};
const compareRules = Object.fromEntries(COMPARE_PRIMS.map((p) => [p, elementwiseBatcher(p)])) as unknown as {
  [P in (typeof COMPARE_PRIMS)[number]]: BatchRule<P>;
};

/** The batching table: one rule per primitive (a missing one fails to compile). */
export const vmapRules: { [P in Prim]: BatchRule<P> } = {
  ...unaryRules,
  ...binaryRules,
  ...compareRules,
  [Prim.Round]: elementwiseBatcher(Prim.Round),
  [Prim.IntegerPow]: elementwiseBatcher(Prim.IntegerPow),
  [Prim.SelectN]: elementwiseBatcher(Prim.SelectN),
  [Prim.Clamp]: elementwiseBatcher(Prim.Clamp),
  [Prim.ConvertElementType]: elementwiseBatcher(Prim.ConvertElementType),
  [Prim.BitcastConvertType]: elementwiseBatcher(Prim.BitcastConvertType),
  // The batch axis leads: [B, ...shape], with the operand's axes shifted by one.
  [Prim.BroadcastInDim]: ([x], [d], { shape, broadcastDimensions }) => {
    const y = lax.broadcastInDim(moveaxis(x, d!, 0), [x.shape[d!], ...shape], [0, ...broadcastDimensions.map((a) => a + 1)]);
    return [[y], [0]];
  },
  // Row-major reshapes keep the leading axis apart only when it leads: move it to the front first.
  [Prim.Reshape]: ([x], [d], { newSizes }) => [[lax.reshape(moveaxis(x, d!, 0), [x.shape[d!], ...newSizes])], [0]],
  // One transpose: the batch axis first, then the per-example permutation in full-array axes.
  [Prim.Transpose]: ([x], [d], { permutation }) => [[lax.transpose(x, [d!, ...permutation.map((a) => fullAxis(a, d!))])], [0]],
  [Prim.Squeeze]: ([x], [d], { dimensions }) => {
    const full = dimensions.map((a) => fullAxis(a, d!));
    return [[lax.squeeze(x, full)], [d! - full.filter((a) => a < d!).length]];
  },
  // Inserted positions index the output: with the batch axis in front they shift by one.
  [Prim.ExpandDims]: ([x], [d], { dimensions }) => [[lax.expandDims(moveaxis(x, d!, 0), dimensions.map((a) => a + 1))], [0]],
  [Prim.Rev]: revBatcher,
  [Prim.Pad]: padBatcher,
  [Prim.Concatenate]: (vals, dims, { dimension }) => [[lax.concatenate(allToFront(vals, dims), dimension + 1)], [0]],
  [Prim.Slice]: ([x], [d], { startIndices, limitIndices, strides }) => {
    const ins = <T>(xs: readonly T[], v: T) => [...xs.slice(0, d!), v, ...xs.slice(d!)];
    const y = lax.slice(x, ins(startIndices, 0), ins(limitIndices, x.shape[d!]), strides ? ins(strides, 1) : null);
    return [[y], [d]];
  },
  ...indexingVmapRules,
  // iota has no operands, so it is never batched; the trace binds it below without a rule.
  [Prim.Iota]: () => {
    throw new Error("internal: iota has no operands to batch");
  },
  [Prim.Copy]: elementwiseBatcher(Prim.Copy),
  [Prim.ReduceSum]: reduceBatcher(Prim.ReduceSum),
  [Prim.ReduceMax]: reduceBatcher(Prim.ReduceMax),
  [Prim.ReduceMin]: reduceBatcher(Prim.ReduceMin),
  [Prim.ReduceProd]: reduceBatcher(Prim.ReduceProd),
  [Prim.ReduceAnd]: reduceBatcher(Prim.ReduceAnd),
  [Prim.ReduceOr]: reduceBatcher(Prim.ReduceOr),
  [Prim.ReduceXor]: reduceBatcher(Prim.ReduceXor),
  [Prim.Argmax]: reduceBatcher(Prim.Argmax),
  [Prim.Argmin]: reduceBatcher(Prim.Argmin),
  [Prim.Cumsum]: cumBatcher(Prim.Cumsum),
  [Prim.Cumprod]: cumBatcher(Prim.Cumprod),
  [Prim.Cummax]: cumBatcher(Prim.Cummax),
  [Prim.Cummin]: cumBatcher(Prim.Cummin),
  [Prim.Cumlogsumexp]: cumBatcher(Prim.Cumlogsumexp),
  // Operands must share one shape: all go to [B, ...]; the sorted axis shifts by one.
  [Prim.Sort]: (vals, dims, params) => {
    const outs = apply(Prim.Sort, allToFront(vals, dims), { ...params, dimension: params.dimension + 1 });
    return [outs, allAt(outs, 0)];
  },
  // top_k works on the last axis, so a batch axis there moves to the front.
  [Prim.TopK]: ([x], [d], params) => {
    const [y, b] = d === x.ndim - 1 ? [moveaxis(x, d, 0), 0] : [x, d];
    const outs = apply(Prim.TopK, [y], params);
    return [outs, allAt(outs, b)];
  },
  [Prim.DotGeneral]: dotGeneralBatcher,
  ...convVmapRules,
  [Prim.Threefry2x32]: elementwiseBatcher(Prim.Threefry2x32, true),
  [Prim.StopGradient]: elementwiseBatcher(Prim.StopGradient),
  ...controlVmapRules,
  ...customVmapRules,
};
