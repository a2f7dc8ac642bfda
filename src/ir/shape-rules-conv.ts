/**
 * @file Abstract evaluation of convolution and windowed reductions.
 */
import { Prim } from "./primitives.js";
import type { ShapeRule } from "./shape-rules.js";

type ConvPrim =
  | Prim.ConvGeneralDilated | Prim.ReduceWindowSum | Prim.ReduceWindowMax | Prim.ReduceWindowMin
  | Prim.SelectAndScatterAdd;

const notYet = (prim: Prim) => (): never => {
  throw new Error(`internal: shape rule for ${prim} is not written yet`);
};

export const convShapeRules: { [P in ConvPrim]: ShapeRule<P> } = {
  [Prim.ConvGeneralDilated]: notYet(Prim.ConvGeneralDilated),
  [Prim.ReduceWindowSum]: notYet(Prim.ReduceWindowSum),
  [Prim.ReduceWindowMax]: notYet(Prim.ReduceWindowMax),
  [Prim.ReduceWindowMin]: notYet(Prim.ReduceWindowMin),
  [Prim.SelectAndScatterAdd]: notYet(Prim.SelectAndScatterAdd),
};
