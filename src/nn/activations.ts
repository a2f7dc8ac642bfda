/**
 * @file Activation functions in the style of `jax.nn` (jax 0.4.30): pure functions of Arrays,
 * written with `np` / `lax` so that they trace, differentiate and batch. Piecewise functions
 * use `where` with both branches kept finite, so that their gradients have no NaN from the
 * branch that is not taken, and the kinks get JAX's one-sided derivatives (relu'(0) = 0).
 */
import { np, lax, ShapeError, type Tracer } from "../index.js";

/** What the activations accept: Arrays, JS numbers or nested JS arrays. */
export type ActivationInput = Parameters<typeof np.asarray>[0];

/** `x` as an Array with a floating dtype (integers and booleans become float32). */
export function floating(x: ActivationInput): Tracer {
  const a = np.asarray(x);
  return a.dtype.startsWith("float") ? a : a.astype("float32");
}

/**
 * `max(x, 0)`, with derivative 0 at 0.
 *
 * @example relu(np.array([-1, 0, 2])) // [0, 0, 2]
 */
export function relu(x: ActivationInput): Tracer {
  const a = np.asarray(x);
  return np.where(a.greater(0), a, np.zerosLike(a));
}

/**
 * `min(max(x, 0), 6)`, with derivative 0 at both kinks.
 *
 * @example relu6(np.array([-1, 3, 7])) // [0, 3, 6]
 */
export function relu6(x: ActivationInput): Tracer {
  const a = np.asarray(x);
  return np.where(a.lessEqual(0), np.zerosLike(a), np.where(a.greaterEqual(6), np.fullLike(a, 6), a));
}

/**
 * The logistic function `1 / (1 + e^-x)`.
 *
 * @example sigmoid(0) // 0.5
 */
export const sigmoid = (x: ActivationInput): Tracer => lax.logistic(floating(x));

/**
 * `log(1 + e^x)`, evaluated without overflow for large |x|; its derivative is `sigmoid`.
 *
 * @example softplus(np.array([0, 100])) // [0.6931472, 100]
 */
export function softplus(x: ActivationInput): Tracer {
  const a = floating(x);
  const pos = a.greater(0);
  // Each branch sees only inputs where it is finite: x + log1p(e^-x) for x > 0, log1p(e^x) otherwise.
  const xp = np.where(pos, a, 0);
  const xn = np.where(pos, 0, a);
  return np.where(pos, xp.add(np.log1p(xp.neg().exp())), np.log1p(xn.exp()));
}

/**
 * `x / (|x| + 1)`.
 *
 * @example softSign(np.array([-3, 1])) // [-0.75, 0.5]
 */
export function softSign(x: ActivationInput): Tracer {
  const a = floating(x);
  return a.div(a.abs().add(1));
}

/**
 * SiLU (swish): `x · sigmoid(x)`.
 *
 * @example silu(np.array([0, 1])) // [0, 0.7310586]
 */
export function silu(x: ActivationInput): Tracer {
  const a = floating(x);
  return a.mul(lax.logistic(a));
}

/** Same as `silu`. @example swish(1) // 0.7310586 */
export const swish = silu;

/** Options of `gelu`. */
export interface GeluOptions {
  /** Use the tanh approximation (jax.nn's default, true) or the exact erf form (Keras' default). */
  readonly approximate?: boolean;
}

/**
 * GELU. Approximate: `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`; exact: `½x(1 + erf(x/√2))`,
 * computed as `x · erfc(−x/√2) / 2` for accuracy at negative x.
 *
 * @example gelu(np.array([1]), { approximate: false }) // [0.8413447]
 */
export function gelu(x: ActivationInput, opts: GeluOptions = {}): Tracer {
  const a = floating(x);
  if (opts.approximate ?? true) {
    const inner = a.add(a.mul(a.square()).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return a.mul(0.5).mul(np.tanh(inner).add(1));
  }
  return a.mul(lax.erfc(a.mul(-Math.SQRT1_2))).mul(0.5);
}

/** `x` for x > 0 and `f(min(x, 0))` elsewhere, keeping f's input finite. */
function negativePart(a: Tracer, f: (neg: Tracer) => Tracer): Tracer {
  const pos = a.greater(0);
  return np.where(pos, a, f(np.where(pos, 0, a)));
}

/**
 * ELU: `x` for x > 0, `α(e^x − 1)` otherwise (default α = 1).
 *
 * @example elu(np.array([-1, 2])) // [-0.6321206, 2]
 */
export function elu(x: ActivationInput, alpha = 1): Tracer {
  return negativePart(floating(x), (n) => np.expm1(n).mul(alpha));
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * SELU: `λ · elu(x, α)` with the self-normalizing constants λ ≈ 1.0507, α ≈ 1.6733.
 *
 * @example selu(np.array([1])) // [1.0507009]
 */
export function selu(x: ActivationInput): Tracer {
  return elu(x, SELU_ALPHA).mul(SELU_SCALE);
}

/**
 * CELU: `x` for x > 0, `α(e^(x/α) − 1)` otherwise (default α = 1).
 *
 * @example celu(np.array([-1]), 0.5) // [-0.4323324]
 */
export function celu(x: ActivationInput, alpha = 1): Tracer {
  return negativePart(floating(x), (n) => np.expm1(n.div(alpha)).mul(alpha));
}

/**
 * `x` for x >= 0, `negativeSlope · x` otherwise (jax.nn's default slope 0.01; Keras'
 * LeakyReLU layer uses 0.3).
 *
 * @example leakyRelu(np.array([-2, 3]), 0.1) // [-0.2, 3]
 */
export function leakyRelu(x: ActivationInput, negativeSlope = 0.01): Tracer {
  const a = np.asarray(x);
  return np.where(a.greaterEqual(0), a, a.mul(negativeSlope));
}

/**
 * `x` clipped to [-1, 1].
 *
 * @example hardTanh(np.array([-3, 0.5, 2])) // [-1, 0.5, 1]
 */
export function hardTanh(x: ActivationInput): Tracer {
  const a = floating(x);
  return np.where(a.greater(1), 1, np.where(a.less(-1), -1, a));
}

/**
 * `relu6(x + 3) / 6`: 0 below -3, 1 above 3, linear between.
 *
 * @example hardSigmoid(np.array([-4, 0, 4])) // [0, 0.5, 1]
 */
export const hardSigmoid = (x: ActivationInput): Tracer => relu6(floating(x).add(3)).div(6);

/**
 * `x · hardSigmoid(x)` (hard swish).
 *
 * @example hardSilu(np.array([1])) // [0.6666667]
 */
export function hardSilu(x: ActivationInput): Tracer {
  const a = floating(x);
  return a.mul(hardSigmoid(a));
}

/**
 * `log(sigmoid(x)) = −softplus(−x)`, finite for large |x|.
 *
 * @example logSigmoid(np.array([0])) // [-0.6931472]
 */
export const logSigmoid = (x: ActivationInput): Tracer => softplus(floating(x).neg()).neg();

/**
 * Mish: `x · tanh(softplus(x))`.
 *
 * @example mish(np.array([1])) // [0.8650984]
 */
export function mish(x: ActivationInput): Tracer {
  const a = floating(x);
  return a.mul(np.tanh(softplus(a)));
}

/**
 * Gated linear unit: splits `axis` (default -1) into halves a, b and returns `a · sigmoid(b)`.
 *
 * @example glu(np.array([[1, 2, 0, 0]])) // [[0.5, 1]]
 */
export function glu(x: ActivationInput, opts: { readonly axis?: number } = {}): Tracer {
  const a = floating(x);
  const axis = opts.axis ?? -1;
  if (!Number.isInteger(axis) || axis < -a.ndim || axis >= a.ndim) {
    throw new RangeError(`nn.glu: axis ${axis} is out of range for an array of rank ${a.ndim}.`);
  }
  const n = a.shape[axis < 0 ? axis + a.ndim : axis];
  if (n % 2 !== 0) {
    throw new ShapeError(`nn.glu: the split axis must have even size; received shape [${a.shape}] and axis ${axis}. Pad or slice that axis to an even length.`);
  }
  const [first, second] = np.split(a, 2, axis);
  return first.mul(lax.logistic(second));
}
