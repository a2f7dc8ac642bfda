/**
 * @file Sorting and searching: sort, argsort, lexsort, partition, argpartition, searchsorted,
 * unique; quantiles live in quantile.ts and are re-exported here.
 *
 * Everything is built on the multi-operand `sort` primitive and on comparisons, so it traces.
 * The sort order is NumPy's and JAX's: NaNs last, -0 equal to +0, stable by default.
 * `unique` without `size` has a data-dependent output shape and is eager-only, as in JAX.
 */
import { ShapeError, TracerError, isFloat } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import { ConcreteArray } from "../trace/array.js";
import * as lax from "./lax-core.js";
import { type ArrayInput, asLike, axesOf, cast, promoteArgs, typeOf } from "./util.js";
import { constant, takeIndices } from "./sort-util.js";

export * from "./quantile.js";

type A = ArrayInput;

const asTracer = (op: string, x: A): Tracer => {
  const t = asLike(op, x);
  return typeof t === "object" ? t : cast(t, typeOf(t));
};

/** Options of sort and argsort. `axis: null` sorts the flattened array. */
export interface SortOpts {
  readonly axis?: number | null;
  readonly descending?: boolean;
  readonly stable?: boolean;
}

/** Flattens for `axis: null`, otherwise normalizes the axis (default -1). */
function sortAxis(op: string, t: Tracer, axis: number | null | undefined): [Tracer, number] {
  if (axis === null) return [lax.reshape(t, [t.size]), 0];
  if (t.ndim === 0) throw new RangeError(`${op}: cannot sort a scalar along an axis; pass axis: null or a 1-D array.`);
  return [t, axesOf(op, axis ?? -1, t.ndim)[0]];
}

/**
 * A sorted copy along `axis` (default -1; null flattens). NaNs sort last.
 *
 * @example np.sort(np.array([3, 1, 2])) // [1, 2, 3]
 */
export function sort(x: A, opts: SortOpts = {}): Tracer {
  const [t, axis] = sortAxis("np.sort", asTracer("np.sort", x), opts.axis);
  const [s] = lax.sort([t], axis, opts.stable ?? true, 1);
  return opts.descending ? lax.rev(s, [axis]) : s;
}

/**
 * Indices (int32) that sort `x` along `axis`; stable, so equal elements keep their order, also
 * with `descending: true` (as jax.numpy.argsort).
 *
 * @example np.argsort(np.array([3, 1, 2])) // [1, 2, 0]
 */
export function argsort(x: A, opts: SortOpts = {}): Tracer {
  const [t0, axis] = sortAxis("np.argsort", asTracer("np.argsort", x), opts.axis);
  const stable = opts.stable ?? true;
  let t = t0;
  let iota = lax.iota("int32", t.shape, axis);
  // Reversing before a stable sort and after keeps ties in their original order when descending.
  if (opts.descending && stable) {
    t = lax.rev(t, [axis]);
    iota = lax.rev(iota, [axis]);
  }
  const [, idx] = lax.sort([t, iota], axis, stable, 1);
  return opts.descending ? lax.rev(idx, [axis]) : idx;
}

/**
 * Indirect stable sort by several keys; the LAST key is the primary one (NumPy's convention).
 * `keys` is a list of equal-shape arrays or one array whose first axis indexes the keys.
 *
 * @example np.lexsort([np.array([1, 0, 1]), np.array([0, 0, 1])]) // [1, 0, 2]
 */
export function lexsort(keys: readonly A[] | Tracer, opts: { readonly axis?: number } = {}): Tracer {
  const list: Tracer[] = Array.isArray(keys)
    ? promoteKeys(keys as readonly A[])
    : unstack(asTracer("np.lexsort", keys as Tracer));
  if (list.length === 0) throw new RangeError("np.lexsort: need at least one key; received an empty list.");
  const shape = list[0].shape;
  if (!list.every((k) => k.shape.length === shape.length && k.shape.every((d, i) => d === shape[i]))) {
    throw new ShapeError(`np.lexsort: all keys must have one shape; received ${list.map((k) => `[${k.shape}]`).join(", ")}.`);
  }
  if (shape.length === 0) throw new RangeError("np.lexsort: keys must be at least 1-D; received scalars.");
  const axis = axesOf("np.lexsort", opts.axis ?? -1, shape.length)[0];
  const ordered = [...list].reverse();
  const out = lax.sort([...ordered, lax.iota("int32", shape, axis)], axis, true, ordered.length);
  return out[ordered.length];
}

// Keys may have different dtypes; each is sorted by its own order, so no promotion is needed.
const promoteKeys = (keys: readonly A[]) => keys.map((k) => asTracer("np.lexsort", k));

function unstack(t: Tracer): Tracer[] {
  if (t.ndim < 2) throw new ShapeError(`np.lexsort: a single array of keys must be at least 2-D (keys, ...); received shape [${t.shape}].`);
  return Array.from({ length: t.shape[0] }, (_, i) =>
    lax.reshape(lax.slice(t, [i, ...t.shape.slice(1).map(() => 0)], [i + 1, ...t.shape.slice(1)]), t.shape.slice(1)),
  );
}

function checkKth(op: string, t: Tracer, kth: number, axis: number): void {
  const n = t.shape[axis];
  if (!Number.isInteger(kth) || kth < -n || kth >= n) {
    throw new RangeError(`${op}: kth ${kth} is out of bounds for an axis of length ${n}; expected an integer in [${-n}, ${n - 1}].`);
  }
}

/**
 * Rearranges `x` so the element at `kth` is where a sort puts it, smaller ones before and
 * larger ones after. Kiln fully sorts, which satisfies that contract.
 *
 * @example np.partition(np.array([3, 4, 2, 1]), 2) // [1, 2, 3, 4]
 */
export function partition(x: A, kth: number, opts: { readonly axis?: number } = {}): Tracer {
  const [t, axis] = sortAxis("np.partition", asTracer("np.partition", x), opts.axis ?? -1);
  checkKth("np.partition", t, kth, axis);
  return sort(t, { axis });
}

/**
 * Indices that partition `x` around `kth` (a full stable argsort in Kiln).
 *
 * @example np.argpartition(np.array([3, 4, 2, 1]), 1) // [3, 2, 0, 1]
 */
export function argpartition(x: A, kth: number, opts: { readonly axis?: number } = {}): Tracer {
  const [t, axis] = sortAxis("np.argpartition", asTracer("np.argpartition", x), opts.axis ?? -1);
  checkKth("np.argpartition", t, kth, axis);
  return argsort(t, { axis });
}

const isNan = (t: Tracer) => lax.ne(t, t);

/** a < b in sort order (NaN largest), elementwise on equal shapes. */
export function ltTotal(a: Tracer, b: Tracer): Tracer {
  if (!isFloat(a.dtype)) return lax.lt(a, b);
  return lax.bitwiseOr(lax.lt(a, b), lax.bitwiseAnd(isNan(b), lax.bitwiseNot(isNan(a))));
}

/**
 * Insertion points (int32) of `v` into the sorted 1-D `a`: `side: "left"` gives the first
 * suitable index, `"right"` the last. `sorter` is an optional argsort of an unsorted `a`.
 * Computed as a count of comparisons, so it traces (O(len(a) * size(v)) work).
 *
 * @example np.searchsorted(np.array([1, 2, 3, 4, 5]), np.array([-10, 3, 10])) // [0, 2, 5]
 */
export function searchsorted(
  a: A,
  v: A,
  opts: { readonly side?: "left" | "right"; readonly sorter?: A } = {},
): Tracer {
  const side = opts.side ?? "left";
  if (side !== "left" && side !== "right") {
    throw new TypeError(`np.searchsorted: side must be "left" or "right", received ${JSON.stringify(side)}.`);
  }
  let [sa, sv] = promoteArgs("np.searchsorted", a, v);
  if (sa.ndim !== 1) throw new ShapeError(`np.searchsorted: a must be 1-D, received shape [${sa.shape}].`);
  if (opts.sorter !== undefined) sa = takeIndices(sa, cast(asTracer("np.searchsorted", opts.sorter), { dtype: "int32", weak: false }), 0);
  const n = sa.shape[0];
  const big = [...sv.shape, n];
  const ab = lax.broadcastInDim(sa, big, [sv.ndim]);
  const vb = lax.broadcastInDim(sv, big, sv.shape.map((_, i) => i));
  // left: count a[i] < v; right: count a[i] <= v, i.e. not (v < a[i]).
  const hit = side === "left" ? ltTotal(ab, vb) : lax.bitwiseNot(ltTotal(vb, ab));
  return lax.reduceSum(lax.convertElementType(hit, "int32"), [sv.ndim]);
}

/** Options of `unique`. */
export interface UniqueOpts {
  readonly returnIndex?: boolean;
  readonly returnInverse?: boolean;
  readonly returnCounts?: boolean;
  /** NaNs count as one value (default true, as in NumPy 2). */
  readonly equalNan?: boolean;
  /** A static output length; makes unique traceable. Missing slots get `fillValue`. */
  readonly size?: number;
  /** Filler for slots past the number of unique values (default: the smallest value). */
  readonly fillValue?: number;
}

/**
 * The sorted unique values of the flattened `x`, optionally with the first index of each
 * (`returnIndex`), the inverse map with x's shape (`returnInverse`) and counts (`returnCounts`);
 * extras come back as `[values, index?, inverse?, counts?]`. Eager-only unless `size` is given.
 *
 * @example np.unique(np.array([1, 1, 2])) // [1, 2]
 * @example const [u, counts] = np.unique(x, { returnCounts: true });
 */
export function unique(x: A, opts?: UniqueOpts & { returnIndex?: false; returnInverse?: false; returnCounts?: false }): Tracer;
export function unique(x: A, opts: UniqueOpts): Tracer | Tracer[];
export function unique(x: A, opts: UniqueOpts = {}): Tracer | Tracer[] {
  const t = asTracer("np.unique", x);
  const size = opts.size;
  if (size !== undefined && (!Number.isInteger(size) || size < 0)) {
    throw new RangeError(`np.unique: size must be a non-negative integer, received ${size}.`);
  }
  if (size === undefined && !(t instanceof ConcreteArray)) {
    throw new TracerError(
      `np.unique: the number of unique values depends on the data, so unique cannot run on a traced ` +
        `array (${t.aval.str()}) without a static size. Pass { size: n } (and optionally fillValue).`,
    );
  }
  if (size !== undefined && t.size === 0 && size > 0 && opts.fillValue === undefined) {
    throw new RangeError("np.unique: for an empty input with a nonzero size, fillValue must be given.");
  }
  const parts = size === undefined ? uniqueEager(t as ConcreteArray, opts.equalNan ?? true) : uniqueSized(t, size, opts);
  const out = [parts.values];
  if (opts.returnIndex) out.push(parts.index);
  if (opts.returnInverse) out.push(parts.inverse);
  if (opts.returnCounts) out.push(parts.counts);
  return out.length === 1 ? out[0] : out;
}

interface UniqueParts {
  values: Tracer;
  index: Tracer;
  inverse: Tracer;
  counts: Tracer;
}

function uniqueEager(t: ConcreteArray, equalNan: boolean): UniqueParts {
  const data = t.dataSync();
  const n = data.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const nan = (v: number) => v !== v;
  order.sort((i, j) => (nan(data[i]) ? (nan(data[j]) ? 0 : 1) : nan(data[j]) ? -1 : data[i] - data[j]));
  const values: number[] = [];
  const index: number[] = [];
  const counts: number[] = [];
  const inverse = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const prev = k > 0 ? data[order[k - 1]] : undefined;
    const same = k > 0 && (prev === data[i] || (equalNan && nan(prev!) && nan(data[i])));
    if (!same) {
      values.push(data[i]);
      index.push(i);
      counts.push(0);
    }
    counts[counts.length - 1]++;
    inverse[i] = values.length - 1;
  }
  const u = values.length;
  return {
    values: ConcreteArray.fromData(values, [u], t.dtype),
    index: ConcreteArray.fromData(index, [u], "int32"),
    inverse: ConcreteArray.fromData(inverse, t.shape, "int32"),
    counts: ConcreteArray.fromData(counts, [u], "int32"),
  };
}

/** The traceable path: every output is a comparison-and-reduce over [size, n] grids. */
function uniqueSized(t: Tracer, size: number, opts: UniqueOpts): UniqueParts {
  const flat = lax.reshape(t, [t.size]);
  const n = t.size;
  const zerosI = lax.broadcastInDim(constant(0, "int32"), [size], []);
  if (n === 0) {
    const values = lax.broadcastInDim(constant(opts.fillValue ?? 0, t.dtype), [size], []);
    return { values, index: zerosI, inverse: lax.reshape(flat, t.shape), counts: zerosI };
  }
  const [sorted] = lax.sort([flat], 0, true, 1);
  const eqNan = opts.equalNan ?? true;
  const same = (a: Tracer, b: Tracer) =>
    isFloat(a.dtype) && eqNan ? lax.bitwiseOr(lax.eq(a, b), lax.bitwiseAnd(isNan(a), isNan(b))) : lax.eq(a, b);
  // mask[i]: sorted[i] starts a new group; slot[i]: that group's output position.
  const mask = lax.concatenate([
    lax.broadcastInDim(constant(1, "bool"), [1], []),
    lax.bitwiseNot(same(lax.slice(sorted, [1], [n]), lax.slice(sorted, [0], [n - 1]))),
  ], 0);
  const maskI = lax.convertElementType(mask, "int32");
  const slot = lax.sub(lax.cumsum(maskI, 0), 1);
  const valid = lax.lt(lax.iota("int32", [size], 0), lax.reduceSum(maskI, [0]));
  const grid = [size, n];
  const full = (v: Tracer) => lax.broadcastInDim(v, grid, []);
  const inGroup = lax.eq(lax.broadcastInDim(slot, grid, [1]), lax.iota("int32", grid, 0));
  const starts = lax.bitwiseAnd(inGroup, lax.broadcastInDim(mask, grid, [1]));
  const low = t.dtype === "int32" ? -2147483648 : t.dtype === "uint32" || t.dtype === "bool" ? 0 : -Infinity;
  const firsts = lax.reduceMax(lax.select(starts, lax.broadcastInDim(sorted, grid, [1]), full(constant(low, t.dtype))), [1]);
  const fill = opts.fillValue !== undefined ? constant(opts.fillValue, t.dtype) : lax.reshape(lax.slice(sorted, [0], [1]), []);
  const values = lax.select(valid, firsts, lax.broadcastInDim(fill, [size], []));
  const counts = lax.reduceSum(lax.convertElementType(inGroup, "int32"), [1]);
  // First position in the original order holding values[j]; padded slots repeat slot 0's.
  const eqGrid = same(lax.broadcastInDim(firsts, grid, [0]), lax.broadcastInDim(flat, grid, [1]));
  const first = lax.reduceMin(lax.select(eqGrid, lax.iota("int32", grid, 1), full(constant(n, "int32"))), [1]);
  const index = size === 0 ? first : lax.select(valid, first, lax.broadcastInDim(lax.reshape(lax.slice(first, [0], [1]), []), [size], []));
  // inverse[i]: how many distinct values sort before x[i].
  const sq = [n, n];
  const before = lax.bitwiseAnd(
    lax.broadcastInDim(mask, sq, [1]),
    ltTotal(lax.broadcastInDim(sorted, sq, [1]), lax.broadcastInDim(flat, sq, [0])),
  );
  const inverse = lax.reshape(lax.reduceSum(lax.convertElementType(before, "int32"), [1]), t.shape);
  return { values, index, inverse, counts };
}
