/**
 * @file JVP rules of reduce_window_max / reduce_window_min, and the windowed gather they share with
 * the transpose of select_and_scatter_add.
 *
 * JAX differentiates max-pooling with `select_and_gather_add`, a primitive Kiln does not have. The
 * same linear map is built here from pad, strided slices and selects: each window offset k gives
 * one strided view of the padded operand (all windows' k-th elements), a sequential pass over the
 * views picks each window's element with XLA's `ge` (max) or `le` (min) select, ties keeping the
 * first, as select_and_scatter_add does, and the tangent is the same view of the tangent chosen by
 * that pick. Cost is O(window size x output size), like the reduction itself, and every op on the
 * tangent (pad, slice, select with a known mask, add) has a transpose rule.
 */
import { Prim, type WindowParams, abstractEval } from "../ir/index.js";
import { type Tracer, bind1 } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import { Zero, isZero } from "./zero.js";
import type { JvpRule } from "./jvp-rules.js";

/** Every multi-index of `dims`, row-major. */
function offsets(dims: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of dims) out = out.flatMap((o) => Array.from({ length: d }, (_, k) => [...o, k]));
  return out;
}

const full = (shape: readonly number[], dtype: Tracer["dtype"], v: number | boolean) =>
  lax.broadcastInDim(lax.convertElementType(v as number, dtype), shape, []);

/**
 * The window views of `x`: view k holds, for every output position, the element at window offset
 * k (padding and dilation holes hold `fill`).
 */
function windowViews(x: Tracer, fill: number | boolean, w: WindowParams, outShape: readonly number[]): Tracer[] {
  const cfg = w.padding.map(([lo, hi], i): [number, number, number] => [lo, hi, w.baseDilation[i] - 1]);
  const padded = cfg.every((c) => c.every((v) => v === 0)) ? x : lax.pad(x, lax.convertElementType(fill as number, x.dtype), cfg);
  return offsets(w.windowDimensions).map((k) => {
    const start = k.map((ki, i) => ki * w.windowDilation[i]);
    const limit = start.map((s, i) => s + (outShape[i] - 1) * w.windowStrides[i] + 1);
    return lax.slice(padded, start, limit, w.windowStrides);
  });
}

/** Output shape of a window configuration over `shape`. */
export const windowOutShape = (x: Tracer, w: WindowParams): readonly number[] =>
  abstractEval(Prim.ReduceWindowMax, [x.aval], w)[0].shape;

/**
 * For each window of `operand`, the element of `t` (operand-shaped) at the window's selected
 * position: its first maximum (`ge`) or minimum (`le`), never padding; 0 for windows with no real
 * element. Linear in `t`; the selection depends on `operand` only. This is the transpose of
 * select_and_scatter_add in its source, and the JVP of max/min pooling.
 */
export function windowGather(operand: Tracer, t: Tracer, w: WindowParams, select: "ge" | "le"): Tracer {
  const outShape = windowOutShape(operand, w);
  const zeros = full(outShape, t.dtype, 0);
  if (outShape.some((d) => d === 0)) return zeros;
  const xs = windowViews(operand, 0, w, outShape);
  // Without padding or base dilation every candidate is a real element.
  const allReal = w.padding.every(([lo, hi]) => lo <= 0 && hi <= 0) && w.baseDilation.every((d) => d === 1);
  const valid = allReal ? null : windowViews(full(operand.shape, "bool", true), false, w, outShape);
  const cmp = select === "ge" ? lax.ge : lax.le;
  // Sequential pick: a later candidate replaces the current one unless `current cmp candidate`
  // holds, exactly select_and_scatter_add's rule, so the two agree on ties and NaNs.
  let best = xs[0];
  let sel = valid ? lax.select(valid[0], full(outShape, "int32", 0), full(outShape, "int32", -1)) : full(outShape, "int32", 0);
  for (let k = 1; k < xs.length; k++) {
    const better = lax.bitwiseNot(cmp(best, xs[k]));
    const take = valid ? lax.bitwiseAnd(valid[k], lax.bitwiseOr(lax.lt(sel, 0), better)) : better;
    best = lax.select(take, xs[k], best);
    sel = lax.select(take, full(outShape, "int32", k), sel);
  }
  const ts = windowViews(t, 0, w, outShape);
  let out: Tracer | null = null;
  ts.forEach((tk, k) => {
    const picked = lax.select(lax.eq(sel, k), tk, zeros);
    out = out ? lax.add(out, picked) : picked;
  });
  return out!;
}

/** d reduce_window_max(x) = t at each window's (first) maximum: JAX's select_and_gather_add rule. */
const reduceWindowExtremumJvp =
  <P extends Prim.ReduceWindowMax | Prim.ReduceWindowMin>(prim: P): JvpRule<P> =>
  ([x], [t], params) => {
    const y = bind1(prim, [x], params);
    if (isZero(t)) return [[y], [Zero.like(y)]];
    return [[y], [windowGather(x, t, params, prim === Prim.ReduceWindowMax ? "ge" : "le")]];
  };

export const windowJvpRules: { [P in Prim.ReduceWindowMax | Prim.ReduceWindowMin]: JvpRule<P> } = {
  [Prim.ReduceWindowMax]: reduceWindowExtremumJvp(Prim.ReduceWindowMax),
  [Prim.ReduceWindowMin]: reduceWindowExtremumJvp(Prim.ReduceWindowMin),
};
