/**
 * @file Keras' optimizer classes (`keras.optimizers`: SGD, Adam, AdamW, Adamax, Nadam, RMSprop,
 * Adagrad, Adadelta, Lion) over the pure gradient transformations of optimizers.ts and
 * optimizers-adaptive.ts, with Keras' defaults, and `get` / `serialize` / `deserialize`.
 * Reference: keras/src/optimizers/*.py (Keras 3.3).
 */
import { adam, adamax, adamw, nadam, sgd } from "./optimizers.js";
import { adadelta, adagrad, lion, rmsprop } from "./optimizers-adaptive.js";
import { type KerasLearningRate, type OptimizerOptions, BASE_KEYS, Optimizer, argsOf } from "./keras-optimizer-base.js";
import { type Config, type JsonValue, type Registry, type Serialized, boolArg, deserializeWith, numberArg, resolve, serializeWith } from "./keras-config.js";

export { Optimizer, type OptimizerOptions, type KerasLearningRate } from "./keras-optimizer-base.js";

/** Options of `SGD`. */
export interface SGDOptions extends OptimizerOptions {
  /** Default 0. */
  readonly momentum?: number;
  /** Default false (ignored without momentum, as in Keras). */
  readonly nesterov?: boolean;
}

/**
 * Stochastic gradient descent, optionally with (Nesterov) momentum; default learningRate 0.01.
 *
 * @example const opt = new SGD(0.1, { momentum: 0.9, nesterov: true });
 */
export class SGD extends Optimizer {
  static readonly configKeys = [...BASE_KEYS, "momentum", "nesterov"];
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(learningRate?: KerasLearningRate | SGDOptions, opts?: SGDOptions) {
    const o = argsOf(learningRate, opts);
    const momentum = numberArg("optimizers.SGD", "momentum", o.momentum, 0);
    const nesterov = boolArg("optimizers.SGD", "nesterov", o.nesterov, false);
    super("optimizers.SGD", o, { learningRate: 0.01, name: "SGD" }, (b) => sgd({ ...b, momentum, nesterov: nesterov && momentum > 0 }));
    [this.momentum, this.nesterov] = [momentum, nesterov];
  }

  override getConfig(): Config {
    return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}

/** Options of `Adam` and `AdamW`. */
export interface AdamOptions extends OptimizerOptions {
  /** Default 0.9. */
  readonly beta1?: number;
  /** Default 0.999. */
  readonly beta2?: number;
  /** Default 1e-7 (added to √v before the bias correction, as Keras). */
  readonly epsilon?: number;
  /** Default false. */
  readonly amsgrad?: boolean;
}

function adamArgs(op: string, o: AdamOptions) {
  return {
    beta1: numberArg(op, "beta1", o.beta1, 0.9),
    beta2: numberArg(op, "beta2", o.beta2, 0.999),
    epsilon: numberArg(op, "epsilon", o.epsilon, 1e-7, "nonNegative"),
    amsgrad: boolArg(op, "amsgrad", o.amsgrad, false),
  };
}

/**
 * Adam; default learningRate 0.001.
 *
 * @example const opt = new Adam(1e-3, { beta2: 0.99 });
 */
export class Adam extends Optimizer {
  static readonly configKeys = [...BASE_KEYS, "beta1", "beta2", "epsilon", "amsgrad"];
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;

  constructor(learningRate?: KerasLearningRate | AdamOptions, opts?: AdamOptions) {
    const o = argsOf(learningRate, opts);
    const a = adamArgs("optimizers.Adam", o);
    super("optimizers.Adam", o, { learningRate: 0.001, name: "adam" }, (b) => adam({ ...b, ...a }));
    [this.beta1, this.beta2, this.epsilon, this.amsgrad] = [a.beta1, a.beta2, a.epsilon, a.amsgrad];
  }

  override getConfig(): Config {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}

/**
 * Adam with decoupled weight decay (default weightDecay 0.004, learningRate 0.001).
 *
 * @example const opt = new AdamW({ learningRate: 1e-3, weightDecay: 1e-2 });
 */
export class AdamW extends Optimizer {
  static readonly configKeys = Adam.configKeys;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;

  constructor(learningRate?: KerasLearningRate | AdamOptions, opts?: AdamOptions) {
    const o = argsOf(learningRate, opts);
    const a = adamArgs("optimizers.AdamW", o);
    super("optimizers.AdamW", o, { learningRate: 0.001, name: "adamw", weightDecay: 0.004 }, (b) => adamw({ ...b, ...a }));
    [this.beta1, this.beta2, this.epsilon, this.amsgrad] = [a.beta1, a.beta2, a.epsilon, a.amsgrad];
  }

  override getConfig(): Config {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}

/** Options of `Adamax` and `Nadam`. */
export interface AdamaxOptions extends OptimizerOptions {
  /** Default 0.9. */
  readonly beta1?: number;
  /** Default 0.999. */
  readonly beta2?: number;
  /** Default 1e-7. */
  readonly epsilon?: number;
}

const betasOf = (op: string, o: AdamaxOptions) => ({
  beta1: numberArg(op, "beta1", o.beta1, 0.9),
  beta2: numberArg(op, "beta2", o.beta2, 0.999),
  epsilon: numberArg(op, "epsilon", o.epsilon, 1e-7, "nonNegative"),
});

/**
 * Adamax (Adam with the infinity norm); default learningRate 0.001.
 *
 * @example const opt = new Adamax(0.002);
 */
export class Adamax extends Optimizer {
  static readonly configKeys = [...BASE_KEYS, "beta1", "beta2", "epsilon"];
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(learningRate?: KerasLearningRate | AdamaxOptions, opts?: AdamaxOptions) {
    const o = argsOf(learningRate, opts);
    const a = betasOf("optimizers.Adamax", o);
    super("optimizers.Adamax", o, { learningRate: 0.001, name: "adamax" }, (b) => adamax({ ...b, ...a }));
    [this.beta1, this.beta2, this.epsilon] = [a.beta1, a.beta2, a.epsilon];
  }

  override getConfig(): Config {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/**
 * Nadam (Adam with Nesterov momentum); default learningRate 0.001.
 *
 * @example const opt = new Nadam();
 */
export class Nadam extends Optimizer {
  static readonly configKeys = Adamax.configKeys;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(learningRate?: KerasLearningRate | AdamaxOptions, opts?: AdamaxOptions) {
    const o = argsOf(learningRate, opts);
    const a = betasOf("optimizers.Nadam", o);
    super("optimizers.Nadam", o, { learningRate: 0.001, name: "nadam" }, (b) => nadam({ ...b, ...a }));
    [this.beta1, this.beta2, this.epsilon] = [a.beta1, a.beta2, a.epsilon];
  }

  override getConfig(): Config {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/** Options of `RMSprop`. */
export interface RMSpropOptions extends OptimizerOptions {
  /** Decay of the squared-gradient average. Default 0.9. */
  readonly rho?: number;
  /** Default 0. */
  readonly momentum?: number;
  /** Default 1e-7 (inside the square root, as Keras). */
  readonly epsilon?: number;
  /** Divide by the estimated variance instead of the second moment. Default false. */
  readonly centered?: boolean;
}

/**
 * RMSprop; default learningRate 0.001.
 *
 * @example const opt = new RMSprop(1e-3, { centered: true });
 */
export class RMSprop extends Optimizer {
  static readonly configKeys = [...BASE_KEYS, "rho", "momentum", "epsilon", "centered"];
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(learningRate?: KerasLearningRate | RMSpropOptions, opts?: RMSpropOptions) {
    const o = argsOf(learningRate, opts);
    const op = "optimizers.RMSprop";
    const a = {
      rho: numberArg(op, "rho", o.rho, 0.9),
      momentum: numberArg(op, "momentum", o.momentum, 0),
      epsilon: numberArg(op, "epsilon", o.epsilon, 1e-7, "nonNegative"),
      centered: boolArg(op, "centered", o.centered, false),
    };
    super(op, o, { learningRate: 0.001, name: "rmsprop" }, (b) => rmsprop({ ...b, ...a }));
    [this.rho, this.momentum, this.epsilon, this.centered] = [a.rho, a.momentum, a.epsilon, a.centered];
  }

  override getConfig(): Config {
    return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}

/** Options of `Adagrad`. */
export interface AdagradOptions extends OptimizerOptions {
  /** Starting value of the squared-gradient sums. Default 0.1. */
  readonly initialAccumulatorValue?: number;
  /** Default 1e-7. */
  readonly epsilon?: number;
}

/**
 * Adagrad; default learningRate 0.001.
 *
 * @example const opt = new Adagrad(0.1);
 */
export class Adagrad extends Optimizer {
  static readonly configKeys = [...BASE_KEYS, "initialAccumulatorValue", "epsilon"];
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor(learningRate?: KerasLearningRate | AdagradOptions, opts?: AdagradOptions) {
    const o = argsOf(learningRate, opts);
    const op = "optimizers.Adagrad";
    const a = {
      initialAccumulatorValue: numberArg(op, "initialAccumulatorValue", o.initialAccumulatorValue, 0.1, "nonNegative"),
      epsilon: numberArg(op, "epsilon", o.epsilon, 1e-7, "nonNegative"),
    };
    super(op, o, { learningRate: 0.001, name: "adagrad" }, (b) => adagrad({ ...b, ...a }));
    [this.initialAccumulatorValue, this.epsilon] = [a.initialAccumulatorValue, a.epsilon];
  }

  override getConfig(): Config {
    return { ...super.getConfig(), initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}

/** Options of `Adadelta`. */
export interface AdadeltaOptions extends OptimizerOptions {
  /** Decay of both running averages. Default 0.95. */
  readonly rho?: number;
  /** Default 1e-7. */
  readonly epsilon?: number;
}

/**
 * Adadelta; default learningRate 0.001 as in Keras (the paper's rule corresponds to 1.0).
 *
 * @example const opt = new Adadelta(1.0);
 */
export class Adadelta extends Optimizer {
  static readonly configKeys = [...BASE_KEYS, "rho", "epsilon"];
  readonly rho: number;
  readonly epsilon: number;

  constructor(learningRate?: KerasLearningRate | AdadeltaOptions, opts?: AdadeltaOptions) {
    const o = argsOf(learningRate, opts);
    const op = "optimizers.Adadelta";
    const a = { rho: numberArg(op, "rho", o.rho, 0.95), epsilon: numberArg(op, "epsilon", o.epsilon, 1e-7, "nonNegative") };
    super(op, o, { learningRate: 0.001, name: "adadelta" }, (b) => adadelta({ ...b, ...a }));
    [this.rho, this.epsilon] = [a.rho, a.epsilon];
  }

  override getConfig(): Config {
    return { ...super.getConfig(), rho: this.rho, epsilon: this.epsilon };
  }
}

/** Options of `Lion`. */
export interface LionOptions extends OptimizerOptions {
  /** Interpolation for the update direction. Default 0.9. */
  readonly beta1?: number;
  /** Decay of the momentum. Default 0.99. */
  readonly beta2?: number;
}

/**
 * Lion (the sign of an interpolated momentum); default learningRate 0.001.
 *
 * @example const opt = new Lion(1e-4, { weightDecay: 1e-2 });
 */
export class Lion extends Optimizer {
  static readonly configKeys = [...BASE_KEYS, "beta1", "beta2"];
  readonly beta1: number;
  readonly beta2: number;

  constructor(learningRate?: KerasLearningRate | LionOptions, opts?: LionOptions) {
    const o = argsOf(learningRate, opts);
    const op = "optimizers.Lion";
    const a = { beta1: numberArg(op, "beta1", o.beta1, 0.9), beta2: numberArg(op, "beta2", o.beta2, 0.99) };
    super(op, o, { learningRate: 0.001, name: "lion" }, (b) => lion({ ...b, ...a }));
    [this.beta1, this.beta2] = [a.beta1, a.beta2];
  }

  override getConfig(): Config {
    return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2 };
  }
}

const CLASSES = [SGD, Adam, AdamW, Adamax, Nadam, RMSprop, Adagrad, Adadelta, Lion];
// Keras looks optimizer names up case-insensitively ("adam", "Adam", "ADAM").
const REGISTRY: Registry<Optimizer> = Object.fromEntries(CLASSES.flatMap((c) => [[c.name, c], [c.name.toLowerCase(), c]]));
const isOptimizer = (x: unknown): x is Optimizer => x instanceof Optimizer;

/**
 * Keras' `optimizers.get`: an instance as is, a name ("adam", "sgd", "rmsprop", ...) with the
 * defaults, or a `{ className, config }` record.
 *
 * @example const opt = get("adam"); // new Adam()
 */
export const get = (id: Optimizer | JsonValue): Optimizer => resolve("optimizers.get", "optimizer", id, REGISTRY, isOptimizer, { ignoreCase: true });

/**
 * `{ className, config }` of an optimizer.
 *
 * @example serialize(new SGD(0.1)) // { className: "SGD", config: { name: "SGD", learningRate: 0.1, ... } }
 */
export const serialize = (opt: Optimizer): Serialized => serializeWith("optimizers.serialize", opt, REGISTRY);

/**
 * Rebuilds an optimizer from `serialize` output (or Keras' `{ class_name, config }`).
 *
 * @example deserialize({ className: "Adam", config: { learningRate: 0.01 } })
 */
export const deserialize = (record: JsonValue): Optimizer =>
  deserializeWith("optimizers.deserialize", "optimizer", record, REGISTRY, { ignoreCase: true });

/** Keras' `keras.optimizers.schedules`: the learning-rate schedule classes. */
export * as schedules from "./keras-schedules.js";
