/**
 * @file The per-sample accuracy functions of Keras 3 (keras/src/metrics/accuracy_metrics.py,
 * pinned 3.5): exact, binary (threshold), categorical, sparse categorical and top-k matches,
 * one value per sample, and the shape rule Keras uses when "accuracy" is not decided by the
 * loss. The metric classes over them are in metrics.ts.
 *
 * @example sparseCategoricalAccuracy([1, 0], [[0.1, 0.9], [0.2, 0.8]]) // [1, 0]
 */
import { np, ShapeError, type Tracer } from "../index.js";
import { floating, type ActivationInput } from "./activations.js";
import { oneHot } from "./functions.js";
import { squeezeOrExpand } from "./loss-functions.js";

type MetricInput = ActivationInput;
const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;
const shapeOf = (x: MetricInput) => (x instanceof Object && "shape" in x ? (x as Tracer).shape : np.asarray(x).shape);

/** Throws unless yTrue and yPred have one shape of rank >= 1. */
export function sameShape(op: string, t: Tracer, p: Tracer): void {
  if (t.ndim !== p.ndim || t.shape.some((d, i) => d !== p.shape[i])) {
    throw new ShapeError(`${op}: yTrue and yPred must have the same shape (up to a trailing axis of size 1); received yTrue ${fmt(t.shape)} and yPred ${fmt(p.shape)}.`);
  }
  if (p.ndim === 0) throw new ShapeError(`${op}: expected arrays of rank >= 1; received scalars. Reshape them to [1].`);
}

const matches = (t: Tracer, p: Tracer) => t.equal(p).astype("float32");

/** Fraction of exactly equal entries over the last axis. @example accuracy([[1, 2]], [[1, 3]]) // [0.5] */
export function accuracy(yTrue: MetricInput, yPred: MetricInput): Tracer {
  const p0 = np.asarray(yPred);
  const [t, p] = squeezeOrExpand(np.asarray(yTrue).astype(p0.dtype), p0);
  sameShape("metrics.accuracy", t, p);
  return np.mean(matches(t, p), { axis: -1 });
}

/** Fraction of entries where `yPred > threshold` equals the 0/1 label. @example binaryAccuracy([[1], [0]], [[0.7], [0.6]]) // [1, 0] */
export function binaryAccuracy(yTrue: MetricInput, yPred: MetricInput, opts: { readonly threshold?: number } = {}): Tracer {
  const p0 = floating(yPred);
  const [t, p] = squeezeOrExpand(np.asarray(yTrue).astype(p0.dtype), p0);
  sameShape("metrics.binaryAccuracy", t, p);
  return np.mean(matches(t, p.greater(opts.threshold ?? 0.5).astype(t.dtype)), { axis: -1 });
}

/** 1 where the argmax of one-hot `yTrue` equals the argmax of `yPred`. @example categoricalAccuracy([[0, 1]], [[0.3, 0.7]]) // [1] */
export function categoricalAccuracy(yTrue: MetricInput, yPred: MetricInput): Tracer {
  const t = np.asarray(yTrue);
  const p = np.asarray(yPred);
  sameShape("metrics.categoricalAccuracy", t, p);
  return matches(np.argmax(t, { axis: -1 }), np.argmax(p, { axis: -1 }));
}

/** Integer labels (shape `[B]` or `[B, 1]`) and their predicted class, as float. */
function sparseLabels(op: string, yTrue: MetricInput, p: Tracer): Tracer {
  let t = np.asarray(yTrue);
  if (t.ndim === p.ndim && t.ndim > 0 && t.shape[t.ndim - 1] === 1) t = t.squeeze(-1);
  const want = p.shape.slice(0, -1);
  if (p.ndim < 1 || t.ndim !== want.length || t.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(
      `${op}: yTrue must hold one integer label per sample, shaped like yPred without its last axis (${fmt(want)} or ` +
        `${fmt([...want, 1])}); received yTrue ${fmt(np.asarray(yTrue).shape)} and yPred ${fmt(p.shape)}. For one-hot labels use the categorical metric.`,
    );
  }
  return t;
}

/** 1 where the integer label equals the argmax of `yPred`. @example sparseCategoricalAccuracy([1, 0], [[0.3, 0.7], [0.4, 0.6]]) // [1, 0] */
export function sparseCategoricalAccuracy(yTrue: MetricInput, yPred: MetricInput): Tracer {
  const p = floating(yPred);
  const t = sparseLabels("metrics.sparseCategoricalAccuracy", yTrue, p).astype(p.dtype);
  return matches(t, np.argmax(p, { axis: -1 }).astype(p.dtype));
}

/**
 * `rank(label) ≤ k` where rank is 1 + the number of strictly larger scores (ties count in the
 * label's favour, NaN scores never win), as Keras' `in_top_k`.
 */
function inTopK(labels: Tracer, p: Tracer, k: number): Tracer {
  const hot = oneHot(labels.astype("int32"), p.shape[p.ndim - 1], { dtype: "bool" });
  let at = np.max(np.where(hot, p, -Infinity), { axis: -1, keepdims: true });
  at = np.where(np.isnan(at), -Infinity, at);
  const rank = np.sum(p.greater(at).astype("int32"), { axis: -1 }).add(1);
  return rank.lessEqual(k).astype("float32");
}

/** k as a positive integer, or a RangeError naming `op`. */
export function checkK(op: string, k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${op}: k must be an integer >= 1; received ${k}.`);
  return k;
}

/** 1 where the one-hot label is among the `k` (default 5) top scores. @example topKCategoricalAccuracy([[0, 0, 1]], [[0.5, 0.3, 0.2]], { k: 2 }) // [0] */
export function topKCategoricalAccuracy(yTrue: MetricInput, yPred: MetricInput, opts: { readonly k?: number } = {}): Tracer {
  const t = np.asarray(yTrue);
  const p = floating(yPred);
  sameShape("metrics.topKCategoricalAccuracy", t, p);
  return inTopK(np.argmax(t, { axis: -1 }), p, checkK("metrics.topKCategoricalAccuracy", opts.k ?? 5));
}

/** 1 where the integer label is among the `k` (default 5) top scores. @example sparseTopKCategoricalAccuracy([2], [[0.5, 0.3, 0.2]], { k: 2 }) // [0] */
export function sparseTopKCategoricalAccuracy(yTrue: MetricInput, yPred: MetricInput, opts: { readonly k?: number } = {}): Tracer {
  const op = "metrics.sparseTopKCategoricalAccuracy";
  const p = floating(yPred);
  return inTopK(sparseLabels(op, yTrue, p), p, checkK(op, opts.k ?? 5));
}

/**
 * Keras 3's choice for "accuracy" when the loss does not decide it, made from the static shapes:
 * one output unit → binary; labels of lower rank or with a last axis of 1 → sparse; else categorical.
 */
export function accuracyByShape(yTrue: MetricInput, yPred: MetricInput): Tracer {
  const t = shapeOf(yTrue);
  const p = shapeOf(yPred);
  if (p[p.length - 1] === 1) return binaryAccuracy(yTrue, yPred);
  if (t.length < p.length || t[t.length - 1] === 1) return sparseCategoricalAccuracy(yTrue, yPred);
  return categoricalAccuracy(yTrue, yPred);
}
