/**
 * @file Products: matmul, dot, vdot, inner, outer, tensordot, with NumPy's shape rules.
 */
import { ShapeError, shapeStr, broadcastShapes, normalizeAxes } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { type ArrayInput, broadcastTo, promoteArgs } from "./util.js";

type A = ArrayInput;

/**
 * Matrix product with NumPy semantics: 1-D operands are promoted to matrices and the added axis
 * removed afterwards; leading batch axes broadcast.
 *
 * @example np.matmul(a /* [2,3] *\/, b /* [3,4] *\/) // [2,4]
 */
export function matmul(x: A, y: A): Tracer {
  let [a, b] = promoteArgs("np.matmul", x, y);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`np.matmul: operands must be at least 1-D, received ${shapeStr(a.shape)} and ${shapeStr(b.shape)}; use np.multiply for scalars.`);
  }
  const aVec = a.ndim === 1;
  const bVec = b.ndim === 1;
  if (aVec) a = lax.reshape(a, [1, a.shape[0]]);
  if (bVec) b = lax.reshape(b, [b.shape[0], 1]);
  const k = a.shape[a.ndim - 1];
  if (k !== b.shape[b.ndim - 2]) {
    throw new ShapeError(
      `np.matmul: the inner dimensions differ: ${shapeStr(aVec ? [k] : a.shape)} @ ${shapeStr(bVec ? [b.shape[0]] : b.shape)} ` +
        `(${k} vs ${b.shape[b.ndim - 2]}). The last axis of the first operand must equal the ` +
        `second-to-last axis of the second.`,
    );
  }
  const batch = broadcastShapes("np.matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const nb = batch.length;
  if (nb > 0) {
    a = broadcastTo("np.matmul", a, [...batch, ...a.shape.slice(-2)]);
    b = broadcastTo("np.matmul", b, [...batch, ...b.shape.slice(-2)]);
  }
  const bd = batch.map((_, i) => i);
  let out = lax.dotGeneral(a, b, [[[nb + 1], [nb]], [bd, bd]]);
  if (aVec) out = lax.squeeze(out, [out.ndim - 2]);
  if (bVec) out = lax.squeeze(out, [out.ndim - 1]);
  return out;
}

/**
 * NumPy `dot`: scalars multiply; 1-D x 1-D is an inner product; N-D contracts the last axis of
 * `x` with the second-to-last of `y`.
 */
export function dot(x: A, y: A): Tracer {
  const [a, b] = promoteArgs("np.dot", x, y);
  if (a.ndim === 0 || b.ndim === 0) return lax.mul(a, b);
  const ca = a.ndim - 1;
  const cb = b.ndim === 1 ? 0 : b.ndim - 2;
  if (a.shape[ca] !== b.shape[cb]) {
    throw new ShapeError(`np.dot: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} are not aligned: ${a.shape[ca]} (axis ${ca}) != ${b.shape[cb]} (axis ${cb}).`);
  }
  return lax.dotGeneral(a, b, [[[ca], [cb]], [[], []]]);
}

/** Inner product over the last axes. */
export function inner(x: A, y: A): Tracer {
  const [a, b] = promoteArgs("np.inner", x, y);
  if (a.ndim === 0 || b.ndim === 0) return lax.mul(a, b);
  if (a.shape[a.ndim - 1] !== b.shape[b.ndim - 1]) {
    throw new ShapeError(`np.inner: last dimensions differ: ${shapeStr(a.shape)} and ${shapeStr(b.shape)}.`);
  }
  return lax.dotGeneral(a, b, [[[a.ndim - 1], [b.ndim - 1]], [[], []]]);
}

/** Outer product of the flattened inputs. */
export function outer(x: A, y: A): Tracer {
  const [a, b] = promoteArgs("np.outer", x, y);
  const fa = lax.reshape(a, [a.size, 1]);
  const fb = lax.reshape(b, [1, b.size]);
  return lax.dotGeneral(fa, fb, [[[1], [0]], [[], []]]);
}

/** Dot product of flattened inputs. */
export function vdot(x: A, y: A): Tracer {
  const [a, b] = promoteArgs("np.vdot", x, y);
  if (a.size !== b.size) throw new ShapeError(`np.vdot: sizes differ: ${a.size} and ${b.size}.`);
  return lax.dotGeneral(lax.reshape(a, [a.size]), lax.reshape(b, [b.size]), [[[0], [0]], [[], []]]);
}

/**
 * Contracts `axes` of x with `axes` of y (an integer n means the last n of x with the first n of y).
 *
 * @example np.tensordot(a, b, [[1, 2], [0, 1]])
 */
export function tensordot(x: A, y: A, axes: number | readonly [readonly number[], readonly number[]] = 2): Tracer {
  const [a, b] = promoteArgs("np.tensordot", x, y);
  let ax: number[];
  let bx: number[];
  if (typeof axes === "number") {
    ax = Array.from({ length: axes }, (_, i) => a.ndim - axes + i);
    bx = Array.from({ length: axes }, (_, i) => i);
  } else {
    if (axes[0].length !== axes[1].length) {
      throw new ShapeError(
        `np.tensordot: the axis lists differ in length (${JSON.stringify(axes[0])} and ${JSON.stringify(axes[1])}); ` +
          `pair each axis of the first operand with one of the second.`,
      );
    }
    ax = normalizeAxes("np.tensordot", axes[0], a.ndim);
    bx = normalizeAxes("np.tensordot", axes[1], b.ndim);
  }
  if (ax.length > a.ndim || bx.length > b.ndim || ax.some((d) => d < 0) || bx.some((d) => d < 0)) {
    throw new ShapeError(`np.tensordot: cannot contract ${ax.length} axes of ${shapeStr(a.shape)} with ${shapeStr(b.shape)}.`);
  }
  ax.forEach((d, i) => {
    if (a.shape[d] !== b.shape[bx[i]]) {
      throw new ShapeError(`np.tensordot: axis ${d} of ${shapeStr(a.shape)} (${a.shape[d]}) does not match axis ${bx[i]} of ${shapeStr(b.shape)} (${b.shape[bx[i]]}).`);
    }
  });
  return lax.dotGeneral(a, b, [[ax, bx], [[], []]]);
}
