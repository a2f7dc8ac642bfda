/**
 * @file Runs one primitive on a fresh reference backend from plain host data, for impl tests
 * and for checking other backends against the reference.
 */
import {
  type DType, type FirstOrderPrim, type PrimParams, ShapedArray, type TypedArray, abstractEval,
} from "../../src/ir/index.js";
import { ReferenceBackend } from "../../src/backend/reference/reference-backend.js";

/** Host input: data, shape (default 1-D, or rank 0 for a single number) and dtype. */
export interface HostArray {
  readonly data: ArrayLike<number> | number;
  readonly shape?: readonly number[];
  readonly dtype?: DType;
  readonly weak?: boolean;
}

/** Result of one primitive: plain numbers (float32 values already rounded), shape and dtype. */
export interface HostResult {
  readonly data: number[];
  readonly raw: TypedArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** A host array of dtype `d`. */
export const h = (data: ArrayLike<number> | number, dtype: DType = "float32", shape?: readonly number[]): HostArray => ({
  data,
  dtype,
  shape,
});

/**
 * Runs `prim` on the reference backend and returns its outputs, freeing every buffer so tests
 * can also check that the backend leaks nothing.
 *
 * @example runRef(Prim.Add, [h([1, 2]), h([3, 4])], {})[0].data // [4, 6]
 */
export function runRef<P extends FirstOrderPrim>(prim: P, inputs: readonly HostArray[], params: PrimParams[P], backend = new ReferenceBackend()): HostResult[] {
  const ops = inputs.map((x) => {
    const data = typeof x.data === "number" ? [x.data] : Array.from(x.data);
    const shape = x.shape ?? (typeof x.data === "number" ? [] : [data.length]);
    const aval = new ShapedArray([...shape], x.dtype ?? "float32", x.weak ?? false);
    const typed = new (ctorOf(aval.dtype))(data);
    return { buffer: backend.alloc(aval.dtype, aval.size, typed), aval };
  });
  const outAvals = abstractEval(prim, ops.map((o) => o.aval), params);
  const bufs = backend.execute(prim, ops, params, outAvals);
  const res = bufs.map((b, i) => {
    const raw = backend.readSync(b);
    backend.release(b);
    return { data: Array.from(raw, Number), raw, shape: outAvals[i].shape, dtype: outAvals[i].dtype };
  });
  ops.forEach((o) => backend.release(o.buffer));
  return res;
}

/** The single output's data of `runRef`. */
export const run1 = <P extends FirstOrderPrim>(prim: P, inputs: readonly HostArray[], params: PrimParams[P]): number[] =>
  runRef(prim, inputs, params)[0].data;

function ctorOf(d: DType) {
  switch (d) {
    case "float32":
    case "float16":
      return Float32Array;
    case "float64":
      return Float64Array;
    case "int32":
      return Int32Array;
    case "uint32":
      return Uint32Array;
    case "bool":
      return Uint8Array;
    default:
      return d satisfies never;
  }
}
