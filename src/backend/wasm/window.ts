/**
 * @file Windowed reductions as kernel-IR kernels: reduce_window_{sum,max,min} (max pooling and
 * its relatives) and select_and_scatter_add (the max-pool gradient as XLA states it). Target
 * neutral: the wasm backend renders them to WebAssembly, the WebGPU renderer can reuse them.
 *
 * A window offset `k` along an axis reaches position `p = out * stride + k * windowDilation - padLo`
 * of the base-dilated, unpadded operand, a real element only when `p >= 0`, `p % baseDilation == 0`
 * and `p / baseDilation < size` (as in the reference impl, src/backend/reference/conv.ts). The
 * bounds of `p` are known when the kernel is built, so the checks are emitted only on axes where
 * some tap can miss (padding, base dilation); a pooling window with VALID padding has none, and
 * its loads along the contiguous channel axis become SIMD loads.
 */
import { type DType, Prim, type WindowParams } from "../../ir/index.js";
import { KOp, type Kernel, type ParamArg, type UOp, kalu, kconst, kload, kparam, krange, kreduce, kstore, ksink } from "../../codegen/kernel-ir.js";
import { flatIndex, iadd, idiv, imod, imul } from "../../codegen/index-expr.js";
import type { KernelOperand } from "./dispatch.js";

/** Builds the kernel computing a primitive from operand and result types; null when it does not cover the case. */
export type KernelBuilder = (ins: readonly KernelOperand[], params: object, outs: readonly KernelOperand[]) => Kernel | null;

type WindowKind = "sum" | "max" | "min";

/** Windows with at most this many taps are unrolled into one expression; larger ones loop. */
const UNROLL_TAPS = 32;

/**
 * select_and_scatter_add recomputes each candidate window's selection, so its code grows with
 * taps²: 3x3 windows at most (81 tap reads, a few tens of kB of wasm).
 */
const MAX_SCATTER_TAPS = 9;

const param = (index: number, x: KernelOperand, output = false): ParamArg => ({ index, dtype: x.dtype, size: x.size, output });
const and = (a: UOp | null, b: UOp): UOp => (a ? kalu(Prim.And, "bool", [a, b]) : b);
const select = (pred: UOp, onFalse: UOp, onTrue: UOp, dtype: DType | "index") => kalu(Prim.SelectN, dtype, [pred, onFalse, onTrue]);

/** The reduction's identity, as the reference impl starts from it (uint32 max: 0; uint32 min: all ones). */
function identity(kind: WindowKind, d: DType): number {
  if (kind === "sum") return 0;
  const isF = d === "float32" || d === "float64";
  if (kind === "max") return isF ? -Infinity : d === "int32" ? -0x80000000 : 0;
  return isF ? Infinity : d === "int32" ? 0x7fffffff : -1;
}

/**
 * One tap of the window at window multi-index `k` (constants, or reduce ranges with their sizes):
 * the operand's flat index and, when some tap can fall on padding or a dilation hole, the
 * predicate saying it does not.
 */
function tap(x: KernelOperand, w: WindowParams, outShape: readonly number[], outR: readonly UOp[], k: readonly UOp[], kMax: readonly number[]) {
  let inside: UOp | null = null;
  const idx = outR.map((r, d) => {
    const [s, wd, bd, lo] = [w.windowStrides[d], w.windowDilation[d], w.baseDilation[d], w.padding[d][0]];
    const p = iadd(iadd(imul(r, kconst(s)), imul(k[d], kconst(wd))), kconst(-lo));
    const kMin = k[d].op === KOp.Const ? (k[d].arg as number) : 0;
    const [pMin, pMax] = [kMin * wd - lo, (outShape[d] - 1) * s + kMax[d] * wd - lo];
    if (pMin < 0) inside = and(inside, kalu(Prim.Ge, "bool", [p, kconst(0)]));
    if (bd > 1) inside = and(inside, kalu(Prim.Eq, "bool", [imod(p, bd), kconst(0)]));
    const q = idiv(p, bd);
    if (Math.floor(pMax / bd) >= x.shape[d]) inside = and(inside, kalu(Prim.Lt, "bool", [q, kconst(x.shape[d])]));
    return q;
  });
  return { idx, inside: inside as UOp | null };
}

/** Every window multi-index, row-major (the order the reference impl folds in). */
function windowIndices(dims: readonly number[]): number[][] {
  let all: number[][] = [[]];
  for (const n of dims) all = all.flatMap((p) => Array.from({ length: n }, (_, i) => [...p, i]));
  return all;
}

/**
 * `out[o] = fold over window taps k of x[o * stride + k * windowDilation - padLo]` (the identity
 * where a tap is padding). Small windows unroll into a chain of max/min/add in the reference's
 * order; larger ones are a reduce over window ranges. bool and float16 are not covered.
 *
 * @example reduceWindowKernel("max", x, pool2x2, out)?.name // "wasm_reduce_window_max"
 */
export function reduceWindowKernel(kind: WindowKind, x: KernelOperand, w: WindowParams, out: KernelOperand): Kernel | null {
  // An empty operand (every tap padding) stays with the reference: there is nothing to load from.
  if (x.dtype === "bool" || x.dtype === "float16" || x.dtype !== out.dtype || x.size === 0) return null;
  const rank = x.shape.length;
  const outR = out.shape.map((d, i) => krange(i, d));
  const xp = kparam(0, x.dtype, x.size);
  const init = kconst(identity(kind, x.dtype), x.dtype);
  const at = (k: readonly UOp[], kMax: readonly number[]) => {
    const { idx, inside } = tap(x, w, out.shape, outR, k, kMax);
    if (!inside) return kload(xp, flatIndex(idx, x.shape));
    return select(inside, init, kload(xp, flatIndex(idx.map((q) => select(inside, kconst(0), q, "index")), x.shape)), x.dtype);
  };
  const prim = kind === "sum" ? Prim.Add : kind === "max" ? Prim.Max : Prim.Min;
  const taps = w.windowDimensions.reduce((a, b) => a * b, 1);
  let value: UOp;
  if (taps === 0) value = init;
  else if (taps <= UNROLL_TAPS) {
    const kMax = w.windowDimensions.map((n) => n - 1);
    const vals = windowIndices(w.windowDimensions).map((k) => at(k.map((v) => kconst(v)), k));
    // A sum starts from its identity, as the reference does (0 + -0 is +0).
    value = vals.reduce((acc, v) => kalu(prim, x.dtype, [acc, v]), kind === "sum" ? init : vals.shift()!);
  } else {
    const ks = w.windowDimensions.map((n, d) => (n === 1 ? kconst(0) : krange(rank + d, n, "reduce")));
    value = kreduce(kind, at(ks, w.windowDimensions.map((n) => n - 1)), ks.filter((k) => k.op === KOp.Range));
  }
  const outP = kparam(1, out.dtype, out.size, true);
  return { name: `wasm_reduce_window_${kind}`, params: [param(0, x), param(1, out, true)], sink: ksink([kstore(outP, flatIndex(outR, out.shape), value)]) };
}

/**
 * select_and_scatter_add(source, operand) as a gather over the operand's positions: element `i`
 * sums `source[o]` over the windows `o` that contain it and whose selected element (the first
 * maximum, by XLA's `ge` select) is `i`. Each window's selection is recomputed per candidate, so
 * the cost is taps² per element: built for windows of up to 9 taps (pooling), float types only.
 *
 * @example selectAndScatterAddKernel(dy, x, pool2x2, dx)?.name // "wasm_select_and_scatter_add"
 */
export function selectAndScatterAddKernel(source: KernelOperand, operand: KernelOperand, w: WindowParams, out: KernelOperand): Kernel | null {
  const d = operand.dtype;
  if ((d !== "float32" && d !== "float64") || source.dtype !== d || out.dtype !== d) return null;
  const taps = windowIndices(w.windowDimensions);
  if (taps.length === 0 || taps.length > MAX_SCATTER_TAPS) return null;
  const iR = operand.shape.map((n, i) => krange(i, n));
  const sp = kparam(0, source.dtype, source.size);
  const xp = kparam(1, operand.dtype, operand.size);
  const zero = kconst(0, d);
  let acc: UOp = zero;
  // Candidate window o along each axis for window offset k: o = (i*bd + padLo - k*wd) / stride.
  for (const k of taps) {
    let valid: UOp | null = null;
    const o = iR.map((r, a) => {
      const [s, wd, bd, lo] = [w.windowStrides[a], w.windowDilation[a], w.baseDilation[a], w.padding[a][0]];
      const num = iadd(imul(r, kconst(bd)), kconst(lo - k[a] * wd));
      const [nMin, nMax] = [lo - k[a] * wd, (operand.shape[a] - 1) * bd + lo - k[a] * wd];
      if (nMin < 0) valid = and(valid, kalu(Prim.Ge, "bool", [num, kconst(0)]));
      if (s > 1) valid = and(valid, kalu(Prim.Eq, "bool", [imod(num, s), kconst(0)]));
      const q = idiv(num, s);
      if (Math.floor(nMax / s) >= source.shape[a]) valid = and(valid, kalu(Prim.Lt, "bool", [q, kconst(source.shape[a])]));
      return q;
    });
    const ok = valid as UOp | null;
    const oSafe = ok ? o.map((q) => select(ok, kconst(0), q, "index")) : o;
    // The selected tap of window oSafe: scan the taps, a later one wins only if !(best >= it).
    let best: UOp | null = null;
    let bestTap: UOp | null = null;
    taps.forEach((t, ti) => {
      const pos = oSafe.map((q, a) => iadd(iadd(imul(q, kconst(w.windowStrides[a])), kconst(t[a] * w.windowDilation[a])), kconst(-w.padding[a][0])));
      let real: UOp | null = null;
      const idx = pos.map((p, a) => {
        const bd = w.baseDilation[a];
        const pMin = t[a] * w.windowDilation[a] - w.padding[a][0];
        const pMax = (source.shape[a] - 1) * w.windowStrides[a] + pMin;
        if (pMin < 0) real = and(real, kalu(Prim.Ge, "bool", [p, kconst(0)]));
        if (bd > 1) real = and(real, kalu(Prim.Eq, "bool", [imod(p, bd), kconst(0)]));
        const q = idiv(p, bd);
        if (Math.floor(pMax / bd) >= operand.shape[a]) real = and(real, kalu(Prim.Lt, "bool", [q, kconst(operand.shape[a])]));
        return q;
      });
      const isReal = real as UOp | null;
      const v = kload(xp, flatIndex(isReal ? idx.map((q) => select(isReal, kconst(0), q, "index")) : idx, operand.shape));
      const tI = kconst(ti, "int32");
      if (!best || !bestTap) {
        // The first real tap is the initial pick; padded taps never are.
        best = isReal ? select(isReal, kconst(NaN, d), v, d) : v;
        bestTap = isReal ? select(isReal, kconst(-1, "int32"), tI, "int32") : tI;
        return;
      }
      const none = kalu(Prim.Eq, "bool", [bestTap, kconst(-1, "int32")]);
      let take = kalu(Prim.Or, "bool", [none, kalu(Prim.Not, "bool", [kalu(Prim.Ge, "bool", [best, v])])]);
      if (isReal) take = kalu(Prim.And, "bool", [take, isReal]);
      best = select(take, best, v, d);
      bestTap = select(take, bestTap, tI, "int32");
    });
    let hit = kalu(Prim.Eq, "bool", [bestTap!, kconst(taps.indexOf(k), "int32")]);
    if (ok) hit = kalu(Prim.And, "bool", [ok, hit]);
    const src = kload(sp, flatIndex(oSafe, source.shape));
    acc = kalu(Prim.Add, d, [acc, select(hit, zero, src, d)]);
  }
  const outP = kparam(2, out.dtype, out.size, true);
  return {
    name: "wasm_select_and_scatter_add",
    params: [param(0, source), param(1, operand), param(2, out, true)],
    sink: ksink([kstore(outP, flatIndex(iR, operand.shape), acc)]),
  };
}

/** Kernel builders for the windowed primitives, keyed by primitive. */
export const WINDOW_KERNELS: Partial<Record<Prim, KernelBuilder>> = {
  [Prim.ReduceWindowSum]: ([x], p, [out]) => reduceWindowKernel("sum", x, p as WindowParams, out),
  [Prim.ReduceWindowMax]: ([x], p, [out]) => reduceWindowKernel("max", x, p as WindowParams, out),
  [Prim.ReduceWindowMin]: ([x], p, [out]) => reduceWindowKernel("min", x, p as WindowParams, out),
  [Prim.SelectAndScatterAdd]: ([source, operand], p, [out]) => selectAndScatterAddKernel(source, operand, p as WindowParams, out),
};
