/**
 * @file Building blocks (chain, clipping, decayed weights, applyUpdates), and the optimizers in
 * a jitted training loop: one trace, flat memory over 1000 steps, and descent on a
 * Rosenbrock-like valley.
 */
import { describe, expect, it } from "vitest";
import { np, jit, valueAndGrad, memory, treeMap, type Tracer } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";
import * as optim from "./index.js";

const params = () => ({ a: np.array([3, 4]), b: [np.array([[12]])] });
const grads = () => ({ a: np.array([3, -4]), b: [np.array([[12]])] });

describe("building blocks", () => {
  it("clip, clipByNorm (per leaf), clipByGlobalNorm", () => {
    const [c] = optim.clip(3.5).update(grads(), {});
    expectArray(c.a, [3, -3.5]);
    expectArray(c.b[0], [[3.5]]);
    const [n] = optim.clipByNorm(1).update(grads(), {});
    expectArray(n.a, [0.6, -0.8]);
    expectArray(n.b[0], [[1]]);
    // Global norm 13: scale 6.5 / 13.
    const [gn] = optim.clipByGlobalNorm(6.5).update(grads(), {});
    expectArray(gn.a, [1.5, -2]);
    expectArray(gn.b[0], [[6]]);
    const [same] = optim.clipByGlobalNorm(100).update(grads(), {});
    expectArray(same.a, [3, -4]);
    expectArray(optim.globalNorm(grads()), 13, { shape: [] });
  });

  it("clipping keeps zero gradients finite and exposes non-finite ones", () => {
    const [z] = optim.clipByNorm(1).update({ a: np.zeros([2]) }, {});
    expectArray(z.a, [0, 0]);
    const [nan] = optim.clipByGlobalNorm(1).update({ a: np.array([Infinity, 1]) }, {});
    expect(Number.isNaN(nan.a.dataSync()[1])).toBe(true);
  });

  it("chain(addDecayedWeights, scaleByLearningRate) is SGD with Keras weight decay", () => {
    const opt = optim.chain(optim.addDecayedWeights(0.5), optim.scaleByLearningRate(0.25));
    const p = params();
    const state = opt.init(p);
    const [u, s2] = opt.update(grads(), state, p);
    expectArray(u.a, [-(3 + 1.5) / 4, -(-4 + 2) / 4]);
    const ref = optim.sgd({ learningRate: 0.25, weightDecay: 0.5 });
    const [u2] = ref.update(grads(), ref.init(p), p);
    expectArray(u2.a, Array.from(u.a.dataSync()));
    expect(((s2 as unknown[])[1] as optim.LearningRateState).count.item()).toBe(1);
    expect(() => opt.update(grads(), state)).toThrow(/addDecayedWeights: update needs the params/);
    expect(() => opt.update(grads(), [state[0]], p)).toThrow(/optim.chain: expected a state list of 2 entries/);
  });

  it("scaleByLearningRate follows a schedule through its own counter", () => {
    const opt = optim.scaleByLearningRate(optim.piecewiseConstant([0], [1, 0.5]));
    let s = opt.init(params());
    const outs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [u, s2] = opt.update({ a: np.array([2]) }, s);
      outs.push(u.a.item() as number);
      s = s2;
    }
    expect(outs).toEqual([-2, -1, -1]);
  });

  it("applyUpdates adds leaf by leaf and keeps the parameter dtype", () => {
    const p = { w: np.array([1, 2], { dtype: "float64" }), n: np.array([1], { dtype: "int32" }) };
    const out = optim.applyUpdates(p, { w: np.array([0.5, 0.5]), n: np.array([2], { dtype: "int32" }) });
    expect(out.w.dtype).toBe("float64");
    expectArray(out.w, [1.5, 2.5]);
    expectArray(out.n, [3], { dtype: "int32" });
    expect(() => optim.applyUpdates(p, { w: np.ones([2]) } as never)).toThrow(/different structure/);
  });

  it("rejects bad arguments", () => {
    expect(() => optim.clip(0)).toThrow(/optim.clip: maxDelta must be a finite number > 0/);
    expect(() => optim.clipByGlobalNorm(-1)).toThrow(/maxNorm/);
    expect(() => optim.scaleByLearningRate(NaN)).toThrow(/learningRate must be a finite number/);
  });
});

/** A bent valley with its minimum 0 at (1, 1); the loss is 4 at the start (-1, 1). */
const valley = (p: { xy: Tracer }) => {
  const [x, y] = np.split(p.xy, 2);
  return np.sum(np.square(np.subtract(1, x)).add(np.square(y.sub(x.square())).mul(10)));
};

function train(opt: optim.GradientTransformation<any>, steps: number) {
  const step = jit(
    (p: { xy: Tracer }, s: unknown) => {
      const [l, g] = valueAndGrad(valley)(p);
      const [u, s2] = opt.update(g, s, p);
      return [optim.applyUpdates(p, u), s2, l];
    },
    { donateArgnums: [0, 1] },
  );
  let p = { xy: np.array([-1, 1]) };
  let s = opt.init(p);
  let l: Tracer | null = null;
  let buffersAt10 = 0;
  for (let i = 0; i < steps; i++) {
    l?.dispose();
    [p, s, l] = step(p, s) as [typeof p, unknown, Tracer];
    if (i === 9) buffersAt10 = memory().buffers;
  }
  const out = { xy: Array.from(p.xy.dataSync()), loss: l!.item() as number, traces: step.cacheSize, buffersAt10, buffersAtEnd: memory().buffers };
  treeMap((a: Tracer) => a.dispose(), [p, s, l]);
  return out;
}

describe("optimizers in a jitted training loop", () => {
  it("traces once and keeps memory flat over 1000 steps", () => {
    const r = train(optim.chain(optim.clipByGlobalNorm(10), optim.adamw({ learningRate: 0.05, weightDecay: 1e-3 })), 1000);
    expect(r.traces).toBe(1);
    expect(r.buffersAtEnd).toBe(r.buffersAt10);
  });

  // Adadelta starts with steps of about lr * sqrt(eps) and needs longer in the curved valley.
  it("changing the learning rate in the state does not retrace", () => {
    const opt = optim.sgd(0.5);
    const step = jit((p: Tracer, s: optim.OptimizerState) => {
      const [u, s2] = opt.update(p, s);
      return [optim.applyUpdates(p, u), s2];
    });
    let p = np.array([8]);
    let s = opt.init(p);
    [p, s] = step(p, s) as [Tracer, optim.OptimizerState];
    s = optim.setLearningRate(s, 0.25);
    [p, s] = step(p, s) as [Tracer, optim.OptimizerState];
    expectArray(p, [3]);
    expect(step.cacheSize).toBe(1);
  });

  const cases: [string, optim.GradientTransformation<any>, number?][] = [
    ["sgd + momentum", optim.sgd({ learningRate: 0.01, momentum: 0.9 })],
    ["sgd + nesterov", optim.sgd({ learningRate: 0.01, momentum: 0.9, nesterov: true })],
    ["adam", optim.adam(0.05)],
    ["adam amsgrad", optim.adam({ learningRate: 0.05, amsgrad: true })],
    ["adamw", optim.adamw({ learningRate: 0.05, weightDecay: 1e-4 })],
    ["adamax", optim.adamax(0.05)],
    ["nadam", optim.nadam(0.05)],
    ["rmsprop", optim.rmsprop({ learningRate: 0.01, momentum: 0.5 })],
    ["rmsprop centered", optim.rmsprop({ learningRate: 0.005, centered: true })],
    ["adagrad", optim.adagrad(0.5)],
    ["adadelta", optim.adadelta(2), 2000],
    ["lion + decay", optim.lion(optim.exponentialDecay(0.05, 100, 0.5))],
    ["sgd + cosine warmup", optim.sgd({ learningRate: optim.cosineDecay(0, 800, { warmupTarget: 0.02, warmupSteps: 50 }), momentum: 0.9 })],
  ];
  it.each(cases)("%s descends the valley to near (1, 1)", (_name, opt, steps) => {
    const r = train(opt, steps ?? 600);
    expect(r.traces).toBe(1);
    expect(r.loss).toBeLessThan(0.05);
    expect(Math.hypot(r.xy[0] - 1, r.xy[1] - 1)).toBeLessThan(0.3);
  });
});
