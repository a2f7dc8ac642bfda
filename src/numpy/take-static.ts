/**
 * @file Gathering along one axis at indices known while tracing. The index list is cut into runs
 * (ascending, descending, or one index repeated): a few runs become slices, reversals and
 * broadcasts joined by one concatenate, which later passes fuse as plain copies; past
 * `MAX_RUNS` runs the program would grow with the index list, so it becomes one `gather` with the
 * indices as a constant. repeat, insert, delete and the reflect/wrap modes of pad use it.
 */
import type { Tracer } from "../trace/core.js";
import { ConcreteArray } from "../trace/array.js";
import * as lax from "./lax-core.js";
import { gather } from "./lax-indexing.js";
import { type ArrayInput, asLike, cast, typeOf } from "./util.js";

/** Any `np` input as a Tracer (JS scalars become rank-0 arrays of their weak type). */
export const asTracer = (op: string, x: ArrayInput): Tracer => {
  const t = asLike(op, x);
  return typeof t === "object" ? t : cast(t, typeOf(t));
};

/** One axis, normalized to [0, ndim), with NumPy's error for out-of-range values. */
export function normAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new RangeError(
      `${op}: axis ${axis} is out of bounds for an array of rank ${ndim}` +
        (ndim === 0 ? " (a scalar has no axes)." : `; expected an integer in [${-ndim}, ${ndim - 1}].`),
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Elements `lo..hi-1` of `t` along `axis`. */
export function sliceAxis(t: Tracer, axis: number, lo: number, hi: number): Tracer {
  if (lo === 0 && hi === t.shape[axis]) return t;
  return lax.slice(t, t.shape.map((_, i) => (i === axis ? lo : 0)), t.shape.map((d, i) => (i === axis ? hi : d)));
}

/**
 * `t` indexed by the static `indices` along `axis` (NumPy's `take` with a constant index list).
 *
 * @example takeStatic(x, 0, [2, 1, 0, 0]) // rev of x[0:3], then x[0] again
 */
export function takeStatic(t: Tracer, axis: number, indices: readonly number[]): Tracer {
  const n = t.shape[axis];
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`internal: static index ${i} out of range [0, ${n}).`);
  }
  if (indices.length === n && indices.every((v, i) => v === i)) return t;
  if (indices.length === 0) return sliceAxis(t, axis, 0, 0);
  const runs = runsOf(indices);
  if (runs.length > MAX_RUNS) {
    const idx = ConcreteArray.fromData(Int32Array.from(indices), [indices.length, 1], "int32");
    const sorted = indices.every((v, k) => k === 0 || v >= indices[k - 1]);
    return gather(t, idx, {
      dimensionNumbers: { offsetDims: t.shape.map((_, k) => k).filter((k) => k !== axis), collapsedSliceDims: [axis], startIndexMap: [axis] },
      sliceSizes: t.shape.map((d, k) => (k === axis ? 1 : d)),
      indicesAreSorted: sorted,
      uniqueIndices: sorted && new Set(indices).size === indices.length,
      mode: "promise_in_bounds",
    });
  }
  const parts = runs.map(([start, runStep, len]) => {
    if (runStep === 1 || len === 1) return sliceAxis(t, axis, start, start + len);
    if (runStep === -1) return lax.rev(sliceAxis(t, axis, start - len + 1, start + 1), [axis]);
    // One index repeated `len` times: broadcast a new axis next to `axis` and merge it.
    const one = sliceAxis(t, axis, start, start + 1);
    const shape = t.shape.map((d, k) => (k === axis ? len : d));
    return lax.broadcastInDim(lax.reshape(one, t.shape.filter((_, k) => k !== axis)), shape, shape.map((_, k) => k).filter((k) => k !== axis));
  });
  return parts.length === 1 ? parts[0] : lax.concatenate(parts, axis);
}

/** Above this many runs one gather is smaller than a slice per run. */
export const MAX_RUNS = 4;

/** Maximal runs of `indices` as [start, step (1, -1 or 0), length]. */
function runsOf(indices: readonly number[]): [number, number, number][] {
  const runs: [number, number, number][] = [];
  let i = 0;
  while (i < indices.length) {
    const start = indices[i];
    const step = i + 1 < indices.length ? indices[i + 1] - start : 1;
    const runStep = Math.abs(step) <= 1 ? step : 1;
    let j = i + 1;
    if (runStep === step) while (j < indices.length && indices[j] - indices[j - 1] === runStep) j++;
    runs.push([start, j - i === 1 ? 1 : runStep, j - i]);
    i = j;
  }
  return runs;
}
