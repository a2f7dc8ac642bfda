/**
 * @file Normalizing and encoding functions of `jax.nn` (jax 0.4.30): softmax and logSoftmax
 * (shifted by the stopped maximum, so large logits neither overflow nor change the gradient),
 * oneHot and standardize; and the weight initializers of the `random` namespace, gathered as
 * `initializers`.
 */
import { np, lax, random, stopGradient, type DType, type Tracer } from "../index.js";
import { type ActivationInput, floating } from "./activations.js";

/** An axis or axes to normalize over (default -1). */
export interface AxisOptions {
  readonly axis?: number | readonly number[];
}

function shifted(op: string, x: ActivationInput, opts: AxisOptions): [Tracer, AxisOptions["axis"]] {
  const a = floating(x);
  const axis = opts.axis ?? -1;
  for (const ax of typeof axis === "number" ? [axis] : axis) {
    if (!Number.isInteger(ax) || ax < -a.ndim || ax >= a.ndim) {
      throw new RangeError(`${op}: axis ${ax} is out of range for an array of rank ${a.ndim}; use an axis in [-${a.ndim}, ${a.ndim - 1}]${a.ndim === 0 ? " (reshape a scalar to [1] first)" : ""}.`);
    }
  }
  // Softmax is invariant to the shift, so the maximum needs no gradient.
  return [a.sub(stopGradient(np.max(a, { axis, keepdims: true }))), axis];
}

/**
 * `exp(x) / sum(exp(x))` over `axis` (default -1), computed as `exp(x − max)` normalized.
 *
 * @example softmax(np.array([[1, 1], [0, 1000]])) // [[0.5, 0.5], [0, 1]]
 */
export function softmax(x: ActivationInput, opts: AxisOptions = {}): Tracer {
  const [s, axis] = shifted("nn.softmax", x, opts);
  const e = s.exp();
  return e.div(np.sum(e, { axis, keepdims: true }));
}

/**
 * `x − log(sum(exp(x)))` over `axis` (default -1), finite for large logits.
 *
 * @example logSoftmax(np.array([0, 0])) // [-0.6931472, -0.6931472]
 */
export function logSoftmax(x: ActivationInput, opts: AxisOptions = {}): Tracer {
  const [s, axis] = shifted("nn.logSoftmax", x, opts);
  return s.sub(np.log(np.sum(s.exp(), { axis, keepdims: true })));
}

/** Options of `oneHot`. */
export interface OneHotOptions {
  /** Default float32. */
  readonly dtype?: DType;
  /** Where the new class axis goes (default -1, the end). */
  readonly axis?: number;
}

/**
 * One-hot encodes integer labels: a new axis of size `numClasses` with 1 at each label.
 * Labels outside `[0, numClasses)` give a row of zeros, as in JAX.
 *
 * @example oneHot(np.array([0, 2], { dtype: "int32" }), 3) // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(labels: ActivationInput, numClasses: number, opts: OneHotOptions = {}): Tracer {
  if (!Number.isInteger(numClasses) || numClasses < 0) {
    throw new RangeError(`nn.oneHot: numClasses must be an integer >= 0; received ${String(numClasses)}.`);
  }
  const lab = np.asarray(labels);
  const axis = opts.axis ?? -1;
  const rank = lab.ndim + 1;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(`nn.oneHot: axis ${axis} is out of range for the rank-${rank} result.`);
  }
  const classes = lax.iota("int32", [numClasses]);
  const hot = np.equal(np.expandDims(lab, -1), classes).astype(opts.dtype ?? "float32");
  const at = axis < 0 ? axis + rank : axis;
  return at === rank - 1 ? hot : np.moveaxis(hot, -1, at);
}

/** Options of `standardize`. */
export interface StandardizeOptions extends AxisOptions {
  /** Precomputed mean (default: the mean over `axis`). */
  readonly mean?: ActivationInput;
  /** Precomputed variance (default: the variance over `axis`). */
  readonly variance?: ActivationInput;
  /** Added to the variance. Default 1e-5. */
  readonly epsilon?: number;
}

/**
 * `(x − mean) / √(variance + ε)` over `axis` (default -1): zero mean, unit variance.
 *
 * @example standardize(np.array([1, 3])) // [-0.999995, 0.999995]
 */
export function standardize(x: ActivationInput, opts: StandardizeOptions = {}): Tracer {
  const a = floating(x);
  const axis = opts.axis ?? -1;
  const mean = opts.mean === undefined ? np.mean(a, { axis, keepdims: true }) : np.asarray(opts.mean);
  const variance =
    opts.variance === undefined ? np.mean(np.square(a.sub(mean)), { axis, keepdims: true }) : np.asarray(opts.variance);
  return a.sub(mean).mul(lax.rsqrt(variance.add(opts.epsilon ?? 1e-5)));
}

type Key = Parameters<typeof random.glorotUniform>[0];

/**
 * An initializer of zeros (the key is ignored).
 *
 * @example initializers.zeros(key, [2, 3])
 */
const zeros = (_key: Key, shape: readonly number[], dtype: DType = "float32"): Tracer => np.zeros(shape, { dtype });
/** An initializer of ones. @example initializers.ones(key, [3]) */
const ones = (_key: Key, shape: readonly number[], dtype: DType = "float32"): Tracer => np.ones(shape, { dtype });
/** An initializer that fills with `value`. @example initializers.constant(0.1)(key, [3]) */
const constant =
  (value: number) =>
  (_key: Key, shape: readonly number[], dtype: DType = "float32"): Tracer =>
    np.full(shape, value, { dtype });

/**
 * An initializer drawing N(0, stddev²) (default 0.01, as jax.nn.initializers.normal).
 *
 * @example initializers.normal(0.02)(key, [4, 4])
 */
const normal =
  (stddev = 0.01) =>
  (key: Key, shape: readonly number[], dtype: DType = "float32"): Tracer =>
    random.normal(key, shape, { dtype }).mul(stddev);

/**
 * An initializer drawing U[0, scale) (default 0.01, as jax.nn.initializers.uniform).
 *
 * @example initializers.uniform(0.1)(key, [4])
 */
const uniform =
  (scale = 0.01) =>
  (key: Key, shape: readonly number[], dtype: DType = "float32"): Tracer =>
    random.uniform(key, shape, { dtype }).mul(scale);

/**
 * Weight initializers, `(key, shape, dtype?) => Array`, as `jax.nn.initializers`: the variance
 * scaling family of the `random` namespace plus constants and plain normal / uniform draws.
 *
 * @example const w = initializers.glorotUniform(random.key(0), [784, 128]);
 */
export const initializers = {
  varianceScaling: random.varianceScaling,
  computeFans: random.computeFans,
  glorotUniform: random.glorotUniform,
  glorotNormal: random.glorotNormal,
  lecunUniform: random.lecunUniform,
  lecunNormal: random.lecunNormal,
  heUniform: random.heUniform,
  heNormal: random.heNormal,
  xavierUniform: random.glorotUniform,
  xavierNormal: random.glorotNormal,
  kaimingUniform: random.heUniform,
  kaimingNormal: random.heNormal,
  zeros,
  ones,
  constant,
  normal,
  uniform,
} as const;
