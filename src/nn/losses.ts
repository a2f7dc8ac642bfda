/**
 * @file Keras 3 `Loss` classes (keras/src/losses, pinned 3.5): sample weights and reductions
 * over the per-sample functions of loss-functions.ts (re-exported here), plus `get` /
 * `serialize` / `deserialize`.
 *
 * @example
 *   const loss = new losses.SparseCategoricalCrossentropy({ fromLogits: true });
 *   const l = loss.compute(labels, logits); // scalar: the mean over the batch
 */
import { np, ShapeError, type Tracer } from "../index.js";
import {
  type BinaryFocalOptions, type Config, type CrossentropyOptions, EPSILON, type HuberOptions, type LossAxisOptions, type LossFn,
  type LossInput, type SparseCrossentropyOptions, binaryCrossentropy, binaryFocalCrossentropy, categoricalCrossentropy,
  categoricalHinge, checkSmoothing, cosineSimilarity, divideNoNan, fmt, hinge, huber, klDivergence, logCosh, meanAbsoluteError,
  meanAbsolutePercentageError, meanSquaredError, meanSquaredLogarithmicError, poisson, sparseCategoricalCrossentropy,
  sparseCategoricalCrossentropyMasked, squaredHinge, squeezeOrExpand,
} from "./loss-functions.js";
export {
  type LossInput, type LossFn, type JsonValue, type Config, EPSILON, squeezeOrExpand, pair, divideNoNan, meanSquaredError,
  meanAbsoluteError, meanAbsolutePercentageError, meanSquaredLogarithmicError, type HuberOptions, huber, logCosh, klDivergence,
  poisson, type LossAxisOptions, cosineSimilarity, hinge, squaredHinge, categoricalHinge, type CrossentropyOptions,
  binaryCrossentropy, type BinaryFocalOptions, binaryFocalCrossentropy, categoricalCrossentropy, type SparseCrossentropyOptions,
  sparseCategoricalCrossentropyMasked, sparseCategoricalCrossentropy,
} from "./loss-functions.js";
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
