/**
 * @file Image helpers of the augmentation layers: the channels-last view of (un)batched
 * images, and an affine resampler (nearest or bilinear, with Keras' fill modes) built from a
 * gather, so it runs under jit and vmap like any other Kiln code.
 */
import { np, lax, type Tracer } from "../../index.js";
import type { LayerConfig, LayerOptions } from "../layer.js";

export type FillMode = "reflect" | "constant" | "nearest" | "wrap";
export type Interpolation = "bilinear" | "nearest";

/** Options shared by the image augmentation layers. */
export interface ImageOptions extends LayerOptions {
  /** How points outside the image are filled (default "reflect": d c b a | a b c d | d c b a). */
  readonly fillMode?: FillMode;
  /** Default "bilinear". */
  readonly interpolation?: Interpolation;
  /** The value of outside points with `fillMode: "constant"` (default 0). */
  readonly fillValue?: number;
  readonly seed?: number | null;
  /** Where the channels are (default "channels_last"). */
  readonly dataFormat?: "channels_last" | "channels_first";
}

const FILL_MODES: readonly FillMode[] = ["reflect", "constant", "nearest", "wrap"];

/** Validates the shared options (strings coming from configs are checked too). */
export function checkImageOptions(layer: string, o: ImageOptions): void {
  if (o.fillMode !== undefined && !FILL_MODES.includes(o.fillMode)) {
    throw new RangeError(`${layer}: fillMode must be one of ${FILL_MODES.map((m) => `"${m}"`).join(", ")}, received ${JSON.stringify(o.fillMode)}.`);
  }
  if (o.interpolation !== undefined && o.interpolation !== "bilinear" && o.interpolation !== "nearest") {
    throw new RangeError(`${layer}: interpolation must be "bilinear" or "nearest", received ${JSON.stringify(o.interpolation)}.`);
  }
  if (o.dataFormat !== undefined && o.dataFormat !== "channels_last" && o.dataFormat !== "channels_first") {
    throw new RangeError(`${layer}: dataFormat must be "channels_last" or "channels_first", received ${JSON.stringify(o.dataFormat)}.`);
  }
}

/** The shared options as config entries, defaults filled in. */
export const imageConfig = (o: ImageOptions): LayerConfig => ({
  fillMode: o.fillMode ?? "reflect", interpolation: o.interpolation ?? "bilinear", fillValue: o.fillValue ?? 0,
  seed: o.seed ?? null, dataFormat: o.dataFormat ?? "channels_last",
});

/**
 * Runs `fn` on the images as a float (batch, height, width, channels) array and returns its
 * result in the input's layout: an unbatched (rank-3) image gets a batch of one, and
 * channels-first images are transposed there and back.
 */
export function withChannelsLast(layer: string, images: Tracer, dataFormat: ImageOptions["dataFormat"], fn: (x: Tracer) => Tracer): Tracer {
  if (images.ndim !== 3 && images.ndim !== 4) {
    throw new RangeError(
      `${layer}: expected images of rank 4 (batch, height, width, channels) or rank 3 (one image), received shape [${images.shape}].`,
    );
  }
  const float = images.dtype === "float32" || images.dtype === "float64" || images.dtype === "float16";
  let x = float ? images : images.astype("float32");
  const batched = x.ndim === 4;
  if (!batched) x = np.expandDims(x, 0);
  const first = dataFormat === "channels_first";
  if (first) x = np.transpose(x, [0, 2, 3, 1]);
  let y = fn(x);
  if (first) y = np.transpose(y, [0, 3, 1, 2]);
  return batched ? y : y.reshape(y.shape.slice(1));
}

/** Integer tap positions mapped into [0, n) per the fill mode, and whether each was inside. */
function fixIndex(i: Tracer, n: number, mode: FillMode): [Tracer, Tracer] {
  const inside = np.logicalAnd(np.greaterEqual(i, 0), np.less(i, n));
  switch (mode) {
    case "constant":
    case "nearest":
      return [np.clip(i, 0, n - 1), inside];
    case "wrap":
      return [np.remainder(i, n), inside];
    case "reflect": {
      const m = np.remainder(i, 2 * n);
      return [np.where(np.greaterEqual(m, n), np.subtract(2 * n - 1, m), m), inside];
    }
    default:
      return mode satisfies never;
  }
}

/** `v` rounded half away from zero (as JAX's map_coordinates does for order 0). */
const roundHalfAway = (v: Tracer): Tracer => np.sign(v).mul(np.floor(np.abs(v).add(0.5)));

/**
 * Resamples NHWC images through per-image affine maps: `transforms` is (batch, 6) rows
 * `[a0, a1, a2, b0, b1, b2]` sending output pixel (x = column, y = row) to input point
 * `(a0 x + a1 y + a2, b0 x + b1 y + b2)`, as in TF/Keras image transforms without the
 * projective terms. Each interpolation tap outside the image is filled per `fillMode`.
 */
export function transformImages(images: Tracer, transforms: Tracer, o: ImageOptions): Tracer {
  const [b, h, w, c] = images.shape;
  const mode = o.fillMode ?? "reflect";
  const grid = [b, h, w];
  const col = lax.iota("float32", grid, 2);
  const row = lax.iota("float32", grid, 1);
  const tr = transforms.astype("float32");
  const t = (k: number) => lax.broadcastInDim(lax.slice(tr, [0, k], [b, k + 1]).reshape([b]), grid, [0]);
  const xs = t(0).mul(col).add(t(1).mul(row)).add(t(2));
  const ys = t(3).mul(col).add(t(4).mul(row)).add(t(5));
  const flat = images.reshape([b * h * w, c]);
  const base = lax.iota("int32", grid, 0).mul(h * w);
  const tap = (yi: Tracer, xi: Tracer): Tracer => {
    const [yy, yIn] = fixIndex(yi.astype("int32"), h, mode);
    const [xx, xIn] = fixIndex(xi.astype("int32"), w, mode);
    const v = np.take(flat, base.add(yy.mul(w)).add(xx).reshape([-1]), { axis: 0 }).reshape([b, h, w, c]);
    if (mode !== "constant") return v;
    return np.where(np.expandDims(np.logicalAnd(yIn, xIn), -1), v, o.fillValue ?? 0);
  };
  if ((o.interpolation ?? "bilinear") === "nearest") return tap(roundHalfAway(ys), roundHalfAway(xs));
  const x0 = np.floor(xs);
  const y0 = np.floor(ys);
  const wx = np.expandDims(xs.sub(x0), -1);
  const wy = np.expandDims(ys.sub(y0), -1);
  const x1 = x0.add(1);
  const y1 = y0.add(1);
  const top = tap(y0, x0).mul(wx.neg().add(1)).add(tap(y0, x1).mul(wx));
  const bottom = tap(y1, x0).mul(wx.neg().add(1)).add(tap(y1, x1).mul(wx));
  return top.mul(wy.neg().add(1)).add(bottom.mul(wy));
}
