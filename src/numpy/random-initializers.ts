/**
 * @file Weight initializers in the style of `jax.nn.initializers` (jax 0.4.30): variance
 * scaling with fan-in / fan-out taken from the last two axes (input, output) times the
 * receptive field (the product of the other axes), e.g. [kh, kw, in, out] conv kernels.
 */
import { type DType, ShapeError, sizeOf } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { constant } from "./sort-util.js";
import { type Key, checkKey, floatDtype, normal, shapeOf, uniform } from "./random-core.js";
import { truncatedNormal } from "./random-samplers.js";

/** An initializer: `(key, shape, dtype = "float32") => Array`. */
export type Initializer = (key: Key, shape: readonly number[], dtype?: DType) => Tracer;

/** Axes options of `varianceScaling` (defaults: in -2, out -1, no batch axes). */
export interface FanAxes {
  readonly inAxis?: number | readonly number[];
  readonly outAxis?: number | readonly number[];
  readonly batchAxis?: readonly number[];
}

/**
 * Fan-in and fan-out of a weight shape: in/out axis sizes times the receptive field.
 *
 * @example computeFans([3, 3, 16, 32]) // [144, 288]
 */
export function computeFans(shape: readonly number[], axes: FanAxes = {}): [number, number] {
  if (shape.length < 2) {
    throw new ShapeError(`initializers: cannot compute fan-in and fan-out of a ${shape.length}-D shape [${shape}]; weights must be at least 2-D.`);
  }
  const at = (a: number) => shape[a < 0 ? a + shape.length : a];
  const prod = (ax: number | readonly number[]) => (typeof ax === "number" ? at(ax) : ax.reduce((p, a) => p * at(a), 1));
  const inSize = prod(axes.inAxis ?? -2);
  const outSize = prod(axes.outAxis ?? -1);
  const batchSize = prod(axes.batchAxis ?? []);
  const receptive = sizeOf(shape) / inSize / outSize / batchSize;
  return [inSize * receptive, outSize * receptive];
}

/**
 * An initializer with variance `scale / n`, n the fan-in, fan-out or their mean, drawn from a
 * normal, a normal truncated at two standard deviations, or a uniform distribution.
 *
 * @example const init = random.varianceScaling(2, "fan_in", "truncated_normal"); init(key, [784, 128])
 */
export function varianceScaling(
  scale: number,
  mode: "fan_in" | "fan_out" | "fan_avg",
  distribution: "truncated_normal" | "normal" | "uniform",
  axes: FanAxes = {},
): Initializer {
  return (k, shape, dt) => {
    checkKey("varianceScaling", k);
    const dtype = floatDtype("varianceScaling", dt);
    const s = shapeOf("varianceScaling", shape);
    const [fanIn, fanOut] = computeFans(s, axes);
    const denom = mode === "fan_in" ? fanIn : mode === "fan_out" ? fanOut : mode === "fan_avg" ? (fanIn + fanOut) / 2 : NaN;
    if (Number.isNaN(denom)) throw new TypeError(`varianceScaling: unknown mode ${JSON.stringify(mode)}; expected fan_in, fan_out or fan_avg.`);
    const variance = constant(scale / denom, dtype);
    switch (distribution) {
      case "truncated_normal": {
        // 0.8796... is the standard deviation of a standard normal truncated to (-2, 2).
        const std = lax.div(lax.sqrt(variance), constant(0.87962566103423978, dtype));
        return lax.mul(truncatedNormal(k, -2, 2, s, { dtype }), std);
      }
      case "normal":
        return lax.mul(normal(k, s, { dtype }), lax.sqrt(variance));
      case "uniform": {
        const limit = lax.sqrt(lax.mul(constant(3, dtype), variance));
        return lax.mul(uniform(k, s, { dtype, minval: -1 }), limit);
      }
      default:
        throw new TypeError(`varianceScaling: unknown distribution ${JSON.stringify(distribution)}; expected truncated_normal, normal or uniform.`);
    }
  };
}

/** Glorot (Xavier) uniform: variance 1 / fan_avg. @example random.glorotUniform(key, [784, 128]) */
export const glorotUniform: Initializer = varianceScaling(1, "fan_avg", "uniform");
/** Glorot (Xavier) normal (truncated): variance 1 / fan_avg. @example random.glorotNormal(key, [64, 10]) */
export const glorotNormal: Initializer = varianceScaling(1, "fan_avg", "truncated_normal");
/** LeCun uniform: variance 1 / fan_in. @example random.lecunUniform(key, [64, 10]) */
export const lecunUniform: Initializer = varianceScaling(1, "fan_in", "uniform");
/** LeCun normal (truncated): variance 1 / fan_in. @example random.lecunNormal(key, [64, 10]) */
export const lecunNormal: Initializer = varianceScaling(1, "fan_in", "truncated_normal");
/** He (Kaiming) uniform: variance 2 / fan_in. @example random.heUniform(key, [3, 3, 16, 32]) */
export const heUniform: Initializer = varianceScaling(2, "fan_in", "uniform");
/** He (Kaiming) normal (truncated): variance 2 / fan_in. @example random.heNormal(key, [784, 128]) */
export const heNormal: Initializer = varianceScaling(2, "fan_in", "truncated_normal");
