/**
 * @file Keras' weight constraints (`keras.constraints`): MaxNorm, MinMaxNorm, NonNeg and
 * UnitNorm. `call(w)` returns the projected weight that the training step writes back after
 * each optimizer update; it is built from array ops, so it traces inside that step.
 * Norms are taken over `axis` (default 0: for a Dense kernel [in, out], each output unit's
 * incoming weights), with Keras' epsilon 1e-7 in the denominators.
 * Reference: keras/src/constraints/constraints.py (Keras 3.3).
 */
import { np, type Tracer } from "../index.js";
import {
  type Config, type JsonValue, type Serialized, configArgs, deserializeWith, describe, makeRegistry, numberArg, resolve, serializeWith,
} from "../optim/keras-config.js";

/** Keras' `backend.epsilon()`. */
const EPSILON = 1e-7;

/** What a subclass's static side offers to the shared `fromConfig`. */
interface ConstraintClass<T> {
  new (config: any): T;
  readonly name: string;
  readonly configKeys: readonly string[];
}

/**
 * Base of the constraints: `call(weight)` returns the weight projected onto the constraint.
 *
 * @example kernel = new MaxNorm(3).call(kernel);
 */
export abstract class Constraint {
  static readonly configKeys: readonly string[] = [];

  /** The projected weight, same shape and dtype; traceable. */
  abstract call(weight: Tracer): Tracer;

  /** The constructor arguments (camelCase), JSON-safe. */
  getConfig(): Config {
    return {};
  }

  /** Rebuilds a constraint from `getConfig()` output (Keras' snake_case keys are accepted). */
  static fromConfig<T>(this: ConstraintClass<T>, config: Config): T {
    return new this(configArgs(`constraints.${this.name}`, config, this.configKeys));
  }
}

/** An axis or axes over which the norms are taken. */
export type NormAxis = number | readonly number[];

function axisArg(op: string, v: unknown): NormAxis {
  if (v === undefined || v === null) return 0;
  if (Number.isInteger(v) || (Array.isArray(v) && v.every((a) => Number.isInteger(a)))) return v as NormAxis;
  throw new TypeError(`${op}: axis must be an integer or an array of integers; received ${describe(v)}.`);
}

const axisConfig = (a: NormAxis): JsonValue => (typeof a === "number" ? a : [...a]);
const normsOf = (w: Tracer, axis: NormAxis) => np.sqrt(np.sum(np.square(w), { axis, keepdims: true }));

/** Arguments of `MaxNorm`. */
export interface MaxNormConfig {
  /** Default 2. */
  readonly maxValue?: number;
  /** Default 0. */
  readonly axis?: NormAxis;
}

/**
 * Rescales each vector along `axis` whose L2 norm exceeds `maxValue` (default 2) down to it:
 * `w · clip(‖w‖, 0, max) / (ε + ‖w‖)`.
 *
 * @example new MaxNorm(1).call(np.array([[3], [4]])) // [[0.6], [0.8]]
 */
export class MaxNorm extends Constraint {
  static override readonly configKeys = ["maxValue", "axis"];
  readonly maxValue: number;
  readonly axis: NormAxis;

  constructor(maxValue: number | MaxNormConfig = {}, axis?: NormAxis) {
    super();
    const c = typeof maxValue === "number" ? { maxValue, axis } : maxValue;
    this.maxValue = numberArg("constraints.MaxNorm", "maxValue", c.maxValue, 2, "nonNegative");
    this.axis = axisArg("constraints.MaxNorm", c.axis);
  }

  call(weight: Tracer): Tracer {
    const norms = normsOf(weight, this.axis);
    return weight.mul(np.clip(norms, 0, this.maxValue).div(norms.add(EPSILON)));
  }

  override getConfig(): Config {
    return { maxValue: this.maxValue, axis: axisConfig(this.axis) };
  }
}

/** Arguments of `MinMaxNorm`. */
export interface MinMaxNormConfig {
  /** Default 0. */
  readonly minValue?: number;
  /** Default 1. */
  readonly maxValue?: number;
  /** How far to move towards the clipped norm each time (1: all the way). Default 1. */
  readonly rate?: number;
  /** Default 0. */
  readonly axis?: NormAxis;
}

/**
 * Moves each vector's norm into `[minValue, maxValue]` (defaults 0 and 1), at `rate`:
 * `desired = rate · clip(‖w‖, min, max) + (1 − rate) · ‖w‖`, `w · desired / (ε + ‖w‖)`.
 *
 * @example new MinMaxNorm({ minValue: 1, maxValue: 2 }).call(w)
 */
export class MinMaxNorm extends Constraint {
  static override readonly configKeys = ["minValue", "maxValue", "rate", "axis"];
  readonly minValue: number;
  readonly maxValue: number;
  readonly rate: number;
  readonly axis: NormAxis;

  constructor(minValue: number | MinMaxNormConfig = {}, maxValue?: number, opts: { rate?: number; axis?: NormAxis } = {}) {
    super();
    const c = typeof minValue === "number" ? { minValue, maxValue, ...opts } : minValue;
    const op = "constraints.MinMaxNorm";
    this.minValue = numberArg(op, "minValue", c.minValue, 0, "nonNegative");
    this.maxValue = numberArg(op, "maxValue", c.maxValue, 1, "nonNegative");
    this.rate = numberArg(op, "rate", c.rate, 1, "nonNegative");
    this.axis = axisArg(op, c.axis);
    if (this.maxValue < this.minValue) {
      throw new RangeError(`${op}: maxValue must be >= minValue; received minValue ${this.minValue}, maxValue ${this.maxValue}.`);
    }
  }

  call(weight: Tracer): Tracer {
    const norms = normsOf(weight, this.axis);
    const desired = np.clip(norms, this.minValue, this.maxValue).mul(this.rate).add(norms.mul(1 - this.rate));
    return weight.mul(desired.div(norms.add(EPSILON)));
  }

  override getConfig(): Config {
    return { minValue: this.minValue, maxValue: this.maxValue, rate: this.rate, axis: axisConfig(this.axis) };
  }
}

/**
 * Zeroes the negative entries.
 *
 * @example new NonNeg().call(np.array([-1, 2])) // [0, 2]
 */
export class NonNeg extends Constraint {
  constructor(_config: Config = {}) {
    super();
  }

  call(weight: Tracer): Tracer {
    return weight.mul(np.greaterEqual(weight, 0).astype(weight.dtype));
  }
}

/**
 * Scales each vector along `axis` (default 0) to unit L2 norm: `w / (ε + ‖w‖)`.
 *
 * @example new UnitNorm().call(np.array([[3], [4]])) // [[0.6], [0.8]]
 */
export class UnitNorm extends Constraint {
  static override readonly configKeys = ["axis"];
  readonly axis: NormAxis;

  constructor(axis: NormAxis | { axis?: NormAxis } = {}) {
    super();
    this.axis = axisArg("constraints.UnitNorm", typeof axis === "number" || Array.isArray(axis) ? axis : (axis as { axis?: NormAxis }).axis);
  }

  call(weight: Tracer): Tracer {
    return weight.div(normsOf(weight, this.axis).add(EPSILON));
  }

  override getConfig(): Config {
    return { axis: axisConfig(this.axis) };
  }
}

const REGISTRY = makeRegistry<Constraint>([MaxNorm, MinMaxNorm, NonNeg, UnitNorm]);

/**
 * Keras' `constraints.get`: an instance as is, a name ("max_norm", "min_max_norm", "non_neg",
 * "unit_norm", or the class name) with Keras' defaults, or a `{ className, config }` record.
 *
 * @example const c = get("max_norm"); // new MaxNorm(2, 0)
 */
export const get = (id: Constraint | JsonValue): Constraint =>
  resolve("constraints.get", "constraint", id, REGISTRY, (x): x is Constraint => x instanceof Constraint);

/**
 * `{ className, config }` of a constraint.
 *
 * @example serialize(new MaxNorm(3)) // { className: "MaxNorm", config: { maxValue: 3, axis: 0 } }
 */
export const serialize = (c: Constraint): Serialized => serializeWith("constraints.serialize", c, REGISTRY);

/**
 * Rebuilds a constraint from `serialize` output (or Keras' `{ class_name, config }`).
 *
 * @example deserialize({ className: "UnitNorm", config: { axis: 1 } })
 */
export const deserialize = (record: JsonValue): Constraint => deserializeWith("constraints.deserialize", "constraint", record, REGISTRY);
