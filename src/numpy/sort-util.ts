/**
 * @file Internal helpers of the sorting and random modules: moving an axis to the end, and
 * "take" by traced indices (quantile positions, sampled draws, a searchsorted sorter) as one
 * `gather`, so it costs O(result) work and traces, differentiates and batches with gather's rules.
 * Indices are in bounds by construction at every call site; out-of-bounds ones are clamped.
 */
import type { DType } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import { ConcreteArray } from "../trace/array.js";
import * as lax from "./lax-core.js";
import { gatherAt } from "./indexing-core.js";

/** A scalar constant of exactly `dtype` (no trip through a weak float32 scalar). */
export const constant = (v: number, dtype: DType): Tracer => ConcreteArray.fromData([v], [], dtype);

/** Moves axis `from` to `to` (both non-negative). */
export function moveAxis(x: Tracer, from: number, to: number): Tracer {
  if (from === to) return x;
  const perm = x.shape.map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return lax.transpose(x, perm);
}

const asInt32 = (ind: Tracer): Tracer => (ind.dtype === "int32" && !ind.weakType ? ind : lax.convertElementType(ind, "int32"));

/**
 * `np.take(x, ind, axis)`: the result has shape x.shape[:axis] + ind.shape + x.shape[axis+1:].
 *
 * @example takeIndices(x /* [5, 2] *\/, ind /* [3] *\/, 0) // -> [3, 2]
 */
export function takeIndices(x: Tracer, ind: Tracer, axis: number): Tracer {
  return gatherAt("take", x, [axis], [asInt32(ind)], axis, "clip");
}

/**
 * `np.takeAlongAxis` for the last axis with leading index dims: x is [...batch, n] and ind is
 * [...lead, ...batch]; the result is [...lead, ...batch] with result[l, b] = x[b, ind[l, b]].
 * The batch coordinates join the index vectors as iotas (gather has no batching dims here).
 *
 * @example takeLast(x /* [4, 9] *\/, ind /* [2, 4] *\/) // -> [2, 4]
 */
export function takeLast(x: Tracer, ind: Tracer): Tracer {
  const nb = x.ndim - 1;
  const lead = ind.ndim - nb;
  const coords = x.shape.slice(0, nb).map((_, j) => lax.iota("int32", ind.shape, lead + j));
  return gatherAt("take", x, x.shape.map((_, i) => i), [...coords, asInt32(ind)], 0, "clip");
}
