/**
 * @file Core layers: Dense, Activation, Dropout (and its spatial variants), Flatten, Reshape,
 * Permute, RepeatVector, Identity. Weight names, shapes and defaults follow Keras 3.
 */
import { np, lax, random, type Tracer } from "../../index.js";
import type { CallContext } from "../call-context.js";
import { Layer, type LayerConfig, type LayerOptions } from "../layer.js";
import {
  type ActivationLike, activationId, resolveActivation,
} from "../resolve.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { type KernelBiasOptions, kernelBiasConfig } from "./config-util.js";

const positiveInt = (layer: string, what: string, n: unknown): number => {
  if (!Number.isInteger(n) || (n as number) <= 0) {
    throw new RangeError(`${layer}: ${what} must be a positive integer, received ${JSON.stringify(n)}.`);
  }
  return n as number;
};

export interface DenseOptions extends LayerOptions, KernelBiasOptions {
  readonly activation?: ActivationLike;
}

/**
 * A densely connected layer: `activation(inputs @ kernel + bias)` over the last axis.
 *
 * @example new layers.Dense(64, { activation: "relu" })
 */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: (x: Tracer) => Tracer;
  kernel!: Variable;
  bias: Variable | null = null;

  constructor(units: number, readonly options: DenseOptions = {}) {
    super(options);
    this.units = positiveInt("Dense", "units", units);
    this.activation = resolveActivation(options.activation);
  }

  override build(shape: Shape): void {
    const inDim = shape.at(-1);
    if (inDim === null || inDim === undefined) {
      throw new RangeError(`Dense '${this.name}': the last input dimension must be known, received shape [${shape}].`);
    }
    const o = this.options;
    this.kernel = this.addWeight("kernel", [inDim, this.units], {
      initializer: o.kernelInitializer ?? "glorot_uniform", regularizer: o.kernelRegularizer, constraint: o.kernelConstraint,
    });
    if (o.useBias ?? true) {
      this.bias = this.addWeight("bias", [this.units], {
        initializer: o.biasInitializer ?? "zeros", regularizer: o.biasRegularizer, constraint: o.biasConstraint,
      });
    }
  }

  call(x: Tracer): Tracer {
    let y = np.matmul(x, this.kernel.value);
    if (this.bias) y = y.add(this.bias.value);
    return this.activation(y);
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), units: this.units, activation: activationId(o.activation), ...kernelBiasConfig(o),
    };
  }

  static fromConfig(c: LayerConfig): Dense {
    return new Dense(c.units as number, c as DenseOptions);
  }
}

/** Applies an activation function. @example new layers.Activation("relu") */
export class Activation extends Layer {
  readonly fn: (x: Tracer) => Tracer;
  constructor(readonly activation: ActivationLike, opts: LayerOptions = {}) {
    super(opts);
    this.fn = resolveActivation(activation);
  }
  call(x: Tracer): Tracer {
    return this.fn(x);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), activation: activationId(this.activation) };
  }
  static fromConfig(c: LayerConfig): Activation {
    return new Activation(c.activation as string, c);
  }
}

export interface DropoutOptions extends LayerOptions {
  /** Shape of the binary mask, `null` entries taken from the input (Keras' `noise_shape`). */
  readonly noiseShape?: readonly (number | null)[] | null;
  readonly seed?: number | null;
}

/**
 * Sets a fraction `rate` of inputs to zero during training and scales the rest by
 * `1 / (1 - rate)`; identity at inference.
 *
 * @example new layers.Dropout(0.5)
 */
export class Dropout extends Layer {
  constructor(readonly rate: number, readonly options: DropoutOptions = {}) {
    super(options);
    if (!(rate >= 0 && rate < 1)) throw new RangeError(`Dropout: rate must be in [0, 1), received ${rate}.`);
  }

  /** The mask shape for an input shape (overridden by the spatial variants). */
  protected noiseShape(shape: readonly number[]): number[] {
    const ns = this.options.noiseShape;
    return ns ? ns.map((d, i) => d ?? shape[i]) : [...shape];
  }

  call(x: Tracer, ctx: CallContext): Tracer {
    if (!ctx.training || this.rate === 0) return x;
    const keep = random.bernoulli(ctx.nextKey(), 1 - this.rate, this.noiseShape(x.shape));
    return np.where(keep, x.div(1 - this.rate), np.zerosLike(x));
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.options.noiseShape ?? null, seed: this.options.seed ?? null };
  }

  static fromConfig(c: LayerConfig): Dropout {
    return new this(c.rate as number, c as DropoutOptions);
  }
}

/** Drops whole feature maps of (batch, steps, channels) inputs. @example new layers.SpatialDropout1D(0.2) */
export class SpatialDropout1D extends Dropout {
  protected override noiseShape(s: readonly number[]): number[] {
    return [s[0], 1, s[2]];
  }
}

/** Drops whole feature maps of NHWC inputs. @example new layers.SpatialDropout2D(0.2) */
export class SpatialDropout2D extends Dropout {
  protected override noiseShape(s: readonly number[]): number[] {
    return [s[0], 1, 1, s[3]];
  }
}

/** Drops whole feature maps of NDHWC inputs. @example new layers.SpatialDropout3D(0.2) */
export class SpatialDropout3D extends Dropout {
  protected override noiseShape(s: readonly number[]): number[] {
    return [s[0], 1, 1, 1, s[4]];
  }
}

/** Flattens every dimension but the batch. @example new layers.Flatten() */
export class Flatten extends Layer {
  call(x: Tracer): Tracer {
    return x.reshape([x.shape[0], x.shape.slice(1).reduce((a, b) => a * b, 1)]);
  }
  static fromConfig(c: LayerConfig): Flatten {
    return new Flatten(c);
  }
}

/** Reshapes each sample to `targetShape` (one entry may be -1). @example new layers.Reshape([7, 7, 64]) */
export class Reshape extends Layer {
  constructor(readonly targetShape: readonly number[], opts: LayerOptions = {}) {
    super(opts);
  }
  call(x: Tracer): Tracer {
    return x.reshape([x.shape[0], ...this.targetShape]);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), targetShape: [...this.targetShape] };
  }
  static fromConfig(c: LayerConfig): Reshape {
    return new Reshape(c.targetShape as number[], c);
  }
}

/** Permutes the non-batch dimensions (1-based, as Keras). @example new layers.Permute([2, 1]) */
export class Permute extends Layer {
  constructor(readonly dims: readonly number[], opts: LayerOptions = {}) {
    super(opts);
    const sorted = [...dims].sort((a, b) => a - b);
    if (sorted.some((d, i) => d !== i + 1)) {
      throw new RangeError(`Permute: dims must be a permutation of 1..${dims.length} (the batch axis 0 is fixed), received [${dims}].`);
    }
  }
  call(x: Tracer): Tracer {
    return np.transpose(x, [0, ...this.dims]);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), dims: [...this.dims] };
  }
  static fromConfig(c: LayerConfig): Permute {
    return new Permute(c.dims as number[], c);
  }
}

/** Repeats a (batch, features) input n times: (batch, n, features). @example new layers.RepeatVector(3) */
export class RepeatVector extends Layer {
  constructor(readonly n: number, opts: LayerOptions = {}) {
    super(opts);
    positiveInt("RepeatVector", "n", n);
  }
  call(x: Tracer): Tracer {
    if (x.ndim !== 2) throw new RangeError(`RepeatVector '${this.name}': expected a 2-D input (batch, features), received shape [${x.shape}].`);
    return lax.broadcastInDim(x, [x.shape[0], this.n, x.shape[1]], [0, 2]);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), n: this.n };
  }
  static fromConfig(c: LayerConfig): RepeatVector {
    return new RepeatVector(c.n as number, c);
  }
}

/** Passes its input through unchanged. @example new layers.Identity() */
export class Identity extends Layer {
  call(x: Tracer): Tracer {
    return x;
  }
  static fromConfig(c: LayerConfig): Identity {
    return new Identity(c);
  }
}
