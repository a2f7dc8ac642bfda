/**
 * @file The base class of Keras' optimizer classes (`keras.optimizers.Optimizer`). An instance
 * holds only hyperparameters; everything that changes during training (step counter, learning
 * rate, slot variables) lives in the state pytree that `init` returns, so `statelessApply` is
 * pure and one jitted training step serves every batch, and `setLearningRate` swaps a scalar
 * in the state without a new trace.
 * Reference: keras/src/optimizers/base_optimizer.py (Keras 3.3).
 */
import type { PyTree, Tracer } from "../index.js";
import { type GradientTransformation, type Schedule, applyUpdates, setLearningRate as setStateLearningRate } from "./transform.js";
import type { BaseOptions, OptimizerState } from "./optimizer-base.js";
import { LearningRateSchedule, deserialize as deserializeSchedule, serialize as serializeSchedule } from "./keras-schedules.js";
import { type Config, type JsonValue, boolArg, configArgs, describe, numberArg } from "./keras-config.js";

/** A learning rate: a number, a schedule object, or a plain function of the step (not serializable). */
export type KerasLearningRate = number | LearningRateSchedule | Schedule;

/** Arguments every Keras optimizer accepts (Keras 3's base `Optimizer`). */
export interface OptimizerOptions {
  readonly learningRate?: KerasLearningRate;
  /** Decoupled weight decay: each step first subtracts `lr · weightDecay · param`. */
  readonly weightDecay?: number | null;
  /** Clip each gradient to this L2 norm. */
  readonly clipnorm?: number | null;
  /** Clip each gradient element to `[-clipvalue, clipvalue]`. */
  readonly clipvalue?: number | null;
  /** Clip all gradients together to this global L2 norm. */
  readonly globalClipnorm?: number | null;
  /** Exponential moving average of the weights: not implemented, only `false` is accepted. */
  readonly useEma?: boolean;
  /** Read only with `useEma`. Default 0.99. */
  readonly emaMomentum?: number;
  /** Read only with `useEma`. */
  readonly emaOverwriteFrequency?: number | null;
  /** Loss scaling for mixed precision: not implemented, only null is accepted. */
  readonly lossScaleFactor?: number | null;
  /** Gradient accumulation: not implemented, only null is accepted. */
  readonly gradientAccumulationSteps?: number | null;
  readonly name?: string;
}

export const BASE_KEYS = [
  "name", "learningRate", "weightDecay", "clipnorm", "globalClipnorm", "clipvalue", "useEma", "emaMomentum",
  "emaOverwriteFrequency", "lossScaleFactor", "gradientAccumulationSteps",
] as const;

/** What a subclass's static side offers to the shared `fromConfig`. */
interface OptimizerClass<T> {
  new (opts: any): T;
  readonly name: string;
  readonly configKeys: readonly string[];
}

const isLearningRate = (x: unknown): x is KerasLearningRate =>
  typeof x === "number" || typeof x === "function" || x instanceof LearningRateSchedule;

/** Options given as `(learningRate, opts)` or as one object. */
export function argsOf<O extends OptimizerOptions>(lr: KerasLearningRate | O | undefined, opts: O | undefined): O {
  if (lr === undefined) return opts ?? ({} as O);
  if (isLearningRate(lr)) return { ...opts, learningRate: lr } as O;
  return { ...lr, ...opts };
}

/**
 * Base of the optimizer classes: hyperparameters plus the pure `init` / `statelessApply`.
 *
 * @example
 *   const opt = new Adam(1e-3);
 *   let state = opt.init(params);
 *   const step = jit((p, s, g) => opt.statelessApply(s, g, p));
 *   [params, state] = step(params, state, grads);
 */
export abstract class Optimizer {
  readonly name: string;
  /** The learning rate given to the constructor (the current one lives in the state). */
  readonly learningRate: KerasLearningRate;
  readonly weightDecay: number | null;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  readonly #tx: GradientTransformation<OptimizerState>;

  protected constructor(
    op: string,
    o: OptimizerOptions,
    defaults: { learningRate: number; name: string; weightDecay?: number },
    build: (base: BaseOptions) => GradientTransformation<OptimizerState>,
  ) {
    const lr = o.learningRate ?? defaults.learningRate;
    if (!isLearningRate(lr)) {
      throw new TypeError(`${op}: learningRate must be a number, a LearningRateSchedule or a function of the step; received ${describe(lr)}.`);
    }
    if (boolArg(op, "useEma", o.useEma, false)) {
      throw new RangeError(`${op}: useEma (an exponential moving average of the weights) is not implemented in Kiln; pass useEma: false.`);
    }
    for (const k of ["lossScaleFactor", "gradientAccumulationSteps"] as const) {
      if (o[k] !== undefined && o[k] !== null) {
        throw new RangeError(`${op}: ${k} is not implemented in Kiln; leave it unset (null). Received ${describe(o[k])}.`);
      }
    }
    numberArg(op, "emaMomentum", o.emaMomentum, 0.99);
    const opt = (k: "weightDecay" | "clipnorm" | "clipvalue" | "globalClipnorm", d?: number) =>
      o[k] === undefined || o[k] === null ? (d ?? null) : numberArg(op, k, o[k], 0, "nonNegative");
    if (o.name !== undefined && o.name !== null && typeof o.name !== "string") {
      throw new TypeError(`${op}: name must be a string; received ${describe(o.name)}.`);
    }
    this.name = o.name ?? defaults.name;
    this.learningRate = lr;
    this.weightDecay = opt("weightDecay", defaults.weightDecay);
    this.clipnorm = opt("clipnorm");
    this.clipvalue = opt("clipvalue");
    this.globalClipnorm = opt("globalClipnorm");
    const base: Record<string, unknown> = {
      learningRate: lr instanceof LearningRateSchedule ? (step: Tracer | number) => lr.call(step) : lr,
    };
    for (const k of ["weightDecay", "clipnorm", "clipvalue", "globalClipnorm"] as const) if (this[k] !== null) base[k] = this[k];
    this.#tx = build(base as BaseOptions);
  }

  /** The optimizer as an optax-style `{ init, update }` transformation (to `chain` with others). */
  get transform(): GradientTransformation<OptimizerState> {
    return this.#tx;
  }

  /** A fresh state for `params`: step count 0, the learning rate, and zeroed slots. */
  init(params: PyTree): OptimizerState {
    return this.#tx.init(params);
  }

  /**
   * One optimizer step, pure and traceable: returns the new params and the new state.
   * `grads` and `params` must have the same structure as the params given to `init`.
   */
  statelessApply<T extends PyTree>(state: OptimizerState, grads: T, params: T): [T, OptimizerState] {
    const [updates, next] = this.#tx.update(grads, state, params);
    return [applyUpdates(params, updates), next];
  }

  /** The learning rate of the next step (a schedule is evaluated at the state's step count). */
  getLearningRate(state: OptimizerState): number {
    const lr = this.learningRate;
    if (typeof lr === "number") return checkedState(this.name, state).learningRate!.item() as number;
    const count = checkedState(this.name, state).count;
    return (lr instanceof LearningRateSchedule ? lr.call(count) : lr(count)).item() as number;
  }

  /** A state whose learning rate is `lr`; same shapes and dtypes, so a jitted step does not retrace. */
  setLearningRate(state: OptimizerState, lr: number): OptimizerState {
    if (typeof this.learningRate !== "number") {
      throw new TypeError(
        `optimizers.${this.constructor.name}.setLearningRate: this optimizer was created with a learning-rate schedule, ` +
          "so its rate is not settable; create it with a number to change the rate during training.",
      );
    }
    return setStateLearningRate(checkedState(this.name, state), lr);
  }

  /** The number of steps taken (Keras' `optimizer.iterations`). */
  iterations(state: OptimizerState): number {
    return checkedState(this.name, state).count.item() as number;
  }

  /** The constructor arguments (camelCase, Keras' layout), JSON-safe; a schedule is serialized. */
  getConfig(): Config {
    const lr = this.learningRate;
    if (typeof lr === "function") {
      throw new TypeError(
        `optimizers.${this.constructor.name}.getConfig: a learning rate given as a plain function cannot be saved; use a LearningRateSchedule class.`,
      );
    }
    return {
      name: this.name,
      learningRate: typeof lr === "number" ? lr : (serializeSchedule(lr) as unknown as JsonValue),
      weightDecay: this.weightDecay,
      clipnorm: this.clipnorm,
      globalClipnorm: this.globalClipnorm,
      clipvalue: this.clipvalue,
      useEma: false,
      emaMomentum: 0.99,
      emaOverwriteFrequency: null,
      lossScaleFactor: null,
      gradientAccumulationSteps: null,
    };
  }

  /** Rebuilds an optimizer from `getConfig()` output (Keras' snake_case keys are accepted). */
  static fromConfig<T>(this: OptimizerClass<T>, config: Config): T {
    const args: Record<string, unknown> = configArgs(`optimizers.${this.name}`, config, this.configKeys);
    const lr = args.learningRate;
    if (lr !== null && typeof lr === "object") args.learningRate = deserializeSchedule(lr as JsonValue);
    return new this(args);
  }
}

function checkedState(name: string, state: unknown): OptimizerState {
  if (!state || typeof state !== "object" || !("count" in state)) {
    throw new TypeError(`optimizer ${name}: expected the state returned by init (an object with a step count); received ${describe(state)}.`);
  }
  return state as OptimizerState;
}

