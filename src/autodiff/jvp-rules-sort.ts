/**
 * @file JVP rules of sort and top_k: both permute (or select) elements along an axis, so the
 * tangent is the input tangent gathered by the same permutation. sort finds its permutation by
 * sorting an iota alongside the operands (JAX's `_sort_jvp`); top_k returns its indices.
 */
import { Prim } from "../ir/index.js";
import { type Tracer, bind } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import { gather } from "../numpy/lax-indexing.js";
import { Zero, isZero } from "./zero.js";
import type { JvpRule } from "./jvp-rules.js";

/**
 * `t` read at `idx` along `axis` (numpy's take_along_axis with idx of the result's shape, which
 * matches t's elsewhere): a point gather whose index vectors pair iotas with `idx`, so its
 * transpose is an adding scatter.
 */
export function takeAlongAxis(t: Tracer, idx: Tracer, axis: number): Tracer {
  const shape = idx.shape;
  const n = shape.length;
  const coords = shape.map((_, d) =>
    lax.expandDims(d === axis ? lax.convertElementType(idx, "int32") : lax.iota("int32", shape, d), [n]),
  );
  const all = shape.map((_, d) => d);
  return gather(t, lax.concatenate(coords, n), {
    dimensionNumbers: { offsetDims: [], collapsedSliceDims: all, startIndexMap: all },
    sliceSizes: shape.map(() => 1),
    mode: "promise_in_bounds",
  });
}

const sortJvp: JvpRule<Prim.Sort> = (primals, tangents, params) => {
  const { dimension } = params;
  const shape = primals[0].shape;
  const outs = bind(Prim.Sort, [...primals, lax.iota("int32", shape, dimension)], params);
  const perm = outs[outs.length - 1];
  const sorted = outs.slice(0, -1);
  return [sorted, tangents.map((t, i) => (isZero(t) ? Zero.like(sorted[i]) : takeAlongAxis(t, perm, dimension)))];
};

const topKJvp: JvpRule<Prim.TopK> = ([x], [t], params) => {
  const [values, indices] = bind(Prim.TopK, [x], params);
  const tv = isZero(t) ? Zero.like(values) : takeAlongAxis(t, indices, x.ndim - 1);
  return [[values, indices], [tv, Zero.like(indices)]];
};

export const sortJvpRules: { [P in Prim.Sort | Prim.TopK]: JvpRule<P> } = {
  [Prim.Sort]: sortJvp,
  [Prim.TopK]: topKJvp,
};
