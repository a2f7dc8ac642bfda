/**
 * @file The atleast / stack / split families: lifting ranks the NumPy way, then joining or
 * cutting along the axis each variant names (h = columns, v = rows, d = depth).
 */
import { ShapeError, shapeStr } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { concatenate, split } from "./shape-ops.js";
import { asTracer } from "./take-static.js";
import type { ArrayInput } from "./util.js";

type A = ArrayInput;

function atleast(op: string, nd: number, lift: (t: Tracer) => Tracer, xs: readonly A[]): Tracer | Tracer[] {
  const out = xs.map((x) => {
    const t = asTracer(op, x);
    return t.ndim >= nd ? t : lift(t);
  });
  return out.length === 1 ? out[0] : out;
}

/** Views inputs as arrays of rank >= 1 (one input gives one array, several give a list). @example np.atleast1d(5).shape // [1] */
export function atleast1d(x: A): Tracer;
export function atleast1d(...xs: A[]): Tracer[];
export function atleast1d(...xs: A[]): Tracer | Tracer[] {
  return atleast("np.atleast1d", 1, (t) => lax.reshape(t, [1]), xs);
}
/** Rank >= 2: a 1-D array of length N becomes [1, N]. @example np.atleast2d(np.arange(3)).shape // [1, 3] */
export function atleast2d(x: A): Tracer;
export function atleast2d(...xs: A[]): Tracer[];
export function atleast2d(...xs: A[]): Tracer | Tracer[] {
  return atleast("np.atleast2d", 2, (t) => lax.reshape(t, [1, t.size]), xs);
}
/** Rank >= 3: [N] becomes [1, N, 1] and [M, N] becomes [M, N, 1]. @example np.atleast3d(np.arange(3)).shape // [1, 3, 1] */
export function atleast3d(x: A): Tracer;
export function atleast3d(...xs: A[]): Tracer[];
export function atleast3d(...xs: A[]): Tracer | Tracer[] {
  return atleast("np.atleast3d", 3, (t) => lax.reshape(t, t.ndim === 2 ? [...t.shape, 1] : [1, t.size, 1]), xs);
}

const each = (op: string, xs: readonly A[], nd: number) => {
  if (xs.length === 0) throw new ShapeError(`${op}: need at least one array.`);
  const fns = [atleast1d, atleast2d, atleast3d] as const;
  return xs.map((x) => fns[nd - 1](asTracer(op, x)));
};

/** Stacks horizontally (along axis 1, or axis 0 for 1-D inputs). @example np.hstack([np.array([1]), np.array([2, 3])]) // [1, 2, 3] */
export function hstack(xs: readonly A[]): Tracer {
  const ts = each("np.hstack", xs, 1);
  return concatenate(ts, ts[0].ndim === 1 ? 0 : 1);
}
/** Stacks vertically (rows); 1-D inputs become rows. @example np.vstack([np.array([1, 2]), np.array([3, 4])]) // [[1, 2], [3, 4]] */
export function vstack(xs: readonly A[]): Tracer {
  return concatenate(each("np.vstack", xs, 2), 0);
}
export const rowStack = vstack;
/** Stacks along the third axis. @example np.dstack([np.array([1, 2]), np.array([3, 4])]).shape // [1, 2, 2] */
export function dstack(xs: readonly A[]): Tracer {
  return concatenate(each("np.dstack", xs, 3), 2);
}
/** Stacks 1-D arrays as columns of a 2-D array. @example np.columnStack([np.array([1, 2]), np.array([3, 4])]) // [[1, 3], [2, 4]] */
export function columnStack(xs: readonly A[]): Tracer {
  if (xs.length === 0) throw new ShapeError("np.columnStack: need at least one array.");
  return concatenate(xs.map((x) => {
    const t = asTracer("np.columnStack", x);
    return t.ndim < 2 ? lax.reshape(t, [t.size, 1]) : t;
  }), 1);
}

/** Splits along axis 1 (axis 0 for 1-D). @example np.hsplit(np.arange(4), 2) // [[0, 1], [2, 3]] */
export function hsplit(x: A, sections: number | readonly number[]): Tracer[] {
  const t = asTracer("np.hsplit", x);
  if (t.ndim === 0) throw new ShapeError("np.hsplit: needs an array of rank >= 1, got a scalar.");
  return split(t, sections, t.ndim > 1 ? 1 : 0);
}
/** Splits along axis 0 (rank >= 2). @example np.vsplit(np.zeros([4, 2]), 2)[0].shape // [2, 2] */
export function vsplit(x: A, sections: number | readonly number[]): Tracer[] {
  const t = asTracer("np.vsplit", x);
  if (t.ndim < 2) throw new ShapeError(`np.vsplit: needs an array of rank >= 2, got shape ${shapeStr(t.shape)}.`);
  return split(t, sections, 0);
}
/** Splits along axis 2 (rank >= 3). @example np.dsplit(np.zeros([1, 1, 4]), 2)[0].shape // [1, 1, 2] */
export function dsplit(x: A, sections: number | readonly number[]): Tracer[] {
  const t = asTracer("np.dsplit", x);
  if (t.ndim < 3) throw new ShapeError(`np.dsplit: needs an array of rank >= 3, got shape ${shapeStr(t.shape)}.`);
  return split(t, sections, 2);
}
