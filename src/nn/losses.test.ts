/**
 * @file Keras losses: values from the Keras docstrings and by hand, reductions and sample
 * weights, jit == eager, gradients against finite differences, registry and errors.
 */
import { describe, expect, it } from "vitest";
import { np, grad, jit, ShapeError, type Tracer } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";
import * as losses from "./losses.js";

const f64 = (x: number[][] | number[]) => np.array(x, { dtype: "float64" });
const T22 = [[0, 1], [0, 0]];
const P46 = [[0.6, 0.4], [0.4, 0.6]];

describe("loss values (Keras docstrings and hand arithmetic)", () => {
  it("regression losses", () => {
    // MSE: rows (1² + 0²)/2 = 0.5 and (1² + 0²)/2 = 0.5.
    const mse = new losses.MeanSquaredError();
    expectArray(losses.meanSquaredError(T22, [[1, 1], [1, 0]]), [0.5, 0.5]);
    expectArray(mse.compute(T22, [[1, 1], [1, 0]]), 0.5);
    expectArray(mse.compute(T22, [[1, 1], [1, 0]], [0.7, 0.3]), 0.25); // (0.35 + 0.15) / 2
    expectArray(new losses.MeanAbsoluteError().compute(T22, [[1, 1], [1, 0]]), 0.5);
    // MAPE: rows 100·(1/2 + 0)/2 = 25 and 100·(1/2 + 3/3)/2 = 75.
    expectArray(losses.meanAbsolutePercentageError([[2, 1], [2, 3]], [[1, 1], [1, 0]]), [25, 75]);
    expectArray(new losses.MeanAbsolutePercentageError().compute([[2, 1], [2, 3]], [[1, 1], [1, 0]]), 50, { rtol: 1e-6 });
    // MSLE: (log 2 − log(1 + ε))² / 2 per row (the zeros are clipped to ε).
    const a = Math.log(2) - Math.log1p(1e-7);
    expectArray(losses.meanSquaredLogarithmicError(T22, [[1, 1], [1, 0]]), [a * a / 2, a * a / 2], { rtol: 1e-5 });
    expectArray(new losses.MeanSquaredLogarithmicError().compute(T22, [[1, 1], [1, 0]]), 0.240, { atol: 1e-3 });
    // Huber δ=1: errors 0.6, 0.6, 0.4, 0.6 all quadratic: rows (0.18 + 0.18)/2, (0.08 + 0.18)/2.
    expectArray(losses.huber(T22, P46), [0.18, 0.13]);
    expectArray(new losses.Huber().compute(T22, P46), 0.155);
    expectArray(new losses.Huber().compute(T22, P46, [1, 0]), 0.09);
    // δ = 0.5: |e| = 0.6 is linear: 0.5·0.6 − 0.125 = 0.175.
    expectArray(losses.huber([[0]], [[0.6]], { delta: 0.5 }), [0.175]);
    // log cosh: row 0 (log cosh 1 + 0)/2.
    expectArray(new losses.LogCosh().compute(T22, [[1, 1], [0, 0]]), Math.log(Math.cosh(1)) / 4, { rtol: 1e-6 });
    expectArray(losses.logCosh([[0, 0]], [[30, -30]]), [30 - Math.LN2], { rtol: 1e-6 }); // no overflow
  });

  it("probabilistic losses", () => {
    // KL: row 0 = 1·log(1/0.4) + ε·log(ε/0.6); row 1 = ε·log(ε/0.4) + ε·log(ε/0.6).
    const e = 1e-7;
    const kl = [Math.log(2.5) + e * Math.log(e / 0.6), e * Math.log(e / 0.4) + e * Math.log(e / 0.6)];
    expectArray(losses.klDivergence(T22, P46), kl, { rtol: 1e-5 });
    expectArray(new losses.KLDivergence().compute(T22, P46, [0.8, 0.2]), (0.8 * kl[0] + 0.2 * kl[1]) / 2, { rtol: 1e-5 }); // docs: 0.366
    // Poisson: row 0 = ((1 − 0) + (1 − log(1 + ε)))/2, row 1 = 0.
    expectArray(new losses.Poisson().compute(T22, [[1, 1], [0, 0]]), 0.5, { rtol: 1e-6 });
    // Cosine: rows −0 and −1.
    expectArray(losses.cosineSimilarity([[0, 1], [1, 1]], [[1, 0], [1, 1]]), [0, -1]);
    expectArray(new losses.CosineSimilarity().compute([[0, 1], [1, 1]], [[1, 0], [1, 1]]), -0.5);
    expectArray(losses.cosineSimilarity([[0, 0]], [[1, 2]]), [0]); // a zero vector has no direction
    // Columns: −(1·2 − 3·3)/(√10·√13) and −(2·4 − 4·4)/(√20·√32).
    expectArray(losses.cosineSimilarity([[1, 2], [3, 4]], [[2, 4], [-3, -4]], { axis: 0 }), [7 / Math.sqrt(130), 8 / Math.sqrt(640)], { rtol: 1e-6 });
  });

  it("hinge losses (0/1 labels become −1/1)", () => {
    // rows: (max(1 + 0.6, 0) + max(1 − 0.4, 0))/2 = 1.1, (1.4 + 1.6)/2 = 1.5.
    expectArray(losses.hinge(T22, P46), [1.1, 1.5]);
    expectArray(new losses.Hinge().compute(T22, P46), 1.3);
    expectArray(new losses.Hinge().compute(T22, P46, [1, 0]), 0.55);
    // Labels not all 0/1 are used as they are: max(1 − 2·0.3, 0) = 0.4.
    expectArray(losses.hinge([[2]], [[0.3]]), [0.4]);
    expectArray(new losses.SquaredHinge().compute(T22, P46), 1.86); // (2.56 + 0.36)/2, (1.96 + 2.56)/2
    expectArray(new losses.SquaredHinge().compute(T22, P46, [1, 0]), 0.73);
    // categorical: row 0 max(0.6 − 0.4 + 1, 0) = 1.2; row 1 max(0.6 − 0 + 1, 0) = 1.6.
    expectArray(losses.categoricalHinge(T22, P46), [1.2, 1.6]);
    expectArray(new losses.CategoricalHinge().compute(T22, P46, [1, 0]), 0.6);
  });

  it("binary cross-entropy from probabilities and logits (Keras docs)", () => {
    // rows (−log 0.4 − log 0.4)/2 and (−log 0.6 − log 0.4)/2.
    const rows = [-Math.log(0.4), -(Math.log(0.6) + Math.log(0.4)) / 2];
    expectArray(losses.binaryCrossentropy(T22, P46), rows, { rtol: 1e-6 });
    expectArray(new losses.BinaryCrossentropy().compute(T22, P46, [1, 0]), rows[0] / 2, { rtol: 1e-6 }); // docs: 0.458
    const bce = new losses.BinaryCrossentropy({ fromLogits: true });
    const yp = [[-18.6, 0.51], [2.94, -12.8]];
    expectArray(bce.compute([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]), 0.8654, { atol: 1e-4 }); // scalar per-sample loss: kept
    expectArray(bce.compute(T22, yp), 0.8654, { atol: 1e-4 });
    expectArray(bce.compute(T22, yp, [0.8, 0.2]), 0.243, { atol: 1e-3 });
    expectArray(new losses.BinaryCrossentropy({ fromLogits: true, reduction: "sum" }).compute(T22, yp), 1.730, { atol: 1e-3 });
    expectArray(new losses.BinaryCrossentropy({ fromLogits: true, reduction: null }).compute(T22, yp), [0.235, 1.496], { atol: 1e-3 });
    // Clipping: p = 0 with label 1 costs −log ε.
    expectArray(losses.binaryCrossentropy([[1]], [[0]]), [-Math.log(1e-7)], { rtol: 1e-4 });
    // Smoothing 0.2: label 1 → 0.9, label 0 → 0.1.
    const sm = -(0.9 * Math.log(0.8) + 0.1 * Math.log(0.2));
    expectArray(losses.binaryCrossentropy([[1]], [[0.8]], { labelSmoothing: 0.2 }), [sm], { rtol: 1e-6 });
    // Labels [B] against predictions [B, 1] are expanded by the class.
    expectArray(new losses.BinaryCrossentropy().compute([1, 0], [[0.8], [0.4]]), -(Math.log(0.8) + Math.log(0.6)) / 2, { rtol: 1e-6 });
  });

  it("binary focal cross-entropy (Keras docs: 0.691, balanced 0.51)", () => {
    const yt = [0, 1, 0, 0];
    const yp = [-18.6, 0.51, 2.94, -12.8];
    expectArray(new losses.BinaryFocalCrossentropy({ gamma: 2, fromLogits: true }).compute(yt, yp), 0.691, { atol: 1e-3 });
    expectArray(new losses.BinaryFocalCrossentropy({ gamma: 2, fromLogits: true, applyClassBalancing: true }).compute(yt, yp), 0.51, { atol: 1e-3 });
    // p = 0.5, label 1: (1 − 0.5)² · log 2.
    expectArray(losses.binaryFocalCrossentropy([[1]], [[0.5]]), [0.25 * Math.LN2], { rtol: 1e-6 });
  });

  it("categorical and sparse categorical cross-entropy (Keras docs: 1.177, 0.814, 2.354)", () => {
    const yp = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]];
    const rows = [-Math.log(0.95), -Math.log(0.1)];
    expectArray(losses.categoricalCrossentropy([[0, 1, 0], [0, 0, 1]], yp), rows, { rtol: 1e-6 });
    expectArray(new losses.CategoricalCrossentropy().compute([[0, 1, 0], [0, 0, 1]], yp), (rows[0] + rows[1]) / 2, { rtol: 1e-6 });
    expectArray(new losses.CategoricalCrossentropy().compute([[0, 1, 0], [0, 0, 1]], yp, [0.3, 0.7]), (0.3 * rows[0] + 0.7 * rows[1]) / 2, { rtol: 1e-6 });
    expectArray(new losses.CategoricalCrossentropy({ reduction: "sum" }).compute([[0, 1, 0], [0, 0, 1]], yp), 2.354, { atol: 1e-3 });
    for (const labels of [[1, 2], [[1], [2]]]) {
      expectArray(losses.sparseCategoricalCrossentropy(labels, yp), rows, { rtol: 1e-6 });
    }
    // Unnormalized probabilities are normalized first: [1, 3] → [0.25, 0.75].
    expectArray(losses.categoricalCrossentropy([[0, 1]], [[1, 3]]), [-Math.log(0.75)], { rtol: 1e-6 });
    // From logits [1, 3], label 1: log(1 + e^−2); smoothing 0.1 over 2 classes: labels [0.05, 0.95].
    const l = Math.log1p(Math.exp(-2));
    expectArray(losses.categoricalCrossentropy([[0, 1]], [[1, 3]], { fromLogits: true }), [l], { rtol: 1e-6 });
    expectArray(new losses.CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }).compute([[0, 1]], [[1, 3]]), 0.05 * (2 + l) + 0.95 * l, { rtol: 1e-6 });
    expectArray(new losses.SparseCategoricalCrossentropy({ fromLogits: true }).compute([1], [[0, 0]]), Math.LN2, { rtol: 1e-6 });
    // Class axis first.
    expectArray(losses.categoricalCrossentropy([[0], [1]], [[1], [3]], { fromLogits: true, axis: 0 }), [l], { rtol: 1e-6 });
  });

  it("ignoreClass: ignored samples give 0 and leave the mean", () => {
    const scce = new losses.SparseCategoricalCrossentropy({ ignoreClass: 2 });
    const yp = [[0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.25, 0.25]];
    expectArray(losses.sparseCategoricalCrossentropy([1, 2, 0], yp, { ignoreClass: 2 }), [-Math.log(0.8), 0, -Math.log(0.5)], { rtol: 1e-6 });
    // (−log 0.8 − log 0.5) / 2 valid samples (not 3).
    expectArray(scce.compute([1, 2, 0], yp), -(Math.log(0.8) + Math.log(0.5)) / 2, { rtol: 1e-5 });
    expectArray(new losses.SparseCategoricalCrossentropy({ ignoreClass: 2, reduction: "sum" }).compute([1, 2, 0], yp), -(Math.log(0.8) + Math.log(0.5)), { rtol: 1e-6 });
    const g = grad((p: Tracer) => scce.compute(np.array([1, 2, 0]), p))(f64(yp)) as Tracer;
    // Row 0: d/dp of −log(p₁/Σp)/2 = (−1/p₁ + 1/Σp)/2 at p₁, 1/(2Σp) elsewhere; ignored row: 0.
    expectArray(g, [[0.5, -0.125, 0.5], [0, 0, 0], [-0.5, 0.5, 0.5]], { rtol: 1e-5 });
  });
});

describe("reductions and sample weights", () => {
  // MAE rows: (1 + 0)/2 = 0.5 and (1 + 1)/2 = 1; weights 1 and 3.
  const yt = T22;
  const yp = [[1, 1], [1, 1]];
  it("every reduction", () => {
    const at = (reduction: losses.Reduction | null) => new losses.MeanAbsoluteError({ reduction }).compute(yt, yp, [1, 3]);
    expectArray(at("sum_over_batch_size"), 1.75); // (0.5 + 3) / 2
    expectArray(at("mean"), 1.75);
    expectArray(at("sum"), 3.5);
    expectArray(at("mean_with_sample_weight"), 0.875); // 3.5 / (1 + 3)
    expectArray(at("none"), [0.5, 3]);
    expectArray(at(null), [0.5, 3]);
    expectArray(new losses.MeanAbsoluteError().compute(yt, yp), 0.75);
  });

  it("weights of shape [B, 1], scalars, and per-sample weights of sequence losses", () => {
    expectArray(new losses.MeanAbsoluteError().compute(yt, yp, [[1], [3]]), 1.75);
    expectArray(new losses.MeanAbsoluteError().compute(yt, yp, 2), 1.5);
    // Sequence labels [B=2, T=2] against logits [2, 2, 2]: losses [2, 2], one weight per sequence.
    const s = new losses.SparseCategoricalCrossentropy({ fromLogits: true });
    const logits = [[[0, 0], [0, 0]], [[0, 0], [0, 0]]];
    expectArray(s.compute([[0, 1], [1, 1]], logits, [1, 0]), (2 * Math.LN2) / 4, { rtol: 1e-6 });
    // An empty batch: Keras returns the empty per-sample losses as they are.
    expect(new losses.MeanAbsoluteError().compute(np.zeros([0, 2]), np.zeros([0, 2])).shape).toEqual([0]);
  });

  it("mismatched weights fail with the shapes", () => {
    expect(() => new losses.MeanAbsoluteError().compute(yt, yp, [1, 2, 3])).toThrow(ShapeError);
    expect(() => new losses.MeanAbsoluteError().compute(yt, yp, [1, 2, 3])).toThrow(/sampleWeight of shape \[3\] does not fit the per-sample losses of shape \[2\]/);
  });
});

/** Every loss on inputs away from kinks: [loss, yTrue, yPred]. */
const PT = [[0.2, 0.7, 0.1], [0.5, 0.3, 0.2]];
const PP = [[0.3, 0.5, 0.2], [0.1, 0.6, 0.3]];
const LOGITS = [[1.5, -0.3, 0.2], [-2, 0.7, 3.1]];
const BIN = [[0, 1, 1], [1, 0, 0]];
const HOT = [[0, 1, 0], [1, 0, 0]];
const CASES: [string, losses.Loss, unknown, number[][]][] = [
  ["mse", new losses.MeanSquaredError(), PT, PP],
  ["mae", new losses.MeanAbsoluteError(), PT, PP],
  ["mape", new losses.MeanAbsolutePercentageError(), PT, PP],
  ["msle", new losses.MeanSquaredLogarithmicError(), PT, PP],
  ["huber", new losses.Huber({ delta: 0.15 }), PT, PP],
  ["logcosh", new losses.LogCosh(), PT, LOGITS],
  ["kld", new losses.KLDivergence(), PT, PP],
  ["poisson", new losses.Poisson(), PT, PP],
  ["cosine", new losses.CosineSimilarity(), PT, LOGITS],
  ["hinge", new losses.Hinge(), [[1, -1, 1], [-1, 1, -1]], [[0.3, 0.5, -0.2], [0.1, -0.6, 1.7]]],
  ["squared hinge", new losses.SquaredHinge(), BIN, [[0.3, 0.5, -0.2], [0.1, -0.6, 1.7]]],
  ["categorical hinge", new losses.CategoricalHinge(), HOT, PP],
  ["bce", new losses.BinaryCrossentropy({ labelSmoothing: 0.1 }), BIN, PP],
  ["bce logits", new losses.BinaryCrossentropy({ fromLogits: true }), BIN, LOGITS],
  ["focal", new losses.BinaryFocalCrossentropy({ applyClassBalancing: true }), BIN, PP],
  ["focal logits", new losses.BinaryFocalCrossentropy({ fromLogits: true, gamma: 1.5 }), BIN, LOGITS],
  ["cce", new losses.CategoricalCrossentropy(), PT, PP],
  ["cce logits", new losses.CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.2 }), HOT, LOGITS],
  ["scce", new losses.SparseCategoricalCrossentropy(), [1, 2], PP],
  ["scce logits", new losses.SparseCategoricalCrossentropy({ fromLogits: true }), [[1], [0]], LOGITS],
];

describe("every loss traces and differentiates", () => {
  it.each(CASES)("%s: jit == eager, with and without weights", (_, loss, yt, yp) => {
    const eager = loss.compute(yt as number[], yp, [0.25, 2]);
    const f = jit((t: Tracer, p: Tracer, w: Tracer) => loss.compute(t, p, w));
    expectArray(f(np.array(yt as number[]), np.array(yp), np.array([0.25, 2])), eager.dataSync()[0], { rtol: 1e-6, shape: [] });
    const none = Object.assign(Object.create(Object.getPrototypeOf(loss) as object), loss, { reduction: "none" }) as losses.Loss;
    expectArray(jit((t: Tracer, p: Tracer) => none.compute(t, p))(np.array(yt as number[]), np.array(yp)), Array.from(loss.call(yt as number[], yp).dataSync()), { rtol: 1e-6 });
  });

  it.each(CASES)("%s: grad is finite and matches central differences", (_, loss, yt, yp) => {
    const t = np.array(yt as number[], { dtype: "float64" });
    const f = (p: Tracer) => loss.compute(t, p, f64([0.5, 1.5]));
    const g = Array.from((grad(f)(f64(yp)) as Tracer).dataSync());
    const flat = yp.flat();
    const h = 1e-6;
    const fd = flat.map((_v, i) => {
      const at = (d: number) => {
        const q = flat.slice();
        q[i] += d;
        return f(np.array(q, { dtype: "float64" }).reshape([2, 3])).item() as number;
      };
      return (at(h) - at(-h)) / (2 * h);
    });
    expect(g.every(Number.isFinite)).toBe(true);
    expectArray(np.array(g, { dtype: "float64" }), fd, { rtol: 1e-5, atol: 1e-7 });
  });

  it("logit paths stay finite and exact for huge logits", () => {
    // d/dx mean(bce) = (sigmoid(x) − t) / N.
    const gb = grad((x: Tracer) => new losses.BinaryCrossentropy({ fromLogits: true }).compute(f64([[1, 0]]), x))(f64([[-1e4, -1e4]])) as Tracer;
    expectArray(gb, [[-0.5, 0]], { atol: 1e-12 });
    // d/dx cce = softmax(x) − t.
    const gc = grad((x: Tracer) => new losses.CategoricalCrossentropy({ fromLogits: true }).compute(f64([[1, 0]]), x))(f64([[-1000, 1000]])) as Tracer;
    expectArray(gc, [[-1, 1]], { atol: 1e-12 });
    const gs = grad((x: Tracer) => new losses.SparseCategoricalCrossentropy({ fromLogits: true }).compute([0], x))(np.array([[-1e30, 1e30]])) as Tracer;
    expectArray(gs, [[-1, 1]], { atol: 1e-6 });
    expectArray(new losses.SparseCategoricalCrossentropy({ fromLogits: true }).compute([0], [[-1e30, 1e30]]), 2e30, { rtol: 1e-6 });
  });
});

describe("registry, config and errors", () => {
  it("get resolves class names, snake_case names and aliases", () => {
    expect(losses.get("mse")).toBeInstanceOf(losses.MeanSquaredError);
    expect(losses.get("MAE")).toBeInstanceOf(losses.MeanAbsoluteError);
    expect(losses.get("sparse_categorical_crossentropy")).toBeInstanceOf(losses.SparseCategoricalCrossentropy);
    expect(losses.get("CategoricalCrossentropy")).toBeInstanceOf(losses.CategoricalCrossentropy);
    expect(losses.get("huber").name).toBe("huber_loss");
    expect(losses.get("kld")).toBeInstanceOf(losses.KLDivergence);
    const l = new losses.Hinge({ name: "h" });
    expect(losses.get(l)).toBe(l);
    const custom = losses.get(function l1(t, p) { return losses.meanAbsoluteError(t, p); });
    expect(custom.name).toBe("l1");
    expectArray(custom.compute([[0, 2]], [[1, 1]]), 1);
    expect(losses.getLoss).toBe(losses.get);
  });

  it("default names follow Keras", () => {
    const names = CASES.map(([, l]) => l.name);
    expect(names).toEqual([
      "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "huber_loss",
      "log_cosh", "kl_divergence", "poisson", "cosine_similarity", "hinge", "squared_hinge", "categorical_hinge", "binary_crossentropy",
      "binary_crossentropy", "binary_focal_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy", "categorical_crossentropy",
      "sparse_categorical_crossentropy", "sparse_categorical_crossentropy",
    ]);
  });

  it("serialize / deserialize round-trip through JSON", () => {
    for (const [, loss] of CASES) {
      const s = JSON.parse(JSON.stringify(losses.serialize(loss))) as losses.SerializedLoss;
      const back = losses.deserialize(s);
      expect(back.constructor).toBe(loss.constructor);
      expect(back.getConfig()).toEqual(loss.getConfig());
    }
    expect(losses.serialize(new losses.Huber({ delta: 2, name: "hub", reduction: "sum" }))).toEqual({
      className: "Huber", config: { name: "hub", reduction: "sum", delta: 2 },
    });
    expect(losses.deserialize({ className: "SparseCategoricalCrossentropy", config: { ignoreClass: 3 } }).getConfig().ignoreClass).toBe(3);
    expect(losses.deserialize("bce")).toBeInstanceOf(losses.BinaryCrossentropy);
  });

  it("unknown identifiers, bad configs and options are TypeErrors / RangeErrors naming what is known", () => {
    expect(() => losses.get("msq")).toThrow(TypeError);
    expect(() => losses.get("msq")).toThrow(/losses.get: unknown loss "msq"; known losses: .*"MeanSquaredError".*"mse"/);
    expect(() => losses.get("constructor")).toThrow(/unknown loss/);
    expect(() => losses.deserialize({ className: "Evil", config: {} })).toThrow(/unknown loss "Evil"/);
    expect(() => losses.deserialize({ className: "Huber", config: { delta: "x" } })).toThrow(/config key "delta" of Huber must be a number/);
    expect(() => losses.deserialize({ className: "Huber", config: { fn: "alert(1)" } })).toThrow(/unknown config key "fn" for Huber/);
    expect(() => losses.serialize(losses.get((t, p) => losses.hinge(t, p)))).toThrow(/only the built-in losses can be serialized/);
    expect(() => new losses.MeanSquaredError({ reduction: "avg" as losses.Reduction })).toThrow(/reduction must be one of "sum_over_batch_size"/);
    expect(() => losses.deserialize({ className: "SparseCategoricalCrossentropy", config: { ignoreClass: "x" } })).toThrow(/ignoreClass must be an integer or null/);
    expect(() => new losses.BinaryCrossentropy({ labelSmoothing: 2 })).toThrow(/labelSmoothing must be in \[0, 1\]/);
  });

  it("shape mismatches name the loss and both shapes", () => {
    expect(() => losses.meanSquaredError([[1, 2, 3]], [[1, 2]])).toThrow(ShapeError);
    expect(() => new losses.MeanSquaredError().compute([[1, 2, 3]], [[1, 2]])).toThrow(/losses.meanSquaredError: yTrue and yPred must have the same shape .* received yTrue \[1, 3\] and yPred \[1, 2\]/);
    expect(() => losses.categoricalCrossentropy([1, 0], [[0.5, 0.5], [0.5, 0.5]])).toThrow(/sparse categorical/);
    expect(() => losses.sparseCategoricalCrossentropy([[1, 0]], [[0.5, 0.5], [0.5, 0.5]])).toThrow(/one integer label per sample.*\(\[2\] or \[2, 1\]\); received yTrue \[1, 2\]/);
    expect(() => losses.meanSquaredError(1, 2)).toThrow(/rank >= 1/);
    expect(() => jit((p: Tracer) => losses.hinge([[1, 0]], p))(np.zeros([3]))).toThrow(/losses.hinge: yTrue and yPred must have the same shape/);
  });
});
