/**
 * @file The `np.linalg` namespace (NumPy 2 / array API names in camelCase): norms, products,
 * trace and diagonal, cross, matrix powers and chained products, plus the factorizations of
 * `linalg-factor.ts`. Everything is built from lax ops and other np functions, so it traces.
 * Not provided yet (they need iterative eigen/singular-value solvers): svd, eigh, eig, pinv,
 * lstsq, matrixRank, cond, and the norms that need singular values (ord 2, -2, "nuc").
 */
import { ShapeError, broadcastShapes, shapeStr } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { matmul } from "./linalg-core.js";
import { abs, multiply, notEqual, power, sqrt, subtract, where } from "./math.js";
import { max, min, sum } from "./reductions.js";
import { type ArrayInput, axesOf, broadcastTo, promoteArgs, promoteArgsInexact } from "./util.js";
import { inv, squareSize } from "./linalg-factor.js";

export { matmul, tensordot } from "./linalg-core.js";
export { matrixTranspose } from "./shape-ops.js";
export { kron } from "./einsum.js";
export { cholesky, det, inv, qr, slogdet, solve, type QrMode } from "./linalg-factor.js";

type A = ArrayInput;
type Ord = number | "fro" | "nuc" | null;

/** Float view of `x` (integers and bools become float32). */
const inexact = (op: string, x: A) => promoteArgsInexact(op, x)[0];

function vectorNormOf(op: string, t: Tracer, axes: number[], ord: Ord | undefined, keepdims?: boolean): Tracer {
  const o = { axis: axes, keepdims };
  if (ord === null || ord === undefined || ord === 2) return sqrt(sum(multiply(t, t), o));
  if (ord === Infinity) return max(abs(t), o);
  if (ord === -Infinity) return min(abs(t), o);
  if (ord === 0) return sum(lax.convertElementType(notEqual(t, 0), t.dtype), o);
  if (ord === 1) return sum(abs(t), o);
  if (typeof ord !== "number" || Number.isNaN(ord)) {
    throw new RangeError(`${op}: invalid order ${JSON.stringify(ord)} for a vector norm; use a number, Infinity or -Infinity.`);
  }
  return power(sum(power(abs(t), ord), o), 1 / ord);
}

function matrixNormOf(op: string, t: Tracer, [r, c]: number[], ord: Ord | undefined, keepdims?: boolean): Tracer {
  if (r === c) throw new RangeError(`${op}: the two matrix axes must differ, received ${r} twice.`);
  if (ord === null || ord === undefined || ord === "fro") return sqrt(sum(multiply(t, t), { axis: [r, c], keepdims }));
  // Induced norms: the extreme absolute column sum (ord ±1) or row sum (ord ±inf).
  const induced: Record<string, [number, typeof max]> = { "1": [r, max], "-1": [r, min], Infinity: [c, max], "-Infinity": [c, min] };
  const pick = induced[String(ord)];
  if (!pick) {
    const why = ord === 2 || ord === -2 || ord === "nuc" ? "needs singular values (svd), which Kiln does not provide yet" : "is not a matrix norm";
    throw new RangeError(`${op}: ord ${JSON.stringify(ord)} ${why}; use "fro", 1, -1, Infinity or -Infinity.`);
  }
  const [sumAxis, ext] = pick;
  const y = ext(sum(abs(t), { axis: sumAxis, keepdims: true }), { axis: r + c - sumAxis, keepdims: true });
  return keepdims ? y : lax.squeeze(y, [r, c].sort((a, b) => a - b));
}

/** Options of `norm`. */
export interface NormOpts {
  /** Vector: any number, ±Infinity (default 2). Matrix: "fro" (default), 1, -1, ±Infinity. */
  readonly ord?: Ord;
  /** null: the whole array (vector or matrix by rank when `ord` is given); one axis: vector norms; two: matrix norms. */
  readonly axis?: number | readonly [number, number] | null;
  readonly keepdims?: boolean;
}

/**
 * Vector or matrix norm, as `numpy.linalg.norm`.
 *
 * @example np.linalg.norm([3, 4]) // 5
 * @example np.linalg.norm(m, { ord: Infinity, axis: [0, 1] }) // max absolute row sum
 */
export function norm(x: A, opts: NormOpts = {}): Tracer {
  const op = "np.linalg.norm";
  const t = inexact(op, x);
  const { ord, axis, keepdims } = opts;
  if (axis === null || axis === undefined) {
    if (ord === null || ord === undefined) {
      const all = axesOf(op, null, t.ndim);
      return sqrt(sum(multiply(t, t), { axis: all, keepdims }));
    }
    if (t.ndim === 1) return vectorNormOf(op, t, [0], ord, keepdims);
    if (t.ndim === 2) return matrixNormOf(op, t, [0, 1], ord, keepdims);
    throw new ShapeError(`${op}: with ord set and no axis the input must be 1-D or 2-D, received ${shapeStr(t.shape)}; pass axis.`);
  }
  if (typeof axis === "number") return vectorNormOf(op, t, axesOf(op, axis, t.ndim), ord, keepdims);
  if (axis.length !== 2) throw new RangeError(`${op}: axis must be a number or a pair of numbers, received ${JSON.stringify(axis)}.`);
  const pair = axis.map((a) => axesOf(op, a, t.ndim)[0]);
  return matrixNormOf(op, t, pair, ord, keepdims);
}

/**
 * Array-API vector norm: `axis` null flattens the whole array; a list of axes is one vector.
 *
 * @example np.linalg.vectorNorm([[1, 2], [2, 4]], { ord: 1 }) // 9
 */
export function vectorNorm(x: A, opts: { readonly ord?: number; readonly axis?: number | readonly number[] | null; readonly keepdims?: boolean } = {}): Tracer {
  const op = "np.linalg.vectorNorm";
  const t = inexact(op, x);
  return vectorNormOf(op, t, axesOf(op, opts.axis, t.ndim), opts.ord ?? 2, opts.keepdims);
}

/**
 * Array-API matrix norm over the last two axes (a batch of matrices).
 *
 * @example np.linalg.matrixNorm(np.eye(3)) // sqrt(3)
 */
export function matrixNorm(x: A, opts: { readonly ord?: Ord; readonly keepdims?: boolean } = {}): Tracer {
  const op = "np.linalg.matrixNorm";
  const t = inexact(op, x);
  if (t.ndim < 2) throw new ShapeError(`${op}: expected shape (..., m, n), received ${shapeStr(t.shape)}.`);
  return matrixNormOf(op, t, [t.ndim - 2, t.ndim - 1], opts.ord ?? "fro", opts.keepdims);
}

/**
 * Dot product along `axis` (default -1) with broadcasting over the other axes.
 *
 * @example np.linalg.vecdot([[1, 2], [3, 4]], [1, 1]) // [3, 7]
 */
export function vecdot(x1: A, x2: A, opts: { readonly axis?: number } = {}): Tracer {
  const op = "np.linalg.vecdot";
  let [a, b] = promoteArgs(op, x1, x2);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const [axis] = axesOf(op, opts.axis ?? -1, shape.length);
  const ra = axis - (shape.length - a.ndim);
  const rb = axis - (shape.length - b.ndim);
  if (ra < 0 || rb < 0 || a.shape[ra] !== b.shape[rb]) {
    throw new ShapeError(`${op}: axis ${axis} must have one size in both operands (no broadcasting there), received ${shapeStr(a.shape)} and ${shapeStr(b.shape)}.`);
  }
  a = broadcastTo(op, a, shape);
  b = broadcastTo(op, b, shape);
  const batch = shape.map((_, i) => i).filter((i) => i !== axis);
  return lax.dotGeneral(a, b, [[[axis], [axis]], [batch, batch]]);
}

/**
 * Outer product of two 1-D arrays.
 *
 * @example np.linalg.outer([1, 2], [1, 10]) // [[1, 10], [2, 20]]
 */
export function outer(x1: A, x2: A): Tracer {
  const [a, b] = promoteArgs("np.linalg.outer", x1, x2);
  if (a.ndim !== 1 || b.ndim !== 1) {
    throw new ShapeError(`np.linalg.outer: expected two 1-D arrays, received ${shapeStr(a.shape)} and ${shapeStr(b.shape)}; use np.outer to flatten first.`);
  }
  return lax.dotGeneral(lax.reshape(a, [a.shape[0], 1]), lax.reshape(b, [1, b.shape[0]]), [[[1], [0]], [[], []]]);
}

/** Options locating a diagonal: offset above (>0) or below (<0) the main one, and the two axes. */
export interface DiagOpts {
  readonly offset?: number;
  readonly axis1?: number;
  readonly axis2?: number;
}

/** Moves the two axes last and masks everything off the `offset` diagonal to zero. */
function maskedDiag(op: string, x: A, opts: DiagOpts): { t: Tracer; len: number; start: number } {
  const t0 = promoteArgs(op, x)[0];
  if (t0.ndim < 2) throw new ShapeError(`${op}: expected at least 2 axes, received ${shapeStr(t0.shape)}.`);
  const offset = opts.offset ?? 0;
  if (!Number.isInteger(offset)) throw new RangeError(`${op}: offset must be an integer, received ${offset}.`);
  const [a1] = axesOf(op, opts.axis1 ?? -2, t0.ndim);
  const [a2] = axesOf(op, opts.axis2 ?? -1, t0.ndim);
  if (a1 === a2) throw new RangeError(`${op}: axis1 and axis2 must differ, both are ${a1}.`);
  const rest = t0.shape.map((_, i) => i).filter((i) => i !== a1 && i !== a2);
  let t = lax.transpose(t0, [...rest, a1, a2]);
  const [r, c] = t.shape.slice(-2);
  const mask = lax.eq(lax.add(lax.iota("int32", [r, c], 0), offset), lax.iota("int32", [r, c], 1));
  t = where(mask, t, 0);
  const start = Math.max(0, -offset);
  return { t, start, len: Math.max(0, Math.min(r - start, c - Math.max(0, offset))) };
}

/**
 * Sum along a diagonal. Defaults follow the array API (the last two axes); pass
 * `axis1: 0, axis2: 1` for NumPy's `np.trace` defaults.
 *
 * @example np.linalg.trace([[1, 2], [3, 4]]) // 5
 */
export function trace(x: A, opts: DiagOpts = {}): Tracer {
  const { t } = maskedDiag("np.linalg.trace", x, opts);
  return sum(t, { axis: [t.ndim - 2, t.ndim - 1] });
}

/**
 * The `offset` diagonal of the matrices in the last two axes (or `axis1`, `axis2`), as a new last axis.
 *
 * @example np.linalg.diagonal([[1, 2], [3, 4]]) // [1, 4]
 */
export function diagonal(x: A, opts: DiagOpts = {}): Tracer {
  const { t, start, len } = maskedDiag("np.linalg.diagonal", x, opts);
  const rows = lax.reduceSum(t, [t.ndim - 1]);
  return lax.slice(rows, rows.shape.map((_, i) => (i === rows.ndim - 1 ? start : 0)), [...rows.shape.slice(0, -1), start + len]);
}

/**
 * Cross product of 3-element vectors along `axis` (default -1), broadcasting the other axes.
 *
 * @example np.linalg.cross([1, 0, 0], [0, 1, 0]) // [0, 0, 1]
 */
export function cross(x1: A, x2: A, opts: { readonly axis?: number } = {}): Tracer {
  const op = "np.linalg.cross";
  let [a, b] = promoteArgs(op, x1, x2);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const [axis] = axesOf(op, opts.axis ?? -1, shape.length);
  if (shape[axis] !== 3 || a.shape[axis - (shape.length - a.ndim)] !== 3 || b.shape[axis - (shape.length - b.ndim)] !== 3) {
    throw new ShapeError(`${op}: axis ${axis} must have size 3 in both operands, received ${shapeStr(a.shape)} and ${shapeStr(b.shape)}.`);
  }
  a = broadcastTo(op, a, shape);
  b = broadcastTo(op, b, shape);
  const comp = (t: Tracer, i: number) =>
    lax.slice(t, shape.map((_, k) => (k === axis ? i : 0)), shape.map((d, k) => (k === axis ? i + 1 : d)));
  const [a0, a1, a2] = [0, 1, 2].map((i) => comp(a, i));
  const [b0, b1, b2] = [0, 1, 2].map((i) => comp(b, i));
  const parts = [
    subtract(multiply(a1, b2), multiply(a2, b1)),
    subtract(multiply(a2, b0), multiply(a0, b2)),
    subtract(multiply(a0, b1), multiply(a1, b0)),
  ];
  return lax.concatenate(parts, axis);
}

/**
 * `a` multiplied by itself `n` times (square matrices, batched), by repeated squaring;
 * negative `n` inverts first and `n = 0` gives the identity.
 *
 * @example np.linalg.matrixPower([[1, 1], [0, 1]], 3) // [[1, 3], [0, 1]]
 */
export function matrixPower(a: A, n: number): Tracer {
  const op = "np.linalg.matrixPower";
  if (!Number.isSafeInteger(n)) throw new TypeError(`${op}: the exponent must be an integer, received ${n}.`);
  let base = promoteArgs(op, a)[0];
  const m = squareSize(op, base);
  if (n === 0) {
    const eye = lax.convertElementType(lax.eq(lax.iota("int32", [m, m], 0), lax.iota("int32", [m, m], 1)), base.dtype);
    return lax.broadcastInDim(eye, base.shape, [base.ndim - 2, base.ndim - 1]);
  }
  if (n < 0) base = inv(base);
  let k = Math.abs(n);
  let result: Tracer | null = null;
  for (;;) {
    if (k & 1) result = result ? matmul(result, base) : base;
    k = Math.floor(k / 2);
    if (k === 0) return result!;
    base = matmul(base, base);
  }
}

/**
 * Product of a chain of matrices in the cheapest order (dynamic programming over the
 * parenthesizations). The first and last may be 1-D (row and column vectors).
 *
 * @example np.linalg.multiDot([a, b, c, d])
 */
export function multiDot(arrays: readonly A[]): Tracer {
  const op = "np.linalg.multiDot";
  if (arrays.length < 2) throw new RangeError(`${op}: needs at least two arrays, received ${arrays.length}.`);
  const ts = promoteArgs(op, ...arrays);
  const last = ts.length - 1;
  const firstVec = ts[0].ndim === 1;
  const lastVec = ts[last].ndim === 1;
  if (firstVec) ts[0] = lax.reshape(ts[0], [1, ts[0].shape[0]]);
  if (lastVec) ts[last] = lax.reshape(ts[last], [ts[last].shape[0], 1]);
  ts.forEach((t, i) => {
    if (t.ndim !== 2) throw new ShapeError(`${op}: array ${i} must be 2-D (only the first and last may be 1-D), received ${shapeStr(t.shape)}.`);
    if (i > 0 && ts[i - 1].shape[1] !== t.shape[0]) {
      throw new ShapeError(`${op}: arrays ${i - 1} and ${i} do not chain: ${shapeStr(ts[i - 1].shape)} @ ${shapeStr(t.shape)}.`);
    }
  });
  const dims = [ts[0].shape[0], ...ts.map((t) => t.shape[1])];
  const n = ts.length;
  const cost = ts.map(() => new globalThis.Array<number>(n).fill(0));
  const split = ts.map(() => new globalThis.Array<number>(n).fill(0));
  for (let len = 1; len < n; len++) {
    for (let i = 0; i + len < n; i++) {
      const j = i + len;
      cost[i][j] = Infinity;
      for (let k = i; k < j; k++) {
        const c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1];
        if (c < cost[i][j]) [cost[i][j], split[i][j]] = [c, k];
      }
    }
  }
  const build = (i: number, j: number): Tracer =>
    i === j ? ts[i] : matmul(build(i, split[i][j]), build(split[i][j] + 1, j));
  let out = build(0, last);
  if (firstVec) out = lax.squeeze(out, [0]);
  if (lastVec) out = lax.squeeze(out, [out.ndim - 1]);
  return out;
}
