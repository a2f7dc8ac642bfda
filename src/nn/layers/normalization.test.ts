import { beforeEach, describe, expect, it } from "vitest";
import { np, grad, random, type Tracer } from "../../index.js";
import { Input, Sequential, optimizers, setRandomSeed, clearSession, type Layer } from "../index.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import { Dense } from "./core.js";
import { BatchNormalization, GroupNormalization, LayerNormalization, UnitNormalization } from "./normalization.js";

beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});

const X = [[1, 2, -1], [3, 0, 1], [5, 4, 3], [-1, 2, 1]];
const colMean = [2, 2, 1];
const colVar = [5, 2, 2]; // biased: mean of squared deviations

/** Round trip through getConfig/fromConfig with the same weights gives the same outputs. */
function roundTrip<L extends Layer>(layer: L, from: (c: Record<string, unknown>) => L, x: Tracer, training = false): void {
  const y = layer.apply(x, { training });
  const copy = from(JSON.parse(JSON.stringify({ ...layer.getConfig(), name: `${layer.name}_copy` })));
  copy.apply(x);
  copy.setWeights(layer.getWeights());
  expect(copy.getConfig()).toEqual({ ...layer.getConfig(), name: `${layer.name}_copy` });
  expectArray(copy.apply(x, { training }), y.toArray() as number[][], { rtol: 1e-6, atol: 1e-6 });
}

/** Gradient of sum(output * w) w.r.t. one param entry, against central differences (float64). */
function checkGrad(layer: Layer, x: Tracer, path: string, index: number[], training = false): void {
  layer.apply(x);
  const [params, state] = layer.paramsAndState();
  const w = random.normal(random.key(7), layer.computeOutputShape([...x.shape]) as number[], { dtype: "float64" });
  const f = (p: Record<string, Tracer>) => np.sum(layer.statelessCall(p, state, x, { training })[0].mul(w));
  const g = grad(f)(params) as Record<string, Tracer>;
  expect((g[path].toArray() as number[]).flat(4).every(Number.isFinite)).toBe(true);
  const h = 1e-5;
  const bump = (d: number) => {
    const n = params[path].size;
    const onehot = np.array(Array.from({ length: n }, (_, i) => (i === flatIndex ? d : 0)), { dtype: "float64" }).reshape([...params[path].shape]);
    return f({ ...params, [path]: params[path].add(onehot) }).item() as number;
  };
  const flatIndex = index.reduce((acc, i, k) => acc * params[path].shape[k] + i, 0);
  const fd = (bump(h) - bump(-h)) / (2 * h);
  const got = g[path].reshape([-1]).toArray() as number[];
  expect(got[flatIndex]).toBeCloseTo(fd, 6);
}

describe("BatchNormalization", () => {
  it("has Keras' weights, defaults and shapes", () => {
    const bn = new BatchNormalization();
    expect(bn.name).toBe("batch_normalization");
    bn.apply(np.ones([2, 3]));
    expect(bn.weights.map((w) => [w.name, w.shape, w.trainable])).toEqual([
      ["gamma", [3], true], ["beta", [3], true], ["moving_mean", [3], false], ["moving_variance", [3], false],
    ]);
    expect(bn.getConfig()).toMatchObject({ axis: -1, momentum: 0.99, epsilon: 1e-3, center: true, scale: true });
    const sym = bn.apply(Input({ shape: [3] }));
    expect(sym.shape).toEqual([null, 3]);
  });

  it("training uses the batch statistics and updates the moving ones eagerly", () => {
    const bn = new BatchNormalization({ momentum: 0.9, epsilon: 0 });
    const x = np.array(X);
    const y = bn.apply(x, { training: true });
    const want = X.map((r) => r.map((v, j) => (v - colMean[j]) / Math.sqrt(colVar[j])));
    expectArray(y, want, { rtol: 1e-5, atol: 1e-6 });
    expectArray(bn.movingMean.value, colMean.map((m) => 0.1 * m), { rtol: 1e-6 });
    expectArray(bn.movingVariance.value, colVar.map((v) => 0.9 + 0.1 * v), { rtol: 1e-6 });
  });

  it("inference uses the moving statistics, gamma and beta, and leaves them alone", () => {
    const bn = new BatchNormalization();
    bn.apply(np.ones([1, 3]));
    bn.setWeights([np.array([1, 2, 3]), np.array([0, 1, -1]), np.array([1, 0, -1]), np.array([4, 1, 0.25])]);
    const y = bn.apply(np.array([[3, 2, 1]]));
    const e = 1e-3;
    expectArray(y, [[(3 - 1) / Math.sqrt(4 + e), 2 * 2 / Math.sqrt(1 + e) + 1, 3 * 2 / Math.sqrt(0.25 + e) - 1]], { rtol: 1e-5 });
    expectArray(bn.movingMean.value, [1, 0, -1]);
    bn.trainable = false; // frozen: inference mode even when training
    expectArray(bn.apply(np.array([[3, 2, 1]]), { training: true }), y.toArray() as number[][], { rtol: 1e-6 });
    expectArray(bn.movingMean.value, [1, 0, -1]);
  });

  it("normalizes over every axis but `axis` (channels first, 4-D)", () => {
    const x = random.normal(random.key(1), [3, 2, 4, 5]).mul(3).add(1);
    const bn = new BatchNormalization({ axis: 1, center: false, scale: false, epsilon: 0 });
    const y = bn.apply(x, { training: true });
    expect(bn.weights.map((w) => w.name)).toEqual(["moving_mean", "moving_variance"]);
    expectArray(np.mean(y, { axis: [0, 2, 3] }), [0, 0], { atol: 1e-5 });
    expectArray(np.var(y, { axis: [0, 2, 3] }), [1, 1], { rtol: 1e-4 });
  });

  it("statelessCall returns the updated state and leaves the variables alone", () => {
    const bn = new BatchNormalization({ momentum: 0.5 });
    bn.apply(np.ones([1, 3]));
    const [params, state] = bn.paramsAndState();
    expect(Object.keys(params)).toEqual(["gamma", "beta"]);
    const [, newState] = bn.statelessCall(params, state, np.array(X), { training: true });
    expectArray(newState.moving_mean, colMean.map((m) => 0.5 * m), { rtol: 1e-6 });
    expectArray(newState.moving_variance, colVar.map((v) => 0.5 + 0.5 * v), { rtol: 1e-6 });
    expectArray(bn.movingMean.value, [0, 0, 0]);
    const [, same] = bn.statelessCall(params, state, np.array(X), { training: false });
    expectArray(same.moving_mean, [0, 0, 0]);
  });

  it("fit moves the moving mean toward the batch mean", async () => {
    const x = np.array(X);
    const y = np.array([[1], [2], [3], [4]]);
    const model = new Sequential([Input({ shape: [3] }), new BatchNormalization({ momentum: 0.5 }), new Dense(1)]);
    model.compile({ optimizer: new optimizers.SGD(0.01), loss: "mse" });
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, shuffle: false });
    const bn = model.layers[0] as BatchNormalization;
    expectArray(bn.movingMean.value, colMean.map((m) => 0.5 * m), { rtol: 1e-5 });
    expectArray(bn.movingVariance.value, colVar.map((v) => 0.5 + 0.5 * v), { rtol: 1e-5 });
    await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, shuffle: false });
    expectArray(bn.movingMean.value, colMean.map((m) => m * (1 - 0.5 ** 4)), { rtol: 1e-5 });
  });

  it("gradients match finite differences (training mode)", () => {
    const x = random.normal(random.key(2), [5, 3], { dtype: "float64" });
    const bn = new BatchNormalization({ dtype: "float64" });
    checkGrad(bn, x, "gamma", [1], true);
    checkGrad(bn, x, "beta", [2], true);
  });

  it("round-trips its config", () => {
    roundTrip(new BatchNormalization({ momentum: 0.8, epsilon: 1e-2, center: false }), BatchNormalization.fromConfig, np.array(X));
  });

  it("errors on a bad axis, momentum or unknown feature size", () => {
    expect(() => new BatchNormalization({ axis: 3 }).apply(np.ones([2, 3]))).toThrow(/axis 3 is out of range for inputs of rank 2/);
    expect(() => new BatchNormalization({ momentum: 2 })).toThrow(/momentum must be in \[0, 1\]/);
    const bn = new BatchNormalization();
    bn.apply(np.ones([2, 3]));
    expect(() => bn.apply(np.ones([2, 4]))).toThrow(/expected 3 features/);
  });
});

describe("LayerNormalization", () => {
  it("normalizes each sample over the last axis", () => {
    const ln = new LayerNormalization({ epsilon: 0 });
    const y = ln.apply(np.array([[1, 2, 3], [2, 2, 5]]));
    const s1 = Math.sqrt(2 / 3);
    const s2 = Math.sqrt(2);
    expectArray(y, [[-1 / s1, 0, 1 / s1], [-1 / s2, -1 / s2, 2 / s2]], { rtol: 1e-5 });
    expect(ln.weights.map((w) => [w.name, w.shape])).toEqual([["gamma", [3]], ["beta", [3]]]);
  });

  it("normalizes over several axes with weights of their shape", () => {
    const x = random.normal(random.key(3), [2, 3, 4]);
    const ln = new LayerNormalization({ axis: [1, 2], gammaInitializer: "ones", betaInitializer: "ones" });
    const y = ln.apply(x);
    expect(ln.gamma!.shape).toEqual([3, 4]);
    expectArray(np.mean(y, { axis: [1, 2] }), [1, 1], { atol: 1e-5 });
    expect(ln.apply(Input({ shape: [3, 4] })).shape).toEqual([null, 3, 4]);
  });

  it("gradients match finite differences and the config round-trips", () => {
    const x = random.normal(random.key(4), [2, 4], { dtype: "float64" });
    const ln = new LayerNormalization({ dtype: "float64" });
    checkGrad(ln, x, "gamma", [3]);
    roundTrip(new LayerNormalization({ axis: [-1], epsilon: 1e-5 }), LayerNormalization.fromConfig, np.array(X));
  });
});

describe("GroupNormalization", () => {
  it("normalizes groups of channels over the spatial axes (against a per-group loop)", () => {
    const x = random.normal(random.key(5), [2, 3, 4]);
    const gn = new GroupNormalization({ groups: 2 });
    gn.apply(x);
    gn.setWeights([np.array([1, 2, 3, 4]), np.array([0, 0, 1, 1])]);
    const y = gn.apply(x).toArray() as number[][][];
    const xs = x.toArray() as number[][][];
    for (let b = 0; b < 2; b++) {
      for (let g = 0; g < 2; g++) {
        const vals = xs[b].flatMap((row) => row.slice(2 * g, 2 * g + 2));
        const m = vals.reduce((a, v) => a + v, 0) / vals.length;
        const v = vals.reduce((a, u) => a + (u - m) ** 2, 0) / vals.length;
        for (let t = 0; t < 3; t++) {
          for (let c = 2 * g; c < 2 * g + 2; c++) {
            expect(y[b][t][c]).toBeCloseTo(((xs[b][t][c] - m) / Math.sqrt(v + 1e-3)) * (c + 1) + (c >= 2 ? 1 : 0), 4);
          }
        }
      }
    }
  });

  it("groups: -1 is one group per channel; indivisible groups are an error", () => {
    const gn = new GroupNormalization({ groups: -1, axis: 1 });
    const y = gn.apply(random.normal(random.key(6), [2, 3, 5]));
    expectArray(np.mean(y, { axis: 2 }), [[0, 0, 0], [0, 0, 0]], { atol: 1e-5 });
    expect(gn.groups).toBe(3);
    expect(() => new GroupNormalization({ groups: 4 }).apply(np.ones([2, 6]))).toThrow(/cannot be split into 4 equal groups/);
    expect(() => new GroupNormalization({ groups: 0 })).toThrow(/positive integer or -1/);
  });

  it("gradients match finite differences and the config round-trips", () => {
    const x = random.normal(random.key(8), [2, 3, 4], { dtype: "float64" });
    checkGrad(new GroupNormalization({ groups: 2, dtype: "float64" }), x, "gamma", [1]);
    roundTrip(new GroupNormalization({ groups: 2, center: false }), GroupNormalization.fromConfig, random.normal(random.key(9), [2, 4]));
  });
});

describe("UnitNormalization", () => {
  it("scales to unit L2 norm and keeps zeros finite", () => {
    expectArray(new UnitNormalization().apply(np.array([[3, 4], [0, 0]])), [[0.6, 0.8], [0, 0]], { rtol: 1e-6 });
    const u = new UnitNormalization({ axis: [1, 2] });
    expectArray(np.sum(u.apply(np.ones([1, 2, 2])).mul(2), { axis: [1, 2] }), [4], { rtol: 1e-6 });
    roundTrip(u, UnitNormalization.fromConfig, np.ones([1, 2, 2]));
  });
});
