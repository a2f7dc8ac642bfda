/**
 * @file Keras 3 metrics built on confusion counts (keras/src/metrics/confusion_metrics.py,
 * f_score_metrics.py, iou_metrics.py, pinned 3.5): Precision, Recall, AUC (ROC and PR curves,
 * Riemann sums or Davis & Goadrich's PR interpolation), FBetaScore / F1Score and MeanIoU. The
 * counts per threshold are one comparison matrix `[thresholds, samples]` times the weighted
 * labels, so updates trace into the jitted step. Evenly spaced thresholds (AUC's default) use
 * Keras' bucket rule `ceil(p·(T−1)) − 1` on predictions clipped to [0, 1], so the counts match
 * Keras' fast path exactly. Importing this module registers the classes with `metrics.get`.
 *
 * @example
 *   const auc = new AUC({ numThresholds: 3 });
 *   auc.updateState([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]);
 *   auc.result(); // 0.75
 */
import { np, lax, ShapeError, type Tracer } from "../index.js";
import { floating } from "./activations.js";
import { oneHot } from "./functions.js";
import { divideNoNan, EPSILON, squeezeOrExpand, type Config } from "./losses.js";
import { Metric, registerMetric, type MetricInput, type MetricState } from "./metrics.js";

/** Keras' stand-in for −∞ in top-k filtering. */
const NEG_INF = -1e10;
const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;
const zeros = (shape: readonly number[] = []) => np.zeros(shape, { dtype: "float32" });

/** Keras' `is_evenly_distributed_thresholds`: at least 3, equal to i/(n−1) within 1e-7. */
function evenlyDistributed(th: readonly number[]): boolean {
  const n = th.length;
  return n >= 3 && th.every((t, i) => Math.abs(t - i / (n - 1)) <= EPSILON + 1e-5 * (i / (n - 1)));
}

function parseThresholds(op: string, thresholds: number | readonly number[] | null | undefined, fallback: number): number[] {
  if (thresholds === undefined || thresholds === null) return [fallback];
  const list = typeof thresholds === "number" ? [thresholds] : [...thresholds];
  const bad = list.filter((t) => typeof t !== "number" || !(t >= 0 && t <= 1));
  if (bad.length > 0 || list.length === 0) throw new RangeError(`${op}: thresholds must be numbers in [0, 1]; received ${JSON.stringify(thresholds)}.`);
  return list;
}

function checkInt(op: string, what: string, v: number | null | undefined, min: number): number | null {
  if (v === undefined || v === null) return null;
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${op}: ${what} must be an integer >= ${min}; received ${String(v)}.`);
  return v;
}

/** The last-axis entry `i` of `x` (rank reduced by one). */
const lastIndex = (x: Tracer, i: number) =>
  lax.slice(x, x.shape.map((_, a) => (a === x.ndim - 1 ? i : 0)), x.shape.map((d, a) => (a === x.ndim - 1 ? i + 1 : d))).squeeze(-1);

/** Keeps the top `k` scores of the last axis; the rest become NEG_INF. */
function filterTopK(op: string, x: Tracer, k: number): Tracer {
  const c = x.shape[x.ndim - 1];
  if (k > c) throw new RangeError(`${op}: topK ${k} is larger than the ${c} scores per sample.`);
  const [, idx] = lax.topK(x, k);
  const mask = np.sum(oneHot(idx, c, { dtype: x.dtype }), { axis: -2 });
  return x.mul(mask).add(mask.neg().add(1).mul(NEG_INF));
}

interface ConfusionOptions {
  readonly thresholds: readonly number[];
  readonly evenly: boolean;
  readonly topK?: number | null;
  readonly classId?: number | null;
}
interface Counts {
  readonly tp: Tracer;
  readonly fp: Tracer;
  readonly tn: Tracer;
  readonly fn: Tracer;
}

/** Weighted true/false positive/negative counts per threshold (Keras' `update_confusion_matrix_variables`). */
function confusion(op: string, yTrue: MetricInput, yPred: MetricInput, sampleWeight: MetricInput | null | undefined, o: ConfusionOptions): Counts {
  let [p, t] = squeezeOrExpand(floating(yPred).astype("float32"), np.asarray(yTrue).astype("float32"));
  if (t.ndim !== p.ndim || t.shape.some((d, i) => d !== p.shape[i])) {
    throw new ShapeError(`${op}: yTrue and yPred must have the same shape (up to a trailing axis of size 1); received yTrue ${fmt(t.shape)} and yPred ${fmt(p.shape)}.`);
  }
  let w: Tracer | undefined;
  if (sampleWeight !== undefined && sampleWeight !== null) {
    w = np.asarray(sampleWeight).astype("float32");
    if (w.ndim === p.ndim + 1 && w.shape[w.ndim - 1] === 1) w = w.squeeze(-1);
    while (w.ndim < p.ndim) w = w.expandDims(-1);
    try {
      w = np.broadcastTo(w, p.shape);
    } catch {
      throw new ShapeError(`${op}: sampleWeight of shape ${fmt(np.asarray(sampleWeight).shape)} does not broadcast to yPred of shape ${fmt(p.shape)}; pass one weight per sample.`);
    }
  }
  if (o.topK !== undefined && o.topK !== null) p = filterTopK(op, p, o.topK);
  if (o.classId !== undefined && o.classId !== null) {
    const c = p.shape[p.ndim - 1];
    if (p.ndim < 1 || o.classId >= c) throw new RangeError(`${op}: classId ${o.classId} is out of range for ${c ?? 0} classes.`);
    [p, t] = [lastIndex(p, o.classId), lastIndex(t, o.classId)];
    if (w) w = lastIndex(w, o.classId);
  }
  p = p.reshape([-1]);
  let pos = t.reshape([-1]).notEqual(0).astype("float32");
  let neg = pos.neg().add(1);
  if (w) [pos, neg] = [pos.mul(w.reshape([-1])), neg.mul(w.reshape([-1]))];
  const n = o.thresholds.length;
  let predPos: Tracer;
  if (o.evenly) {
    // Keras' buckets: p is above threshold i exactly when ceil(p·(n−1)) − 1 >= i.
    let bucket = np.ceil(np.clip(p, 0, 1).mul(n - 1)).sub(1);
    if (o.thresholds[0] < 0 || o.thresholds[n - 1] > 1) bucket = np.maximum(bucket, 0);
    predPos = bucket.expandDims(0).greaterEqual(lax.iota("float32", [n]).expandDims(1));
  } else {
    predPos = p.expandDims(0).greater(np.array(o.thresholds, { dtype: "float32" }).expandDims(1));
  }
  const pp = predPos.astype("float32");
  const tp = np.matmul(pp, pos);
  const fp = np.matmul(pp, neg);
  return { tp, fp, fn: np.sum(pos).sub(tp), tn: np.sum(neg).sub(fp) };
}

/** Options of Precision and Recall. */
export interface PrecisionOptions {
  /** One threshold or a list (a result per threshold). Default 0.5, or "top k" when `topK` is set. */
  readonly thresholds?: number | readonly number[] | null;
  /** Count only the `topK` highest scores of each sample as predicted positives. */
  readonly topK?: number | null;
  /** Look only at this class (last-axis entry). */
  readonly classId?: number | null;
  readonly name?: string;
}

abstract class ThresholdMetric extends Metric {
  readonly thresholds: readonly number[];
  readonly topK: number | null;
  readonly classId: number | null;
  readonly #init: number | readonly number[] | null;
  readonly #evenly: boolean;
  constructor(opts: PrecisionOptions, defaultName: string) {
    super(opts.name ?? defaultName);
    const op = `metrics.${new.target.name}`;
    this.topK = checkInt(op, "topK", opts.topK, 1);
    this.classId = checkInt(op, "classId", opts.classId, 0);
    this.#init = opts.thresholds ?? null;
    this.thresholds = parseThresholds(op, opts.thresholds, this.topK === null ? 0.5 : NEG_INF);
    this.#evenly = evenlyDistributed(this.thresholds);
  }
  protected counts(yTrue: MetricInput, yPred: MetricInput | undefined, sampleWeight?: MetricInput | null): Counts {
    if (yPred === undefined) throw new TypeError(`metrics.${this.constructor.name}: statelessUpdate needs yTrue and yPred.`);
    const { thresholds, topK, classId } = this;
    return confusion(`metrics.${this.constructor.name}`, yTrue, yPred, sampleWeight, { thresholds, evenly: this.#evenly, topK, classId });
  }
  protected perThreshold(r: Tracer): Tracer {
    return this.thresholds.length === 1 ? r.reshape([]) : r;
  }
  override getConfig(): Config {
    const init = this.#init;
    return { name: this.name, thresholds: init === null || typeof init === "number" ? init : [...init], topK: this.topK, classId: this.classId };
  }
}

/**
 * Precision `tp / (tp + fp)` at each threshold (a scalar for one threshold).
 *
 * @example const m = new Precision(); m.updateState([0, 1, 1, 1], [1, 0, 1, 1]); m.result() // 2/3
 */
export class Precision extends ThresholdMetric {
  constructor(opts: PrecisionOptions = {}) {
    super(opts, "precision");
  }
  initState(): MetricState {
    const n = [this.thresholds.length];
    return { truePositives: zeros(n), falsePositives: zeros(n) };
  }
  statelessUpdate(s: MetricState, yTrue: MetricInput, yPred?: MetricInput, sampleWeight?: MetricInput | null): MetricState {
    const c = this.counts(yTrue, yPred, sampleWeight);
    return { truePositives: s.truePositives.add(c.tp), falsePositives: s.falsePositives.add(c.fp) };
  }
  statelessResult(s: MetricState): Tracer {
    return this.perThreshold(divideNoNan(s.truePositives, s.truePositives.add(s.falsePositives)));
  }
}

/**
 * Recall `tp / (tp + fn)` at each threshold (a scalar for one threshold).
 *
 * @example const m = new Recall(); m.updateState([0, 1, 1, 1], [1, 0, 1, 1]); m.result() // 2/3
 */
export class Recall extends ThresholdMetric {
  constructor(opts: PrecisionOptions = {}) {
    super(opts, "recall");
  }
  initState(): MetricState {
    const n = [this.thresholds.length];
    return { truePositives: zeros(n), falseNegatives: zeros(n) };
  }
  statelessUpdate(s: MetricState, yTrue: MetricInput, yPred?: MetricInput, sampleWeight?: MetricInput | null): MetricState {
    const c = this.counts(yTrue, yPred, sampleWeight);
    return { truePositives: s.truePositives.add(c.tp), falseNegatives: s.falseNegatives.add(c.fn) };
  }
  statelessResult(s: MetricState): Tracer {
    return this.perThreshold(divideNoNan(s.truePositives, s.truePositives.add(s.falseNegatives)));
  }
}

/** Options of AUC. */
export interface AUCOptions {
  /** Thresholds spread evenly over [0, 1] (default 200), used when `thresholds` is not given. */
  readonly numThresholds?: number;
  /** "ROC" (default) or "PR". */
  readonly curve?: "ROC" | "PR";
  /** "interpolation" (default: trapezoids; for PR, Davis & Goadrich's interpolation), "minoring" or "majoring". */
  readonly summationMethod?: "interpolation" | "minoring" | "majoring";
  /** Explicit thresholds in [0, 1]; −ε and 1 + ε are added at the ends. */
  readonly thresholds?: readonly number[] | null;
  /** Apply a sigmoid to yPred first. Default false. */
  readonly fromLogits?: boolean;
  /** Not supported (one curve over all labels is computed). */
  readonly multiLabel?: boolean;
  readonly name?: string;
}

/**
 * Area under the ROC or PR curve, from confusion counts at fixed thresholds.
 *
 * @example const m = new AUC({ numThresholds: 3 }); m.updateState([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]); m.result() // 0.75
 */
export class AUC extends Metric {
  readonly numThresholds: number;
  readonly curve: "ROC" | "PR";
  readonly summationMethod: "interpolation" | "minoring" | "majoring";
  readonly fromLogits: boolean;
  readonly thresholds: readonly number[];
  readonly #init: readonly number[] | null;
  readonly #evenly: boolean;

  constructor(opts: AUCOptions = {}) {
    super(opts.name ?? "auc");
    const op = "metrics.AUC";
    if (opts.multiLabel) throw new RangeError(`${op}: multiLabel is not supported; compute one AUC per label with classId-style slicing, or flatten the labels.`);
    const curve = String(opts.curve ?? "ROC").toUpperCase();
    if (curve !== "ROC" && curve !== "PR") throw new RangeError(`${op}: curve must be "ROC" or "PR"; received ${JSON.stringify(opts.curve)}.`);
    const method = String(opts.summationMethod ?? "interpolation").toLowerCase();
    if (method !== "interpolation" && method !== "minoring" && method !== "majoring") {
      throw new RangeError(`${op}: summationMethod must be "interpolation", "minoring" or "majoring"; received ${JSON.stringify(opts.summationMethod)}.`);
    }
    this.curve = curve;
    this.summationMethod = method;
    this.fromLogits = opts.fromLogits ?? false;
    let inner: number[];
    if (opts.thresholds !== undefined && opts.thresholds !== null) {
      inner = parseThresholds(op, opts.thresholds, 0.5).sort((a, b) => a - b);
      this.#init = inner;
      this.#evenly = evenlyDistributed([0, ...inner, 1]);
    } else {
      const n = opts.numThresholds ?? 200;
      if (!Number.isInteger(n) || n <= 1) throw new RangeError(`${op}: numThresholds must be an integer > 1; received ${String(n)}.`);
      inner = Array.from({ length: n - 2 }, (_, i) => (i + 1) / (n - 1));
      this.#init = null;
      this.#evenly = true;
    }
    // The end points below 0 and above 1 absorb rounding of predictions at exactly 0 or 1.
    this.thresholds = [-EPSILON, ...inner, 1 + EPSILON];
    this.numThresholds = this.thresholds.length;
  }

  initState(): MetricState {
    const n = [this.numThresholds];
    return { truePositives: zeros(n), falsePositives: zeros(n), trueNegatives: zeros(n), falseNegatives: zeros(n) };
  }

  statelessUpdate(s: MetricState, yTrue: MetricInput, yPred?: MetricInput, sampleWeight?: MetricInput | null): MetricState {
    if (yPred === undefined) throw new TypeError(`metrics.AUC: statelessUpdate needs yTrue and yPred.`);
    const p = this.fromLogits ? lax.logistic(floating(yPred)) : yPred;
    const c = confusion("metrics.AUC", yTrue, p, sampleWeight, { thresholds: this.thresholds, evenly: this.#evenly });
    return {
      truePositives: s.truePositives.add(c.tp), falsePositives: s.falsePositives.add(c.fp),
      trueNegatives: s.trueNegatives.add(c.tn), falseNegatives: s.falseNegatives.add(c.fn),
    };
  }

  statelessResult(s: MetricState): Tracer {
    const n = this.numThresholds;
    const head = (x: Tracer) => lax.slice(x, [0], [n - 1]);
    const tail = (x: Tracer) => lax.slice(x, [1], [n]);
    const { truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn } = s;
    if (this.curve === "PR" && this.summationMethod === "interpolation") {
      // Davis & Goadrich (2006): precision varies as tp / (tp + fp) along a straight line in tp,
      // so each segment integrates to slope · (Δtp + intercept · log(p₀ / p₁)) / positives.
      const dtp = head(tp).sub(tail(tp));
      const p = tp.add(fp);
      const dp = head(p).sub(tail(p));
      const slope = divideNoNan(dtp, np.maximum(dp, 0));
      const intercept = tail(tp).sub(slope.mul(tail(p)));
      const bothPos = np.logicalAnd(head(p).greater(0), tail(p).greater(0));
      const ratio = np.where(bothPos, divideNoNan(head(p), np.maximum(tail(p), 0)), 1);
      return np.sum(divideNoNan(slope.mul(dtp.add(intercept.mul(np.log(ratio)))), np.maximum(tail(tp).add(tail(fn)), 0)));
    }
    const recall = divideNoNan(tp, tp.add(fn));
    const [x, y] = this.curve === "ROC" ? [divideNoNan(fp, fp.add(tn)), recall] : [recall, divideNoNan(tp, tp.add(fp))];
    const heights =
      this.summationMethod === "interpolation" ? head(y).add(tail(y)).div(2)
      : this.summationMethod === "minoring" ? np.minimum(head(y), tail(y))
      : np.maximum(head(y), tail(y));
    return np.sum(head(x).sub(tail(x)).mul(heights));
  }

  override getConfig(): Config {
    return {
      name: this.name, numThresholds: this.numThresholds, curve: this.curve, summationMethod: this.summationMethod,
      thresholds: this.#init === null ? null : [...this.#init], fromLogits: this.fromLogits,
    };
  }
}

/** Options of FBetaScore / F1Score. */
export interface FScoreOptions {
  /** null (default: one score per class), "micro" (global counts), "macro" (mean of classes), "weighted" (by support). */
  readonly average?: null | "micro" | "macro" | "weighted";
  /** Scores above it are positives; default: each sample's highest score (ties included). */
  readonly threshold?: number | null;
  readonly name?: string;
}

/**
 * F-beta score `(1 + β²) · P · R / (β² · P + R)` of 2-D multi-label (or one-hot) inputs.
 * The number of classes is fixed by `build` or the first `updateState`.
 *
 * @example const m = new FBetaScore({ beta: 2, threshold: 0.5 }); m.updateState(yTrue, yPred); m.result() // one score per class
 */
export class FBetaScore extends Metric {
  readonly average: null | "micro" | "macro" | "weighted";
  readonly beta: number;
  readonly threshold: number | null;
  #numClasses: number | null = null;

  constructor(opts: FScoreOptions & { readonly beta?: number } = {}, defaultName = "fbeta_score") {
    super(opts.name ?? defaultName);
    const op = `metrics.${new.target.name}`;
    const average = opts.average ?? null;
    if (average !== null && average !== "micro" && average !== "macro" && average !== "weighted") {
      throw new RangeError(`${op}: average must be null, "micro", "macro" or "weighted"; received ${JSON.stringify(average)}.`);
    }
    const beta = opts.beta ?? 1;
    if (typeof beta !== "number" || !(beta > 0)) throw new RangeError(`${op}: beta must be a number > 0; received ${String(beta)}.`);
    const threshold = opts.threshold ?? null;
    if (threshold !== null && (typeof threshold !== "number" || !(threshold > 0 && threshold <= 1))) {
      throw new RangeError(`${op}: threshold must be in (0, 1]; received ${String(threshold)}.`);
    }
    this.average = average;
    this.beta = beta;
    this.threshold = threshold;
  }

  #check(t: readonly number[], p: readonly number[]): void {
    if (t.length !== 2 || p.length !== 2 || t[0] !== p[0] || t[1] !== p[1]) {
      throw new ShapeError(`metrics.${this.constructor.name}: expects 2-D yTrue and yPred of the same shape [batch, classes]; received yTrue ${fmt(t)} and yPred ${fmt(p)}.`);
    }
  }

  override build(yTrueShape: readonly number[], yPredShape: readonly number[]): void {
    this.#check(yTrueShape, yPredShape);
    this.#numClasses = yPredShape[1];
    super.build(yTrueShape, yPredShape);
  }

  initState(): MetricState {
    if (this.#numClasses === null) {
      throw new Error(`metrics.${this.constructor.name}: the number of classes is known after the first batch; call build(yTrueShape, yPredShape) or updateState first.`);
    }
    const shape = this.average === "micro" ? [] : [this.#numClasses];
    return { truePositives: zeros(shape), falsePositives: zeros(shape), falseNegatives: zeros(shape), intermediateWeights: zeros(shape) };
  }

  statelessUpdate(s: MetricState, yTrue: MetricInput, yPred?: MetricInput, sampleWeight?: MetricInput | null): MetricState {
    if (yPred === undefined) throw new TypeError(`metrics.${this.constructor.name}: statelessUpdate needs yTrue and yPred.`);
    const p0 = floating(yPred).astype("float32");
    const t = np.asarray(yTrue).astype("float32");
    this.#check(t.shape, p0.shape);
    if (this.average !== "micro" && s.truePositives.shape[0] !== p0.shape[1]) {
      throw new ShapeError(`metrics.${this.constructor.name}: built for ${s.truePositives.shape[0]} classes; received yPred ${fmt(p0.shape)}.`);
    }
    const hit =
      this.threshold === null
        ? np.logicalAnd(p0.greaterEqual(np.max(p0, { axis: -1, keepdims: true })), p0.abs().greater(1e-9)) // an all-zero row stays negative
        : p0.greater(this.threshold);
    const p = hit.astype("float32");
    let w: Tracer | undefined;
    if (sampleWeight !== undefined && sampleWeight !== null) {
      w = np.asarray(sampleWeight).astype("float32");
      if (w.ndim === 1) w = w.expandDims(1);
      try {
        w = np.broadcastTo(w, p.shape);
      } catch {
        throw new ShapeError(`metrics.${this.constructor.name}: sampleWeight of shape ${fmt(np.asarray(sampleWeight).shape)} does not fit inputs ${fmt(p.shape)}; pass one weight per sample.`);
      }
    }
    const axis = this.average === "micro" ? null : 0;
    const wsum = (v: Tracer) => np.sum(w ? v.mul(w) : v, { axis });
    return {
      truePositives: s.truePositives.add(wsum(p.mul(t))),
      falsePositives: s.falsePositives.add(wsum(p.mul(t.neg().add(1)))),
      falseNegatives: s.falseNegatives.add(wsum(p.neg().add(1).mul(t))),
      intermediateWeights: s.intermediateWeights.add(wsum(t)),
    };
  }

  statelessResult(s: MetricState): Tracer {
    const { truePositives: tp, falsePositives: fp, falseNegatives: fn, intermediateWeights: support } = s;
    const precision = tp.div(tp.add(fp).add(EPSILON));
    const recall = tp.div(tp.add(fn).add(EPSILON));
    const b2 = this.beta * this.beta;
    const f = precision.mul(recall).div(precision.mul(b2).add(recall).add(EPSILON)).mul(1 + b2);
    if (this.average === "weighted") return np.sum(f.mul(support.div(np.sum(support).add(EPSILON))));
    return this.average === null ? f : np.mean(f);
  }

  override getConfig(): Config {
    return { name: this.name, average: this.average, beta: this.beta, threshold: this.threshold };
  }
}

/**
 * F1 score: FBetaScore with β = 1.
 *
 * @example const m = new F1Score({ threshold: 0.5 }); m.updateState([[1, 0]], [[0.7, 0.2]]); m.result() // [≈1, 0]
 */
export class F1Score extends FBetaScore {
  constructor(opts: FScoreOptions = {}) {
    super({ ...opts, beta: 1 }, "f1_score");
  }
  override getConfig(): Config {
    return { name: this.name, average: this.average, threshold: this.threshold };
  }
}

/** Options of MeanIoU. */
export interface MeanIoUOptions {
  /** Samples with this true label are left out. */
  readonly ignoreClass?: number | null;
  /** yTrue holds class ids (default) rather than scores to argmax. */
  readonly sparseYTrue?: boolean;
  /** yPred holds class ids (default) rather than scores to argmax. */
  readonly sparseYPred?: boolean;
  /** The class axis for the argmax of non-sparse inputs. Default -1. */
  readonly axis?: number;
  readonly name?: string;
}

/**
 * Mean intersection-over-union `tp / (tp + fp + fn)` over the classes that occur, from an
 * accumulated (weighted) confusion matrix.
 *
 * @example const m = new MeanIoU(2); m.updateState([0, 0, 1, 1], [0, 1, 0, 1]); m.result() // 1/3
 */
export class MeanIoU extends Metric {
  readonly numClasses: number;
  readonly ignoreClass: number | null;
  readonly sparseYTrue: boolean;
  readonly sparseYPred: boolean;
  readonly axis: number;

  constructor(numClasses: number, opts: MeanIoUOptions = {}) {
    super(opts.name ?? "mean_iou");
    const op = "metrics.MeanIoU";
    this.numClasses = checkInt(op, "numClasses", numClasses ?? NaN, 1) as number;
    this.ignoreClass = opts.ignoreClass ?? null;
    if (this.ignoreClass !== null && !Number.isInteger(this.ignoreClass)) throw new RangeError(`${op}: ignoreClass must be an integer or null; received ${String(this.ignoreClass)}.`);
    this.sparseYTrue = opts.sparseYTrue ?? true;
    this.sparseYPred = opts.sparseYPred ?? true;
    this.axis = opts.axis ?? -1;
  }

  initState(): MetricState {
    return { totalConfusionMatrix: zeros([this.numClasses, this.numClasses]) };
  }

  statelessUpdate(s: MetricState, yTrue: MetricInput, yPred?: MetricInput, sampleWeight?: MetricInput | null): MetricState {
    if (yPred === undefined) throw new TypeError(`metrics.MeanIoU: statelessUpdate needs yTrue and yPred.`);
    let t = this.sparseYTrue ? np.asarray(yTrue) : np.argmax(np.asarray(yTrue), { axis: this.axis });
    let p = this.sparseYPred ? np.asarray(yPred) : np.argmax(np.asarray(yPred), { axis: this.axis });
    t = t.reshape([-1]).astype("int32");
    p = p.reshape([-1]).astype("int32");
    if (t.size !== p.size) throw new ShapeError(`metrics.MeanIoU: yTrue and yPred must hold the same number of labels; received ${t.size} and ${p.size} (shapes ${fmt(np.asarray(yTrue).shape)} and ${fmt(np.asarray(yPred).shape)}).`);
    let w = sampleWeight === undefined || sampleWeight === null ? np.ones(t.shape, { dtype: "float32" }) : np.asarray(sampleWeight).astype("float32").reshape([-1]);
    if (w.size !== t.size && w.size !== 1) throw new ShapeError(`metrics.MeanIoU: sampleWeight needs one weight per label (${t.size}); received ${w.size}.`);
    w = np.broadcastTo(w, t.shape);
    if (this.ignoreClass !== null) {
      const valid = t.notEqual(this.ignoreClass);
      [t, p, w] = [np.where(valid, t, 0), np.where(valid, p, 0), w.mul(valid.astype("float32"))];
    }
    // cm[true, pred] += w, as a product of one-hot matrices (labels outside [0, C) add nothing).
    const c = this.numClasses;
    const cm = np.matmul(oneHot(t, c).T, oneHot(p, c).mul(w.expandDims(1)));
    return { totalConfusionMatrix: s.totalConfusionMatrix.add(cm) };
  }

  statelessResult(s: MetricState): Tracer {
    const cm = s.totalConfusionMatrix;
    const tp = np.diag(cm);
    const denominator = np.sum(cm, { axis: 0 }).add(np.sum(cm, { axis: 1 })).sub(tp);
    const valid = np.sum(denominator.greater(1e-9).astype("float32"));
    return np.sum(tp.div(denominator.add(EPSILON))).div(valid.add(EPSILON));
  }

  override getConfig(): Config {
    return { name: this.name, numClasses: this.numClasses, ignoreClass: this.ignoreClass, sparseYTrue: this.sparseYTrue, sparseYPred: this.sparseYPred, axis: this.axis };
  }
}

registerMetric("Precision", "precision", Precision);
registerMetric("Recall", "recall", Recall);
registerMetric("AUC", "auc", AUC);
registerMetric("FBetaScore", "fbeta_score", FBetaScore);
registerMetric("F1Score", "f1_score", F1Score);
registerMetric(
  "MeanIoU", "mean_iou", MeanIoU,
  (c) => new MeanIoU(c.numClasses as number, c as MeanIoUOptions),
  () => new MeanIoU(2).getConfig(),
);
