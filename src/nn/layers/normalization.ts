/**
 * @file Normalization layers: BatchNormalization (batch statistics in training, moving averages
 * kept as non-trainable state for inference), LayerNormalization, GroupNormalization and
 * UnitNormalization. Defaults, weight names and formulas follow Keras 3.
 */
import { np, lax, type Tracer } from "../../index.js";
import type { CallContext } from "../call-context.js";
import { Layer, type LayerConfig, type LayerOptions } from "../layer.js";
import type { ConstraintLike, InitializerLike, RegularizerLike } from "../resolve.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { serializeObject } from "./config-util.js";

/** `axis` made non-negative for rank `ndim`, or a RangeError naming the layer. */
export function normAxis(layer: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new RangeError(
      `${layer}: axis ${axis} is out of range for inputs of rank ${ndim} (batch axis included); use an axis in [-${ndim}, ${ndim - 1}].`,
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Sorted, distinct, non-negative axes. */
export function normAxes(layer: string, axis: number | readonly number[], ndim: number): number[] {
  const axes = (typeof axis === "number" ? [axis] : [...axis]).map((a) => normAxis(layer, a, ndim)).sort((a, b) => a - b);
  if (axes.some((a, i) => i > 0 && axes[i - 1] === a)) throw new RangeError(`${layer}: axis lists an axis twice, received [${axis}].`);
  return axes;
}

/** The input as floating point (integer images and the like are normalized as float32). */
export const floating = (x: Tracer): Tracer => (x.dtype === "float32" || x.dtype === "float64" || x.dtype === "float16" ? x : x.astype("float32"));

/** The size of axis `a`, which must be known to create weights over it. */
function knownDim(layer: string, shape: Shape, a: number): number {
  const d = shape[a];
  if (d === null || d === undefined) {
    throw new RangeError(`${layer}: the size of axis ${a} must be known to create the layer's weights, received input shape [${shape}].`);
  }
  return d;
}

/** `v` (shaped like the kept axes) reshaped to broadcast against inputs of rank `ndim`. */
const toBroadcast = (v: Tracer, ndim: number, axes: readonly number[]): Tracer =>
  v.reshape(Array.from({ length: ndim }, (_, i) => (axes.includes(i) ? v.shape[axes.indexOf(i)] : 1)));

/** Options of the scale/offset weights shared by the normalization layers. */
export interface AffineOptions extends LayerOptions {
  /** Add the learned offset `beta` (default true). */
  readonly center?: boolean;
  /** Multiply by the learned scale `gamma` (default true). */
  readonly scale?: boolean;
  readonly epsilon?: number;
  readonly betaInitializer?: InitializerLike;
  readonly gammaInitializer?: InitializerLike;
  readonly betaRegularizer?: RegularizerLike | null;
  readonly gammaRegularizer?: RegularizerLike | null;
  readonly betaConstraint?: ConstraintLike | null;
  readonly gammaConstraint?: ConstraintLike | null;
}

/** Base of the layers with Keras' `gamma`/`beta` weights (made in that order). */
abstract class AffineNormalization extends Layer {
  gamma: Variable | null = null;
  beta: Variable | null = null;
  readonly epsilon: number;

  constructor(readonly options: AffineOptions) {
    super(options);
    this.epsilon = options.epsilon ?? 1e-3;
    if (!(this.epsilon >= 0)) throw new RangeError(`${this.className}: epsilon must be >= 0, received ${options.epsilon}.`);
  }

  protected makeAffine(shape: readonly number[]): void {
    const o = this.options;
    if (o.scale ?? true) {
      this.gamma = this.addWeight("gamma", shape, {
        initializer: o.gammaInitializer ?? "ones", regularizer: o.gammaRegularizer, constraint: o.gammaConstraint,
      });
    }
    if (o.center ?? true) {
      this.beta = this.addWeight("beta", shape, {
        initializer: o.betaInitializer ?? "zeros", regularizer: o.betaRegularizer, constraint: o.betaConstraint,
      });
    }
  }

  /** `(x - mean) * rsqrt(variance + epsilon) * gamma + beta`, statistics already broadcastable. */
  protected normalize(x: Tracer, mean: Tracer, variance: Tracer, ndim: number, axes: readonly number[]): Tracer {
    let inv = lax.rsqrt(variance.add(this.epsilon));
    if (this.gamma) inv = inv.mul(toBroadcast(this.gamma.value, ndim, axes));
    const y = x.sub(mean).mul(inv);
    return this.beta ? y.add(toBroadcast(this.beta.value, ndim, axes)) : y;
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), epsilon: this.epsilon, center: o.center ?? true, scale: o.scale ?? true,
      betaInitializer: serializeObject(o.betaInitializer ?? "zeros"), gammaInitializer: serializeObject(o.gammaInitializer ?? "ones"),
      betaRegularizer: serializeObject(o.betaRegularizer ?? null), gammaRegularizer: serializeObject(o.gammaRegularizer ?? null),
      betaConstraint: serializeObject(o.betaConstraint ?? null), gammaConstraint: serializeObject(o.gammaConstraint ?? null),
    };
  }
}

export interface BatchNormalizationOptions extends AffineOptions {
  /** The features axis (default -1, channels last). */
  readonly axis?: number;
  /** Weight of the old value in the moving averages (default 0.99). */
  readonly momentum?: number;
  readonly movingMeanInitializer?: InitializerLike;
  readonly movingVarianceInitializer?: InitializerLike;
}

/**
 * Normalizes each feature with the batch's mean and (biased) variance during training, and with
 * moving averages of them at inference. Training updates the non-trainable `moving_mean` and
 * `moving_variance` as `moving = moving * momentum + batch * (1 - momentum)`. A frozen layer
 * (`trainable = false`) always runs in inference mode, as in Keras.
 *
 * @example new layers.BatchNormalization({ momentum: 0.9 })
 */
export class BatchNormalization extends AffineNormalization {
  readonly axis: number;
  readonly momentum: number;
  movingMean!: Variable;
  movingVariance!: Variable;

  constructor(override readonly options: BatchNormalizationOptions = {}) {
    super(options);
    this.axis = options.axis ?? -1;
    this.momentum = options.momentum ?? 0.99;
    if (!Number.isInteger(this.axis)) throw new RangeError(`BatchNormalization: axis must be an integer, received ${JSON.stringify(options.axis)}.`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) {
      throw new RangeError(`BatchNormalization: momentum must be in [0, 1], received ${options.momentum}.`);
    }
  }

  override build(shape: Shape): void {
    const a = normAxis("BatchNormalization", this.axis, shape.length);
    const dim = [knownDim("BatchNormalization", shape, a)];
    this.makeAffine(dim);
    const o = this.options;
    this.movingMean = this.addWeight("moving_mean", dim, { initializer: o.movingMeanInitializer ?? "zeros", trainable: false });
    this.movingVariance = this.addWeight("moving_variance", dim, { initializer: o.movingVarianceInitializer ?? "ones", trainable: false });
  }

  call(inputs: Tracer, ctx: CallContext): Tracer {
    const x = floating(inputs);
    const a = normAxis("BatchNormalization", this.axis, x.ndim);
    if (x.shape[a] !== this.movingMean.shape[0]) {
      throw new RangeError(
        `BatchNormalization '${this.name}': expected ${this.movingMean.shape[0]} features on axis ${this.axis}, received input shape [${x.shape}].`,
      );
    }
    const reduce = x.shape.map((_, i) => i).filter((i) => i !== a);
    if (ctx.training && this.trainable) {
      const mean = np.mean(x, { axis: reduce, keepdims: true });
      const variance = np.var(x, { axis: reduce, keepdims: true });
      const m = this.momentum;
      const flat = [x.shape[a]];
      this.movingMean.assign(this.movingMean.value.mul(m).add(mean.reshape(flat).mul(1 - m)));
      this.movingVariance.assign(this.movingVariance.value.mul(m).add(variance.reshape(flat).mul(1 - m)));
      return this.normalize(x, mean, variance, x.ndim, [a]);
    }
    const mean = toBroadcast(this.movingMean.value, x.ndim, [a]);
    const variance = toBroadcast(this.movingVariance.value, x.ndim, [a]);
    return this.normalize(x, mean, variance, x.ndim, [a]);
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), axis: this.axis, momentum: this.momentum,
      movingMeanInitializer: serializeObject(o.movingMeanInitializer ?? "zeros"),
      movingVarianceInitializer: serializeObject(o.movingVarianceInitializer ?? "ones"),
    };
  }

  static fromConfig(c: LayerConfig): BatchNormalization {
    return new BatchNormalization(c as BatchNormalizationOptions);
  }
}

export interface LayerNormalizationOptions extends AffineOptions {
  /** The axis or axes normalized over, one `gamma`/`beta` entry per element (default -1). */
  readonly axis?: number | readonly number[];
}

/**
 * Normalizes each sample over `axis` (default the last) to zero mean and unit variance, then
 * scales by `gamma` and shifts by `beta`. Same computation in training and inference.
 *
 * @example new layers.LayerNormalization({ epsilon: 1e-6 })
 */
export class LayerNormalization extends AffineNormalization {
  readonly axis: number | readonly number[];

  constructor(override readonly options: LayerNormalizationOptions = {}) {
    super(options);
    this.axis = options.axis ?? -1;
  }

  override build(shape: Shape): void {
    const axes = normAxes("LayerNormalization", this.axis, shape.length);
    this.makeAffine(axes.map((a) => knownDim("LayerNormalization", shape, a)));
  }

  call(inputs: Tracer): Tracer {
    const x = floating(inputs);
    const axes = normAxes("LayerNormalization", this.axis, x.ndim);
    const mean = np.mean(x, { axis: axes, keepdims: true });
    const variance = np.var(x, { axis: axes, keepdims: true });
    return this.normalize(x, mean, variance, x.ndim, axes);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: typeof this.axis === "number" ? this.axis : [...this.axis] };
  }

  static fromConfig(c: LayerConfig): LayerNormalization {
    return new LayerNormalization(c as LayerNormalizationOptions);
  }
}

export interface GroupNormalizationOptions extends AffineOptions {
  /** Number of channel groups (default 32; -1: one group per channel, instance normalization). */
  readonly groups?: number;
  /** The channels axis (default -1). */
  readonly axis?: number;
}

/**
 * Splits the channels into `groups` and normalizes each sample's group over the group's channels
 * and every other non-batch axis; `groups: 1` is layer normalization over all features, and
 * `groups: -1` instance normalization.
 *
 * @example new layers.GroupNormalization({ groups: 4 })
 */
export class GroupNormalization extends AffineNormalization {
  readonly axis: number;
  groups: number;

  constructor(override readonly options: GroupNormalizationOptions = {}) {
    super(options);
    this.axis = options.axis ?? -1;
    this.groups = options.groups ?? 32;
    if (!Number.isInteger(this.groups) || (this.groups <= 0 && this.groups !== -1)) {
      throw new RangeError(`GroupNormalization: groups must be a positive integer or -1, received ${JSON.stringify(options.groups)}.`);
    }
  }

  override build(shape: Shape): void {
    const a = normAxis("GroupNormalization", this.axis, shape.length);
    const dim = knownDim("GroupNormalization", shape, a);
    if (this.groups === -1) this.groups = dim;
    if (dim < this.groups || dim % this.groups !== 0) {
      throw new RangeError(
        `GroupNormalization '${this.name}': the ${dim} channels on axis ${this.axis} cannot be split into ${this.groups} equal groups. ` +
          `Use a number of groups that divides ${dim}.`,
      );
    }
    this.makeAffine([dim]);
  }

  call(inputs: Tracer): Tracer {
    const x = floating(inputs);
    const a = normAxis("GroupNormalization", this.axis, x.ndim);
    const g = this.groups;
    const grouped = [...x.shape.slice(0, a), g, x.shape[a] / g, ...x.shape.slice(a + 1)];
    const xs = x.reshape(grouped);
    const reduce = grouped.map((_, i) => i).filter((i) => i !== 0 && i !== a);
    const mean = np.mean(xs, { axis: reduce, keepdims: true });
    const variance = np.var(xs, { axis: reduce, keepdims: true });
    const y = xs.sub(mean).mul(lax.rsqrt(variance.add(this.epsilon))).reshape(x.shape);
    const scaled = this.gamma ? y.mul(toBroadcast(this.gamma.value, x.ndim, [a])) : y;
    return this.beta ? scaled.add(toBroadcast(this.beta.value, x.ndim, [a])) : scaled;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), groups: this.options.groups ?? 32, axis: this.axis };
  }

  static fromConfig(c: LayerConfig): GroupNormalization {
    return new GroupNormalization(c as GroupNormalizationOptions);
  }
}

/**
 * Scales each sample to unit L2 norm over `axis` (default -1): `x / sqrt(max(sum(x²), 1e-12))`.
 *
 * @example new layers.UnitNormalization().apply(np.array([[3, 4]])) // [[0.6, 0.8]]
 */
export class UnitNormalization extends Layer {
  readonly axis: number | readonly number[];

  constructor(readonly options: LayerOptions & { readonly axis?: number | readonly number[] } = {}) {
    super(options);
    this.axis = options.axis ?? -1;
  }

  call(inputs: Tracer): Tracer {
    const x = floating(inputs);
    const axes = normAxes("UnitNormalization", this.axis, x.ndim);
    const ss = np.sum(x.mul(x), { axis: axes, keepdims: true });
    return x.mul(lax.rsqrt(np.maximum(ss, 1e-12)));
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: typeof this.axis === "number" ? this.axis : [...this.axis] };
  }

  static fromConfig(c: LayerConfig): UnitNormalization {
    return new UnitNormalization(c as LayerOptions);
  }
}
