/**
 * @file Reference impls of convolution and windowed reductions: direct loops, any rank.
 *
 * Each output element visits its window; a window offset `k` along an axis lands at position
 *   p = out * stride + k * windowDilation - padLo
 * of the dilated, unpadded input, which is a real element only when p >= 0, p % baseDilation == 0
 * and p / baseDilation < size. Everything else is padding or a dilation hole: zero for
 * convolution, the init value (0, -inf, +inf) for reduce_window, never a candidate for
 * select_and_scatter_add. Float sums accumulate in float64 and round once on store; int32 wraps.
 */
import { Prim, type Shape, type TypedArray, type WindowParams } from "../../ir/index.js";
import { type Impl, alloc, forEachIndex, sizeOf, stridesOf } from "./ref-array.js";

type ConvPrim =
  | Prim.ConvGeneralDilated | Prim.ReduceWindowSum | Prim.ReduceWindowMax | Prim.ReduceWindowMin
  | Prim.SelectAndScatterAdd;

/** One windowed axis: how output and window positions map into the input. */
interface Axis {
  size: number;
  stride: number;
  padLo: number;
  baseDilation: number;
  windowDilation: number;
  /** Element stride of this axis in the input's flat layout. */
  inStride: number;
}

/**
 * The flat input offset that output position `outIdx` and window position `winIdx` reach, or -1
 * when that point is padding or a dilation hole.
 */
function inputOffset(axes: readonly Axis[], outIdx: readonly number[], winIdx: readonly number[], o0: number): number {
  let off = 0;
  for (let s = 0; s < axes.length; s++) {
    const a = axes[s];
    const p = outIdx[o0 + s] * a.stride + winIdx[s] * a.windowDilation - a.padLo;
    if (p < 0 || p % a.baseDilation !== 0) return -1;
    const q = p / a.baseDilation;
    if (q >= a.size) return -1;
    off += q * a.inStride;
  }
  return off;
}

/** All multi-indices of `shape`, materialized once so inner loops do not allocate. */
function allIndices(shape: Shape): number[][] {
  const out: number[][] = [];
  forEachIndex(shape, (idx) => out.push([...idx]));
  return out;
}

const convImpl: Impl<Prim.ConvGeneralDilated> = ([lhs, rhs], p, [out]) => {
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  const ns = lhs.shape.length - 2;
  const ls = stridesOf(lhs.shape);
  const rs = stridesOf(rhs.shape);
  const os = stridesOf(out.shape);
  const batch = out.shape[outSpec[0]];
  const outFeat = out.shape[outSpec[1]];
  const kIn = rhs.shape[rhsSpec[1]];
  // Feature groups: output feature o reads input features [g*kIn, (g+1)*kIn) of group g.
  // Batch groups: output feature o reads lhs batch b + g*batch of its group g (group-major).
  const perFeatureGroup = outFeat / p.featureGroupCount;
  const perBatchGroup = outFeat / p.batchGroupCount;
  const axes: Axis[] = [];
  for (let s = 0; s < ns; s++) {
    axes.push({
      size: lhs.shape[lhsSpec[2 + s]], stride: p.windowStrides[s], padLo: p.padding[s][0],
      baseDilation: p.lhsDilation[s], windowDilation: p.rhsDilation[s], inStride: ls[lhsSpec[2 + s]],
    });
  }
  const kernelIdx = allIndices(rhsSpec.slice(2).map((a) => rhs.shape[a]));
  const kernelOff = kernelIdx.map((k) => k.reduce((acc, v, s) => acc + v * rs[rhsSpec[2 + s]], 0));
  const [lB, lF, rO, rI] = [ls[lhsSpec[0]], ls[lhsSpec[1]], rs[rhsSpec[0]], rs[rhsSpec[1]]];
  const isInt = out.dtype === "int32" || out.dtype === "uint32";
  const isBool = out.dtype === "bool";
  const x = lhs.data;
  const w = rhs.data;
  const o = alloc(out);
  const outShape = [batch, outFeat, ...outSpec.slice(2).map((a) => out.shape[a])];
  forEachIndex(outShape, (idx) => {
    const [b, f] = idx;
    const g = Math.floor(f / perFeatureGroup);
    const lBase = (Math.floor(f / perBatchGroup) * batch + b) * lB + g * kIn * lF;
    let acc = 0;
    for (let k = 0; k < kernelIdx.length; k++) {
      const off = inputOffset(axes, idx, kernelIdx[k], 2);
      if (off < 0) continue;
      const wBase = f * rO + kernelOff[k];
      for (let i = 0; i < kIn; i++) {
        const a = x[lBase + off + i * lF];
        const c = w[wBase + i * rI];
        if (isInt) acc = (acc + Math.imul(a, c)) | 0;
        else if (isBool) acc = acc !== 0 || (a !== 0 && c !== 0) ? 1 : 0;
        else acc += a * c;
      }
    }
    let dst = 0;
    for (let d = 0; d < idx.length; d++) dst += idx[d] * os[outSpec[d]];
    o[dst] = acc;
  });
  return [o];
};

/** Axes of a window configuration over an operand of `shape` (row-major strides). */
function windowAxes(shape: Shape, w: WindowParams): Axis[] {
  const st = stridesOf(shape);
  return shape.map((size, i) => ({
    size, stride: w.windowStrides[i], padLo: w.padding[i][0], baseDilation: w.baseDilation[i],
    windowDilation: w.windowDilation[i], inStride: st[i],
  }));
}

const lowest = (d: string): number => (d === "int32" ? -2147483648 : d === "uint32" || d === "bool" ? 0 : -Infinity);
const highest = (d: string): number =>
  d === "int32" ? 2147483647 : d === "uint32" ? 4294967295 : d === "bool" ? 1 : Infinity;
// max/min propagate NaN, like reduce_max.
const nanMax = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));
const nanMin = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));

const reduceWindowImpl =
  <P extends Prim.ReduceWindowSum | Prim.ReduceWindowMax | Prim.ReduceWindowMin>(prim: P): Impl<P> =>
  ([x], params, [out]) => {
    const w = params as WindowParams;
    const d = x.dtype;
    const [init, op] =
      prim === Prim.ReduceWindowSum
        ? [0, d === "int32" ? (a: number, b: number) => (a + b) | 0 : (a: number, b: number) => a + b]
        : prim === Prim.ReduceWindowMax
          ? [lowest(d), nanMax]
          : [highest(d), nanMin];
    const axes = windowAxes(x.shape, w);
    const windowIdx = allIndices(w.windowDimensions);
    const acc = new Float64Array(out.size);
    forEachIndex(out.shape, (idx, flat) => {
      let v = init;
      for (const k of windowIdx) {
        const off = inputOffset(axes, idx, k, 0);
        if (off >= 0) v = op(v, x.data[off]);
      }
      acc[flat] = v;
    });
    const o = alloc(out);
    o.set(acc as unknown as TypedArray as Float64Array);
    return [o];
  };

/**
 * For each window of `operand`, the source value of that window is added at the window's
 * maximum. Selection follows XLA's `ge` select, as JAX's max-pool gradient uses: a later
 * element replaces the current pick only if `!(current >= candidate)`, so ties keep the first.
 */
const selectAndScatterAddImpl: Impl<Prim.SelectAndScatterAdd> = ([source, operand], params, [out]) => {
  const axes = windowAxes(operand.shape, params);
  const windowIdx = allIndices(params.windowDimensions);
  const acc = new Float64Array(sizeOf(operand.shape));
  const isInt = out.dtype === "int32";
  forEachIndex(source.shape, (idx, flat) => {
    let best = -1;
    for (const k of windowIdx) {
      const off = inputOffset(axes, idx, k, 0);
      if (off < 0) continue;
      if (best < 0 || !(operand.data[best] >= operand.data[off])) best = off;
    }
    if (best >= 0) acc[best] = isInt ? (acc[best] + source.data[flat]) | 0 : acc[best] + source.data[flat];
  });
  const o = alloc(out);
  o.set(acc as unknown as TypedArray as Float64Array);
  return [o];
};

export const convImpls: { [P in ConvPrim]: Impl<P> } = {
  [Prim.ConvGeneralDilated]: convImpl,
  [Prim.ReduceWindowSum]: reduceWindowImpl(Prim.ReduceWindowSum),
  [Prim.ReduceWindowMax]: reduceWindowImpl(Prim.ReduceWindowMax),
  [Prim.ReduceWindowMin]: reduceWindowImpl(Prim.ReduceWindowMin),
  [Prim.SelectAndScatterAdd]: selectAndScatterAddImpl,
};
