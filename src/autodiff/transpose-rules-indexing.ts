/**
 * @file Transpose rules of the indexing primitives (linear in their array operands).
 */
import { Prim, type PrimParams } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import { instantiate, type Tangent } from "./zero.js";
import { isUndef, type PrimalOrUndef } from "./transpose.js";

type Rule<P extends Prim> = (
  cts: readonly Tangent[],
  inputs: readonly PrimalOrUndef[],
  params: PrimParams[P],
) => (Tangent | null)[];

const zerosOf = (shape: readonly number[], dtype: Tracer["dtype"]) =>
  lax.broadcastInDim(lax.convertElementType(0, dtype), shape, []);

export const indexingTransposeRules: { [P in Prim.DynamicSlice | Prim.DynamicUpdateSlice]: Rule<P> } = {
  // ct_operand: the slice's cotangent written into zeros at the (clamped) start indices.
  [Prim.DynamicSlice]: (cts, [x, ...idx]) => {
    const ct = instantiate(cts[0]);
    const xa = isUndef(x) ? x.aval : (x as Tracer).aval;
    const out = lax.dynamicUpdateSlice(zerosOf(xa.shape, ct.dtype), ct, idx as Tracer[]);
    return [out, ...idx.map(() => null)];
  },
  // ct_operand: ct with the updated window zeroed; ct_update: the window of ct.
  [Prim.DynamicUpdateSlice]: (cts, [x, u, ...idx]) => {
    const ct = instantiate(cts[0]);
    const ua = isUndef(u) ? u.aval : (u as Tracer).aval;
    const ctx = isUndef(x) ? lax.dynamicUpdateSlice(ct, zerosOf(ua.shape, ct.dtype), idx as Tracer[]) : null;
    const ctu = isUndef(u) ? lax.dynamicSlice(ct, idx as Tracer[], ua.shape) : null;
    return [ctx, ctu, ...idx.map(() => null)];
  },
};
