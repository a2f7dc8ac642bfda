/**
 * @file JVP rules of the cumulative reductions cumprod, cummax, cummin and cumlogsumexp.
 *
 * As in JAX (`_cumulative_jvp_rule`), the tangent is the JVP of a parallel prefix scan
 * (`associative_scan`) with the monoid's combine function, so it costs O(n) work in O(log n)
 * levels and is built only from slices, pads, concatenations, reshapes and products with known
 * factors, all transposable. Here the scan carries (primal, tangent) pairs through a combine that
 * states each monoid's derivative, which keeps zeros (cumprod), ties (cummax) and -inf
 * (cumlogsumexp) exact. The primal output is the primitive's own, so jvp agrees with evaluation.
 */
import { Prim, type PrimParams } from "../ir/index.js";
import { type Tracer, bind1 } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import { Zero, isZero } from "./zero.js";
import type { JvpRule } from "./jvp-rules.js";

/** A value and its tangent. */
type Pair = readonly [Tracer, Tracer];
/** Combines a prefix (left) with the next element (right). */
type Combine = (a: Pair, b: Pair) => Pair;

type CumPrim = Prim.Cumprod | Prim.Cummax | Prim.Cummin | Prim.Cumlogsumexp;

const both = (p: Pair, f: (x: Tracer) => Tracer): Pair => [f(p[0]), f(p[1])];

/** `x[start:stop:step]` along `axis`. */
function sliceAxis(x: Tracer, axis: number, start: number, stop: number, step: number): Tracer {
  const starts = x.shape.map((_, i) => (i === axis ? start : 0));
  const limits = x.shape.map((d, i) => (i === axis ? stop : d));
  const strides = x.shape.map((_, i) => (i === axis ? step : 1));
  return lax.slice(x, starts, limits, strides);
}

/** Interleaves `even` (ceil(n/2) long) and `odd` (floor(n/2)) along `axis`: e0 o0 e1 o1 ... */
function interleave(even: Tracer, odd: Tracer, axis: number, n: number): Tracer {
  const h = even.shape[axis];
  if (odd.shape[axis] < h) {
    const cfg = odd.shape.map((_, i): [number, number, number] => [0, i === axis ? 1 : 0, 0]);
    odd = lax.pad(odd, lax.convertElementType(0, odd.dtype), cfg);
  }
  const stacked = lax.concatenate([lax.expandDims(even, [axis + 1]), lax.expandDims(odd, [axis + 1])], axis + 1);
  const merged = lax.reshape(stacked, even.shape.map((d, i) => (i === axis ? 2 * h : d)));
  return 2 * h === n ? merged : sliceAxis(merged, axis, 0, n, 1);
}

/**
 * Inclusive prefix scan of pairs along `axis` (the Blelloch-style recursion of JAX's
 * `associative_scan`): combine neighbours, scan the half-length result (the odd positions), then
 * fill the even positions from the odd prefixes.
 */
function scanPairs(elems: Pair, axis: number, combine: Combine): Pair {
  const n = elems[0].shape[axis];
  if (n < 2) return elems;
  const reduced = combine(both(elems, (x) => sliceAxis(x, axis, 0, n - 1, 2)), both(elems, (x) => sliceAxis(x, axis, 1, n, 2)));
  const odd = scanPairs(reduced, axis, combine);
  const first = both(elems, (x) => sliceAxis(x, axis, 0, 1, 1));
  let even = first;
  if (n > 2) {
    const m = odd[0].shape[axis];
    const prefixes = n % 2 === 0 ? both(odd, (x) => sliceAxis(x, axis, 0, m - 1, 1)) : odd;
    const rest = combine(prefixes, both(elems, (x) => sliceAxis(x, axis, 2, n, 2)));
    even = [lax.concatenate([first[0], rest[0]], axis), lax.concatenate([first[1], rest[1]], axis)];
  }
  return [interleave(even[0], odd[0], axis, n), interleave(even[1], odd[1], axis, n)];
}

const asF = (b: Tracer, like: Tracer) => lax.convertElementType(b, like.dtype);

// d(ab) = da b + a db
const mulCombine: Combine = ([a, ta], [b, tb]) => [lax.mul(a, b), lax.add(lax.mul(ta, b), lax.mul(a, tb))];

/** max/min: the winner's tangent; exact ties share it evenly (JAX's balanced rule). */
const extremumCombine =
  (op: (a: Tracer, b: Tracer) => Tracer): Combine =>
  ([a, ta], [b, tb]) => {
    const c = op(a, b);
    const ea = asF(lax.eq(a, c), c);
    const eb = asF(lax.eq(b, c), c);
    const wa = lax.mul(ea, lax.sub(1, lax.mul(eb, 0.5)));
    const wb = lax.mul(eb, lax.sub(1, lax.mul(ea, 0.5)));
    return [c, lax.add(lax.mul(ta, wa), lax.mul(tb, wb))];
  };

/**
 * logaddexp: c = max + log1p(exp(-|a - b|)); dc = da e^(a-c) + db e^(b-c). Equal operands
 * (including both -inf or both +inf, where a - b is NaN) take weights 1/2 each.
 */
const logAddExpCombine: Combine = ([a, ta], [b, tb]) => {
  const same = lax.eq(a, b);
  const d = lax.select(same, 0, lax.sub(a, b));
  const c = lax.add(lax.max(a, b), lax.log1p(lax.exp(lax.neg(lax.abs(d)))));
  const wa = lax.select(same, 0.5, lax.exp(lax.sub(a, c)));
  const wb = lax.select(same, 0.5, lax.exp(lax.sub(b, c)));
  return [c, lax.add(lax.mul(ta, wa), lax.mul(tb, wb))];
};

const COMBINE: { [P in CumPrim]: Combine } = {
  [Prim.Cumprod]: mulCombine,
  [Prim.Cummax]: extremumCombine(lax.max),
  [Prim.Cummin]: extremumCombine(lax.min),
  [Prim.Cumlogsumexp]: logAddExpCombine,
};

const cumulativeJvp =
  <P extends CumPrim>(prim: P): JvpRule<P> =>
  ([x], [t], params) => {
    const y = bind1(prim, [x], params);
    if (isZero(t)) return [[y], [Zero.like(y)]];
    const { axis, reverse } = params as PrimParams[Prim.Cumsum];
    const flip = (v: Tracer) => (reverse ? lax.rev(v, [axis]) : v);
    const [, ty] = scanPairs([flip(x), flip(t)], axis, COMBINE[prim]);
    return [[y], [flip(ty)]];
  };

export const cumulativeJvpRules: { [P in CumPrim]: JvpRule<P> } = {
  [Prim.Cumprod]: cumulativeJvp(Prim.Cumprod),
  [Prim.Cummax]: cumulativeJvp(Prim.Cummax),
  [Prim.Cummin]: cumulativeJvp(Prim.Cummin),
  [Prim.Cumlogsumexp]: cumulativeJvp(Prim.Cumlogsumexp),
};
