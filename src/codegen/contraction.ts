/**
 * @file dot_general and conv_general_dilated as kernel-IR kernels: one output element per
 * invocation of the parallel ranges, a sum reduction over the contracting (or window and input
 * feature) ranges. Target neutral and general (any dimension numbers, batch axes, feature and
 * batch groups, strides, padding, both dilations), so every renderer runs every contraction;
 * backends keep faster paths (the Rust GEMM, a tiled WGSL GEMM) for the common layouts.
 *
 * Convolution taps that land on padding or a base-dilation hole contribute zero: the tap's
 * position `p = out * stride + k * windowDilation - padLo` is checked (`p >= 0`,
 * `p % baseDilation == 0`, `p / baseDilation < size`) only on axes where some tap can miss, and a
 * missed tap reads element 0 and is masked out, so no load is ever out of bounds.
 */
import { type DType, Prim, type PrimParams, type Shape } from "../ir/index.js";
import { type Kernel, type ParamArg, type UOp, kalu, kconst, kload, kparam, krange, kreduce, kstore, ksink } from "./kernel-ir.js";
import { flatIndex, iadd, imul } from "./index-expr.js";

/** An operand or result of a kernel builder: dtype, shape and element count. */
export interface Operand {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly size: number;
}

const param = (index: number, x: Operand, output = false): ParamArg => ({ index, dtype: x.dtype, size: x.size, output });
/** `x` converted to `d` (itself when it already is). */
const as = (x: UOp, d: DType): UOp => (x.dtype === d ? x : kalu(Prim.ConvertElementType, d, [x], { newDtype: d, weakType: false }));
/** float16 contractions accumulate in float32 and round once, as the reference (float64) does. */
const accType = (d: DType): DType => (d === "float16" ? "float32" : d);
/** The product of two values, as the reference accumulates them (and for bools, or of ands). */
const times = (a: UOp, b: UOp, d: DType): UOp => kalu(Prim.Mul, d, [a, b]);

/**
 * `out[batch..., lhsFree..., rhsFree...] = sum over contracting axes of lhs * rhs`.
 *
 * @example dotKernel(a, b, { dimensionNumbers: [[[1], [0]], [[], []]], preferredElementType: null }, out)
 */
export function dotKernel(lhs: Operand, rhs: Operand, params: PrimParams[Prim.DotGeneral], out: Operand): Kernel | null {
  if (out.dtype === "float64") return null;
  const acc = accType(out.dtype);
  const [[lc, rc], [lb, rb]] = params.dimensionNumbers;
  const lFree = lhs.shape.map((_, i) => i).filter((i) => !lc.includes(i) && !lb.includes(i));
  const rFree = rhs.shape.map((_, i) => i).filter((i) => !rc.includes(i) && !rb.includes(i));
  const outRanges = out.shape.map((n, i) => krange(i, n));
  const red = lc.map((a, j) => krange(out.shape.length + j, lhs.shape[a], "reduce"));
  const lIdx: UOp[] = new Array(lhs.shape.length);
  const rIdx: UOp[] = new Array(rhs.shape.length);
  lb.forEach((a, i) => (lIdx[a] = outRanges[i]));
  rb.forEach((a, i) => (rIdx[a] = outRanges[i]));
  lFree.forEach((a, i) => (lIdx[a] = outRanges[lb.length + i]));
  rFree.forEach((a, i) => (rIdx[a] = outRanges[lb.length + lFree.length + i]));
  lc.forEach((a, j) => (lIdx[a] = red[j]));
  rc.forEach((a, j) => (rIdx[a] = red[j]));
  const pl = kparam(0, lhs.dtype, lhs.size);
  const pr = kparam(1, rhs.dtype, rhs.size);
  const po = kparam(2, out.dtype, out.size, true);
  const prod = times(as(kload(pl, flatIndex(lIdx, lhs.shape)), acc), as(kload(pr, flatIndex(rIdx, rhs.shape)), acc), acc);
  const value = as(red.length ? kreduce("sum", prod, red) : prod, out.dtype);
  return {
    name: "dot_general",
    params: [param(0, lhs), param(1, rhs), param(2, out, true)],
    sink: ksink([kstore(po, flatIndex(outRanges, out.shape), value)]),
  };
}

/**
 * conv_general_dilated with any dimension numbers, as one reduction per output element.
 *
 * @example convKernel(x, w, params, out)?.params.length // 3
 */
export function convKernel(lhs: Operand, rhs: Operand, p: PrimParams[Prim.ConvGeneralDilated], out: Operand): Kernel | null {
  if (out.dtype === "float64") return null;
  const acc = accType(out.dtype);
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  const ns = lhs.shape.length - 2;
  const outRanges = out.shape.map((n, i) => krange(i, n));
  const kIn = rhs.shape[rhsSpec[1]];
  const batch = out.shape[outSpec[0]];
  const outFeat = out.shape[outSpec[1]];
  const perFeatureGroup = outFeat / p.featureGroupCount;
  const perBatchGroup = outFeat / p.batchGroupCount;
  let id = out.shape.length;
  const iR = krange(id++, kIn, "reduce");
  const kR = rhsSpec.slice(2).map((a) => krange(id++, rhs.shape[a], "reduce"));
  const b = outRanges[outSpec[0]];
  const f = outRanges[outSpec[1]];
  const lIdx: UOp[] = new Array(lhs.shape.length);
  const rIdx: UOp[] = new Array(rhs.shape.length);
  // Feature groups: output feature f reads input features [g*kIn, (g+1)*kIn) of group g = f / perFeatureGroup.
  // Batch groups: it reads lhs batch b + (f / perBatchGroup) * batch.
  const fg = p.featureGroupCount > 1 ? kalu(Prim.Div, "index", [f, kconst(perFeatureGroup)]) : kconst(0);
  const bg = p.batchGroupCount > 1 ? kalu(Prim.Div, "index", [f, kconst(perBatchGroup)]) : kconst(0);
  lIdx[lhsSpec[0]] = iadd(imul(bg, kconst(batch)), b);
  lIdx[lhsSpec[1]] = iadd(imul(fg, kconst(kIn)), iR);
  rIdx[rhsSpec[0]] = f;
  rIdx[rhsSpec[1]] = iR;
  let valid: UOp | null = null;
  for (let s = 0; s < ns; s++) {
    const size = lhs.shape[lhsSpec[2 + s]];
    const o = outRanges[outSpec[2 + s]];
    const k = kR[s];
    rIdx[rhsSpec[2 + s]] = k;
    const [stride, wd, bd, padLo] = [p.windowStrides[s], p.rhsDilation[s], p.lhsDilation[s], p.padding[s][0]];
    const reach = iadd(imul(o, kconst(stride)), imul(k, kconst(wd)));
    const maxReach = (out.shape[outSpec[2 + s]] - 1) * stride + (rhs.shape[rhsSpec[2 + s]] - 1) * wd;
    if (bd === 1 && padLo <= 0 && maxReach - padLo < size) {
      lIdx[lhsSpec[2 + s]] = iadd(reach, kconst(-padLo));
      continue;
    }
    // p may be negative: plain (non-simplifying) index arithmetic, checked before use.
    const pos = kalu(Prim.Sub, "index", [reach, kconst(padLo)]);
    const q = bd === 1 ? pos : kalu(Prim.Div, "index", [pos, kconst(bd)]);
    let ok = kalu(Prim.Ge, "bool", [pos, kconst(0)]);
    if (bd !== 1) ok = kalu(Prim.And, "bool", [ok, kalu(Prim.Eq, "bool", [kalu(Prim.Rem, "index", [pos, kconst(bd)]), kconst(0)])]);
    ok = kalu(Prim.And, "bool", [ok, kalu(Prim.Lt, "bool", [q, kconst(size)])]);
    lIdx[lhsSpec[2 + s]] = kalu(Prim.SelectN, "index", [ok, kconst(0), q]);
    valid = valid ? kalu(Prim.And, "bool", [valid, ok]) : ok;
  }
  const pl = kparam(0, lhs.dtype, lhs.size);
  const pr = kparam(1, rhs.dtype, rhs.size);
  const po = kparam(2, out.dtype, out.size, true);
  let prod = times(as(kload(pl, flatIndex(lIdx, lhs.shape)), acc), as(kload(pr, flatIndex(rIdx, rhs.shape)), acc), acc);
  if (valid) prod = kalu(Prim.SelectN, acc, [valid, kconst(0, acc), prod]);
  return {
    name: "conv_general_dilated",
    params: [param(0, lhs), param(1, rhs), param(2, out, true)],
    sink: ksink([kstore(po, flatIndex(outRanges, out.shape), as(kreduce("sum", prod, [iR, ...kR]), out.dtype))]),
  };
}
