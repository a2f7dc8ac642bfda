import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grad, makeJaxpr, np } from "../index.js";
import { ShapeError } from "../ir/index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";

const i32 = (v: number[] | number[][]) => np.array(v, { dtype: "int32" });
const list = (x: np.Array) => Array.from(x.dataSync(), Number);

describe("array-API aliases", () => {
  it("trigonometric and bitwise names agree with the NumPy 1 names", () => {
    const x = np.array([-0.5, 0, 0.5]);
    expectArray(np.acos(x), list(np.arccos(x)));
    expectArray(np.asin(x), [-0.5235988, 0, 0.5235988]);
    expectArray(np.atan(1), Math.PI / 4);
    expectArray(np.acosh(np.array([1, 2])), [0, 1.3169579]);
    expectArray(np.asinh(np.array([1])), [0.8813736]);
    expectArray(np.atanh(np.array([0.5])), [0.5493061]);
    expectArray(np.atan2(np.array([1, -1]), -1), [3 * Math.PI / 4, -3 * Math.PI / 4]);
    expectArray(np.bitwiseLeftShift(i32([1, 3]), 2), [4, 12], { dtype: "int32" });
    expectArray(np.bitwiseRightShift(i32([-8, 8]), 1), [-4, 4]);
    expectArray(np.bitwiseInvert(i32([0, 5])), [-1, -6]);
  });
  it("concat joins along an axis or flattened", () => {
    expectArray(np.concat([np.array([[1, 2]]), np.array([[3, 4]])]), [[1, 2], [3, 4]]);
    expectArray(np.concat([np.array([[1, 2]]), np.array([[3, 4]])], { axis: 1 }), [[1, 2, 3, 4]]);
    expectArray(np.concat([np.array([[1, 2]]), np.array([3])], { axis: null }), [1, 2, 3]);
    expect(() => np.concat([np.zeros([1, 2]), np.zeros([1, 3])])).toThrow(/np\.concatenate: all shapes must match/);
  });
  it("permuteDims", () => {
    const x = np.arange(6).reshape([1, 2, 3]);
    expect(np.permuteDims(x, [2, 0, 1]).shape).toEqual([3, 1, 2]);
    expectArray(np.permuteDims(np.array([[1, 2], [3, 4]]), [1, 0]), [[1, 3], [2, 4]]);
    expectArray(np.permuteDims(np.array([[1, 2], [3, 4]]), [-1, 0]), [[1, 3], [2, 4]]);
    expect(() => np.permuteDims(x, [0, 1])).toThrow(/np\.permuteDims: axes \[0,1\] must be a permutation of 0\.\.2/);
    expect(() => np.permuteDims(x, [0, 0, 1])).toThrow(ShapeError);
  });
});

describe("cumulative functions and unstack", () => {
  it("cumulativeSum / cumulativeProd with includeInitial", () => {
    expectArray(np.cumulativeSum(np.array([1, 2, 3]), { includeInitial: true }), [0, 1, 3, 6]);
    expectArray(np.cumulativeSum(i32([[1, 2], [3, 4]]), { axis: 0 }), [[1, 2], [4, 6]], { dtype: "int32" });
    expectArray(np.cumulativeProd(i32([[1, 2], [3, 4]]), { axis: 1, includeInitial: true }), [[1, 1, 2], [1, 3, 12]]);
    expectArray(np.cumulativeSum(np.array([true, true]), { includeInitial: true }), [0, 1, 2], { dtype: "int32" });
    expectArray(np.cumulativeSum(np.array([1.5, 2.5]), { dtype: "int32" }), [1, 3], { dtype: "int32" });
    expect(() => np.cumulativeSum(np.zeros([2, 2]))).toThrow(/np\.cumulativeSum: axis is required for an input of rank 2/);
    expect(() => np.cumulativeProd(3)).toThrow(/at least one axis/);
  });
  it("unstack is the inverse of stack", () => {
    const parts = np.unstack(np.array([[1, 2], [3, 4]]), { axis: 1 });
    expect(parts.length).toBe(2);
    expectArray(parts[0], [1, 3]);
    expectArray(parts[1], [2, 4]);
    const x = np.arange(24).reshape([2, 3, 4]);
    for (const axis of [0, 1, 2, -1]) {
      const back = np.stack(np.unstack(x, { axis }), axis);
      expect(back.shape).toEqual([2, 3, 4]);
      expect(list(back)).toEqual(list(x));
    }
    expect(() => np.unstack(1)).toThrow(/np\.unstack: the input must have at least one axis/);
  });
});

describe("spacing and construction", () => {
  it("logspace and geomspace", () => {
    expectArray(np.logspace(0, 3, 4), [1, 10, 100, 1000]);
    expectArray(np.logspace(0, 3, 3, { endpoint: false }), [1, 10, 100]);
    expectArray(np.logspace(0, 3, 4, { base: 2 }), [1, 2, 4, 8]);
    expectArray(np.logspace(2, 3, 2, { dtype: "int32" }), [100, 1000], { dtype: "int32" });
    expectArray(np.geomspace(1, 1000, 4), [1, 10, 100, 1000], { dtype: "float32" });
    expectArray(np.geomspace(-1000, -1, 4), [-1000, -100, -10, -1]);
    expectArray(np.geomspace(1, 256, 9, { endpoint: false }), [1, 1.8517494, 3.4289758, 6.3496041, 11.7578764, 21.7726402, 40.3174744, 74.6578598, 138.2476501], { rtol: 1e-5 });
    expectArray(np.geomspace(3, 7, 1), [3]);
    expect(() => np.geomspace(0, 1, 3)).toThrow(/cannot include 0/);
    expect(() => np.geomspace(-1, 1, 3)).toThrow(/same sign/);
  });
  it("geomspace hits its endpoints exactly", () => {
    fc.assert(fc.property(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.integer({ min: 2, max: 9 }), (a, b, n) => {
      const v = list(np.geomspace(a, b, n, { dtype: "float64" }));
      expect(v[0]).toBe(a);
      expect(v[n - 1]).toBe(b);
    }), { numRuns: propertyRuns() });
  });
  it("vander", () => {
    expectArray(np.vander(np.array([1, 2, 3]), { N: 3 }), [[1, 1, 1], [4, 2, 1], [9, 3, 1]]);
    expectArray(np.vander(i32([1, 2, 3, 5])), [[1, 1, 1, 1], [8, 4, 2, 1], [27, 9, 3, 1], [125, 25, 5, 1]], { dtype: "int32" });
    expectArray(np.vander(np.array([0, -2]), { N: 3, increasing: true }), [[1, 0, 0], [1, -2, 4]]);
    expect(np.vander(np.array([1, 2]), { N: 0 }).shape).toEqual([2, 0]);
    expect(() => np.vander(np.zeros([2, 2]))).toThrow(/np\.vander: x must be 1-D/);
  });
  it("fromfunction passes index grids", () => {
    expectArray(np.fromfunction((i, j) => i.add(j), [2, 3]), [[0, 1, 2], [1, 2, 3]]);
    expectArray(np.fromfunction((i, j) => np.equal(i, j), [2, 2], { dtype: "int32" }), [[true, false], [false, true]]);
  });
});

describe("decompositions", () => {
  it("frexp like NumPy, including subnormals and specials", () => {
    const [m, e] = np.frexp(np.array([8, -0.75, 0, 1, 3, Infinity, NaN, 1e-40, 3e38]));
    expect(e.dtype).toBe("int32");
    expectArray(m, [0.5, -0.75, 0, 0.5, 0.75, Infinity, NaN, 0.5444486, 0.8816208], { rtol: 1e-6 });
    expectArray(e, [4, 0, 0, 1, 2, 0, 0, -132, 128]);
    const [m64, e64] = np.frexp(np.array([1e-310, 1.5e308], { dtype: "float64" }));
    expect(list(e64)).toEqual([-1029, 1024]);
    expect(list(m64)[0] * 2 ** -1029).toBe(1e-310);
  });
  it("frexp round-trips through ldexp", () => {
    fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (v) => {
      const [m, e] = np.frexp(np.array([v]));
      const mv = list(m)[0];
      if (v !== 0) expect(Math.abs(mv) >= 0.5 && Math.abs(mv) < 1).toBe(true);
      expect(list(np.ldexp(m, e))[0]).toBe(Math.fround(v));
    }), { numRuns: propertyRuns() });
  });
  it("modf keeps the sign on both parts", () => {
    const [f, w] = np.modf(np.array([3.5, -2.25, -3, Infinity, -0]));
    expectArray(f, [0.5, -0.25, -0, 0, -0]);
    expectArray(w, [3, -2, -3, Infinity, -0]);
    expect(Object.is(list(f)[2], -0)).toBe(true);
    expectArray(np.modf(i32([2]))[1], [2], { dtype: "float32" });
  });
  it("divmod", () => {
    const [q, r] = np.divmod(i32([7, -7, 7]), i32([2, 2, -2]));
    expectArray(q, [3, -4, -4], { dtype: "int32" });
    expectArray(r, [1, 1, -1]);
    const [qf, rf] = np.divmod(np.array([7.5]), 2);
    expectArray(qf, [3]);
    expectArray(rf, [1.5]);
  });
});

describe("complex functions on real arrays and predicates", () => {
  it("real, imag, conj, angle", () => {
    const x = np.array([1.5, -2]);
    expectArray(np.real(x), [1.5, -2]);
    expectArray(np.imag(i32([3])), [0], { dtype: "int32" });
    expectArray(np.conj(x), [1.5, -2]);
    expectArray(np.conjugate(x), [1.5, -2]);
    expectArray(np.angle(np.array([2, -2, 0, -0, NaN])), [0, Math.PI, 0, Math.PI, NaN]);
    expectArray(np.angle(i32([-1]), { deg: true }), [180], { dtype: "float32" });
  });
  it("isreal, iscomplex, isrealobj, iscomplexobj", () => {
    expectArray(np.isreal(np.array([1, NaN])), [true, true], { dtype: "bool" });
    expectArray(np.iscomplex(np.array([[1]])), [[false]]);
    expect(np.isrealobj(np.array([1]))).toBe(true);
    expect(np.iscomplexobj(1)).toBe(false);
  });
  it("isposinf, isneginf, isscalar", () => {
    const x = np.array([Infinity, -Infinity, 1, NaN]);
    expectArray(np.isposinf(x), [true, false, false, false]);
    expectArray(np.isneginf(x), [false, true, false, false]);
    expectArray(np.isposinf(i32([1])), [false]);
    expect(np.isscalar(3)).toBe(true);
    expect(np.isscalar(false)).toBe(true);
    expect(np.isscalar(np.array(3))).toBe(true);
    expect(np.isscalar(np.array([3]))).toBe(false);
    expect(np.isscalar([3])).toBe(false);
    expect(np.isscalar("3")).toBe(false);
  });
});

describe("bits, products, axes, histograms, casts", () => {
  it("bitwiseCount counts bits of |x|", () => {
    expectArray(np.bitwiseCount(i32([7, -8, 0, -1, 2147483647, -2147483648])), [3, 1, 0, 1, 31, 1], { dtype: "uint32" });
    expectArray(np.bitwiseCount(np.array([4294967295, 1024], { dtype: "uint32" })), [32, 1]);
    expectArray(np.bitwiseCount(np.array([true, false])), [1, 0]);
    expect(() => np.bitwiseCount(np.array([1.5]))).toThrow(/np\.bitwiseCount: expected an integer or bool array/);
  });
  it("bitwiseCount matches a JS popcount", () => {
    const pop = (v: number) => Math.abs(v).toString(2).split("").filter((c) => c === "1").length;
    fc.assert(fc.property(fc.array(fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 8 }), (v) => {
      expect(list(np.bitwiseCount(i32(v)))).toEqual(v.map(pop));
    }), { numRuns: propertyRuns() });
  });
  it("matvec and vecmat broadcast batch axes", () => {
    const m = np.array([[1, 2], [3, 4]]);
    expectArray(np.matvec(m, np.array([1, 1])), [3, 7]);
    expectArray(np.vecmat(np.array([1, 1]), m), [4, 6]);
    expectArray(np.matvec(m, np.array([[1, 0], [0, 1]])), [[1, 3], [2, 4]]);
    expectArray(np.vecmat(np.array([[1, 0], [0, 1]]), np.stack([m, m])), [[1, 2], [3, 4]]);
    expect(() => np.matvec(np.array([1, 2]), np.array([1, 2]))).toThrow(/np\.matvec: expected a matrix/);
    expect(() => np.matvec(m, np.array([1, 2, 3]))).toThrow(/np\.matmul: the inner dimensions differ/);
  });
  it("applyOverAxes", () => {
    const x = np.arange(24).reshape([2, 3, 4]);
    const r = np.applyOverAxes((t, ax) => np.sum(t, { axis: ax }), x, [0, 2]);
    expect(r.shape).toEqual([1, 3, 1]);
    expectArray(r, [[[60], [92], [124]]]);
    expect(np.applyOverAxes((t, ax) => np.sum(t, { axis: ax, keepdims: true }), x, -1).shape).toEqual([2, 3, 1]);
    expect(() => np.applyOverAxes((t) => np.sum(t), x, 0)).toThrow(/np\.applyOverAxes: fn must keep the rank/);
  });
  it("histogramBinEdges", () => {
    expectArray(np.histogramBinEdges(np.array([1, 2, 5]), { bins: 4 }), [1, 2, 3, 4, 5]);
    expectArray(np.histogramBinEdges(np.array([0, 1]), { bins: 2, range: [0, 10] }), [0, 5, 10]);
    expectArray(np.histogramBinEdges(np.array([3, 3]), { bins: 2 }), [2.5, 3, 3.5]);
    expectArray(np.histogramBinEdges(np.array([3, 3]), { bins: [0, 1, 4] }), [0, 1, 4]);
  });
  it("astype", () => {
    expectArray(np.astype(np.array([1.7, -1.7]), "int32"), [1, -1], { dtype: "int32" });
    expectArray(np.astype(2, "float16"), 2, { dtype: "float16" });
    const x = np.zeros([2]);
    expect(np.astype(x, "float32")).toBe(x);
    expect(() => np.astype(x, "int8" as never)).toThrow(/np\.astype: unknown dtype "int8"/);
  });
});

describe("tracing", () => {
  it("stages without reading values and differentiates", () => {
    const f = (x: np.Array) => [np.frexp(x)[0], np.modf(x)[1], np.vander(x, { N: 3 }), np.cumulativeSum(x, { includeInitial: true }), np.bitwiseCount(x.astype("int32")), np.angle(x)];
    const text = makeJaxpr(f)(np.zeros([3])).toString();
    expect(text).toContain("cumsum");
    expect(text).toContain("shift_right_logical");
    expectArray(grad((t: np.Array) => np.sum(np.vander(t, { N: 3 })))(np.array([1, 2])), [3, 5]);
    expectArray(grad((t: np.Array) => np.sum(np.cumulativeProd(t, { includeInitial: true })))(np.array([2, 3])), [4, 2]);
  });
});
