/**
 * @file SGD and the Adam family (Adam, AdamW, Adamax, Nadam) as pure gradient transformations
 * with Keras 3's update formulas and defaults, epsilon placement included. In the formulas, t is
 * the 1-based step, lr the learning rate at step t - 1 (schedules see Keras' `iterations`),
 * and u the update that `applyUpdates` adds to the parameter.
 * Reference: keras/src/optimizers/{sgd,adam,adamw,adamax,nadam}.py (Keras 3.3).
 */
import { np, type Tracer } from "../index.js";
import type { GradientTransformation, LearningRate } from "./transform.js";
import { type BaseOptions, type OptimizerState, checkRange, makeOptimizer, optionsOf, zerosSlot } from "./optimizer-base.js";

/** Options of `sgd` (Keras `SGD`). */
export interface SgdOptions extends BaseOptions {
  /** Default 0 (plain gradient descent). */
  readonly momentum?: number;
  /** Default false. */
  readonly nesterov?: boolean;
}

/**
 * Stochastic gradient descent (Keras `SGD`, default learningRate 0.01). With momentum μ the
 * velocity holds the scaled step: `m ← μ m − lr g`; `u = m`, or `u = μ m − lr g` with Nesterov
 * (using the new m). Without momentum `u = −lr g`.
 *
 * @example
 *   const opt = sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true });
 *   let state = opt.init(params);
 */
export function sgd(opts?: LearningRate | SgdOptions): GradientTransformation<OptimizerState> {
  const o = optionsOf<SgdOptions>(opts);
  const mu = o.momentum ?? 0;
  checkRange("optim.sgd", "momentum", mu, 0, 1);
  if (o.nesterov && mu === 0) throw new RangeError("optim.sgd: nesterov needs momentum > 0; received momentum 0.");
  const slots: Record<string, typeof zerosSlot> = mu > 0 ? { momentums: zerosSlot } : {};
  return makeOptimizer(
    {
      name: "sgd",
      slots,
      step: ({ g, lr, slots: s }) => {
        if (mu === 0) return [g.mul(lr).neg(), {}];
        const m = s.momentums.mul(mu).sub(g.mul(lr));
        return [o.nesterov ? m.mul(mu).sub(g.mul(lr)) : m, { momentums: m }];
      },
    },
    o,
    0.01,
  );
}

/** Options of `adam` / `adamw` (Keras `Adam`, `AdamW`). */
export interface AdamOptions extends BaseOptions {
  /** Default 0.9. */
  readonly beta1?: number;
  /** Default 0.999. */
  readonly beta2?: number;
  /** Default 1e-7 ("epsilon hat": added to sqrt(v), before bias correction). */
  readonly epsilon?: number;
  /** Keep the running maximum of v (AMSGrad). Default false. */
  readonly amsgrad?: boolean;
}

function checkBetas(op: string, b1: number, b2: number): void {
  checkRange(op, "beta1", b1, 0, 1, "hi");
  checkRange(op, "beta2", b2, 0, 1, "hi");
}

function adamLike(name: string, o: AdamOptions): GradientTransformation<OptimizerState> {
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.epsilon ?? 1e-7;
  checkBetas(`optim.${name}`, b1, b2);
  const slots: Record<string, typeof zerosSlot> = { momentums: zerosSlot, velocities: zerosSlot };
  if (o.amsgrad) slots.velocityHats = zerosSlot;
  return makeOptimizer(
    {
      name,
      slots,
      step: ({ g, lr, t, slots: s }) => {
        const m = s.momentums.add(g.sub(s.momentums).mul(1 - b1));
        const v = s.velocities.add(g.square().sub(s.velocities).mul(1 - b2));
        const vHat = o.amsgrad ? np.maximum(s.velocityHats, v) : v;
        const alpha = lr.mul(np.sqrt(np.subtract(1, np.power(b2, t)))).div(np.subtract(1, np.power(b1, t)));
        const u = m.mul(alpha).div(vHat.sqrt().add(eps)).neg();
        const next: Record<string, Tracer> = { momentums: m, velocities: v };
        if (o.amsgrad) next.velocityHats = vHat;
        return [u, next];
      },
    },
    o,
    0.001,
  );
}

/**
 * Adam (Keras `Adam`, default learningRate 0.001):
 * `m ← m + (g − m)(1 − β1)`, `v ← v + (g² − v)(1 − β2)`,
 * `α = lr √(1 − β2^t) / (1 − β1^t)`, `u = −α m / (√v + ε)`.
 * AMSGrad uses `v̂ ← max(v̂, v)` in place of v.
 *
 * @example const opt = adam(1e-3); // or adam({ learningRate: 1e-3, beta2: 0.99 })
 */
export function adam(opts?: LearningRate | AdamOptions): GradientTransformation<OptimizerState> {
  return adamLike("adam", optionsOf<AdamOptions>(opts));
}

/**
 * AdamW (Keras `AdamW`): Adam plus decoupled weight decay (default 0.004), applied before the
 * Adam step: `u = −lr wd p − α m / (√v + ε)`.
 *
 * @example const opt = adamw({ learningRate: 1e-3, weightDecay: 1e-2 }); opt.update(g, s, params)
 */
export function adamw(opts?: LearningRate | AdamOptions): GradientTransformation<OptimizerState> {
  const o = optionsOf<AdamOptions>(opts);
  return adamLike("adamw", { ...o, weightDecay: o.weightDecay ?? 0.004 });
}

/** Options of `adamax` / `nadam`. */
export interface AdamaxOptions extends BaseOptions {
  /** Default 0.9. */
  readonly beta1?: number;
  /** Default 0.999. */
  readonly beta2?: number;
  /** Default 1e-7. */
  readonly epsilon?: number;
}

/**
 * Adamax (Keras `Adamax`, default learningRate 0.001), Adam with the infinity norm:
 * `m ← m + (g − m)(1 − β1)`, `n ← max(β2 n, |g|)`, `u = −lr m / ((1 − β1^t)(n + ε))`.
 *
 * @example const opt = adamax({ learningRate: 0.002 });
 */
export function adamax(opts?: LearningRate | AdamaxOptions): GradientTransformation<OptimizerState> {
  const o = optionsOf<AdamaxOptions>(opts);
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.epsilon ?? 1e-7;
  checkBetas("optim.adamax", b1, b2);
  return makeOptimizer(
    {
      name: "adamax",
      slots: { momentums: zerosSlot, norms: zerosSlot },
      step: ({ g, lr, t, slots: s }) => {
        const m = s.momentums.add(g.sub(s.momentums).mul(1 - b1));
        const n = np.maximum(s.norms.mul(b2), g.abs());
        const u = lr.mul(m).div(np.subtract(1, np.power(b1, t)).mul(n.add(eps))).neg();
        return [u, { momentums: m, norms: n }];
      },
    },
    o,
    0.001,
  );
}

/**
 * Nadam (Keras `Nadam`, default learningRate 0.001), Adam with Nesterov momentum and Dozat's
 * momentum schedule `μ_t = β1 (1 − 0.5 · 0.96^t)`, `Π_t = μ_1 ⋯ μ_t` (kept in the state):
 * `m ← m + (g − m)(1 − β1)`, `v ← v + (g² − v)(1 − β2)`,
 * `m̂ = μ_{t+1} m / (1 − Π_t μ_{t+1}) + (1 − μ_t) g / (1 − Π_t)`, `v̂ = v / (1 − β2^t)`,
 * `u = −lr m̂ / (√v̂ + ε)`.
 *
 * @example const opt = nadam(); const s = opt.init(params);
 */
export function nadam(opts?: LearningRate | AdamaxOptions): GradientTransformation<OptimizerState> {
  const o = optionsOf<AdamaxOptions>(opts);
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.epsilon ?? 1e-7;
  checkBetas("optim.nadam", b1, b2);
  const mu = (t: Tracer) => np.subtract(1, np.power(0.96, t).mul(0.5)).mul(b1);
  return makeOptimizer(
    {
      name: "nadam",
      slots: { momentums: zerosSlot, velocities: zerosSlot },
      globals: {
        names: ["uProduct"],
        init: (dtype) => ({ uProduct: np.ones([], { dtype }) }),
        update: ({ uProduct }, t) => ({ uProduct: uProduct.mul(mu(t)) }),
      },
      step: ({ g, lr, t, slots: s, globals }) => {
        const uT = mu(t);
        const uNext = mu(t.add(1));
        const prod = globals.uProduct;
        const m = s.momentums.add(g.sub(s.momentums).mul(1 - b1));
        const v = s.velocities.add(g.square().sub(s.velocities).mul(1 - b2));
        const mHat = uNext.mul(m).div(np.subtract(1, prod.mul(uNext))).add(np.subtract(1, uT).mul(g).div(np.subtract(1, prod)));
        const vHat = v.div(np.subtract(1, np.power(b2, t)));
        return [mHat.mul(lr).div(vHat.sqrt().add(eps)).neg(), { momentums: m, velocities: v }];
      },
    },
    o,
    0.001,
  );
}
