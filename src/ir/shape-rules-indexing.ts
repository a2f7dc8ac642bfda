/**
 * @file Abstract evaluation of indexing primitives: dynamic slices, gather and scatter.
 */
import { ShapedArray } from "./aval.js";
import { Prim, type PrimParams } from "./primitives.js";
import { ShapeError } from "./errors.js";
import type { ShapeRule } from "./shape-rules.js";

type IndexingPrim =
  | Prim.DynamicSlice | Prim.DynamicUpdateSlice | Prim.Gather | Prim.Scatter | Prim.ScatterAdd
  | Prim.ScatterMul | Prim.ScatterMin | Prim.ScatterMax;

function checkStartIndices(prim: Prim, x: ShapedArray, idx: readonly ShapedArray[]): void {
  if (idx.length !== x.ndim || !idx.every((i) => i.ndim === 0 && (i.dtype === "int32" || i.dtype === "uint32"))) {
    throw new ShapeError(
      `${prim}: expected ${x.ndim} scalar integer start indices for ${x.str()}, received ` +
        `[${idx.map((i) => i.str()).join(", ")}].`,
    );
  }
}

function dynamicSliceRule(
  [x, ...idx]: readonly ShapedArray[],
  { sliceSizes }: PrimParams[Prim.DynamicSlice],
): ShapedArray[] {
  checkStartIndices(Prim.DynamicSlice, x, idx);
  if (sliceSizes.length !== x.ndim || !sliceSizes.every((s, i) => s >= 0 && s <= x.shape[i])) {
    throw new ShapeError(
      `dynamic_slice: slice sizes ${JSON.stringify(sliceSizes)} do not fit ${x.str()}; ` +
        `each must be between 0 and the axis size.`,
    );
  }
  return [x.withShape(sliceSizes)];
}

function dynamicUpdateSliceRule([x, u, ...idx]: readonly ShapedArray[]): ShapedArray[] {
  checkStartIndices(Prim.DynamicUpdateSlice, x, idx);
  if (u.dtype !== x.dtype || u.ndim !== x.ndim || !u.shape.every((s, i) => s <= x.shape[i])) {
    throw new ShapeError(
      `dynamic_update_slice: update ${u.str()} must have the operand's dtype and rank and fit ` +
        `inside the operand ${x.str()}.`,
    );
  }
  return [x];
}

const notYet = (prim: Prim) => (): never => {
  throw new Error(`internal: shape rule for ${prim} is not written yet`);
};

export const indexingShapeRules: { [P in IndexingPrim]: ShapeRule<P> } = {
  [Prim.DynamicSlice]: dynamicSliceRule,
  [Prim.DynamicUpdateSlice]: dynamicUpdateSliceRule,
  [Prim.Gather]: notYet(Prim.Gather),
  [Prim.Scatter]: notYet(Prim.Scatter),
  [Prim.ScatterAdd]: notYet(Prim.ScatterAdd),
  [Prim.ScatterMul]: notYet(Prim.ScatterMul),
  [Prim.ScatterMin]: notYet(Prim.ScatterMin),
  [Prim.ScatterMax]: notYet(Prim.ScatterMax),
};
