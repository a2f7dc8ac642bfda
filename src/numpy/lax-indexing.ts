/**
 * @file `lax` gather and scatter: one-line wrappers over the XLA-style primitives, with JAX's
 * dimension numbers (`jax.lax.GatherDimensionNumbers` / `ScatterDimensionNumbers`, jax 0.4.30).
 *
 * The index vector is always the last axis of the indices. Static params come in one options object;
 * the batching-dimension lists default to empty (Kiln does not support them).
 */
import {
  type GatherDimensionNumbers, type GatherScatterMode, Prim, type PrimParams, type ScatterDimensionNumbers,
} from "../ir/index.js";
import { type ArrayLike, type Tracer, bind1 } from "../trace/core.js";

type T = ArrayLike;

/** Out-of-bounds modes accepted by the wrappers: `"drop"` is JAX's alias of `"fill"` for scatters. */
export type IndexMode = GatherScatterMode | "drop";

/** Gather dimension numbers; the batching lists may be omitted. */
export type GatherDims = Omit<GatherDimensionNumbers, "operandBatchingDims" | "startIndicesBatchingDims"> &
  Partial<Pick<GatherDimensionNumbers, "operandBatchingDims" | "startIndicesBatchingDims">>;

/** Scatter dimension numbers; the batching lists may be omitted. */
export type ScatterDims = Omit<ScatterDimensionNumbers, "operandBatchingDims" | "scatterIndicesBatchingDims"> &
  Partial<Pick<ScatterDimensionNumbers, "operandBatchingDims" | "scatterIndicesBatchingDims">>;

export interface GatherOptions {
  readonly dimensionNumbers: GatherDims;
  readonly sliceSizes: readonly number[];
  readonly indicesAreSorted?: boolean;
  readonly uniqueIndices?: boolean;
  /** Default `"fill"`, as in `jax.lax.gather` with `mode=None`. */
  readonly mode?: IndexMode;
  /** Value of out-of-bounds windows in `"fill"` mode; default NaN / INT_MIN / UINT_MAX / true by dtype. */
  readonly fillValue?: number | null;
}

export interface ScatterOptions {
  readonly dimensionNumbers: ScatterDims;
  readonly indicesAreSorted?: boolean;
  readonly uniqueIndices?: boolean;
  /** Default `"fill"` (out-of-bounds windows are dropped), as in `jax.lax.scatter` with `mode=None`. */
  readonly mode?: IndexMode;
}

function parseMode(op: string, mode: IndexMode | undefined): GatherScatterMode {
  if (mode === undefined || mode === "drop") return "fill";
  if (mode === "clip" || mode === "fill" || mode === "promise_in_bounds") return mode;
  throw new TypeError(
    `${op}: mode must be "clip", "fill", "drop" or "promise_in_bounds", received ${JSON.stringify(mode)}.`,
  );
}

/**
 * XLA Gather: slices of `sliceSizes` from `operand` starting at each index vector of `startIndices`.
 *
 * @example
 *   // rows 2 and 0 of a [3, 4] matrix -> [2, 4]
 *   lax.gather(x, np.array([[2], [0]], { dtype: "int32" }), {
 *     dimensionNumbers: { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] },
 *     sliceSizes: [1, 4],
 *   });
 */
export function gather(operand: T, startIndices: T, opts: GatherOptions): Tracer {
  const dn = opts.dimensionNumbers;
  const params: PrimParams[Prim.Gather] = {
    dimensionNumbers: {
      offsetDims: [...dn.offsetDims],
      collapsedSliceDims: [...dn.collapsedSliceDims],
      startIndexMap: [...dn.startIndexMap],
      operandBatchingDims: [...(dn.operandBatchingDims ?? [])],
      startIndicesBatchingDims: [...(dn.startIndicesBatchingDims ?? [])],
    },
    sliceSizes: [...opts.sliceSizes],
    indicesAreSorted: opts.indicesAreSorted ?? false,
    uniqueIndices: opts.uniqueIndices ?? false,
    mode: parseMode("lax.gather", opts.mode),
    fillValue: opts.fillValue ?? null,
  };
  return bind1(Prim.Gather, [operand, startIndices], params);
}

function scatterParams(op: string, opts: ScatterOptions): PrimParams[Prim.Scatter] {
  const dn = opts.dimensionNumbers;
  return {
    dimensionNumbers: {
      updateWindowDims: [...dn.updateWindowDims],
      insertedWindowDims: [...dn.insertedWindowDims],
      scatterDimsToOperandDims: [...dn.scatterDimsToOperandDims],
      operandBatchingDims: [...(dn.operandBatchingDims ?? [])],
      scatterIndicesBatchingDims: [...(dn.scatterIndicesBatchingDims ?? [])],
    },
    indicesAreSorted: opts.indicesAreSorted ?? false,
    uniqueIndices: opts.uniqueIndices ?? false,
    mode: parseMode(op, opts.mode),
  };
}

type ScatterPrim = Prim.Scatter | Prim.ScatterAdd | Prim.ScatterMul | Prim.ScatterMin | Prim.ScatterMax;

const scatterLike =
  (prim: ScatterPrim, op: string) =>
  (operand: T, scatterIndices: T, updates: T, opts: ScatterOptions): Tracer =>
    bind1(prim, [operand, scatterIndices, updates], scatterParams(op, opts));

/**
 * XLA Scatter: writes each window of `updates` into a copy of `operand` at its index vector.
 * With duplicate indices the last update (in row-major order) wins.
 *
 * @example
 *   // x with x[1] = 7 for a 1-D x
 *   lax.scatter(x, np.array([[1]], { dtype: "int32" }), np.array([7]), {
 *     dimensionNumbers: { updateWindowDims: [], insertedWindowDims: [0], scatterDimsToOperandDims: [0] },
 *   });
 */
export const scatter = scatterLike(Prim.Scatter, "lax.scatter");
/** Like `scatter`, adding updates to the operand; duplicate indices accumulate. */
export const scatterAdd = scatterLike(Prim.ScatterAdd, "lax.scatterAdd");
/** Like `scatter`, multiplying the operand by the updates. */
export const scatterMul = scatterLike(Prim.ScatterMul, "lax.scatterMul");
/** Like `scatter`, keeping the minimum of operand and updates (NaN propagates). */
export const scatterMin = scatterLike(Prim.ScatterMin, "lax.scatterMin");
/** Like `scatter`, keeping the maximum of operand and updates (NaN propagates). */
export const scatterMax = scatterLike(Prim.ScatterMax, "lax.scatterMax");
