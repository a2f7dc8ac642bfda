/**
 * @file Activation layers with options: Softmax (any axes), ReLU (cap, leak, threshold),
 * LeakyReLU, PReLU (a learned slope per feature, weight `alpha`) and ELU. Defaults and formulas
 * follow Keras 3.
 */
import { np, type Tracer } from "../../index.js";
import { elu, leakyRelu, relu } from "../activations.js";
import { softmax } from "../functions.js";
import { Layer, type LayerConfig, type LayerOptions } from "../layer.js";
import type { ConstraintLike, InitializerLike, RegularizerLike } from "../resolve.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { serializeObject } from "./config-util.js";
import { floating, normAxes } from "./normalization.js";

const nonNegative = (layer: string, what: string, v: unknown): number => {
  if (typeof v !== "number" || !(v >= 0)) {
    throw new RangeError(`${layer}: ${what} must be a number >= 0, received ${JSON.stringify(v)}.`);
  }
  return v;
};

/**
 * `exp(x) / sum(exp(x))` over `axis` (default -1; an array of axes normalizes over all of them).
 *
 * @example new layers.Softmax().apply(np.array([[0, Math.log(3)]])) // [[0.25, 0.75]]
 */
export class Softmax extends Layer {
  readonly axis: number | readonly number[];
  constructor(readonly options: LayerOptions & { readonly axis?: number | readonly number[] } = {}) {
    super(options);
    this.axis = options.axis ?? -1;
  }
  call(x: Tracer): Tracer {
    return softmax(x, { axis: normAxes(`Softmax '${this.name}'`, this.axis, x.ndim) });
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: typeof this.axis === "number" ? this.axis : [...this.axis] };
  }
  static fromConfig(c: LayerConfig): Softmax {
    return new Softmax(c as LayerOptions);
  }
}

export interface ReLUOptions extends LayerOptions {
  /** Upper bound of the output (default none). */
  readonly maxValue?: number | null;
  /** Slope below the threshold (default 0). */
  readonly negativeSlope?: number;
  /** Inputs at or below it are treated as inactive (default 0). */
  readonly threshold?: number;
}

/**
 * Rectified linear unit: `min(x, maxValue)` above `threshold`, `negativeSlope * (x - threshold)`
 * at or below it.
 *
 * @example new layers.ReLU({ maxValue: 6 }) // relu6
 */
export class ReLU extends Layer {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  constructor(readonly options: ReLUOptions = {}) {
    super(options);
    this.maxValue = options.maxValue ?? null;
    if (this.maxValue !== null) nonNegative("ReLU", "maxValue", this.maxValue);
    this.negativeSlope = nonNegative("ReLU", "negativeSlope", options.negativeSlope ?? 0);
    this.threshold = nonNegative("ReLU", "threshold", options.threshold ?? 0);
  }
  call(inputs: Tracer): Tracer {
    const x = floating(inputs);
    const t = this.threshold;
    let pos = t === 0 ? relu(x) : np.where(np.greater(x, t), x, 0);
    if (this.maxValue !== null) pos = np.minimum(pos, this.maxValue);
    if (this.negativeSlope === 0) return pos;
    return pos.add(np.minimum(x.sub(t), 0).mul(this.negativeSlope));
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
  }
  static fromConfig(c: LayerConfig): ReLU {
    return new ReLU(c as ReLUOptions);
  }
}

/**
 * Leaky ReLU: `x` for `x >= 0`, `negativeSlope * x` otherwise (default slope 0.3, as Keras).
 *
 * @example new layers.LeakyReLU(0.1)
 */
export class LeakyReLU extends Layer {
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.3, opts: LayerOptions = {}) {
    super(opts);
    this.negativeSlope = nonNegative("LeakyReLU", "negativeSlope", negativeSlope);
  }
  call(x: Tracer): Tracer {
    return leakyRelu(floating(x), this.negativeSlope);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), negativeSlope: this.negativeSlope };
  }
  static fromConfig(c: LayerConfig): LeakyReLU {
    return new LeakyReLU((c.negativeSlope as number) ?? 0.3, c as LayerOptions);
  }
}

export interface PReLUOptions extends LayerOptions {
  /** Initial slopes (default "zeros": starts as a plain ReLU). */
  readonly alphaInitializer?: InitializerLike;
  readonly alphaRegularizer?: RegularizerLike | null;
  readonly alphaConstraint?: ConstraintLike | null;
  /** Axes (1-based, batch excluded, as Keras) that share one slope, e.g. [1, 2] for per-channel slopes of images. */
  readonly sharedAxes?: readonly number[] | null;
}

/**
 * Parametric ReLU: `x` for `x >= 0`, `alpha * x` otherwise, with a learned `alpha` per feature
 * (shape = input shape without the batch, size 1 on `sharedAxes`).
 *
 * @example new layers.PReLU({ sharedAxes: [1, 2] })
 */
export class PReLU extends Layer {
  alpha!: Variable;
  constructor(readonly options: PReLUOptions = {}) {
    super(options);
    const sa = options.sharedAxes ?? [];
    if (!Array.isArray(sa) || sa.some((a) => !Number.isInteger(a) || a < 1)) {
      throw new RangeError(`PReLU: sharedAxes must be axes >= 1 (axis 0 is the batch), received ${JSON.stringify(options.sharedAxes)}.`);
    }
  }
  override build(shape: Shape): void {
    const shared = this.options.sharedAxes ?? [];
    const bad = shared.find((a) => a >= shape.length);
    if (bad !== undefined) {
      throw new RangeError(`PReLU '${this.name}': shared axis ${bad} is out of range for input shape [${shape}].`);
    }
    const dims = shape.slice(1).map((d, i) => (shared.includes(i + 1) ? 1 : d));
    if (dims.some((d) => d === null)) {
      throw new RangeError(
        `PReLU '${this.name}': every non-batch dimension must be known to create alpha, received input shape [${shape}]; share the free axes with sharedAxes.`,
      );
    }
    const o = this.options;
    this.alpha = this.addWeight("alpha", dims as number[], {
      initializer: o.alphaInitializer ?? "zeros", regularizer: o.alphaRegularizer, constraint: o.alphaConstraint,
    });
  }
  call(inputs: Tracer): Tracer {
    const x = floating(inputs);
    return relu(x).sub(this.alpha.value.mul(relu(x.neg())));
  }
  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), alphaInitializer: serializeObject(o.alphaInitializer ?? "zeros"),
      alphaRegularizer: serializeObject(o.alphaRegularizer ?? null), alphaConstraint: serializeObject(o.alphaConstraint ?? null),
      sharedAxes: o.sharedAxes ? [...o.sharedAxes] : null,
    };
  }
  static fromConfig(c: LayerConfig): PReLU {
    return new PReLU(c as PReLUOptions);
  }
}

/**
 * Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise (default alpha 1).
 *
 * @example new layers.ELU(0.5)
 */
export class ELU extends Layer {
  constructor(readonly alpha = 1, opts: LayerOptions = {}) {
    super(opts);
    if (typeof alpha !== "number" || !Number.isFinite(alpha)) throw new RangeError(`ELU: alpha must be a finite number, received ${JSON.stringify(alpha)}.`);
  }
  call(x: Tracer): Tracer {
    return elu(floating(x), this.alpha);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), alpha: this.alpha };
  }
  static fromConfig(c: LayerConfig): ELU {
    return new ELU((c.alpha as number) ?? 1, c as LayerOptions);
  }
}
