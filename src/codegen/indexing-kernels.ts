/**
 * @file gather, argmax/argmin and the cumulative reductions as kernel-IR kernels, following the
 * reference impls (src/backend/reference/indexing.ts, reductions.ts) element for element, so a
 * renderer without them does not have to send them to the host.
 *
 * - gather: one invocation per output element reads its start indices, clamps them (`clip`) or
 *   checks them (`fill`, which then stores the fill value), and loads one operand element.
 * - argmax/argmin: the extreme value along the axis (NaN wins, as in NumPy), then the first
 *   index holding it (or holding a NaN); two reductions, the first hoisted out of the second.
 * - cumsum/cumprod/cummax/cummin: out[i] folds x[j] for j <= i (j >= i when reversed), an
 *   O(n^2) reduction along the axis that needs no cross-invocation communication; used for
 *   axes up to `MAX_SCAN_AXIS` (longer scans run elsewhere).
 * - sort: a stable rank sort. Element i's rank is the number of elements j that sort before it
 *   (by the keys in JAX's total order: NaN last, -0 == +0; ties by position), and every operand's
 *   element i is stored at its rank: O(n^2) comparisons per line, no communication, any number of
 *   keys and payloads; lines up to `MAX_SCAN_AXIS`.
 * - top_k: output slot s of a row picks the element whose descending rank is s (ranks as for
 *   sort, NaN largest, ties by index): O(k n^2) per row, for rows up to `MAX_TOPK_ROW`.
 */
import { type DType, Prim, type PrimParams } from "../ir/index.js";
import { type Kernel, type ParamArg, type ReduceKind, type UOp, kalu, kconst, kload, kparam, krange, kreduce, kstore, ksink } from "./kernel-ir.js";
import { flatIndex, iadd, imul } from "./index-expr.js";
import type { Operand } from "./contraction.js";

const param = (index: number, x: Operand, output = false): ParamArg => ({ index, dtype: x.dtype, size: x.size, output });
const stridesOf = (shape: readonly number[]) => {
  const s = new Array<number>(shape.length);
  for (let i = shape.length - 1, acc = 1; i >= 0; acc *= shape[i], i--) s[i] = acc;
  return s;
};
/** float32 and float16 (float64 kernels are not built). */
const isFloatK = (d: DType | string) => d === "float32" || d === "float16";
const int = (v: number): UOp => kconst(v, "int32");
const asInt = (x: UOp): UOp => (x.dtype === "int32" ? x : kalu(Prim.ConvertElementType, "int32", [x], { newDtype: "int32", weakType: false }));

/** JAX's default fill for out-of-bounds gathers (as the reference's defaultFillValue). */
const defaultFill = (d: DType): number => (isFloatK(d) ? NaN : d === "int32" ? -2147483648 : d === "uint32" ? 4294967295 : 1);

/**
 * XLA gather (the reference's reading of GatherDimensionNumbers), for int32/uint32 indices.
 *
 * @example gatherKernel(x, idx, params, out)?.name // "gather"
 */
export function gatherKernel(x: Operand, indices: Operand, p: PrimParams[Prim.Gather], out: Operand): Kernel | null {
  const dn = p.dimensionNumbers;
  if (indices.dtype !== "int32" && indices.dtype !== "uint32") return null;
  const outR = out.shape.map((n, i) => krange(i, n));
  const batchShape = indices.shape.slice(0, -1);
  const batchStrides = stridesOf(batchShape);
  const batchOutDims = out.shape.map((_, i) => i).filter((i) => !dn.offsetDims.includes(i));
  const windowDims = x.shape.map((_, i) => i).filter((i) => !dn.collapsedSliceDims.includes(i));
  const xs = stridesOf(x.shape);
  const k = dn.startIndexMap.length;
  const px = kparam(0, x.dtype, x.size);
  const pi = kparam(1, indices.dtype, indices.size);
  const po = kparam(2, out.dtype, out.size, true);
  let batchFlat = kconst(0);
  batchOutDims.forEach((d, b) => (batchFlat = iadd(batchFlat, imul(outR[d], kconst(batchStrides[b])))));
  let src: UOp = int(0);
  let valid: UOp | null = null;
  dn.startIndexMap.forEach((d, j) => {
    const raw = asInt(kload(pi, iadd(imul(batchFlat, kconst(k)), kconst(j))));
    const hi = x.shape[d] - p.sliceSizes[d];
    let start: UOp;
    if (p.mode === "fill") {
      const ok = kalu(Prim.And, "bool", [kalu(Prim.Ge, "bool", [raw, int(0)]), kalu(Prim.Le, "bool", [raw, int(hi)])]);
      valid = valid ? kalu(Prim.And, "bool", [valid, ok]) : ok;
      start = raw;
    } else start = kalu(Prim.Clamp, "int32", [int(0), raw, int(Math.max(hi, 0))]);
    src = kalu(Prim.Add, "int32", [src, kalu(Prim.Mul, "int32", [start, int(xs[d])])]);
  });
  let offset = kconst(0);
  windowDims.forEach((d, w) => (offset = iadd(offset, imul(outR[dn.offsetDims[w]], kconst(xs[d])))));
  let index = kalu(Prim.Add, "int32", [src, asInt(offset)]);
  if (valid) index = kalu(Prim.SelectN, "int32", [valid, int(0), index]);
  let value = kload(px, index);
  if (valid) value = kalu(Prim.SelectN, out.dtype, [valid, kconst(p.fillValue ?? defaultFill(out.dtype), out.dtype), value]);
  return { name: "gather", params: [param(0, x), param(1, indices), param(2, out, true)], sink: ksink([kstore(po, flatIndex(outR, out.shape), value)]) };
}

/** `x`'s multi-index with `axis` set to `r` and the other axes from `outR` (the axis removed). */
function withAxis(outR: readonly UOp[], axis: number, r: UOp): UOp[] {
  return [...outR.slice(0, axis), r, ...outR.slice(axis)];
}

/**
 * argmax / argmin along one axis, NaN winning and ties going to the first index.
 *
 * @example argKernel(true, x, { axes: [1], indexDtype: "int32" }, out)
 */
export function argKernel(isMax: boolean, x: Operand, p: PrimParams[Prim.Argmax], out: Operand): Kernel | null {
  const [axis] = p.axes;
  const n = x.shape[axis];
  if (x.dtype === "bool" || n === 0 || (out.dtype !== "int32" && out.dtype !== "uint32")) return null;
  const outR = out.shape.map((m, i) => krange(i, m));
  const r1 = krange(out.shape.length, n, "reduce");
  const r2 = krange(out.shape.length + 1, n, "reduce");
  const px = kparam(0, x.dtype, x.size);
  const po = kparam(1, out.dtype, out.size, true);
  const at = (r: UOp) => kload(px, flatIndex(withAxis(outR, axis, r), x.shape));
  const best = kreduce(isMax ? "max" : "min", at(r1), [r1]);
  const v = at(r2);
  let hit = kalu(Prim.Eq, "bool", [v, best]);
  if (isFloatK(x.dtype)) hit = kalu(Prim.Or, "bool", [hit, kalu(Prim.Ne, "bool", [v, v])]);
  const idx = kreduce("min", kalu(Prim.SelectN, "int32", [hit, int(n), asInt(r2)]), [r2]);
  const value = out.dtype === "int32" ? idx : kalu(Prim.ConvertElementType, out.dtype, [idx], { newDtype: out.dtype, weakType: false });
  return { name: isMax ? "argmax" : "argmin", params: [param(0, x), param(1, out, true)], sink: ksink([kstore(po, flatIndex(outR, out.shape), value)]) };
}

/** Longest axis a cumulative kernel folds (each output element visits the whole axis). */
export const MAX_SCAN_AXIS = 4096;

const SCAN_KINDS: Partial<Record<Prim, ReduceKind>> = {
  [Prim.Cumsum]: "sum", [Prim.Cumprod]: "prod", [Prim.Cummax]: "max", [Prim.Cummin]: "min",
};

/** The identity of each fold, for the masked-out terms. */
const IDENTITY: Record<string, (d: DType) => number> = {
  sum: () => 0,
  prod: () => 1,
  max: (d) => (isFloatK(d) ? -Infinity : d === "int32" ? -2147483648 : 0),
  min: (d) => (isFloatK(d) ? Infinity : d === "int32" ? 2147483647 : d === "bool" ? 1 : 4294967295),
};

/**
 * cumsum / cumprod / cummax / cummin along `axis` (reversed: from the end); null for other
 * primitives and axes longer than MAX_SCAN_AXIS.
 *
 * @example scanKernel(Prim.Cumsum, x, { axis: 0, reverse: false }, out)
 */
export function scanKernel(prim: Prim, x: Operand, p: PrimParams[Prim.Cumsum], out: Operand): Kernel | null {
  const kind = SCAN_KINDS[prim];
  const n = x.shape[p.axis];
  if (!kind || n > MAX_SCAN_AXIS || x.dtype === "bool" || x.dtype !== out.dtype) return null;
  const outR = out.shape.map((m, i) => krange(i, m));
  const j = krange(out.shape.length, n, "reduce");
  const i = outR[p.axis];
  const px = kparam(0, x.dtype, x.size);
  const po = kparam(1, out.dtype, out.size, true);
  const inside = kalu(p.reverse ? Prim.Ge : Prim.Le, "bool", [asInt(j), asInt(i)]);
  const term = kalu(Prim.SelectN, x.dtype, [inside, kconst(IDENTITY[kind](x.dtype), x.dtype), kload(px, flatIndex(withAxis(outR.filter((_, k) => k !== p.axis), p.axis, j), x.shape))]);
  return { name: prim, params: [param(0, x), param(1, out, true)], sink: ksink([kstore(po, flatIndex(outR, out.shape), kreduce(kind, term, [j]))]) };
}

/** `a` sorts strictly before `b` in JAX's order (NaN last, the zeros equal), and `a` ties `b`. */
function totalOrder(a: UOp, b: UOp, d: DType): { lt: UOp; eq: UOp } {
  if (d === "bool") {
    const [ai, bi] = [a, b].map((x) => kalu(Prim.ConvertElementType, "int32", [x], { newDtype: "int32", weakType: false }));
    return { lt: kalu(Prim.Lt, "bool", [ai, bi]), eq: kalu(Prim.Eq, "bool", [ai, bi]) };
  }
  if (!isFloatK(d)) return { lt: kalu(Prim.Lt, "bool", [a, b]), eq: kalu(Prim.Eq, "bool", [a, b]) };
  const aNaN = kalu(Prim.Ne, "bool", [a, a]);
  const bNaN = kalu(Prim.Ne, "bool", [b, b]);
  return {
    lt: kalu(Prim.Or, "bool", [kalu(Prim.Lt, "bool", [a, b]), kalu(Prim.And, "bool", [bNaN, kalu(Prim.Not, "bool", [aNaN])])]),
    eq: kalu(Prim.Or, "bool", [kalu(Prim.Eq, "bool", [a, b]), kalu(Prim.And, "bool", [aNaN, bNaN])]),
  };
}

/**
 * lax.sort of `ins` along `dimension` by the first `numKeys` operands (stable), as a rank sort;
 * null for rank-0 operands and lines longer than MAX_SCAN_AXIS.
 *
 * @example sortKernel([x, iota], { dimension: 0, isStable: true, numKeys: 1 }, [xs, perm])
 */
export function sortKernel(ins: readonly Operand[], p: PrimParams[Prim.Sort], outs: readonly Operand[]): Kernel | null {
  const shape = ins[0].shape;
  const n = shape[p.dimension];
  if (shape.length === 0 || n > MAX_SCAN_AXIS || ins.some((x) => x.dtype === "float64")) return null;
  const outer = shape.map((m, a) => (a === p.dimension ? null : krange(a, m)));
  const i = krange(shape.length, n);
  const j = krange(shape.length + 1, n, "reduce");
  const at = (r: UOp) => flatIndex(outer.map((x) => x ?? r), shape);
  const params = ins.map((x, k) => kparam(k, x.dtype, x.size));
  // before(j, i): lexicographic over the keys, then position.
  let before = kalu(Prim.Lt, "bool", [asInt(j), asInt(i)]);
  for (let k = p.numKeys - 1; k >= 0; k--) {
    const { lt, eq } = totalOrder(kload(params[k], at(j)), kload(params[k], at(i)), ins[k].dtype);
    before = kalu(Prim.Or, "bool", [lt, kalu(Prim.And, "bool", [eq, before])]);
  }
  const rank = kreduce("sum", kalu(Prim.SelectN, "int32", [before, int(0), int(1)]), [j]);
  const dst = flatIndex(outer.map((x) => x ?? rank), shape);
  const stores = outs.map((o, k) => kstore(kparam(ins.length + k, o.dtype, o.size, true), dst, kload(params[k], at(i))));
  return {
    name: "sort",
    params: [...ins.map((x, k) => param(k, x)), ...outs.map((o, k) => param(ins.length + k, o, true))],
    sink: ksink(stores),
  };
}

/** Longest row `topKKernel` handles (its cost grows with k n^2). */
export const MAX_TOPK_ROW = 1024;

/**
 * lax.top_k along the last axis: the k largest values (NaN largest, ties by lower index) and
 * their indices; null for rows longer than MAX_TOPK_ROW.
 *
 * @example topKKernel(x, { k: 5 }, [values, indices])
 */
export function topKKernel(x: Operand, p: PrimParams[Prim.TopK], [vals, idxs]: readonly Operand[]): Kernel | null {
  const shape = x.shape;
  const n = shape[shape.length - 1];
  if (shape.length === 0 || n === 0 || n > MAX_TOPK_ROW || x.dtype === "bool" || x.dtype === "float64" || idxs.dtype !== "int32") return null;
  const rows = shape.slice(0, -1).map((m, a) => krange(a, m));
  const s = krange(shape.length - 1, p.k);
  const i = krange(shape.length, n, "reduce");
  const j = krange(shape.length + 1, n, "reduce");
  const px = kparam(0, x.dtype, x.size);
  const at = (r: UOp) => kload(px, flatIndex([...rows, r], shape));
  // j ranks before i (descending): x_j sorts after x_i in the ascending total order, or ties at a lower index.
  const { lt, eq } = totalOrder(at(i), at(j), x.dtype);
  const before = kalu(Prim.Or, "bool", [lt, kalu(Prim.And, "bool", [eq, kalu(Prim.Lt, "bool", [asInt(j), asInt(i)])])]);
  const rank = kreduce("sum", kalu(Prim.SelectN, "int32", [before, int(0), int(1)]), [j]);
  const mine = kalu(Prim.Eq, "bool", [rank, asInt(s)]);
  const lowest = isFloatK(x.dtype) ? -Infinity : x.dtype === "int32" ? -2147483648 : 0;
  const value = kreduce("max", kalu(Prim.SelectN, x.dtype, [mine, kconst(lowest, x.dtype), at(i)]), [i]);
  const index = kreduce("max", kalu(Prim.SelectN, "int32", [mine, int(-1), asInt(i)]), [i]);
  const dst = flatIndex([...rows, s], vals.shape);
  return {
    name: "top_k",
    params: [param(0, x), param(1, vals, true), param(2, idxs, true)],
    sink: ksink([kstore(kparam(1, vals.dtype, vals.size, true), dst, value), kstore(kparam(2, idxs.dtype, idxs.size, true), dst, index)]),
  };
}
