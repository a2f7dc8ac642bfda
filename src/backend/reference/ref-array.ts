/**
 * @file Host arrays for the reference backend, and the index arithmetic its impls share.
 */
import {
  type DType, type Prim, type PrimParams, type Shape, type ShapedArray, type TypedArray, allocTyped,
  sizeOf, stridesOf,
} from "../../ir/index.js";

/** A dense row-major array on the host. */
export interface RefArray {
  readonly data: TypedArray;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** An impl computes the outputs' data from the inputs; outputs are fresh arrays. */
export type Impl<P extends Prim> = (
  xs: readonly RefArray[],
  params: PrimParams[P],
  outAvals: readonly ShapedArray[],
) => TypedArray[];

export const alloc = (aval: ShapedArray): TypedArray => allocTyped(aval.dtype, aval.size);

/** Converts a flat index into a multi-index for `shape`. */
export function unravel(flat: number, shape: Shape, out: number[] = new Array(shape.length)): number[] {
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i];
    out[i] = d === 0 ? 0 : flat % d;
    flat = d === 0 ? 0 : Math.floor(flat / d);
  }
  return out;
}

/** Converts a multi-index into a flat index using `strides`. */
export function ravel(idx: readonly number[], strides: readonly number[]): number {
  let f = 0;
  for (let i = 0; i < idx.length; i++) f += idx[i] * strides[i];
  return f;
}

/** Calls `fn(idx, flat)` for every index of `shape` in row-major order. `idx` is reused. */
export function forEachIndex(shape: Shape, fn: (idx: number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    fn(idx, flat);
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
}

export { stridesOf, sizeOf };
