/**
 * @file Reference impls of convolution and windowed reductions.
 */
import { Prim } from "../../ir/index.js";
import type { Impl } from "./ref-array.js";

type ConvPrim =
  | Prim.ConvGeneralDilated | Prim.ReduceWindowSum | Prim.ReduceWindowMax | Prim.ReduceWindowMin
  | Prim.SelectAndScatterAdd;

const notYet = (prim: Prim) => (): never => {
  throw new Error(`internal: reference impl of ${prim} is not written yet`);
};

export const convImpls: { [P in ConvPrim]: Impl<P> } = {
  [Prim.ConvGeneralDilated]: notYet(Prim.ConvGeneralDilated),
  [Prim.ReduceWindowSum]: notYet(Prim.ReduceWindowSum),
  [Prim.ReduceWindowMax]: notYet(Prim.ReduceWindowMax),
  [Prim.ReduceWindowMin]: notYet(Prim.ReduceWindowMin),
  [Prim.SelectAndScatterAdd]: notYet(Prim.SelectAndScatterAdd),
};
