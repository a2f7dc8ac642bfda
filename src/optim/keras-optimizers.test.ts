/**
 * @file The Keras optimizer classes: three steps of each against Keras 3's update formulas
 * re-evaluated in plain JS doubles (float64 params), the jitted step and its learning rate in
 * the state (no retrace), schedules as learning rates, configs, `get` and the errors.
 */
import { describe, expect, it } from "vitest";
import { np, jit, type Tracer } from "../index.js";
import * as optim from "./index.js";

const { optimizers } = optim;
const A = [1, 3, 0.5, 2];
const B = [0.2, 0, -1, 0.3];
const P0 = [1, -2, 0.5, 0];
// Loss 0.5 Σ a p² − Σ b p, so g = a p − b.
const gradJs = (p: number[]) => p.map((x, i) => A[i] * x - B[i]);
const gradOf = (w: Tracer) => w.mul(np.array(A, { dtype: "float64" })).sub(np.array(B, { dtype: "float64" }));

type Slots = Record<string, number[]>;
/** One reference step: mutates slots, returns new params; t is 1-based. */
type Ref = (p: number[], g: number[], s: Slots, t: number) => number[];

function runClass(opt: optim.optimizers.Optimizer, steps = 3): number[][] {
  let params = { w: np.array(P0, { dtype: "float64" }) };
  let state = opt.init(params);
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    [params, state] = opt.statelessApply(state, { w: gradOf(params.w) }, params);
    out.push(Array.from(params.w.dataSync()));
  }
  expect(opt.iterations(state)).toBe(steps);
  return out;
}

function runRef(slotInit: Record<string, number>, step: Ref, steps = 3): number[][] {
  let p = [...P0];
  const s: Slots = Object.fromEntries(Object.entries(slotInit).map(([k, v]) => [k, P0.map(() => v)]));
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) out.push((p = step(p, gradJs(p), s, t)));
  return out;
}

function expectClose(got: number[][], want: number[][], rtol = 1e-12): void {
  got.forEach((row, i) =>
    row.forEach((x, j) => {
      if (!(Math.abs(x - want[i][j]) <= rtol * Math.max(1, Math.abs(want[i][j])))) {
        throw new Error(`step ${i + 1}, element ${j}: got ${x}, expected ${want[i][j]}`);
      }
    }),
  );
}

const map = (p: number[], f: (i: number) => number) => p.map((_, i) => f(i));
const adamRef = (lr: number, b1: number, b2: number, eps: number, wd = 0): Ref => (p, g, s, t) =>
  map(p, (i) => {
    s.m[i] += (g[i] - s.m[i]) * (1 - b1);
    s.v[i] += (g[i] ** 2 - s.v[i]) * (1 - b2);
    const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    return p[i] - lr * wd * p[i] - (alpha * s.m[i]) / (Math.sqrt(s.v[i]) + eps);
  });

describe("Keras optimizer classes: three steps vs the Keras 3 formulas", () => {
  it("SGD: plain (default lr 0.01 as float32), momentum, nesterov", () => {
    const lr32 = Math.fround(0.01);
    expectClose(runClass(new optimizers.SGD()), runRef({}, (p, g) => map(p, (i) => p[i] - lr32 * g[i])));
    const mom = (nesterov: boolean): Ref => (p, g, s) =>
      map(p, (i) => {
        s.m[i] = 0.875 * s.m[i] - 0.125 * g[i];
        return p[i] + (nesterov ? 0.875 * s.m[i] - 0.125 * g[i] : s.m[i]);
      });
    expectClose(runClass(new optimizers.SGD(0.125, { momentum: 0.875 })), runRef({ m: 0 }, mom(false)));
    expectClose(runClass(new optimizers.SGD({ learningRate: 0.125, momentum: 0.875, nesterov: true })), runRef({ m: 0 }, mom(true)));
  });

  it("Adam, AMSGrad and AdamW (decoupled decay)", () => {
    expectClose(runClass(new optimizers.Adam(0.125, { beta1: 0.5, beta2: 0.75, epsilon: 1e-3 })), runRef({ m: 0, v: 0 }, adamRef(0.125, 0.5, 0.75, 1e-3)));
    const ams: Ref = (p, g, s, t) =>
      map(p, (i) => {
        s.m[i] += (g[i] - s.m[i]) * 0.1;
        s.v[i] += (g[i] ** 2 - s.v[i]) * 0.5;
        s.vh[i] = Math.max(s.vh[i], s.v[i]);
        return p[i] - ((0.25 * Math.sqrt(1 - 0.5 ** t)) / (1 - 0.9 ** t)) * s.m[i] / (Math.sqrt(s.vh[i]) + 1e-7);
      });
    expectClose(runClass(new optimizers.Adam(0.25, { beta2: 0.5, amsgrad: true })), runRef({ m: 0, v: 0, vh: 0 }, ams), 1e-9);
    expectClose(runClass(new optimizers.AdamW(0.25, { weightDecay: 0.5 })), runRef({ m: 0, v: 0 }, adamRef(0.25, 0.9, 0.999, 1e-7, 0.5)), 1e-9);
    expect(new optimizers.AdamW().weightDecay).toBe(0.004);
  });

  it("Adamax and Nadam", () => {
    const adamax: Ref = (p, g, s, t) =>
      map(p, (i) => {
        s.m[i] += (g[i] - s.m[i]) * 0.1;
        s.u[i] = Math.max(0.999 * s.u[i], Math.abs(g[i]));
        return p[i] - (0.25 * s.m[i]) / ((1 - 0.9 ** t) * (s.u[i] + 1e-7));
      });
    expectClose(runClass(new optimizers.Adamax(0.25)), runRef({ m: 0, u: 0 }, adamax), 1e-9);
    let prod = 1;
    const mu = (t: number) => 0.9 * (1 - 0.5 * 0.96 ** t);
    const nadam: Ref = (p, g, s, t) => {
      prod *= mu(t);
      return map(p, (i) => {
        s.m[i] += (g[i] - s.m[i]) * 0.1;
        s.v[i] += (g[i] ** 2 - s.v[i]) * 0.001;
        const mHat = (mu(t + 1) * s.m[i]) / (1 - prod * mu(t + 1)) + ((1 - mu(t)) * g[i]) / (1 - prod);
        const vHat = s.v[i] / (1 - 0.999 ** t);
        return p[i] - (0.25 * mHat) / (Math.sqrt(vHat) + 1e-7);
      });
    };
    expectClose(runClass(new optimizers.Nadam(0.25)), runRef({ m: 0, v: 0 }, nadam), 1e-9);
  });

  it("RMSprop plain and centered with momentum", () => {
    const rms = (centered: boolean, momentum: number): Ref => (p, g, s) =>
      map(p, (i) => {
        s.v[i] = 0.9 * s.v[i] + 0.1 * g[i] ** 2;
        let d = s.v[i] + 1e-7;
        if (centered) {
          s.a[i] = 0.9 * s.a[i] + 0.1 * g[i];
          d = s.v[i] - s.a[i] ** 2 + 1e-7;
        }
        const inc = (0.0625 * g[i]) / Math.sqrt(d);
        if (momentum === 0) return p[i] - inc;
        s.m[i] = momentum * s.m[i] + inc;
        return p[i] - s.m[i];
      });
    expectClose(runClass(new optimizers.RMSprop(0.0625)), runRef({ v: 0 }, rms(false, 0)), 1e-9);
    expectClose(runClass(new optimizers.RMSprop(0.0625, { centered: true, momentum: 0.5 })), runRef({ v: 0, a: 0, m: 0 }, rms(true, 0.5)), 1e-9);
  });

  it("Adagrad, Adadelta and Lion", () => {
    const adagrad: Ref = (p, g, s) =>
      map(p, (i) => {
        s.a[i] += g[i] ** 2;
        return p[i] - (0.5 * g[i]) / Math.sqrt(s.a[i] + 1e-7);
      });
    expectClose(runClass(new optimizers.Adagrad(0.5)), runRef({ a: 0.1 }, adagrad), 1e-9);
    const adadelta: Ref = (p, g, s) =>
      map(p, (i) => {
        s.G[i] = 0.95 * s.G[i] + 0.05 * g[i] ** 2;
        const delta = (-Math.sqrt(s.D[i] + 1e-7) * g[i]) / Math.sqrt(s.G[i] + 1e-7);
        s.D[i] = 0.95 * s.D[i] + 0.05 * delta ** 2;
        return p[i] + 1 * delta;
      });
    expectClose(runClass(new optimizers.Adadelta(1)), runRef({ G: 0, D: 0 }, adadelta), 1e-9);
    const lion: Ref = (p, g, s) =>
      map(p, (i) => {
        const dir = Math.sign(0.9 * s.m[i] + 0.1 * g[i]);
        s.m[i] = 0.99 * s.m[i] + 0.01 * g[i];
        return p[i] - 0.125 * dir;
      });
    expectClose(runClass(new optimizers.Lion(0.125)), runRef({ m: 0 }, lion));
    // Hand-worked: Lion moves each weight by exactly lr on the first step.
    expect(runClass(new optimizers.Lion(0.125), 1)[0]).toEqual([0.875, -1.875, 0.375, 0.125]);
  });

  it("clipnorm, clipvalue and globalClipnorm clip before the rule", () => {
    const g0 = gradJs(P0);
    const norm = Math.hypot(...g0);
    const got = runClass(new optimizers.SGD(0.5, { clipnorm: 1 }), 1)[0];
    expectClose([got], [map(P0, (i) => P0[i] - (0.5 * g0[i]) / norm)]);
    const cv = runClass(new optimizers.SGD(0.5, { clipvalue: 0.5 }), 1)[0];
    expectClose([cv], [map(P0, (i) => P0[i] - 0.5 * Math.max(-0.5, Math.min(0.5, g0[i])))]);
    const gc = runClass(new optimizers.SGD(0.5, { globalClipnorm: 2 }), 1)[0];
    expectClose([gc], [map(P0, (i) => P0[i] - (0.5 * 2 * g0[i]) / norm)], 1e-7);
  });
});

describe("Keras optimizer classes: state, jit and learning rates", () => {
  const params = () => ({ dense: { kernel: np.ones([2, 2]), bias: np.zeros([2]) } });
  const grads = () => ({ dense: { kernel: np.full([2, 2], 0.5), bias: np.array([1, -1]) } });

  it("statelessApply traces once under jit; setLearningRate changes the step without a retrace", () => {
    const opt = new optimizers.SGD(0.5);
    const step = jit((s: optim.OptimizerState, g: ReturnType<typeof grads>, p: ReturnType<typeof params>) => opt.statelessApply(s, g, p));
    let p = params();
    let s = opt.init(p);
    [p, s] = step(s, grads(), p);
    expect(Array.from(p.dense.bias.dataSync())).toEqual([-0.5, 0.5]);
    expect(opt.getLearningRate(s)).toBe(0.5);
    s = opt.setLearningRate(s, 0.25);
    expect(opt.getLearningRate(s)).toBe(0.25);
    [p, s] = step(s, grads(), p);
    expect(Array.from(p.dense.bias.dataSync())).toEqual([-0.75, 0.75]);
    expect(step.cacheSize).toBe(1);
    expect(opt.iterations(s)).toBe(2);
  });

  it("a schedule is evaluated at the step count (Keras iterations, 0 at the first step)", () => {
    const sched = new optim.schedules.PiecewiseConstantDecay([0], [1, 0.25]);
    const opt = new optimizers.SGD(sched);
    let p = params();
    let s = opt.init(p);
    expect(opt.getLearningRate(s)).toBe(1);
    [p, s] = opt.statelessApply(s, grads(), p);
    expect(Array.from(p.dense.bias.dataSync())).toEqual([-1, 1]);
    expect(opt.getLearningRate(s)).toBe(0.25);
    [p, s] = opt.statelessApply(s, grads(), p);
    expect(Array.from(p.dense.bias.dataSync())).toEqual([-1.25, 1.25]);
    expect(() => opt.setLearningRate(s, 0.1)).toThrow(/schedule.*not settable/);
  });

  it("transform plugs into optax-style chains", () => {
    const opt = optim.chain(optim.clipByGlobalNorm(1), new optimizers.Adam(0.1).transform);
    const s = opt.init(params());
    const [u] = opt.update(grads(), s, params());
    expect(u.dense.kernel.shape).toEqual([2, 2]);
  });
});

describe("Keras optimizer classes: configs, get, errors", () => {
  it("getConfig / fromConfig round-trip for every class, schedules included", () => {
    const opts = [
      new optimizers.SGD(0.1, { momentum: 0.9, nesterov: true, clipnorm: 1 }),
      new optimizers.Adam(new optim.schedules.ExponentialDecay(0.1, 100, 0.5), { amsgrad: true }),
      new optimizers.AdamW({ weightDecay: 0.01 }),
      new optimizers.Adamax(0.002, { beta1: 0.8 }),
      new optimizers.Nadam(),
      new optimizers.RMSprop(0.01, { centered: true, rho: 0.8, globalClipnorm: 2 }),
      new optimizers.Adagrad(0.1, { initialAccumulatorValue: 0.2 }),
      new optimizers.Adadelta(1, { rho: 0.9 }),
      new optimizers.Lion(1e-4, { weightDecay: 0.01, name: "my_lion" }),
    ];
    for (const o of opts) {
      const json = JSON.parse(JSON.stringify(optimizers.serialize(o)));
      const back = optimizers.deserialize(json);
      expect(back.constructor).toBe(o.constructor);
      expect(back.getConfig()).toEqual(o.getConfig());
    }
    expect(new optimizers.SGD().getConfig()).toMatchObject({ name: "SGD", learningRate: 0.01, momentum: 0, nesterov: false, weightDecay: null });
    expect(new optimizers.Adam().getConfig()).toMatchObject({ name: "adam", learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  });

  it("fromConfig reads Keras' snake_case configs", () => {
    const keras = {
      class_name: "Adam",
      config: {
        name: "adam", learning_rate: 0.01, weight_decay: null, clipnorm: null, global_clipnorm: null, clipvalue: null, use_ema: false,
        ema_momentum: 0.99, ema_overwrite_frequency: null, loss_scale_factor: null, gradient_accumulation_steps: null,
        beta_1: 0.8, beta_2: 0.99, epsilon: 1e-7, amsgrad: false,
      },
    };
    const o = optimizers.deserialize(keras) as optim.optimizers.Adam;
    expect([o.learningRate, o.beta1, o.beta2]).toEqual([0.01, 0.8, 0.99]);
    const s = optimizers.Adam.fromConfig({ learning_rate: { class_name: "CosineDecay", config: { initial_learning_rate: 0.1, decay_steps: 10 } } });
    expect(s.learningRate).toBeInstanceOf(optim.schedules.CosineDecay);
  });

  it("get resolves Keras ids case-insensitively and passes instances through", () => {
    const names = { sgd: "SGD", adam: "Adam", adamw: "AdamW", rmsprop: "RMSprop", adagrad: "Adagrad", adadelta: "Adadelta", adamax: "Adamax", nadam: "Nadam", lion: "Lion" };
    for (const [id, cls] of Object.entries(names)) expect(optimizers.get(id).constructor.name).toBe(cls);
    expect(optimizers.get("Adam")).toBeInstanceOf(optimizers.Adam);
    const mine = new optimizers.SGD(0.3);
    expect(optimizers.get(mine)).toBe(mine);
    expect(() => optimizers.get("adamm")).toThrow(/unknown optimizer "adamm"/);
    expect(() => optimizers.get(3)).toThrow(/could not interpret optimizer identifier 3/);
  });

  it("argument errors name the class and the fix", () => {
    expect(() => new optimizers.Adam(0.1, { useEma: true })).toThrow(/useEma.*not implemented/);
    expect(() => new optimizers.Adam({ gradientAccumulationSteps: 4 })).toThrow(/gradientAccumulationSteps is not implemented/);
    expect(() => new optimizers.SGD(-1)).toThrow(/learningRate must be/);
    expect(() => new optimizers.Adam(0.1, { beta1: 1 })).toThrow(/beta1 must be in \[0, 1\)/);
    expect(() => new optimizers.SGD(0.1, { clipnorm: 1, clipvalue: 1 })).toThrow(/only one of clipnorm/);
    expect(() => new optimizers.RMSprop(0.1, { epsilon: -1 })).toThrow(/RMSprop: epsilon must be a finite number >= 0/);
    expect(() => optimizers.Adam.fromConfig({ betaOne: 0.9 })).toThrow(/unknown argument 'betaOne'/);
    expect(() => new optimizers.SGD((s) => np.array(0.1).add(s)).getConfig()).toThrow(/plain function cannot be saved/);
    expect(() => new optimizers.SGD().statelessApply({} as optim.OptimizerState, { w: np.ones([1]) }, { w: np.ones([1]) })).toThrow(/state returned by init/);
  });
});
