/**
 * @file The reference backend's impl table: one entry per primitive, exhaustive by type.
 */
import { BINARY_PRIMS, COMPARE_PRIMS, type FirstOrderPrim, Prim, UNARY_PRIMS } from "../../ir/index.js";
import type { Impl } from "./ref-array.js";
import {
  BINARY_FNS, UNARY_FNS, binaryImpl, bitcastImpl, clampImpl, convertImpl, integerPowImpl, roundImpl,
  selectNImpl, unaryImpl,
} from "./elementwise.js";
import {
  broadcastInDimImpl, concatenateImpl, copyImpl, iotaImpl, padImpl, revImpl, sliceImpl, transposeImpl,
} from "./structural.js";
import { argImpl, cumImpl, reduceImpl } from "./reductions.js";
import { dotGeneralImpl } from "./dot.js";
import { indexingImpls } from "./indexing.js";
import { convImpls } from "./conv.js";
import { sortImpls } from "./sort.js";
import { threefryImpl } from "./threefry.js";

/** Higher-order primitives never reach a backend: the traces interpret their programs. */
type Table = { [P in FirstOrderPrim]: Impl<P> };

const fromList = <P extends Prim>(prims: readonly P[], make: (p: P) => Impl<Prim>) =>
  Object.fromEntries(prims.map((p) => [p, make(p)])) as unknown as { [Q in P]: Impl<Q> };

export const referenceImpls: Table = {
  ...fromList(UNARY_PRIMS, (p) => unaryImpl(UNARY_FNS[p])),
  ...fromList(BINARY_PRIMS, (p) => binaryImpl(BINARY_FNS[p])),
  ...fromList(COMPARE_PRIMS, (p) => binaryImpl(BINARY_FNS[p])),
  [Prim.Round]: roundImpl,
  [Prim.IntegerPow]: integerPowImpl,
  [Prim.SelectN]: selectNImpl,
  [Prim.Clamp]: clampImpl,
  [Prim.ConvertElementType]: convertImpl,
  [Prim.BitcastConvertType]: bitcastImpl,
  [Prim.BroadcastInDim]: broadcastInDimImpl,
  [Prim.Reshape]: copyImpl,
  [Prim.Transpose]: transposeImpl,
  [Prim.Squeeze]: copyImpl,
  [Prim.ExpandDims]: copyImpl,
  [Prim.Rev]: revImpl,
  [Prim.Pad]: padImpl,
  [Prim.Concatenate]: concatenateImpl,
  [Prim.Slice]: sliceImpl,
  ...indexingImpls,
  [Prim.Iota]: iotaImpl,
  [Prim.Copy]: copyImpl,
  ...fromList(
    [Prim.ReduceSum, Prim.ReduceMax, Prim.ReduceMin, Prim.ReduceProd, Prim.ReduceAnd, Prim.ReduceOr, Prim.ReduceXor],
    reduceImpl,
  ),
  [Prim.Argmax]: argImpl(true),
  [Prim.Argmin]: argImpl(false),
  ...fromList([Prim.Cumsum, Prim.Cumprod, Prim.Cummax, Prim.Cummin, Prim.Cumlogsumexp], cumImpl),
  ...sortImpls,
  [Prim.DotGeneral]: dotGeneralImpl,
  ...convImpls,
  [Prim.Threefry2x32]: threefryImpl,
  [Prim.StopGradient]: copyImpl,
};
