/**
 * @file Keras metrics (Mean, Sum, accuracy family, top-k, MSE/MAE/RMSE): Keras docstring values,
 * sample weights, the pure core under jit, two batches == one batch, memory, `get` and errors.
 */
import { describe, expect, it } from "vitest";
import { np, jit, memory, ShapeError, type Tracer } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";
import * as losses from "./losses.js";
import * as metrics from "./metrics.js";
import "./metrics-confusion.js";

const value = (m: metrics.Metric) => m.result().item() as number;

describe("Mean and Sum", () => {
  it("weighted mean and sum (Keras docs)", () => {
    const m = new metrics.Mean();
    m.updateState([1, 3, 5, 7]);
    expect(value(m)).toBe(4);
    m.resetState();
    m.updateState([1, 3, 5, 7], [1, 1, 0, 0]);
    expect(value(m)).toBe(2);
    // Accumulates: (1 + 3 + 5 + 7 + 1 + 3) / (4 + 2).
    m.updateState([1, 3, 5, 7]);
    expectArray(m.result(), (4 + 16) / 6);
    const s = new metrics.Sum();
    s.updateState([1, 3, 5, 7]);
    expect(value(s)).toBe(16);
    s.updateState([[1, 1], [2, 2]], [1, 0]); // rows summed per sample, then weighted: 2·1 + 4·0
    expect(value(s)).toBe(18);
    expect(value(new metrics.Mean())).toBe(0); // no samples: 0, not NaN
  });

  it("values with more axes are averaged per sample; weights [B, 1] work", () => {
    const m = new metrics.Mean();
    m.updateState([[1, 3], [5, 7]], [[1], [3]]); // per-sample means 2 and 6, weights 1 and 3
    expectArray(m.result(), (2 + 18) / 4);
    m.resetState();
    m.updateState(5); // a scalar counts as one sample
    m.updateState([1]);
    expect(value(m)).toBe(3);
  });
});

describe("accuracy family (Keras docs)", () => {
  it("Accuracy, BinaryAccuracy", () => {
    const a = new metrics.Accuracy();
    a.updateState([[1], [2], [3], [4]], [[0], [2], [3], [4]]);
    expect(value(a)).toBe(0.75);
    a.resetState();
    a.updateState([[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0]);
    expect(value(a)).toBe(0.5);
    const b = new metrics.BinaryAccuracy();
    b.updateState([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]);
    expect(value(b)).toBe(0.75);
    b.resetState();
    b.updateState([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], [1, 0, 0, 1]);
    expect(value(b)).toBe(0.5);
    const b7 = new metrics.BinaryAccuracy({ threshold: 0.7 });
    b7.updateState([1, 1, 0, 0], [0.98, 0.65, 0, 0.6]); // strict >: 0.65 is a 0
    expect(value(b7)).toBe(0.75);
  });

  it("CategoricalAccuracy, SparseCategoricalAccuracy", () => {
    const yp = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]];
    const c = new metrics.CategoricalAccuracy();
    c.updateState([[0, 0, 1], [0, 1, 0]], yp);
    expect(value(c)).toBe(0.5);
    c.resetState();
    c.updateState([[0, 0, 1], [0, 1, 0]], yp, [0.7, 0.3]);
    expectArray(c.result(), 0.3);
    const s = new metrics.SparseCategoricalAccuracy();
    s.updateState([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]);
    expect(value(s)).toBe(0.5);
    s.resetState();
    s.updateState([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], [0.7, 0.3]);
    expectArray(s.result(), 0.3);
    // Per-sample values; ties pick the first maximum.
    expectArray(metrics.sparseCategoricalAccuracy([0, 1], [[0.5, 0.5], [0.5, 0.5]]), [1, 0]);
    expectArray(metrics.categoricalAccuracy([[[0, 1]], [[1, 0]]], [[[0.2, 0.8]], [[0.3, 0.7]]]), [[1], [0]]);
  });

  it("top-k (ties count for the label)", () => {
    const yp = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]];
    const t = new metrics.TopKCategoricalAccuracy({ k: 1 });
    t.updateState([[0, 0, 1], [0, 1, 0]], yp);
    expect(value(t)).toBe(0.5);
    t.resetState();
    t.updateState([[0, 0, 1], [0, 1, 0]], yp, [0.7, 0.3]);
    expectArray(t.result(), 0.3);
    const s = new metrics.SparseTopKCategoricalAccuracy({ k: 1 });
    s.updateState([2, 1], yp);
    expect(value(s)).toBe(0.5);
    expectArray(metrics.sparseTopKCategoricalAccuracy([2, 0, 1], [[0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.4, 0.4, 0.2]], { k: 1 }), [0, 1, 1]);
    expectArray(metrics.sparseTopKCategoricalAccuracy([2], [[0.5, 0.3, 0.2]], { k: 2 }), [0]);
    expectArray(metrics.topKCategoricalAccuracy([[0, 0, 1]], [[0.5, 0.3, 0.2]], { k: 3 }), [1]);
    expectArray(metrics.sparseTopKCategoricalAccuracy([1], [[NaN, 0.3, 0.2]], { k: 1 }), [1]); // NaN never outranks
    expect(new metrics.TopKCategoricalAccuracy().k).toBe(5);
  });

  it("MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError", () => {
    const yt = [[0, 1], [0, 0]];
    const yp = [[1, 1], [0, 0]];
    const check = (m: metrics.Metric, plain: number, weighted: number) => {
      m.updateState(yt, yp);
      expectArray(m.result(), plain);
      m.resetState();
      m.updateState(yt, yp, [1, 0]);
      expectArray(m.result(), weighted);
    };
    check(new metrics.MeanSquaredError(), 0.25, 0.5);
    check(new metrics.MeanAbsoluteError(), 0.25, 0.5);
    check(new metrics.RootMeanSquaredError(), 0.5, Math.SQRT1_2);
  });
});

/** Two batches with weights, for the accumulate and jit checks. */
const B1 = { t: [[0, 1, 0], [0, 0, 1]], s: [1, 2], p: [[0.2, 0.7, 0.1], [0.3, 0.5, 0.2]], w: [1, 0.5] };
const B2 = { t: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], s: [0, 1, 2], p: [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]], w: [2, 1, 0.25] };
const CASES: [string, () => metrics.Metric, "t" | "s"][] = [
  ["accuracy", () => new metrics.Accuracy(), "t"],
  ["binary accuracy", () => new metrics.BinaryAccuracy({ threshold: 0.25 }), "t"],
  ["categorical accuracy", () => new metrics.CategoricalAccuracy(), "t"],
  ["sparse categorical accuracy", () => new metrics.SparseCategoricalAccuracy(), "s"],
  ["top-2", () => new metrics.TopKCategoricalAccuracy({ k: 2 }), "t"],
  ["sparse top-2", () => new metrics.SparseTopKCategoricalAccuracy({ k: 2 }), "s"],
  ["mse", () => new metrics.MeanSquaredError(), "t"],
  ["mae", () => new metrics.MeanAbsoluteError(), "t"],
  ["rmse", () => new metrics.RootMeanSquaredError(), "t"],
  ["mse by name", () => metrics.get("mse"), "t"],
  ["loss as metric", () => metrics.get("categorical_crossentropy"), "t"],
  ["auto accuracy", () => metrics.get("accuracy"), "s"],
];

describe("the pure core", () => {
  it.each(CASES)("%s: jit(statelessUpdate) == eager, and two batches == one batch of both", (_, make, kind) => {
    const m = make();
    const update = jit((s: metrics.MetricState, t: Tracer, p: Tracer, w: Tracer) => m.statelessUpdate(s, t, p, w));
    const eager = m.statelessUpdate(m.statelessUpdate(m.initState(), B1[kind], B1.p, B1.w), B2[kind], B2.p, B2.w);
    const traced = update(update(m.initState(), np.array(B1[kind]), np.array(B1.p), np.array(B1.w)), np.array(B2[kind]), np.array(B2.p), np.array(B2.w));
    for (const k of Object.keys(eager)) expectArray(traced[k], Array.from(eager[k].dataSync()), { shape: eager[k].shape, rtol: 1e-6 });
    const both = make();
    both.updateState([...B1[kind], ...B2[kind]] as number[], [...B1.p, ...B2.p], [...B1.w, ...B2.w]);
    const two = make();
    two.updateState(B1[kind], B1.p, B1.w);
    two.updateState(B2[kind], B2.p, B2.w);
    expectArray(two.result(), both.result().item() as number, { rtol: 1e-6 });
    expectArray(jit((s: metrics.MetricState) => m.statelessResult(s))(traced), two.result().item() as number, { rtol: 1e-6 });
  });

  it("state can be read and replaced (the trainer writes back what its jitted step returned)", () => {
    const m = new metrics.Mean();
    const step = jit((s: metrics.MetricState, v: Tracer) => m.statelessUpdate(s, v));
    m.state = step(m.state, np.array([2, 4]));
    m.state = step(m.state, np.array([6]));
    expect(value(m)).toBe(4);
    m.resetState();
    expect(value(m)).toBe(0);
  });

  it("repeated updates keep memory flat", () => {
    const m = new metrics.SparseCategoricalAccuracy();
    const t = np.array([1, 2]);
    const p = np.array(B1.p);
    m.updateState(t, p);
    m.result().dispose();
    const before = memory();
    for (let i = 0; i < 20; i++) {
      m.updateState(t, p);
      m.result().dispose();
    }
    expect(memory()).toEqual(before);
    expectArray(m.result(), 0.5);
  });
});

describe("get, serialize and errors", () => {
  it("resolves accuracy by the loss, like Keras' compile", () => {
    const sparse = metrics.get("accuracy", { loss: new losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    expect(sparse).toBeInstanceOf(metrics.SparseCategoricalAccuracy);
    expect(sparse.name).toBe("accuracy");
    const cat = metrics.get("acc", { loss: "categorical_crossentropy" });
    expect(cat).toBeInstanceOf(metrics.CategoricalAccuracy);
    expect(cat.name).toBe("acc");
    expect(metrics.getMetric("accuracy", { loss: "binary_crossentropy" })).toBeInstanceOf(metrics.BinaryAccuracy);
    expect(metrics.get("Accuracy", { loss: "sparse_categorical_crossentropy" })).toBeInstanceOf(metrics.SparseCategoricalAccuracy);
    // Without a deciding loss, Keras 3's rule on the shapes of each batch.
    const auto = metrics.get("accuracy", { loss: "mse" });
    expectArray(auto.statelessResult(auto.statelessUpdate(auto.initState(), [[1], [0]], [[0.7], [0.6]])), 0.5); // binary
    expectArray(auto.statelessResult(auto.statelessUpdate(auto.initState(), [1, 0], [[0.3, 0.7], [0.6, 0.4]])), 1); // sparse
    expectArray(auto.statelessResult(auto.statelessUpdate(auto.initState(), [[0, 1], [0, 1]], [[0.3, 0.7], [0.6, 0.4]])), 0.5); // categorical
  });

  it("resolves names, aliases, instances and functions", () => {
    const mse = metrics.get("mse");
    expect(mse).toBeInstanceOf(metrics.MeanMetricWrapper);
    expect(mse.name).toBe("mse");
    expect(metrics.get("mean_absolute_error")).toBeInstanceOf(metrics.MeanAbsoluteError);
    expect(metrics.get("RootMeanSquaredError")).toBeInstanceOf(metrics.RootMeanSquaredError);
    expect(metrics.get("sparse_top_k_categorical_accuracy")).toBeInstanceOf(metrics.SparseTopKCategoricalAccuracy);
    expect(metrics.get("AUC").name).toBe("AUC");
    expect(metrics.get("precision").constructor.name).toBe("Precision");
    const m = new metrics.Mean({ name: "loss" });
    expect(metrics.get(m)).toBe(m);
    const f = metrics.get(function diff(t, p) { return np.mean(np.subtract(p, t), { axis: -1 }); });
    expect(f.name).toBe("diff");
    f.updateState([[1, 1]], [[2, 4]]);
    expect(value(f)).toBe(2);
  });

  it("serialize / deserialize round-trip through JSON", () => {
    for (const [, make] of CASES) {
      const m = make();
      const s = JSON.parse(JSON.stringify(metrics.serialize(m))) as metrics.SerializedMetric;
      const back = metrics.deserialize(s);
      expect(back.getConfig()).toEqual(m.getConfig());
      expect(back.constructor).toBe(m.constructor);
    }
    expect(metrics.serialize(new metrics.BinaryAccuracy({ threshold: 0.7 }))).toEqual({ className: "BinaryAccuracy", config: { name: "binary_accuracy", threshold: 0.7 } });
    expect(metrics.serialize(metrics.get("mse"))).toEqual({ className: "MeanMetricWrapper", config: { name: "mse", fn: "mean_squared_error" } });
  });

  it("unknown identifiers and bad configs are TypeErrors listing what is known", () => {
    expect(() => metrics.get("accurracy")).toThrow(TypeError);
    expect(() => metrics.get("accurracy")).toThrow(/metrics.get: unknown metric "accurracy"; known metrics: "accuracy", "acc", .*"AUC".*"mse"/);
    expect(() => metrics.deserialize({ className: "Function", config: {} })).toThrow(/unknown metric class "Function"/);
    expect(() => metrics.deserialize({ className: "MeanMetricWrapper", config: { fn: "eval" } })).toThrow(/config.fn naming one of/);
    expect(() => metrics.deserialize({ className: "BinaryAccuracy", config: { threshold: "0.5" } })).toThrow(/must be a number/);
    expect(() => metrics.deserialize({ className: "TopKCategoricalAccuracy", config: { code: "x" } })).toThrow(/unknown config key "code"/);
    expect(() => metrics.serialize(metrics.get((t, p) => np.asarray(p)))).toThrow(/custom function cannot be serialized/);
    expect(() => new metrics.TopKCategoricalAccuracy({ k: 0 })).toThrow(/k must be an integer >= 1/);
  });

  it("shape mismatches name the metric and both shapes", () => {
    expect(() => new metrics.CategoricalAccuracy().updateState([[0, 1, 0]], [[0.5, 0.5]])).toThrow(ShapeError);
    expect(() => new metrics.CategoricalAccuracy().updateState([[0, 1, 0]], [[0.5, 0.5]])).toThrow(/metrics.categoricalAccuracy: yTrue and yPred must have the same shape .* yTrue \[1, 3\] and yPred \[1, 2\]/);
    expect(() => new metrics.SparseCategoricalAccuracy().updateState([[0, 1]], [[0.5, 0.5]])).toThrow(/one integer label per sample/);
    expect(() => new metrics.MeanSquaredError().updateState([1, 2, 3], [1, 2])).toThrow(/losses.meanSquaredError: yTrue and yPred must have the same shape/);
    expect(() => new metrics.Mean().updateState([1, 2], [1, 2, 3])).toThrow(/sampleWeight of shape \[3\] does not broadcast/);
    const acc = new metrics.SparseCategoricalAccuracy();
    expect(() => jit((s: metrics.MetricState, p: Tracer) => acc.statelessUpdate(s, [1, 0, 1], p))(acc.initState(), np.zeros([2, 3]))).toThrow(/received yTrue \[3\] and yPred \[2, 3\]/);
  });
});
