/**
 * @file Shared machinery of the `np` indexing functions: integer index arrays, negative-index
 * normalization, and the two gather/scatter shapes every indexing function reduces to ("pick these
 * axes at these points, keep the other axes whole" and "write at these points").
 *
 * Internal to the `np` layer: not part of the public namespace.
 */
import { type DType, type GatherScatterMode, ShapeError, TracerError, broadcastShapes, isFloat, shapeStr } from "../ir/index.js";
import { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import * as li from "./lax-indexing.js";
import { type ArrayInput, asLike, broadcastTo, cast, toArray, typeOf } from "./util.js";

/** An array input as a tracer (JS scalars become typed scalars). */
export function asTracer(op: string, x: ArrayInput): Tracer {
  const t = asLike(op, x);
  return t instanceof Tracer ? t : cast(t, typeOf(t));
}

/**
 * Integer indices as an int32 array; JS numbers and nested JS arrays must hold integers.
 * Floats are rejected as NumPy and JAX do; bools are rejected here (masks are handled by callers).
 */
export function toIndexArray(op: string, x: ArrayInput): Tracer {
  if (!(x instanceof Tracer)) {
    const vals = typeof x === "number" ? [x] : Array.isArray(x) ? (x as unknown[]).flat(Infinity) : null;
    if (vals && vals.every((v) => typeof v === "number" && Number.isInteger(v))) {
      return typeof x === "number" ? lax.convertElementType(x, "int32") : toArray(op, x, "int32");
    }
    if (!ArrayBuffer.isView(x)) {
      throw new TypeError(
        `${op}: indices must be integers (a number, nested JS arrays of integers, or an int array); ` +
          `received ${JSON.stringify(x)}.`,
      );
    }
  }
  const t = asTracer(op, x);
  if (t.dtype === "int32") return t.weakType ? lax.convertElementType(t, "int32") : t;
  if (t.dtype === "uint32") return lax.convertElementType(t, "int32");
  throw new TypeError(
    `${op}: indices must have an integer dtype, received ${t.aval.str()}. ` +
      (isFloat(t.dtype) ? "Convert them with .astype(\"int32\") first." : "Use np.nonzero to turn a mask into indices."),
  );
}

/** Wraps negative indices once (`i < 0 ? i + n : i`), as NumPy and JAX do before gathering. */
export const normalizeIndex = (idx: Tracer, n: number): Tracer => lax.select(lax.lt(idx, 0), lax.add(idx, n), idx);

/** `i mod n` with a non-negative result (NumPy's `%`), for `mode: "wrap"`. */
export function wrapIndex(idx: Tracer, n: number): Tracer {
  const r = lax.rem(idx, n);
  return lax.select(lax.lt(r, 0), lax.add(r, n), r);
}

/** Stacks int32 index arrays of one shape B into the [...B, k] index-vector layout of gather/scatter. */
function stackIndices(idxs: readonly Tracer[]): Tracer {
  const cols = idxs.map((i) => lax.expandDims(i, [i.ndim]));
  return cols.length === 1 ? cols[0] : lax.concatenate(cols, cols[0].ndim - 1);
}

/** Broadcasts index arrays to their common shape (NumPy rules). */
export function broadcastIndices(op: string, idxs: readonly Tracer[]): Tracer[] {
  const shape = broadcastShapes(op, ...idxs.map((i) => i.shape));
  return idxs.map((i) => broadcastTo(op, i, shape));
}

/**
 * Gathers `x` at points: axis `axes[j]` is indexed by `idxs[j]` (int32, all of one shape B), the
 * other axes are kept whole. B is placed at output position `pos` among the kept axes.
 *
 * @example gatherAt(x /* [3,4] *\/, [0], [rows /* [5] *\/], 0, "clip") // -> [5, 4]
 */
export function gatherAt(
  op: string,
  x: Tracer,
  axes: readonly number[],
  idxs: readonly Tracer[],
  pos: number,
  mode: GatherScatterMode,
  fillValue: number | null = null,
): Tracer {
  for (const a of axes) {
    if (x.shape[a] === 0 && mode !== "fill") {
      throw new RangeError(`${op}: cannot index axis ${a} of size 0 (array shape ${shapeStr(x.shape)}).`);
    }
  }
  if (axes.some((a) => x.shape[a] === 0)) {
    // Every index is out of bounds of an empty axis: the whole result is the fill value.
    const kept = x.shape.filter((_, i) => !axes.includes(i));
    const shape = [...kept.slice(0, pos), ...idxs[0].shape, ...kept.slice(pos)];
    return fullOf(x.dtype, shape, fillValue);
  }
  const batch = idxs[0].ndim;
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  return li.gather(x, stackIndices(idxs), {
    dimensionNumbers: {
      offsetDims: kept.map((_, r) => (r < pos ? r : r + batch)),
      collapsedSliceDims: [...axes].sort((a, b) => a - b),
      startIndexMap: [...axes],
      operandBatchingDims: [],
      startIndicesBatchingDims: [],
    },
    sliceSizes: x.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
    mode,
    fillValue,
  });
}

/** An array of `shape` filled with `fillValue` (or the dtype's default gather fill). */
export function fullOf(dtype: DType, shape: readonly number[], fillValue: number | null): Tracer {
  const v = fillValue ?? (isFloat(dtype) ? NaN : dtype === "int32" ? -2147483648 : dtype === "uint32" ? 4294967295 : 1);
  return lax.broadcastInDim(lax.convertElementType(v, dtype), shape, []);
}

export type ScatterKind = "set" | "add" | "mul" | "min" | "max";
const SCATTERS = { set: li.scatter, add: li.scatterAdd, mul: li.scatterMul, min: li.scatterMin, max: li.scatterMax };

/**
 * Scatters `updates` (shape B, x's dtype) into `x` at points: `idxs[j]` (int32, shape B) indexes
 * axis j of x. Out-of-bounds points are dropped in `"fill"` mode.
 */
export function scatterAt(
  kind: ScatterKind,
  x: Tracer,
  idxs: readonly Tracer[],
  updates: Tracer,
  mode: GatherScatterMode = "fill",
): Tracer {
  const axes = x.shape.map((_, i) => i);
  return SCATTERS[kind](x, stackIndices(idxs), updates, {
    dimensionNumbers: { updateWindowDims: [], insertedWindowDims: axes, scatterDimsToOperandDims: axes },
    mode,
  });
}

/** Converts updates to x's dtype (as `x.at[...]` does in JAX) and broadcasts them to `shape`. */
export function updatesFor(op: string, x: Tracer, v: ArrayInput, shape: readonly number[]): Tracer {
  let u = asTracer(op, v);
  if (u.dtype !== x.dtype || u.weakType) u = lax.convertElementType(u, x.dtype, false);
  // JAX accepts extra leading size-1 axes on the updates.
  while (u.ndim > shape.length && u.shape[0] === 1) u = lax.reshape(u, u.shape.slice(1));
  try {
    return broadcastTo(op, u, shape);
  } catch (e) {
    if (!(e instanceof RangeError || e instanceof ShapeError)) throw e;
    throw new ShapeError(
      `${op}: values of shape ${shapeStr(u.shape)} cannot be broadcast to the indexed shape ${shapeStr(shape)}; ` +
        `pass a scalar or an array broadcastable to ${shapeStr(shape)}.`,
    );
  }
}

/**
 * Reads a concrete array's data for the eager-only functions whose output shape depends on values,
 * and explains the `size` option when the array is traced.
 */
export function concreteData(op: string, x: Tracer, fix?: string): Float64Array {
  try {
    return Float64Array.from(x.dataSync(), Number);
  } catch (e) {
    if (!(e instanceof TracerError)) throw e;
    throw new TracerError(
      `${op}: ` +
        (fix ??
          `the number of results depends on the values of the input, which are not known while tracing ` +
            `(jit, grad, vmap, makeJaxpr). Pass a static { size: n } option (results are padded with ` +
            `fillValue or truncated to n), or call ${op} outside the transformation.`),
    );
  }
}
