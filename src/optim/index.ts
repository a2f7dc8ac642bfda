/**
 * @file The `kiln/optim` entry: optax-style gradient transformations with Keras 3 update rules,
 * building blocks to compose them, learning-rate schedules, and the Keras optimizer and schedule
 * classes over them (`optimizers`, `schedules`).
 *
 * @example
 *   import * as optim from "kiln/optim";
 *   const opt = optim.chain(optim.clipByGlobalNorm(1), optim.adam(1e-3));
 *   let state = opt.init(params);
 *   const step = jit((p, s, g) => { const [u, s2] = opt.update(g, s, p); return [optim.applyUpdates(p, u), s2]; });
 */
export {
  type GradientTransformation, type Schedule, type LearningRate, type CountState, type LearningRateState,
  chain, scaleByLearningRate, clip, clipByNorm, clipByGlobalNorm, addDecayedWeights, applyUpdates, globalNorm,
  setLearningRate, getLearningRate,
} from "./transform.js";
export { type BaseOptions, type OptimizerState } from "./optimizer-base.js";
export { sgd, adam, adamw, adamax, nadam, type SgdOptions, type AdamOptions, type AdamaxOptions } from "./optimizers.js";
export {
  rmsprop, adagrad, adadelta, lion, type RmspropOptions, type AdagradOptions, type AdadeltaOptions, type LionOptions,
} from "./optimizers-adaptive.js";
export {
  constant, exponentialDecay, piecewiseConstant, cosineDecay, polynomialDecay, inverseTimeDecay, cosineDecayRestarts,
  type ConfiguredSchedule, type ExponentialDecayOptions, type CosineDecayOptions, type PolynomialDecayOptions,
  type InverseTimeDecayOptions, type CosineDecayRestartsOptions,
} from "./schedules.js";
/** Keras' optimizer classes: `new optimizers.Adam(1e-3)`, `optimizers.get("adam")`, `optimizers.schedules.*`. */
export * as optimizers from "./keras-optimizers.js";
/** Keras' learning-rate schedule classes (also reachable as `optimizers.schedules`). */
export * as schedules from "./keras-schedules.js";
export { type JsonValue, type Config, type Serialized } from "./keras-config.js";
