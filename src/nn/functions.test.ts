/**
 * @file softmax / logSoftmax (exact values, rows sum to 1, stability, gradients), oneHot,
 * standardize and the initializers namespace.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { np, grad, jit, random, type Tracer } from "../index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";
import * as nn from "./index.js";

const softmaxJs = (row: number[]) => {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

describe("softmax and logSoftmax", () => {
  it("exact values on small inputs", () => {
    expectArray(nn.softmax(np.array([1, 1, 1, 1])), [0.25, 0.25, 0.25, 0.25], { rtol: 0, atol: 0 });
    expectArray(nn.softmax(np.array([0, Math.log(3)])), [0.25, 0.75]);
    const rows = [[1, 2, 3], [-1, 0, 5]];
    expectArray(nn.softmax(np.array(rows, { dtype: "float64" })), rows.map(softmaxJs), { rtol: 1e-14 });
    expectArray(nn.logSoftmax(np.array(rows, { dtype: "float64" })), rows.map((r) => softmaxJs(r).map(Math.log)), { rtol: 1e-14 });
    expectArray(nn.logSoftmax(np.array([0, 0])), [-Math.LN2, -Math.LN2]);
  });

  it("over another axis, several axes, and a scalar", () => {
    const x = np.array([[1, 2], [3, 4]], { dtype: "float64" });
    expectArray(nn.softmax(x, { axis: 0 }), [[softmaxJs([1, 3])[0], softmaxJs([2, 4])[0]], [softmaxJs([1, 3])[1], softmaxJs([2, 4])[1]]], { rtol: 1e-14 });
    expectArray(nn.softmax(x, { axis: [0, 1] }), [softmaxJs([1, 2, 3, 4]).slice(0, 2), softmaxJs([1, 2, 3, 4]).slice(2)], { rtol: 1e-14 });
    expect(() => nn.softmax(3)).toThrow(/rank 0/);
    expect(() => nn.softmax(x, { axis: 2 })).toThrow(/nn.softmax: axis 2 is out of range for an array of rank 2/);
  });

  it("stable for large logits (no overflow to NaN / Infinity)", () => {
    expectArray(nn.softmax(np.array([[0, 1000], [1e30, 1e30], [-1e30, 0]])), [[0, 1], [0.5, 0.5], [0, 1]]);
    expectArray(nn.logSoftmax(np.array([1000, 0])), [0, -1000]);
    expectArray(nn.softmax(np.array([-Infinity, 0])), [0, 1]);
  });

  it("rows sum to 1 and logSoftmax = log(softmax) (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.float({ min: -80, max: 80, noNaN: true }), { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 4 }), (rows) => {
        const x = np.array(rows);
        const p = nn.softmax(x);
        expectArray(np.sum(p, { axis: -1 }), rows.map(() => 1), { rtol: 1e-5 });
        const want = rows.map(softmaxJs);
        expectArray(p, want, { atol: 1e-6, rtol: 1e-4 });
        expectArray(nn.logSoftmax(x), want.map((r) => r.map(Math.log)), { atol: 1e-4, rtol: 1e-5 });
      }),
      { numRuns: propertyRuns(30) },
    );
  });

  it("gradients: softmax' is diag(p) − p pᵀ; the stopped max changes nothing", () => {
    const x = np.array([0.5, -1, 2], { dtype: "float64" });
    const p = softmaxJs([0.5, -1, 2]);
    // d/dx of p[0]: p0 (δ0j − pj).
    const g0 = grad((v: Tracer) => np.sum(nn.softmax(v).mul(np.array([1, 0, 0], { dtype: "float64" }))))(x) as Tracer;
    expectArray(g0, p.map((pj, j) => p[0] * ((j === 0 ? 1 : 0) - pj)), { rtol: 1e-12, atol: 1e-15 });
    // Σ logSoftmax(x)·y with Σ y = 1 has gradient y − p (the cross-entropy gradient).
    const y = [0, 1, 0];
    const g1 = grad((v: Tracer) => np.sum(nn.logSoftmax(v).mul(np.array(y, { dtype: "float64" }))))(x) as Tracer;
    expectArray(g1, y.map((yi, j) => yi - p[j]), { rtol: 1e-12, atol: 1e-15 });
    const g2 = grad((v: Tracer) => np.sum(nn.logSoftmax(v).mul(np.array([1, 0]))))(np.array([1000, 0])) as Tracer;
    expectArray(g2, [0, 0], { atol: 1e-6 });
  });

  it("traces under jit", () => {
    const f = jit((v: Tracer) => nn.logSoftmax(v, { axis: 0 }));
    expectArray(f(np.array([0, 0])), [-Math.LN2, -Math.LN2]);
  });
});

describe("oneHot", () => {
  it("encodes labels on a new last axis; out-of-range labels give zero rows", () => {
    expectArray(nn.oneHot(np.array([0, 2, 1], { dtype: "int32" }), 3), [[1, 0, 0], [0, 0, 1], [0, 1, 0]], { dtype: "float32" });
    expectArray(nn.oneHot(np.array([3, -1], { dtype: "int32" }), 3), [[0, 0, 0], [0, 0, 0]]);
    expectArray(nn.oneHot([1, 0], 2, { dtype: "int32" }), [[0, 1], [1, 0]], { dtype: "int32" });
  });

  it("puts the class axis where asked", () => {
    const lab = np.array([[0, 1], [1, 1]], { dtype: "int32" });
    expect(nn.oneHot(lab, 2).shape).toEqual([2, 2, 2]);
    expectArray(nn.oneHot(np.array([0, 1, 1], { dtype: "int32" }), 2, { axis: 0 }), [[1, 0, 0], [0, 1, 1]]);
    expect(() => nn.oneHot(lab, 2, { axis: 3 })).toThrow(/nn.oneHot: axis 3 is out of range for the rank-3 result/);
    expect(() => nn.oneHot(lab, 2.5)).toThrow(/numClasses must be an integer >= 0/);
  });
});

describe("standardize", () => {
  it("zero mean and unit variance over the axis", () => {
    expectArray(nn.standardize(np.array([1, 3], { dtype: "float64" })), [-1 / Math.sqrt(1 + 1e-5), 1 / Math.sqrt(1 + 1e-5)], { rtol: 1e-12 });
    const x = np.array([[1, 2, 3, 4], [10, 10, 10, 50]]);
    const s = nn.standardize(x, { epsilon: 0 });
    expectArray(np.mean(s, { axis: -1 }), [0, 0], { atol: 1e-6 });
    expectArray(np.mean(np.square(s), { axis: -1 }), [1, 1], { rtol: 1e-5 });
    expectArray(nn.standardize(np.array([2, 4]), { mean: 3, variance: 4, epsilon: 0 }), [-0.5, 0.5]);
  });
});

describe("initializers", () => {
  it("re-exports the random initializers and adds constants", () => {
    const k = random.key(0);
    expectArray(nn.initializers.glorotUniform(k, [4, 4]), Array.from(random.glorotUniform(k, [4, 4]).dataSync()), { shape: [4, 4], rtol: 0, atol: 0 });
    expect(nn.initializers.heNormal).toBe(random.heNormal);
    expectArray(nn.initializers.zeros(k, [2]), [0, 0]);
    expectArray(nn.initializers.ones(k, [2], "int32"), [1, 1], { dtype: "int32" });
    expectArray(nn.initializers.constant(0.5)(k, [1, 2]), [[0.5, 0.5]]);
    const w = nn.initializers.normal(0.02)(k, [2000]);
    expect(Math.abs((np.std(w).item() as number) - 0.02)).toBeLessThan(0.002);
    const u = nn.initializers.uniform(0.1)(k, [2000]).dataSync();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(0.1);
  });
});
