/**
 * @file Keras' initializer classes (`keras.initializers`) with Keras 3's names, defaults and
 * formulas, drawing from Kiln's threefry keys: `init.sample(key, shape, dtype)`. Fans follow
 * Keras' `compute_fans` (a conv kernel [kh, kw, in, out] has fan-in kh·kw·in), which differs
 * from jax.nn's on 0-D and 1-D shapes. The functional jax.nn-style initializers are re-exported
 * here too, so that one `initializers` namespace serves both styles.
 * Reference: keras/src/initializers/*.py (Keras 3.3).
 */
import { np, random, type DType, type Tracer } from "../index.js";
import {
  type Config, type JsonValue, type Serialized, choiceArg, deserializeWith, describe, makeRegistry, numberArg, resolve, serializeWith,
} from "../optim/keras-config.js";
import { initializers as functional } from "./functions.js";
import { Identity, Initializer, Orthogonal, RandomInitializer, kerasFans, shapeArg } from "./initializers-base.js";

export { Initializer, Orthogonal, Identity, kerasFans } from "./initializers-base.js";

/** Arguments of `Constant`. */
export interface ConstantConfig {
  /** Default 0. */
  readonly value?: number;
}

/**
 * Fills with zeros.
 *
 * @example new Zeros().sample(key, [3]) // [0, 0, 0]
 */
export class Zeros extends Initializer {
  constructor(_config: Config = {}) {
    super();
  }

  sample(_key: Tracer, shape: readonly number[], dtype: DType = "float32"): Tracer {
    return np.zeros(shapeArg("initializers.Zeros", shape), { dtype });
  }
}

/**
 * Fills with ones.
 *
 * @example new Ones().sample(key, [2]) // [1, 1]
 */
export class Ones extends Initializer {
  constructor(_config: Config = {}) {
    super();
  }

  sample(_key: Tracer, shape: readonly number[], dtype: DType = "float32"): Tracer {
    return np.ones(shapeArg("initializers.Ones", shape), { dtype });
  }
}

/**
 * Fills with `value` (default 0).
 *
 * @example new Constant(0.1).sample(key, [2]) // [0.1, 0.1]
 */
export class Constant extends Initializer {
  static override readonly configKeys = ["value"];
  readonly value: number;

  constructor(value: number | ConstantConfig = {}) {
    super();
    const c = typeof value === "number" ? { value } : value;
    this.value = numberArg("initializers.Constant", "value", c.value, 0);
  }

  sample(_key: Tracer, shape: readonly number[], dtype: DType = "float32"): Tracer {
    return np.full(shapeArg("initializers.Constant", shape), this.value, { dtype });
  }

  override getConfig(): Config {
    return { value: this.value };
  }
}

/** Arguments of `RandomNormal` and `TruncatedNormal`. */
export interface NormalConfig {
  /** Default 0. */
  readonly mean?: number;
  /** Default 0.05. */
  readonly stddev?: number;
  readonly seed?: number | null;
}

/**
 * Normal draws N(mean, stddev²); defaults mean 0, stddev 0.05.
 *
 * @example new RandomNormal(0, 0.02).sample(random.key(0), [64, 64])
 */
export class RandomNormal extends RandomInitializer {
  static override readonly configKeys = ["mean", "stddev", "seed"];
  readonly mean: number;
  readonly stddev: number;

  constructor(mean: number | NormalConfig = {}, stddev?: number, opts: { seed?: number | null } = {}) {
    const c = typeof mean === "number" ? { mean, stddev, ...opts } : mean;
    super("initializers.RandomNormal", c.seed);
    this.mean = numberArg("initializers.RandomNormal", "mean", c.mean, 0);
    this.stddev = numberArg("initializers.RandomNormal", "stddev", c.stddev, 0.05, "nonNegative");
  }

  sample(key: Tracer, shape: readonly number[], dtype: DType = "float32"): Tracer {
    return random.normal(this.keyOf(key), shapeArg("initializers.RandomNormal", shape), { dtype }).mul(this.stddev).add(this.mean);
  }

  override getConfig(): Config {
    return { mean: this.mean, stddev: this.stddev, ...super.getConfig() };
  }
}

/**
 * A normal N(mean, stddev²) truncated to mean ± 2·stddev (redrawn, as Keras: the spread is
 * somewhat below `stddev`); defaults mean 0, stddev 0.05.
 *
 * @example new TruncatedNormal(0, 0.02).sample(random.key(0), [768, 768])
 */
export class TruncatedNormal extends RandomInitializer {
  static override readonly configKeys = RandomNormal.configKeys;
  readonly mean: number;
  readonly stddev: number;

  constructor(mean: number | NormalConfig = {}, stddev?: number, opts: { seed?: number | null } = {}) {
    const c = typeof mean === "number" ? { mean, stddev, ...opts } : mean;
    super("initializers.TruncatedNormal", c.seed);
    this.mean = numberArg("initializers.TruncatedNormal", "mean", c.mean, 0);
    this.stddev = numberArg("initializers.TruncatedNormal", "stddev", c.stddev, 0.05, "nonNegative");
  }

  sample(key: Tracer, shape: readonly number[], dtype: DType = "float32"): Tracer {
    const s = shapeArg("initializers.TruncatedNormal", shape);
    return random.truncatedNormal(this.keyOf(key), -2, 2, s, { dtype }).mul(this.stddev).add(this.mean);
  }

  override getConfig(): Config {
    return { mean: this.mean, stddev: this.stddev, ...super.getConfig() };
  }
}

/** Arguments of `RandomUniform`. */
export interface UniformConfig {
  /** Default -0.05. */
  readonly minval?: number;
  /** Default 0.05. */
  readonly maxval?: number;
  readonly seed?: number | null;
}

/**
 * Uniform draws in [minval, maxval); defaults -0.05 and 0.05.
 *
 * @example new RandomUniform(-0.1, 0.1).sample(random.key(0), [10])
 */
export class RandomUniform extends RandomInitializer {
  static override readonly configKeys = ["minval", "maxval", "seed"];
  readonly minval: number;
  readonly maxval: number;

  constructor(minval: number | UniformConfig = {}, maxval?: number, opts: { seed?: number | null } = {}) {
    const c = typeof minval === "number" ? { minval, maxval, ...opts } : minval;
    super("initializers.RandomUniform", c.seed);
    this.minval = numberArg("initializers.RandomUniform", "minval", c.minval, -0.05);
    this.maxval = numberArg("initializers.RandomUniform", "maxval", c.maxval, 0.05);
    if (!(this.maxval >= this.minval)) {
      throw new RangeError(`initializers.RandomUniform: maxval must be >= minval; received minval ${this.minval}, maxval ${this.maxval}.`);
    }
  }

  sample(key: Tracer, shape: readonly number[], dtype: DType = "float32"): Tracer {
    const s = shapeArg("initializers.RandomUniform", shape);
    return random.uniform(this.keyOf(key), s, { dtype, minval: this.minval, maxval: this.maxval });
  }

  override getConfig(): Config {
    return { minval: this.minval, maxval: this.maxval, ...super.getConfig() };
  }
}

export type FanMode = "fan_in" | "fan_out" | "fan_avg";
export type Distribution = "truncated_normal" | "untruncated_normal" | "uniform";

/** Arguments of `VarianceScaling`. */
export interface VarianceScalingConfig {
  /** Default 1. */
  readonly scale?: number;
  /** Default "fan_in". */
  readonly mode?: FanMode;
  /** Default "truncated_normal"; "normal" is read as "truncated_normal", as Keras does. */
  readonly distribution?: Distribution | "normal";
  readonly seed?: number | null;
}

/**
 * Draws with variance `scale / n`, n = max(1, fan) for the `mode`: a normal truncated at two
 * standard deviations (std `√(scale/n) / 0.8796…`), a plain normal, or a uniform on
 * `±√(3 scale / n)`. Defaults: scale 1, "fan_in", "truncated_normal".
 *
 * @example new VarianceScaling(2, "fan_out", "uniform").sample(random.key(0), [3, 3, 16, 32])
 */
export class VarianceScaling extends RandomInitializer {
  static override readonly configKeys = ["scale", "mode", "distribution", "seed"];
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: Distribution;

  constructor(scale: number | VarianceScalingConfig = {}, mode?: FanMode, distribution?: Distribution | "normal", opts: { seed?: number | null } = {}) {
    const c = typeof scale === "number" ? { scale, mode, distribution, ...opts } : scale;
    const op = `initializers.${new.target.name}`;
    super(op, c.seed);
    this.scale = numberArg(op, "scale", c.scale, 1, "positive");
    this.mode = choiceArg<FanMode>(op, "mode", c.mode, "fan_in", ["fan_in", "fan_out", "fan_avg"]);
    const d = typeof c.distribution === "string" ? c.distribution.toLowerCase() : c.distribution;
    this.distribution = choiceArg<Distribution>(op, "distribution", d === "normal" ? "truncated_normal" : d, "truncated_normal", [
      "truncated_normal", "untruncated_normal", "uniform",
    ]);
  }

  sample(key: Tracer, shape: readonly number[], dtype: DType = "float32"): Tracer {
    const s = shapeArg(`initializers.${this.constructor.name}`, shape);
    const [fanIn, fanOut] = kerasFans(s);
    const n = this.mode === "fan_in" ? fanIn : this.mode === "fan_out" ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / Math.max(1, n);
    const k = this.keyOf(key);
    switch (this.distribution) {
      case "truncated_normal":
        // 0.8796... is the standard deviation of a standard normal truncated to (-2, 2).
        return random.truncatedNormal(k, -2, 2, s, { dtype }).mul(Math.sqrt(variance) / 0.87962566103423978);
      case "untruncated_normal":
        return random.normal(k, s, { dtype }).mul(Math.sqrt(variance));
      case "uniform": {
        const limit = Math.sqrt(3 * variance);
        return random.uniform(k, s, { dtype, minval: -limit, maxval: limit });
      }
    }
  }

  override getConfig(): Config {
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, ...super.getConfig() };
  }
}

/** Base of the fixed VarianceScaling presets, whose config is only the seed (as in Keras). */
export abstract class VarianceScalingPreset extends VarianceScaling {
  static override readonly configKeys = ["seed"];

  protected constructor(scale: number, mode: FanMode, distribution: Distribution, seed: number | { seed?: number | null } | null) {
    super({ scale, mode, distribution, seed: typeof seed === "object" && seed !== null ? seed.seed : seed });
  }

  override getConfig(): Config {
    return { seed: this.seed };
  }
}

type SeedArg = number | { seed?: number | null } | null;

/** Glorot (Xavier) uniform: `±√(6 / (fanIn + fanOut))`. @example new GlorotUniform().sample(key, [784, 128]) */
export class GlorotUniform extends VarianceScalingPreset {
  constructor(seed: SeedArg = null) {
    super(1, "fan_avg", "uniform", seed);
  }
}

/** Glorot (Xavier) normal, truncated: variance 2 / (fanIn + fanOut). @example new GlorotNormal().sample(key, [64, 10]) */
export class GlorotNormal extends VarianceScalingPreset {
  constructor(seed: SeedArg = null) {
    super(1, "fan_avg", "truncated_normal", seed);
  }
}

/** He (Kaiming) normal, truncated: variance 2 / fanIn. @example new HeNormal().sample(key, [3, 3, 16, 32]) */
export class HeNormal extends VarianceScalingPreset {
  constructor(seed: SeedArg = null) {
    super(2, "fan_in", "truncated_normal", seed);
  }
}

/** He (Kaiming) uniform: `±√(6 / fanIn)`. @example new HeUniform().sample(key, [784, 128]) */
export class HeUniform extends VarianceScalingPreset {
  constructor(seed: SeedArg = null) {
    super(2, "fan_in", "uniform", seed);
  }
}

/** LeCun normal, truncated: variance 1 / fanIn. @example new LecunNormal().sample(key, [64, 10]) */
export class LecunNormal extends VarianceScalingPreset {
  constructor(seed: SeedArg = null) {
    super(1, "fan_in", "truncated_normal", seed);
  }
}

/** LeCun uniform: `±√(3 / fanIn)`. @example new LecunUniform().sample(key, [64, 10]) */
export class LecunUniform extends VarianceScalingPreset {
  constructor(seed: SeedArg = null) {
    super(1, "fan_in", "uniform", seed);
  }
}

/** A plain function `(key, shape, dtype) => Array` used where an Initializer is expected. */
export type InitializerFunction = (key: Tracer, shape: readonly number[], dtype?: DType) => Tracer;

/** Wraps an initializer function; it works everywhere but cannot be saved by name. */
class FunctionInitializer extends Initializer {
  readonly #fn: InitializerFunction;

  constructor(fn: InitializerFunction) {
    super();
    this.#fn = fn;
  }

  sample(key: Tracer, shape: readonly number[], dtype: DType = "float32"): Tracer {
    return this.#fn(key, shape, dtype);
  }
}

/** Keras' class names (Keras 3 calls two of them OrthogonalInitializer / IdentityInitializer). */
export const OrthogonalInitializer = Orthogonal;
export const IdentityInitializer = Identity;

const REGISTRY = makeRegistry<Initializer>(
  [
    Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal,
    HeNormal, HeUniform, LecunNormal, LecunUniform, Orthogonal, Identity,
  ],
  {
    OrthogonalInitializer: Orthogonal, orthogonal_initializer: Orthogonal, IdentityInitializer: Identity, identity_initializer: Identity,
    uniform: RandomUniform, normal: RandomNormal, zero: Zeros, one: Ones,
  },
);

/**
 * Keras' `initializers.get`: an instance as is, a name ("glorot_uniform", "he_normal",
 * "zeros", "GlorotUniform", ...) with the defaults, a `{ className, config }` record, or a
 * function `(key, shape, dtype) => Array`.
 *
 * @example const init = get("he_normal"); init.sample(random.key(0), [3, 3, 1, 32])
 */
export function get(id: Initializer | InitializerFunction | JsonValue): Initializer {
  if (typeof id === "function") return new FunctionInitializer(id);
  return resolve("initializers.get", "initializer", id, REGISTRY, (x): x is Initializer => x instanceof Initializer);
}

/**
 * `{ className, config }` of an initializer.
 *
 * @example serialize(new RandomNormal(0, 0.02)) // { className: "RandomNormal", config: { mean: 0, stddev: 0.02, seed: null } }
 */
export const serialize = (init: Initializer): Serialized => serializeWith("initializers.serialize", init, REGISTRY);

/**
 * Rebuilds an initializer from `serialize` output (or Keras' `{ class_name, config }`).
 *
 * @example deserialize({ className: "HeNormal", config: { seed: null } })
 */
export const deserialize = (record: JsonValue): Initializer => deserializeWith("initializers.deserialize", "initializer", record, REGISTRY);

// The functional (jax.nn-style) initializers, `(key, shape, dtype?) => Array`.
export const {
  varianceScaling, computeFans, glorotUniform, glorotNormal, lecunUniform, lecunNormal, heUniform, heNormal, xavierUniform,
  xavierNormal, kaimingUniform, kaimingNormal, zeros, ones, constant, normal, uniform,
} = functional;
