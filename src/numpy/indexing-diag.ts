/**
 * @file Diagonals, triangles and index grids: diag, diagonal, diagflat, trace, fillDiagonal, tri,
 * tril, triu, triuIndices, trilIndices, indices, ravelMultiIndex and unravelIndex.
 *
 * Everything traces (static shapes come from static arguments) except `ravelMultiIndex` in its
 * default `"raise"` mode, which must read the indices to check them.
 */
import { type DType, ShapeError, shapeStr } from "../ir/index.js";
import { ConcreteArray } from "../trace/array.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { asTracer, concreteData, fullOf, gatherAt, scatterAt, toIndexArray, updatesFor, wrapIndex } from "./indexing-core.js";
import { sum } from "./reductions.js";
import { type ArrayInput, broadcastArgs, checkDtype } from "./util.js";

type A = ArrayInput;

/** Options naming a diagonal: its offset (positive: above the main one) and the two axes. */
export interface DiagonalOpts {
  readonly offset?: number;
  readonly axis1?: number;
  readonly axis2?: number;
}

function axisOf(op: string, a: number, nd: number): number {
  if (!Number.isInteger(a) || a < -nd || a >= nd) {
    throw new RangeError(`${op}: axis ${a} is out of bounds for an array of rank ${nd}.`);
  }
  return a < 0 ? a + nd : a;
}

const iotaPlus = (n: number, k: number) => lax.add(lax.iota("int32", [n]), k);

/**
 * The diagonal at `offset` over axes `axis1`/`axis2`, appended as the last axis (like NumPy).
 *
 * @example np.diagonal(np.reshape(np.arange(9), [3, 3]), { offset: 1 }) // [1, 5]
 */
export function diagonal(a: A, opts: DiagonalOpts = {}): Tracer {
  const op = "np.diagonal";
  const t = asTracer(op, a);
  if (t.ndim < 2) throw new ShapeError(`${op}: needs an array of rank >= 2, received shape ${shapeStr(t.shape)}.`);
  const a1 = axisOf(op, opts.axis1 ?? 0, t.ndim);
  const a2 = axisOf(op, opts.axis2 ?? 1, t.ndim);
  if (a1 === a2) throw new RangeError(`${op}: axis1 and axis2 cannot be the same axis (${a1}).`);
  const k = opts.offset ?? 0;
  if (!Number.isInteger(k)) throw new TypeError(`${op}: offset must be an integer, received ${k}.`);
  const rest = t.shape.map((_, i) => i).filter((i) => i !== a1 && i !== a2);
  const moved = lax.transpose(t, [...rest, a1, a2]);
  const [n, m] = [t.shape[a1], t.shape[a2]];
  const len = Math.max(0, k >= 0 ? Math.min(n, m - k) : Math.min(n + k, m));
  const nd = t.ndim;
  if (len === 0) return fullOf(t.dtype, [...rest.map((i) => t.shape[i]), 0], 0);
  const rows = iotaPlus(len, Math.max(-k, 0));
  const cols = iotaPlus(len, Math.max(k, 0));
  return gatherAt(op, moved, [nd - 2, nd - 1], [rows, cols], nd - 2, "clip");
}

/**
 * The sum along a diagonal (ints and bools sum as int32, like `np.sum`).
 *
 * @example np.trace(np.eye(3)) // 3
 */
export const trace = (a: A, opts: DiagonalOpts & { readonly dtype?: DType } = {}): Tracer =>
  sum(diagonal(a, opts), { axis: -1, dtype: opts.dtype });

/**
 * For a 1-D input, a square matrix with it on diagonal `k`; for a 2-D input, its `k`-th diagonal.
 *
 * @example np.diag(np.array([1, 2])) // [[1, 0], [0, 2]]
 */
export function diag(v: A, k = 0): Tracer {
  const op = "np.diag";
  const t = asTracer(op, v);
  if (t.ndim === 2) return diagonal(t, { offset: k });
  if (t.ndim !== 1) throw new ShapeError(`${op}: input must be 1-D or 2-D, received shape ${shapeStr(t.shape)}.`);
  const len = t.shape[0];
  const n = len + Math.abs(k);
  const zeros = fullOf(t.dtype, [n, n], 0);
  if (len === 0) return zeros;
  return scatterAt("set", zeros, [iotaPlus(len, Math.max(-k, 0)), iotaPlus(len, Math.max(k, 0))], t, "clip");
}

/** `diag` of the flattened input. @example np.diagflat([[1, 2]]) // 2x2 with 1, 2 on the diagonal */
export const diagflat = (v: A, k = 0): Tracer => {
  const t = asTracer("np.diagflat", v);
  return diag(lax.reshape(t, [t.size]), k);
};

/** Boolean [n, m] mask of `j - i <= k` (lower) or `j - i >= k` (upper). */
function triMask(n: number, m: number, k: number, lower: boolean): Tracer {
  const i = lax.iota("int32", [n, m], 0);
  const j = lax.iota("int32", [n, m], 1);
  return lower ? lax.le(j, lax.add(i, k)) : lax.ge(j, lax.add(i, k));
}

/**
 * An [n, m] array with ones at and below diagonal `k`.
 *
 * @example np.tri(3, 3, -1) // strictly lower triangle of ones
 */
export function tri(n: number, m: number = n, k = 0, opts: { readonly dtype?: DType } = {}): Tracer {
  const dtype = checkDtype("np.tri", opts.dtype ?? "float32");
  for (const d of [n, m]) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`np.tri: sizes must be non-negative integers, received ${d}.`);
  }
  return lax.convertElementType(triMask(n, m, k, true), dtype);
}

function triangle(op: string, x: A, k: number, lower: boolean): Tracer {
  const t = asTracer(op, x);
  if (t.ndim < 2) throw new ShapeError(`${op}: needs an array of rank >= 2, received shape ${shapeStr(t.shape)}.`);
  const nd = t.ndim;
  const mask = lax.broadcastInDim(triMask(t.shape[nd - 2], t.shape[nd - 1], k, lower), t.shape, [nd - 2, nd - 1]);
  return lax.select(mask, t, 0);
}

/** Zeros above diagonal `k` of the last two axes. @example np.tril(x, -1) */
export const tril = (m: A, k = 0): Tracer => triangle("np.tril", m, k, true);
/** Zeros below diagonal `k` of the last two axes. @example np.triu(x, 1) */
export const triu = (m: A, k = 0): Tracer => triangle("np.triu", m, k, false);

/**
 * A copy of `a` with its main diagonal set to `val` (cycled if it is an array). Functional
 * version of NumPy's in-place `fill_diagonal`; `wrap` continues the diagonal in tall matrices.
 *
 * @example np.fillDiagonal(np.zeros([2, 2]), 5) // [[5, 0], [0, 5]]
 */
export function fillDiagonal(a: A, val: A, opts: { readonly wrap?: boolean } = {}): Tracer {
  const op = "np.fillDiagonal";
  const t = asTracer(op, a);
  if (t.ndim < 2) throw new ShapeError(`${op}: needs an array of rank >= 2, received shape ${shapeStr(t.shape)}.`);
  if (t.ndim > 2 && t.shape.some((d) => d !== t.shape[0])) {
    throw new ShapeError(`${op}: arrays of rank > 2 must have all axes of equal length, received ${shapeStr(t.shape)}.`);
  }
  let step = 1;
  let acc = 1;
  for (const d of t.shape.slice(0, -1)) step += acc *= d;
  if (t.ndim === 2) step = t.shape[1] + 1;
  const end = t.ndim === 2 && !opts.wrap ? Math.min(t.shape[1] * t.shape[1], t.size) : t.size;
  const len = Math.ceil(end / step);
  if (len === 0) return t;
  const vt = asTracer(op, val);
  let v = updatesFor(op, t, vt.ndim === 0 ? vt : lax.reshape(vt, [vt.size]), [vt.ndim === 0 ? len : vt.size]);
  if (v.shape[0] !== len) {
    if (v.size === 0) throw new ShapeError(`${op}: val is empty; pass at least one value.`);
    v = gatherAt(op, v, [0], [wrapIndex(lax.iota("int32", [len]), v.size)], 0, "clip");
  }
  const flat = lax.reshape(t, [t.size]);
  return lax.reshape(scatterAt("set", flat, [lax.mul(lax.iota("int32", [len]), step)], v, "clip"), t.shape);
}

function triIndices(op: string, n: number, k: number, m: number, upper: boolean): [Tracer, Tracer] {
  for (const d of [n, m]) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${op}: sizes must be non-negative integers, received ${d}.`);
  }
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      if (upper ? j - i >= k : j - i <= k) rows.push(i), cols.push(j);
    }
  }
  const mk = (xs: number[]) => ConcreteArray.fromData(Int32Array.from(xs), [xs.length], "int32");
  return [mk(rows), mk(cols)];
}

/** Row and column indices (int32) of the upper triangle of an [n, m] matrix. @example np.triuIndices(3) */
export const triuIndices = (n: number, k = 0, m: number = n) => triIndices("np.triuIndices", n, k, m, true);
/** Row and column indices (int32) of the lower triangle of an [n, m] matrix. @example np.trilIndices(3, -1) */
export const trilIndices = (n: number, k = 0, m: number = n) => triIndices("np.trilIndices", n, k, m, false);

function from2d(op: string, arr: A): readonly number[] {
  const t = asTracer(op, arr);
  if (t.ndim !== 2) throw new ShapeError(`${op}: needs a 2-D array, received shape ${shapeStr(t.shape)}.`);
  return t.shape;
}
/** `triuIndices` for the shape of a 2-D array. @example np.triuIndicesFrom(x, 1) */
export const triuIndicesFrom = (arr: A, k = 0) => {
  const [n, m] = from2d("np.triuIndicesFrom", arr);
  return triuIndices(n, k, m);
};
/** `trilIndices` for the shape of a 2-D array. @example np.trilIndicesFrom(x) */
export const trilIndicesFrom = (arr: A, k = 0) => {
  const [n, m] = from2d("np.trilIndicesFrom", arr);
  return trilIndices(n, k, m);
};

/**
 * A grid of indices: dense [ndim, ...dims] (default) or, with `sparse`, one broadcastable array per axis.
 *
 * @example np.indices([2, 3]) // shape [2, 2, 3]
 */
export function indices(dimensions: readonly number[], opts: { readonly dtype?: DType; readonly sparse?: boolean } = {}): Tracer | Tracer[] {
  const dtype = checkDtype("np.indices", opts.dtype ?? "int32");
  const nd = dimensions.length;
  if (opts.sparse) {
    return dimensions.map((d, i) => lax.iota(dtype, dimensions.map((e, j) => (j === i ? e : 1)), i));
  }
  if (nd === 0) return fullOf(dtype, [0], 0);
  return lax.concatenate(dimensions.map((_, i) => lax.expandDims(lax.iota(dtype, dimensions, i), [0])), 0);
}

/**
 * Flat (row-major) indices from per-axis coordinates. `mode`: `"raise"` (default; checks eagerly,
 * so it cannot run on traced indices), `"wrap"` or `"clip"`.
 *
 * @example np.ravelMultiIndex([[0, 1], [2, 0]], [2, 3]) // [2, 3]
 */
export function ravelMultiIndex(
  multiIndex: readonly A[],
  dims: readonly number[],
  opts: { readonly mode?: "raise" | "wrap" | "clip" } = {},
): Tracer {
  const op = "np.ravelMultiIndex";
  if (multiIndex.length !== dims.length) {
    throw new ShapeError(`${op}: got ${multiIndex.length} index arrays for ${dims.length} dimensions; pass one per dimension.`);
  }
  const mode = opts.mode ?? "raise";
  const idxs = broadcastArgs(op, multiIndex.map((m) => toIndexArray(op, m)), false).map((idx, k) => {
    const n = dims[k];
    if (mode === "wrap") return wrapIndex(idx, n);
    if (mode === "clip") return lax.clamp(0, idx, n - 1);
    if (mode !== "raise") throw new TypeError(`${op}: mode must be "raise", "wrap" or "clip", received ${JSON.stringify(mode)}.`);
    const data = concreteData(op, idx, `mode "raise" reads the indices to check them, which is impossible on traced values; use { mode: "clip" } or { mode: "wrap" }.`);
    if (data.some((v) => v < 0 || v >= n)) throw new RangeError(`${op}: invalid entry in coordinates array for dimension ${k} of size ${n}.`);
    return idx;
  });
  let strideAcc = 1;
  let out: Tracer | null = null;
  for (let k = dims.length - 1; k >= 0; k--) {
    const term = lax.mul(idxs[k], strideAcc);
    out = out ? lax.add(out, term) : term;
    strideAcc *= dims[k];
  }
  return out ?? lax.convertElementType(0, "int32");
}

/**
 * Per-axis coordinates of flat indices into `shape`. As in JAX, out-of-bounds indices are clipped
 * into [-size, size - 1] and negative ones wrap.
 *
 * @example np.unravelIndex([5, -1], [2, 3]) // [[1, 1], [2, 2]]
 */
export function unravelIndex(flatIndices: A, shape: readonly number[]): Tracer[] {
  const op = "np.unravelIndex";
  const size = shape.reduce((a, b) => a * b, 1);
  if (size === 0) throw new RangeError(`${op}: cannot unravel into a shape with a zero-size axis ${shapeStr(shape)}.`);
  let idx = lax.clamp(-size, toIndexArray(op, flatIndices), size - 1);
  idx = lax.select(lax.lt(idx, 0), lax.add(idx, size), idx);
  const out: Tracer[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    out.unshift(lax.rem(idx, shape[k]));
    idx = lax.div(idx, shape[k]);
  }
  return out;
}
