/**
 * @file Transpose rules of the indexing primitives (linear in their array operands): slices
 * transpose to updates of zeros, gathers to adding scatters into zeros and back (JAX's
 * `_gather_transpose_rule`, `_scatter_add_transpose_rule`, `_scatter_transpose_rule`).
 */
import { Prim, type PrimParams } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import { bind1 } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import { instantiate, type Tangent } from "./zero.js";
import { isUndef, type PrimalOrUndef } from "./transpose.js";
import { fullLike, gatherAtUpdates, gatherToScatter } from "./jvp-rules-indexing.js";

type Rule<P extends Prim> = (
  cts: readonly Tangent[],
  inputs: readonly PrimalOrUndef[],
  params: PrimParams[P],
) => (Tangent | null)[];

type Prims =
  | Prim.DynamicSlice | Prim.DynamicUpdateSlice | Prim.Gather | Prim.Scatter | Prim.ScatterAdd | Prim.ScatterMul;

const zerosOf = (shape: readonly number[], dtype: Tracer["dtype"]) => fullLike(shape, dtype, 0);
const shapeOf = (x: PrimalOrUndef): readonly number[] => (isUndef(x) ? x.aval.shape : (x as Tracer).shape);

const known = (x: PrimalOrUndef, prim: Prim): Tracer => {
  if (isUndef(x)) throw new Error(`internal: '${prim}' transpose needs its indices (and multipliers) known`);
  return x as Tracer;
};

export const indexingTransposeRules: { [P in Prims]: Rule<P> } = {
  // ct_operand: the slice's cotangent written into zeros at the (clamped) start indices.
  [Prim.DynamicSlice]: (cts, [x, ...idx]) => {
    const ct = instantiate(cts[0]);
    const out = lax.dynamicUpdateSlice(zerosOf(shapeOf(x), ct.dtype), ct, idx as Tracer[]);
    return [out, ...idx.map(() => null)];
  },
  // ct_operand: ct with the updated window zeroed; ct_update: the window of ct.
  [Prim.DynamicUpdateSlice]: (cts, [x, u, ...idx]) => {
    const ct = instantiate(cts[0]);
    const us = shapeOf(u);
    const ctx = isUndef(x) ? lax.dynamicUpdateSlice(ct, zerosOf(us, ct.dtype), idx as Tracer[]) : null;
    const ctu = isUndef(u) ? lax.dynamicSlice(ct, idx as Tracer[], us) : null;
    return [ctx, ctu, ...idx.map(() => null)];
  },
  /**
   * gather^T: every gathered element's cotangent is added back where it was read. Windows a
   * `fill` gather filled were read from nowhere; the `fill` scatter drops them alike.
   */
  [Prim.Gather]: (cts, [x, idx], p) => {
    const ct = instantiate(cts[0]);
    const sp: PrimParams[Prim.ScatterAdd] = {
      dimensionNumbers: gatherToScatter(p.dimensionNumbers),
      indicesAreSorted: p.indicesAreSorted, uniqueIndices: p.uniqueIndices, mode: p.mode,
    };
    const i = known(idx, Prim.Gather);
    return [bind1(Prim.ScatterAdd, [zerosOf(shapeOf(x), ct.dtype), i, ct], sp), null];
  },
  // scatter-add^T: the operand passes ct through; each update gets ct where it landed (0 if dropped).
  [Prim.ScatterAdd]: (cts, [x, idx, u], p) => {
    const ct = instantiate(cts[0]);
    const i = known(idx, Prim.ScatterAdd);
    return [isUndef(x) ? ct : null, null, isUndef(u) ? gatherAtUpdates(ct, i, shapeOf(u), p, 0) : null];
  },
  /**
   * scatter^T: overwritten operand entries get no cotangent; among updates landing on the same
   * element only the one the scatter kept does. Which one that is comes from scattering update ids
   * and reading them back, so duplicate indices transpose exactly (JAX requires unique ones).
   */
  [Prim.Scatter]: (cts, [x, idx, u], p) => {
    const ct = instantiate(cts[0]);
    const i = known(idx, Prim.Scatter);
    const us = shapeOf(u);
    const ctx = isUndef(x) ? bind1(Prim.Scatter, [ct, i, zerosOf(us, ct.dtype)], p) : null;
    let ctu: Tracer | null = null;
    if (isUndef(u)) {
      const n = us.reduce((a, b) => a * b, 1);
      const ids = lax.reshape(lax.iota("int32", [n]), us);
      const winners = bind1(Prim.Scatter, [fullLike(shapeOf(x), "int32", -1), i, ids], p);
      const kept = lax.eq(gatherAtUpdates(winners, i, us, p, -2), ids);
      ctu = lax.select(kept, gatherAtUpdates(ct, i, us, p, 0), zerosOf(us, ct.dtype));
    }
    return [ctx, null, ctu];
  },
  // scatter-mul is linear in the operand for fixed updates: x * F with F = scatter_mul(1, i, y).
  [Prim.ScatterMul]: (cts, [x, idx, u], p) => {
    if (isUndef(u)) throw new Error("internal: scatter-mul is not linear in its updates");
    const ct = instantiate(cts[0]);
    return [isUndef(x) ? bind1(Prim.ScatterMul, [ct, known(idx, Prim.ScatterMul), u as Tracer], p) : null, null, null];
  },
};
