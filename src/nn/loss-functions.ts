/**
 * @file Keras 3 per-sample loss functions (keras/src/losses, pinned 3.5): each reduces only the
 * last axis (`meanSquaredError(yTrue, yPred)` gives one value per sample). Written with
 * `np`/`lax`, so they trace under `jit` and `grad`. Probability inputs are clipped to
 * [1e-7, 1 − 1e-7] like Keras; `fromLogits` paths use logSoftmax / log-sigmoid, so their
 * gradients stay finite for any logits. The `Loss` classes over them are in losses.ts.
 *
 * @example losses.sparseCategoricalCrossentropy([1], [[0.1, 0.9]]) // [0.1054]
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

/** A shape as `[2, 3]` in messages. */
export const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;

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

export function checkSmoothing(op: string, s: number): number {
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
