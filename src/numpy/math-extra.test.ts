import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grad, makeJaxpr, np } from "../index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";

const i32 = (v: number[] | number[][]) => np.array(v, { dtype: "int32" });
const list = (x: np.Array) => Array.from(x.dataSync(), Number);

describe("cumulative sums and products", () => {
  it("flattens without an axis and follows axis / dtype", () => {
    expectArray(np.cumsum(np.array([[1, 2], [3, 4]])), [1, 3, 6, 10], { dtype: "float32" });
    expectArray(np.cumsum(np.array([[1, 2], [3, 4]]), { axis: 0 }), [[1, 2], [4, 6]]);
    expectArray(np.cumsum(np.array([[1, 2], [3, 4]]), { axis: -1 }), [[1, 3], [3, 7]]);
    expectArray(np.cumprod(i32([1, 2, 3, 4])), [1, 2, 6, 24], { dtype: "int32" });
    expectArray(np.cumsum(np.array([true, true, false])), [1, 2, 2], { dtype: "int32" });
    expectArray(np.cumsum(np.array([1.5, 2.5]), { dtype: "int32" }), [1, 3], { dtype: "int32" });
    expect(() => np.cumsum(np.zeros([2]), { axis: 1 })).toThrow(/np\.cumsum: axis 1 is out of bounds/);
  });
  it("skips NaN in nancumsum / nancumprod", () => {
    expectArray(np.nancumsum(np.array([1, NaN, 2])), [1, 1, 3]);
    expectArray(np.nancumprod(np.array([2, NaN, 3])), [2, 2, 6]);
  });
});

describe("differences, gradients, integrals", () => {
  it("diff like NumPy", () => {
    const x = np.array([1, 2, 4, 7, 0]);
    expectArray(np.diff(x), [1, 2, 3, -7]);
    expectArray(np.diff(x, { n: 2 }), [1, 1, -10]);
    expectArray(np.diff(x, { n: 9 }), [], { shape: [0] });
    const m = i32([[1, 3, 6, 10], [0, 5, 6, 8]]);
    expectArray(np.diff(m), [[2, 3, 4], [5, 1, 2]], { dtype: "int32" });
    expectArray(np.diff(m, { axis: 0 }), [[-1, 2, 0, -2]]);
    expectArray(np.diff(i32([1, 2]), { prepend: 0, append: [5, 6] }), [1, 1, 3, 1]);
    expectArray(np.diff(np.array([true, false, false])), [true, false], { dtype: "bool" });
    expect(() => np.diff(3)).toThrow(/rank >= 1/);
    expect(() => np.diff(x, { n: -1 })).toThrow(/non-negative/);
  });
  it("ediff1d", () => {
    expectArray(np.ediff1d(i32([1, 2, 4, 7, 0]), { toBegin: -99, toEnd: [88, 99] }), [-99, 1, 2, 3, -7, 88, 99]);
  });
  it("gradient with spacing and edge orders", () => {
    const f = np.array([1, 2, 4, 7, 11]);
    expectArray(np.gradient(f) as np.Array, [1, 1.5, 2.5, 3.5, 4]);
    expectArray(np.gradient(f, { spacing: 2 }) as np.Array, [0.5, 0.75, 1.25, 1.75, 2]);
    expectArray(np.gradient(f, { edgeOrder: 2 }) as np.Array, [0.5, 1.5, 2.5, 3.5, 4.5]);
    const [g0, g1] = np.gradient(np.array([[1, 2, 6], [3, 4, 5]])) as np.Array[];
    expectArray(g0, [[2, 2, -1], [2, 2, -1]]);
    expectArray(g1, [[1, 2.5, 4], [1, 1, 1]]);
    expectArray(np.gradient(i32([[1, 2, 6], [3, 4, 5]]), { axis: 1, spacing: 0.5 }), [[2, 5, 8], [2, 2, 2]], { dtype: "float32" });
    expect(() => np.gradient(np.array([1]))).toThrow(/at least 2/);
  });
  it("trapezoid", () => {
    expectArray(np.trapezoid(np.array([1, 2, 3])), 4);
    expectArray(np.trapezoid(np.array([1, 2, 3]), { x: [4, 6, 8] }), 8);
    expectArray(np.trapezoid(np.array([1, 2, 3]), { dx: 0.5 }), 2);
    expectArray(np.trapezoid(np.array([[0, 1, 2], [3, 4, 5]]), { axis: 0 }), [1.5, 2.5, 3.5]);
    expectArray(np.trapz(np.array([[0, 1, 2], [3, 4, 5]]), { x: [0, 1, 3] }), [3.5, 12.5]);
  });
  it("cross products of 3- and 2-vectors", () => {
    expectArray(np.cross(np.array([1, 0, 0]), np.array([0, 1, 0])), [0, 0, 1]);
    expectArray(np.cross(i32([[1, 2, 3], [4, 5, 6]]), i32([[4, 5, 6], [1, 2, 3]])), [[-3, 6, -3], [3, -6, 3]]);
    expectArray(np.cross(i32([1, 2]), i32([3, 4, 5])), [10, -5, -2]);
    expectArray(np.cross(i32([1, 2, 3]), i32([4, 5])), [-15, 12, -3]);
    expectArray(np.cross(i32([1, 2]), i32([3, 4])), -2);
    expectArray(np.cross(i32([[1, 4], [2, 5], [3, 6]]), i32([4, 5, 6]), { axisa: 0 }), [[-3, 6, -3], [0, 0, 0]]);
    expect(() => np.cross(np.zeros([4]), np.zeros([3]))).toThrow(/2 or 3 components/);
  });
  it("interp like NumPy", () => {
    expectArray(np.interp(np.array([0, 1, 1.5, 2.72, 3.14, 5]), [1, 2, 3], [3, 2, 0]), [3, 3, 2.5, 0.56, 0, 0], { rtol: 1e-5 });
    expectArray(np.interp(np.array([-1, 4, 2]), [1, 2, 3], [3, 2, 0], { left: -9, right: 9 }), [-9, 9, 2]);
    expectArray(np.interp(np.array([[0.5, 2]]), [1], [7]), [[7, 7]]);
    expectArray(np.interp(np.array([1, 1.5]), [1, 2], [Infinity, 0]), [Infinity, Infinity]);
    expect(() => np.interp(1, [1, 2], [1])).toThrow(/one length/);
  });
  it("polynomials", () => {
    expectArray(np.polyval([3, 0, 1], 5), 76);
    expectArray(np.polyval(np.array([3, 0, 1]), np.array([1, 2])), [4, 13]);
    expectArray(np.polyadd([1, 2], [1, 0, 0]), [1, 1, 2]);
    expectArray(np.polysub([1, 2], [1, 0, 0]), [-1, 1, 2]);
    expectArray(np.polyder(i32([1, 2, 3]), 2), [2]);
    expect(np.polyder(i32([5])).shape).toEqual([0]);
    expectArray(np.polyint([3, 2, 1]), [1, 1, 1, 0]);
    expectArray(np.polyint([1, 1], 2, [1, 2]), [1 / 6, 0.5, 1, 2]);
    expect(() => np.polyval([[1]], 2)).toThrow(/1-D/);
  });
});

describe("elementwise extras", () => {
  it("isclose / allclose / arrayEqual / arrayEquiv (NumPy doc values)", () => {
    const f64 = (v: number[]) => np.array(v, { dtype: "float64" });
    expectArray(np.isclose(f64([1e10, 1e-7]), f64([1.00001e10, 1e-8])), [true, false]);
    expectArray(np.isclose(f64([1e10, 1e-8]), f64([1.0001e10, 1e-9])), [false, true]);
    expectArray(np.isclose(np.array([1, NaN, Infinity]), np.array([1, NaN, Infinity])), [true, false, true]);
    expectArray(np.isclose(np.array([1, NaN]), np.array([1, NaN]), { equalNan: true }), [true, true]);
    expectArray(np.isclose(np.array([Infinity, -Infinity]), np.array([1e38, Infinity])), [false, false]);
    expectArray(np.allclose(np.array([1, 2]), [1, 2.000001]), true);
    expectArray(np.allclose(np.array([1, 2]), [1, 2.1]), false);
    expectArray(np.arrayEqual(np.array([1, 2]), [1, 2]), true);
    expectArray(np.arrayEqual(np.array([1, 2]), [[1, 2]]), false);
    expectArray(np.arrayEqual(np.array([1, NaN]), [1, NaN]), false);
    expectArray(np.arrayEqual(np.array([1, NaN]), [1, NaN], { equalNan: true }), true);
    expectArray(np.arrayEquiv([1, 2], [[1, 2], [1, 2]]), true);
    expectArray(np.arrayEquiv([1, 2], [1, 2, 3]), false);
  });
  it("sign functions", () => {
    expectArray(np.signbit(np.array([-1, -0, 2, NaN])), [true, true, false, false]);
    expectArray(np.signbit(np.array([-1, -0, 2], { dtype: "float64" })), [true, true, false]);
    expectArray(np.signbit(i32([-3, 0, 3])), [true, false, false]);
    expectArray(np.copysign(np.array([1, -2, 3]), np.array([-1, 1, -0])), [-1, 2, -3]);
    expectArray(np.heaviside(np.array([-1.5, 0, 2, NaN]), 0.5), [0, 0.5, 1, NaN]);
  });
  it("sinc, logaddexp2, ldexp, fmax, fmin, nanToNum", () => {
    expectArray(np.sinc(np.array([0, 0.5, 1, -1.5])), [1, 0.63661977, 0, -0.21220659], { atol: 1e-6 });
    expectArray(np.logaddexp2(1, 2), 2.5849625);
    expectArray(np.logaddexp2(np.array([-Infinity]), -Infinity), [-Infinity]);
    expectArray(np.ldexp(5, i32([-1, 2, 3])), [2.5, 20, 40], { dtype: "float32" });
    expectArray(np.ldexp(np.array([1e-30]), i32([200])), [1e-30 * 2 ** 200], { rtol: 1e-6 });
    expect(() => np.ldexp(1, np.array([1.5]))).toThrow(/np\.ldexp: exponents must be integers/);
    expectArray(np.fmax(np.array([1, NaN, NaN]), np.array([NaN, 2, NaN])), [1, 2, NaN]);
    expectArray(np.fmin(np.array([1, NaN, 5]), 0), [0, 0, 0]);
    expectArray(np.nanToNum(np.array([Infinity, -Infinity, NaN, -128])), [3.4028235e38, -3.4028235e38, 0, -128], { rtol: 1e-7 });
    expectArray(np.nanToNum(np.array([NaN, Infinity]), { nan: -1, posinf: 9 }), [-1, 9]);
  });
  it("gcd and lcm, exact over int32 including the Fibonacci worst case", () => {
    expectArray(np.gcd(12, 20), 4, { dtype: "int32" });
    expectArray(np.gcd(i32([-12, 0, 7]), i32([20, 0, 0])), [4, 0, 7]);
    expectArray(np.lcm(12, 20), 60);
    expectArray(np.lcm(i32([-12, 0]), i32([20, 5])), [60, 0]);
    expectArray(np.gcd(i32([1836311903, 1402817466]), i32([1134903170, 866988874])), [1, 2]);
    expectArray(np.gcd(np.array([2971215073], { dtype: "uint32" }), np.array([1836311903], { dtype: "uint32" })), [1]);
    expect(() => np.gcd(np.array([1.5]), 2)).toThrow(/np\.gcd: arguments must be integers/);
  });
});

describe("tracing and properties", () => {
  it("stages without reading values", () => {
    const f = (x: np.Array) => [np.cumsum(x), np.diff(x), np.interp(x, [0, 1, 2], [1, 3, 2]), np.gcd(x.astype("int32"), 6), np.gradient(x)];
    const text = makeJaxpr(f)(np.zeros([4])).toString();
    expect(text).toContain("cumsum");
  });
  it("differentiates interp (right slope at a knot), sinc and cumsum", () => {
    expectArray(grad((t: np.Array) => np.sum(np.interp(t, [0, 2, 4], [0, 4, 0])))(np.array([1, 2, 3])), [2, -2, -2]);
    expectArray(grad((t: np.Array) => np.sum(np.sinc(t)))(np.array([0, 1])), [0, -1], { atol: 1e-6 });
    expectArray(grad((t: np.Array) => np.sum(np.cumsum(t)))(np.array([1, 2, 3])), [3, 2, 1]);
  });
  it("diff of cumsum (with prepend 0) recovers the input", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -100, max: 100 }), { minLength: 1, maxLength: 12 }), (v) => {
      const x = i32(v);
      expect(list(np.diff(np.cumsum(x), { prepend: 0 }))).toEqual(v);
    }), { numRuns: propertyRuns() });
  });
  it("gcd divides both and matches a JS Euclid; lcm * gcd = |a b|", () => {
    const jsGcd = (a: number, b: number): number => (b === 0 ? Math.abs(a) : jsGcd(b, a % b));
    fc.assert(fc.property(fc.integer({ min: -50000, max: 50000 }), fc.integer({ min: -50000, max: 50000 }), (a, b) => {
      expect(list(np.gcd(i32([a]), i32([b])))[0]).toBe(jsGcd(a, b));
      const l = list(np.lcm(i32([a % 2000]), i32([b % 2000])))[0];
      expect(l * jsGcd(a % 2000, b % 2000)).toBe(Math.abs((a % 2000) * (b % 2000)));
    }), { numRuns: propertyRuns() });
  });
  it("interp reproduces the table at its knots", () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: -50, max: 50 }), { minLength: 2, maxLength: 8 }), (xs) => {
      const xp = [...xs].sort((p, q) => p - q);
      const fp = xp.map((v) => v * v - 3);
      expect(list(np.interp(np.array(xp), xp, fp))).toEqual(fp);
    }), { numRuns: propertyRuns() });
  });
});

describe("gcd as a loop", () => {
  it("stages one while loop (not an unrolled Euclid)", () => {
    const text = makeJaxpr((a: np.Array, b: np.Array) => np.lcm(a, b))(i32([12, 7]), i32([20, 0])).toString();
    expect(text.match(/ while\[/g)?.length).toBe(1);
    expect(text.match(/ rem /g)?.length).toBe(1);
  });
  it("broadcasts scalars and uint32 inside the loop", () => {
    expectArray(np.gcd(i32([[6], [35]]), i32([4, 14, 0])), [[2, 2, 6], [1, 7, 35]], { dtype: "int32" });
    expectArray(np.gcd(np.array([4294967295], { dtype: "uint32" }), np.array([5], { dtype: "uint32" })), [5], { dtype: "uint32" });
  });
});
