/**
 * @file Internal helpers of the sorting and random modules: moving an axis to the end, and
 * gather-free indexing ("take") by a one-hot comparison followed by a max reduction.
 *
 * The one-hot take costs O(indices x axis length) memory, which is fine for the sizes sorting
 * statistics and samplers index (quantile positions, a sample of draws). It is written with
 * comparisons, select and reduce_max only, so it traces, differentiates and batches wherever
 * those primitives do, and NaN, -0 and infinities pass through unchanged.
 */
import type { DType } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import { ConcreteArray } from "../trace/array.js";
import * as lax from "./lax-core.js";

/** A scalar constant of exactly `dtype` (no trip through a weak float32 scalar). */
export const constant = (v: number, dtype: DType): Tracer => ConcreteArray.fromData([v], [], dtype);

/** The identity of max for a dtype, used to blank out unselected entries. */
function lowest(dtype: DType): Tracer {
  const v = dtype === "int32" ? -2147483648 : dtype === "uint32" || dtype === "bool" ? 0 : -Infinity;
  return constant(v, dtype);
}

/** Moves axis `from` to `to` (both non-negative). */
export function moveAxis(x: Tracer, from: number, to: number): Tracer {
  if (from === to) return x;
  const perm = x.shape.map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return lax.transpose(x, perm);
}

/**
 * `np.take(x, ind, axis)`: the result has shape x.shape[:axis] + ind.shape + x.shape[axis+1:].
 * Indices must be in bounds (callers construct them).
 */
export function takeOneHot(x: Tracer, ind: Tracer, axis: number): Tracer {
  const pre = x.shape.slice(0, axis);
  const post = x.shape.slice(axis + 1);
  const n = x.shape[axis];
  const r = ind.ndim;
  const big = [...pre, ...ind.shape, n, ...post];
  const xDims = x.shape.map((_, i) => (i < axis ? i : i === axis ? axis + r : i + r));
  const xb = lax.broadcastInDim(x, big, xDims);
  const ib = lax.broadcastInDim(ind, big, ind.shape.map((_, i) => axis + i));
  const pos = lax.iota(ind.dtype, big, axis + r);
  const picked = lax.select(lax.eq(ib, pos), xb, lax.broadcastInDim(lowest(x.dtype), big, []));
  return lax.reduceMax(picked, [axis + r]);
}

/**
 * `np.takeAlongAxis` for the last axis with leading index dims: x is [...batch, n] and ind is
 * [...lead, ...batch]; the result is [...lead, ...batch] with result[l, b] = x[b, ind[l, b]].
 */
export function takeLastOneHot(x: Tracer, ind: Tracer): Tracer {
  const n = x.shape[x.ndim - 1];
  const big = [...ind.shape, n];
  const lead = ind.ndim - (x.ndim - 1);
  const xb = lax.broadcastInDim(x, big, x.shape.map((_, i) => lead + i));
  const ib = lax.broadcastInDim(ind, big, ind.shape.map((_, i) => i));
  const pos = lax.iota(ind.dtype, big, big.length - 1);
  const picked = lax.select(lax.eq(ib, pos), xb, lax.broadcastInDim(lowest(x.dtype), big, []));
  return lax.reduceMax(picked, [big.length - 1]);
}
