/**
 * @file Keras' learning-rate schedule classes (`keras.optimizers.schedules`) over the pure
 * schedules of schedules.ts. An instance holds only its arguments; `call(step)` is built
 * from array ops, so it traces under `jit` with the step as the optimizer's int32 counter.
 * Positional arguments come first as in Keras; every constructor also takes one object of
 * camelCase arguments, which is what `getConfig` returns and `fromConfig` reads.
 * Reference: keras/src/optimizers/schedules/learning_rate_schedule.py (Keras 3.3).
 */
import type { Tracer } from "../index.js";
import {
  type ConfiguredSchedule, cosineDecay, cosineDecayRestarts, exponentialDecay, inverseTimeDecay, piecewiseConstant, polynomialDecay,
} from "./schedules.js";
import {
  type Config, type JsonValue, type Serialized, boolArg, configArgs, deserializeWith, describe, makeRegistry, numberArg, resolve, serializeWith,
} from "./keras-config.js";

/** What a subclass's static side offers to the shared `fromConfig`. */
interface ScheduleClass<T> {
  new (config: any): T;
  readonly name: string;
  readonly configKeys: readonly string[];
}

/**
 * Base of the schedule classes: a learning rate as a function of the step.
 *
 * @example const lr = new ExponentialDecay(0.1, 1000, 0.96); lr.call(2000) // 0.1 * 0.96^2
 */
export abstract class LearningRateSchedule {
  readonly name: string;
  readonly #fn: ConfiguredSchedule;

  protected constructor(name: string, fn: ConfiguredSchedule) {
    this.name = name;
    this.#fn = fn;
  }

  /** The rate at `step` (a number or an integer Array), as a float32 scalar; traceable. */
  call(step: Tracer | number): Tracer {
    return this.#fn(step);
  }

  /** The constructor arguments (camelCase), JSON-safe. */
  abstract getConfig(): Config;

  /** Rebuilds a schedule from `getConfig()` output (snake_case Keras keys are accepted). */
  static fromConfig<T>(this: ScheduleClass<T>, config: Config): T {
    return new this(configArgs(`schedules.${this.name}`, config, this.configKeys));
  }
}

const nameOf = (op: string, v: unknown, dflt: string): string => {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "string") throw new TypeError(`${op}: name must be a string; received ${describe(v)}.`);
  return v;
};

/** Arguments of `ExponentialDecay` given as one object. */
export interface ExponentialDecayConfig {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase?: boolean;
  readonly name?: string;
}

/**
 * `initial · decayRate^(step / decaySteps)`, the exponent floored when `staircase`.
 *
 * @example new ExponentialDecay(0.1, 1000, 0.96, { staircase: true }).call(2500) // 0.1 * 0.96^2
 */
export class ExponentialDecay extends LearningRateSchedule {
  static readonly configKeys = ["initialLearningRate", "decaySteps", "decayRate", "staircase", "name"];
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;

  constructor(initialLearningRate: number | ExponentialDecayConfig, decaySteps?: number, decayRate?: number, opts: { staircase?: boolean; name?: string } = {}) {
    const c = typeof initialLearningRate === "object" ? initialLearningRate : { initialLearningRate, decaySteps, decayRate, ...opts };
    const op = "schedules.ExponentialDecay";
    const staircase = boolArg(op, "staircase", c.staircase, false);
    super(nameOf(op, c.name, "ExponentialDecay"), exponentialDecay(c.initialLearningRate, c.decaySteps as number, c.decayRate as number, { staircase }));
    [this.initialLearningRate, this.decaySteps, this.decayRate, this.staircase] = [c.initialLearningRate, c.decaySteps as number, c.decayRate as number, staircase];
  }

  getConfig(): Config {
    const { initialLearningRate, decaySteps, decayRate, staircase, name } = this;
    return { initialLearningRate, decaySteps, decayRate, staircase, name };
  }
}

/** Arguments of `InverseTimeDecay` given as one object. */
export type InverseTimeDecayConfig = ExponentialDecayConfig;

/**
 * `initial / (1 + decayRate · step / decaySteps)`, the quotient floored when `staircase`.
 *
 * @example new InverseTimeDecay(0.1, 1, 0.5).call(2) // 0.05
 */
export class InverseTimeDecay extends LearningRateSchedule {
  static readonly configKeys = ExponentialDecay.configKeys;
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;

  constructor(initialLearningRate: number | InverseTimeDecayConfig, decaySteps?: number, decayRate?: number, opts: { staircase?: boolean; name?: string } = {}) {
    const c = typeof initialLearningRate === "object" ? initialLearningRate : { initialLearningRate, decaySteps, decayRate, ...opts };
    const op = "schedules.InverseTimeDecay";
    const staircase = boolArg(op, "staircase", c.staircase, false);
    super(nameOf(op, c.name, "InverseTimeDecay"), inverseTimeDecay(c.initialLearningRate, c.decaySteps as number, c.decayRate as number, { staircase }));
    [this.initialLearningRate, this.decaySteps, this.decayRate, this.staircase] = [c.initialLearningRate, c.decaySteps as number, c.decayRate as number, staircase];
  }

  getConfig(): Config {
    const { initialLearningRate, decaySteps, decayRate, staircase, name } = this;
    return { initialLearningRate, decaySteps, decayRate, staircase, name };
  }
}

/** Arguments of `PiecewiseConstantDecay` given as one object. */
export interface PiecewiseConstantDecayConfig {
  readonly boundaries: readonly number[];
  readonly values: readonly number[];
  readonly name?: string;
}

const numberList = (op: string, name: string, v: unknown): number[] => {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number")) {
    throw new TypeError(`${op}: ${name} must be an array of numbers; received ${describe(v)}.`);
  }
  return [...v];
};

/**
 * `values[0]` up to and including `boundaries[0]`, then `values[i]` on `(boundaries[i-1],
 * boundaries[i]]`, and the last value after the last boundary.
 *
 * @example new PiecewiseConstantDecay([100, 200], [1, 0.5, 0.1]).call(150) // 0.5
 */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  static readonly configKeys = ["boundaries", "values", "name"];
  readonly boundaries: readonly number[];
  readonly values: readonly number[];

  constructor(boundaries: readonly number[] | PiecewiseConstantDecayConfig, values?: readonly number[], opts: { name?: string } = {}) {
    const c = Array.isArray(boundaries) ? { boundaries, values, ...opts } : (boundaries as PiecewiseConstantDecayConfig);
    const op = "schedules.PiecewiseConstantDecay";
    const b = numberList(op, "boundaries", c.boundaries);
    const v = numberList(op, "values", c.values);
    super(nameOf(op, c.name, "PiecewiseConstant"), piecewiseConstant(b, v));
    this.boundaries = b;
    this.values = v;
  }

  getConfig(): Config {
    return { boundaries: [...this.boundaries], values: [...this.values], name: this.name };
  }
}

/** Arguments of `PolynomialDecay` given as one object. */
export interface PolynomialDecayConfig {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  /** Default 1e-4. */
  readonly endLearningRate?: number;
  /** Default 1. */
  readonly power?: number;
  /** Default false. */
  readonly cycle?: boolean;
  readonly name?: string;
}

/**
 * `(initial − end) · (1 − min(step, D) / D)^power + end`; with `cycle` the horizon D grows
 * to the next multiple of `decaySteps` instead of holding at the end.
 *
 * @example new PolynomialDecay(0.1, 100, { endLearningRate: 0 }).call(25) // 0.075
 */
export class PolynomialDecay extends LearningRateSchedule {
  static readonly configKeys = ["initialLearningRate", "decaySteps", "endLearningRate", "power", "cycle", "name"];
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly endLearningRate: number;
  readonly power: number;
  readonly cycle: boolean;

  constructor(initialLearningRate: number | PolynomialDecayConfig, decaySteps?: number, opts: Omit<PolynomialDecayConfig, "initialLearningRate" | "decaySteps"> = {}) {
    const c = typeof initialLearningRate === "object" ? initialLearningRate : { initialLearningRate, decaySteps, ...opts };
    const op = "schedules.PolynomialDecay";
    const endLearningRate = numberArg(op, "endLearningRate", c.endLearningRate, 1e-4);
    const power = numberArg(op, "power", c.power, 1);
    const cycle = boolArg(op, "cycle", c.cycle, false);
    super(nameOf(op, c.name, "PolynomialDecay"), polynomialDecay(c.initialLearningRate, c.decaySteps as number, { endLearningRate, power, cycle }));
    [this.initialLearningRate, this.decaySteps] = [c.initialLearningRate, c.decaySteps as number];
    [this.endLearningRate, this.power, this.cycle] = [endLearningRate, power, cycle];
  }

  getConfig(): Config {
    const { initialLearningRate, decaySteps, endLearningRate, power, cycle, name } = this;
    return { initialLearningRate, decaySteps, endLearningRate, power, cycle, name };
  }
}

/** Arguments of `CosineDecay` given as one object. */
export interface CosineDecayConfig {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  /** Floor as a fraction of the peak. Default 0. */
  readonly alpha?: number;
  /** Peak reached by a linear warmup from `initialLearningRate`; null or absent: no warmup. */
  readonly warmupTarget?: number | null;
  /** Default 0. */
  readonly warmupSteps?: number;
  readonly name?: string;
}

/**
 * Cosine decay from the initial rate (or, after a linear warmup of `warmupSteps`, from
 * `warmupTarget`) to `alpha` times it over `decaySteps`.
 *
 * @example new CosineDecay(0, 1000, { warmupTarget: 0.1, warmupSteps: 100 }).call(50) // 0.05
 */
export class CosineDecay extends LearningRateSchedule {
  static readonly configKeys = ["initialLearningRate", "decaySteps", "alpha", "warmupTarget", "warmupSteps", "name"];
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;

  constructor(initialLearningRate: number | CosineDecayConfig, decaySteps?: number, opts: Omit<CosineDecayConfig, "initialLearningRate" | "decaySteps"> = {}) {
    const c = typeof initialLearningRate === "object" ? initialLearningRate : { initialLearningRate, decaySteps, ...opts };
    const op = "schedules.CosineDecay";
    const alpha = numberArg(op, "alpha", c.alpha, 0);
    const warmupSteps = numberArg(op, "warmupSteps", c.warmupSteps, 0, "nonNegative");
    const warmupTarget = c.warmupTarget === undefined || c.warmupTarget === null ? null : numberArg(op, "warmupTarget", c.warmupTarget, 0);
    super(
      nameOf(op, c.name, "CosineDecay"),
      cosineDecay(c.initialLearningRate, c.decaySteps as number, { alpha, warmupSteps, warmupTarget: warmupTarget ?? undefined }),
    );
    [this.initialLearningRate, this.decaySteps] = [c.initialLearningRate, c.decaySteps as number];
    [this.alpha, this.warmupTarget, this.warmupSteps] = [alpha, warmupTarget, warmupSteps];
  }

  getConfig(): Config {
    const { initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps, name } = this;
    return { initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps, name };
  }
}

/** Arguments of `CosineDecayRestarts` given as one object. */
export interface CosineDecayRestartsConfig {
  readonly initialLearningRate: number;
  readonly firstDecaySteps: number;
  /** Period growth factor. Default 2. */
  readonly tMul?: number;
  /** Peak decay factor per restart. Default 1. */
  readonly mMul?: number;
  /** Default 0. */
  readonly alpha?: number;
  readonly name?: string;
}

/**
 * Cosine decay with warm restarts (SGDR): periods of `firstDecaySteps · tMul^i` steps, the
 * i-th starting at `mMul^i` times the initial rate.
 *
 * @example new CosineDecayRestarts(0.1, 100).call(100) // 0.1 (the first restart)
 */
export class CosineDecayRestarts extends LearningRateSchedule {
  static readonly configKeys = ["initialLearningRate", "firstDecaySteps", "tMul", "mMul", "alpha", "name"];
  readonly initialLearningRate: number;
  readonly firstDecaySteps: number;
  readonly tMul: number;
  readonly mMul: number;
  readonly alpha: number;

  constructor(initialLearningRate: number | CosineDecayRestartsConfig, firstDecaySteps?: number, opts: Omit<CosineDecayRestartsConfig, "initialLearningRate" | "firstDecaySteps"> = {}) {
    const c = typeof initialLearningRate === "object" ? initialLearningRate : { initialLearningRate, firstDecaySteps, ...opts };
    const op = "schedules.CosineDecayRestarts";
    const tMul = numberArg(op, "tMul", c.tMul, 2, "positive");
    const mMul = numberArg(op, "mMul", c.mMul, 1);
    const alpha = numberArg(op, "alpha", c.alpha, 0);
    super(nameOf(op, c.name, "SGDRDecay"), cosineDecayRestarts(c.initialLearningRate, c.firstDecaySteps as number, { tMul, mMul, alpha }));
    [this.initialLearningRate, this.firstDecaySteps] = [c.initialLearningRate, c.firstDecaySteps as number];
    [this.tMul, this.mMul, this.alpha] = [tMul, mMul, alpha];
  }

  getConfig(): Config {
    const { initialLearningRate, firstDecaySteps, tMul, mMul, alpha, name } = this;
    return { initialLearningRate, firstDecaySteps, tMul, mMul, alpha, name };
  }
}

/** Keras' shorter name for `PiecewiseConstantDecay`. */
export const PiecewiseConstant = PiecewiseConstantDecay;

const REGISTRY = makeRegistry<LearningRateSchedule>([
  ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, CosineDecay, CosineDecayRestarts,
]);

const isSchedule = (x: unknown): x is LearningRateSchedule => x instanceof LearningRateSchedule;

/**
 * `{ className, config }` of a schedule.
 *
 * @example serialize(new CosineDecay(0.1, 100)).className // "CosineDecay"
 */
export const serialize = (s: LearningRateSchedule): Serialized => serializeWith("schedules.serialize", s, REGISTRY);

/**
 * Rebuilds a schedule from `serialize` output (or Keras' `{ class_name, config }`).
 *
 * @example deserialize({ className: "ExponentialDecay", config: { initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 } })
 */
export const deserialize = (record: JsonValue): LearningRateSchedule => deserializeWith("schedules.deserialize", "schedule", record, REGISTRY);

/**
 * A schedule instance as is, or one rebuilt from a `{ className, config }` record.
 *
 * @example get({ className: "CosineDecay", config: { initialLearningRate: 0.1, decaySteps: 100 } })
 */
export const get = (id: LearningRateSchedule | JsonValue): LearningRateSchedule => {
  if (typeof id === "string") {
    throw new TypeError(`schedules.get: a schedule needs arguments, so a bare name (${JSON.stringify(id)}) cannot build one; pass an instance or a { className, config } record.`);
  }
  return resolve("schedules.get", "schedule", id, REGISTRY, isSchedule);
};
