/**
 * @file Array manipulation beyond reshape/concatenate: tiling and repeating, flips and rolls,
 * axis moves, meshgrid, resize, append/insert/delete/trimZeros and the shape queries
 * `np.ndim`/`np.shape`/`np.size`. Everything is built from static slices,
 * reversals, broadcasts and concatenations, so it traces and differentiates like any lax op.
 * `np.pad` (pad.ts) and the atleast/stack/split families (stacking.ts) are re-exported here.
 */
import { ShapeError, TracerError, broadcastShapes as bshapes, shapeStr } from "../ir/index.js";
import { ConcreteArray } from "../trace/array.js";
import { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { concatenate } from "./shape-ops.js";
import { asTracer, normAxis, takeStatic } from "./take-static.js";
import { type ArrayInput, type NestedArray, axesOf, broadcastArgs, broadcastTo, nestedShape, promoteArgs } from "./util.js";

export { pad, type PadMode, type PadOpts, type PadWidth } from "./pad.js";
export * from "./stacking.js";

type A = ArrayInput;
type Axis = { readonly axis?: number | null };

/**
 * Repeats the whole array `reps` times along each axis (rank grows to match `reps`).
 *
 * @example np.tile(np.array([0, 1]), [2, 2]) // [[0, 1, 0, 1], [0, 1, 0, 1]]
 */
export function tile(x: A, reps: number | readonly number[]): Tracer {
  const t = asTracer("np.tile", x);
  const r = typeof reps === "number" ? [reps] : [...reps];
  if (r.some((v) => !Number.isInteger(v) || v < 0)) throw new RangeError(`np.tile: reps must be non-negative integers, got ${JSON.stringify(reps)}.`);
  const d = Math.max(t.ndim, r.length);
  const shape = [...Array(d - t.ndim).fill(1), ...t.shape];
  const rr = [...Array(d - r.length).fill(1), ...r];
  // Broadcast into interleaved axes [r0, s0, r1, s1, ...], then merge each pair.
  const inter = shape.flatMap((s, i) => [rr[i], s]);
  const b = lax.broadcastInDim(lax.reshape(t, shape), inter, shape.map((_, i) => 2 * i + 1));
  return lax.reshape(b, shape.map((s, i) => s * rr[i]));
}

/**
 * Repeats each element `repeats` times (a number, or one static count per element) along `axis`;
 * with no axis the input is flattened first.
 *
 * @example np.repeat(np.array([1, 2]), 2) // [1, 1, 2, 2]
 * @example np.repeat(np.array([[1, 2], [3, 4]]), [1, 2], { axis: 0 }) // [[1, 2], [3, 4], [3, 4]]
 */
export function repeat(x: A, repeats: number | readonly number[], opts: Axis = {}): Tracer {
  let t = asTracer("np.repeat", x);
  if (opts.axis === null || opts.axis === undefined) t = lax.reshape(t, [t.size]);
  const ax = normAxis("np.repeat", opts.axis ?? 0, t.ndim);
  const n = t.shape[ax];
  const reps = typeof repeats === "number" ? [repeats] : [...repeats];
  if (reps.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new RangeError(`np.repeat: repeats must be non-negative integers, got ${JSON.stringify(repeats)}.`);
  }
  if (reps.length === 1) {
    // Uniform count: broadcast a new axis after `ax` and merge it in.
    const k = reps[0];
    const inter = [...t.shape.slice(0, ax + 1), k, ...t.shape.slice(ax + 1)];
    const b = lax.broadcastInDim(t, inter, t.shape.map((_, i) => (i <= ax ? i : i + 1)));
    const out = [...t.shape];
    out[ax] = n * k;
    return lax.reshape(b, out);
  }
  if (reps.length !== n) {
    throw new ShapeError(`np.repeat: got ${reps.length} repeat counts for axis ${ax} of length ${n}; pass one count per element or a single number.`);
  }
  return takeStatic(t, ax, reps.flatMap((k, i) => Array<number>(k).fill(i)));
}

/**
 * Reverses the order of elements along `axis` (all axes when omitted).
 *
 * @example np.flip(np.array([[1, 2], [3, 4]]), { axis: 1 }) // [[2, 1], [4, 3]]
 */
export function flip(x: A, opts: { readonly axis?: number | readonly number[] | null } = {}): Tracer {
  const t = asTracer("np.flip", x);
  return lax.rev(t, axesOf("np.flip", opts.axis, t.ndim));
}

/** Flips columns (axis 1). @example np.fliplr(np.eye(2)) // [[0, 1], [1, 0]] */
export function fliplr(x: A): Tracer {
  const t = asTracer("np.fliplr", x);
  if (t.ndim < 2) throw new ShapeError(`np.fliplr: needs an array of rank >= 2, got shape ${shapeStr(t.shape)}; use np.flip for 1-D.`);
  return lax.rev(t, [1]);
}

/** Flips rows (axis 0). @example np.flipud(np.array([1, 2, 3])) // [3, 2, 1] */
export function flipud(x: A): Tracer {
  const t = asTracer("np.flipud", x);
  if (t.ndim < 1) throw new ShapeError("np.flipud: needs an array of rank >= 1, got a scalar.");
  return lax.rev(t, [0]);
}

/**
 * Rolls elements by `shift` along `axis` (elements leaving one end re-enter at the other);
 * with no axis the array is rolled as if flattened. `shift` and `axis` may be lists (paired).
 *
 * @example np.roll(np.arange(5), 2) // [3, 4, 0, 1, 2]
 */
export function roll(x: A, shift: number | readonly number[], opts: { readonly axis?: number | readonly number[] | null } = {}): Tracer {
  const t = asTracer("np.roll", x);
  if (opts.axis === null || opts.axis === undefined) {
    if (typeof shift !== "number" && shift.length !== 1) {
      throw new ShapeError(`np.roll: a list of shifts needs a matching list of axes; received shift ${JSON.stringify(shift)} and no axis.`);
    }
    const s = typeof shift === "number" ? shift : shift[0];
    return lax.reshape(roll(lax.reshape(t, [t.size]), s, { axis: 0 }), t.shape);
  }
  const axes = typeof opts.axis === "number" ? [opts.axis] : [...opts.axis];
  const shifts = typeof shift === "number" ? [shift] : [...shift];
  const n = Math.max(axes.length, shifts.length);
  if ((axes.length !== n && axes.length !== 1) || (shifts.length !== n && shifts.length !== 1)) {
    throw new ShapeError(`np.roll: shift ${JSON.stringify(shift)} and axis ${JSON.stringify(opts.axis)} must have the same length (or one of them length 1).`);
  }
  const total = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const a = normAxis("np.roll", axes[axes.length === 1 ? 0 : i], t.ndim);
    const s = shifts[shifts.length === 1 ? 0 : i];
    if (!Number.isInteger(s)) throw new RangeError(`np.roll: shifts must be integers, got ${s}.`);
    total.set(a, (total.get(a) ?? 0) + s);
  }
  let out = t;
  for (const [a, s] of total) {
    const len = out.shape[a];
    const k = len === 0 ? 0 : ((s % len) + len) % len;
    if (k === 0) continue;
    const cut = (lo: number, hi: number) => lax.slice(out, out.shape.map((_, i) => (i === a ? lo : 0)), out.shape.map((d, i) => (i === a ? hi : d)));
    out = lax.concatenate([cut(len - k, len), cut(0, len - k)], a);
  }
  return out;
}

/**
 * Rotates by 90 degrees `k` times in the plane of `axes` (from the first axis towards the second).
 *
 * @example np.rot90(np.array([[1, 2], [3, 4]])) // [[2, 4], [1, 3]]
 */
export function rot90(x: A, opts: { readonly k?: number; readonly axes?: readonly [number, number] } = {}): Tracer {
  const t = asTracer("np.rot90", x);
  const [a0, a1] = (opts.axes ?? [0, 1]).map((a) => normAxis("np.rot90", a, t.ndim));
  if (a0 === a1) throw new ShapeError(`np.rot90: the two axes must differ, got ${JSON.stringify(opts.axes)}.`);
  const k = (((opts.k ?? 1) % 4) + 4) % 4;
  if (k === 0) return t;
  if (k === 2) return lax.rev(t, [a0, a1]);
  const perm = t.shape.map((_, i) => (i === a0 ? a1 : i === a1 ? a0 : i));
  return k === 1 ? lax.transpose(lax.rev(t, [a1]), perm) : lax.rev(lax.transpose(t, perm), [a1]);
}

/**
 * Moves axes `source` to positions `destination`; the other axes keep their order.
 *
 * @example np.moveaxis(np.zeros([3, 4, 5]), 0, -1).shape // [4, 5, 3]
 */
export function moveaxis(x: A, source: number | readonly number[], destination: number | readonly number[]): Tracer {
  const t = asTracer("np.moveaxis", x);
  const src = (typeof source === "number" ? [source] : [...source]).map((a) => normAxis("np.moveaxis", a, t.ndim));
  const dst = (typeof destination === "number" ? [destination] : [...destination]).map((a) => normAxis("np.moveaxis", a, t.ndim));
  if (src.length !== dst.length) {
    throw new ShapeError(`np.moveaxis: source ${JSON.stringify(source)} and destination ${JSON.stringify(destination)} need the same number of axes.`);
  }
  if (new Set(src).size !== src.length || new Set(dst).size !== dst.length) throw new RangeError("np.moveaxis: repeated axis in source or destination.");
  const order = t.shape.map((_, i) => i).filter((i) => !src.includes(i));
  const pairs = dst.map((d, i) => [d, src[i]] as const).sort((p, q) => p[0] - q[0]);
  for (const [d, s] of pairs) order.splice(d, 0, s);
  return lax.transpose(t, order);
}

/** Interchanges two axes. @example np.swapaxes(np.zeros([2, 3]), 0, 1).shape // [3, 2] */
export function swapaxes(x: A, axis1: number, axis2: number): Tracer {
  const t = asTracer("np.swapaxes", x);
  const [a, b] = [normAxis("np.swapaxes", axis1, t.ndim), normAxis("np.swapaxes", axis2, t.ndim)];
  return lax.transpose(t, t.shape.map((_, i) => (i === a ? b : i === b ? a : i)));
}

/**
 * Rolls `axis` backwards until it lies before position `start` (NumPy's legacy rollaxis).
 *
 * @example np.rollaxis(np.zeros([3, 4, 5]), 2).shape // [5, 3, 4]
 */
export function rollaxis(x: A, axis: number, start = 0): Tracer {
  const t = asTracer("np.rollaxis", x);
  const a = normAxis("np.rollaxis", axis, t.ndim);
  if (!Number.isInteger(start) || start < -t.ndim || start > t.ndim) {
    throw new RangeError(`np.rollaxis: start ${start} must be in [${-t.ndim}, ${t.ndim}].`);
  }
  let s = start < 0 ? start + t.ndim : start;
  if (a < s) s -= 1;
  if (a === s) return t;
  const order = t.shape.map((_, i) => i).filter((i) => i !== a);
  order.splice(s, 0, a);
  return lax.transpose(t, order);
}

/** Options of `meshgrid`: Cartesian ("xy", default) or matrix ("ij") indexing, sparse outputs. */
export interface MeshgridOpts {
  readonly indexing?: "xy" | "ij";
  readonly sparse?: boolean;
}

const isOpts = (v: unknown): v is MeshgridOpts =>
  typeof v === "object" && v !== null && !(v instanceof Tracer) && !Array.isArray(v) && !ArrayBuffer.isView(v);

/**
 * Coordinate grids from 1-D coordinate vectors (inputs are flattened first).
 *
 * @example const [X, Y] = np.meshgrid(np.arange(3), np.arange(2)) // X, Y of shape [2, 3]
 */
export function meshgrid(...args: [...A[], MeshgridOpts] | A[]): Tracer[] {
  const last = args.at(-1);
  const opts: MeshgridOpts = isOpts(last) ? last : {};
  const xs = (isOpts(last) ? args.slice(0, -1) : args) as A[];
  const indexing = opts.indexing ?? "xy";
  if (indexing !== "xy" && indexing !== "ij") throw new RangeError(`np.meshgrid: indexing must be "xy" or "ij", got ${JSON.stringify(indexing)}.`);
  const ts = xs.map((x) => {
    const t = asTracer("np.meshgrid", x);
    return lax.reshape(t, [t.size]);
  });
  const shape = ts.map((t) => t.size);
  // "xy" swaps the first two output axes, so x varies along columns.
  if (indexing === "xy" && ts.length > 1) [shape[0], shape[1]] = [shape[1], shape[0]];
  return ts.map((t, i) => {
    const dim = indexing === "xy" && i < 2 && ts.length > 1 ? 1 - i : i;
    if (opts.sparse) return lax.reshape(t, shape.map((s, j) => (j === dim ? s : 1)));
    return lax.broadcastInDim(t, shape, [dim]);
  });
}

/** Broadcasts arrays against each other. @example np.broadcastArrays(np.zeros([2, 1]), np.zeros([3])) // two [2, 3] arrays */
export function broadcastArrays(...xs: A[]): Tracer[] {
  const ts = xs.map((x) => asTracer("np.broadcastArrays", x));
  return broadcastArgs("np.broadcastArrays", ts, false);
}

/** The shape that `shapes` broadcast to. @example np.broadcastShapes([2, 1], [3]) // [2, 3] */
export function broadcastShapes(...shapes: (readonly number[] | number)[]): number[] {
  return bshapes("np.broadcastShapes", ...shapes.map((s) => (typeof s === "number" ? [s] : s)));
}

/**
 * A new array of `shape` filled with copies of `x`'s flattened elements, cycling as needed.
 *
 * @example np.resize(np.array([1, 2, 3]), [2, 2]) // [[1, 2], [3, 1]]
 */
export function resize(x: A, shape: number | readonly number[]): Tracer {
  const t = asTracer("np.resize", x);
  const s = typeof shape === "number" ? [shape] : [...shape];
  if (s.some((d) => !Number.isInteger(d) || d < 0)) throw new RangeError(`np.resize: new shape ${shapeStr(s)} must have non-negative integer sizes.`);
  const n = s.reduce((a, b) => a * b, 1);
  if (t.size === 0) return broadcastTo("np.resize", lax.convertElementType(0, t.dtype), s);
  const flat = tile(lax.reshape(t, [t.size]), Math.ceil(n / t.size));
  return lax.reshape(lax.slice(flat, [0], [n]), s);
}

/**
 * Appends `values` at the end along `axis` (flattening both when there is no axis).
 *
 * @example np.append(np.array([1, 2]), [3, 4]) // [1, 2, 3, 4]
 */
export function append(x: A, values: A, opts: Axis = {}): Tracer {
  const [t, v] = promoteArgs("np.append", x, values);
  if (opts.axis === null || opts.axis === undefined) return lax.concatenate([lax.reshape(t, [t.size]), lax.reshape(v, [v.size])], 0);
  return concatenate([t, v], opts.axis);
}

/**
 * Inserts `values` before the static index (or each of the indices) `index` along `axis`.
 *
 * @example np.insert(np.array([1, 2, 3]), 1, 9) // [1, 9, 2, 3]
 * @example np.insert(np.array([1, 2, 3]), [0, 3], [7, 8]) // [7, 1, 2, 3, 8]
 */
export function insert(x: A, index: number | readonly number[], values: A, opts: Axis = {}): Tracer {
  let [t, v] = promoteArgs("np.insert", x, values);
  if (opts.axis === null || opts.axis === undefined) t = lax.reshape(t, [t.size]);
  const ax = normAxis("np.insert", opts.axis ?? 0, t.ndim);
  const n = t.shape[ax];
  const idx = (typeof index === "number" ? [index] : [...index]).map((i) => {
    if (!Number.isInteger(i) || i < -n || i > n) throw new RangeError(`np.insert: index ${i} is out of bounds for axis ${ax} of size ${n}; expected [${-n}, ${n}].`);
    return i < 0 ? i + n : i;
  });
  let k = idx.length;
  if (typeof index === "number") {
    // A scalar index inserts a whole block: values' leading axis becomes the inserted axis.
    const vv = v.ndim < t.ndim ? lax.reshape(v, [...Array(t.ndim - v.ndim).fill(1), ...v.shape]) : v;
    v = moveaxis(vv, 0, ax);
    k = v.shape[ax];
  }
  const blockShape = t.shape.map((d, i) => (i === ax ? k : d));
  const block = broadcastTo("np.insert", v, blockShape);
  const order: number[] = [];
  const sorted = idx.map((p, j) => [p, j] as const).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  let s = 0;
  for (let p = 0; p <= n; p++) {
    if (typeof index === "number") {
      if (p === idx[0]) for (let j = 0; j < k; j++) order.push(n + j);
    } else while (s < sorted.length && sorted[s][0] === p) order.push(n + sorted[s++][1]);
    if (p < n) order.push(p);
  }
  return takeStatic(lax.concatenate([t, block], ax), ax, order);
}

export { deleteEntries as delete };
/**
 * Removes the entries at static index (or indices) `index` along `axis` (flattening when none).
 * Exported as `np.delete`.
 *
 * @example np.delete(np.array([1, 2, 3, 4]), [0, 2]) // [2, 4]
 */
function deleteEntries(x: A, index: number | readonly number[], opts: Axis = {}): Tracer {
  let t = asTracer("np.delete", x);
  if (opts.axis === null || opts.axis === undefined) t = lax.reshape(t, [t.size]);
  const ax = normAxis("np.delete", opts.axis ?? 0, t.ndim);
  const n = t.shape[ax];
  const drop = new Set((typeof index === "number" ? [index] : index).map((i) => {
    if (!Number.isInteger(i) || i < -n || i >= n) throw new RangeError(`np.delete: index ${i} is out of bounds for axis ${ax} of size ${n}.`);
    return i < 0 ? i + n : i;
  }));
  return takeStatic(t, ax, [...Array(n).keys()].filter((i) => !drop.has(i)));
}

/**
 * Drops leading ("f"), trailing ("b") or both ("fb") zeros of a 1-D array. Eager-only: the
 * result's length depends on the values.
 *
 * @example np.trimZeros(np.array([0, 0, 1, 2, 0])) // [1, 2]
 */
export function trimZeros(x: A, trim: "f" | "b" | "fb" = "fb"): Tracer {
  const t = asTracer("np.trimZeros", x);
  if (t.ndim !== 1) throw new ShapeError(`np.trimZeros: expected a 1-D array, got shape ${shapeStr(t.shape)}.`);
  if (!(t instanceof ConcreteArray)) {
    throw new TracerError("np.trimZeros: the result's length depends on the values, which are unknown while tracing; call it outside jit/grad/vmap.");
  }
  const v = t.dataSync();
  let lo = 0;
  let hi = v.length;
  if (trim.includes("f")) while (lo < hi && Number(v[lo]) === 0) lo++;
  if (trim.includes("b")) while (hi > lo && Number(v[hi - 1]) === 0) hi--;
  return lax.slice(t, [lo], [hi]);
}

/** A copy of `x` (arrays are immutable, so this mainly matters for buffer ownership). @example np.copy(x) */
export const copy = (x: A): Tracer => lax.copy(asTracer("np.copy", x));

const shapeOfInput = (op: string, x: A): readonly number[] =>
  x instanceof Tracer ? x.shape : ArrayBuffer.isView(x) ? [(x as Float32Array).length] : typeof x === "object" ? nestedShape(op, x as NestedArray) : [];

/** Rank of an array or nested JS array. @example np.ndim([[1, 2]]) // 2 */
export const ndim = (x: A): number => shapeOfInput("np.ndim", x).length;
/** Shape of an array or nested JS array. @example np.shape([[1, 2]]) // [1, 2] */
export const shape = (x: A): number[] => [...shapeOfInput("np.shape", x)];
/** Number of elements, in total or along `axis`. @example np.size(np.zeros([2, 3]), 1) // 3 */
export function size(x: A, axis?: number): number {
  const s = shapeOfInput("np.size", x);
  if (axis === undefined) return s.reduce((a, b) => a * b, 1);
  return s[normAxis("np.size", axis, s.length)];
}

