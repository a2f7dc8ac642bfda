/**
 * @file Keras 3 metrics (keras/src/metrics, pinned 3.5): the `Metric` base with a pure core
 * (`initState`, `statelessUpdate`, `statelessResult`: traceable functions of a state pytree,
 * so the trainer can update metrics inside its one jitted step) under a thin stateful facade
 * (`updateState`, `result`, `resetState`); `Mean`, `Sum`, the accuracy family, top-k, MSE /
 * MAE / RMSE; and `get` / `getMetric` / `serialize` / `deserialize` over a registry that
 * metrics-confusion.ts extends with Precision, Recall, AUC, F1 and MeanIoU.
 *
 * @example
 *   const acc = new metrics.SparseCategoricalAccuracy();
 *   acc.updateState([1, 0], [[0.1, 0.9], [0.8, 0.2]]);
 *   acc.result(); // 1
 */
import { np, tidy, keep, ConcreteArray, ShapeError, treeLeaves, type Tracer } from "../index.js";
import { floating, type ActivationInput } from "./activations.js";
import * as losses from "./losses.js";
import { checkConfig, divideNoNan, type Config, squeezeOrExpand } from "./losses.js";

/** Inputs of the metrics: Arrays, numbers or nested JS arrays. */
export type MetricInput = ActivationInput;
/** The state of a metric: named Arrays (a pytree). */
export type MetricState = Readonly<Record<string, Tracer>>;
/** A per-sample metric function, averaged by `MeanMetricWrapper`. */
export type MetricFn = (yTrue: MetricInput, yPred: MetricInput) => Tracer;

const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;
const zeros = (shape: readonly number[] = []) => np.zeros(shape, { dtype: "float32" });

/**
 * A Keras metric. Subclasses define the pure core; the stateful methods keep the current state
 * (concrete Arrays, outside any `tidy` scope) and are not meant to be called inside `jit`.
 *
 * @example
 *   const m = new metrics.Mean();
 *   let s = m.initState();
 *   s = m.statelessUpdate(s, [1, 3]);
 *   m.statelessResult(s); // 2
 */
export abstract class Metric {
  readonly name: string;
  #state: MetricState | null = null;
  #built = false;

  constructor(name: string) {
    if (typeof name !== "string") throw new TypeError(`metrics.${new.target.name}: name must be a string; received ${typeof name}.`);
    this.name = name;
  }

  /** A fresh (zero) state. */
  abstract initState(): MetricState;
  /** The state after one batch. Traceable. */
  abstract statelessUpdate(state: MetricState, yTrue: MetricInput, yPred?: MetricInput, sampleWeight?: MetricInput | null): MetricState;
  /** The metric's value for a state. Traceable. */
  abstract statelessResult(state: MetricState): Tracer;

  /** Fixes shapes a metric learns from its first batch (F1Score's number of classes); idempotent. */
  build(_yTrueShape: readonly number[], _yPredShape: readonly number[]): void {
    this.#built = true;
  }
  get built(): boolean {
    return this.#built;
  }

  /** The current state (a fresh one before the first update). */
  get state(): MetricState {
    this.#state ??= keepAll(tidy(() => this.initState()));
    return this.#state;
  }
  /** Replaces the state (e.g. with the one a jitted training step returned). */
  set state(next: MetricState) {
    const old = this.#state;
    this.#state = keepAll(next);
    if (old) {
      const kept = new Set(treeLeaves(next));
      for (const leaf of treeLeaves(old) as Tracer[]) if (!kept.has(leaf)) leaf.dispose();
    }
  }

  /** Accumulates one batch. Keras' `update_state(y_true, y_pred, sample_weight)`. */
  updateState(yTrue: MetricInput, yPred?: MetricInput, sampleWeight?: MetricInput | null): void {
    this.state = tidy(() => {
      const t = np.asarray(yTrue);
      const p = yPred === undefined ? undefined : np.asarray(yPred);
      if (!this.#built) this.build(t.shape, p?.shape ?? []);
      return this.statelessUpdate(this.state, t, p, sampleWeight);
    });
  }

  /** The metric's current value. */
  result(): Tracer {
    return tidy(() => this.statelessResult(this.state));
  }

  /** Back to the initial state (Keras resets metrics at the start of each epoch). */
  resetState(): void {
    // Lazily re-initialized: a metric that learns its shapes from the first batch may not know them yet.
    for (const leaf of treeLeaves(this.#state ?? {}) as Tracer[]) leaf.dispose();
    this.#state = null;
  }

  /** JSON config; see `serialize`. */
  getConfig(): Config {
    return { name: this.name };
  }
}

function keepAll(state: MetricState): MetricState {
  for (const leaf of treeLeaves(state)) if (leaf instanceof ConcreteArray) keep(leaf);
  return state;
}

/**
 * Keras' `reduce_to_samplewise_values`: per-sample values (reduced over the axes the weights do
 * not have) multiplied by the weights, and the weights per sample.
 */
function samplewise(values: Tracer, sampleWeight: MetricInput | null | undefined, fn: "mean" | "sum"): [Tracer, Tracer | undefined] {
  const reduce = (x: Tracer, from: number) => (x.ndim > from ? np[fn](x, { axis: [...Array(x.ndim - from).keys()].map((i) => i + from) }) : x);
  let v = values.astype("float32");
  let w: Tracer | undefined;
  if (sampleWeight !== undefined && sampleWeight !== null) {
    w = np.asarray(sampleWeight).astype("float32");
    [v, w] = squeezeOrExpand(v, w);
    const wNdim = w.ndim;
    v = reduce(v, wNdim);
    try {
      w = np.broadcastTo(w, v.shape);
    } catch {
      throw new ShapeError(`metrics: sampleWeight of shape ${fmt(w.shape)} does not broadcast to the per-sample values of shape ${fmt(v.shape)}; pass one weight per sample.`);
    }
    v = v.mul(w);
    if (wNdim > 1) w = reduce(w, 1);
  }
  return [reduce(v, 1), w];
}

const meanInit = (): MetricState => ({ total: zeros(), count: zeros() });
function meanUpdate(s: MetricState, values: Tracer, sampleWeight?: MetricInput | null): MetricState {
  const [v, w] = samplewise(values, sampleWeight, "mean");
  const n = w !== undefined ? np.sum(w) : v.ndim >= 1 ? v.shape[0] : 1;
  return { total: s.total.add(np.sum(v)), count: s.count.add(n) };
}
const meanResult = (s: MetricState): Tracer => divideNoNan(s.total, s.count);

/**
 * The (weighted) mean of all values seen: the trainer's loss tracker.
 *
 * @example const m = new Mean(); m.updateState([1, 3, 5, 7], [1, 0, 0, 1]); m.result() // 4
 */
export class Mean extends Metric {
  constructor(opts: { readonly name?: string } = {}) {
    super(opts.name ?? "mean");
  }
  initState(): MetricState {
    return meanInit();
  }
  /** Adds `values` (one per sample, or more axes that are averaged per sample). */
  statelessUpdate(state: MetricState, values: MetricInput, sampleWeight?: MetricInput | null): MetricState {
    return meanUpdate(state, floating(values), sampleWeight);
  }
  override updateState(values: MetricInput, sampleWeight?: MetricInput | null): void {
    super.updateState(values, sampleWeight ?? undefined);
  }
  statelessResult(state: MetricState): Tracer {
    return meanResult(state);
  }
}

/**
 * The (weighted) sum of all values seen.
 *
 * @example const m = new Sum(); m.updateState([1, 3, 5, 7]); m.result() // 16
 */
export class Sum extends Metric {
  constructor(opts: { readonly name?: string } = {}) {
    super(opts.name ?? "sum");
  }
  initState(): MetricState {
    return { total: zeros() };
  }
  statelessUpdate(state: MetricState, values: MetricInput, sampleWeight?: MetricInput | null): MetricState {
    return { total: state.total.add(np.sum(samplewise(floating(values), sampleWeight, "sum")[0])) };
  }
  override updateState(values: MetricInput, sampleWeight?: MetricInput | null): void {
    super.updateState(values, sampleWeight ?? undefined);
  }
  statelessResult(state: MetricState): Tracer {
    // A copy, so that the next update (which frees the old total) leaves the result alive.
    return state.total.mul(1);
  }
}

/**
 * The weighted mean of a per-sample function `fn(yTrue, yPred)` (Keras' MeanMetricWrapper).
 * `fnName` names a registered function so that the metric can be serialized.
 *
 * @example new MeanMetricWrapper((t, p) => losses.meanAbsoluteError(t, p), { name: "mae" })
 */
export class MeanMetricWrapper extends Metric {
  constructor(readonly fn: MetricFn, opts: { readonly name?: string } = {}, readonly fnName?: string) {
    super(opts.name ?? fnName ?? (fn.name || "mean_metric_wrapper"));
  }
  initState(): MetricState {
    return meanInit();
  }
  statelessUpdate(state: MetricState, yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput | null): MetricState {
    if (yPred === undefined) throw new TypeError(`metrics.${this.constructor.name}: statelessUpdate needs yTrue and yPred.`);
    return meanUpdate(state, this.fn(yTrue, yPred), sampleWeight);
  }
  statelessResult(state: MetricState): Tracer {
    return meanResult(state);
  }
  override getConfig(): Config {
    return this.constructor === MeanMetricWrapper ? { name: this.name, fn: this.fnName ?? null } : { name: this.name };
  }
}

export {
  accuracy, binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, topKCategoricalAccuracy, sparseTopKCategoricalAccuracy,
  accuracyByShape,
} from "./metric-functions.js";
import {
  accuracy, binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, topKCategoricalAccuracy, sparseTopKCategoricalAccuracy,
  accuracyByShape, checkK, sameShape,
} from "./metric-functions.js";

type NameOpt = { readonly name?: string };
const wrapper = (fn: MetricFn, defaultName: string) =>
  class extends MeanMetricWrapper {
    constructor(opts: NameOpt = {}) {
      super(fn, { name: opts.name ?? defaultName });
    }
  };

/** Exact-match accuracy. @example new Accuracy() */
export class Accuracy extends wrapper(accuracy, "accuracy") {}
/** Accuracy of one-hot labels. @example new CategoricalAccuracy() */
export class CategoricalAccuracy extends wrapper(categoricalAccuracy, "categorical_accuracy") {}
/** Accuracy of integer labels. @example new SparseCategoricalAccuracy() */
export class SparseCategoricalAccuracy extends wrapper(sparseCategoricalAccuracy, "sparse_categorical_accuracy") {}
/** Mean squared error as a metric. @example new MeanSquaredError() */
export class MeanSquaredError extends wrapper(losses.meanSquaredError, "mean_squared_error") {}
/** Mean absolute error as a metric. @example new MeanAbsoluteError() */
export class MeanAbsoluteError extends wrapper(losses.meanAbsoluteError, "mean_absolute_error") {}

/** Accuracy of 0/1 labels against `yPred > threshold` (default 0.5). @example new BinaryAccuracy({ threshold: 0.7 }) */
export class BinaryAccuracy extends MeanMetricWrapper {
  readonly threshold: number;
  constructor(opts: NameOpt & { readonly threshold?: number } = {}) {
    const threshold = opts.threshold ?? 0.5;
    super((t, p) => binaryAccuracy(t, p, { threshold }), { name: opts.name ?? "binary_accuracy" });
    this.threshold = threshold;
  }
  override getConfig(): Config {
    return { name: this.name, threshold: this.threshold };
  }
}

/** Top-k accuracy of one-hot labels (default k = 5). @example new TopKCategoricalAccuracy({ k: 3 }) */
export class TopKCategoricalAccuracy extends MeanMetricWrapper {
  readonly k: number;
  constructor(opts: NameOpt & { readonly k?: number } = {}) {
    const k = checkK("metrics.TopKCategoricalAccuracy", opts.k ?? 5);
    super((t, p) => topKCategoricalAccuracy(t, p, { k }), { name: opts.name ?? "top_k_categorical_accuracy" });
    this.k = k;
  }
  override getConfig(): Config {
    return { name: this.name, k: this.k };
  }
}

/** Top-k accuracy of integer labels (default k = 5). @example new SparseTopKCategoricalAccuracy({ k: 3 }) */
export class SparseTopKCategoricalAccuracy extends MeanMetricWrapper {
  readonly k: number;
  constructor(opts: NameOpt & { readonly k?: number } = {}) {
    const k = checkK("metrics.SparseTopKCategoricalAccuracy", opts.k ?? 5);
    super((t, p) => sparseTopKCategoricalAccuracy(t, p, { k }), { name: opts.name ?? "sparse_top_k_categorical_accuracy" });
    this.k = k;
  }
  override getConfig(): Config {
    return { name: this.name, k: this.k };
  }
}

/**
 * `sqrt` of the weighted mean of squared errors over all entries seen.
 *
 * @example const m = new RootMeanSquaredError(); m.updateState([[0, 1]], [[1, 1]]); m.result() // √0.5
 */
export class RootMeanSquaredError extends Metric {
  constructor(opts: NameOpt = {}) {
    super(opts.name ?? "root_mean_squared_error");
  }
  initState(): MetricState {
    return meanInit();
  }
  statelessUpdate(state: MetricState, yTrue: MetricInput, yPred: MetricInput, sampleWeight?: MetricInput | null): MetricState {
    const p0 = floating(yPred);
    const [t, p] = squeezeOrExpand(np.asarray(yTrue).astype(p0.dtype), p0);
    sameShape("metrics.RootMeanSquaredError", t, p);
    return meanUpdate(state, p.sub(t).square(), sampleWeight);
  }
  statelessResult(state: MetricState): Tracer {
    return np.sqrt(meanResult(state));
  }
}

/** Per-sample functions a metric can be named by (Keras' metric and loss function names). */
const FUNCTIONS: Readonly<Record<string, MetricFn>> = {
  accuracy, binary_accuracy: binaryAccuracy, categorical_accuracy: categoricalAccuracy,
  sparse_categorical_accuracy: sparseCategoricalAccuracy, top_k_categorical_accuracy: topKCategoricalAccuracy,
  sparse_top_k_categorical_accuracy: sparseTopKCategoricalAccuracy, auto_accuracy: accuracyByShape,
  mean_squared_error: losses.meanSquaredError, mean_absolute_error: losses.meanAbsoluteError,
  mean_absolute_percentage_error: losses.meanAbsolutePercentageError, mean_squared_logarithmic_error: losses.meanSquaredLogarithmicError,
  binary_crossentropy: losses.binaryCrossentropy, binary_focal_crossentropy: losses.binaryFocalCrossentropy,
  categorical_crossentropy: losses.categoricalCrossentropy, sparse_categorical_crossentropy: losses.sparseCategoricalCrossentropy,
  kl_divergence: losses.klDivergence, poisson: losses.poisson, cosine_similarity: losses.cosineSimilarity, log_cosh: losses.logCosh,
  huber: losses.huber, hinge: losses.hinge, squared_hinge: losses.squaredHinge, categorical_hinge: losses.categoricalHinge,
};
const FN_ALIASES: Readonly<Record<string, string>> = {
  mse: "mean_squared_error", MSE: "mean_squared_error", mae: "mean_absolute_error", MAE: "mean_absolute_error",
  mape: "mean_absolute_percentage_error", MAPE: "mean_absolute_percentage_error", msle: "mean_squared_logarithmic_error",
  MSLE: "mean_squared_logarithmic_error", bce: "binary_crossentropy", BCE: "binary_crossentropy", kld: "kl_divergence", KLD: "kl_divergence",
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type MetricClass = abstract new (...args: any[]) => Metric;
interface Entry {
  readonly cls: MetricClass;
  readonly snakeName: string;
  /** Builds from a (checked) config. */
  readonly make: (config: Config) => Metric;
  /** The config of a default instance: the keys and JSON types `deserialize` accepts. */
  readonly reference: () => Config;
}
const REGISTRY = new Map<string, Entry>();

/**
 * Adds a metric class to the identifiers of `get` / `deserialize` (by class name and snake_case
 * name). `make` builds it from a config (default `new cls(config)`).
 *
 * @example registerMetric("MyMetric", "my_metric", MyMetric)
 */
export function registerMetric(
  className: string, snakeName: string, cls: MetricClass,
  make: (config: Config) => Metric = (c) => new (cls as unknown as new (c: Config) => Metric)(c),
  reference: () => Config = () => make({}).getConfig(),
): void {
  REGISTRY.set(className, { cls, snakeName, make, reference });
}

registerMetric("Mean", "mean", Mean);
registerMetric("Sum", "sum", Sum);
registerMetric("Accuracy", "accuracy", Accuracy);
registerMetric("BinaryAccuracy", "binary_accuracy", BinaryAccuracy);
registerMetric("CategoricalAccuracy", "categorical_accuracy", CategoricalAccuracy);
registerMetric("SparseCategoricalAccuracy", "sparse_categorical_accuracy", SparseCategoricalAccuracy);
registerMetric("TopKCategoricalAccuracy", "top_k_categorical_accuracy", TopKCategoricalAccuracy);
registerMetric("SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy", SparseTopKCategoricalAccuracy);
registerMetric("MeanSquaredError", "mean_squared_error", MeanSquaredError);
registerMetric("MeanAbsoluteError", "mean_absolute_error", MeanAbsoluteError);
registerMetric("RootMeanSquaredError", "root_mean_squared_error", RootMeanSquaredError);

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const knownIds = () =>
  ["accuracy", "acc", ...REGISTRY.keys(), ...[...REGISTRY.values()].map((e) => e.snakeName), ...Object.keys(FUNCTIONS).filter((k) => k !== "auto_accuracy"), ...Object.keys(FN_ALIASES)]
    .filter((k, i, all) => all.indexOf(k) === i)
    .map((k) => `"${k}"`)
    .join(", ");

function entryNamed(id: string): Entry | undefined {
  return REGISTRY.get(id) ?? [...REGISTRY.values()].find((e) => e.snakeName === id);
}

/** What `get` accepts as the loss that decides "accuracy". */
export type LossLike = losses.Loss | string | losses.LossFn;

function accuracyFor(id: string, loss?: LossLike): Metric {
  let l: losses.Loss | undefined;
  try {
    l = loss === undefined ? undefined : losses.get(loss);
  } catch {
    l = undefined;
  }
  // As Keras 2's compile: the loss decides. BinaryAccuracy keeps Keras' 0.5 threshold even for logits.
  if (l instanceof losses.SparseCategoricalCrossentropy) return new SparseCategoricalAccuracy({ name: id });
  if (l instanceof losses.CategoricalCrossentropy) return new CategoricalAccuracy({ name: id });
  if (l instanceof losses.BinaryCrossentropy || l instanceof losses.BinaryFocalCrossentropy) return new BinaryAccuracy({ name: id });
  return new MeanMetricWrapper(accuracyByShape, { name: id }, "auto_accuracy");
}

/**
 * A Metric from an identifier, as Keras' `compile(metrics=[...])` resolves them: a Metric
 * (returned as is), a per-sample function (averaged), "accuracy" / "acc" (chosen by `loss`:
 * sparse categorical → SparseCategoricalAccuracy, categorical → CategoricalAccuracy, binary →
 * BinaryAccuracy; otherwise from the shapes of each batch as Keras 3), class names,
 * snake_case names and function names or aliases ("mse", "mae", ...). A string names the metric.
 *
 * @example metrics.get("accuracy", { loss: "sparse_categorical_crossentropy" }) // SparseCategoricalAccuracy named "accuracy"
 */
export function get(id: string | Metric | MetricFn, opts: { readonly loss?: LossLike } = {}): Metric {
  if (id instanceof Metric) return id;
  if (typeof id === "function") return new MeanMetricWrapper(id);
  if (typeof id !== "string") throw new TypeError(`metrics.get: expected a string, a Metric or a function; received ${id === null ? "null" : typeof id}.`);
  // Keras compares case-insensitively, so "Accuracy" is resolved the same way.
  if (id.toLowerCase() === "accuracy" || id.toLowerCase() === "acc") return accuracyFor(id, opts.loss);
  const entry = entryNamed(id);
  if (entry) return entry.make({ name: id });
  const fnName = own(FUNCTIONS, id) ? id : own(FN_ALIASES, id) ? FN_ALIASES[id] : undefined;
  if (fnName !== undefined && fnName !== "auto_accuracy") return new MeanMetricWrapper(FUNCTIONS[fnName], { name: id }, fnName);
  throw new TypeError(`metrics.get: unknown metric ${JSON.stringify(id)}; known metrics: ${knownIds()}. Pass a Metric instance or a function (yTrue, yPred) => Array for others.`);
}

/** Same as `get`. @example getMetric("acc", { loss: new losses.BinaryCrossentropy() }) // BinaryAccuracy */
export const getMetric = get;

/** The serialized form of a metric. */
export interface SerializedMetric {
  readonly className: string;
  readonly config: Config;
}

/**
 * `{ className, config }` of a built-in metric (or a MeanMetricWrapper of a named function).
 *
 * @example metrics.serialize(new BinaryAccuracy({ threshold: 0.7 })) // { className: "BinaryAccuracy", config: { name, threshold: 0.7 } }
 */
export function serialize(metric: Metric): SerializedMetric {
  if (metric.constructor === MeanMetricWrapper) {
    const w = metric as MeanMetricWrapper;
    if (w.fnName === undefined || !own(FUNCTIONS, w.fnName)) {
      throw new TypeError(`metrics.serialize: a MeanMetricWrapper of a custom function cannot be serialized; rebuild it in code after loading.`);
    }
    return { className: "MeanMetricWrapper", config: w.getConfig() };
  }
  for (const [className, e] of REGISTRY) if (e.cls === metric.constructor) return { className, config: metric.getConfig() };
  throw new TypeError(`metrics.serialize: only the built-in metrics can be serialized (${[...REGISTRY.keys()].join(", ")}); received ${metric.constructor.name}.`);
}

/**
 * Rebuilds a metric from `serialize`'s output (or a string identifier). Only registered classes
 * and named functions are accepted; config entries are type-checked; nothing is evaluated.
 *
 * @example metrics.deserialize({ className: "BinaryAccuracy", config: { threshold: 0.7 } })
 */
export function deserialize(x: string | SerializedMetric): Metric {
  const op = "metrics.deserialize";
  if (typeof x === "string") return get(x);
  if (typeof x !== "object" || x === null || typeof x.className !== "string") {
    throw new TypeError(`${op}: expected { className: string, config: object }; received ${x === null ? "null" : typeof x}.`);
  }
  const config = x.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new TypeError(`${op}: config of ${x.className} must be an object.`);
  if (x.className === "MeanMetricWrapper") {
    checkConfig(op, x.className, config, { name: "", fn: "" });
    const fn = config.fn;
    if (typeof fn !== "string" || !own(FUNCTIONS, fn)) {
      throw new TypeError(`${op}: MeanMetricWrapper needs config.fn naming one of ${Object.keys(FUNCTIONS).join(", ")}; received ${JSON.stringify(fn ?? null)}.`);
    }
    return new MeanMetricWrapper(FUNCTIONS[fn], { name: typeof config.name === "string" ? config.name : fn }, fn);
  }
  const entry = REGISTRY.get(x.className);
  if (!entry) throw new TypeError(`${op}: unknown metric class ${JSON.stringify(x.className)}; known classes: ${[...REGISTRY.keys(), "MeanMetricWrapper"].join(", ")}.`);
  checkConfig(op, x.className, config, entry.reference());
  return entry.make(config);
}
