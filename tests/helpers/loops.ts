/**
 * @file Plain-loop arrays for tests that check layers against independent JS implementations:
 * a flat row-major array with its shape, deterministic pseudo-random data, and index helpers.
 */
import { np, type Tracer } from "../../src/index.js";

/** A flat row-major array with its shape: the independent side of every comparison. */
export interface Arr {
  data: number[];
  shape: number[];
}

/** Deterministic pseudo-random values in [-1, 1) (a small LCG, independent of Kiln's PRNG). */
export function rand(shape: number[], seed: number): Arr {
  let s = seed * 7919 + 17;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 2 - 1;
  });
  return { data, shape };
}

export const toKiln = (a: Arr): Tracer => np.array(a.data).reshape(a.shape);
export const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
export const offsetOf = (shape: readonly number[], idx: readonly number[]) => idx.reduce((o, i, a) => o * shape[a] + i, 0);
/** Every multi-index of `shape`, row-major. */
export function indices(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of shape) out = out.flatMap((p) => Array.from({ length: d }, (_, i) => [...p, i]));
  return out;
}
