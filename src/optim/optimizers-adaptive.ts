/**
 * @file RMSprop, Adagrad, Adadelta and Lion as pure gradient transformations with Keras 3's
 * update formulas and defaults. Note where epsilon sits: inside the square root for RMSprop,
 * Adagrad and Adadelta (Keras' choice), unlike Adam's `√v + ε`. In the formulas lr is the
 * learning rate at the current step and u the update that `applyUpdates` adds.
 * Reference: keras/src/optimizers/{rmsprop,adagrad,adadelta,lion}.py (Keras 3.3).
 */
import { np, type Tracer } from "../index.js";
import type { GradientTransformation, LearningRate } from "./transform.js";
import { type BaseOptions, type OptimizerState, checkRange, makeOptimizer, optionsOf, zerosSlot } from "./optimizer-base.js";

/** Options of `rmsprop` (Keras `RMSprop`). */
export interface RmspropOptions extends BaseOptions {
  /** Decay of the squared-gradient average. Default 0.9. */
  readonly rho?: number;
  /** Default 0 (no momentum slot). */
  readonly momentum?: number;
  /** Default 1e-7. */
  readonly epsilon?: number;
  /** Divide by an estimate of the variance instead of the second moment. Default false. */
  readonly centered?: boolean;
}

/**
 * RMSprop (Keras `RMSprop`, default learningRate 0.001):
 * `v ← ρ v + (1 − ρ) g²`; centered: `a ← ρ a + (1 − ρ) g`, `d = v − a² + ε`, else `d = v + ε`;
 * `Δ = lr g / √d`; with momentum μ: `m ← μ m + Δ`, `u = −m`, else `u = −Δ`.
 *
 * @example const opt = rmsprop({ learningRate: 1e-3, centered: true });
 */
export function rmsprop(opts?: LearningRate | RmspropOptions): GradientTransformation<OptimizerState> {
  const o = optionsOf<RmspropOptions>(opts);
  const rho = o.rho ?? 0.9;
  const mu = o.momentum ?? 0;
  const eps = o.epsilon ?? 1e-7;
  checkRange("optim.rmsprop", "rho", rho, 0, 1);
  checkRange("optim.rmsprop", "momentum", mu, 0, 1);
  const slots: Record<string, typeof zerosSlot> = { velocities: zerosSlot };
  if (mu > 0) slots.momentums = zerosSlot;
  if (o.centered) slots.averageGradients = zerosSlot;
  return makeOptimizer(
    {
      name: "rmsprop",
      slots,
      step: ({ g, lr, slots: s }) => {
        const next: Record<string, Tracer> = {};
        const v = (next.velocities = s.velocities.mul(rho).add(g.square().mul(1 - rho)));
        let denom;
        if (o.centered) {
          const a = (next.averageGradients = s.averageGradients.mul(rho).add(g.mul(1 - rho)));
          denom = v.sub(a.square()).add(eps);
        } else {
          denom = v.add(eps);
        }
        const inc = lr.mul(g).div(denom.sqrt());
        if (mu === 0) return [inc.neg(), next];
        const m = (next.momentums = s.momentums.mul(mu).add(inc));
        return [m.neg(), next];
      },
    },
    o,
    0.001,
  );
}

/** Options of `adagrad` (Keras `Adagrad`). */
export interface AdagradOptions extends BaseOptions {
  /** Starting value of the squared-gradient sums. Default 0.1. */
  readonly initialAccumulatorValue?: number;
  /** Default 1e-7. */
  readonly epsilon?: number;
}

/**
 * Adagrad (Keras `Adagrad`, default learningRate 0.001):
 * `a ← a + g²` (a starts at 0.1), `u = −lr g / √(a + ε)`.
 *
 * @example const opt = adagrad({ learningRate: 0.1 });
 */
export function adagrad(opts?: LearningRate | AdagradOptions): GradientTransformation<OptimizerState> {
  const o = optionsOf<AdagradOptions>(opts);
  const init = o.initialAccumulatorValue ?? 0.1;
  const eps = o.epsilon ?? 1e-7;
  checkRange("optim.adagrad", "initialAccumulatorValue", init, 0, Infinity);
  return makeOptimizer(
    {
      name: "adagrad",
      slots: { accumulators: (p) => np.fullLike(p, init) },
      step: ({ g, lr, slots: s }) => {
        const a = s.accumulators.add(g.square());
        return [lr.mul(g).div(a.add(eps).sqrt()).neg(), { accumulators: a }];
      },
    },
    o,
    0.001,
  );
}

/** Options of `adadelta` (Keras `Adadelta`). */
export interface AdadeltaOptions extends BaseOptions {
  /** Decay of both running averages. Default 0.95. */
  readonly rho?: number;
  /** Default 1e-7. */
  readonly epsilon?: number;
}

/**
 * Adadelta (Keras `Adadelta`, default learningRate 0.001; Zeiler's paper uses 1.0):
 * `G ← ρ G + (1 − ρ) g²`, `δ = −√(D + ε) g / √(G + ε)`, `D ← ρ D + (1 − ρ) δ²`, `u = lr δ`.
 *
 * @example const opt = adadelta({ learningRate: 1 });
 */
export function adadelta(opts?: LearningRate | AdadeltaOptions): GradientTransformation<OptimizerState> {
  const o = optionsOf<AdadeltaOptions>(opts);
  const rho = o.rho ?? 0.95;
  const eps = o.epsilon ?? 1e-7;
  checkRange("optim.adadelta", "rho", rho, 0, 1);
  return makeOptimizer(
    {
      name: "adadelta",
      slots: { accumulatedGrads: zerosSlot, accumulatedDeltaVars: zerosSlot },
      step: ({ g, lr, slots: s }) => {
        const G = s.accumulatedGrads.mul(rho).add(g.square().mul(1 - rho));
        const delta = s.accumulatedDeltaVars.add(eps).sqrt().mul(g).div(G.add(eps).sqrt()).neg();
        const D = s.accumulatedDeltaVars.mul(rho).add(delta.square().mul(1 - rho));
        return [lr.mul(delta), { accumulatedGrads: G, accumulatedDeltaVars: D }];
      },
    },
    o,
    0.001,
  );
}

/** Options of `lion` (Keras `Lion`). */
export interface LionOptions extends BaseOptions {
  /** Interpolation for the update direction. Default 0.9. */
  readonly beta1?: number;
  /** Decay of the momentum. Default 0.99. */
  readonly beta2?: number;
}

/**
 * Lion (Keras `Lion`, default learningRate 0.001), the sign of an interpolated momentum:
 * `u = −lr sign(β1 m + (1 − β1) g)`, then `m ← β2 m + (1 − β2) g`.
 *
 * @example const opt = lion({ learningRate: 1e-4, weightDecay: 1e-2 });
 */
export function lion(opts?: LearningRate | LionOptions): GradientTransformation<OptimizerState> {
  const o = optionsOf<LionOptions>(opts);
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.99;
  checkRange("optim.lion", "beta1", b1, 0, 1, "lo");
  checkRange("optim.lion", "beta2", b2, 0, 1);
  return makeOptimizer(
    {
      name: "lion",
      slots: { momentums: zerosSlot },
      step: ({ g, lr, slots: s }) => {
        const dir = np.sign(s.momentums.mul(b1).add(g.mul(1 - b1)));
        const m = s.momentums.mul(b2).add(g.mul(1 - b2));
        return [lr.mul(dir).neg(), { momentums: m }];
      },
    },
    o,
    0.001,
  );
}
