/**
 * @file Reference impls of reductions, arg-reductions and cumulative scans. Float sums
 * accumulate in float64 and round once on store.
 */
import { type DType, Prim, type PrimParams, type ShapedArray, type TypedArray } from "../../ir/index.js";
import { type Impl, type RefArray, alloc, forEachIndex, stridesOf } from "./ref-array.js";

interface Monoid {
  init: (d: DType) => number;
  op: (a: number, b: number, d: DType) => number;
}

const nanMax = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));
const nanMin = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));

const lowest = (d: DType) => (d === "int32" ? -2147483648 : d === "uint32" || d === "bool" ? 0 : -Infinity);
const highest = (d: DType) =>
  d === "int32" ? 2147483647 : d === "uint32" ? 4294967295 : d === "bool" ? 1 : Infinity;

export const MONOIDS: Record<string, Monoid> = {
  [Prim.ReduceSum]: { init: () => 0, op: (a, b, d) => (d === "bool" ? a | b : a + b) },
  [Prim.ReduceProd]: {
    init: () => 1,
    op: (a, b, d) => (d === "int32" ? Math.imul(a, b) : d === "uint32" ? Math.imul(a, b) >>> 0 : a * b),
  },
  [Prim.ReduceMax]: { init: lowest, op: nanMax },
  [Prim.ReduceMin]: { init: highest, op: nanMin },
  [Prim.ReduceAnd]: { init: (d) => (d === "bool" ? 1 : -1), op: (a, b) => a & b },
  [Prim.ReduceOr]: { init: () => 0, op: (a, b) => a | b },
  [Prim.ReduceXor]: { init: () => 0, op: (a, b) => a ^ b },
};

/** Maps each input flat index to its output flat index once the reduced axes are dropped. */
function outIndexOf(shape: readonly number[], axes: readonly number[]): (idx: number[]) => number {
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const os = stridesOf(kept.map((i) => shape[i]));
  return (idx) => {
    let f = 0;
    for (let k = 0; k < kept.length; k++) f += idx[kept[k]] * os[k];
    return f;
  };
}

export const reduceImpl =
  (prim: Prim): Impl<Prim> =>
  ([x], params, [out]) => {
    const { axes } = params as PrimParams[Prim.ReduceSum];
    const m = MONOIDS[prim];
    // Accumulate in a float64 scratch so float32 sums round once, then store.
    const acc = new Float64Array(out.size).fill(m.init(x.dtype));
    const outIdx = outIndexOf(x.shape, axes);
    forEachIndex(x.shape, (idx, flat) => {
      const j = outIdx(idx);
      acc[j] = m.op(acc[j], x.data[flat], x.dtype);
    });
    const o = alloc(out);
    o.set(acc as unknown as TypedArray as Float64Array);
    return [o];
  };

export const argImpl =
  <P extends Prim.Argmax | Prim.Argmin>(isMax: boolean): Impl<P> =>
  ([x], params, [out]) => {
    const [axis] = (params as PrimParams[Prim.Argmax]).axes;
    const o = alloc(out);
    const best = new Float64Array(out.size).fill(NaN);
    const seen = new Uint8Array(out.size);
    const outIdx = outIndexOf(x.shape, [axis]);
    forEachIndex(x.shape, (idx, flat) => {
      const j = outIdx(idx);
      const v = x.data[flat];
      if (seen[j] && Number.isNaN(best[j])) return; // first NaN wins
      const better = !seen[j] || Number.isNaN(v) || (isMax ? v > best[j] : v < best[j]);
      if (better) {
        best[j] = v;
        o[j] = idx[axis];
        seen[j] = 1;
      }
    });
    return [o];
  };

function scanAlong(
  x: RefArray,
  out: ShapedArray,
  axis: number,
  reverse: boolean,
  step: (acc: number, v: number) => number,
): TypedArray[] {
  const o = alloc(out);
  const st = stridesOf(x.shape)[axis];
  const n = x.shape[axis];
  forEachIndex(x.shape, (idx, flat) => {
    if (idx[axis] !== 0) return;
    let acc = NaN;
    for (let k = 0; k < n; k++) {
      const i = flat + (reverse ? n - 1 - k : k) * st;
      acc = k === 0 ? x.data[i] : step(acc, x.data[i]);
      o[i] = acc;
    }
  });
  return [o];
}

const logAddExp = (a: number, b: number) => {
  const m = Math.max(a, b);
  // Infinite (or NaN) maxima are the answer; subtracting them would give inf - inf = NaN.
  return Number.isFinite(m) ? m + Math.log(Math.exp(a - m) + Math.exp(b - m)) : m;
};

export const cumImpl =
  (prim: Prim): Impl<Prim> =>
  ([x], params, [out]) => {
    const { axis, reverse } = params as PrimParams[Prim.Cumsum];
    const isInt = x.dtype === "int32" || x.dtype === "uint32";
    const step =
      prim === Prim.Cumsum
        ? (a: number, b: number) => a + b
        : prim === Prim.Cumprod
          ? (a: number, b: number) => (isInt ? Math.imul(a, b) : a * b)
          : prim === Prim.Cummax
            ? nanMax
            : prim === Prim.Cummin
              ? nanMin
              : logAddExp;
    // Wrap integer sums as we go so long int32 scans match wrapping hardware adds.
    const wrap = isInt ? (v: number) => (x.dtype === "int32" ? v | 0 : v >>> 0) : (v: number) => v;
    return scanAlong(x, out, axis, reverse, (a, b) => wrap(step(a, b)));
  };
