import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as np from "./index.js";
import { DTypeError, ShapeError } from "../ir/index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";

describe("np.array", () => {
  it("nested numbers default to float32, booleans to bool", () => {
    const a = np.array([[1, 2], [3, 4]]);
    expect([a.shape, a.dtype, a.weakType]).toEqual([[2, 2], "float32", false]);
    expectArray(a, [[1, 2], [3, 4]]);
    expect(np.array([true, false]).dtype).toBe("bool");
    expect(np.array([true, 1]).dtype).toBe("float32");
    expect(np.array(3).shape).toEqual([]);
    expect(np.array([]).shape).toEqual([0]);
    expect(np.array([[], []]).shape).toEqual([2, 0]);
  });
  it("typed arrays keep their dtype; shape and dtype options apply", () => {
    const cases: [ArrayBufferView, string][] = [
      [new Float32Array([1]), "float32"], [new Float64Array([1]), "float64"], [new Int32Array([1]), "int32"],
      [new Uint32Array([1]), "uint32"], [new Uint8Array([1]), "bool"],
    ];
    for (const [t, d] of cases) expect(np.array(t as Float32Array).dtype).toBe(d);
    const s = np.array(new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
    expect([s.shape, s.toArray()]).toEqual([[2, 3], [[1, 2, 3], [4, 5, 6]]]);
    expectArray(np.array([1.7, -1.7], { dtype: "int32" }), [1, -1], { dtype: "int32" });
    expectArray(np.array(new Float32Array([1.5, 2.5]), { dtype: "float64" }), [1.5, 2.5], { dtype: "float64" });
    expectArray(np.array([0.1], { dtype: "float16" }), [0.0999755859375], { dtype: "float16", rtol: 0, atol: 0 });
  });
  it("copies its input", () => {
    const src = new Float32Array([1, 2]);
    const a = np.array(src);
    src[0] = 9;
    expect(a.toArray()).toEqual([1, 2]);
  });
  it("ragged input and bad elements are errors naming the path", () => {
    expect(() => np.array([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => np.array([[1, 2], [3]])).toThrow(
      "np.array: ragged nested array: expected 2 items at [1], found 1. Every row must have the same length.",
    );
    expect(() => np.array([[1], 2] as never)).toThrow(/expected 1 items at \[1\], found number 2/);
    expect(() => np.array([1, "x"] as never)).toThrow("np.array: element [1] is string x; expected a number or boolean.");
    expect(() => np.array([1], { dtype: "int64" as never })).toThrow(DTypeError);
    expect(() => np.array([1], { dtype: "int64" as never })).toThrow(/np\.array: unknown dtype "int64"; expected one of float32/);
    expect(() => np.array([1, 2], { shape: [3] })).toThrow(/2 values do not fill shape \[3\]/);
  });
  it("tracers pass through asarray", () => {
    const a = np.array([1]);
    expect(np.asarray(a)).toBe(a);
    expect(np.asarray(a, { dtype: "int32" }).dtype).toBe("int32");
  });
  it("round trips nested data (property)", () => {
    fc.assert(fc.property(fc.array(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 4 }), (rows) => {
      expect(np.array(rows).toArray()).toEqual(rows);
      expect(np.array(rows, { dtype: "int32" }).toArray()).toEqual(rows);
    }), { numRuns: propertyRuns() });
  });
});

describe("zeros, ones, full, empty and *Like", () => {
  it("fill with the default float32 or the given dtype", () => {
    expectArray(np.zeros([2, 2]), [[0, 0], [0, 0]], { dtype: "float32" });
    expectArray(np.ones(3, { dtype: "int32" }), [1, 1, 1], { dtype: "int32" });
    expectArray(np.full([2], 7), [7, 7], { dtype: "float32" });
    expectArray(np.full([2], 7, { dtype: "uint32" }), [7, 7], { dtype: "uint32" });
    expectArray(np.full([2], true), [1, 1], { dtype: "bool" });
    expectArray(np.empty([1]), [0]);
    expect(np.zeros([0, 3]).shape).toEqual([0, 3]);
    expect(np.ones([]).shape).toEqual([]);
    expect(np.zeros([2]).weakType).toBe(false);
  });
  it("full broadcasts an array fill value along trailing axes", () => {
    expectArray(np.full([2, 3], np.array([1, 2, 3])), [[1, 2, 3], [1, 2, 3]]);
    expectArray(np.full([2], np.array(5, { dtype: "int32" })), [5, 5], { dtype: "int32" });
  });
  it("rejects bad shapes naming the op", () => {
    expect(() => np.zeros([2, -1])).toThrow(/^np\.full: shape must be an array of non-negative integers/);
    expect(() => np.full([1.5], 0)).toThrow(TypeError);
  });
  it("*Like copy shape and dtype, with an optional dtype override", () => {
    const x = np.array(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] });
    expectArray(np.zerosLike(x), [[0, 0], [0, 0]], { dtype: "int32" });
    expectArray(np.onesLike(x, { dtype: "float64" }), [[1, 1], [1, 1]], { dtype: "float64" });
    expectArray(np.fullLike(x, 9), [[9, 9], [9, 9]], { dtype: "int32" });
    expectArray(np.emptyLike(np.array([true])), [0], { dtype: "bool" });
    expectArray(np.zerosLike(2.5), 0, { dtype: "float32" });
  });
});

describe("arange", () => {
  it("integer arguments give int32", () => {
    expectArray(np.arange(5), [0, 1, 2, 3, 4], { dtype: "int32" });
    expectArray(np.arange(2, 5), [2, 3, 4], { dtype: "int32" });
    expectArray(np.arange(10, 0, -3), [10, 7, 4, 1], { dtype: "int32" });
    expect(np.arange(0).shape).toEqual([0]);
    expect(np.arange(5, 1).shape).toEqual([0]);
  });
  it("fractional arguments give float32", () => {
    expectArray(np.arange(0, 1, 0.25), [0, 0.25, 0.5, 0.75], { dtype: "float32" });
    expectArray(np.arange(1, 2, 0.1), [1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9], { dtype: "float32" });
    expectArray(np.arange(0.5, 3), [0.5, 1.5, 2.5], { dtype: "float32" });
    expectArray(np.arange(0, 3, 1, { dtype: "float64" }), [0, 1, 2], { dtype: "float64" });
  });
  it("rejects a zero or non-finite step", () => {
    expect(() => np.arange(0, 1, 0)).toThrow("np.arange: step must be a finite non-zero number, got 0.");
    expect(() => np.arange(0, 1, NaN)).toThrow(RangeError);
  });
  it("length is ceil((stop - start) / step), like NumPy (property)", () => {
    fc.assert(fc.property(fc.integer({ min: -20, max: 20 }), fc.integer({ min: -20, max: 20 }), fc.integer({ min: -5, max: 5 }).filter((s) => s !== 0), (a, b, s) => {
      const x = np.arange(a, b, s);
      const n = Math.max(0, Math.ceil((b - a) / s));
      expect(x.shape).toEqual([n]);
      expect(x.toArray()).toEqual(Array.from({ length: n }, (_, i) => a + i * s));
    }), { numRuns: propertyRuns() });
  });
});

describe("linspace", () => {
  it("includes the endpoint by default, exactly", () => {
    expectArray(np.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1], { dtype: "float32" });
    expect(np.linspace(0, 0.3, 7).dataSync()[6]).toBe(Math.fround(0.3));
    expectArray(np.linspace(2, -2, 3), [2, 0, -2]);
  });
  it("samples equal NumPy's float64 samples rounded to the dtype", () => {
    // numpy.linspace(0, 1, 11): float64 samples; float32 output is their rounding.
    const want = [0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9, 1];
    expect(Array.from(np.linspace(0, 1, 11, { dtype: "float64" }).dataSync())).toEqual(want);
    expect(Array.from(np.linspace(0, 1, 11).dataSync())).toEqual(want.map(Math.fround));
    expect(Array.from(np.arange(0, 1, 0.1).dataSync())).toEqual(want.slice(0, 10).map(Math.fround));
    expect(Array.from(np.arange(0, 1, 0.1, { dtype: "float64" }).dataSync())).toEqual(want.slice(0, 10).map((_, i) => i * 0.1));
  });
  it("endpoint false, num 1 and num 0", () => {
    expectArray(np.linspace(0, 1, 4, { endpoint: false }), [0, 0.25, 0.5, 0.75]);
    expectArray(np.linspace(3, 7, 1), [3]);
    expect(np.linspace(0, 1, 0).shape).toEqual([0]);
    expect(np.linspace(0, 1).shape).toEqual([50]);
    expectArray(np.linspace(0, 10, 3, { dtype: "int32" }), [0, 5, 10], { dtype: "int32" });
    expectArray(np.linspace(-1, 0, 3, { dtype: "int32" }), [-1, -1, 0], { dtype: "int32" }); // floors, like NumPy 2
  });
  it("rejects bad num", () => {
    expect(() => np.linspace(0, 1, -1)).toThrow("np.linspace: num must be a non-negative integer, got -1.");
    expect(() => np.linspace(0, 1, 2.5)).toThrow(RangeError);
  });
});

describe("eye and identity", () => {
  it("square, rectangular and offset diagonals", () => {
    expectArray(np.eye(3), [[1, 0, 0], [0, 1, 0], [0, 0, 1]], { dtype: "float32" });
    expectArray(np.eye(2, 3, 1), [[0, 1, 0], [0, 0, 1]]);
    expectArray(np.eye(3, 2, -1), [[0, 0], [1, 0], [0, 1]]);
    expectArray(np.eye(2, 2, 5), [[0, 0], [0, 0]]);
    expectArray(np.identity(2, { dtype: "int32" }), [[1, 0], [0, 1]], { dtype: "int32" });
    expect(np.eye(0).shape).toEqual([0, 0]);
  });
  it("rejects negative sizes", () => {
    expect(() => np.eye(-1)).toThrow(/^np\.eye: shape must be/);
  });
});
