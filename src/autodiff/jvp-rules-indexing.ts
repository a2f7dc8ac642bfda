/**
 * @file JVP rules of the indexing primitives: all are linear in the array operands and have no
 * derivative in their integer index operands.
 */
import { Prim } from "../ir/index.js";
import { bind } from "../trace/core.js";
import { type Tangent, Zero, instantiate, isZero } from "./zero.js";
import type { JvpRule } from "./jvp-rules.js";

type IndexingPrim =
  | Prim.DynamicSlice | Prim.DynamicUpdateSlice | Prim.Gather | Prim.Scatter | Prim.ScatterAdd
  | Prim.ScatterMul | Prim.ScatterMin | Prim.ScatterMax;

/**
 * A primitive linear in the operands at `linear` positions, whose other operands are indices:
 * the tangent applies the primitive to the tangents there and to the primal indices elsewhere.
 */
const linearInJvp =
  <P extends Prim>(prim: P, linear: (i: number) => boolean): JvpRule<P> =>
  (primals, tangents, params) => {
    const out = bind(prim, primals, params);
    if (tangents.every((t, i) => isZero(t) || !linear(i))) return [out, out.map((o) => Zero.like(o))];
    const args = primals.map((p, i) => (linear(i) ? instantiate(tangents[i] as Tangent) : p));
    return [out, bind(prim, args, params)];
  };

const notYet =
  <P extends Prim>(prim: P): JvpRule<P> =>
  () => {
    throw new Error(`jvp of '${prim}' is not implemented yet.`);
  };

export const indexingJvpRules: { [P in IndexingPrim]: JvpRule<P> } = {
  [Prim.DynamicSlice]: linearInJvp(Prim.DynamicSlice, (i) => i === 0),
  [Prim.DynamicUpdateSlice]: linearInJvp(Prim.DynamicUpdateSlice, (i) => i < 2),
  [Prim.Gather]: linearInJvp(Prim.Gather, (i) => i === 0),
  // scatter (overwrite) is linear in (operand, updates) jointly: overwritten operand entries get the update's tangent.
  [Prim.Scatter]: linearInJvp(Prim.Scatter, (i) => i !== 1),
  [Prim.ScatterAdd]: linearInJvp(Prim.ScatterAdd, (i) => i !== 1),
  [Prim.ScatterMul]: notYet(Prim.ScatterMul),
  [Prim.ScatterMin]: notYet(Prim.ScatterMin),
  [Prim.ScatterMax]: notYet(Prim.ScatterMax),
};

