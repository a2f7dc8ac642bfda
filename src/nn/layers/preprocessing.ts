/**
 * @file Preprocessing layers, Keras 3 semantics: Normalization (with an eager `adapt` whose
 * statistics are saved as non-trainable weights), Rescaling, CategoryEncoding, the noise
 * layers GaussianNoise and GaussianDropout, and image augmentation (RandomFlip,
 * RandomTranslation, RandomRotation). Random layers act only in training and draw their
 * randomness from the call's key stream (`ctx.nextKey()`), so a jitted training step stays pure.
 */
import { np, random, type Tracer } from "../../index.js";
import type { CallContext } from "../call-context.js";
import { Layer, isConcrete, type LayerConfig, type LayerOptions } from "../layer.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { floating, normAxes } from "./normalization.js";
import { type FillMode, type ImageOptions, type Interpolation, checkImageOptions, imageConfig, transformImages, withChannelsLast } from "./preprocessing-image.js";

export type { FillMode, Interpolation, ImageOptions };

/** What `np.asarray` takes: an Array, a number, or nested arrays of numbers. */
type ArrayData = Parameters<typeof np.asarray>[0];

/** A JSON-able copy of an array-like option (numbers and nested arrays as given, Arrays as lists). */
const jsonValue = (v: ArrayData | null | undefined): unknown =>
  v === null || v === undefined ? null : typeof v === "number" ? v : (np.asarray(v).toArray() as unknown);

export interface NormalizationOptions extends LayerOptions {
  /** Axes that keep their own statistics (default -1: one mean/variance per feature); null: one for all. */
  readonly axis?: number | readonly number[] | null;
  /** Fixed mean (with `variance`); otherwise call `adapt(data)`. */
  readonly mean?: ArrayData | null;
  readonly variance?: ArrayData | null;
  /** Undo the normalization instead: `mean + x * std` (default false). */
  readonly invert?: boolean;
}

/**
 * Standardizes features: `(x - mean) / max(sqrt(variance), 1e-7)`, with statistics given as
 * options or computed by `adapt(data)` (stored in the non-trainable weights `mean` and
 * `variance`, so a saved model keeps them).
 *
 * @example
 *   const norm = new layers.Normalization();
 *   norm.adapt(xTrain); // per-feature mean and variance over every other axis
 */
export class Normalization extends Layer {
  readonly axis: number | readonly number[] | null;
  readonly invert: boolean;
  adaptMean: Variable | null = null;
  adaptVariance: Variable | null = null;
  #keep: number[] = [];

  constructor(readonly options: NormalizationOptions = {}) {
    super(options);
    this.axis = options.axis === undefined ? -1 : options.axis;
    this.invert = options.invert ?? false;
    if ((options.mean ?? null) === null !== ((options.variance ?? null) === null)) {
      throw new TypeError("Normalization: give both mean and variance, or neither (and call adapt(data)).");
    }
  }

  override build(shape: Shape): void {
    this.#keep = this.axis === null ? [] : normAxes("Normalization", this.axis, shape.length);
    if (this.#keep.includes(0)) {
      throw new RangeError(`Normalization: axis 0 is the batch axis and cannot keep its own statistics, received axis ${JSON.stringify(this.axis)}.`);
    }
    if (this.options.mean !== undefined && this.options.mean !== null) return;
    const dims = this.#keep.map((a) => shape[a]);
    if (dims.some((d) => d === null)) {
      throw new RangeError(`Normalization '${this.name}': the kept axes ${JSON.stringify(this.axis)} must have known sizes, received input shape [${shape}].`);
    }
    this.adaptMean = this.addWeight("mean", dims as number[], { initializer: "zeros", trainable: false });
    this.adaptVariance = this.addWeight("variance", dims as number[], { initializer: "ones", trainable: false });
  }

  /**
   * Computes the mean and (biased) variance of `data` over every axis but the kept ones, eagerly,
   * and stores them in the layer's weights.
   *
   * @example norm.adapt(np.array([[1, 2], [3, 4]])) // mean [2, 3], variance [1, 1]
   */
  adapt(data: ArrayData): void {
    if (this.options.mean !== undefined && this.options.mean !== null) {
      throw new TypeError(`Normalization '${this.name}'.adapt: this layer was given a fixed mean and variance; create it without them to adapt.`);
    }
    const x = floating(np.asarray(data));
    if (!isConcrete(x)) throw new TypeError(`Normalization '${this.name}'.adapt: expected concrete data; adapt runs eagerly, outside jit/grad.`);
    this.ensureBuilt(x);
    const keep = this.axis === null ? [] : normAxes("Normalization", this.axis, x.ndim);
    const dims = keep.map((a) => x.shape[a]);
    if (dims.some((d, i) => d !== this.adaptMean!.shape[i])) {
      throw new RangeError(`Normalization '${this.name}'.adapt: data of shape [${x.shape}] does not match the layer's statistics of shape [${this.adaptMean!.shape}].`);
    }
    const reduce = x.shape.map((_, i) => i).filter((i) => !keep.includes(i));
    this.adaptMean!.assign(np.mean(x, { axis: reduce }).reshape(dims));
    this.adaptVariance!.assign(np.var(x, { axis: reduce }).reshape(dims));
  }

  /** Mean and variance shaped to broadcast against inputs of rank `ndim`. */
  #stats(ndim: number, shape: readonly number[]): [Tracer, Tracer] {
    const b = shape.map((d, i) => (this.#keep.includes(i) ? d : 1)).slice(0, ndim);
    const fit = (v: Tracer) => (v.size === b.reduce((p, q) => p * q, 1) ? v.reshape(b) : np.broadcastTo(v, b));
    if (this.adaptMean) return [this.adaptMean.value.reshape(b), this.adaptVariance!.value.reshape(b)];
    return [fit(np.asarray(this.options.mean!).astype("float32")), fit(np.asarray(this.options.variance!).astype("float32"))];
  }

  call(inputs: Tracer): Tracer {
    const x = floating(inputs);
    const [mean, variance] = this.#stats(x.ndim, x.shape);
    const std = np.maximum(np.sqrt(variance), 1e-7);
    return this.invert ? mean.add(x.mul(std)) : x.sub(mean).div(std);
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(), axis: this.axis === null || typeof this.axis === "number" ? this.axis : [...this.axis],
      invert: this.invert, mean: jsonValue(this.options.mean), variance: jsonValue(this.options.variance),
    };
  }

  static fromConfig(c: LayerConfig): Normalization {
    return new Normalization(c as NormalizationOptions);
  }
}

/**
 * `x * scale + offset` (e.g. `1 / 255` to map pixels to [0, 1]); integer inputs become float32.
 *
 * @example new layers.Rescaling(1 / 127.5, { offset: -1 }) // [0, 255] -> [-1, 1]
 */
export class Rescaling extends Layer {
  readonly offset: number | readonly number[];
  constructor(readonly scale: number | readonly number[], readonly options: LayerOptions & { readonly offset?: number | readonly number[] } = {}) {
    super(options);
    this.offset = options.offset ?? 0;
  }
  call(x: Tracer): Tracer {
    return floating(x).mul(np.asarray(this.scale as number[])).add(np.asarray(this.offset as number[]));
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
  static fromConfig(c: LayerConfig): Rescaling {
    return new Rescaling(c.scale as number, c as LayerOptions);
  }
}

export type CategoryOutputMode = "one_hot" | "multi_hot" | "count";

/**
 * Encodes integer ids in `[0, numTokens)`: `one_hot` adds (or replaces a size-1 last axis with)
 * an axis of size `numTokens`; `multi_hot` (default) and `count` fold the last axis into one
 * vector per sample, of presence flags or of counts. Outputs have rank at most 2, as in Keras.
 *
 * @example new layers.CategoryEncoding(4, { outputMode: "multi_hot" }).apply([[0, 1], [3, 3]]) // [[1,1,0,0],[0,0,0,1]]
 */
export class CategoryEncoding extends Layer {
  readonly outputMode: CategoryOutputMode;
  constructor(readonly numTokens: number, readonly options: LayerOptions & { readonly outputMode?: CategoryOutputMode } = {}) {
    super(options);
    if (!Number.isInteger(numTokens) || numTokens <= 0) {
      throw new RangeError(`CategoryEncoding: numTokens must be a positive integer, received ${JSON.stringify(numTokens)}.`);
    }
    this.outputMode = options.outputMode ?? "multi_hot";
    if (!["one_hot", "multi_hot", "count"].includes(this.outputMode)) {
      throw new RangeError(`CategoryEncoding: outputMode must be "one_hot", "multi_hot" or "count", received ${JSON.stringify(this.outputMode)}.`);
    }
  }

  call(inputs: Tracer | ArrayData): Tracer {
    let x = np.asarray(inputs);
    if (isConcrete(x)) {
      const lo = x.size ? (np.min(x).item() as number) : 0;
      const hi = x.size ? (np.max(x).item() as number) : 0;
      if (lo < 0 || hi >= this.numTokens || !(np.all(np.equal(x, np.floor(x))).item() as boolean)) {
        throw new RangeError(
          `CategoryEncoding '${this.name}': input values must be integers in [0, ${this.numTokens}) (numTokens), received values in [${lo}, ${hi}].`,
        );
      }
    }
    x = x.astype("int32");
    if (x.ndim === 0) x = x.reshape([1]);
    if (this.outputMode === "one_hot" && x.ndim >= 2 && x.shape[x.ndim - 1] === 1) x = x.reshape(x.shape.slice(0, -1));
    const outRank = this.outputMode === "one_hot" ? x.ndim + 1 : x.ndim;
    if (outRank > 2) {
      throw new RangeError(
        `CategoryEncoding '${this.name}': output_mode "${this.outputMode}" supports outputs of rank <= 2, but input shape [${x.shape}] would give rank ${outRank}.`,
      );
    }
    const hot = np.equal(np.expandDims(x, -1), np.arange(this.numTokens, undefined, 1, { dtype: "int32" })).astype("float32");
    if (this.outputMode === "one_hot") return hot;
    const counts = np.sum(hot, { axis: -2 });
    return this.outputMode === "count" ? counts : np.minimum(counts, 1);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), numTokens: this.numTokens, outputMode: this.outputMode };
  }
  static fromConfig(c: LayerConfig): CategoryEncoding {
    return new CategoryEncoding(c.numTokens as number, c as LayerOptions);
  }
}

/**
 * Adds zero-mean Gaussian noise of standard deviation `stddev` in training; identity otherwise.
 *
 * @example new layers.GaussianNoise(0.1)
 */
export class GaussianNoise extends Layer {
  constructor(readonly stddev: number, readonly options: LayerOptions & { readonly seed?: number | null } = {}) {
    super(options);
    if (!(stddev >= 0)) throw new RangeError(`GaussianNoise: stddev must be >= 0, received ${JSON.stringify(stddev)}.`);
  }
  call(inputs: Tracer, ctx: CallContext): Tracer {
    if (!ctx.training || this.stddev === 0) return inputs;
    const x = floating(inputs);
    return x.add(random.normal(ctx.nextKey(), [...x.shape], { dtype: x.dtype }).mul(this.stddev));
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), stddev: this.stddev, seed: this.options.seed ?? null };
  }
  static fromConfig(c: LayerConfig): GaussianNoise {
    return new GaussianNoise(c.stddev as number, c as LayerOptions);
  }
}

/**
 * Multiplies by Gaussian noise of mean 1 and standard deviation `sqrt(rate / (1 - rate))` in
 * training; identity otherwise.
 *
 * @example new layers.GaussianDropout(0.2)
 */
export class GaussianDropout extends Layer {
  constructor(readonly rate: number, readonly options: LayerOptions & { readonly seed?: number | null } = {}) {
    super(options);
    if (!(rate >= 0 && rate < 1)) throw new RangeError(`GaussianDropout: rate must be in [0, 1), received ${JSON.stringify(rate)}.`);
  }
  call(inputs: Tracer, ctx: CallContext): Tracer {
    if (!ctx.training || this.rate === 0) return inputs;
    const x = floating(inputs);
    const noise = random.normal(ctx.nextKey(), [...x.shape], { dtype: x.dtype }).mul(Math.sqrt(this.rate / (1 - this.rate))).add(1);
    return x.mul(noise);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), rate: this.rate, seed: this.options.seed ?? null };
  }
  static fromConfig(c: LayerConfig): GaussianDropout {
    return new GaussianDropout(c.rate as number, c as LayerOptions);
  }
}

export type FlipMode = "horizontal" | "vertical" | "horizontal_and_vertical";

/**
 * Flips each image left-right and/or top-bottom with probability 1/2 (independently per image
 * and direction) in training; identity otherwise. Images are (batch,) height, width, channels.
 *
 * @example new layers.RandomFlip("horizontal")
 */
export class RandomFlip extends Layer {
  constructor(readonly mode: FlipMode = "horizontal_and_vertical", readonly options: ImageOptions = {}) {
    super(options);
    if (!["horizontal", "vertical", "horizontal_and_vertical"].includes(mode)) {
      throw new RangeError(`RandomFlip: mode must be "horizontal", "vertical" or "horizontal_and_vertical", received ${JSON.stringify(mode)}.`);
    }
    checkImageOptions("RandomFlip", options);
  }
  call(inputs: Tracer, ctx: CallContext): Tracer {
    if (!ctx.training) return inputs;
    return withChannelsLast(`RandomFlip '${this.name}'`, inputs, this.options.dataFormat, (x) => {
      let y = x;
      const flip = (axis: number) => {
        const coin = random.bernoulli(ctx.nextKey(), 0.5, [y.shape[0], 1, 1, 1]);
        y = np.where(coin, np.flip(y, { axis }), y);
      };
      if (this.mode !== "vertical") flip(2);
      if (this.mode !== "horizontal") flip(1);
      return y;
    });
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), mode: this.mode, ...imageConfig(this.options) };
  }
  static fromConfig(c: LayerConfig): RandomFlip {
    return new RandomFlip(c.mode as FlipMode, c as ImageOptions);
  }
}

/** A Keras factor: `f` means [-f, f]; a pair is [lower, upper], each in [-bound, bound]. */
function factorRange(layer: string, what: string, f: number | readonly [number, number], bound: number): [number, number] {
  const [lo, hi] = typeof f === "number" ? [-Math.abs(f), Math.abs(f)] : Array.isArray(f) && f.length === 2 ? f : [NaN, NaN];
  if (!(lo <= hi) || !(Math.abs(lo) <= bound && Math.abs(hi) <= bound)) {
    throw new RangeError(`${layer}: ${what} must be a number or a [lower, upper] pair within [-${bound}, ${bound}], received ${JSON.stringify(f)}.`);
  }
  return [lo, hi];
}

/**
 * Shifts each image by a random fraction of its height and width in training (uniform in the
 * factor ranges); identity otherwise. Pixels from outside are filled per `fillMode`
 * ("reflect" by default, "constant", "nearest", "wrap").
 *
 * @example new layers.RandomTranslation(0.1, 0.1, { fillMode: "constant" })
 */
export class RandomTranslation extends Layer {
  readonly heightRange: [number, number];
  readonly widthRange: [number, number];
  constructor(
    readonly heightFactor: number | readonly [number, number],
    readonly widthFactor: number | readonly [number, number],
    readonly options: ImageOptions = {},
  ) {
    super(options);
    this.heightRange = factorRange("RandomTranslation", "heightFactor", heightFactor, 1);
    this.widthRange = factorRange("RandomTranslation", "widthFactor", widthFactor, 1);
    checkImageOptions("RandomTranslation", options);
  }
  call(inputs: Tracer, ctx: CallContext): Tracer {
    if (!ctx.training) return inputs;
    return withChannelsLast(`RandomTranslation '${this.name}'`, inputs, this.options.dataFormat, (x) => {
      const [b, h, w] = x.shape;
      const [k1, k2] = random.split(ctx.nextKey());
      const ty = random.uniform(k1, [b], { minval: this.heightRange[0], maxval: this.heightRange[1] }).mul(h);
      const tx = random.uniform(k2, [b], { minval: this.widthRange[0], maxval: this.widthRange[1] }).mul(w);
      const one = np.ones([b]);
      const zero = np.zeros([b]);
      return transformImages(x, np.stack([one, zero, tx.neg(), zero, one, ty.neg()], 1), this.options);
    });
  }
  override getConfig(): LayerConfig {
    const f = (v: number | readonly number[]) => (typeof v === "number" ? v : [...v]);
    return { ...super.getConfig(), heightFactor: f(this.heightFactor), widthFactor: f(this.widthFactor), ...imageConfig(this.options) };
  }
  static fromConfig(c: LayerConfig): RandomTranslation {
    return new RandomTranslation(c.heightFactor as number, c.widthFactor as number, c as ImageOptions);
  }
}

/**
 * Rotates each image about its center by a random fraction of a full turn (uniform in the factor
 * range; positive is counter-clockwise) in training; identity otherwise.
 *
 * @example new layers.RandomRotation(0.1) // within ±36°
 */
export class RandomRotation extends Layer {
  readonly range: [number, number];
  constructor(readonly factor: number | readonly [number, number], readonly options: ImageOptions = {}) {
    super(options);
    this.range = factorRange("RandomRotation", "factor", factor, Infinity);
    checkImageOptions("RandomRotation", options);
  }
  call(inputs: Tracer, ctx: CallContext): Tracer {
    if (!ctx.training) return inputs;
    return withChannelsLast(`RandomRotation '${this.name}'`, inputs, this.options.dataFormat, (x) => {
      const [b, h, w] = x.shape;
      const turn = 2 * Math.PI;
      const angle = random.uniform(ctx.nextKey(), [b], { minval: this.range[0] * turn, maxval: this.range[1] * turn });
      const cos = np.cos(angle);
      const sin = np.sin(angle);
      // The rotation about the image center (TF's angles_to_projective_transforms, used by Keras).
      const xOff = cos.mul(w - 1).sub(sin.mul(h - 1)).neg().add(w - 1).div(2);
      const yOff = sin.mul(w - 1).add(cos.mul(h - 1)).neg().add(h - 1).div(2);
      return transformImages(x, np.stack([cos, sin.neg(), xOff, sin, cos, yOff], 1), this.options);
    });
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), factor: typeof this.factor === "number" ? this.factor : [...this.factor], ...imageConfig(this.options) };
  }
  static fromConfig(c: LayerConfig): RandomRotation {
    return new RandomRotation(c.factor as number, c as ImageOptions);
  }
}
