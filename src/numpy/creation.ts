/**
 * @file Array creation: array, zeros, ones, full, arange, linspace, eye and the *Like forms.
 */
import { type DType, type Shape, checkShape } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { type ArrayInput, asLike, cast, checkDtype, exactScalar, toArray, typeOf } from "./util.js";

/** Options shared by creation functions. */
export interface DtypeOpt {
  readonly dtype?: DType;
}

/**
 * Creates an array from JS data: numbers default to float32, booleans to bool.
 *
 * @example np.array([[1, 2], [3, 4]]) // f32[2,2]
 * @example np.array(new Int32Array([1, 2]), { shape: [2, 1] })
 */
export function array(data: ArrayInput, opts: DtypeOpt & { readonly shape?: Shape } = {}): Tracer {
  const dtype = opts.dtype === undefined ? undefined : checkDtype("np.array", opts.dtype);
  return toArray("np.array", data, dtype, opts.shape ? checkShape("np.array", opts.shape) : undefined);
}

/** Like `array`, but returns tracers unchanged (NumPy's `asarray`). */
export const asarray = array;

/**
 * An array of `shape` filled with `value`.
 *
 * @example np.full([2, 3], 7) // f32[2,3] of sevens
 */
export function full(shape: Shape | number, value: ArrayInput, opts: DtypeOpt = {}): Tracer {
  const s = checkShape("np.full", typeof shape === "number" ? [shape] : shape);
  const v = asLike("np.full", value);
  const spec = opts.dtype
    ? { dtype: checkDtype("np.full", opts.dtype), weak: false }
    : typeof v === "number"
      ? { dtype: "float32" as DType, weak: false }
      : { ...typeOf(v), weak: false };
  const scalar = cast(v, spec);
  if (scalar.ndim !== 0) return lax.broadcastInDim(scalar, s, scalar.shape.map((_, i) => s.length - scalar.ndim + i));
  return lax.broadcastInDim(scalar, s, []);
}

/** @example np.zeros([2, 2]) */
export const zeros = (shape: Shape | number, opts: DtypeOpt = {}) => full(shape, 0, { dtype: opts.dtype ?? "float32" });
/** @example np.ones([3], { dtype: "int32" }) */
export const ones = (shape: Shape | number, opts: DtypeOpt = {}) => full(shape, 1, { dtype: opts.dtype ?? "float32" });
/** NumPy's `empty`; Kiln always initializes memory, so this equals `zeros`. */
export const empty = zeros;

const likeSpec = (x: ArrayInput, opts: DtypeOpt) => {
  const t = asLike("like", x);
  const shape = typeof t === "object" ? t.shape : [];
  return { shape, dtype: opts.dtype ?? (typeof t === "object" ? t.dtype : typeOf(t).dtype) };
};
/** Zeros with the shape and dtype of `x`. */
export const zerosLike = (x: ArrayInput, opts: DtypeOpt = {}) => {
  const { shape, dtype } = likeSpec(x, opts);
  return full(shape, 0, { dtype });
};
export const onesLike = (x: ArrayInput, opts: DtypeOpt = {}) => {
  const { shape, dtype } = likeSpec(x, opts);
  return full(shape, 1, { dtype });
};
export const fullLike = (x: ArrayInput, value: ArrayInput, opts: DtypeOpt = {}) => {
  const { shape, dtype } = likeSpec(x, opts);
  return full(shape, value, { dtype });
};
export const emptyLike = zerosLike;

/**
 * Evenly spaced values in [start, stop). All-integer arguments give int32, otherwise float32.
 *
 * @example np.arange(5) // [0, 1, 2, 3, 4] int32
 * @example np.arange(0, 1, 0.25) // [0, 0.25, 0.5, 0.75] float32
 */
export function arange(start: number, stop?: number, step = 1, opts: DtypeOpt = {}): Tracer {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new RangeError(`np.arange: step must be a finite non-zero number, got ${step}.`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const allInt = [start, stop, step].every(Number.isInteger);
  const dtype = opts.dtype ?? (allInt ? "int32" : "float32");
  const idx = lax.iota(dtype === "bool" ? "int32" : dtype, [n]);
  if (start === 0 && step === 1) return dtype === "bool" ? lax.convertElementType(idx, "bool") : idx;
  // step and start enter as exact float64 scalars (a bare JS number would be rounded to float32).
  const f = lax.add(lax.mul(lax.convertElementType(idx, "float64"), exactScalar(step, "float64")), exactScalar(start, "float64"));
  return lax.convertElementType(f, dtype);
}

/**
 * `num` evenly spaced samples over [start, stop] (or [start, stop) without `endpoint`).
 *
 * @example np.linspace(0, 1, 5) // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, stop: number, num = 50, opts: DtypeOpt & { readonly endpoint?: boolean } = {}): Tracer {
  if (!Number.isInteger(num) || num < 0) throw new RangeError(`np.linspace: num must be a non-negative integer, got ${num}.`);
  const endpoint = opts.endpoint ?? true;
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  const idx = lax.convertElementType(lax.iota("int32", [num]), "float64");
  let v = lax.add(lax.mul(idx, exactScalar(step, "float64")), exactScalar(start, "float64"));
  if (endpoint && num > 1) {
    // The last sample is exactly `stop`, as NumPy guarantees.
    v = lax.select(lax.eq(idx, num - 1), exactScalar(stop, "float64"), v);
  }
  const dtype = opts.dtype ?? "float32";
  // NumPy 2 (and JAX) floor samples for integer dtypes; conversion alone would truncate.
  if (dtype === "int32" || dtype === "uint32") v = lax.floor(v);
  return lax.convertElementType(v, dtype);
}

/**
 * An `n` x `m` matrix with ones on the `k`-th diagonal.
 *
 * @example np.eye(3) // identity
 */
export function eye(n: number, m?: number, k = 0, opts: DtypeOpt = {}): Tracer {
  const cols = m ?? n;
  checkShape("np.eye", [n, cols]);
  const r = lax.iota("int32", [n, cols], 0);
  const c = lax.iota("int32", [n, cols], 1);
  return lax.convertElementType(lax.eq(lax.add(r, k), c), opts.dtype ?? "float32");
}

/** The `n` x `n` identity matrix. */
export const identity = (n: number, opts: DtypeOpt = {}) => eye(n, n, 0, opts);
