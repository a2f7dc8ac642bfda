import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TracerError, makeJaxpr, np } from "../index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";

const i32 = (v: number[] | number[][]) => np.array(v, { dtype: "int32" });
const list = (x: np.Array) => Array.from(x.dataSync(), Number);

describe("NaN-ignoring reductions", () => {
  it("sum, prod, mean, var, std", () => {
    expectArray(np.nansum(np.array([1, NaN, 2])), 3);
    expectArray(np.nansum(np.array([[1, NaN], [3, 4]]), { axis: 0, keepdims: true }), [[4, 4]]);
    expectArray(np.nanprod(np.array([2, NaN, 3])), 6);
    expectArray(np.nanmean(np.array([[1, NaN], [3, 4]]), { axis: 1 }), [1, 3.5]);
    expectArray(np.nanmean(np.array([NaN, NaN])), NaN);
    expectArray(np.nanvar(np.array([[1, NaN], [3, 4]]), { axis: 0 }), [1, 0]);
    expectArray(np.nanvar(np.array([1, NaN, 3]), { ddof: 2 }), NaN);
    expectArray(np.nanstd(np.array([1, NaN, 3, 4])), 1.2472191);
    expectArray(np.nansum(i32([1, 2])), 3, { dtype: "int32" });
  });
  it("max, min, argmax, argmin", () => {
    expectArray(np.nanmax(np.array([1, NaN, 3])), 3);
    expectArray(np.nanmin(np.array([[1, NaN], [NaN, NaN]]), { axis: 1 }), [1, NaN]);
    expectArray(np.nanargmax(np.array([1, NaN, 3])), 2, { dtype: "int32" });
    expectArray(np.nanargmin(np.array([[NaN, 2, 1], [NaN, NaN, NaN]]), { axis: 1 }), [2, -1]);
    expectArray(np.nanmax(i32([4, 9])), 9);
  });
  it("ptp and countNonzero", () => {
    expectArray(np.ptp(np.array([[4, 9], [2, 6]]), { axis: 1 }), [5, 4]);
    expectArray(np.ptp(np.array([[4, 9], [2, 6]])), 7);
    expectArray(np.countNonzero(np.array([[0, 1], [2, 0]]), { axis: 0 }), [1, 1], { dtype: "int32" });
    expectArray(np.countNonzero(np.array([[0, 1, 7, 0], [3, 0, 2, 19]])), 5);
  });
});

describe("average, cov, corrcoef (NumPy doc values)", () => {
  it("average with weights, axis and returned", () => {
    expectArray(np.average(np.array([1, 2, 3, 4]), { weights: [4, 3, 2, 1] }), 2);
    expectArray(np.average(np.arange(6).reshape([3, 2]), { axis: 1, weights: [0.25, 0.75] }), [0.75, 2.75, 4.75]);
    const [avg, scl] = np.average(np.arange(6).reshape([3, 2]), { axis: 0, weights: [[1, 2], [3, 4], [5, 6]], returned: true });
    expectArray(avg, [2.8888889, 3.6666667]);
    expectArray(scl, [9, 12]);
    const [m, n] = np.average(np.arange(6).reshape([3, 2]), { axis: 1, returned: true });
    expectArray(m, [0.5, 2.5, 4.5]);
    expectArray(n, [2, 2, 2]);
    expect(() => np.average(np.zeros([3, 2]), { weights: [1, 2] })).toThrow(/single axis/);
    expect(() => np.average(np.zeros([3, 2]), { axis: 0, weights: [1, 2] })).toThrow(/length 3/);
  });
  it("cov with rowvar, bias, y and weights", () => {
    expectArray(np.cov(np.array([[0, 1, 2], [2, 1, 0]])), [[1, -1], [-1, 1]]);
    expectArray(np.cov(np.array([1, 2, 3, 5])), 2.9166667, { shape: [] });
    expectArray(np.cov(np.array([[1, 2], [3, 5], [0, 1]]), { rowvar: false, bias: true }), [[1.5555556, 2.1111111], [2.1111111, 2.8888889]]);
    expectArray(np.cov(np.array([1, 2, 3]), { y: [1, 0, 4] }), [[1, 1.5], [1.5, 4.3333333]], { rtol: 1e-5 });
    const x = np.array([[1, 4, 2, 8], [3, 1, 0, 2]]);
    expectArray(np.cov(x, { fweights: i32([1, 2, 1, 3]) }), [[9, 0.6666667], [0.6666667, 0.952381]], { rtol: 1e-5 });
    expectArray(np.cov(x, { aweights: [0.5, 1, 2, 1] }), [[9, 1.6071429], [1.6071429, 1.6071429]], { rtol: 1e-5 });
    expectArray(np.cov(x, { fweights: i32([1, 2, 1, 3]), aweights: [0.5, 1, 2, 1], ddof: 0 }), [[7.3155556, 1.5022222], [1.5022222, 0.8622222]], { rtol: 1e-5 });
    expect(() => np.cov(np.zeros([2, 2, 2]))).toThrow(/1-D or 2-D/);
    expect(() => np.cov(x, { aweights: [1, 2] })).toThrow(/one entry per observation \(4\)/);
  });
  it("corrcoef", () => {
    expectArray(np.corrcoef(np.array([[1, 2, 3], [3, 2, 1]])), [[1, -1], [-1, 1]]);
    expectArray(np.corrcoef(np.array([[1, 2, 3, 4], [2, 1, 4, 3], [1, 1, 2, 5]])),
      [[1, 0.6, 0.88659264], [0.6, 1, 0.47739604], [0.88659264, 0.47739604, 1]], { rtol: 1e-5 });
    expectArray(np.corrcoef(np.array([1, 2, 3])), 1, { shape: [] });
  });
});

describe("counting", () => {
  it("histogram with edges, counts, ranges, weights and density", () => {
    const [c, e] = np.histogram(np.array([1, 2, 1]), { bins: [0, 1, 2, 3] });
    expectArray(c, [0, 2, 1], { dtype: "int32" });
    expectArray(e, [0, 1, 2, 3]);
    expectArray(np.histogram(np.arange(4), { bins: np.arange(5), density: true })[0], [0.25, 0.25, 0.25, 0.25]);
    expectArray(np.histogram(np.array([[1, 2, 1], [1, 0, 1]]), { bins: [0, 1, 2, 3] })[0], [1, 4, 1]);
    const [c2, e2] = np.histogram(np.array([0.5, 1.5, 2.5, 2.5, 9]), { bins: 4 });
    expectArray(c2, [4, 0, 0, 1]);
    expectArray(e2, [0.5, 2.625, 4.75, 6.875, 9]);
    const [c3, e3] = np.histogram(np.array([3, 3, 3]), { bins: 2 });
    expectArray(c3, [0, 3]);
    expectArray(e3, [2.5, 3, 3.5]);
    const [c4, e4] = np.histogram(np.array([1, 2, 3, 4]), { bins: 3, range: [1, 3], weights: [1, 2, 3, 4] });
    expectArray(c4, [1, 2, 3]);
    expectArray(e4, [1, 1.6666666, 2.3333333, 3]);
    expect(() => np.histogram(np.array([1]), { bins: 0 })).toThrow(/positive integer/);
  });
  it("bincount eagerly and with a static length", () => {
    expectArray(np.bincount(i32([0, 1, 1, 3, 2, 1, 7])), [1, 3, 1, 1, 0, 0, 0, 1], { dtype: "int32" });
    expectArray(np.bincount(i32([0, 1, 1, 2, 2, 2]), { weights: [0.3, 0.5, 0.2, 0.7, 1, -0.6] }), [0.3, 0.7, 1.1], { rtol: 1e-5 });
    expectArray(np.bincount(i32([1, 1]), { minlength: 4 }), [0, 2, 0, 0]);
    expectArray(np.bincount(i32([-2, 1, 9]), { length: 3 }), [1, 1, 0]);
    expect(() => np.bincount(np.array([1.5]))).toThrow(/integers/);
    expect(() => makeJaxpr((x: np.Array) => np.bincount(x))(i32([1]))).toThrow(TracerError);
    expect(makeJaxpr((x: np.Array) => np.bincount(x, { length: 4 }))(i32([1])).toString()).toContain("reduce_sum");
  });
  it("digitize with increasing and decreasing bins", () => {
    const x = np.array([0.2, 6.4, 3.0, 1.6]);
    expectArray(np.digitize(x, [0, 1, 2.5, 4, 10]), [1, 4, 3, 2], { dtype: "int32" });
    expectArray(np.digitize(x, [10, 4, 2.5, 1, 0]), [4, 1, 2, 3]);
    expectArray(np.digitize(np.array([1, 2.5, 4]), [0, 1, 2.5, 4, 10], { right: true }), [1, 2, 3]);
    expectArray(np.digitize(np.array([1, 2.5, 4]), [10, 4, 2.5, 1, 0], { right: true }), [4, 3, 2]);
  });
});

describe("tracing and properties", () => {
  it("stages statistics without reading values", () => {
    const f = (x: np.Array) => [np.nanvar(x), np.cov(x), np.histogram(x, { bins: 3 })[0], np.digitize(x, [0, 1])];
    expect(makeJaxpr(f)(np.zeros([2, 5])).toString()).toContain("dot_general");
  });
  it("histogram counts every in-range value once; bincount sums to the size", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 7 }), (v, bins) => {
      const [c] = np.histogram(np.array(v), { bins });
      expect(list(c).reduce((p, q) => p + q, 0)).toBe(v.length);
      const counts = list(np.bincount(i32(v.map(Math.abs))));
      expect(counts.reduce((p, q) => p + q, 0)).toBe(v.length);
      expect(counts.length).toBe(Math.max(...v.map(Math.abs)) + 1);
    }), { numRuns: propertyRuns() });
  });
  it("nanmean equals mean of the non-NaN entries", () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: -9, max: 9 }), fc.constant(NaN)), { minLength: 1, maxLength: 10 }), (v) => {
      const keep = v.filter((u) => !Number.isNaN(u));
      const got = list(np.nanmean(np.array(v)))[0];
      if (keep.length === 0) expect(got).toBeNaN();
      else expect(got).toBeCloseTo(keep.reduce((p, q) => p + q, 0) / keep.length, 5);
    }), { numRuns: propertyRuns() });
  });
});
