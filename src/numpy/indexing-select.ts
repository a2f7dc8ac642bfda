/**
 * @file Choosing and finding elements: select, choose, nonzero, argwhere, flatnonzero, compress and
 * extract.
 *
 * `nonzero`, `argwhere`, `flatnonzero`, `compress` and `extract` return as many elements as the
 * input has non-zeros, so like JAX they are eager-only unless a static `size` option fixes the
 * output length (results are then truncated, or padded with `fillValue`). Inside a trace without
 * `size` they throw a TracerError that says so.
 */
import { ShapeError, shapeStr, stridesOf } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import * as li from "./lax-indexing.js";
import { asTracer, concreteData, fullOf, gatherAt, toIndexArray, wrapIndex } from "./indexing-core.js";
import { type ArrayInput, broadcastArgs, promoteArgs } from "./util.js";

type A = ArrayInput;

/** Static output length for the value-dependent functions. */
export interface SizeOpts {
  /** Number of results to return (pads with `fillValue` or truncates); required inside traces. */
  readonly size?: number;
}

const truthy = (t: Tracer): Tracer => (t.dtype === "bool" ? t : lax.ne(t, 0));

/**
 * Picks, elementwise, the choice of the first true condition, or `default` where none holds.
 *
 * @example np.select([np.less(x, 0), np.greater(x, 5)], [np.negative(x), 5], 0)
 */
export function select(condlist: readonly A[], choicelist: readonly A[], defaultValue: A = 0): Tracer {
  const op = "np.select";
  if (condlist.length !== choicelist.length) {
    throw new ShapeError(`${op}: condlist has ${condlist.length} entries but choicelist has ${choicelist.length}; they must match.`);
  }
  if (condlist.length === 0) throw new ShapeError(`${op}: condlist is empty; pass at least one condition.`);
  const conds = condlist.map((c) => {
    const t = asTracer(op, c);
    if (t.dtype !== "bool") throw new TypeError(`${op}: conditions must be boolean arrays, received ${t.aval.str()}.`);
    return t;
  });
  const vals = promoteArgs(op, ...choicelist, defaultValue);
  const all = broadcastArgs(op, [...conds, ...vals], false);
  const n = conds.length;
  let out = all[all.length - 1];
  for (let i = n - 1; i >= 0; i--) out = lax.select(all[i], all[n + i], out);
  return out;
}

/**
 * Builds an array from `choices` by the index in `a`: `out[i] = choices[a[i]][i]`, broadcasting.
 * `mode`: `"raise"` (default; checks eagerly), `"wrap"` or `"clip"`.
 *
 * @example np.choose([0, 1, 0], [[1, 2, 3], [10, 20, 30]]) // [1, 20, 3]
 */
export function choose(a: A, choices: readonly A[] | Tracer, opts: { readonly mode?: "raise" | "wrap" | "clip" } = {}): Tracer {
  const op = "np.choose";
  const list: A[] = Array.isArray(choices) ? [...choices] : splitFirst(asTracer(op, choices as A));
  if (list.length === 0) throw new ShapeError(`${op}: choices is empty; pass at least one array.`);
  const n = list.length;
  let idx = toIndexArray(op, a);
  const mode = opts.mode ?? "raise";
  if (mode === "wrap") idx = wrapIndex(idx, n);
  else if (mode === "clip") idx = lax.clamp(0, idx, n - 1);
  else if (mode === "raise") {
    const data = concreteData(op, idx, `mode "raise" reads the indices to check them, which is impossible on traced values; use { mode: "clip" } or { mode: "wrap" }.`);
    if (data.some((v) => v < 0 || v >= n)) throw new RangeError(`${op}: index out of range for ${n} choices.`);
  } else throw new TypeError(`${op}: mode must be "raise", "wrap" or "clip", received ${JSON.stringify(mode)}.`);
  const [which, ...cases] = broadcastArgs(op, [idx, ...promoteArgs(op, ...list)], false);
  return lax.selectN(which, ...cases);
}

function splitFirst(t: Tracer): Tracer[] {
  if (t.ndim === 0) throw new ShapeError("np.choose: choices must be a list of arrays or an array of rank >= 1.");
  return Array.from({ length: t.shape[0] }, (_, i) => {
    const start = t.shape.map((_, k) => (k === 0 ? i : 0));
    const limit = t.shape.map((d, k) => (k === 0 ? i + 1 : d));
    return lax.reshape(lax.slice(t, start, limit), t.shape.slice(1));
  });
}

function checkSize(op: string, size: number | undefined, t: Tracer): number {
  if (size === undefined) return concreteData(op, t).reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`${op}: size must be a non-negative integer, received ${size}.`);
  return size;
}

/**
 * Flat positions of the first `size` non-zeros of the flattened `t`, then -1 padding; traceable.
 * Each non-zero is scattered to slot (its running count - 1); zeros and overflow go out of bounds
 * and are dropped.
 */
function flatPositions(flat: Tracer, size: number): Tracer {
  const m = truthy(flat);
  const count = lax.cumsum(lax.convertElementType(m, "int32"), 0);
  const slot = lax.select(m, lax.sub(count, 1), size);
  const init = fullOf("int32", [size], -1);
  return li.scatter(init, lax.expandDims(slot, [1]), lax.iota("int32", [flat.size]), {
    dimensionNumbers: { updateWindowDims: [], insertedWindowDims: [0], scatterDimsToOperandDims: [0] },
    mode: "fill",
    uniqueIndices: true,
  });
}

/**
 * Indices of the non-zero elements, one int32 array per axis (eager-only unless `size` is given).
 *
 * @example np.nonzero(np.array([[0, 1], [2, 0]])) // [[0, 1], [1, 0]]
 */
export function nonzero(a: A, opts: SizeOpts & { readonly fillValue?: number | readonly number[] } = {}): Tracer[] {
  const op = "np.nonzero";
  const t = asTracer(op, a);
  if (t.ndim === 0) throw new ShapeError(`${op}: not defined for 0-d arrays; use np.atleast1d or np.argwhere.`);
  const size = checkSize(op, opts.size, t);
  const pos = flatPositions(lax.reshape(t, [t.size]), size);
  const fv = opts.fillValue ?? 0;
  const fills: readonly number[] = typeof fv === "number" ? t.shape.map(() => fv) : fv;
  if (fills.length !== t.ndim) {
    throw new ShapeError(`${op}: fillValue has ${fills.length} entries for an array of rank ${t.ndim}; give one per axis.`);
  }
  const missing = lax.lt(pos, 0);
  const strides = stridesOf(t.shape);
  return t.shape.map((d, k) => {
    const coord = lax.rem(lax.div(pos, strides[k]), Math.max(d, 1));
    return lax.select(missing, lax.convertElementType(fills[k], "int32"), coord);
  });
}

/**
 * Coordinates of the non-zero elements as an int32 [N, ndim] array (eager-only unless `size`).
 *
 * @example np.argwhere(np.array([[0, 1], [2, 0]])) // [[0, 1], [1, 0]]
 */
export function argwhere(a: A, opts: SizeOpts & { readonly fillValue?: number | readonly number[] } = {}): Tracer {
  const t = asTracer("np.argwhere", a);
  if (t.ndim === 0) {
    const cols = argwhere(lax.reshape(t, [1]), opts);
    return lax.slice(cols, [0, 0], [cols.shape[0], 0]);
  }
  const cols = nonzero(t, opts).map((c) => lax.expandDims(c, [1]));
  return lax.concatenate(cols, 1);
}

/**
 * Indices of the non-zero elements of the flattened array (eager-only unless `size`).
 *
 * @example np.flatnonzero(np.array([0, 3, 0, 4])) // [1, 3]
 */
export function flatnonzero(a: A, opts: SizeOpts & { readonly fillValue?: number } = {}): Tracer {
  const t = asTracer("np.flatnonzero", a);
  return nonzero(lax.reshape(t, [t.size]), opts)[0];
}

/**
 * The slices of `a` along `axis` (of the flattened array by default) where the 1-D `condition`
 * holds (eager-only unless `size`; padding uses `fillValue`, default 0).
 *
 * @example np.compress([false, true, true], np.array([1, 2, 3])) // [2, 3]
 */
export function compress(
  condition: A,
  a: A,
  opts: SizeOpts & { readonly axis?: number | null; readonly fillValue?: number } = {},
): Tracer {
  const op = "np.compress";
  let cond = truthy(asTracer(op, condition));
  if (cond.ndim !== 1) throw new ShapeError(`${op}: condition must be 1-D, received shape ${shapeStr(cond.shape)}.`);
  let t = asTracer(op, a);
  const axis = opts.axis ?? null;
  if (axis === null) t = lax.reshape(t, [t.size]);
  const ax = axis === null ? 0 : axis < 0 ? axis + t.ndim : axis;
  if (!(ax >= 0 && ax < t.ndim)) throw new RangeError(`${op}: axis ${axis} is out of bounds for an array of rank ${t.ndim}.`);
  const n = t.shape[ax];
  if (cond.shape[0] > n) {
    const extra = lax.slice(cond, [n], [cond.shape[0]]);
    if (opts.size === undefined && concreteData(op, extra).some((v) => v !== 0)) {
      throw new ShapeError(`${op}: condition has true entries beyond the ${n} elements of axis ${ax}.`);
    }
    cond = lax.slice(cond, [0], [n]);
  }
  // Padding indices point past the axis, so take's fill mode writes fillValue there.
  const idx = nonzero(cond, { size: opts.size, fillValue: n })[0];
  if (n === 0) return fullOf(t.dtype, t.shape.map((d, i) => (i === ax ? idx.shape[0] : d)), opts.fillValue ?? 0);
  return gatherAt(op, t, [ax], [idx], ax, "fill", opts.fillValue ?? 0);
}

/**
 * The elements of the flattened `arr` where the flattened `condition` is non-zero.
 *
 * @example np.extract(np.array([1, 0, 1]), np.array([7, 8, 9])) // [7, 9]
 */
export function extract(condition: A, arr: A, opts: SizeOpts & { readonly fillValue?: number } = {}): Tracer {
  const c = asTracer("np.extract", condition);
  return compress(lax.reshape(c, [c.size]), arr, { ...opts, axis: null });
}
