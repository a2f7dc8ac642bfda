/**
 * @file Learning-rate schedules: pure functions of the step (a JS number or the int32 counter
 * in an optimizer state), built from array ops so they trace under `jit`. Formulas and
 * defaults follow Keras 3's `keras.optimizers.schedules`; values are float32 as in Keras.
 * Each schedule carries its Keras `config` so that a facade can save and rebuild it.
 */
import { np, lax, Tracer } from "../index.js";
import type { Schedule } from "./transform.js";

/** A schedule with the Keras class name and arguments it corresponds to. */
export type ConfiguredSchedule = Schedule & { readonly config: { readonly name: string } & Readonly<Record<string, unknown>> };

const stepOf = (step: Tracer | number): Tracer =>
  step instanceof Tracer ? lax.convertElementType(step, "float32") : np.array(step, { dtype: "float32" });

const withConfig = (f: (step: Tracer) => Tracer, config: { name: string } & Record<string, unknown>): ConfiguredSchedule =>
  Object.assign((step: Tracer | number) => f(stepOf(step)), { config });

function checkFinite(op: string, args: Record<string, number>): void {
  for (const [k, v] of Object.entries(args)) {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`${op}: ${k} must be a finite number; received ${String(v)}.`);
  }
}

function checkSteps(op: string, name: string, v: number, allowZero = false): void {
  if (!Number.isFinite(v) || (allowZero ? v < 0 : v <= 0)) {
    throw new RangeError(`${op}: ${name} must be a finite number ${allowZero ? ">= 0" : "> 0"}; received ${String(v)}.`);
  }
}

/**
 * The same rate at every step.
 *
 * @example constant(0.01)(100) // 0.01
 */
export function constant(value: number): ConfiguredSchedule {
  checkFinite("optim.constant", { value });
  return withConfig((s) => np.fullLike(s, value), { name: "Constant", value });
}

/** Options of `exponentialDecay`. */
export interface ExponentialDecayOptions {
  /** Decay in whole intervals of `decaySteps` (floor of the exponent). Default false. */
  readonly staircase?: boolean;
}

/**
 * `lr(step) = initial · rate^(step / decaySteps)`, with the exponent floored when `staircase`
 * (Keras `ExponentialDecay`).
 *
 * @example exponentialDecay(0.1, 1000, 0.96, { staircase: true })(2500) // 0.1 * 0.96^2
 */
export function exponentialDecay(initialLearningRate: number, decaySteps: number, decayRate: number, opts: ExponentialDecayOptions = {}): ConfiguredSchedule {
  checkFinite("optim.exponentialDecay", { initialLearningRate, decayRate });
  checkSteps("optim.exponentialDecay", "decaySteps", decaySteps);
  const staircase = opts.staircase ?? false;
  return withConfig(
    (s) => {
      const p = s.div(decaySteps);
      return np.power(decayRate, staircase ? np.floor(p) : p).mul(initialLearningRate);
    },
    { name: "ExponentialDecay", initialLearningRate, decaySteps, decayRate, staircase },
  );
}

/**
 * `values[0]` while `step <= boundaries[0]`, `values[i]` while `boundaries[i-1] < step <=
 * boundaries[i]`, and the last value after the last boundary (Keras `PiecewiseConstantDecay`).
 *
 * @example piecewiseConstant([100, 200], [1, 0.5, 0.1])(150) // 0.5
 */
export function piecewiseConstant(boundaries: readonly number[], values: readonly number[]): ConfiguredSchedule {
  if (values.length !== boundaries.length + 1) {
    throw new RangeError(
      `optim.piecewiseConstant: expected one more value than boundaries; received ${boundaries.length} boundaries and ${values.length} values.`,
    );
  }
  boundaries.forEach((b, i) => {
    checkFinite("optim.piecewiseConstant", { [`boundaries[${i}]`]: b });
    if (i > 0 && !(b > boundaries[i - 1])) {
      throw new RangeError(`optim.piecewiseConstant: boundaries must increase; received ${boundaries.join(", ")}.`);
    }
  });
  values.forEach((v, i) => checkFinite("optim.piecewiseConstant", { [`values[${i}]`]: v }));
  return withConfig(
    (s) => boundaries.reduce((acc, b, i) => np.where(s.greater(b), values[i + 1], acc), np.fullLike(s, values[0])),
    { name: "PiecewiseConstantDecay", boundaries: [...boundaries], values: [...values] },
  );
}

/** Options of `cosineDecay` (Keras `CosineDecay`). */
export interface CosineDecayOptions {
  /** Floor of the decay, as a fraction of the (warmup target) rate. Default 0. */
  readonly alpha?: number;
  /** Rate reached at the end of a linear warmup; no warmup when omitted. */
  readonly warmupTarget?: number;
  /** Length of the warmup. Default 0. */
  readonly warmupSteps?: number;
}

/**
 * Cosine decay after an optional linear warmup (Keras `CosineDecay`). Without warmup:
 * `lr = initial · ((1 − α) · ½(1 + cos(π · min(step, D) / D)) + α)`. With a warmup target T
 * over W steps: `initial + (T − initial) · step / W` while `step < W`, then the cosine decay
 * from T over `step − W` (the step is capped at `D + W`).
 *
 * @example cosineDecay(0, 1000, { warmupTarget: 0.1, warmupSteps: 100 })(50) // 0.05
 */
export function cosineDecay(initialLearningRate: number, decaySteps: number, opts: CosineDecayOptions = {}): ConfiguredSchedule {
  const alpha = opts.alpha ?? 0;
  const warmupSteps = opts.warmupSteps ?? 0;
  checkFinite("optim.cosineDecay", { initialLearningRate, alpha });
  checkSteps("optim.cosineDecay", "decaySteps", decaySteps);
  checkSteps("optim.cosineDecay", "warmupSteps", warmupSteps, true);
  const target = opts.warmupTarget;
  if (target !== undefined) checkFinite("optim.cosineDecay", { warmupTarget: target });
  const decay = (s: Tracer, from: number) =>
    np.cos(s.div(decaySteps).mul(Math.PI)).add(1).mul(0.5).mul(1 - alpha).add(alpha).mul(from);
  return withConfig(
    (s) => {
      if (target === undefined) return decay(np.minimum(s, decaySteps), initialLearningRate);
      const c = np.minimum(s, decaySteps + warmupSteps);
      // With warmupSteps 0 the warmup branch is never taken; dividing by 1 keeps it finite.
      const warm = c.div(warmupSteps || 1).mul(target - initialLearningRate).add(initialLearningRate);
      return np.where(c.less(warmupSteps), warm, decay(c.sub(warmupSteps), target));
    },
    { name: "CosineDecay", initialLearningRate, decaySteps, alpha, warmupTarget: target ?? null, warmupSteps },
  );
}

/** Options of `polynomialDecay` (Keras `PolynomialDecay`). */
export interface PolynomialDecayOptions {
  /** Default 1e-4. */
  readonly endLearningRate?: number;
  /** Default 1 (linear). */
  readonly power?: number;
  /** Restart the decay every `decaySteps` (stretching the period). Default false. */
  readonly cycle?: boolean;
}

/**
 * `lr = (initial − end) · (1 − s / D)^power + end` with `s = min(step, D)`; with `cycle`,
 * `D` becomes `decaySteps · ceil(step / decaySteps)` (1 at step 0) and s = step.
 *
 * @example polynomialDecay(0.1, 100, { endLearningRate: 0 })(25) // 0.075
 */
export function polynomialDecay(initialLearningRate: number, decaySteps: number, opts: PolynomialDecayOptions = {}): ConfiguredSchedule {
  const end = opts.endLearningRate ?? 1e-4;
  const power = opts.power ?? 1;
  const cycle = opts.cycle ?? false;
  checkFinite("optim.polynomialDecay", { initialLearningRate, endLearningRate: end, power });
  checkSteps("optim.polynomialDecay", "decaySteps", decaySteps);
  return withConfig(
    (s) => {
      let step = s;
      let d: Tracer | number = decaySteps;
      if (cycle) d = np.where(s.equal(0), 1, np.ceil(s.div(decaySteps))).mul(decaySteps);
      else step = np.minimum(s, decaySteps);
      return np.power(np.subtract(1, step.div(d)), power).mul(initialLearningRate - end).add(end);
    },
    { name: "PolynomialDecay", initialLearningRate, decaySteps, endLearningRate: end, power, cycle },
  );
}

/** Options of `inverseTimeDecay` (Keras `InverseTimeDecay`). */
export interface InverseTimeDecayOptions {
  /** Decay in whole intervals of `decaySteps` (floor of step / decaySteps). Default false. */
  readonly staircase?: boolean;
}

/**
 * `lr = initial / (1 + rate · step / decaySteps)`, the quotient floored when `staircase`
 * (Keras `InverseTimeDecay`).
 *
 * @example inverseTimeDecay(0.1, 1, 0.5)(2) // 0.05
 */
export function inverseTimeDecay(initialLearningRate: number, decaySteps: number, decayRate: number, opts: InverseTimeDecayOptions = {}): ConfiguredSchedule {
  checkFinite("optim.inverseTimeDecay", { initialLearningRate, decayRate });
  checkSteps("optim.inverseTimeDecay", "decaySteps", decaySteps);
  const staircase = opts.staircase ?? false;
  return withConfig(
    (s) => {
      const p = s.div(decaySteps);
      return np.divide(initialLearningRate, (staircase ? np.floor(p) : p).mul(decayRate).add(1));
    },
    { name: "InverseTimeDecay", initialLearningRate, decaySteps, decayRate, staircase },
  );
}

/** Options of `cosineDecayRestarts` (Keras `CosineDecayRestarts`). */
export interface CosineDecayRestartsOptions {
  /** Each period is `tMul` times longer than the previous one. Default 2. */
  readonly tMul?: number;
  /** Each restart starts from `mMul` times the previous peak. Default 1. */
  readonly mMul?: number;
  /** Floor of the decay, as a fraction of the peak. Default 0. */
  readonly alpha?: number;
}

/**
 * Cosine decay with warm restarts (SGDR, Keras `CosineDecayRestarts`): with f = step / D the
 * restart index is `i = floor(log(1 − f (1 − tMul)) / log tMul)` (`floor(f)` when tMul is 1),
 * the fraction into the current period `c = (f − (1 − tMul^i)/(1 − tMul)) / tMul^i`, and
 * `lr = initial · ((1 − α) · ½ mMul^i (1 + cos(π c)) + α)`.
 *
 * @example cosineDecayRestarts(0.1, 100)(100) // 0.1: the first restart
 */
export function cosineDecayRestarts(initialLearningRate: number, firstDecaySteps: number, opts: CosineDecayRestartsOptions = {}): ConfiguredSchedule {
  const tMul = opts.tMul ?? 2;
  const mMul = opts.mMul ?? 1;
  const alpha = opts.alpha ?? 0;
  checkFinite("optim.cosineDecayRestarts", { initialLearningRate, tMul, mMul, alpha });
  checkSteps("optim.cosineDecayRestarts", "firstDecaySteps", firstDecaySteps);
  checkSteps("optim.cosineDecayRestarts", "tMul", tMul);
  return withConfig(
    (s) => {
      const f = s.div(firstDecaySteps);
      let i: Tracer;
      let c: Tracer;
      if (tMul === 1) {
        i = np.floor(f);
        c = f.sub(i);
      } else {
        i = np.floor(np.log(np.subtract(1, f.mul(1 - tMul))).div(Math.log(tMul)));
        const done = np.subtract(1, np.power(tMul, i)).div(1 - tMul);
        c = f.sub(done).div(np.power(tMul, i));
      }
      const cosine = np.cos(c.mul(Math.PI)).add(1).mul(np.power(mMul, i)).mul(0.5);
      return cosine.mul(1 - alpha).add(alpha).mul(initialLearningRate);
    },
    { name: "CosineDecayRestarts", initialLearningRate, firstDecaySteps, tMul, mMul, alpha },
  );
}
