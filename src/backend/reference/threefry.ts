/**
 * @file Reference threefry2x32 (Salmon et al. 2011, 20 rounds), bit-exact with JAX's.
 */
import { Prim } from "../../ir/index.js";
import type { Impl } from "./ref-array.js";

export const threefryImpl: Impl<Prim.Threefry2x32> = () => {
  throw new Error(`internal: reference impl of ${Prim.Threefry2x32} is not written yet`);
};
