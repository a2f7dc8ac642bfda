/**
 * @file Reference impls of dynamic slicing, gather and scatter (XLA semantics).
 */
import { Prim } from "../../ir/index.js";
import { type Impl, alloc, forEachIndex, stridesOf } from "./ref-array.js";

type IndexingPrim =
  | Prim.DynamicSlice | Prim.DynamicUpdateSlice | Prim.Gather | Prim.Scatter | Prim.ScatterAdd
  | Prim.ScatterMul | Prim.ScatterMin | Prim.ScatterMax;

/** XLA clamps dynamic start indices so the slice lies inside the operand. */
const clampStart = (start: number, size: number, dim: number) => Math.min(Math.max(start, 0), dim - size);

const dynamicSliceImpl: Impl<Prim.DynamicSlice> = ([x, ...idx], { sliceSizes }, [out]) => {
  const starts = idx.map((s, i) => clampStart(s.data[0], sliceSizes[i], x.shape[i]));
  const xs = stridesOf(x.shape);
  const o = alloc(out);
  forEachIndex(out.shape, (ix, flat) => {
    let src = 0;
    for (let i = 0; i < ix.length; i++) src += (ix[i] + starts[i]) * xs[i];
    o[flat] = x.data[src];
  });
  return [o];
};

const dynamicUpdateSliceImpl: Impl<Prim.DynamicUpdateSlice> = ([x, u, ...idx], _p, [out]) => {
  const starts = idx.map((s, i) => clampStart(s.data[0], u.shape[i], x.shape[i]));
  const xs = stridesOf(x.shape);
  const o = alloc(out);
  o.set(x.data);
  forEachIndex(u.shape, (ix, flat) => {
    let dst = 0;
    for (let i = 0; i < ix.length; i++) dst += (ix[i] + starts[i]) * xs[i];
    o[dst] = u.data[flat];
  });
  return [o];
};

const notYet = (prim: Prim) => (): never => {
  throw new Error(`internal: reference impl of ${prim} is not written yet`);
};

export const indexingImpls: { [P in IndexingPrim]: Impl<P> } = {
  [Prim.DynamicSlice]: dynamicSliceImpl,
  [Prim.DynamicUpdateSlice]: dynamicUpdateSliceImpl,
  [Prim.Gather]: notYet(Prim.Gather),
  [Prim.Scatter]: notYet(Prim.Scatter),
  [Prim.ScatterAdd]: notYet(Prim.ScatterAdd),
  [Prim.ScatterMul]: notYet(Prim.ScatterMul),
  [Prim.ScatterMin]: notYet(Prim.ScatterMin),
  [Prim.ScatterMax]: notYet(Prim.ScatterMax),
};
