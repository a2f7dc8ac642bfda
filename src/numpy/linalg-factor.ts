/**
 * @file Matrix factorizations written with lax ops, unrolled over the static matrix size:
 * Gaussian elimination with partial pivoting (det, slogdet, solve, inv), Cholesky and
 * Householder QR. Every step is a handful of masked whole-matrix updates, so a matrix of
 * size n costs O(n) traced operations and O(n^3) arithmetic, and leading batch axes come free.
 * That is fine for the small matrices of layers and tests; sizes above 64 are refused until
 * dedicated factorization primitives exist. Values are never read, so everything traces
 * (singular input gives inf/NaN, as in JAX, where NumPy would raise LinAlgError).
 */
import { ShapeError, broadcastShapes, shapeStr } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { abs, divide, equal, greater, greaterEqual, lessEqual, log, multiply, sign, sqrt, subtract, where } from "./math.js";
import { type ArrayInput, broadcastTo, promoteArgsInexact } from "./util.js";

/** Largest matrix size the unrolled factorizations accept. */
export const MAX_UNROLLED = 64;

/** Checks for a (batch of) square matrices of supported size; returns n. */
export function squareSize(op: string, a: Tracer): number {
  if (a.ndim < 2 || a.shape[a.ndim - 1] !== a.shape[a.ndim - 2]) {
    throw new ShapeError(`${op}: expected square matrices with shape (..., n, n), received ${shapeStr(a.shape)}.`);
  }
  const n = a.shape[a.ndim - 1];
  checkUnrolled(op, n);
  return n;
}

function checkUnrolled(op: string, n: number): void {
  if (n > MAX_UNROLLED) {
    throw new RangeError(
      `${op}: matrices of size ${n} are too large for the unrolled factorization (at most ${MAX_UNROLLED}); ` +
        `dedicated factorization primitives will lift this limit. Split the problem or use smaller blocks.`,
    );
  }
}

/** Appends a size-1 axis at the end (`last`) or before the last axis. */
const ex = (x: Tracer, where: "last" | "beforeLast" = "last") =>
  lax.expandDims(x, [where === "last" ? x.ndim : x.ndim - 1]);
/** Element k along the last axis, that axis dropped. */
const at = (x: Tracer, k: number) => {
  const nd = x.ndim;
  const s = lax.slice(x, x.shape.map((_, i) => (i === nd - 1 ? k : 0)), x.shape.map((d, i) => (i === nd - 1 ? k + 1 : d)));
  return lax.reshape(s, x.shape.slice(0, -1));
};
/** Column k of a batch of matrices: [..., r]. */
const colOf = (m: Tracer, k: number) => at(m, k);
/** Row k of a batch of matrices: [..., c]. */
const rowOf = (m: Tracer, k: number) => at(lax.transpose(m, swapLast(m.ndim)), k);
const swapLast = (nd: number) => [...[...globalThis.Array(nd - 2).keys()], nd - 1, nd - 2];

/** Stacks [...B] arrays along a new last axis (an empty list gives [...B, 0]). */
function stackLast(xs: readonly Tracer[], batch: readonly number[], like: Tracer): Tracer {
  if (xs.length === 0) return lax.broadcastInDim(lax.convertElementType(0, like.dtype), [...batch, 0], []);
  return lax.concatenate(xs.map((x) => ex(x)), batch.length);
}

interface Elimination {
  /** The eliminated augmented matrix [A | B]. */
  readonly m: Tracer;
  /** Pivot of each step, [...B, n]: the diagonal of U. */
  readonly pivots: Tracer;
  /** +1 or -1: the sign of the row permutation. */
  readonly parity: Tracer;
}

/**
 * Row-reduces [A | rhs] with partial pivoting. `full` clears above the pivots too
 * (Gauss-Jordan), leaving a diagonal A; otherwise A becomes the upper factor U.
 */
function eliminate(a: Tracer, rhs: Tracer | null, full: boolean): Elimination {
  const n = a.shape[a.ndim - 1];
  const batch = a.shape.slice(0, -2);
  let m = rhs ? lax.concatenate([a, rhs], a.ndim - 1) : a;
  const rows = lax.iota("int32", [n]);
  const rowsCol = lax.iota("int32", [n, 1]);
  let parity: Tracer = lax.broadcastInDim(lax.convertElementType(1, a.dtype), batch, []);
  const pivots: Tracer[] = [];
  for (let k = 0; k < n; k++) {
    // Pivot: the largest magnitude at or below the diagonal in column k.
    const cand = where(greaterEqual(rows, k), abs(colOf(m, k)), -1);
    const p = lax.argmax(cand, batch.length);
    const isP = ex(equal(rows, ex(p)));
    const rowP = lax.reduceSum(where(isP, m, 0), [batch.length]);
    const rowK = rowOf(m, k);
    m = where(equal(rowsCol, k), ex(rowP, "beforeLast"), where(isP, ex(rowK, "beforeLast"), m));
    parity = where(equal(p, k), parity, lax.neg(parity));
    const pivot = at(rowP, k);
    pivots.push(pivot);
    // A zero pivot means the whole column is zero below the diagonal: nothing to eliminate.
    const safe = where(equal(pivot, 0), 1, pivot);
    const f = where(full ? equal(rows, k) : lessEqual(rows, k), 0, divide(colOf(m, k), ex(safe)));
    m = subtract(m, multiply(ex(f), ex(rowP, "beforeLast")));
  }
  return { m, pivots: stackLast(pivots, batch, a), parity };
}

/**
 * Determinant of square matrices (leading axes are a batch), by LU with partial pivoting.
 *
 * @example np.linalg.det([[1, 2], [3, 4]]) // -2
 */
export function det(a: ArrayInput): Tracer {
  const [t] = promoteArgsInexact("np.linalg.det", a);
  squareSize("np.linalg.det", t);
  const { pivots, parity } = eliminate(t, null, false);
  return multiply(parity, lax.reduceProd(pivots, [t.ndim - 2]));
}

/**
 * Sign and natural log of the absolute determinant, without overflow for large determinants.
 * A singular matrix gives sign 0 and log -inf.
 *
 * @example const [sign, logabsdet] = np.linalg.slogdet(a)
 */
export function slogdet(a: ArrayInput): [Tracer, Tracer] {
  const [t] = promoteArgsInexact("np.linalg.slogdet", a);
  squareSize("np.linalg.slogdet", t);
  const { pivots, parity } = eliminate(t, null, false);
  const ax = [t.ndim - 2];
  return [multiply(parity, lax.reduceProd(sign(pivots), ax)), lax.reduceSum(log(abs(pivots)), ax)];
}

/**
 * Solves `a @ x = b`. `b` of rank 1 is one right-hand side vector; otherwise `b` is
 * (..., n, k) and batch axes broadcast against those of `a` (NumPy 2 semantics).
 *
 * @example np.linalg.solve([[3, 1], [1, 2]], [9, 8]) // [2, 3]
 */
export function solve(a: ArrayInput, b: ArrayInput): Tracer {
  const op = "np.linalg.solve";
  let [ta, tb] = promoteArgsInexact(op, a, b);
  const n = squareSize(op, ta);
  const vec = tb.ndim === 1;
  if (vec) tb = lax.reshape(tb, [tb.shape[0], 1]);
  if (tb.ndim < 2 || tb.shape[tb.ndim - 2] !== n) {
    throw new ShapeError(
      `${op}: b must have shape (${n},) or (..., ${n}, k) to match a of shape ${shapeStr(ta.shape)}; ` +
        `received ${shapeStr(vec ? [tb.shape[0]] : tb.shape)}.`,
    );
  }
  const batch = broadcastShapes(op, ta.shape.slice(0, -2), tb.shape.slice(0, -2));
  ta = broadcastTo(op, ta, [...batch, n, n]);
  tb = broadcastTo(op, tb, [...batch, ...tb.shape.slice(-2)]);
  const { m, pivots } = eliminate(ta, tb, true);
  const k = tb.shape[tb.ndim - 1];
  const rhs = lax.slice(m, m.shape.map((_, i) => (i === m.ndim - 1 ? n : 0)), [...m.shape.slice(0, -1), n + k]);
  const x = divide(rhs, ex(pivots));
  return vec ? lax.reshape(x, x.shape.slice(0, -1)) : x;
}

/**
 * Inverse of square matrices, by Gauss-Jordan elimination with partial pivoting.
 *
 * @example np.linalg.inv([[2, 0], [0, 4]]) // [[0.5, 0], [0, 0.25]]
 */
export function inv(a: ArrayInput): Tracer {
  const [t] = promoteArgsInexact("np.linalg.inv", a);
  const n = squareSize("np.linalg.inv", t);
  const eye = lax.convertElementType(lax.eq(lax.iota("int32", [n, n], 0), lax.iota("int32", [n, n], 1)), t.dtype);
  return solve(t, lax.broadcastInDim(eye, t.shape, [t.ndim - 2, t.ndim - 1]));
}

/**
 * Cholesky factor of symmetric positive-definite matrices: lower `L` with `L @ L^T = a`
 * (`upper: true` gives `L^T`). Only the lower triangle of `a` is read, as in NumPy; a matrix
 * that is not positive definite gives NaN.
 *
 * @example np.linalg.cholesky([[4, 2], [2, 3]]) // [[2, 0], [1, 1.414]]
 */
export function cholesky(a: ArrayInput, opts: { readonly upper?: boolean } = {}): Tracer {
  const [t] = promoteArgsInexact("np.linalg.cholesky", a);
  const n = squareSize("np.linalg.cholesky", t);
  const rows = lax.iota("int32", [n]);
  let s = t;
  const cols: Tracer[] = [];
  for (let j = 0; j < n; j++) {
    // Right-looking: column j of the Schur complement, scaled by its diagonal's square root.
    const c = where(greaterEqual(rows, j), divide(colOf(s, j), ex(sqrt(at(colOf(s, j), j)))), 0);
    cols.push(c);
    s = subtract(s, multiply(ex(c), ex(c, "beforeLast")));
  }
  const l = n === 0 ? t : lax.concatenate(cols.map((c) => ex(c)), t.ndim - 1);
  return opts.upper ? lax.transpose(l, swapLast(l.ndim)) : l;
}

/** What `qr` returns for each mode. */
export type QrMode = "reduced" | "complete" | "r";

/**
 * QR decomposition by Householder reflections, with LAPACK's sign convention (a reflection is
 * skipped when the column is already zero below the diagonal). `reduced` (default) gives
 * Q (..., m, k) and R (..., k, n) with k = min(m, n); `complete` gives a square Q; `r` only R.
 *
 * @example const [q, r] = np.linalg.qr(a)
 */
export function qr(a: ArrayInput, opts?: { readonly mode?: "reduced" | "complete" }): [Tracer, Tracer];
export function qr(a: ArrayInput, opts: { readonly mode: "r" }): Tracer;
export function qr(a: ArrayInput, opts: { readonly mode?: QrMode } = {}): [Tracer, Tracer] | Tracer {
  const op = "np.linalg.qr";
  const [t] = promoteArgsInexact(op, a);
  const mode = opts.mode ?? "reduced";
  if (!["reduced", "complete", "r"].includes(mode)) {
    throw new RangeError(`${op}: mode must be "reduced", "complete" or "r", received ${JSON.stringify(mode)}.`);
  }
  if (t.ndim < 2) throw new ShapeError(`${op}: expected matrices with shape (..., m, n), received ${shapeStr(t.shape)}.`);
  const [m, n] = t.shape.slice(-2);
  const k = Math.min(m, n);
  checkUnrolled(op, Math.max(m, n));
  const nb = t.ndim - 2;
  const bd = [...globalThis.Array(nb).keys()];
  const rows = lax.iota("int32", [m]);
  const eyeM = lax.convertElementType(lax.eq(lax.iota("int32", [m, m], 0), lax.iota("int32", [m, m], 1)), t.dtype);
  let q = lax.broadcastInDim(eyeM, [...t.shape.slice(0, -2), m, m], [nb, nb + 1]);
  let r = t;
  for (let j = 0; j < k; j++) {
    const x = where(greaterEqual(rows, j), colOf(r, j), 0);
    const xj = at(x, j);
    const below = lax.reduceSum(lax.square(where(greater(rows, j), x, 0)), [nb]);
    const alpha = multiply(where(greaterEqual(xj, 0), -1, 1), sqrt(lax.add(below, lax.square(xj))));
    const v = where(equal(rows, j), ex(subtract(xj, alpha)), x);
    const vv = lax.reduceSum(lax.square(v), [nb]);
    const tau = ex(ex(where(equal(below, 0), 0, divide(2, vv))));
    // H = I - tau v v^T applied on the left of R and accumulated on the right of Q.
    const w = lax.dotGeneral(v, r, [[[nb], [nb]], [bd, bd]]);
    r = subtract(r, multiply(tau, multiply(ex(v), ex(w, "beforeLast"))));
    const u = lax.dotGeneral(q, v, [[[nb + 1], [nb]], [bd, bd]]);
    q = subtract(q, multiply(tau, multiply(ex(u), ex(v, "beforeLast"))));
  }
  // Below-diagonal entries are rounding noise after the reflections; make them exact zeros.
  r = where(greater(lax.iota("int32", [m, n], 0), lax.iota("int32", [m, n], 1)), 0, r);
  if (mode === "complete") return [q, r];
  const rk = lax.slice(r, r.shape.map(() => 0), [...r.shape.slice(0, -2), k, n]);
  if (mode === "r") return rk;
  return [lax.slice(q, q.shape.map(() => 0), [...q.shape.slice(0, -1), k]), rk];
}
