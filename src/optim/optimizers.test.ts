/**
 * @file Each optimizer's first three steps on a small quadratic, in float64, against the Keras 3
 * formulas re-evaluated here element by element in plain JS doubles, plus a few hand-worked
 * values and the option checks.
 */
import { describe, expect, it } from "vitest";
import { np, grad, type Tracer } from "../index.js";
import * as optim from "./index.js";

const A = [1, 3, 0.5];
const B = [0.2, 0, -1];
const P0 = [1, -2, 0.5];
// Loss 0.5 Σ a p² − Σ b p, so g = a p − b.
const loss = (p: { w: Tracer }) => np.sum(p.w.square().mul(np.array(A, { dtype: "float64" })).mul(0.5)).sub(np.sum(p.w.mul(np.array(B, { dtype: "float64" }))));
const gradOf = (p: number[]) => p.map((x, i) => A[i] * x - B[i]);

/** One reference step: params, slots (per element) and 1-based step t -> new params. */
type RefStep = (p: number[], g: number[], s: Record<string, number[]>, t: number, glob: Record<string, number>) => number[];

function runLibrary(opt: optim.GradientTransformation<any>, steps = 3): number[][] {
  let params = { w: np.array(P0, { dtype: "float64" }) };
  let state = opt.init(params);
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    const g = grad(loss)(params) as { w: Tracer };
    const [u, s2] = opt.update(g, state, params);
    params = optim.applyUpdates(params, u);
    state = s2;
    expect(params.w.dtype).toBe("float64");
    out.push(Array.from(params.w.dataSync()));
  }
  return out;
}

function runReference(slots: Record<string, number>, step: RefStep, glob: Record<string, number> = {}, steps = 3): number[][] {
  let p = [...P0];
  const s = Object.fromEntries(Object.entries(slots).map(([k, v]) => [k, P0.map(() => v)]));
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    p = step(p, gradOf(p), s, t, glob);
    out.push([...p]);
  }
  return out;
}

function expectClose(got: number[][], want: number[][], rtol = 1e-12): void {
  got.forEach((row, i) =>
    row.forEach((x, j) => {
      if (Math.abs(x - want[i][j]) > rtol * Math.max(1, Math.abs(want[i][j]))) {
        throw new Error(`step ${i + 1}, element ${j}: got ${x}, expected ${want[i][j]}`);
      }
    }),
  );
}

const each = (p: number[], f: (i: number) => number) => p.map((_, i) => f(i));

describe("optimizers: first three steps vs the Keras 3 formulas (float64)", () => {
  it("sgd, momentum and nesterov", () => {
    expectClose(runLibrary(optim.sgd(0.125)), runReference({}, (p, g) => each(p, (i) => p[i] - 0.125 * g[i])));
    for (const nesterov of [false, true]) {
      const ref = runReference({ m: 0 }, (p, g, s) =>
        each(p, (i) => {
          s.m[i] = -g[i] * 0.125 + s.m[i] * 0.75;
          return p[i] + (nesterov ? -g[i] * 0.125 + s.m[i] * 0.75 : s.m[i]);
        }),
      );
      expectClose(runLibrary(optim.sgd({ learningRate: 0.125, momentum: 0.75, nesterov })), ref);
    }
  });

  const adamRef = (lr: number, b1: number, b2: number, eps: number, wd = 0, ams = false): RefStep => (p, g, s, t) =>
    each(p, (i) => {
      const q = p[i] - p[i] * wd * lr;
      s.m[i] += (g[i] - s.m[i]) * (1 - b1);
      s.v[i] += (g[i] * g[i] - s.v[i]) * (1 - b2);
      s.vh[i] = Math.max(s.vh[i], s.v[i]);
      const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      return q - (s.m[i] * alpha) / (Math.sqrt(ams ? s.vh[i] : s.v[i]) + eps);
    });

  it("adam (defaults but the rate; amsgrad; large epsilon to expose its placement)", () => {
    expectClose(runLibrary(optim.adam(0.25)), runReference({ m: 0, v: 0, vh: 0 }, adamRef(0.25, 0.9, 0.999, 1e-7)));
    expectClose(
      runLibrary(optim.adam({ learningRate: 0.25, amsgrad: true, beta2: 0.5 })),
      runReference({ m: 0, v: 0, vh: 0 }, adamRef(0.25, 0.9, 0.5, 1e-7, 0, true)),
    );
    expectClose(
      runLibrary(optim.adam({ learningRate: 0.25, epsilon: 0.5 })),
      runReference({ m: 0, v: 0, vh: 0 }, adamRef(0.25, 0.9, 0.999, 0.5)),
    );
  });

  it("adam's first step is about -lr * sign(g) (hand-worked)", () => {
    const [first] = runLibrary(optim.adam(0.25), 1);
    // g = [0.8, -6, 1.25]: every element moves by 0.25 against its gradient's sign, up to eps.
    expectClose([first], [[0.75, -1.75, 0.25]], 1e-5);
  });

  it("adamw decays before the step, default weightDecay 0.004", () => {
    expectClose(runLibrary(optim.adamw(0.25)), runReference({ m: 0, v: 0, vh: 0 }, adamRef(0.25, 0.9, 0.999, 1e-7, 0.004)));
    expectClose(
      runLibrary(optim.adamw({ learningRate: 0.25, weightDecay: 0.5 })),
      runReference({ m: 0, v: 0, vh: 0 }, adamRef(0.25, 0.9, 0.999, 1e-7, 0.5)),
    );
  });

  it("adamax", () => {
    const ref = runReference({ m: 0, u: 0 }, (p, g, s, t) =>
      each(p, (i) => {
        s.m[i] += (g[i] - s.m[i]) * 0.1;
        s.u[i] = Math.max(0.999 * s.u[i], Math.abs(g[i]));
        return p[i] - (0.25 * s.m[i]) / ((1 - 0.9 ** t) * (s.u[i] + 1e-7));
      }),
    );
    expectClose(runLibrary(optim.adamax(0.25)), ref);
  });

  it("nadam, with the momentum-schedule product in the state", () => {
    const mu = (t: number) => 0.9 * (1 - 0.5 * 0.96 ** t);
    const ref = runReference(
      { m: 0, v: 0 },
      (p, g, s, t, glob) => {
        glob.prod = (glob.prod ?? 1) * mu(t);
        return each(p, (i) => {
          s.m[i] += (g[i] - s.m[i]) * 0.1;
          s.v[i] += (g[i] * g[i] - s.v[i]) * 0.001;
          const mHat = (mu(t + 1) * s.m[i]) / (1 - glob.prod * mu(t + 1)) + ((1 - mu(t)) * g[i]) / (1 - glob.prod);
          const vHat = s.v[i] / (1 - 0.999 ** t);
          return p[i] - (mHat * 0.25) / (Math.sqrt(vHat) + 1e-7);
        });
      },
    );
    expectClose(runLibrary(optim.nadam(0.25)), ref);
  });

  it("rmsprop: plain, momentum, centered (epsilon inside the root)", () => {
    for (const [momentum, centered] of [[0, false], [0.5, false], [0.5, true], [0, true]] as const) {
      const ref = runReference({ v: 0, a: 0, m: 0 }, (p, g, s) =>
        each(p, (i) => {
          s.v[i] = 0.9 * s.v[i] + 0.1 * g[i] * g[i];
          s.a[i] = 0.9 * s.a[i] + 0.1 * g[i];
          const d = centered ? s.v[i] - s.a[i] * s.a[i] + 0.25 : s.v[i] + 0.25;
          const inc = (0.125 * g[i]) / Math.sqrt(d);
          s.m[i] = momentum * s.m[i] + inc;
          return p[i] - (momentum > 0 ? s.m[i] : inc);
        }),
      );
      expectClose(runLibrary(optim.rmsprop({ learningRate: 0.125, momentum, centered, epsilon: 0.25 })), ref);
    }
  });

  it("adagrad (accumulator starts at 0.1)", () => {
    const ref = runReference({ a: 0.1 }, (p, g, s) =>
      each(p, (i) => {
        s.a[i] += g[i] * g[i];
        return p[i] - (0.5 * g[i]) / Math.sqrt(s.a[i] + 1e-7);
      }),
    );
    expectClose(runLibrary(optim.adagrad(0.5)), ref);
  });

  it("adadelta", () => {
    const ref = runReference({ G: 0, D: 0 }, (p, g, s) =>
      each(p, (i) => {
        s.G[i] = 0.95 * s.G[i] + 0.05 * g[i] * g[i];
        const d = -(Math.sqrt(s.D[i] + 1e-7) * g[i]) / Math.sqrt(s.G[i] + 1e-7);
        s.D[i] = 0.95 * s.D[i] + 0.05 * d * d;
        return p[i] + 1 * d;
      }),
    );
    expectClose(runLibrary(optim.adadelta(1)), ref);
  });

  it("lion", () => {
    const ref = runReference({ m: 0 }, (p, g, s) =>
      each(p, (i) => {
        const q = p[i] - 0.125 * Math.sign(0.9 * s.m[i] + 0.1 * g[i]);
        s.m[i] = 0.99 * s.m[i] + 0.01 * g[i];
        return q;
      }),
    );
    expectClose(runLibrary(optim.lion(0.125)), ref);
  });

  it("a schedule is read at the step before the counter advances (Keras iterations)", () => {
    const sched = optim.piecewiseConstant([0, 1], [0.5, 0.25, 0.125]);
    const rates = [0.5, 0.25, 0.125];
    expectClose(runLibrary(optim.sgd(sched)), runReference({}, (p, g, _s, t) => each(p, (i) => p[i] - rates[t - 1] * g[i])));
  });

  it("a numeric rate is a float32 in the state and can be changed", () => {
    const opt = optim.adam(0.1);
    const s = opt.init({ w: np.zeros([2]) });
    expect(optim.getLearningRate(s)).toBe(Math.fround(0.1));
    const s2 = optim.setLearningRate([{}, s], 0.5);
    expect(optim.getLearningRate(s2)).toBe(0.5);
    expect(optim.getLearningRate(s)).toBe(Math.fround(0.1));
    expect(() => optim.setLearningRate(optim.adam(optim.constant(1)).init({ w: np.zeros([2]) }), 0.5)).toThrow(/no numeric learning rate/);
  });
});

describe("optimizers: options and errors", () => {
  it("validates hyperparameters with the optimizer's name", () => {
    expect(() => optim.sgd({ momentum: 1.5 })).toThrow(/optim.sgd: momentum must be in \[0, 1\]/);
    expect(() => optim.sgd({ nesterov: true })).toThrow(/nesterov needs momentum/);
    expect(() => optim.adam({ beta1: 1 })).toThrow(/optim.adam: beta1/);
    expect(() => optim.adam(-1)).toThrow(/learningRate must be a finite number >= 0/);
    expect(() => optim.rmsprop({ clipnorm: 1, clipvalue: 1 })).toThrow(/only one of clipnorm, clipvalue and globalClipnorm/);
    expect(() => optim.lion({ beta1: 0 })).toThrow(/optim.lion: beta1 must be in \(0, 1\]/);
    expect(() => optim.adamw({ weightDecay: -1 })).toThrow(/weightDecay must be a finite number >= 0/);
  });

  it("weight decay needs the params; mismatched trees name the optimizer", () => {
    const opt = optim.adamw();
    const p = { w: np.ones([2]) };
    const s = opt.init(p);
    expect(() => opt.update(p, s)).toThrow(/optim.adamw: weightDecay needs the params/);
    expect(() => opt.update({ v: np.ones([2]) }, s, { v: np.ones([2]) })).toThrow(/optim.adamw: state.momentums must have the structure/);
    expect(() => opt.update(p, undefined as never)).toThrow(/update expects the state returned by init/);
  });

  it("keeps the state layout of Keras (slot names, int32 count)", () => {
    const s = optim.rmsprop({ momentum: 0.9, centered: true }).init({ w: np.ones([2, 2]) });
    expect(Object.keys(s).sort()).toEqual(["averageGradients", "count", "learningRate", "momentums", "velocities"]);
    expect(s.count.dtype).toBe("int32");
    expect(Array.from((optim.adagrad().init({ w: np.ones([2]) }).accumulators as { w: Tracer }).w.dataSync())).toEqual([
      Math.fround(0.1),
      Math.fround(0.1),
    ]);
  });

  it("clip options act before the rule (Keras clipnorm / clipvalue / globalClipnorm)", () => {
    const p = { a: np.array([0, 0]), b: np.array([0]) };
    const g = { a: np.array([3, 4]), b: np.array([12]) };
    const one = (o: optim.SgdOptions) => {
      const opt = optim.sgd({ learningRate: 1, ...o });
      const [u] = opt.update(g, opt.init(p), p);
      return [...u.a.dataSync(), ...u.b.dataSync()].map((x) => -x);
    };
    expect(one({ clipvalue: 3.5 })).toEqual([3, 3.5, 3.5]);
    const byNorm = one({ clipnorm: 1 });
    [0.6, 0.8, 1].forEach((x, i) => expect(byNorm[i]).toBeCloseTo(x, 6));
    const byGlobal = one({ globalClipnorm: 6.5 });
    [1.5, 2, 6].forEach((x, i) => expect(byGlobal[i]).toBeCloseTo(x, 5));
  });
});
