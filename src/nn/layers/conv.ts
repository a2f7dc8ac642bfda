/**
 * @file Convolution layers: Conv1D, Conv2D, Conv3D, and the argument helpers every spatial layer
 * shares (tuples, padding, data format, rank checks). Weights follow Keras 3: `kernel` of shape
 * `kernelSize + [inChannels / groups, filters]` and `bias` of shape `[filters]`, whatever the
 * data format, so weights exchange with Keras. The convolution is one `lax.convGeneralDilated`.
 */
import { np, lax, type Tracer } from "../../index.js";
import { Layer, type LayerConfig, type LayerOptions } from "../layer.js";
import {
  type ActivationLike, activationId, resolveActivation,
} from "../resolve.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { type KernelBiasOptions, kernelBiasConfig } from "./config-util.js";

/** Where the channel axis is: last (NHWC, Keras' default) or right after the batch (NCHW). */
export type DataFormat = "channels_last" | "channels_first";

/** `n` positive (or non-negative) integers from a number or a list, as Keras' `standardize_tuple`. */
export function normalizeTuple(
  layer: string, what: string, v: number | readonly number[], n: number, opts: { allowZero?: boolean } = {},
): number[] {
  const t = typeof v === "number" ? new Array<number>(n).fill(v) : [...(v ?? [])];
  const ok = (d: number) => Number.isInteger(d) && (opts.allowZero ? d >= 0 : d > 0);
  if (t.length !== n || !t.every(ok)) {
    throw new RangeError(
      `${layer}: ${what} must be ${opts.allowZero ? "a non-negative" : "a positive"} integer or a list of ${n} such integers, ` +
        `received ${JSON.stringify(v)}.`,
    );
  }
  return t;
}

/** A padding mode in lower case, checked against the modes the layer accepts. */
export function normalizePadding<P extends string>(layer: string, padding: string | undefined, allowed: readonly P[]): P {
  const p = (padding ?? "valid").toLowerCase() as P;
  if (!allowed.includes(p)) {
    throw new RangeError(`${layer}: padding must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, received ${JSON.stringify(padding)}.`);
  }
  return p;
}

export function normalizeDataFormat(layer: string, df: string | null | undefined): DataFormat {
  const d = df ?? "channels_last";
  if (d !== "channels_last" && d !== "channels_first") {
    throw new RangeError(`${layer}: dataFormat must be "channels_last" or "channels_first", received ${JSON.stringify(df)}.`);
  }
  return d;
}

/** Throws a clear error unless `shape` has rank `rank`; `what` describes the expected layout. */
export function checkRank(layer: Layer, shape: readonly (number | null)[], rank: number, what: string): void {
  if (shape.length !== rank) {
    throw new RangeError(
      `${layer.className} '${layer.name}': expected inputs of rank ${rank} ${what}, received shape [${shape.map((d) => d ?? "null")}]. ` +
        `Reshape the input or use the layer of the matching dimensionality.`,
    );
  }
}

/** The layout description used in rank errors: `(batch, d1, d2, channels)`. */
export function layoutText(rank: number, df: DataFormat): string {
  const sp = Array.from({ length: rank }, (_, i) => `d${i + 1}`);
  return `(${(df === "channels_last" ? ["batch", ...sp, "channels"] : ["batch", "channels", ...sp]).join(", ")})`;
}

const SPATIAL = ["H", "HW", "DHW"];

/** `lax` dimension numbers for a Keras kernel (`kernelSize + [in, out]`) in either data format. */
export function convDimensionNumbers(rank: number, df: DataFormat): [string, string, string] {
  const sp = SPATIAL[rank - 1];
  const lhs = df === "channels_last" ? `N${sp}C` : `NC${sp}`;
  return [lhs, `${sp}IO`, lhs];
}

/** The channel axis of a rank-`rank` spatial input. */
export const channelAxis = (rank: number, df: DataFormat): number => (df === "channels_last" ? rank + 1 : 1);

/** Adds a per-channel bias, broadcast along the channel axis of the data format. */
export function addBias(y: Tracer, bias: Tracer, df: DataFormat): Tracer {
  if (df === "channels_last") return y.add(bias);
  const shape = y.shape.map((_, i) => (i === 1 ? bias.shape[0] : 1));
  return y.add(bias.reshape(shape));
}

/** The known channel count of a build shape, with a clear error when it is free. */
export function knownChannels(layer: Layer, shape: Shape, rank: number, df: DataFormat): number {
  checkRank(layer, shape, rank + 2, layoutText(rank, df));
  const c = shape[channelAxis(rank, df)];
  if (c === null || c === undefined) {
    throw new RangeError(`${layer.className} '${layer.name}': the channel dimension of the inputs must be known, received shape [${shape.map((d) => d ?? "null")}].`);
  }
  return c;
}

export interface ConvOptions extends LayerOptions, KernelBiasOptions {
  readonly strides?: number | readonly number[];
  /** "valid" (no padding), "same" (output size ceil(in / stride)) or, for Conv1D only, "causal". */
  readonly padding?: "valid" | "same" | "causal";
  readonly dataFormat?: DataFormat | null;
  readonly dilationRate?: number | readonly number[];
  /** Channel groups: each group of `in / groups` inputs makes `filters / groups` outputs. */
  readonly groups?: number;
  readonly activation?: ActivationLike;
}

/** The N-D convolution behind Conv1D/2D/3D (Keras' `BaseConv`). */
export abstract class BaseConv extends Layer {
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly dilationRate: number[];
  readonly padding: "valid" | "same" | "causal";
  readonly dataFormat: DataFormat;
  readonly groups: number;
  readonly activation: (x: Tracer) => Tracer;
  kernel!: Variable;
  bias: Variable | null = null;

  constructor(readonly rank: number, filters: number, kernelSize: number | readonly number[], readonly options: ConvOptions = {}) {
    super(options);
    const cls = this.className;
    if (!Number.isInteger(filters) || filters <= 0) throw new RangeError(`${cls}: filters must be a positive integer, received ${JSON.stringify(filters)}.`);
    this.filters = filters;
    this.kernelSize = normalizeTuple(cls, "kernelSize", kernelSize, rank);
    this.strides = normalizeTuple(cls, "strides", options.strides ?? 1, rank);
    this.dilationRate = normalizeTuple(cls, "dilationRate", options.dilationRate ?? 1, rank);
    this.padding = normalizePadding(cls, options.padding, rank === 1 ? ["valid", "same", "causal"] : ["valid", "same"]);
    this.dataFormat = normalizeDataFormat(cls, options.dataFormat);
    this.groups = options.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups <= 0 || filters % this.groups !== 0) {
      throw new RangeError(`${cls}: groups must be a positive integer dividing filters (${filters}), received ${JSON.stringify(options.groups)}.`);
    }
    if (Math.max(...this.strides) > 1 && Math.max(...this.dilationRate) > 1) {
      throw new RangeError(
        `${cls}: strides > 1 cannot be combined with dilationRate > 1 (as in Keras), received strides [${this.strides}] ` +
          `and dilationRate [${this.dilationRate}]. Use one or the other.`,
      );
    }
    this.activation = resolveActivation(options.activation);
  }

  override build(shape: Shape): void {
    const inC = knownChannels(this, shape, this.rank, this.dataFormat);
    if (inC % this.groups !== 0) {
      throw new RangeError(`${this.className} '${this.name}': the input channels (${inC}) must be divisible by groups (${this.groups}).`);
    }
    const o = this.options;
    this.kernel = this.addWeight("kernel", [...this.kernelSize, inC / this.groups, this.filters], {
      initializer: o.kernelInitializer ?? "glorot_uniform", regularizer: o.kernelRegularizer, constraint: o.kernelConstraint,
    });
    if (o.useBias ?? true) {
      this.bias = this.addWeight("bias", [this.filters], {
        initializer: o.biasInitializer ?? "zeros", regularizer: o.biasRegularizer, constraint: o.biasConstraint,
      });
    }
  }

  call(x: Tracer): Tracer {
    const df = this.dataFormat;
    knownChannels(this, x.shape, this.rank, df);
    const kernel = this.kernel.value;
    const inC = x.shape[channelAxis(this.rank, df)];
    const perGroup = kernel.shape[this.rank];
    if (inC !== perGroup * this.groups) {
      throw new RangeError(`${this.className} '${this.name}': expected ${perGroup * this.groups} input channels (the layer was built for them), received shape [${x.shape}].`);
    }
    let padding: "SAME" | "VALID" = this.padding === "same" ? "SAME" : "VALID";
    if (this.padding === "causal") {
      // Causal: pad only the start of the time axis so step t sees steps <= t.
      const left = this.dilationRate[0] * (this.kernelSize[0] - 1);
      x = np.pad(x, df === "channels_last" ? [[0, 0], [left, 0], [0, 0]] : [[0, 0], [0, 0], [left, 0]]);
      padding = "VALID";
    }
    let y = lax.convGeneralDilated(x, kernel, this.strides, padding, {
      rhsDilation: this.dilationRate, dimensionNumbers: convDimensionNumbers(this.rank, df), featureGroupCount: this.groups,
    });
    if (this.bias) y = addBias(y, this.bias.value, df);
    return this.activation(y);
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), filters: this.filters, kernelSize: [...this.kernelSize], strides: [...this.strides],
      padding: this.padding, dataFormat: this.dataFormat, dilationRate: [...this.dilationRate], groups: this.groups,
      activation: activationId(o.activation), ...kernelBiasConfig(o),
    };
  }

  static fromConfig<T extends BaseConv>(
    this: new (filters: number, kernelSize: number | readonly number[], options?: ConvOptions) => T, c: LayerConfig,
  ): T {
    return new this(c.filters as number, c.kernelSize as number[], c as ConvOptions);
  }
}

/**
 * 1-D convolution over (batch, steps, channels) inputs; `padding: "causal"` for autoregressive models.
 *
 * @example new layers.Conv1D(16, 3, { padding: "causal", dilationRate: 2 })
 */
export class Conv1D extends BaseConv {
  constructor(filters: number, kernelSize: number | readonly number[], options: ConvOptions = {}) {
    super(1, filters, kernelSize, options);
  }
}

/**
 * 2-D convolution over images (batch, height, width, channels).
 *
 * @example new layers.Conv2D(32, 3, { activation: "relu", padding: "same" })
 */
export class Conv2D extends BaseConv {
  constructor(filters: number, kernelSize: number | readonly number[], options: ConvOptions = {}) {
    super(2, filters, kernelSize, options);
  }
}

/**
 * 3-D convolution over volumes (batch, depth, height, width, channels).
 *
 * @example new layers.Conv3D(8, [3, 3, 3], { strides: 2 })
 */
export class Conv3D extends BaseConv {
  constructor(filters: number, kernelSize: number | readonly number[], options: ConvOptions = {}) {
    super(3, filters, kernelSize, options);
  }
}

export { Conv1D as Convolution1D, Conv2D as Convolution2D, Conv3D as Convolution3D };
