import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as np from "./index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";
import { shapedData } from "../../tests/property/generators.js";

const x = () => np.array([[1, 2, 3], [4, 5, 6]]);
const i32 = (xs: unknown) => np.array(xs as number[], { dtype: "int32" });

describe("sum and prod", () => {
  it("over all axes, one axis, several axes, with keepdims", () => {
    expectArray(np.sum(x()), 21, { dtype: "float32" });
    expectArray(np.sum(x(), { axis: 0 }), [5, 7, 9]);
    expectArray(np.sum(x(), { axis: -1 }), [6, 15]);
    expectArray(np.sum(x(), { axis: [0, 1] }), 21);
    expectArray(np.sum(x(), { axis: 1, keepdims: true }), [[6], [15]]);
    expectArray(np.sum(x(), { keepdims: true }), [[21]]);
    expectArray(np.sum(x(), { axis: [] }), [[1, 2, 3], [4, 5, 6]]);
    expectArray(np.prod(x(), { axis: 1 }), [6, 120]);
    expectArray(np.prod(np.zeros([0])), 1);
    expectArray(np.sum(np.zeros([2, 0]), { axis: 1 }), [0, 0]);
  });
  it("dtypes: bools sum to int32, dtype option converts first", () => {
    expectArray(np.sum(np.array([true, true, false])), 2, { dtype: "int32" });
    expectArray(np.sum(i32([1, 2])), 3, { dtype: "int32" });
    expectArray(np.sum(np.array([0.5, 0.25]), { dtype: "float64" }), 0.75, { dtype: "float64" });
    expectArray(np.prod(np.array([true, true])), 1, { dtype: "int32" });
    expect(np.sum(np.add(np.arange(3), 1)).dtype).toBe("int32");
  });
  it("methods mirror the functions", () => {
    expectArray(x().sum({ axis: 0 }), [5, 7, 9]);
    expectArray(x().prod(), 720);
    expectArray(x().mean({ axis: 1 }), [2, 5]);
  });
  it("bad axes name the op", () => {
    expect(() => np.sum(x(), { axis: 2 })).toThrow("np.sum: axis 2 is out of bounds for an array of rank 2; expected an integer in [-2, 1].");
    expect(() => np.sum(x(), { axis: [0, -2] })).toThrow("np.sum: repeated axis in [0,-2].");
    expect(() => np.sum(np.array(1), { axis: 0 })).toThrow(/a scalar has no axes/);
  });
});

describe("max, min, argmax, argmin", () => {
  it("extrema over axes; NaN propagates", () => {
    expectArray(np.max(x(), { axis: 0 }), [4, 5, 6]);
    expectArray(np.min(x(), { axis: 1, keepdims: true }), [[1], [4]]);
    expectArray(np.amax(np.array([1, NaN, 3])), NaN);
    expectArray(np.max(i32([-5, -2])), -2, { dtype: "int32" });
    expect(x().max().item()).toBe(6);
  });
  it("empty extrema are errors", () => {
    expect(() => np.max(np.zeros([0]))).toThrow(
      "np.max: zero-size axis 0 of an array of shape [0] has no identity; pass a non-empty array.",
    );
    expect(() => np.min(np.zeros([2, 0]), { axis: 1 })).toThrow(RangeError);
    expectArray(np.max(np.zeros([2, 0]), { axis: 0 }), []);
  });
  it("argmax/argmin: flattened by default, ties first, NaN first", () => {
    expectArray(np.argmax(np.array([[1, 9], [9, 2]])), 1, { dtype: "int32" });
    expectArray(np.argmax(x(), { axis: 0 }), [1, 1, 1]);
    expectArray(np.argmin(x(), { axis: 1 }), [0, 0]);
    expectArray(np.argmax(np.array([1, NaN, NaN])), 1);
    expectArray(np.argmin(np.array([3, 1, 1])), 1);
    expectArray(np.argmax(x(), { axis: 1, keepdims: true }), [[2], [2]]);
    expectArray(np.argmax(x(), { keepdims: true }), [[5]]);
    expect(() => np.argmax(np.zeros([2, 0]), { axis: 1 })).toThrow("np.argmax: attempt to get argmax of an empty axis 1.");
  });
});

describe("mean, var, std", () => {
  it("known values", () => {
    expectArray(np.mean(x()), 3.5);
    expectArray(np.mean(x(), { axis: 0 }), [2.5, 3.5, 4.5]);
    expectArray(np.mean(i32([1, 2])), 1.5, { dtype: "float32" });
    expectArray(np.var(np.array([1, 2, 3, 4])), 1.25);
    expectArray(np.var(np.array([1, 2, 3, 4]), { ddof: 1 }), 5 / 3);
    expectArray(np.std(x(), { axis: 1 }), [Math.sqrt(2 / 3), Math.sqrt(2 / 3)]);
    expectArray(np.var(x(), { axis: 0, keepdims: true }), [[2.25, 2.25, 2.25]]);
    expectArray(np.mean(np.array([1, 2]), { dtype: "float64" }), 1.5, { dtype: "float64" });
    expectArray(np.var(i32([1, 3])), 1, { dtype: "float32" });
  });
  it("var over several axes equals the flattened variance (property)", () => {
    fc.assert(fc.property(shapedData({ minRank: 2, maxRank: 3 }), ({ shape, data }) => {
      const a = np.array(data, { shape, dtype: "float64" });
      const m = data.reduce((p, q) => p + q, 0) / data.length;
      const v = data.reduce((p, q) => p + (q - m) ** 2, 0) / data.length;
      expectArray(np.var(a), v, { rtol: 1e-12, atol: 1e-12 });
      expectArray(np.var(a, { axis: shape.map((_, i) => i) }), v, { rtol: 1e-12, atol: 1e-12 });
      expectArray(np.mean(a), m, { rtol: 1e-12, atol: 1e-12 });
    }), { numRuns: propertyRuns() });
  });
});

describe("all, any, logsumexp", () => {
  it("all/any with axes", () => {
    expectArray(np.all(np.array([[1, 0], [1, 1]]), { axis: 1 }), [0, 1], { dtype: "bool" });
    expectArray(np.any(np.array([[0, 0], [0, 2]]), { axis: 0 }), [0, 1]);
    expectArray(np.all(np.zeros([0])), 1);
    expectArray(np.any(np.zeros([0])), 0);
    expectArray(np.any(np.array([NaN])), 1);
    expectArray(np.all(np.array([true, false]), { keepdims: true }), [0]);
  });
  it("logsumexp is stable and handles -inf rows", () => {
    expectArray(np.logsumexp(np.array([1000, 1000])), 1000 + Math.LN2, { rtol: 1e-6 });
    expectArray(np.logsumexp(np.array([[0, 0], [-Infinity, -Infinity]]), { axis: 1 }), [Math.LN2, -Infinity]);
    expectArray(np.logsumexp(np.array([[1, 2]]), { axis: 1, keepdims: true }), [[Math.log(Math.E + Math.E ** 2)]]);
    expectArray(np.logsumexp(i32([0, 0])), Math.LN2, { dtype: "float32" });
  });
});

describe("sum matches a naive loop (property)", () => {
  it("over a random axis subset, with keepdims", () => {
    fc.assert(fc.property(shapedData({ minRank: 1, maxRank: 3 }).chain((d) =>
      fc.subarray(d.shape.map((_, i) => i)).map((axes) => ({ ...d, axes }))), ({ shape, data, axes }) => {
      const a = np.array(data, { shape });
      const s = np.sum(a, { axis: axes, keepdims: true });
      expect(s.shape).toEqual(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
      const total = np.sum(s).item() as number;
      expect(total).toBeCloseTo(data.reduce((p, q) => p + q, 0), 4);
    }), { numRuns: propertyRuns() });
  });
});
