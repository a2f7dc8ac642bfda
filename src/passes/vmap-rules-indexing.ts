/**
 * @file Batching rules of the indexing primitives: dynamic slices, gather and the scatter family.
 *
 * Kiln's gather/scatter have no batching dimension numbers, so a batch axis shared by operand and
 * indices becomes an extra leading index column holding each example's position (an iota), which
 * maps to the operand's batch axis: the way JAX batched gathers before batching dims existed
 * (`jax/_src/lax/slicing.py`, `_gather_batching_rule`, jax 0.4.30). Dynamic slices with batched
 * start indices become such gathers and scatters; with unbatched indices they just gain a leading
 * start index of 0.
 */
import { Prim, type PrimParams } from "../ir/index.js";
import { type Tracer, bind, bind1 } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import { type BatchDim, type BatchRule, batchSize, range, toFront } from "./vmap-rules-common.js";

type IndexingPrim =
  | Prim.DynamicSlice | Prim.DynamicUpdateSlice | Prim.Gather | Prim.Scatter | Prim.ScatterAdd
  | Prim.ScatterMul | Prim.ScatterMin | Prim.ScatterMax;
type ScatterPrim = Prim.Scatter | Prim.ScatterAdd | Prim.ScatterMul | Prim.ScatterMin | Prim.ScatterMax;

const plus1 = (xs: readonly number[]) => xs.map((x) => x + 1);

/** Prepends to the index vectors of `idx` (batched at 0) a column with each example's position. */
function withExampleColumn(idx: Tracer): Tracer {
  const shape = [...idx.shape.slice(0, -1), 1];
  const col = lax.iota(idx.dtype, shape, 0);
  return lax.concatenate([col, idx], idx.ndim - 1);
}

const gatherBatcher: BatchRule<Prim.Gather> = ([x, idx], [dx, di], params) => {
  const dn = params.dimensionNumbers;
  const size = batchSize([x, idx], [dx, di]);
  if (di === null) {
    // The batch axis is one more window axis, taken whole: it becomes output axis 0.
    const y = bind1(Prim.Gather, [toFront(x, dx, size), idx], {
      ...params,
      dimensionNumbers: {
        ...dn,
        offsetDims: [0, ...plus1(dn.offsetDims)],
        collapsedSliceDims: plus1(dn.collapsedSliceDims),
        startIndexMap: plus1(dn.startIndexMap),
      },
      sliceSizes: [size, ...params.sliceSizes],
    });
    return [[y], [0]];
  }
  const idxB = toFront(idx, di, size);
  if (dx === null) {
    // A leading batch axis of the indices is a leading batch axis of the output.
    const y = bind1(Prim.Gather, [x, idxB], { ...params, dimensionNumbers: { ...dn, offsetDims: plus1(dn.offsetDims) } });
    return [[y], [0]];
  }
  const y = bind1(Prim.Gather, [toFront(x, dx, size), withExampleColumn(idxB)], {
    ...params,
    dimensionNumbers: {
      ...dn,
      offsetDims: plus1(dn.offsetDims),
      collapsedSliceDims: [0, ...plus1(dn.collapsedSliceDims)],
      startIndexMap: [0, ...plus1(dn.startIndexMap)],
    },
    sliceSizes: [1, ...params.sliceSizes],
  });
  return [[y], [0]];
};

/** Scatters: the operand (and updates) always end up batched at axis 0, as does the result. */
const scatterBatcher =
  <P extends ScatterPrim>(prim: P): BatchRule<P> =>
  ([x, idx, u], [dx, di, du], params) => {
    const p = params as PrimParams[Prim.Scatter];
    const dn = p.dimensionNumbers;
    const size = batchSize([x, idx, u], [dx, di, du]);
    const xb = toFront(x, dx, size);
    const ub = toFront(u, du, size);
    if (di === null) {
      // The updates' batch axis is a window axis covering the operand's batch axis.
      const dims = {
        ...dn,
        updateWindowDims: [0, ...plus1(dn.updateWindowDims)],
        insertedWindowDims: plus1(dn.insertedWindowDims),
        scatterDimsToOperandDims: plus1(dn.scatterDimsToOperandDims),
      };
      return [bind(prim, [xb, idx, ub], { ...p, dimensionNumbers: dims } as PrimParams[P]), [0]];
    }
    // Batched indices: each example scatters into its own slice, selected by the position column.
    const dims = {
      ...dn,
      updateWindowDims: plus1(dn.updateWindowDims),
      insertedWindowDims: [0, ...plus1(dn.insertedWindowDims)],
      scatterDimsToOperandDims: [0, ...plus1(dn.scatterDimsToOperandDims)],
    };
    const ib = withExampleColumn(toFront(idx, di, size));
    return [bind(prim, [xb, ib, ub], { ...p, dimensionNumbers: dims } as PrimParams[P]), [0]];
  };

/** Start indices as an int32 `[B, n]` index array (batched at 0). */
function stackStarts(starts: readonly Tracer[], dims: readonly BatchDim[], size: number): Tracer {
  const cols = starts.map((s, k) => {
    const i = s.dtype === "int32" ? s : lax.convertElementType(s, "int32");
    return lax.broadcastInDim(i, [size, 1], dims[k] === null ? [] : [0]);
  });
  return lax.concatenate(cols, 1);
}

/** The per-example gather equal to dynamic_slice (clip mode clamps starts the same way). */
const sliceAsGather = (n: number, sliceSizes: readonly number[]): PrimParams[Prim.Gather] => ({
  dimensionNumbers: {
    offsetDims: range(n),
    collapsedSliceDims: [],
    startIndexMap: range(n),
    operandBatchingDims: [],
    startIndicesBatchingDims: [],
  },
  sliceSizes: [...sliceSizes],
  indicesAreSorted: false,
  uniqueIndices: false,
  mode: "clip",
  fillValue: null,
});

const dynamicSliceBatcher: BatchRule<Prim.DynamicSlice> = ([x, ...starts], [dx, ...ds], { sliceSizes }) => {
  const size = batchSize([x, ...starts], [dx, ...ds]);
  if (ds.every((d) => d === null)) {
    const y = lax.dynamicSlice(toFront(x, dx, size), [0, ...starts], [size, ...sliceSizes]);
    return [[y], [0]];
  }
  const n = starts.length;
  return gatherBatcher([x, stackStarts(starts, ds, size)], [dx, 0], sliceAsGather(n, sliceSizes));
};

const dynamicUpdateSliceBatcher: BatchRule<Prim.DynamicUpdateSlice> = ([x, u, ...starts], [dx, du, ...ds]) => {
  const size = batchSize([x, u, ...starts], [dx, du, ...ds]);
  if (ds.every((d) => d === null)) {
    const y = lax.dynamicUpdateSlice(toFront(x, dx, size), toFront(u, du, size), [0, ...starts]);
    return [[y], [0]];
  }
  const n = starts.length;
  // The per-example scatter equal to dynamic_update_slice: the whole update is one window.
  const params: PrimParams[Prim.Scatter] = {
    dimensionNumbers: {
      updateWindowDims: range(n),
      insertedWindowDims: [],
      scatterDimsToOperandDims: range(n),
      operandBatchingDims: [],
      scatterIndicesBatchingDims: [],
    },
    indicesAreSorted: true,
    uniqueIndices: true,
    mode: "clip",
  };
  return scatterBatcher(Prim.Scatter)([x, stackStarts(starts, ds, size), u], [dx, 0, du], params);
};

export const indexingVmapRules: { [P in IndexingPrim]: BatchRule<P> } = {
  [Prim.DynamicSlice]: dynamicSliceBatcher,
  [Prim.DynamicUpdateSlice]: dynamicUpdateSliceBatcher,
  [Prim.Gather]: gatherBatcher,
  [Prim.Scatter]: scatterBatcher(Prim.Scatter),
  [Prim.ScatterAdd]: scatterBatcher(Prim.ScatterAdd),
  [Prim.ScatterMul]: scatterBatcher(Prim.ScatterMul),
  [Prim.ScatterMin]: scatterBatcher(Prim.ScatterMin),
  [Prim.ScatterMax]: scatterBatcher(Prim.ScatterMax),
};
