/**
 * @file Keras 3 losses (keras/src/losses, pinned 3.5): per-sample loss functions
 * (`meanSquaredError(yTrue, yPred)` reduces only the last axis) and `Loss` classes that add
 * sample weights and a reduction, plus `get` / `serialize` / `deserialize`. Everything is
 * written with `np`/`lax`, so losses trace under `jit` and `grad`. Probability inputs are
 * clipped to [1e-7, 1 − 1e-7] like Keras; `fromLogits` paths use logSoftmax / log-sigmoid,
 * so their gradients stay finite for any logits.
 *
 * @example
 *   const loss = new losses.SparseCategoricalCrossentropy({ fromLogits: true });
 *   const l = loss.compute(labels, logits); // scalar: the mean over the batch
 */
import { np, lax, ShapeError, type Tracer } from "../index.js";
import { floating, logSigmoid, softplus, type ActivationInput } from "./activations.js";
import { logSoftmax, oneHot } from "./functions.js";

/** Inputs of the losses: Arrays, numbers or nested JS arrays. */
export type LossInput = ActivationInput;
/** A per-sample loss function. */
export type LossFn = (yTrue: LossInput, yPred: LossInput) => Tracer;
/** A JSON value, as found in a config. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };
/** The config of a loss or metric: JSON only, never functions. */
export type Config = Record<string, JsonValue>;
/** Keras' `backend.epsilon()`. */
export const EPSILON = 1e-7;

/**
 * Keras' `squeeze_or_expand_to_same_rank`: when the ranks differ by one and the longer array
 * ends in a size-1 axis, that axis is dropped (or, if the shorter one is rank 1 and
 * `expandRank1`, the shorter one gains it).
 *
 * @example squeezeOrExpand(np.zeros([4]), np.zeros([4, 1])) // shapes [4, 1] and [4, 1]
 */
export function squeezeOrExpand(x1: Tracer, x2: Tracer, expandRank1 = true): [Tracer, Tracer] {
  if (x1.ndim === x2.ndim + 1 && x1.shape[x1.ndim - 1] === 1) {
    return x2.ndim === 1 && expandRank1 ? [x1, x2.expandDims(-1)] : [x1.squeeze(-1), x2];
  }
  if (x2.ndim === x1.ndim + 1 && x2.shape[x2.ndim - 1] === 1) {
    return x1.ndim === 1 && expandRank1 ? [x1.expandDims(-1), x2] : [x1, x2.squeeze(-1)];
  }
  return [x1, x2];
}

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

/** yPred as a float, yTrue in its dtype, ranks reconciled, shapes checked. */
export function pair(op: string, yTrue: LossInput, yPred: LossInput): [Tracer, Tracer] {
  const p0 = floating(yPred);
  const [t, p] = squeezeOrExpand(np.asarray(yTrue).astype(p0.dtype), p0);
  if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
    throw new ShapeError(
      `${op}: yTrue and yPred must have the same shape (up to a trailing axis of size 1); received yTrue ` +
        `${fmt(t.shape)} and yPred ${fmt(p.shape)}. Reshape the labels like the predictions` +
        `${p.ndim === t.ndim + 1 ? " (for integer class labels use the sparse categorical loss or metric)" : ""}.`,
    );
  }
  if (p.ndim === 0) throw new ShapeError(`${op}: expected arrays of rank >= 1 (the last axis is reduced); received scalars. Reshape them to [1].`);
  return [t, p];
}

/** `a / b`, and 0 where `b` is 0 (gradients stay finite there too). */
export function divideNoNan(a: Tracer, b: Tracer | number): Tracer {
  const d = np.asarray(b);
  const zero = d.equal(0);
  return np.where(zero, 0, a.div(np.where(zero, 1, d)));
}

const clipProb = (p: Tracer) => np.clip(p, EPSILON, 1 - EPSILON);
const meanLast = (x: Tracer, axis = -1) => np.mean(x, { axis });

/** Mean of `(yTrue − yPred)²` over the last axis. @example meanSquaredError([[0, 1]], [[1, 1]]) // [0.5] */
export function meanSquaredError(yTrue: LossInput, yPred: LossInput): Tracer {
  const [t, p] = pair("losses.meanSquaredError", yTrue, yPred);
  return meanLast(t.sub(p).square());
}

/** Mean of `|yTrue − yPred|` over the last axis. @example meanAbsoluteError([[0, 1]], [[1, 1]]) // [0.5] */
export function meanAbsoluteError(yTrue: LossInput, yPred: LossInput): Tracer {
  const [t, p] = pair("losses.meanAbsoluteError", yTrue, yPred);
  return meanLast(t.sub(p).abs());
}

/** `100 · mean(|(yTrue − yPred) / max(|yTrue|, ε)|)`. @example meanAbsolutePercentageError([[2]], [[1]]) // [50] */
export function meanAbsolutePercentageError(yTrue: LossInput, yPred: LossInput): Tracer {
  const [t, p] = pair("losses.meanAbsolutePercentageError", yTrue, yPred);
  return meanLast(t.sub(p).div(np.maximum(t.abs(), EPSILON)).abs()).mul(100);
}

/** Mean of `(log(max(yPred, ε) + 1) − log(max(yTrue, ε) + 1))²`. @example meanSquaredLogarithmicError([[0]], [[Math.E - 1]]) // [1] */
export function meanSquaredLogarithmicError(yTrue: LossInput, yPred: LossInput): Tracer {
  const [t, p] = pair("losses.meanSquaredLogarithmicError", yTrue, yPred);
  return meanLast(np.log(np.maximum(p, EPSILON).add(1)).sub(np.log(np.maximum(t, EPSILON).add(1))).square());
}

/** Options of `huber`. */
export interface HuberOptions {
  /** Where the loss turns from quadratic to linear. Default 1. */
  readonly delta?: number;
}

/** Huber: `½e²` for `|e| ≤ δ`, else `δ|e| − ½δ²`, mean over the last axis. @example huber([[0]], [[3]]) // [2.5] */
export function huber(yTrue: LossInput, yPred: LossInput, opts: HuberOptions = {}): Tracer {
  const [t, p] = pair("losses.huber", yTrue, yPred);
  const delta = opts.delta ?? 1;
  const e = p.sub(t);
  const a = e.abs();
  return meanLast(np.where(a.lessEqual(delta), e.square().mul(0.5), a.mul(delta).sub(0.5 * delta * delta)));
}

/** Mean of `log(cosh(yPred − yTrue))`, as `x + softplus(−2x) − log 2`. @example logCosh([[0]], [[0]]) // [0] */
export function logCosh(yTrue: LossInput, yPred: LossInput): Tracer {
  const [t, p] = pair("losses.logCosh", yTrue, yPred);
  const x = p.sub(t);
  return meanLast(x.add(softplus(x.mul(-2))).sub(Math.LN2));
}

/** `Σ yTrue · log(yTrue / yPred)` with both clipped to [ε, 1]. @example klDivergence([[1, 0]], [[0.5, 0.5]]) // [0.6931] */
export function klDivergence(yTrue: LossInput, yPred: LossInput): Tracer {
  const [t0, p0] = pair("losses.klDivergence", yTrue, yPred);
  const t = np.clip(t0, EPSILON, 1);
  const p = np.clip(p0, EPSILON, 1);
  return np.sum(t.mul(np.log(t.div(p))), { axis: -1 });
}

/** Mean of `yPred − yTrue · log(yPred + ε)`. @example poisson([[1]], [[1]]) // [1 − log(1 + 1e-7)] */
export function poisson(yTrue: LossInput, yPred: LossInput): Tracer {
  const [t, p] = pair("losses.poisson", yTrue, yPred);
  return meanLast(p.sub(t.mul(np.log(p.add(EPSILON)))));
}

/** Options of losses that reduce one chosen axis. */
export interface LossAxisOptions {
  /** The axis reduced per sample. Default -1. */
  readonly axis?: number;
}

/** `−Σ ŷTrue · ŷPred` of the L2-normalized arrays (−1 when they point the same way). @example cosineSimilarity([[1, 0]], [[2, 0]]) // [-1] */
export function cosineSimilarity(yTrue: LossInput, yPred: LossInput, opts: LossAxisOptions = {}): Tracer {
  const [t, p] = pair("losses.cosineSimilarity", yTrue, yPred);
  const axis = opts.axis ?? -1;
  // x · min(rsqrt(Σx²), 1/ε) as Keras' normalize, written so that the gradient at 0 is finite.
  const unit = (x: Tracer) => x.mul(lax.rsqrt(np.maximum(np.sum(x.square(), { axis, keepdims: true }), EPSILON * EPSILON)));
  return np.sum(unit(t).mul(unit(p)), { axis }).neg();
}

/** Labels in {0, 1} become {−1, 1}; any other labels are kept (Keras' hinge label rule). */
function hingeLabels(t: Tracer): Tracer {
  const binary = np.all(np.logicalOr(t.equal(0), t.equal(1)));
  return np.where(binary, t.mul(2).sub(1), t);
}

/** Mean of `max(1 − yTrue · yPred, 0)`; labels −1/1 (0/1 are converted). @example hinge([[1]], [[0.3]]) // [0.7] */
export function hinge(yTrue: LossInput, yPred: LossInput): Tracer {
  const [t, p] = pair("losses.hinge", yTrue, yPred);
  return meanLast(np.maximum(hingeLabels(t).mul(p).neg().add(1), 0));
}

/** Mean of `max(1 − yTrue · yPred, 0)²`. @example squaredHinge([[1]], [[0.3]]) // [0.49] */
export function squaredHinge(yTrue: LossInput, yPred: LossInput): Tracer {
  const [t, p] = pair("losses.squaredHinge", yTrue, yPred);
  return meanLast(np.maximum(hingeLabels(t).mul(p).neg().add(1), 0).square());
}

/** `max(max((1 − yTrue) · yPred) − Σ yTrue · yPred + 1, 0)` for one-hot labels. @example categoricalHinge([[0, 1]], [[0.4, 0.6]]) // [0.8] */
export function categoricalHinge(yTrue: LossInput, yPred: LossInput): Tracer {
  const [t, p] = pair("losses.categoricalHinge", yTrue, yPred);
  const pos = np.sum(t.mul(p), { axis: -1 });
  const neg = np.max(t.neg().add(1).mul(p), { axis: -1 });
  return np.maximum(neg.sub(pos).add(1), 0);
}

/** Options of the cross-entropies. */
export interface CrossentropyOptions extends LossAxisOptions {
  /** yPred holds logits (unnormalized scores) rather than probabilities. Default false. */
  readonly fromLogits?: boolean;
  /** Moves labels towards uniform: `y(1 − s) + s / numClasses` (binary: `+ s / 2`). Default 0. */
  readonly labelSmoothing?: number;
}

function checkSmoothing(op: string, s: number): number {
  if (!(s >= 0 && s <= 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1]; received ${s}.`);
  return s;
}

/** Element-wise binary cross-entropy of same-shaped (already reconciled) arrays. */
function bceElements(t: Tracer, p: Tracer, fromLogits: boolean): Tracer {
  if (fromLogits) return t.mul(logSigmoid(p)).add(t.neg().add(1).mul(logSigmoid(p.neg()))).neg();
  const c = clipProb(p);
  return t.mul(c.log()).add(t.neg().add(1).mul(c.neg().add(1).log())).neg();
}

/**
 * Binary cross-entropy, mean over `axis` (default -1).
 *
 * @example binaryCrossentropy([[0, 1]], [[0.1, 0.8]]) // [(−log 0.9 − log 0.8) / 2] ≈ [0.1643]
 */
export function binaryCrossentropy(yTrue: LossInput, yPred: LossInput, opts: CrossentropyOptions = {}): Tracer {
  const op = "losses.binaryCrossentropy";
  let [t, p] = pair(op, yTrue, yPred);
  const s = checkSmoothing(op, opts.labelSmoothing ?? 0);
  if (s) t = t.mul(1 - s).add(0.5 * s);
  return meanLast(bceElements(t, p, opts.fromLogits ?? false), opts.axis);
}

/** Options of `binaryFocalCrossentropy`. */
export interface BinaryFocalOptions extends CrossentropyOptions {
  /** Weigh positives by `alpha` and negatives by `1 − alpha`. Default false. */
  readonly applyClassBalancing?: boolean;
  /** Default 0.25. */
  readonly alpha?: number;
  /** The focusing exponent of `(1 − p_t)^gamma`. Default 2. */
  readonly gamma?: number;
}

/**
 * Focal binary cross-entropy `(1 − p_t)^γ · bce`, mean over `axis`. From logits, the bce term
 * is computed from log-sigmoids (equal to Keras' sigmoid-then-clip for |logits| < 16).
 *
 * @example binaryFocalCrossentropy([[1]], [[0.5]]) // [0.25 · log 2]
 */
export function binaryFocalCrossentropy(yTrue: LossInput, yPred: LossInput, opts: BinaryFocalOptions = {}): Tracer {
  const op = "losses.binaryFocalCrossentropy";
  let [t, p] = pair(op, yTrue, yPred);
  const s = checkSmoothing(op, opts.labelSmoothing ?? 0);
  if (s) t = t.mul(1 - s).add(0.5 * s);
  const fromLogits = opts.fromLogits ?? false;
  const bce = bceElements(t, p, fromLogits);
  const prob = fromLogits ? lax.logistic(p) : p;
  const pt = t.mul(prob).add(t.neg().add(1).mul(prob.neg().add(1)));
  let focal = np.power(pt.neg().add(1), opts.gamma ?? 2).mul(bce);
  if (opts.applyClassBalancing) {
    const alpha = opts.alpha ?? 0.25;
    focal = focal.mul(t.mul(alpha).add(t.neg().add(1).mul(1 - alpha)));
  }
  return meanLast(focal, opts.axis);
}

/** `log p` over `axis`: logSoftmax of logits, or the log of normalized, clipped probabilities. */
function logProbs(p: Tracer, fromLogits: boolean, axis: number): Tracer {
  if (fromLogits) return logSoftmax(p, { axis });
  return clipProb(p.div(np.sum(p, { axis, keepdims: true }))).log();
}

/**
 * Categorical cross-entropy `−Σ yTrue · log yPred` over `axis` for one-hot (or soft) labels.
 *
 * @example categoricalCrossentropy([[0, 1, 0]], [[0.05, 0.95, 0]]) // [−log 0.95] ≈ [0.0513]
 */
export function categoricalCrossentropy(yTrue: LossInput, yPred: LossInput, opts: CrossentropyOptions = {}): Tracer {
  const op = "losses.categoricalCrossentropy";
  let [t, p] = pair(op, yTrue, yPred);
  const s = checkSmoothing(op, opts.labelSmoothing ?? 0);
  // Keras smooths over the last axis whatever `axis` is.
  if (s) t = t.mul(1 - s).add(s / t.shape[t.ndim - 1]);
  const axis = opts.axis ?? -1;
  return np.sum(t.mul(logProbs(p, opts.fromLogits ?? false, axis)), { axis }).neg();
}

/** Options of `sparseCategoricalCrossentropy`. */
export interface SparseCrossentropyOptions extends LossAxisOptions {
  readonly fromLogits?: boolean;
  /** A label value whose samples get loss 0 and are left out of the mean. */
  readonly ignoreClass?: number | null;
}

/** Per-sample sparse cross-entropy and the validity mask of `ignoreClass` (if any). */
export function sparseCategoricalCrossentropyMasked(
  yTrue: LossInput, yPred: LossInput, opts: SparseCrossentropyOptions = {},
): { values: Tracer; mask?: Tracer } {
  const op = "losses.sparseCategoricalCrossentropy";
  const p0 = floating(yPred);
  let t = np.asarray(yTrue);
  if (t.ndim === p0.ndim && t.ndim > 0 && t.shape[t.ndim - 1] === 1) t = t.squeeze(-1);
  const axis = opts.axis ?? -1;
  const ax = axis < 0 ? axis + p0.ndim : axis;
  if (p0.ndim < 1 || ax < 0 || ax >= p0.ndim) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for yPred of shape ${fmt(p0.shape)}; yPred needs a class axis.`);
  }
  const want = p0.shape.filter((_, i) => i !== ax);
  if (t.ndim !== want.length || t.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(
      `${op}: yTrue must hold one integer label per sample, shaped like yPred without its class axis ` +
        `(${fmt(want)} or ${fmt([...want, 1])}); received yTrue ${fmt(np.asarray(yTrue).shape)} and yPred ${fmt(p0.shape)}. ` +
        `For one-hot labels use categoricalCrossentropy.`,
    );
  }
  // Keras casts the labels to int32 (truncating float labels).
  let labels = t.astype("int32");
  let p = p0;
  let mask: Tracer | undefined;
  if (opts.ignoreClass !== undefined && opts.ignoreClass !== null) {
    mask = t.notEqual(opts.ignoreClass);
    labels = np.where(mask, labels, 0);
    // Ignored rows become uniform scores, so neither the value nor the gradient is NaN there.
    p = np.where(np.expandDims(mask, ax), p, 1);
  }
  const hot = oneHot(labels, p.shape[ax], { axis: ax, dtype: p.dtype });
  let values = np.sum(hot.mul(logProbs(p, opts.fromLogits ?? false, ax)), { axis: ax }).neg();
  if (mask) values = np.where(mask, values, 0);
  return mask ? { values, mask } : { values };
}

/**
 * Cross-entropy of integer labels (shape `[B]` or `[B, 1]`) against per-class scores `[B, C]`.
 *
 * @example sparseCategoricalCrossentropy([1], [[0.05, 0.95, 0]]) // [−log 0.95]
 */
export function sparseCategoricalCrossentropy(yTrue: LossInput, yPred: LossInput, opts: SparseCrossentropyOptions = {}): Tracer {
  return sparseCategoricalCrossentropyMasked(yTrue, yPred, opts).values;
}

/** How `Loss.compute` reduces the weighted per-sample losses. "mean" is "sum_over_batch_size". */
export type Reduction = "sum_over_batch_size" | "sum" | "mean" | "mean_with_sample_weight" | "none";
const REDUCTIONS: readonly string[] = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"];

/**
 * Weights per-sample losses and reduces them, as Keras' `reduce_weighted_values`: scalars
 * (and empty arrays) are returned as they are; "sum" adds; "sum_over_batch_size" / "mean"
 * divide the sum by the number of loss values (0 when there are none); "mean_with_sample_weight"
 * divides by the sum of the weights. A `mask` (from `ignoreClass`) leaves entries out of the mean.
 *
 * @example reduceWeighted(np.array([1, 3]), [1, 0]) // (1·1 + 3·0) / 2 = 0.5
 */
export function reduceWeighted(
  values: Tracer, sampleWeight?: LossInput | null, reduction: Reduction = "sum_over_batch_size", mask?: Tracer, op = "losses.reduce",
): Tracer {
  let v = values;
  let w = sampleWeight === undefined || sampleWeight === null ? undefined : np.asarray(sampleWeight).astype(v.dtype);
  if (mask) {
    let m = mask.astype(v.dtype);
    // Valid entries weigh total / valid, so the mean over all entries is the mean over the valid ones.
    if (reduction === "mean" || reduction === "sum_over_batch_size") m = m.mul(np.divide(m.size, np.sum(m).add(EPSILON)));
    if (w) [m, w] = squeezeOrExpand(m, w);
    w = w ? w.mul(m) : m;
  }
  if (w) {
    [v, w] = squeezeOrExpand(v, w);
    // One weight per sample also weighs losses with more axes (e.g. per time step).
    while (w.ndim < v.ndim) w = w.expandDims(-1);
    let ok = true;
    try {
      ok = np.broadcastShapes(v.shape, w.shape).every((d, i) => d === v.shape[i]) && w.ndim === v.ndim;
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new ShapeError(
        `${op}: sampleWeight of shape ${fmt(w.shape)} does not fit the per-sample losses of shape ${fmt(v.shape)}; ` +
          `pass one weight per sample (shape [${v.shape[0] ?? ""}]) or an array broadcastable to the losses.`,
      );
    }
    v = v.mul(w);
  }
  if (reduction === "none" || v.ndim === 0 || (v.size === 0 && v.ndim === 1)) return v;
  const total = np.sum(v);
  if (reduction === "sum") return total;
  if (reduction === "mean_with_sample_weight" && w) return divideNoNan(total, np.sum(w));
  return divideNoNan(total, v.size);
}

/** Options every Loss takes. */
export interface LossOptions {
  /** Default "sum_over_batch_size"; `null` means "none" as in Keras. */
  readonly reduction?: Reduction | null;
  /** Default: the Keras snake_case name of the loss. */
  readonly name?: string;
}

/**
 * A Keras loss: `call` gives per-sample losses, `compute` weighs and reduces them.
 *
 * @example
 *   class MyLoss extends Loss { call(t, p) { return np.mean(np.abs(np.subtract(t, p)), { axis: -1 }); } }
 *   new MyLoss().compute([[1, 2]], [[1, 4]]) // 1
 */
export abstract class Loss {
  readonly name: string;
  readonly reduction: Reduction;

  constructor(opts: LossOptions = {}, defaultName = "loss") {
    const r = opts.reduction === null ? "none" : opts.reduction ?? "sum_over_batch_size";
    if (!REDUCTIONS.includes(r)) {
      throw new RangeError(`losses.${new.target.name}: reduction must be one of ${REDUCTIONS.map((x) => `"${x}"`).join(", ")} (or null); received ${JSON.stringify(r)}.`);
    }
    if (opts.name !== undefined && typeof opts.name !== "string") throw new TypeError(`losses.${new.target.name}: name must be a string; received ${typeof opts.name}.`);
    this.reduction = r;
    this.name = opts.name ?? defaultName;
  }

  /** Per-sample losses (the last axis reduced). Must be traceable. */
  abstract call(yTrue: LossInput, yPred: LossInput): Tracer;

  /** @internal Per-sample losses and a validity mask (only losses with `ignoreClass` have one). */
  callMasked(yTrue: LossInput, yPred: LossInput): { values: Tracer; mask?: Tracer } {
    return { values: this.call(yTrue, yPred) };
  }

  /** The weighted, reduced loss (Keras' `loss(yTrue, yPred, sampleWeight)`). */
  compute(yTrue: LossInput, yPred: LossInput, sampleWeight?: LossInput | null): Tracer {
    const { values, mask } = this.callMasked(yTrue, yPred);
    return reduceWeighted(values, sampleWeight, this.reduction, mask, `losses.${this.constructor.name}`);
  }

  /** JSON config; `new Cls(config)` rebuilds the loss. */
  getConfig(): Config {
    return { name: this.name, reduction: this.reduction };
  }
}

/**
 * A Loss around a per-sample function (Keras' `LossFunctionWrapper`); not serializable.
 *
 * @example new LossFunctionWrapper((t, p) => losses.meanAbsoluteError(t, p), { name: "l1" })
 */
export class LossFunctionWrapper extends Loss {
  constructor(readonly fn: LossFn, opts: LossOptions = {}) {
    super(opts, opts.name ?? (fn.name || "loss"));
  }
  call(yTrue: LossInput, yPred: LossInput): Tracer {
    return this.fn(yTrue, yPred);
  }
}

const plain = (fn: LossFn, defaultName: string) =>
  class extends Loss {
    constructor(opts: LossOptions = {}) {
      super(opts, defaultName);
    }
    call(yTrue: LossInput, yPred: LossInput): Tracer {
      return fn(yTrue, yPred);
    }
  };

/** Mean squared error. @example new MeanSquaredError().compute([[0, 1], [0, 0]], [[1, 1], [1, 0]]) // 0.5 */
export class MeanSquaredError extends plain(meanSquaredError, "mean_squared_error") {}
/** Mean absolute error. @example new MeanAbsoluteError().compute([[0, 1]], [[1, 1]]) // 0.5 */
export class MeanAbsoluteError extends plain(meanAbsoluteError, "mean_absolute_error") {}
/** Mean absolute percentage error. @example new MeanAbsolutePercentageError().compute([[2]], [[1]]) // 50 */
export class MeanAbsolutePercentageError extends plain(meanAbsolutePercentageError, "mean_absolute_percentage_error") {}
/** Mean squared logarithmic error. @example new MeanSquaredLogarithmicError().compute([[0]], [[0]]) // 0 */
export class MeanSquaredLogarithmicError extends plain(meanSquaredLogarithmicError, "mean_squared_logarithmic_error") {}
/** Log-cosh. @example new LogCosh().compute([[0]], [[0]]) // 0 */
export class LogCosh extends plain(logCosh, "log_cosh") {}
/** Kullback–Leibler divergence. @example new KLDivergence().compute([[1, 0]], [[0.5, 0.5]]) // log 2 */
export class KLDivergence extends plain(klDivergence, "kl_divergence") {}
/** Poisson. @example new Poisson().compute([[1]], [[1]]) // ≈ 1 */
export class Poisson extends plain(poisson, "poisson") {}
/** Hinge. @example new Hinge().compute([[1]], [[0.3]]) // 0.7 */
export class Hinge extends plain(hinge, "hinge") {}
/** Squared hinge. @example new SquaredHinge().compute([[1]], [[0.3]]) // 0.49 */
export class SquaredHinge extends plain(squaredHinge, "squared_hinge") {}
/** Categorical hinge. @example new CategoricalHinge().compute([[0, 1]], [[0.4, 0.6]]) // 0.8 */
export class CategoricalHinge extends plain(categoricalHinge, "categorical_hinge") {}

/** Huber loss. @example new Huber({ delta: 2 }).compute([[0]], [[3]]) // 2·3 − 2 = 4 */
export class Huber extends Loss {
  readonly delta: number;
  constructor(opts: LossOptions & HuberOptions = {}) {
    super(opts, "huber_loss");
    this.delta = opts.delta ?? 1;
  }
  call(yTrue: LossInput, yPred: LossInput): Tracer {
    return huber(yTrue, yPred, this);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), delta: this.delta };
  }
}

/** Cosine similarity (negated, so minimizing aligns). @example new CosineSimilarity().compute([[1, 0]], [[3, 0]]) // -1 */
export class CosineSimilarity extends Loss {
  readonly axis: number;
  constructor(opts: LossOptions & LossAxisOptions = {}) {
    super(opts, "cosine_similarity");
    this.axis = opts.axis ?? -1;
  }
  call(yTrue: LossInput, yPred: LossInput): Tracer {
    return cosineSimilarity(yTrue, yPred, this);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), axis: this.axis };
  }
}

abstract class CrossentropyLoss extends Loss {
  readonly fromLogits: boolean;
  readonly labelSmoothing: number;
  readonly axis: number;
  constructor(opts: LossOptions & CrossentropyOptions, defaultName: string) {
    super(opts, defaultName);
    this.fromLogits = opts.fromLogits ?? false;
    this.labelSmoothing = checkSmoothing(`losses.${new.target.name}`, opts.labelSmoothing ?? 0);
    this.axis = opts.axis ?? -1;
  }
  override getConfig(): Config {
    return { ...super.getConfig(), fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing, axis: this.axis };
  }
}

/** Binary cross-entropy. @example new BinaryCrossentropy({ fromLogits: true }).compute([[0, 1]], [[-2, 2]]) */
export class BinaryCrossentropy extends CrossentropyLoss {
  constructor(opts: LossOptions & CrossentropyOptions = {}) {
    super(opts, "binary_crossentropy");
  }
  call(yTrue: LossInput, yPred: LossInput): Tracer {
    return binaryCrossentropy(yTrue, yPred, this);
  }
}

/** Binary focal cross-entropy. @example new BinaryFocalCrossentropy({ gamma: 2 }).compute([[1]], [[0.5]]) */
export class BinaryFocalCrossentropy extends CrossentropyLoss {
  readonly applyClassBalancing: boolean;
  readonly alpha: number;
  readonly gamma: number;
  constructor(opts: LossOptions & BinaryFocalOptions = {}) {
    super(opts, "binary_focal_crossentropy");
    this.applyClassBalancing = opts.applyClassBalancing ?? false;
    this.alpha = opts.alpha ?? 0.25;
    this.gamma = opts.gamma ?? 2;
  }
  call(yTrue: LossInput, yPred: LossInput): Tracer {
    return binaryFocalCrossentropy(yTrue, yPred, this);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), applyClassBalancing: this.applyClassBalancing, alpha: this.alpha, gamma: this.gamma };
  }
}

/** Categorical cross-entropy of one-hot labels. @example new CategoricalCrossentropy().compute([[0, 1]], [[0.2, 0.8]]) // −log 0.8 */
export class CategoricalCrossentropy extends CrossentropyLoss {
  constructor(opts: LossOptions & CrossentropyOptions = {}) {
    super(opts, "categorical_crossentropy");
  }
  call(yTrue: LossInput, yPred: LossInput): Tracer {
    return categoricalCrossentropy(yTrue, yPred, this);
  }
}

/** Cross-entropy of integer labels. @example new SparseCategoricalCrossentropy({ fromLogits: true }).compute([1], [[0, 0]]) // log 2 */
export class SparseCategoricalCrossentropy extends Loss {
  readonly fromLogits: boolean;
  readonly ignoreClass: number | null;
  constructor(opts: LossOptions & Omit<SparseCrossentropyOptions, "axis"> = {}) {
    super(opts, "sparse_categorical_crossentropy");
    this.fromLogits = opts.fromLogits ?? false;
    this.ignoreClass = opts.ignoreClass ?? null;
    if (this.ignoreClass !== null && !Number.isInteger(this.ignoreClass)) {
      throw new RangeError(`losses.SparseCategoricalCrossentropy: ignoreClass must be an integer or null; received ${JSON.stringify(this.ignoreClass)}.`);
    }
  }
  call(yTrue: LossInput, yPred: LossInput): Tracer {
    return sparseCategoricalCrossentropy(yTrue, yPred, this);
  }
  override callMasked(yTrue: LossInput, yPred: LossInput): { values: Tracer; mask?: Tracer } {
    return sparseCategoricalCrossentropyMasked(yTrue, yPred, this);
  }
  override getConfig(): Config {
    return { ...super.getConfig(), fromLogits: this.fromLogits, ignoreClass: this.ignoreClass };
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LossClass = new (opts?: any) => Loss;
const CLASSES: Readonly<Record<string, LossClass>> = {
  MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Huber, LogCosh,
  BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence,
  Poisson, CosineSimilarity, Hinge, SquaredHinge, CategoricalHinge,
};
/** Keras' string identifiers (function names and aliases) → class names. */
const ALIASES: Readonly<Record<string, string>> = {
  mean_squared_error: "MeanSquaredError", mse: "MeanSquaredError", MSE: "MeanSquaredError",
  mean_absolute_error: "MeanAbsoluteError", mae: "MeanAbsoluteError", MAE: "MeanAbsoluteError",
  mean_absolute_percentage_error: "MeanAbsolutePercentageError", mape: "MeanAbsolutePercentageError", MAPE: "MeanAbsolutePercentageError",
  mean_squared_logarithmic_error: "MeanSquaredLogarithmicError", msle: "MeanSquaredLogarithmicError", MSLE: "MeanSquaredLogarithmicError",
  huber: "Huber", huber_loss: "Huber", log_cosh: "LogCosh", logcosh: "LogCosh",
  binary_crossentropy: "BinaryCrossentropy", bce: "BinaryCrossentropy", BCE: "BinaryCrossentropy",
  binary_focal_crossentropy: "BinaryFocalCrossentropy", categorical_crossentropy: "CategoricalCrossentropy",
  sparse_categorical_crossentropy: "SparseCategoricalCrossentropy",
  kl_divergence: "KLDivergence", kld: "KLDivergence", KLD: "KLDivergence", poisson: "Poisson",
  cosine_similarity: "CosineSimilarity", hinge: "Hinge", squared_hinge: "SquaredHinge", categorical_hinge: "CategoricalHinge",
};

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const known = () => [...Object.keys(CLASSES), ...Object.keys(ALIASES)].map((k) => `"${k}"`).join(", ");

function classNamed(op: string, id: string): LossClass {
  const name = own(CLASSES, id) ? id : own(ALIASES, id) ? ALIASES[id] : undefined;
  if (name === undefined) throw new TypeError(`${op}: unknown loss ${JSON.stringify(id)}; known losses: ${known()}. Pass a Loss instance or a function (yTrue, yPred) => Array for others.`);
  return CLASSES[name];
}

/**
 * A Loss from a Keras identifier (class name, snake_case name, alias such as "mse"), a Loss
 * (returned as is), or a per-sample function (wrapped).
 *
 * @example losses.get("sparse_categorical_crossentropy") // SparseCategoricalCrossentropy
 */
export function get(id: string | Loss | LossFn): Loss {
  if (id instanceof Loss) return id;
  if (typeof id === "function") return new LossFunctionWrapper(id);
  if (typeof id !== "string") throw new TypeError(`losses.get: expected a string, a Loss or a function; received ${id === null ? "null" : typeof id}.`);
  return new (classNamed("losses.get", id))();
}

/** Same as `get`. @example getLoss("mse") */
export const getLoss = get;

/** The serialized form of a loss. */
export interface SerializedLoss {
  readonly className: string;
  readonly config: Config;
}

/**
 * `{ className, config }` of a built-in loss (wrapped custom functions cannot be serialized).
 *
 * @example losses.serialize(new Huber({ delta: 2 })) // { className: "Huber", config: { name: "huber_loss", ... } }
 */
export function serialize(loss: Loss): SerializedLoss {
  const className = Object.keys(CLASSES).find((k) => loss.constructor === CLASSES[k]);
  if (className === undefined) {
    throw new TypeError(`losses.serialize: only the built-in losses can be serialized (${Object.keys(CLASSES).join(", ")}); received ${loss.constructor.name}. Rebuild custom losses in code after loading.`);
  }
  return { className, config: loss.getConfig() };
}

/**
 * Rebuilds a loss from `serialize`'s output (or a string identifier). Only built-in classes are
 * accepted and every config entry is type-checked against the class' own config; nothing in
 * the input is evaluated.
 *
 * @example losses.deserialize({ className: "Huber", config: { delta: 2 } })
 */
export function deserialize(x: string | SerializedLoss): Loss {
  const op = "losses.deserialize";
  if (typeof x === "string") return get(x);
  if (typeof x !== "object" || x === null || typeof x.className !== "string") {
    throw new TypeError(`${op}: expected { className: string, config: object }; received ${x === null ? "null" : typeof x}.`);
  }
  const Cls = classNamed(op, x.className);
  const config = x.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new TypeError(`${op}: config of ${x.className} must be an object.`);
  checkConfig(op, x.className, config, new Cls().getConfig());
  return new Cls(config);
}

/** Every key of `config` must exist in `reference` with a value of the same JSON type. */
export function checkConfig(op: string, className: string, config: Config, reference: Config): void {
  for (const [k, v] of Object.entries(config)) {
    if (!own(reference, k)) throw new TypeError(`${op}: unknown config key "${k}" for ${className}; expected keys: ${Object.keys(reference).join(", ")}.`);
    const ref = reference[k];
    // A null default (an unset option) admits a number, a string or a list of numbers; the constructor checks the value.
    const okType =
      ref === null
        ? v === null || typeof v === "number" || typeof v === "string" || (Array.isArray(v) && v.every((n) => typeof n === "number"))
        : typeof v === typeof ref && (v === null) === (ref === null) && Array.isArray(v) === Array.isArray(ref);
    if (!okType) throw new TypeError(`${op}: config key "${k}" of ${className} must be ${ref === null ? "null, a number, a string or a list of numbers" : `a ${typeof ref}`}; received ${JSON.stringify(v)}.`);
  }
}
