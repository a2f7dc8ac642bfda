/**
 * @file NumPy indexing as functions: `index(x, ...specs)` (basic and advanced indexing, like
 * `x[...]`), functional updates `at(x, ...specs).set(v)` (like JAX's `x.at[...]`), `take`,
 * `takeAlongAxis` and `putAlongAxis`.
 *
 * Semantics follow jax.numpy 0.4.30: static slices become `slice`/`rev`, integer and array indices
 * become one `gather`. Negative indices wrap once; other out-of-bounds indices are clamped by gathers
 * and dropped by updates, since traced code cannot raise on values.
 */
import { type GatherScatterMode, ShapeError, shapeStr } from "../ir/index.js";
import { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import {
  type ScatterKind, asTracer, broadcastIndices, fullOf, gatherAt, normalizeIndex, scatterAt, toIndexArray, updatesFor,
  wrapIndex,
} from "./indexing-core.js";
import { type Item, type IndexSpec, parseSpecs } from "./indexing-specs.js";
import { type ArrayInput, broadcastTo } from "./util.js";

export type { IndexSpec } from "./indexing-specs.js";
export * from "./indexing-diag.js";
export * from "./indexing-select.js";

type A = ArrayInput;

/** Options of the gathers behind `index`, `take` and `at(...).get()`. */
export interface GatherModeOpts {
  /** How out-of-bounds indices behave; see each function for its default. */
  readonly mode?: "clip" | "fill" | "promise_in_bounds";
  /** Value of out-of-bounds elements in `"fill"` mode (default NaN, INT_MIN, UINT_MAX or true by dtype). */
  readonly fillValue?: number | null;
}

/** Applies parsed items (one per axis of `x`, new axes already inserted). */
function applyItems(op: string, x: Tracer, items: readonly Item[], mode: GatherScatterMode, fill: number | null): Tracer {
  // Static slices first: they only shrink or reverse axes and never change the axis count.
  let t = x;
  items.forEach((it, d) => {
    if (it.kind !== "slice") return;
    const { start, step, length } = it;
    const n = t.shape[d];
    if (start === 0 && step === 1 && length === n) return;
    const begin = t.shape.map(() => 0);
    const limit = [...t.shape];
    const strides = t.shape.map(() => 1);
    if (step < 0) t = lax.rev(t, [d]);
    begin[d] = step < 0 ? n - 1 - start : start;
    limit[d] = length === 0 ? begin[d] : begin[d] + (length - 1) * Math.abs(step) + 1;
    strides[d] = Math.abs(step);
    t = lax.slice(t, begin, limit, strides);
  });
  const adv = items.map((it, d) => (it.kind === "slice" ? -1 : d)).filter((d) => d >= 0);
  if (adv.length === 0) return t;
  if (items.every((it) => it.kind !== "array")) return staticInts(op, t, items, mode, fill);
  const idxs = broadcastIndices(
    op,
    adv.map((d) => {
      const it = items[d];
      const raw = it.kind === "int" ? lax.convertElementType(it.value, "int32") : (it as { array: Tracer }).array;
      return normalizeIndex(raw, t.shape[d]);
    }),
  );
  // NumPy puts the broadcast index axes where the advanced indices are when they are adjacent,
  // and first otherwise.
  const adjacent = adv.every((d, i) => i === 0 || d === adv[i - 1] + 1);
  return gatherAt(op, t, adv, idxs, adjacent ? adv[0] : 0, mode, fill);
}

/** Only static integers besides slices: slice each to size 1 and drop the axes (no gather needed). */
function staticInts(op: string, t: Tracer, items: readonly Item[], mode: GatherScatterMode, fill: number | null): Tracer {
  const begin = t.shape.map(() => 0);
  const limit = [...t.shape];
  let outOfBounds = false;
  items.forEach((it, d) => {
    if (it.kind !== "int") return;
    const n = t.shape[d];
    let i = it.value < 0 ? it.value + n : it.value;
    if (i < 0 || i >= n) {
      if (mode === "fill" || n === 0) outOfBounds = true;
      i = Math.min(Math.max(i, 0), n - 1);
    }
    begin[d] = i;
    limit[d] = i + 1;
  });
  const shape = t.shape.filter((_, d) => items[d].kind !== "int");
  if (outOfBounds) {
    if (mode !== "fill") throw new RangeError(`${op}: cannot index an axis of size 0 (array shape ${shapeStr(t.shape)}).`);
    return fullOf(t.dtype, shape, fill);
  }
  return lax.reshape(lax.slice(t, begin, limit), shape);
}

function indexWith(op: string, x: A, specs: readonly IndexSpec[], mode: GatherScatterMode, fill: number | null): Tracer {
  const t = asTracer(op, x);
  const { items, newAxes } = parseSpecs(op, t.shape, specs);
  const expanded = newAxes.length ? lax.expandDims(t, newAxes) : t;
  return applyItems(op, expanded, items, mode, fill);
}

/**
 * NumPy indexing `x[specs]`: numbers, slice strings (`"1:5:2"`, `":"`, `"::-1"`), `null` (new axis),
 * `"..."`, integer arrays (advanced indexing) and, eagerly, boolean masks.
 * Out-of-bounds integer indices are clamped, as in JAX.
 *
 * @example np.index(x, 0, "::-1")            // x[0, ::-1]
 * @example np.index(x, "...", [2, 0], null)  // x[..., [2, 0], None]
 */
export const index = (x: A, ...specs: IndexSpec[]): Tracer => indexWith("np.index", x, specs, "clip", null);

/** The pending update returned by `at`: pick the operation with a method. */
export class IndexUpdateRef {
  readonly #x: Tracer;
  readonly #specs: readonly IndexSpec[];

  constructor(x: A, specs: readonly IndexSpec[]) {
    this.#x = asTracer("np.at", x);
    this.#specs = specs;
  }

  /** `x[idx]` with an explicit out-of-bounds mode (default: clamp). */
  get(opts: GatherModeOpts = {}): Tracer {
    return indexWith("np.at(...).get", this.#x, this.#specs, opts.mode ?? "clip", opts.fillValue ?? null);
  }
  /** A copy of x with `x[idx] = v`; out-of-bounds indices are dropped. */
  set(v: A): Tracer {
    return this.#scatter("set", "np.at(...).set", v);
  }
  /** A copy of x with `x[idx] += v`; repeated indices accumulate. */
  add(v: A): Tracer {
    return this.#scatter("add", "np.at(...).add", v);
  }
  /** A copy of x with `x[idx] -= v`. */
  subtract(v: A): Tracer {
    return this.#scatter("add", "np.at(...).subtract", lax.neg(asTracer("np.at(...).subtract", v)));
  }
  /** A copy of x with `x[idx] *= v`; repeated indices multiply. */
  multiply(v: A): Tracer {
    return this.#scatter("mul", "np.at(...).multiply", v);
  }
  /** A copy of x with `x[idx] = minimum(x[idx], v)`. */
  min(v: A): Tracer {
    return this.#scatter("min", "np.at(...).min", v);
  }
  /** A copy of x with `x[idx] = maximum(x[idx], v)`. */
  max(v: A): Tracer {
    return this.#scatter("max", "np.at(...).max", v);
  }

  #scatter(kind: ScatterKind, op: string, v: A): Tracer {
    const x = this.#x;
    // Index an iota of flat positions the same way: each selected element learns its flat offset,
    // and out-of-bounds selections become -1 so the scatter drops them.
    const flatPos = lax.reshape(lax.iota("int32", [x.size]), x.shape);
    const pos = indexWith(op, flatPos, this.#specs, "fill", -1);
    const u = updatesFor(op, x, v, pos.shape);
    const flat = scatterAt(kind, lax.reshape(x, [x.size]), [pos], u);
    return lax.reshape(flat, x.shape);
  }
}

/**
 * Functional in-place updates, like JAX's `x.at[idx]`: `np.at(x, 0, ":").set(1)`.
 *
 * @example np.at(np.zeros([3]), [0, 0, 2]).add(1) // [2, 0, 1]
 */
export const at = (x: A, ...specs: IndexSpec[]): IndexUpdateRef => new IndexUpdateRef(x, specs);

/** Options of `take`. */
export interface TakeOpts {
  /** Axis to take along; `null` (default) takes from the flattened array. */
  readonly axis?: number | null;
  /**
   * `"fill"` (default, as in JAX): negative indices wrap once, others out of bounds give `fillValue`;
   * `"clip"`: indices (negative ones too) are clamped into range; `"wrap"`: indices wrap modulo the size.
   */
  readonly mode?: "fill" | "clip" | "wrap";
  readonly fillValue?: number | null;
}

function prepareIndices(op: string, idx: Tracer, n: number, mode: string | undefined): [Tracer, GatherScatterMode] {
  switch (mode ?? "fill") {
    case "fill":
      return [normalizeIndex(idx, n), "fill"];
    case "clip":
      return [idx, "clip"];
    case "wrap":
      return [n === 0 ? idx : wrapIndex(idx, n), "clip"];
    default:
      throw new TypeError(
        `${op}: mode must be "fill", "clip" or "wrap", received ${JSON.stringify(mode)} ("raise" cannot ` +
          `work on traced values).`,
      );
  }
}

/**
 * Elements of `a` at `indices` along `axis` (of the flattened array by default).
 *
 * @example np.take(np.array([4, 5, 6]), [2, -1, 7]) // [6, 6, NaN]
 */
export function take(a: A, indices: A, opts: TakeOpts = {}): Tracer {
  const op = "np.take";
  let t = asTracer(op, a);
  const idx = toIndexArray(op, indices);
  let axis = opts.axis ?? null;
  if (axis === null) {
    t = lax.reshape(t, [t.size]);
    axis = 0;
  }
  const ax = normAxis(op, axis, t.ndim);
  const [i, mode] = prepareIndices(op, idx, t.shape[ax], opts.mode);
  return gatherAt(op, t, [ax], [i], ax, mode, opts.fillValue ?? null);
}

function normAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new RangeError(`${op}: axis ${axis} is out of bounds for an array of rank ${ndim}.`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Per-axis point indices for take/putAlongAxis: `indices` on `axis`, iotas elsewhere. */
function alongAxisIndices(op: string, arr: Tracer, indices: A, axis: number | null, mode?: string) {
  let t = arr;
  let idx = toIndexArray(op, indices);
  if (axis === null) {
    t = lax.reshape(t, [t.size]);
    if (idx.ndim !== 1) throw new ShapeError(`${op}: with axis null the indices must be 1-D, received rank ${idx.ndim}.`);
  }
  const ax = normAxis(op, axis ?? 0, t.ndim);
  if (idx.ndim !== t.ndim) {
    throw new ShapeError(
      `${op}: indices must have the array's rank ${t.ndim}, received rank ${idx.ndim}; add size-1 axes ` +
        `(np.expandDims) so they broadcast against the array.`,
    );
  }
  const shape = t.shape.map((d, i) => (i === ax ? idx.shape[i] : Math.max(d, idx.shape[i])));
  t.shape.forEach((d, i) => {
    if (i !== ax && d !== 1 && idx.shape[i] !== 1 && d !== idx.shape[i]) {
      throw new ShapeError(`${op}: indices of shape (${idx.shape}) do not broadcast against the array (${t.shape}) on axis ${i}.`);
    }
  });
  const [i, m] = prepareIndices(op, idx, t.shape[ax], mode);
  idx = broadcastTo(op, i, shape);
  // Size-1 axes of the array broadcast, so they are always read at 0.
  const zero = lax.convertElementType(0, "int32");
  const idxs = t.shape.map((d, k) =>
    k === ax ? idx : d === shape[k] ? lax.iota("int32", shape, k) : lax.broadcastInDim(zero, shape, []),
  );
  return { t, idxs, shape, mode: m };
}

/**
 * `arr` picked along `axis` at `indices` (same rank as `arr`), like NumPy's `take_along_axis`.
 * Out-of-bounds indices follow `mode` as in `take` (default `"fill"`).
 *
 * @example np.takeAlongAxis(x, np.argsort(x, { axis: 1 }), 1) // x sorted along axis 1
 */
export function takeAlongAxis(arr: A, indices: A, axis: number | null, opts: Omit<TakeOpts, "axis"> = {}): Tracer {
  const op = "np.takeAlongAxis";
  const { t, idxs, mode } = alongAxisIndices(op, asTracer(op, arr), indices, axis, opts.mode);
  const all = t.shape.map((_, i) => i);
  return gatherAt(op, t, all, idxs, 0, mode, opts.fillValue ?? null);
}

/**
 * A copy of `arr` with `values` written along `axis` at `indices` (NumPy's `put_along_axis`, but
 * functional). Out-of-bounds indices are dropped.
 *
 * @example np.putAlongAxis(np.zeros([2, 3]), [[1], [2]], 5, 1) // [[0, 5, 0], [0, 0, 5]]
 */
export function putAlongAxis(arr: A, indices: A, values: A, axis: number | null): Tracer {
  const op = "np.putAlongAxis";
  const a = asTracer(op, arr);
  const { t, idxs, shape } = alongAxisIndices(op, a, indices, axis, "fill");
  const out = scatterAt("set", t, idxs, updatesFor(op, t, values, shape));
  return axis === null ? lax.reshape(out, a.shape) : out;
}
