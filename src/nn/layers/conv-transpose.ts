/**
 * @file Transposed, depthwise and separable convolutions: Conv1DTranspose/2D/3D,
 * DepthwiseConv1D/2D, SeparableConv1D/2D. Weight names and shapes follow Keras 3 so weights
 * exchange with it: a transposed kernel is `kernelSize + [filters, inChannels]`, a depthwise
 * kernel `kernelSize + [inChannels, depthMultiplier]` (named `kernel` in DepthwiseConv, and
 * `depthwise_kernel` beside `pointwise_kernel` in SeparableConv).
 */
import { lax, type Tracer } from "../../index.js";
import { Layer, type LayerConfig, type LayerOptions } from "../layer.js";
import {
  type ActivationLike, type ConstraintLike, type InitializerLike, type RegularizerLike, activationId, resolveActivation,
} from "../resolve.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { kernelBiasConfig, serializeObject } from "./config-util.js";
import {
  type ConvOptions, type DataFormat, addBias, convDimensionNumbers, knownChannels, normalizeDataFormat, normalizePadding,
  normalizeTuple,
} from "./conv.js";

export interface ConvTransposeOptions extends Omit<ConvOptions, "padding" | "groups"> {
  readonly padding?: "valid" | "same";
  /** Extra rows/columns at the end of each spatial output axis (each smaller than its stride); null: inferred. */
  readonly outputPadding?: number | readonly number[] | null;
}

/**
 * Explicit (lo, hi) padding of the dilated input for one axis, as Keras' jax backend computes it
 * (`keras/src/backend/common/backend_utils.py`), so output sizes match Keras exactly.
 */
function transposePads(k: number, s: number, d: number, padding: "valid" | "same", outPad: number | null): [number, number] {
  const kd = (k - 1) * d + 1;
  if (padding === "valid") {
    const op = outPad ?? Math.max(kd, s) - kd;
    return [kd - 1, kd - 1 + op];
  }
  const len = outPad === null ? s + kd - 2 : kd + (kd % 2) - 2 + outPad;
  const lo = Math.min(Math.floor(len / 2) + (len % 2), kd - 1);
  return [lo, len - lo];
}

/** Checks the arguments shared by the transposed, depthwise and separable layers. */
function spatialArgs(cls: string, rank: number, kernelSize: number | readonly number[], o: ConvTransposeOptions | DepthwiseConvOptions) {
  const strides = normalizeTuple(cls, "strides", o.strides ?? 1, rank);
  const dilationRate = normalizeTuple(cls, "dilationRate", o.dilationRate ?? 1, rank);
  if (Math.max(...strides) > 1 && Math.max(...dilationRate) > 1) {
    throw new RangeError(`${cls}: strides > 1 cannot be combined with dilationRate > 1 (as in Keras), received strides [${strides}] and dilationRate [${dilationRate}].`);
  }
  return {
    kernelSize: normalizeTuple(cls, "kernelSize", kernelSize, rank), strides, dilationRate,
    padding: normalizePadding(cls, o.padding, ["valid", "same"] as const), dataFormat: normalizeDataFormat(cls, o.dataFormat),
    activation: resolveActivation(o.activation),
  };
}

const positive = (cls: string, what: string, n: unknown): number => {
  if (!Number.isInteger(n) || (n as number) <= 0) throw new RangeError(`${cls}: ${what} must be a positive integer, received ${JSON.stringify(n)}.`);
  return n as number;
};

/** The N-D transposed convolution behind Conv1DTranspose/2D/3D (Keras' `BaseConvTranspose`). */
export abstract class BaseConvTranspose extends Layer {
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly dilationRate: number[];
  readonly padding: "valid" | "same";
  readonly dataFormat: DataFormat;
  readonly outputPadding: number[] | null;
  readonly activation: (x: Tracer) => Tracer;
  kernel!: Variable;
  bias: Variable | null = null;

  constructor(readonly rank: number, filters: number, kernelSize: number | readonly number[], readonly options: ConvTransposeOptions = {}) {
    super(options);
    const cls = this.className;
    this.filters = positive(cls, "filters", filters);
    ({ kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate, padding: this.padding,
      dataFormat: this.dataFormat, activation: this.activation } = spatialArgs(cls, rank, kernelSize, options));
    const op = options.outputPadding;
    this.outputPadding = op === null || op === undefined ? null : normalizeTuple(cls, "outputPadding", op, rank, { allowZero: true });
    this.outputPadding?.forEach((p, i) => {
      if (p >= this.strides[i]) {
        throw new RangeError(`${cls}: each outputPadding must be smaller than its stride, received outputPadding [${this.outputPadding}] and strides [${this.strides}].`);
      }
    });
  }

  override build(shape: Shape): void {
    const inC = knownChannels(this, shape, this.rank, this.dataFormat);
    const o = this.options;
    this.kernel = this.addWeight("kernel", [...this.kernelSize, this.filters, inC], {
      initializer: o.kernelInitializer ?? "glorot_uniform", regularizer: o.kernelRegularizer, constraint: o.kernelConstraint,
    });
    if (o.useBias ?? true) {
      this.bias = this.addWeight("bias", [this.filters], {
        initializer: o.biasInitializer ?? "zeros", regularizer: o.biasRegularizer, constraint: o.biasConstraint,
      });
    }
  }

  call(x: Tracer): Tracer {
    knownChannels(this, x.shape, this.rank, this.dataFormat);
    const pads = this.kernelSize.map((k, i) => transposePads(k, this.strides[i], this.dilationRate[i], this.padding, this.outputPadding?.[i] ?? null));
    // The Keras kernel [..k, out, in] read as HWIO and transposed gives the gradient-of-conv form.
    let y = lax.convTranspose(x, this.kernel.value, this.strides, pads, {
      rhsDilation: this.dilationRate, dimensionNumbers: convDimensionNumbers(this.rank, this.dataFormat), transposeKernel: true,
    });
    if (this.bias) y = addBias(y, this.bias.value, this.dataFormat);
    return this.activation(y);
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), filters: this.filters, kernelSize: [...this.kernelSize], strides: [...this.strides], padding: this.padding,
      outputPadding: this.outputPadding && [...this.outputPadding], dataFormat: this.dataFormat, dilationRate: [...this.dilationRate],
      activation: activationId(o.activation), ...kernelBiasConfig(o),
    };
  }

  static fromConfig<T extends BaseConvTranspose>(
    this: new (filters: number, kernelSize: number | readonly number[], options?: ConvTransposeOptions) => T, c: LayerConfig,
  ): T {
    return new this(c.filters as number, c.kernelSize as number[], c as ConvTransposeOptions);
  }
}

/** Transposed 1-D convolution (upsamples sequences). @example new layers.Conv1DTranspose(8, 3, { strides: 2 }) */
export class Conv1DTranspose extends BaseConvTranspose {
  constructor(filters: number, kernelSize: number | readonly number[], options: ConvTransposeOptions = {}) {
    super(1, filters, kernelSize, options);
  }
}

/**
 * Transposed 2-D convolution ("deconvolution"): with `strides: 2, padding: "same"` it doubles
 * height and width.
 *
 * @example new layers.Conv2DTranspose(16, 3, { strides: 2, padding: "same" })
 */
export class Conv2DTranspose extends BaseConvTranspose {
  constructor(filters: number, kernelSize: number | readonly number[], options: ConvTransposeOptions = {}) {
    super(2, filters, kernelSize, options);
  }
}

/** Transposed 3-D convolution. @example new layers.Conv3DTranspose(4, 2, { strides: 2 }) */
export class Conv3DTranspose extends BaseConvTranspose {
  constructor(filters: number, kernelSize: number | readonly number[], options: ConvTransposeOptions = {}) {
    super(3, filters, kernelSize, options);
  }
}

export interface DepthwiseConvOptions extends LayerOptions {
  readonly strides?: number | readonly number[];
  readonly padding?: "valid" | "same";
  /** Output channels made from each input channel. Default 1. */
  readonly depthMultiplier?: number;
  readonly dataFormat?: DataFormat | null;
  readonly dilationRate?: number | readonly number[];
  readonly activation?: ActivationLike;
  readonly useBias?: boolean;
  readonly depthwiseInitializer?: InitializerLike;
  readonly biasInitializer?: InitializerLike;
  readonly depthwiseRegularizer?: RegularizerLike | null;
  readonly biasRegularizer?: RegularizerLike | null;
  readonly depthwiseConstraint?: ConstraintLike | null;
  readonly biasConstraint?: ConstraintLike | null;
}

export interface SeparableConvOptions extends DepthwiseConvOptions {
  readonly pointwiseInitializer?: InitializerLike;
  readonly pointwiseRegularizer?: RegularizerLike | null;
  readonly pointwiseConstraint?: ConstraintLike | null;
}

/** The depthwise step: input channel c makes outputs c*M .. c*M+M-1 (one feature group per channel). */
function depthwise(x: Tracer, kernel: Tracer, l: BaseDepthwiseConv | BaseSeparableConv): Tracer {
  const rank = l.kernelSize.length;
  const [c, m] = kernel.shape.slice(rank);
  return lax.convGeneralDilated(x, kernel.reshape([...l.kernelSize, 1, c * m]), l.strides, l.padding === "same" ? "SAME" : "VALID", {
    rhsDilation: l.dilationRate, dimensionNumbers: convDimensionNumbers(rank, l.dataFormat), featureGroupCount: c,
  });
}

function checkChannels(l: BaseDepthwiseConv | BaseSeparableConv, x: Tracer, kernel: Tracer): void {
  const rank = l.kernelSize.length;
  const c = knownChannels(l, x.shape, rank, l.dataFormat);
  if (c !== kernel.shape[rank]) {
    throw new RangeError(`${l.className} '${l.name}': expected ${kernel.shape[rank]} input channels (the layer was built for them), received shape [${x.shape}].`);
  }
}

/** Depthwise convolution behind DepthwiseConv1D/2D (Keras' `BaseDepthwiseConv`). */
export abstract class BaseDepthwiseConv extends Layer {
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly dilationRate: number[];
  readonly padding: "valid" | "same";
  readonly dataFormat: DataFormat;
  readonly depthMultiplier: number;
  readonly activation: (x: Tracer) => Tracer;
  kernel!: Variable;
  bias: Variable | null = null;

  constructor(readonly rank: number, kernelSize: number | readonly number[], readonly options: DepthwiseConvOptions = {}) {
    super(options);
    const cls = this.className;
    this.depthMultiplier = positive(cls, "depthMultiplier", options.depthMultiplier ?? 1);
    ({ kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate, padding: this.padding,
      dataFormat: this.dataFormat, activation: this.activation } = spatialArgs(cls, rank, kernelSize, options));
  }

  override build(shape: Shape): void {
    const inC = knownChannels(this, shape, this.rank, this.dataFormat);
    const o = this.options;
    this.kernel = this.addWeight("kernel", [...this.kernelSize, inC, this.depthMultiplier], {
      initializer: o.depthwiseInitializer ?? "glorot_uniform", regularizer: o.depthwiseRegularizer, constraint: o.depthwiseConstraint,
    });
    if (o.useBias ?? true) {
      this.bias = this.addWeight("bias", [inC * this.depthMultiplier], {
        initializer: o.biasInitializer ?? "zeros", regularizer: o.biasRegularizer, constraint: o.biasConstraint,
      });
    }
  }

  call(x: Tracer): Tracer {
    const k = this.kernel.value;
    checkChannels(this, x, k);
    let y = depthwise(x, k, this);
    if (this.bias) y = addBias(y, this.bias.value, this.dataFormat);
    return this.activation(y);
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), depthMultiplier: this.depthMultiplier, kernelSize: [...this.kernelSize], strides: [...this.strides],
      padding: this.padding, dataFormat: this.dataFormat, dilationRate: [...this.dilationRate],
      activation: activationId(o.activation), useBias: o.useBias ?? true,
      depthwiseInitializer: serializeObject(o.depthwiseInitializer ?? "glorot_uniform"), biasInitializer: serializeObject(o.biasInitializer ?? "zeros"),
      depthwiseRegularizer: serializeObject(o.depthwiseRegularizer ?? null), biasRegularizer: serializeObject(o.biasRegularizer ?? null),
      activityRegularizer: serializeObject(o.activityRegularizer ?? null),
      depthwiseConstraint: serializeObject(o.depthwiseConstraint ?? null), biasConstraint: serializeObject(o.biasConstraint ?? null),
    };
  }

  static fromConfig<T extends BaseDepthwiseConv>(
    this: new (kernelSize: number | readonly number[], options?: DepthwiseConvOptions) => T, c: LayerConfig,
  ): T {
    return new this(c.kernelSize as number[], c as DepthwiseConvOptions);
  }
}

/** Depthwise 1-D convolution: each channel filtered on its own. @example new layers.DepthwiseConv1D(3, { depthMultiplier: 2 }) */
export class DepthwiseConv1D extends BaseDepthwiseConv {
  constructor(kernelSize: number | readonly number[], options: DepthwiseConvOptions = {}) {
    super(1, kernelSize, options);
  }
}

/**
 * Depthwise 2-D convolution: each input channel is convolved with its own `depthMultiplier`
 * kernels; channels never mix. Kernel `kernelSize + [inChannels, depthMultiplier]`.
 *
 * @example new layers.DepthwiseConv2D(3, { depthMultiplier: 2, padding: "same" })
 */
export class DepthwiseConv2D extends BaseDepthwiseConv {
  constructor(kernelSize: number | readonly number[], options: DepthwiseConvOptions = {}) {
    super(2, kernelSize, options);
  }
}

/** Depthwise then pointwise (1x1) convolution, behind SeparableConv1D/2D (Keras' `BaseSeparableConv`). */
export abstract class BaseSeparableConv extends Layer {
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly dilationRate: number[];
  readonly padding: "valid" | "same";
  readonly dataFormat: DataFormat;
  readonly depthMultiplier: number;
  readonly activation: (x: Tracer) => Tracer;
  depthwiseKernel!: Variable;
  pointwiseKernel!: Variable;
  bias: Variable | null = null;

  constructor(readonly rank: number, filters: number, kernelSize: number | readonly number[], readonly options: SeparableConvOptions = {}) {
    super(options);
    const cls = this.className;
    this.filters = positive(cls, "filters", filters);
    this.depthMultiplier = positive(cls, "depthMultiplier", options.depthMultiplier ?? 1);
    ({ kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate, padding: this.padding,
      dataFormat: this.dataFormat, activation: this.activation } = spatialArgs(cls, rank, kernelSize, options));
  }

  override build(shape: Shape): void {
    const inC = knownChannels(this, shape, this.rank, this.dataFormat);
    const o = this.options;
    const m = this.depthMultiplier;
    this.depthwiseKernel = this.addWeight("depthwise_kernel", [...this.kernelSize, inC, m], {
      initializer: o.depthwiseInitializer ?? "glorot_uniform", regularizer: o.depthwiseRegularizer, constraint: o.depthwiseConstraint,
    });
    this.pointwiseKernel = this.addWeight("pointwise_kernel", [...this.kernelSize.map(() => 1), inC * m, this.filters], {
      initializer: o.pointwiseInitializer ?? "glorot_uniform", regularizer: o.pointwiseRegularizer, constraint: o.pointwiseConstraint,
    });
    if (o.useBias ?? true) {
      this.bias = this.addWeight("bias", [this.filters], {
        initializer: o.biasInitializer ?? "zeros", regularizer: o.biasRegularizer, constraint: o.biasConstraint,
      });
    }
  }

  call(x: Tracer): Tracer {
    const dk = this.depthwiseKernel.value;
    checkChannels(this, x, dk);
    const d = depthwise(x, dk, this);
    let y = lax.convGeneralDilated(d, this.pointwiseKernel.value, this.strides.map(() => 1), "VALID", {
      dimensionNumbers: convDimensionNumbers(this.rank, this.dataFormat),
    });
    if (this.bias) y = addBias(y, this.bias.value, this.dataFormat);
    return this.activation(y);
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), filters: this.filters, kernelSize: [...this.kernelSize], strides: [...this.strides], padding: this.padding,
      dataFormat: this.dataFormat, dilationRate: [...this.dilationRate], depthMultiplier: this.depthMultiplier,
      activation: activationId(o.activation), useBias: o.useBias ?? true,
      depthwiseInitializer: serializeObject(o.depthwiseInitializer ?? "glorot_uniform"),
      pointwiseInitializer: serializeObject(o.pointwiseInitializer ?? "glorot_uniform"), biasInitializer: serializeObject(o.biasInitializer ?? "zeros"),
      depthwiseRegularizer: serializeObject(o.depthwiseRegularizer ?? null), pointwiseRegularizer: serializeObject(o.pointwiseRegularizer ?? null),
      biasRegularizer: serializeObject(o.biasRegularizer ?? null), activityRegularizer: serializeObject(o.activityRegularizer ?? null),
      depthwiseConstraint: serializeObject(o.depthwiseConstraint ?? null), pointwiseConstraint: serializeObject(o.pointwiseConstraint ?? null),
      biasConstraint: serializeObject(o.biasConstraint ?? null),
    };
  }

  static fromConfig<T extends BaseSeparableConv>(
    this: new (filters: number, kernelSize: number | readonly number[], options?: SeparableConvOptions) => T, c: LayerConfig,
  ): T {
    return new this(c.filters as number, c.kernelSize as number[], c as SeparableConvOptions);
  }
}

/** Separable 1-D convolution. @example new layers.SeparableConv1D(16, 3) */
export class SeparableConv1D extends BaseSeparableConv {
  constructor(filters: number, kernelSize: number | readonly number[], options: SeparableConvOptions = {}) {
    super(1, filters, kernelSize, options);
  }
}

/**
 * Separable 2-D convolution: a depthwise convolution (`depthwise_kernel`) then a 1x1
 * convolution (`pointwise_kernel`) mixing channels; far fewer weights than Conv2D.
 *
 * @example new layers.SeparableConv2D(32, 3, { depthMultiplier: 1, activation: "relu" })
 */
export class SeparableConv2D extends BaseSeparableConv {
  constructor(filters: number, kernelSize: number | readonly number[], options: SeparableConvOptions = {}) {
    super(2, filters, kernelSize, options);
  }
}

export {
  Conv2DTranspose as Convolution2DTranspose, Conv3DTranspose as Convolution3DTranspose,
  SeparableConv1D as SeparableConvolution1D, SeparableConv2D as SeparableConvolution2D,
};
