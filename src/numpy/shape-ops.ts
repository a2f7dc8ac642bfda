/**
 * @file Shape manipulation: reshape, transpose, expandDims, squeeze, ravel, broadcastTo,
 * concatenate, stack, split and friends, with NumPy argument conventions.
 */
import { ShapeError, sizeOf, shapeStr } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { type ArrayInput, asLike, axesOf, broadcastTo as bcast, cast, promoteArgs, typeOf } from "./util.js";

type A = ArrayInput;

const asTracer = (op: string, x: A): Tracer => {
  const t = asLike(op, x);
  return typeof t === "object" ? t : cast(t, typeOf(t));
};

/**
 * Gives a new shape to an array; one dimension may be -1 (inferred).
 *
 * @example np.reshape(np.arange(6), [2, -1]) // shape [2, 3]
 */
export function reshape(x: A, shape: readonly number[] | number): Tracer {
  const t = asTracer("np.reshape", x);
  const s = typeof shape === "number" ? [shape] : [...shape];
  const unknown = s.filter((d) => d === -1).length;
  if (unknown > 1 || s.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new ShapeError(`np.reshape: invalid shape ${shapeStr(s)}; use non-negative sizes and at most one -1.`);
  }
  if (unknown === 1) {
    const known = s.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (known === 0 || t.size % known !== 0) {
      throw new ShapeError(`np.reshape: cannot reshape ${t.size} elements of shape ${shapeStr(t.shape)} into ${shapeStr(s)}.`);
    }
    s[s.indexOf(-1)] = t.size / known;
  }
  if (sizeOf(s) !== t.size) {
    throw new ShapeError(
      `np.reshape: cannot reshape an array of shape ${shapeStr(t.shape)} (${t.size} elements) into ${shapeStr(s)} (${sizeOf(s)} elements).`,
    );
  }
  return lax.reshape(t, s);
}

/** Reverses or permutes axes. */
export function transpose(x: A, axes?: readonly number[]): Tracer {
  const t = asTracer("np.transpose", x);
  const perm = axes ? axes.map((a) => (a < 0 ? a + t.ndim : a)) : t.shape.map((_, i) => t.ndim - 1 - i);
  if (perm.length !== t.ndim || new Set(perm).size !== t.ndim || perm.some((p) => p < 0 || p >= t.ndim)) {
    throw new ShapeError(`np.transpose: axes ${JSON.stringify(axes)} are not a permutation of the ${t.ndim} axes of ${shapeStr(t.shape)}.`);
  }
  return lax.transpose(t, perm);
}

/** Swaps the last two axes (matrix transpose of a batch). */
export const matrixTranspose = (x: A) => {
  const t = asTracer("np.matrixTranspose", x);
  if (t.ndim < 2) throw new ShapeError(`np.matrixTranspose: needs rank >= 2, got ${shapeStr(t.shape)}.`);
  const p = t.shape.map((_, i) => i);
  [p[t.ndim - 2], p[t.ndim - 1]] = [p[t.ndim - 1], p[t.ndim - 2]];
  return lax.transpose(t, p);
};

/** Inserts size-1 axes at `axis` (positions in the result). */
export function expandDims(x: A, axis: number | readonly number[]): Tracer {
  const t = asTracer("np.expandDims", x);
  const list = typeof axis === "number" ? [axis] : axis;
  const axes = axesOf("np.expandDims", list, t.ndim + list.length);
  return lax.expandDims(t, axes);
}

/** Removes size-1 axes (all of them, or those in `axis`). */
export function squeeze(x: A, axis?: number | readonly number[] | null): Tracer {
  const t = asTracer("np.squeeze", x);
  const axes =
    axis === undefined || axis === null
      ? t.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
      : axesOf("np.squeeze", axis, t.ndim);
  for (const a of axes) {
    if (t.shape[a] !== 1) throw new ShapeError(`np.squeeze: cannot squeeze axis ${a} of size ${t.shape[a]} (shape ${shapeStr(t.shape)}).`);
  }
  return lax.squeeze(t, axes);
}

/** Flattens to 1-D. */
export const ravel = (x: A) => {
  const t = asTracer("np.ravel", x);
  return lax.reshape(t, [t.size]);
};
export const flatten = ravel;

/** Broadcasts to `shape` following NumPy rules. */
export const broadcastTo = (x: A, shape: readonly number[]) => bcast("np.broadcastTo", asTracer("np.broadcastTo", x), shape);

/** Joins arrays along an existing axis (dtypes are promoted). */
export function concatenate(xs: readonly A[], axis = 0): Tracer {
  if (xs.length === 0) throw new ShapeError("np.concatenate: need at least one array to concatenate.");
  const ts = promoteArgs("np.concatenate", ...xs);
  const nd = ts[0].ndim;
  if (nd === 0) throw new ShapeError("np.concatenate: zero-dimensional arrays cannot be concatenated; use np.stack.");
  const [ax] = axesOf("np.concatenate", axis, nd);
  for (const t of ts) {
    if (t.ndim !== nd || t.shape.some((d, i) => i !== ax && d !== ts[0].shape[i])) {
      throw new ShapeError(
        `np.concatenate: all shapes must match except on axis ${ax}; received ${ts.map((u) => shapeStr(u.shape)).join(", ")}.`,
      );
    }
  }
  return ts.length === 1 ? ts[0] : lax.concatenate(ts, ax);
}

/** Joins arrays along a new axis. */
export function stack(xs: readonly A[], axis = 0): Tracer {
  if (xs.length === 0) throw new ShapeError("np.stack: need at least one array to stack.");
  const ts = promoteArgs("np.stack", ...xs);
  for (const t of ts) {
    if (t.ndim !== ts[0].ndim || t.shape.some((d, i) => d !== ts[0].shape[i])) {
      throw new ShapeError(`np.stack: all arrays must have the same shape; received ${ts.map((u) => shapeStr(u.shape)).join(", ")}.`);
    }
  }
  const [ax] = axesOf("np.stack", axis, ts[0].ndim + 1);
  return lax.concatenate(ts.map((t) => lax.expandDims(t, [ax])), ax);
}

/**
 * Splits into `sections` equal parts or at the given indices along `axis`.
 *
 * @example np.split(np.arange(6), 3) // three arrays of 2
 */
export function split(x: A, sections: number | readonly number[], axis = 0): Tracer[] {
  const t = asTracer("np.split", x);
  const [ax] = axesOf("np.split", axis, t.ndim);
  const n = t.shape[ax];
  let cuts: number[];
  if (typeof sections === "number") {
    if (!Number.isInteger(sections) || sections <= 0 || n % sections !== 0) {
      throw new ShapeError(`np.split: axis ${ax} of size ${n} does not divide into ${sections} equal sections; use arraySplit for unequal parts.`);
    }
    cuts = Array.from({ length: sections - 1 }, (_, i) => ((i + 1) * n) / sections);
  } else cuts = [...sections];
  return splitAt(t, cuts, ax);
}

/** Splits into `sections` nearly equal parts (the first ones one longer), like NumPy. */
export function arraySplit(x: A, sections: number | readonly number[], axis = 0): Tracer[] {
  const t = asTracer("np.arraySplit", x);
  const [ax] = axesOf("np.arraySplit", axis, t.ndim);
  if (typeof sections !== "number") return splitAt(t, [...sections], ax);
  const n = t.shape[ax];
  const base = Math.floor(n / sections);
  const extra = n % sections;
  const cuts: number[] = [];
  let acc = 0;
  for (let i = 0; i < sections - 1; i++) cuts.push((acc += base + (i < extra ? 1 : 0)));
  return splitAt(t, cuts, ax);
}

function splitAt(t: Tracer, cuts: number[], ax: number): Tracer[] {
  const n = t.shape[ax];
  // Cut points are Python slice bounds: negative ones count from the end.
  const bounds = [0, ...cuts.map((c) => Math.min(Math.max(c < 0 ? c + n : c, 0), n)), n];
  return bounds.slice(0, -1).map((s, i) => {
    const e = Math.max(s, bounds[i + 1]);
    const start = t.shape.map(() => 0);
    const limit = [...t.shape];
    start[ax] = s;
    limit[ax] = e;
    return lax.slice(t, start, limit);
  });
}
