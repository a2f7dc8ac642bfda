/**
 * @file Reference dot_general: out[b, i, j] = sum_k lhs[b, i, k] * rhs[b, k, j].
 *
 * Both operands are first copied into canonical [batch, free, contract] / [batch, contract, free]
 * float64 matrices; then one plain triple loop (i-k-j order, so the inner loop is contiguous)
 * does the work. Float sums accumulate in float64 and round once on store; int32 wraps.
 */
import { Prim, type PrimParams, type Shape } from "../../ir/index.js";
import { type Impl, type RefArray, alloc, forEachIndex, stridesOf } from "./ref-array.js";

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Copies `x` into a Float64Array laid out in the order `axes` (a permutation of its axes). */
function permuted(x: RefArray, axes: readonly number[]): Float64Array {
  const xs = stridesOf(x.shape);
  const shape: Shape = axes.map((a) => x.shape[a]);
  const out = new Float64Array(prod(shape as number[]));
  forEachIndex(shape, (idx, flat) => {
    let src = 0;
    for (let i = 0; i < axes.length; i++) src += idx[i] * xs[axes[i]];
    out[flat] = x.data[src];
  });
  return out;
}

/**
 * The batched-matmul view of a dot_general: its axis groups and the sizes B, M, K, N of
 * out[b, i, j] = sum_k lhs[b, i, k] * rhs[b, k, j]. Shared by every backend's implementation.
 */
export function dotGeometry(
  lhsShape: Shape,
  rhsShape: Shape,
  [[lc, rc], [lb, rb]]: PrimParams[Prim.DotGeneral]["dimensionNumbers"],
) {
  const lFree = lhsShape.map((_, i) => i).filter((i) => !lc.includes(i) && !lb.includes(i));
  const rFree = rhsShape.map((_, i) => i).filter((i) => !rc.includes(i) && !rb.includes(i));
  return {
    lc, rc, lb, rb, lFree, rFree,
    B: prod(lb.map((d) => lhsShape[d])),
    M: prod(lFree.map((d) => lhsShape[d])),
    K: prod(lc.map((d) => lhsShape[d])),
    N: prod(rFree.map((d) => rhsShape[d])),
  };
}

export const dotGeneralImpl: Impl<Prim.DotGeneral> = ([lhs, rhs], { dimensionNumbers }, [out]) => {
  const { lc, rc, lb, rb, lFree, rFree, B, M, K, N } = dotGeometry(lhs.shape, rhs.shape, dimensionNumbers);
  const a = permuted(lhs, [...lb, ...lFree, ...lc]);
  const b = permuted(rhs, [...rb, ...rc, ...rFree]);
  const isInt = out.dtype === "int32" || out.dtype === "uint32";
  const acc = new Float64Array(B * M * N);
  for (let bi = 0; bi < B; bi++) {
    for (let i = 0; i < M; i++) {
      const row = (bi * M + i) * N;
      for (let k = 0; k < K; k++) {
        const av = a[(bi * M + i) * K + k];
        const bRow = (bi * K + k) * N;
        if (isInt) {
          for (let j = 0; j < N; j++) acc[row + j] = (acc[row + j] + Math.imul(av, b[bRow + j])) | 0;
        } else {
          for (let j = 0; j < N; j++) acc[row + j] += av * b[bRow + j];
        }
      }
    }
  }
  const o = alloc(out);
  if (out.dtype === "bool") for (let i = 0; i < o.length; i++) o[i] = acc[i] !== 0 ? 1 : 0;
  else o.set(acc);
  return [o];
};
