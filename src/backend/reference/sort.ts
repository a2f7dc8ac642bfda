/**
 * @file Reference impls of sort and top_k.
 *
 * Both use the order JAX's sort comparator gives floats (jax 0.4.30 `_sort_lt_comparator`, which
 * canonicalizes before comparing): -inf < ... < -0 == +0 < ... < inf < NaN, so NaNs go last and
 * the two zeros tie. JS's Array.prototype.sort is stable, so every sort here is stable; an
 * unstable request is free to be stable too.
 */
import { Prim, type PrimParams } from "../../ir/index.js";
import { type Impl, alloc, stridesOf } from "./ref-array.js";

/** Three-way comparison in the sort order above: NaN after everything, -0 equal to +0. */
export function compareTotal(a: number, b: number): number {
  const an = a !== a;
  const bn = b !== b;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Calls `fn(base, stride)` once per 1-D line along `axis`: the line's elements sit at
 * `base + k * stride` for k in [0, shape[axis]).
 */
function forEachLine(shape: readonly number[], axis: number, fn: (base: number, stride: number) => void): void {
  const stride = stridesOf(shape)[axis];
  const n = shape[axis];
  const total = shape.reduce((a, b) => a * b, 1);
  if (n === 0 || total === 0) return;
  const outer = total / (n * stride);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < stride; i++) fn(o * n * stride + i, stride);
  }
}

const sortImpl: Impl<Prim.Sort> = (xs, params, outAvals) => {
  const { dimension, numKeys } = params as PrimParams[Prim.Sort];
  const outs = outAvals.map(alloc);
  const shape = xs[0].shape;
  const n = shape[dimension] ?? 1;
  const keys = xs.slice(0, numKeys).map((x) => x.data);
  const order = new Array<number>(n);
  forEachLine(shape, dimension, (base, stride) => {
    for (let k = 0; k < n; k++) order[k] = base + k * stride;
    order.sort((i, j) => {
      for (const key of keys) {
        const c = compareTotal(key[i], key[j]);
        if (c !== 0) return c;
      }
      return 0;
    });
    for (let k = 0; k < n; k++) {
      const dst = base + k * stride;
      for (let o = 0; o < xs.length; o++) outs[o][dst] = xs[o].data[order[k]];
    }
  });
  // Rank-0 operands have one element and nothing to permute.
  if (shape.length === 0) xs.forEach((x, o) => outs[o].set(x.data as never));
  return outs;
};

const topKImpl: Impl<Prim.TopK> = ([x], params, [valAval, idxAval]) => {
  const { k } = params as PrimParams[Prim.TopK];
  const vals = alloc(valAval);
  const idxs = alloc(idxAval);
  const n = x.shape[x.shape.length - 1];
  const rows = n === 0 ? 0 : x.data.length / n;
  const order = new Array<number>(n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) order[j] = j;
    // Largest first with NaN counted as the largest (as jax.lax.top_k); ties keep index order.
    order.sort((i, j) => compareTotal(x.data[r * n + j], x.data[r * n + i]));
    for (let j = 0; j < k; j++) {
      vals[r * k + j] = x.data[r * n + order[j]];
      idxs[r * k + j] = order[j];
    }
  }
  return [vals, idxs];
};

export const sortImpls: { [P in Prim.Sort | Prim.TopK]: Impl<P> } = {
  [Prim.Sort]: sortImpl,
  [Prim.TopK]: topKImpl,
};
