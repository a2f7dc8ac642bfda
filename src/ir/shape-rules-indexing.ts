/**
 * @file Abstract evaluation of indexing primitives: dynamic slices, gather and scatter.
 *
 * Gather and scatter follow XLA's dimension numbers (named as in `jax.lax`, jax 0.4.30): the index
 * vector is always the last axis of `indices`. Batching dimensions are not supported.
 * See https://openxla.org/xla/operation_semantics#gather and #scatter.
 */
import { ShapedArray } from "./aval.js";
import { Prim, type PrimParams } from "./primitives.js";
import { DTypeError, ShapeError } from "./errors.js";
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

const isInt = (a: ShapedArray): boolean => a.dtype === "int32" || a.dtype === "uint32";

/** Sorted, distinct, in [0, bound): the shape XLA demands of every dimension list. */
function checkDimList(
  prim: Prim,
  name: string,
  dims: readonly number[],
  bound: number,
  sorted: boolean,
  ctx: string,
): void {
  const ok =
    dims.every((d, i) => Number.isInteger(d) && d >= 0 && d < bound && (!sorted || i === 0 || d > dims[i - 1])) &&
    new Set(dims).size === dims.length;
  if (!ok) {
    throw new ShapeError(
      `${prim}: ${name} ${JSON.stringify(dims)} must be distinct${sorted ? ", increasing" : ""} integers in ` +
        `[0, ${bound}) (${ctx}).`,
    );
  }
}

function rejectBatching(prim: Prim, a: readonly number[], b: readonly number[], names: [string, string]): void {
  if (a.length > 0 || b.length > 0) {
    throw new ShapeError(
      `${prim}: ${names[0]}/${names[1]} are not supported by Kiln (received ${JSON.stringify(a)} and ` +
        `${JSON.stringify(b)}); express batching with an extra iota index column instead.`,
    );
  }
}

/** The index vector is the last axis of the indices, as in `jax.lax`; returns its length. */
function checkIndices(prim: Prim, indices: ShapedArray, mapLen: number, mapName: string): number {
  if (!isInt(indices) || indices.ndim === 0) {
    throw new ShapeError(
      `${prim}: indices must be an int32 or uint32 array of rank >= 1 whose last axis is the index vector; ` +
        `received ${indices.str()}.`,
    );
  }
  const n = indices.shape[indices.ndim - 1];
  if (n !== mapLen) {
    throw new ShapeError(
      `${prim}: the last axis of indices ${indices.str()} has ${n} entries but ${mapName} has ${mapLen}; ` +
        `they must match (one start index per mapped operand axis).`,
    );
  }
  return n;
}

function gatherRule(
  [x, indices]: readonly ShapedArray[],
  { dimensionNumbers: dn, sliceSizes, mode }: PrimParams[Prim.Gather],
): ShapedArray[] {
  const ctx = `operand ${x.str()}, indices ${indices.str()}`;
  rejectBatching(Prim.Gather, dn.operandBatchingDims, dn.startIndicesBatchingDims, [
    "operandBatchingDims",
    "startIndicesBatchingDims",
  ]);
  checkMode(Prim.Gather, mode);
  checkIndices(Prim.Gather, indices, dn.startIndexMap.length, "startIndexMap");
  const batchShape = indices.shape.slice(0, -1);
  const outRank = dn.offsetDims.length + batchShape.length;
  checkDimList(Prim.Gather, "offsetDims", dn.offsetDims, outRank, true, ctx);
  checkDimList(Prim.Gather, "collapsedSliceDims", dn.collapsedSliceDims, x.ndim, true, ctx);
  checkDimList(Prim.Gather, "startIndexMap", dn.startIndexMap, x.ndim, false, ctx);
  if (sliceSizes.length !== x.ndim || !sliceSizes.every((s, i) => Number.isInteger(s) && s >= 0 && s <= x.shape[i])) {
    throw new ShapeError(
      `gather: sliceSizes ${JSON.stringify(sliceSizes)} do not fit the operand ${x.str()}; give one size per ` +
        `operand axis, each between 0 and that axis' size.`,
    );
  }
  for (const d of dn.collapsedSliceDims) {
    if (sliceSizes[d] > 1) {
      throw new ShapeError(
        `gather: collapsed slice dimension ${d} has slice size ${sliceSizes[d]}; only axes sliced with size ` +
          `1 (or 0) can be collapsed.`,
      );
    }
  }
  const windowDims = sliceSizes.map((_, i) => i).filter((i) => !dn.collapsedSliceDims.includes(i));
  if (windowDims.length !== dn.offsetDims.length) {
    throw new ShapeError(
      `gather: offsetDims has ${dn.offsetDims.length} entries but the operand has ${windowDims.length} ` +
        `uncollapsed axes (${ctx}); every operand axis is either collapsed or an offset dimension.`,
    );
  }
  const shape: number[] = [];
  let b = 0;
  let w = 0;
  for (let i = 0; i < outRank; i++) {
    shape.push(dn.offsetDims.includes(i) ? sliceSizes[windowDims[w++]] : batchShape[b++]);
  }
  return [x.withShape(shape)];
}

function checkMode(prim: Prim, mode: string): void {
  if (mode !== "clip" && mode !== "fill" && mode !== "promise_in_bounds") {
    throw new TypeError(`${prim}: mode must be "clip", "fill" or "promise_in_bounds", received ${JSON.stringify(mode)}.`);
  }
}

type ScatterPrim = Prim.Scatter | Prim.ScatterAdd | Prim.ScatterMul | Prim.ScatterMin | Prim.ScatterMax;

function scatterRule<P extends ScatterPrim>(prim: P): ShapeRule<P> {
  return ([x, indices, updates], params) => {
    const { dimensionNumbers: dn, mode } = params as PrimParams[Prim.Scatter];
    const ctx = `operand ${x.str()}, indices ${indices.str()}, updates ${updates.str()}`;
    rejectBatching(prim, dn.operandBatchingDims, dn.scatterIndicesBatchingDims, [
      "operandBatchingDims",
      "scatterIndicesBatchingDims",
    ]);
    checkMode(prim, mode);
    checkIndices(prim, indices, dn.scatterDimsToOperandDims.length, "scatterDimsToOperandDims");
    if (updates.dtype !== x.dtype) {
      throw new DTypeError(`${prim}: updates must have the operand's dtype ${x.dtype}; received ${ctx}. Convert them first.`);
    }
    checkDimList(prim, "updateWindowDims", dn.updateWindowDims, updates.ndim, true, ctx);
    checkDimList(prim, "insertedWindowDims", dn.insertedWindowDims, x.ndim, true, ctx);
    checkDimList(prim, "scatterDimsToOperandDims", dn.scatterDimsToOperandDims, x.ndim, false, ctx);
    if (dn.updateWindowDims.length + dn.insertedWindowDims.length !== x.ndim) {
      throw new ShapeError(
        `${prim}: updateWindowDims (${dn.updateWindowDims.length}) plus insertedWindowDims ` +
          `(${dn.insertedWindowDims.length}) must cover the ${x.ndim} operand axes (${ctx}).`,
      );
    }
    const batchShape = indices.shape.slice(0, -1);
    const scatterDims = updates.shape.map((_, i) => i).filter((i) => !dn.updateWindowDims.includes(i));
    const scatterShape = scatterDims.map((i) => updates.shape[i]);
    if (scatterShape.length !== batchShape.length || !scatterShape.every((d, i) => d === batchShape[i])) {
      throw new ShapeError(
        `${prim}: the update axes outside updateWindowDims have shape (${scatterShape.join(", ")}) but the ` +
          `indices' batch shape is (${batchShape.join(", ")}) (${ctx}); they must be equal.`,
      );
    }
    const windowOperandDims = x.shape.map((_, i) => i).filter((i) => !dn.insertedWindowDims.includes(i));
    dn.updateWindowDims.forEach((u, k) => {
      const od = windowOperandDims[k];
      if (updates.shape[u] > x.shape[od]) {
        throw new ShapeError(
          `${prim}: update window axis ${u} has size ${updates.shape[u]}, larger than operand axis ${od} ` +
            `of size ${x.shape[od]} (${ctx}).`,
        );
      }
    });
    return [x];
  };
}

export const indexingShapeRules: { [P in IndexingPrim]: ShapeRule<P> } = {
  [Prim.DynamicSlice]: dynamicSliceRule,
  [Prim.DynamicUpdateSlice]: dynamicUpdateSliceRule,
  [Prim.Gather]: gatherRule,
  [Prim.Scatter]: scatterRule(Prim.Scatter),
  [Prim.ScatterAdd]: scatterRule(Prim.ScatterAdd),
  [Prim.ScatterMul]: scatterRule(Prim.ScatterMul),
  [Prim.ScatterMin]: scatterRule(Prim.ScatterMin),
  [Prim.ScatterMax]: scatterRule(Prim.ScatterMax),
};
