import { beforeEach, describe, expect, it } from "vitest";
import { np, grad, random, type Tracer } from "../../index.js";
import { Input, Sequential, optimizers, setRandomSeed, clearSession, type Layer } from "../index.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import { ELU, LeakyReLU, PReLU, ReLU, Softmax } from "./activation-layers.js";

beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});

const xs = [-3, -1, -0.5, 0, 0.5, 1, 2, 7];
const x = () => np.array([xs]);
const map = (f: (v: number) => number) => [xs.map(f)];

function roundTrip(layer: Layer, from: (c: Record<string, unknown>) => Layer, input: Tracer): void {
  const y = layer.apply(input);
  const copy = from(JSON.parse(JSON.stringify(layer.getConfig())));
  copy.apply(input);
  copy.setWeights(layer.getWeights());
  expect(copy.getConfig()).toEqual(layer.getConfig());
  expectArray(copy.apply(input), y.toArray() as number[][], { rtol: 1e-6 });
}

describe("Softmax", () => {
  it("normalizes over the last axis or over several axes", () => {
    expectArray(new Softmax().apply(np.array([[0, Math.log(3)], [1, 1]])), [[0.25, 0.75], [0.5, 0.5]], { rtol: 1e-6 });
    const y = new Softmax({ axis: [1, 2] }).apply(random.normal(random.key(0), [2, 3, 4]));
    expectArray(np.sum(y, { axis: [1, 2] }), [1, 1], { rtol: 1e-6 });
    expectArray(new Softmax({ axis: 0 }).apply(np.array([[0], [0]])), [[0.5], [0.5]]);
    expect(() => new Softmax({ axis: 2 }).apply(np.ones([2, 2]))).toThrow(/axis 2 is out of range/);
    roundTrip(new Softmax({ axis: [-1] }), Softmax.fromConfig, np.array([[1, 2, 3]]));
  });
});

describe("ReLU", () => {
  it("is max(x, 0) by default", () => {
    expectArray(new ReLU().apply(x()), map((v) => Math.max(v, 0)));
  });

  it("applies the cap, the leak and the threshold like Keras' formula", () => {
    const f = (v: number) => (v >= 6 ? 6 : v > 1 ? v : 0.1 * (v - 1));
    expectArray(new ReLU({ maxValue: 6, negativeSlope: 0.1, threshold: 1 }).apply(x()), map(f), { rtol: 1e-6 });
    expectArray(new ReLU({ maxValue: 1 }).apply(x()), map((v) => Math.min(Math.max(v, 0), 1)));
    expectArray(new ReLU({ threshold: 0.5 }).apply(x()), map((v) => (v > 0.5 ? v : 0)));
    expectArray(new ReLU({ negativeSlope: 0.2 }).apply(x()), map((v) => (v > 0 ? v : 0.2 * v)), { rtol: 1e-6 });
  });

  it("rejects negative options and round-trips its config", () => {
    expect(() => new ReLU({ maxValue: -1 })).toThrow(/maxValue must be a number >= 0/);
    expect(() => new ReLU({ negativeSlope: -0.1 })).toThrow(/negativeSlope must be a number >= 0/);
    expect(() => new ReLU({ threshold: -1 })).toThrow(/threshold/);
    roundTrip(new ReLU({ maxValue: 6, negativeSlope: 0.1 }), ReLU.fromConfig, x());
  });
});

describe("LeakyReLU and ELU", () => {
  it("LeakyReLU defaults to slope 0.3", () => {
    expectArray(new LeakyReLU().apply(x()), map((v) => (v >= 0 ? v : 0.3 * v)), { rtol: 1e-6 });
    expectArray(new LeakyReLU(0.1).apply(x()), map((v) => (v >= 0 ? v : 0.1 * v)), { rtol: 1e-6 });
    expect(() => new LeakyReLU(-1)).toThrow(/negativeSlope must be a number >= 0/);
    roundTrip(new LeakyReLU(0.2), LeakyReLU.fromConfig, x());
  });

  it("ELU is alpha * (exp(x) - 1) below zero", () => {
    expectArray(new ELU().apply(x()), map((v) => (v > 0 ? v : Math.exp(v) - 1)), { rtol: 1e-6 });
    expectArray(new ELU(0.5).apply(x()), map((v) => (v > 0 ? v : 0.5 * (Math.exp(v) - 1))), { rtol: 1e-6 });
    roundTrip(new ELU(2), ELU.fromConfig, x());
  });

  it("integer inputs are computed in float32", () => {
    expect(new LeakyReLU().apply(np.array([-1, 2], { dtype: "int32" })).dtype).toBe("float32");
  });
});

describe("PReLU", () => {
  it("has one alpha per feature, starting at zero (a plain ReLU)", () => {
    const p = new PReLU();
    expectArray(p.apply(x()), map((v) => Math.max(v, 0)));
    expect(p.weights.map((w) => [w.name, w.shape])).toEqual([["alpha", [8]]]);
    p.setWeights([np.full([8], 0.25)]);
    expectArray(p.apply(x()), map((v) => (v >= 0 ? v : 0.25 * v)));
  });

  it("shares alpha across sharedAxes (per-channel slopes of images)", () => {
    const p = new PReLU({ sharedAxes: [1, 2], alphaInitializer: "ones" });
    const img = random.normal(random.key(1), [2, 4, 5, 3]);
    p.apply(img);
    expect(p.alpha.shape).toEqual([1, 1, 3]);
    p.setWeights([np.array([[[0.1, 0.2, 0.3]]])]);
    const y = p.apply(img).toArray() as number[][][][];
    const v = img.toArray() as number[][][][];
    expect(y[1][2][3][2]).toBeCloseTo(v[1][2][3][2] >= 0 ? v[1][2][3][2] : 0.3 * v[1][2][3][2], 6);
    expect(p.apply(Input({ shape: [4, 5, 3] })).shape).toEqual([null, 4, 5, 3]);
  });

  it("needs known dims unless shared, and round-trips", () => {
    expect(() => new PReLU().apply(Input({ shape: [null, 3] }))).toThrow(/must be known to create alpha/);
    expect(new PReLU({ sharedAxes: [1] }).apply(Input({ shape: [null, 3] })).shape).toEqual([null, null, 3]);
    expect(() => new PReLU({ sharedAxes: [0] })).toThrow(/sharedAxes must be axes >= 1/);
    const p = new PReLU({ alphaInitializer: "ones" });
    p.apply(x());
    p.setWeights([np.linspace(0, 0.7, 8)]);
    roundTrip(p, PReLU.fromConfig, x());
  });

  it("gradient w.r.t. alpha is min(x, 0) and it trains toward the leak of the data", async () => {
    const p = new PReLU();
    p.apply(x());
    const [params] = p.paramsAndState();
    const g = grad((q: Record<string, Tracer>) => np.sum(p.statelessCall(q, {}, x())[0]))(params) as Record<string, Tracer>;
    expectArray(g.alpha, xs.map((v) => Math.min(v, 0)));
    const data = random.normal(random.key(2), [256, 1]);
    const target = np.where(np.greater(data, 0), data, data.mul(0.2));
    const model = new Sequential([Input({ shape: [1] }), new PReLU()]);
    model.compile({ optimizer: new optimizers.SGD(0.5), loss: "mse" });
    await model.fit(data, target, { epochs: 10, batchSize: 32, verbose: 0 });
    expect((model.getWeights()[0].toArray() as number[])[0]).toBeCloseTo(0.2, 2);
  });
});
