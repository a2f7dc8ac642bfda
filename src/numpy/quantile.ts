/**
 * @file Order statistics: quantile, percentile, median and their NaN-ignoring forms.
 *
 * The data are sorted along the reduced axes (moved last and merged); each requested quantile
 * becomes a fractional position in the sorted data, and the neighbouring order statistics are
 * picked by a gather, so `q` may itself be a traced array. Methods follow NumPy 2.0's
 * names for the classic ones: linear (default), lower, higher, nearest (ties to even), midpoint.
 */
import { isFloat } from "../ir/index.js";
import { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { type ArrayInput, axesOf, promoteArgsInexact, toArray } from "./util.js";
import { constant, takeLast } from "./sort-util.js";

type A = ArrayInput;

/** How a quantile between two order statistics is computed. */
export type QuantileMethod = "linear" | "lower" | "higher" | "nearest" | "midpoint";

/** Options of quantile, percentile and median. `axis: null` (default) uses every element. */
export interface QuantileOpts {
  readonly axis?: number | readonly number[] | null;
  readonly method?: QuantileMethod;
  readonly keepdims?: boolean;
}

const METHODS: readonly QuantileMethod[] = ["linear", "lower", "higher", "nearest", "midpoint"];

function quantileCore(op: string, x: A, q: A, opts: QuantileOpts, scale: number, ignoreNan: boolean): Tracer {
  const method = opts.method ?? "linear";
  if (!METHODS.includes(method)) {
    throw new TypeError(`${op}: unknown method ${JSON.stringify(method)}; expected one of ${METHODS.join(", ")}.`);
  }
  const [t] = promoteArgsInexact(op, x);
  const dtype = t.dtype;
  const qt = quantiles(op, q, scale, dtype);
  const axes = axesOf(op, opts.axis, t.ndim);
  const kept = t.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const batch = kept.map((i) => t.shape[i]);
  const n = axes.reduce((a, i) => a * t.shape[i], 1);
  if (n === 0) throw new RangeError(`${op}: cannot take a quantile of an empty axis (shape [${t.shape}]).`);
  const moved = lax.reshape(lax.transpose(t, [...kept, ...axes]), [...batch, n]);
  const [sorted] = lax.sort([moved], batch.length, true, 1);
  const last = batch.length;
  const out = [...qt.shape, ...batch];
  const bq = (v: Tracer) => lax.broadcastInDim(v, out, qt.shape.map((_, i) => i));
  const bb = (v: Tracer) => lax.broadcastInDim(v, out, batch.map((_, i) => qt.ndim + i));
  // Valid entries per row: all of them, or the non-NaNs (NaNs sort last) when ignoring NaN.
  const isNan = lax.ne(sorted, sorted);
  const count = ignoreNan
    ? bb(lax.convertElementType(lax.reduceSum(lax.convertElementType(lax.bitwiseNot(isNan), "int32"), [last]), dtype))
    : lax.broadcastInDim(constant(n, dtype), out, []);
  const hiIdx = lax.sub(count, 1);
  const pos = lax.mul(bq(qt), hiIdx);
  const clampI = (v: Tracer) => lax.convertElementType(lax.clamp(constant(0, dtype), v, lax.max(hiIdx, constant(0, dtype))), "int32");
  const lowF = lax.floor(pos);
  const highF = lax.ceil(pos);
  const at = (i: Tracer) => takeLast(sorted, clampI(i));
  let result: Tracer;
  switch (method) {
    case "lower":
      result = at(lowF);
      break;
    case "higher":
      result = at(highF);
      break;
    case "nearest":
      result = at(lax.round(pos, "to_nearest_even"));
      break;
    case "midpoint":
      result = lax.mul(lax.add(at(lowF), at(highF)), constant(0.5, dtype));
      break;
    case "linear": {
      const hw = lax.sub(pos, lowF);
      const lw = lax.sub(constant(1, dtype), hw);
      result = lax.add(lax.mul(at(lowF), lw), lax.mul(at(highF), hw));
      break;
    }
    default:
      return method satisfies never;
  }
  // A NaN in the data makes the quantile NaN; with NaNs ignored, only an all-NaN row does.
  const nanOut = ignoreNan
    ? lax.eq(count, constant(0, dtype))
    : bb(lax.reduceOr(isNan, [last]));
  result = lax.select(nanOut, lax.broadcastInDim(constant(NaN, dtype), out, []), result);
  if (!opts.keepdims) return result;
  const kd = [...qt.shape, ...t.shape.map((d, i) => (axes.includes(i) ? 1 : d))];
  return lax.reshape(result, kd);
}

/** `q` as an array of `dtype` scaled into [0, 1]; JS values are range-checked. */
function quantiles(op: string, q: A, scale: number, dtype: Tracer["dtype"]): Tracer {
  if (!(q instanceof Tracer)) {
    const vals = (Array.isArray(q) ? (q as unknown[]).flat(Infinity) : [q]) as number[];
    if (vals.some((v) => typeof v !== "number" || !(v >= 0 && v <= scale))) {
      throw new RangeError(`${op}: q must be in [0, ${scale}], received ${JSON.stringify(q)}.`);
    }
  }
  const qt = q instanceof Tracer ? q : typeof q === "number" ? constant(q, dtype) : toArray(op, q, dtype);
  const qd = isFloat(qt.dtype) && qt.dtype === dtype ? qt : lax.convertElementType(qt, dtype);
  return scale === 1 ? qd : lax.div(qd, constant(scale, dtype));
}

/**
 * The q-th quantile(s) of `x` (q in [0, 1]); q's shape leads the result's shape.
 *
 * @example np.quantile(np.array([[10, 7, 4], [3, 2, 1]]), 0.5) // 3.5
 */
export const quantile = (x: A, q: A, opts: QuantileOpts = {}) => quantileCore("np.quantile", x, q, opts, 1, false);

/**
 * The q-th percentile(s) of `x` (q in [0, 100]).
 *
 * @example np.percentile(np.array([[10, 7, 4], [3, 2, 1]]), 50, { axis: 0 }) // [6.5, 4.5, 2.5]
 */
export const percentile = (x: A, q: A, opts: QuantileOpts = {}) => quantileCore("np.percentile", x, q, opts, 100, false);

/**
 * The median along `axis` (all elements by default).
 *
 * @example np.median(np.array([[10, 7, 4], [3, 2, 1]]), { axis: 1 }) // [7, 2]
 */
export const median = (x: A, opts: Omit<QuantileOpts, "method"> = {}) =>
  quantileCore("np.median", x, 0.5, { ...opts, method: "linear" }, 1, false);

/** Like quantile, ignoring NaNs (an all-NaN slice gives NaN). @example np.nanquantile(x, 0.5) */
export const nanquantile = (x: A, q: A, opts: QuantileOpts = {}) => quantileCore("np.nanquantile", x, q, opts, 1, true);
/** Like percentile, ignoring NaNs. @example np.nanpercentile(x, 90) */
export const nanpercentile = (x: A, q: A, opts: QuantileOpts = {}) =>
  quantileCore("np.nanpercentile", x, q, opts, 100, true);
/** Like median, ignoring NaNs. @example np.nanmedian(np.array([1, NaN, 3])) // 2 */
export const nanmedian = (x: A, opts: Omit<QuantileOpts, "method"> = {}) =>
  quantileCore("np.nanmedian", x, 0.5, { ...opts, method: "linear" }, 1, true);
