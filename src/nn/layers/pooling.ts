/**
 * @file Pooling layers: MaxPooling1D/2D/3D and AveragePooling1D/2D/3D (one `lax.reduceWindow`
 * each), and the global variants that reduce every spatial axis. Average pooling with "same"
 * padding divides each window by its count of real (unpadded) elements, as Keras does.
 */
import { np, lax, type Tracer } from "../../index.js";
import { Layer, type LayerConfig, type LayerOptions } from "../layer.js";
import {
  type DataFormat, channelAxis, checkRank, layoutText, normalizeDataFormat, normalizePadding, normalizeTuple,
} from "./conv.js";

export interface PoolingOptions extends LayerOptions {
  /** Step between windows; null or absent: the pool size (non-overlapping windows). */
  readonly strides?: number | readonly number[] | null;
  /** "valid" drops incomplete windows; "same" pads so the output has ceil(in / stride) elements. */
  readonly padding?: "valid" | "same";
  readonly dataFormat?: DataFormat | null;
}

/** Windowed max or mean over the spatial axes (Keras' `BasePooling`). */
export abstract class BasePooling extends Layer {
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: "valid" | "same";
  readonly dataFormat: DataFormat;

  constructor(readonly rank: number, readonly mode: "max" | "average", poolSize: number | readonly number[], options: PoolingOptions = {}) {
    super(options);
    const cls = this.className;
    this.poolSize = normalizeTuple(cls, "poolSize", poolSize, rank);
    this.strides = normalizeTuple(cls, "strides", options.strides ?? this.poolSize, rank);
    this.padding = normalizePadding(cls, options.padding, ["valid", "same"] as const);
    this.dataFormat = normalizeDataFormat(cls, options.dataFormat);
  }

  /** Window sizes or strides over all axes: 1 on the batch and channel axes. */
  #full(spatial: readonly number[]): number[] {
    return this.dataFormat === "channels_last" ? [1, ...spatial, 1] : [1, 1, ...spatial];
  }

  call(x: Tracer): Tracer {
    checkRank(this, x.shape, this.rank + 2, layoutText(this.rank, this.dataFormat));
    const win = this.#full(this.poolSize);
    const strides = this.#full(this.strides);
    const padding = this.padding === "same" ? "SAME" : "VALID";
    if (this.mode === "max") return lax.reduceWindow(x, "max", win, strides, padding);
    const sums = lax.reduceWindow(x, "sum", win, strides, padding);
    if (this.padding === "valid") return sums.div(this.poolSize.reduce((a, b) => a * b, 1));
    // Count the real elements of each window: sum-pool ones over the spatial axes only.
    const ch = channelAxis(this.rank, this.dataFormat);
    const onesShape = x.shape.map((d, i) => (i === 0 || i === ch ? 1 : d));
    const counts = lax.reduceWindow(np.ones(onesShape, { dtype: x.dtype }), "sum", win, strides, padding);
    return sums.div(counts);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), poolSize: [...this.poolSize], padding: this.padding, strides: [...this.strides], dataFormat: this.dataFormat };
  }

  static fromConfig<T extends BasePooling>(
    this: new (poolSize?: number | readonly number[], options?: PoolingOptions) => T, c: LayerConfig,
  ): T {
    return new this(c.poolSize as number[], c as PoolingOptions);
  }
}

/** Max over windows of (batch, steps, channels) inputs. @example new layers.MaxPooling1D(2) */
export class MaxPooling1D extends BasePooling {
  constructor(poolSize: number | readonly number[] = 2, options: PoolingOptions = {}) {
    super(1, "max", poolSize, options);
  }
}

/**
 * Max over `poolSize` windows of images; strides default to the pool size.
 *
 * @example new layers.MaxPooling2D(2) // (batch, 8, 8, c) -> (batch, 4, 4, c)
 */
export class MaxPooling2D extends BasePooling {
  constructor(poolSize: number | readonly number[] = [2, 2], options: PoolingOptions = {}) {
    super(2, "max", poolSize, options);
  }
}

/** Max over windows of volumes. @example new layers.MaxPooling3D([2, 2, 2]) */
export class MaxPooling3D extends BasePooling {
  constructor(poolSize: number | readonly number[] = [2, 2, 2], options: PoolingOptions = {}) {
    super(3, "max", poolSize, options);
  }
}

/** Mean over windows of sequences. @example new layers.AveragePooling1D(2, { padding: "same" }) */
export class AveragePooling1D extends BasePooling {
  constructor(poolSize: number | readonly number[] = 2, options: PoolingOptions = {}) {
    super(1, "average", poolSize, options);
  }
}

/** Mean over windows of images. @example new layers.AveragePooling2D(2, { strides: 1 }) */
export class AveragePooling2D extends BasePooling {
  constructor(poolSize: number | readonly number[] = [2, 2], options: PoolingOptions = {}) {
    super(2, "average", poolSize, options);
  }
}

/** Mean over windows of volumes. @example new layers.AveragePooling3D(2) */
export class AveragePooling3D extends BasePooling {
  constructor(poolSize: number | readonly number[] = [2, 2, 2], options: PoolingOptions = {}) {
    super(3, "average", poolSize, options);
  }
}

export interface GlobalPoolingOptions extends LayerOptions {
  readonly dataFormat?: DataFormat | null;
  /** Keep the reduced spatial axes with size 1. Default false: (batch, channels). */
  readonly keepdims?: boolean;
}

/** Max or mean over every spatial axis (Keras' `BaseGlobalPooling`). */
export abstract class BaseGlobalPooling extends Layer {
  readonly dataFormat: DataFormat;
  readonly keepdims: boolean;

  constructor(readonly rank: number, readonly mode: "max" | "average", options: GlobalPoolingOptions = {}) {
    super(options);
    this.dataFormat = normalizeDataFormat(this.className, options.dataFormat);
    this.keepdims = options.keepdims ?? false;
  }

  call(x: Tracer): Tracer {
    checkRank(this, x.shape, this.rank + 2, layoutText(this.rank, this.dataFormat));
    const first = this.dataFormat === "channels_last" ? 1 : 2;
    const axis = Array.from({ length: this.rank }, (_, i) => first + i);
    return this.mode === "max" ? np.max(x, { axis, keepdims: this.keepdims }) : np.mean(x, { axis, keepdims: this.keepdims });
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), dataFormat: this.dataFormat, keepdims: this.keepdims };
  }

  static fromConfig<T extends BaseGlobalPooling>(this: new (options?: GlobalPoolingOptions) => T, c: LayerConfig): T {
    return new this(c as GlobalPoolingOptions);
  }
}

/** Mean over the steps: (batch, steps, channels) -> (batch, channels). @example new layers.GlobalAveragePooling1D() */
export class GlobalAveragePooling1D extends BaseGlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(1, "average", options);
  }
}

/** Mean over height and width. @example new layers.GlobalAveragePooling2D({ keepdims: true }) */
export class GlobalAveragePooling2D extends BaseGlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(2, "average", options);
  }
}

/** Mean over depth, height and width. @example new layers.GlobalAveragePooling3D() */
export class GlobalAveragePooling3D extends BaseGlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(3, "average", options);
  }
}

/** Max over the steps. @example new layers.GlobalMaxPooling1D() */
export class GlobalMaxPooling1D extends BaseGlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(1, "max", options);
  }
}

/** Max over height and width. @example new layers.GlobalMaxPooling2D() */
export class GlobalMaxPooling2D extends BaseGlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(2, "max", options);
  }
}

/** Max over depth, height and width. @example new layers.GlobalMaxPooling3D({ dataFormat: "channels_first" }) */
export class GlobalMaxPooling3D extends BaseGlobalPooling {
  constructor(options: GlobalPoolingOptions = {}) {
    super(3, "max", options);
  }
}

export {
  MaxPooling1D as MaxPool1D, MaxPooling2D as MaxPool2D, MaxPooling3D as MaxPool3D,
  AveragePooling1D as AvgPool1D, AveragePooling2D as AvgPool2D, AveragePooling3D as AvgPool3D,
  GlobalAveragePooling1D as GlobalAvgPool1D, GlobalAveragePooling2D as GlobalAvgPool2D, GlobalAveragePooling3D as GlobalAvgPool3D,
  GlobalMaxPooling1D as GlobalMaxPool1D, GlobalMaxPooling2D as GlobalMaxPool2D, GlobalMaxPooling3D as GlobalMaxPool3D,
};
