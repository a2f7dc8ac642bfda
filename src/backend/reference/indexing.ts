/**
 * @file Reference impls of dynamic slicing, gather and scatter (XLA semantics).
 *
 * Out-of-bounds handling follows JAX's GatherScatterMode: `clip` and `promise_in_bounds` clamp the
 * start indices so the whole window fits; `fill` fills a gathered window that does not fit with the
 * fill value and drops a scatter window that does not fit. Scatter updates apply in row-major order
 * of `updates`, so duplicate indices combine deterministically (the last `set` wins).
 */
import { type DType, type GatherScatterMode, Prim, type PrimParams, isFloat } from "../../ir/index.js";
import { type Impl, type RefArray, alloc, forEachIndex, stridesOf } from "./ref-array.js";

type ScatterPrim = Prim.Scatter | Prim.ScatterAdd | Prim.ScatterMul | Prim.ScatterMin | Prim.ScatterMax;
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


/** JAX's default fill for out-of-bounds gathers: NaN, the minimum signed int, the maximum unsigned, true. */
export function defaultFillValue(d: DType): number {
  if (isFloat(d)) return NaN;
  if (d === "int32") return -2147483648;
  if (d === "uint32") return 4294967295;
  return 1;
}

/**
 * Reads the start-index vector of batch position `batch` (a multi-index into the indices' leading axes)
 * into `starts` (one entry per operand axis, zeros where unmapped).
 */
function readStarts(
  indices: RefArray,
  batchFlat: number,
  map: readonly number[],
  starts: number[],
): void {
  starts.fill(0);
  const k = map.length;
  for (let j = 0; j < k; j++) starts[map[j]] = indices.data[batchFlat * k + j];
}

/**
 * Clamps (clip) or validates (fill) start indices so the window of `sizes` lies in `dims`.
 * Returns false when the window is out of bounds in fill mode: XLA drops or fills the whole window.
 */
function fitStarts(starts: number[], sizes: readonly number[], dims: readonly number[], mode: GatherScatterMode): boolean {
  for (let d = 0; d < starts.length; d++) {
    const hi = dims[d] - sizes[d];
    if (mode === "fill") {
      if (!(starts[d] >= 0 && starts[d] <= hi)) return false;
    } else starts[d] = Math.min(Math.max(starts[d], 0), hi);
  }
  return true;
}

const gatherImpl: Impl<Prim.Gather> = ([x, indices], { dimensionNumbers: dn, sliceSizes, mode, fillValue }, [out]) => {
  const o = alloc(out);
  const xs = stridesOf(x.shape);
  const batchShape = indices.shape.slice(0, -1);
  const batchStrides = stridesOf(batchShape);
  const batchOutDims = out.shape.map((_, i) => i).filter((i) => !dn.offsetDims.includes(i));
  const windowDims = x.shape.map((_, i) => i).filter((i) => !dn.collapsedSliceDims.includes(i));
  const fill = fillValue ?? defaultFillValue(out.dtype);
  const starts = new Array<number>(x.shape.length).fill(0);
  forEachIndex(out.shape, (ix, flat) => {
    let batchFlat = 0;
    for (let b = 0; b < batchOutDims.length; b++) batchFlat += ix[batchOutDims[b]] * batchStrides[b];
    readStarts(indices, batchFlat, dn.startIndexMap, starts);
    if (!fitStarts(starts, sliceSizes, x.shape, mode)) {
      o[flat] = fill;
      return;
    }
    let src = 0;
    for (let d = 0; d < starts.length; d++) src += starts[d] * xs[d];
    for (let w = 0; w < windowDims.length; w++) src += ix[dn.offsetDims[w]] * xs[windowDims[w]];
    o[flat] = x.data[src];
  });
  return [o];
};

type Combine = (old: number, u: number, d: DType) => number;
const nanAware = (f: (a: number, b: number) => number) => (a: number, b: number) =>
  Number.isNaN(a) || Number.isNaN(b) ? NaN : f(a, b);

/** How each scatter combines the old value with an update; ints wrap like two's complement. */
const COMBINE: Record<ScatterPrim, Combine> = {
  [Prim.Scatter]: (_old, u) => u,
  [Prim.ScatterAdd]: (a, b, d) => (d === "bool" ? a | b : a + b),
  [Prim.ScatterMul]: (a, b, d) =>
    d === "bool" ? a & b : d === "int32" ? Math.imul(a, b) : d === "uint32" ? Math.imul(a, b) >>> 0 : a * b,
  [Prim.ScatterMin]: nanAware(Math.min),
  [Prim.ScatterMax]: nanAware(Math.max),
};

const scatterImpl =
  <P extends ScatterPrim>(prim: P): Impl<P> =>
  ([x, indices, updates], params, [out]) => {
    const { dimensionNumbers: dn, mode } = params as PrimParams[Prim.Scatter];
    const combine = COMBINE[prim];
    const o = alloc(out);
    o.set(x.data);
    const xs = stridesOf(x.shape);
    const batchStrides = stridesOf(indices.shape.slice(0, -1));
    const scatterDims = updates.shape.map((_, i) => i).filter((i) => !dn.updateWindowDims.includes(i));
    const windowOperandDims = x.shape.map((_, i) => i).filter((i) => !dn.insertedWindowDims.includes(i));
    const windowSizes = x.shape.map(() => 1);
    dn.updateWindowDims.forEach((u, k) => (windowSizes[windowOperandDims[k]] = updates.shape[u]));
    const starts = new Array<number>(x.shape.length).fill(0);
    forEachIndex(updates.shape, (ix, flat) => {
      let batchFlat = 0;
      for (let b = 0; b < scatterDims.length; b++) batchFlat += ix[scatterDims[b]] * batchStrides[b];
      readStarts(indices, batchFlat, dn.scatterDimsToOperandDims, starts);
      if (!fitStarts(starts, windowSizes, x.shape, mode)) return; // dropped, like XLA
      let dst = 0;
      for (let d = 0; d < starts.length; d++) dst += starts[d] * xs[d];
      for (let w = 0; w < windowOperandDims.length; w++) dst += ix[dn.updateWindowDims[w]] * xs[windowOperandDims[w]];
      o[dst] = combine(o[dst], updates.data[flat], out.dtype);
    });
    return [o];
  };

export const indexingImpls: { [P in IndexingPrim]: Impl<P> } = {
  [Prim.DynamicSlice]: dynamicSliceImpl,
  [Prim.DynamicUpdateSlice]: dynamicUpdateSliceImpl,
  [Prim.Gather]: gatherImpl,
  [Prim.Scatter]: scatterImpl(Prim.Scatter),
  [Prim.ScatterAdd]: scatterImpl(Prim.ScatterAdd),
  [Prim.ScatterMul]: scatterImpl(Prim.ScatterMul),
  [Prim.ScatterMin]: scatterImpl(Prim.ScatterMin),
  [Prim.ScatterMax]: scatterImpl(Prim.ScatterMax),
};
