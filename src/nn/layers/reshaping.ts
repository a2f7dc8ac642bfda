/**
 * @file Spatial reshaping layers: UpSampling1D/2D/3D (nearest repeats; bilinear for 2-D),
 * ZeroPadding1D/2D/3D and Cropping1D/2D/3D. Arguments take Keras' forms: one integer for every
 * side, one per spatial axis (symmetric), or a (before, after) pair per axis.
 */
import { np, lax, type Tracer } from "../../index.js";
import { Layer, type LayerConfig, type LayerOptions } from "../layer.js";
import { type DataFormat, checkRank, layoutText, normalizeDataFormat, normalizeTuple } from "./conv.js";

/** (before, after) pairs per spatial axis; a 1-D layer's pair is `[before, after]` itself. */
export type SidePairs = number | readonly number[] | readonly (readonly [number, number])[];

function normalizePairs(cls: string, what: string, v: SidePairs, rank: number): [number, number][] {
  const bad = () =>
    new RangeError(
      `${cls}: ${what} must be a non-negative integer, ${rank === 1 ? "a [before, after] pair" : `a list of ${rank} integers or of ${rank} [before, after] pairs`}, ` +
        `received ${JSON.stringify(v)}.`,
    );
  const ok = (d: unknown) => Number.isInteger(d) && (d as number) >= 0;
  if (typeof v === "number") {
    if (!ok(v)) throw bad();
    return Array.from({ length: rank }, () => [v, v]);
  }
  if (!Array.isArray(v)) throw bad();
  if (rank === 1 && v.length === 2 && v.every(ok)) return [[v[0] as number, v[1] as number]];
  if (v.length !== rank) throw bad();
  return v.map((p: unknown) => {
    if (ok(p)) return [p as number, p as number];
    if (Array.isArray(p) && p.length === 2 && p.every(ok)) return [p[0], p[1]];
    throw bad();
  });
}

/** The axes of the spatial dimensions for a data format. */
const spatialAxes = (rank: number, df: DataFormat): number[] => Array.from({ length: rank }, (_, i) => (df === "channels_last" ? 1 : 2) + i);

export interface SpatialOptions extends LayerOptions {
  readonly dataFormat?: DataFormat | null;
}

export interface UpSampling2DOptions extends SpatialOptions {
  /** "nearest" repeats rows and columns; "bilinear" interpolates (half-pixel centers, edges clamped). */
  readonly interpolation?: "nearest" | "bilinear";
}

/** Bilinear resampling of one axis by an integer factor, with jax.image.resize's half-pixel centers. */
function bilinearAxis(x: Tracer, axis: number, factor: number): Tracer {
  const n = x.shape[axis];
  const lo: number[] = [];
  const hi: number[] = [];
  const w: number[] = [];
  for (let o = 0; o < n * factor; o++) {
    const p = (o + 0.5) / factor - 0.5;
    const i = Math.floor(p);
    // Out-of-range neighbours are dropped and the weights renormalized: the same as clamping.
    lo.push(Math.min(Math.max(i, 0), n - 1));
    hi.push(Math.min(Math.max(i + 1, 0), n - 1));
    w.push(p - i);
  }
  const wShape = x.shape.map((_, a) => (a === axis ? n * factor : 1));
  const wHi = np.array(w, { dtype: x.dtype }).reshape(wShape);
  const a = np.take(x, np.array(lo, { dtype: "int32" }), { axis });
  const b = np.take(x, np.array(hi, { dtype: "int32" }), { axis });
  return a.add(b.sub(a).mul(wHi));
}

/** Repeats (or interpolates) each spatial axis by its factor (Keras' UpSampling1D/2D/3D). */
export abstract class BaseUpSampling extends Layer {
  readonly size: number[];
  readonly dataFormat: DataFormat;
  readonly interpolation: "nearest" | "bilinear";

  constructor(readonly rank: number, size: number | readonly number[], options: UpSampling2DOptions = {}) {
    super(options);
    const cls = this.className;
    this.size = normalizeTuple(cls, "size", size, rank);
    this.dataFormat = normalizeDataFormat(cls, options.dataFormat);
    const interp = options.interpolation ?? "nearest";
    if (interp !== "nearest" && !(interp === "bilinear" && rank === 2)) {
      throw new RangeError(`${cls}: interpolation must be ${rank === 2 ? '"nearest" or "bilinear"' : '"nearest"'}, received ${JSON.stringify(interp)}.`);
    }
    this.interpolation = interp;
  }

  call(x: Tracer): Tracer {
    checkRank(this, x.shape, this.rank + 2, this.rank === 1 ? "(batch, steps, features)" : layoutText(this.rank, this.dataFormat));
    spatialAxes(this.rank, this.dataFormat).forEach((axis, i) => {
      if (this.size[i] === 1) return;
      x = this.interpolation === "bilinear" ? bilinearAxis(x, axis, this.size[i]) : np.repeat(x, this.size[i], { axis });
    });
    return x;
  }
}

/** Repeats each step `size` times: (batch, steps, features) -> (batch, steps * size, features). @example new layers.UpSampling1D(2) */
export class UpSampling1D extends BaseUpSampling {
  constructor(size: number = 2, options: LayerOptions = {}) {
    super(1, size, options);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), size: this.size[0] };
  }
  static fromConfig(c: LayerConfig): UpSampling1D {
    return new UpSampling1D(c.size as number, c);
  }
}

/**
 * Upsamples images by `size` (rows, columns), repeating pixels or interpolating bilinearly.
 *
 * @example new layers.UpSampling2D(2, { interpolation: "bilinear" }) // (b, 4, 4, c) -> (b, 8, 8, c)
 */
export class UpSampling2D extends BaseUpSampling {
  constructor(size: number | readonly number[] = [2, 2], options: UpSampling2DOptions = {}) {
    super(2, size, options);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), size: [...this.size], dataFormat: this.dataFormat, interpolation: this.interpolation };
  }
  static fromConfig(c: LayerConfig): UpSampling2D {
    return new UpSampling2D(c.size as number[], c);
  }
}

/** Repeats voxels along depth, height and width. @example new layers.UpSampling3D([2, 2, 2]) */
export class UpSampling3D extends BaseUpSampling {
  constructor(size: number | readonly number[] = [2, 2, 2], options: SpatialOptions = {}) {
    super(3, size, options);
  }
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), size: [...this.size], dataFormat: this.dataFormat };
  }
  static fromConfig(c: LayerConfig): UpSampling3D {
    return new UpSampling3D(c.size as number[], c);
  }
}

/** Pads (ZeroPadding) or crops (Cropping) each spatial axis by (before, after) amounts. */
export abstract class BaseSpatialPad extends Layer {
  readonly pairs: [number, number][];
  readonly dataFormat: DataFormat;

  constructor(readonly rank: number, readonly kind: "padding" | "cropping", amounts: SidePairs, options: SpatialOptions = {}) {
    super(options);
    this.pairs = normalizePairs(this.className, kind, amounts, rank);
    this.dataFormat = normalizeDataFormat(this.className, rank === 1 ? null : options.dataFormat);
  }

  call(x: Tracer): Tracer {
    checkRank(this, x.shape, this.rank + 2, this.rank === 1 ? "(batch, steps, features)" : layoutText(this.rank, this.dataFormat));
    const axes = spatialAxes(this.rank, this.dataFormat);
    const per = x.shape.map((): [number, number] => [0, 0]);
    axes.forEach((a, i) => (per[a] = this.pairs[i]));
    if (this.kind === "padding") return np.pad(x, per);
    axes.forEach((a, i) => {
      if (this.pairs[i][0] + this.pairs[i][1] >= x.shape[a]) {
        throw new RangeError(
          `${this.className} '${this.name}': cropping [${this.pairs[i]}] removes all of axis ${a} (size ${x.shape[a]}) of input shape [${x.shape}]. ` +
            `Crop less than the axis size.`,
        );
      }
    });
    return lax.slice(x, per.map(([b]) => b), per.map(([, e], a) => x.shape[a] - e));
  }

  override getConfig(): LayerConfig {
    const v = this.rank === 1 ? [...this.pairs[0]] : this.pairs.map((p) => [...p]);
    return { ...super.getConfig(), [this.kind]: v, ...(this.rank === 1 ? {} : { dataFormat: this.dataFormat }) };
  }

  static fromConfig<T extends BaseSpatialPad>(this: new (amounts?: SidePairs, options?: SpatialOptions) => T, c: LayerConfig): T {
    return new this((c.padding ?? c.cropping) as SidePairs, c as SpatialOptions);
  }
}

/** Zeros before and after the steps. @example new layers.ZeroPadding1D([1, 2]) */
export class ZeroPadding1D extends BaseSpatialPad {
  constructor(padding: SidePairs = 1, options: LayerOptions = {}) {
    super(1, "padding", padding, options);
  }
}

/**
 * Zero rows and columns around images: `1`, `[rows, cols]` or `[[top, bottom], [left, right]]`.
 *
 * @example new layers.ZeroPadding2D([[1, 0], [1, 0]])
 */
export class ZeroPadding2D extends BaseSpatialPad {
  constructor(padding: SidePairs = [1, 1], options: SpatialOptions = {}) {
    super(2, "padding", padding, options);
  }
}

/** Zero padding of volumes. @example new layers.ZeroPadding3D(1) */
export class ZeroPadding3D extends BaseSpatialPad {
  constructor(padding: SidePairs = [1, 1, 1], options: SpatialOptions = {}) {
    super(3, "padding", padding, options);
  }
}

/** Removes steps at the start and end. @example new layers.Cropping1D([1, 1]) */
export class Cropping1D extends BaseSpatialPad {
  constructor(cropping: SidePairs = [1, 1], options: LayerOptions = {}) {
    super(1, "cropping", cropping, options);
  }
}

/**
 * Removes rows and columns at the borders of images: `[[top, bottom], [left, right]]`.
 *
 * @example new layers.Cropping2D([[2, 2], [4, 4]])
 */
export class Cropping2D extends BaseSpatialPad {
  constructor(cropping: SidePairs = [[0, 0], [0, 0]], options: SpatialOptions = {}) {
    super(2, "cropping", cropping, options);
  }
}

/** Crops volumes. @example new layers.Cropping3D([[1, 1], [1, 1], [1, 1]]) */
export class Cropping3D extends BaseSpatialPad {
  constructor(cropping: SidePairs = [[1, 1], [1, 1], [1, 1]], options: SpatialOptions = {}) {
    super(3, "cropping", cropping, options);
  }
}
