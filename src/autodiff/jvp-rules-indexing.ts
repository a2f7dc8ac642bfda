/**
 * @file JVP rules of the indexing primitives. Slicing, gathering, overwriting and adding scatters
 * are linear in their array operands and have no derivative in their integer index operands; the
 * multiplicative and extremal scatters get product-rule and tie-sharing rules (JAX's
 * `_scatter_mul_jvp_rhs`, `_scatter_extremal_jvp`), written with gathers and adding scatters so
 * their tangents stay transposable.
 */
import {
  type GatherDimensionNumbers, Prim, type PrimParams, type ScatterDimensionNumbers,
} from "../ir/index.js";
import { type Tracer, bind, bind1 } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import { type Tangent, Zero, addTangents, instantiate, isZero } from "./zero.js";
import type { JvpRule } from "./jvp-rules.js";

type IndexingPrim =
  | Prim.DynamicSlice | Prim.DynamicUpdateSlice | Prim.Gather | Prim.Scatter | Prim.ScatterAdd
  | Prim.ScatterMul | Prim.ScatterMin | Prim.ScatterMax;

type ScatterParams = PrimParams[Prim.Scatter];

/**
 * The gather reading back, for each update element, the operand element a scatter writes it to:
 * window dims become offset dims, inserted dims collapse (JAX's scatter transpose construction).
 */
export function scatterToGather(
  dn: ScatterDimensionNumbers, operandShape: readonly number[], updatesShape: readonly number[],
): { dimensionNumbers: GatherDimensionNumbers; sliceSizes: number[] } {
  let pos = 0;
  const sliceSizes = operandShape.map((_, i) =>
    dn.insertedWindowDims.includes(i) || dn.operandBatchingDims.includes(i) ? 1 : updatesShape[dn.updateWindowDims[pos++]],
  );
  return {
    dimensionNumbers: {
      offsetDims: dn.updateWindowDims,
      collapsedSliceDims: dn.insertedWindowDims,
      startIndexMap: dn.scatterDimsToOperandDims,
      operandBatchingDims: dn.operandBatchingDims,
      startIndicesBatchingDims: dn.scatterIndicesBatchingDims,
    },
    sliceSizes,
  };
}

/** The scatter writing each gathered element back where the gather read it (gather's transpose). */
export const gatherToScatter = (dn: GatherDimensionNumbers): ScatterDimensionNumbers => ({
  updateWindowDims: dn.offsetDims,
  insertedWindowDims: dn.collapsedSliceDims,
  scatterDimsToOperandDims: dn.startIndexMap,
  operandBatchingDims: dn.operandBatchingDims,
  scatterIndicesBatchingDims: dn.startIndicesBatchingDims,
});

/**
 * Gathers from an operand-shaped `x` the element each update of a scatter lands on. Windows a
 * `fill`-mode scatter drops read `fillValue`; callers make those contributions vanish.
 */
export function gatherAtUpdates(
  x: Tracer, indices: Tracer, updatesShape: readonly number[], p: ScatterParams, fillValue: number,
): Tracer {
  const g = scatterToGather(p.dimensionNumbers, x.shape, updatesShape);
  return bind1(Prim.Gather, [x, indices], {
    ...g, indicesAreSorted: p.indicesAreSorted, uniqueIndices: p.uniqueIndices, mode: p.mode, fillValue,
  });
}

export const fullLike = (shape: readonly number[], dtype: Tracer["dtype"], v: number): Tracer =>
  lax.broadcastInDim(lax.convertElementType(v, dtype), shape, []);

const asFloat = (b: Tracer, like: Tracer) => lax.convertElementType(b, like.dtype);

/** Adds `updates` into zeros shaped like the operand, at the scatter's positions. */
const scatterAddInto = (x: Tracer, indices: Tracer, updates: Tracer, p: ScatterParams) =>
  bind1(Prim.ScatterAdd, [fullLike(x.shape, updates.dtype, 0), indices, updates], p);

/**
 * A primitive linear in the operands at `linear` positions, whose other operands are indices:
 * the tangent applies the primitive to the tangents there and to the primal indices elsewhere.
 */
const linearInJvp =
  <P extends Prim>(prim: P, linear: (i: number) => boolean, tangentParams: (p: PrimParams[P]) => PrimParams[P] = (p) => p): JvpRule<P> =>
  (primals, tangents, params) => {
    const out = bind(prim, primals, params);
    if (tangents.every((t, i) => isZero(t) || !linear(i))) return [out, out.map((o) => Zero.like(o))];
    const args = primals.map((p, i) => (linear(i) ? instantiate(tangents[i] as Tangent) : p));
    return [out, bind(prim, args, tangentParams(params))];
  };

/**
 * scatter-mul: out[p] = x[p] prod_{k->p} y_k, so d out = scatter_mul(dx, i, y) +
 * x * scatter_add(0, i, dy_k prod_{l->p, l != k} y_l). The product of the other updates is
 * formed without dividing by zero: from the count Z of zero updates at p and the product P of
 * the nonzero ones, it is P / y_k (Z = 0), P for the single zero update (Z = 1), else 0.
 */
const scatterMulJvp: JvpRule<Prim.ScatterMul> = ([x, i, y], [tx, , ty], params) => {
  const out = bind1(Prim.ScatterMul, [x, i, y], params);
  let t: Tangent = Zero.like(out);
  if (!isZero(tx)) t = bind1(Prim.ScatterMul, [tx, i, y], params);
  if (!isZero(ty)) {
    const isZ = lax.eq(y, 0);
    const safeY = lax.select(isZ, 1, y);
    const zeros = bind1(Prim.ScatterAdd, [fullLike(x.shape, y.dtype, 0), i, asFloat(isZ, y)], params);
    const prods = bind1(Prim.ScatterMul, [fullLike(x.shape, y.dtype, 1), i, safeY], params);
    const zk = gatherAtUpdates(zeros, i, y.shape, params, 0);
    const pk = gatherAtUpdates(prods, i, y.shape, params, 0);
    const others = lax.select(
      isZ, lax.select(lax.eq(zk, 1), pk, 0), lax.select(lax.eq(zk, 0), lax.div(pk, safeY), 0),
    );
    t = addTangents(t, lax.mul(x, scatterAddInto(x, i, lax.mul(ty, others), params)));
  }
  return [[out], [t]];
};

/**
 * scatter-min / scatter-max: the result's tangent at p is the average of the tangents of every
 * candidate (the operand and the updates landing on p) equal to the result, as JAX shares ties.
 */
const scatterExtremumJvp =
  <P extends Prim.ScatterMin | Prim.ScatterMax>(prim: P): JvpRule<P> =>
  ([x, i, y], [tx, , ty], params) => {
    const out = bind1(prim, [x, i, y], params);
    // NaN fill: dropped updates never compare equal, so they count nowhere.
    const won = asFloat(lax.eq(y, gatherAtUpdates(out, i, y.shape, params, NaN)), out);
    const kept = asFloat(lax.eq(x, out), out);
    const count = lax.max(lax.add(kept, scatterAddInto(x, i, won, params)), 1);
    const fromX: Tangent = isZero(tx) ? tx : lax.mul(tx, kept);
    const fromY: Tangent = isZero(ty) ? ty : scatterAddInto(x, i, lax.mul(ty, won), params);
    const sum = addTangents(fromX, fromY);
    return [[out], [isZero(sum) ? Zero.like(out) : lax.div(sum, count)]];
  };

export const indexingJvpRules: { [P in IndexingPrim]: JvpRule<P> } = {
  [Prim.DynamicSlice]: linearInJvp(Prim.DynamicSlice, (i) => i === 0),
  [Prim.DynamicUpdateSlice]: linearInJvp(Prim.DynamicUpdateSlice, (i) => i < 2),
  // Out-of-bounds windows of a `fill` gather are constants: their tangent is 0, not the fill value.
  [Prim.Gather]: linearInJvp(Prim.Gather, (i) => i === 0, (p) => (p.mode === "fill" ? { ...p, fillValue: 0 } : p)),
  // scatter (overwrite) is linear in (operand, updates) jointly: overwritten operand entries get the update's tangent.
  [Prim.Scatter]: linearInJvp(Prim.Scatter, (i) => i !== 1),
  [Prim.ScatterAdd]: linearInJvp(Prim.ScatterAdd, (i) => i !== 1),
  [Prim.ScatterMul]: scatterMulJvp,
  [Prim.ScatterMin]: scatterExtremumJvp(Prim.ScatterMin),
  [Prim.ScatterMax]: scatterExtremumJvp(Prim.ScatterMax),
};
