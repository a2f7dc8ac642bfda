/**
 * @file Reference impls of sort and top_k.
 */
import { Prim } from "../../ir/index.js";
import type { Impl } from "./ref-array.js";

const notYet = (prim: Prim) => (): never => {
  throw new Error(`internal: reference impl of ${prim} is not written yet`);
};

export const sortImpls: { [P in Prim.Sort | Prim.TopK]: Impl<P> } = {
  [Prim.Sort]: notYet(Prim.Sort),
  [Prim.TopK]: notYet(Prim.TopK),
};
