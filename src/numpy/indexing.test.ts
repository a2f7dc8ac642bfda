import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { lax, makeJaxpr, np, TracerError } from "../index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";

const x234 = () => np.reshape(np.arange(24), [2, 3, 4]);
const i32 = (v: unknown) => np.array(v as number[], { dtype: "int32" });

describe("np.index: basic indexing", () => {
  it("takes ints, slices (negative steps too), new axes and ellipses", () => {
    const x = x234();
    expectArray(np.index(x, 1, 2), [20, 21, 22, 23], { dtype: "int32" });
    expectArray(np.index(x, 1, "::-1", "::2"), [[20, 22], [16, 18], [12, 14]]);
    expect(np.index(x, "1:", "-2:").shape).toEqual([1, 2, 4]);
    expectArray(np.index(x, "...", null, 1), [[[1], [5], [9]], [[13], [17], [21]]]);
    expect(np.index(x, null, "...", null).shape).toEqual([1, 2, 3, 4, 1]);
    expect(np.index(x, ":", "5:1").shape).toEqual([2, 0, 4]);
    expectArray(np.index(np.arange(8), "5:1:-2"), [5, 3]);
    expectArray(np.index(np.arange(8), "-3::"), [5, 6, 7]);
    expectArray(np.index(np.arange(5), "::-1"), [4, 3, 2, 1, 0]);
    expectArray(np.index(np.arange(5), -1), 4);
  });

  it("clamps out-of-bounds integers like JAX", () => {
    expectArray(np.index(np.arange(10), 11), 9);
    expectArray(np.index(np.arange(10), -11), 0);
    expectArray(np.index(np.arange(10), [11, -11, -2]), [9, 0, 8]);
  });
});

describe("np.index: advanced indexing", () => {
  it("places index axes as NumPy does (adjacent: in place, separated: first)", () => {
    const x = x234();
    expectArray(np.index(x, ":", 0, [0, 1]), [[0, 1], [12, 13]]);
    expectArray(np.index(x, ":", [0, 1], [0, 1]), [[0, 5], [12, 17]]);
    expectArray(np.index(x, [0, 1], ":", [0, 1]), [[0, 4, 8], [13, 17, 21]]);
    expectArray(np.index(x, 0, ":", [0, 1]), [[0, 4, 8], [1, 5, 9]]);
    expect(np.index(x, i32([[0, 1], [1, 0]])).shape).toEqual([2, 2, 3, 4]);
    expect(np.index(x, ":", i32([[0], [2]]), i32([1, 3])).shape).toEqual([2, 2, 2]);
  });

  it("accepts scalar int arrays and boolean masks (eagerly)", () => {
    const x = x234();
    expectArray(np.index(x, np.array(1, { dtype: "int32" }), 0, 0), 12);
    expectArray(np.index(np.arange(5), [true, false, true, false, true]), [0, 2, 4]);
    expectArray(np.index(x, 1, np.greater(np.index(x, 1), 20)), [21, 22, 23]);
    expect(() => makeJaxpr((m: np.Array) => np.index(np.arange(3), m))(np.array([true, false, true]))).toThrow(TracerError);
  });

  it("reports bad indices clearly", () => {
    const x = x234();
    expect(() => np.index(x, 0, 0, 0, 0)).toThrow(/np\.index: too many indices .* 4 axes are indexed but the array has 3/);
    expect(() => np.index(x, "...", "...")).toThrow(/single ellipsis/);
    expect(() => np.index(x, "1-2")).toThrow(/cannot parse the index string "1-2"/);
    expect(() => np.index(x, "::0")).toThrow(/step cannot be zero/);
    expect(() => np.index(x, 1.5)).toThrow(/not an integer/);
    expect(() => np.index(x, np.array([0.5]))).toThrow(/indices must have an integer dtype, received f32\[1\]/);
    expect(() => np.index(x, [true, false, true])).toThrow(/boolean index of shape \(3,\) does not match/);
    expect(() => np.index(x, i32([0, 1]), i32([0, 1, 2]))).toThrow(/cannot be broadcast/);
  });

  it("stages to a single gather", () => {
    const jaxpr = makeJaxpr((a: np.Array) => np.index(a, [0, 2]))(np.ones([3, 4])).toString();
    expect(jaxpr).toMatch(/gather\[.*slice_sizes=\(1, 4\).*mode=clip/);
    expect(makeJaxpr((a: np.Array) => np.index(a, 1, "::2"))(np.ones([3, 4])).toString()).not.toMatch(/gather/);
  });
});

describe("np.at: functional updates", () => {
  it("sets, adds (accumulating duplicates), multiplies, and takes min/max", () => {
    expectArray(np.at(np.zeros([5]), [0, 0, 2]).add(1), [2, 0, 1, 0, 0]);
    expectArray(np.at(np.arange(4), 1).set(7), [0, 7, 2, 3], { dtype: "int32" });
    const m = np.reshape(np.arange(6), [2, 3]);
    expectArray(np.at(m, ":", 0).multiply(10), [[0, 1, 2], [30, 4, 5]]);
    expectArray(np.at(m, 1).min(4), [[0, 1, 2], [3, 4, 4]]);
    expectArray(np.at(m, 0, "1:").max(np.array([5, 0])), [[0, 5, 2], [3, 4, 5]]);
    expectArray(np.at(m, "...", -1).subtract(1), [[0, 1, 1], [3, 4, 4]]);
    expectArray(np.at(np.zeros([3, 3]), "::2", [0, 2]).set(1), [[1, 0, 1], [0, 0, 0], [1, 0, 1]]);
    expectArray(np.at(np.zeros([2, 3]), null, 1).set([[1, 2, 3]]), [[0, 0, 0], [1, 2, 3]]);
  });

  it("drops out-of-bounds updates and converts values to the array's dtype", () => {
    expectArray(np.at(np.arange(5), [1, 10, -1]).set(9), [0, 9, 2, 3, 9]);
    expectArray(np.at(np.arange(5), -6).set(9), [0, 1, 2, 3, 4]);
    expectArray(np.at(np.arange(3), 0).set(1.7), [1, 1, 2], { dtype: "int32" });
  });

  it("gets with a mode and fill value", () => {
    expectArray(np.at(np.arange(5), [1, 7]).get(), [1, 4]);
    expectArray(np.at(np.arange(5), [1, 7, -1]).get({ mode: "fill", fillValue: -1 }), [1, -1, 4]);
    expectArray(np.at(np.arange(5), 9).get({ mode: "fill", fillValue: -3 }), -3);
  });

  it("rejects values that do not broadcast and stages scatter-add", () => {
    expect(() => np.at(np.zeros([4]), [0, 1]).set(np.ones([3]))).toThrow(/np\.at\(\.\.\.\)\.set: values of shape \(3,\) cannot be broadcast to the indexed shape \(2,\)/);
    const jaxpr = makeJaxpr((a: np.Array) => np.at(a, 0).add(1))(np.ones([3])).toString();
    expect(jaxpr).toMatch(/scatter-add\[.*mode=fill/);
  });

  it("is available as Array methods", () => {
    const x = np.arange(6).reshape([2, 3]);
    expectArray(x.index(1, "::-1"), [5, 4, 3]);
    expectArray(x.at(0, 0).set(9), [[9, 1, 2], [3, 4, 5]]);
    expectArray(x.take([0, 5]), [0, 5]);
    expectArray(x.diagonal(), [0, 4]);
  });
});

describe("np.take", () => {
  const v = () => np.array([4, 5, 6]);
  it("supports fill (default), clip and wrap modes", () => {
    expectArray(np.take(v(), [2, -1, 7, -4]), [6, 6, NaN, NaN]);
    expectArray(np.take(v(), [2, -1, 7], { mode: "clip" }), [6, 4, 6]);
    expectArray(np.take(v(), [2, -1, 7], { mode: "wrap" }), [6, 6, 5]);
    expectArray(np.take(np.arange(3), [5]), [-2147483648]);
    expectArray(np.take(v(), [5], { fillValue: 0 }), [0]);
    expect(() => np.take(v(), [0], { mode: "raise" as never })).toThrow(/mode must be "fill", "clip" or "wrap"/);
    expect(() => np.take(v(), [0.5])).toThrow(/indices must be integers/);
  });

  it("takes along an axis, inserting the index shape there", () => {
    const x = np.reshape(np.arange(12), [3, 4]);
    expectArray(np.take(x, [[0, 3]], { axis: 1 }), [[[0, 3]], [[4, 7]], [[8, 11]]]);
    expectArray(np.take(x, 2, { axis: 0 }), [8, 9, 10, 11]);
    expectArray(np.take(x, [-1], { axis: -2 }), [[8, 9, 10, 11]]);
  });

  it("equals a JS loop (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 1 }),
        fc.array(fc.integer({ min: -6, max: 6 }), { maxLength: 6 }),
        fc.constantFrom("fill" as const, "clip" as const, "wrap" as const),
        (r, c, axis, idx, mode) => {
          const data = Array.from({ length: r * c }, (_, i) => i * 10);
          const x = np.array(data, { shape: [r, c] });
          const n = axis === 0 ? r : c;
          const pick = (i: number): number | null =>
            mode === "clip" ? Math.min(Math.max(i, 0), n - 1)
            : mode === "wrap" ? ((i % n) + n) % n
            : i >= -n && i < n ? (i + n) % n : null;
          const want = axis === 0
            ? idx.map((i) => Array.from({ length: c }, (_, j) => { const p = pick(i); return p === null ? NaN : data[p * c + j]; }))
            : Array.from({ length: r }, (_, a) => idx.map((i) => { const p = pick(i); return p === null ? NaN : data[a * c + p]; }));
          const got = np.take(x, np.array(idx, { dtype: "int32" }), { axis, mode });
          expectArray(got, want, { shape: axis === 0 ? [idx.length, c] : [r, idx.length] });
        },
      ),
      { numRuns: propertyRuns() },
    );
  });
});

describe("takeAlongAxis / putAlongAxis", () => {
  const x = () => np.array([[10, 30, 20], [60, 40, 50]]);
  it("picks along an axis with broadcasting", () => {
    expectArray(np.takeAlongAxis(x(), [[0, 2, 1], [1, 2, 0]], 1), [[10, 20, 30], [40, 50, 60]]);
    expectArray(np.takeAlongAxis(x(), [[0], [2]], 1), [[10], [50]]);
    expectArray(np.takeAlongAxis(x(), [[1, 0, 1]], 0), [[60, 30, 50]]);
    expectArray(np.takeAlongAxis(x(), [4, -1], null), [40, 50]);
    expect(() => np.takeAlongAxis(x(), [0, 1], 1)).toThrow(/indices must have the array's rank 2, received rank 1/);
  });

  it("writes along an axis functionally", () => {
    expectArray(np.putAlongAxis(np.zeros([2, 3]), [[1], [2]], 5, 1), [[0, 5, 0], [0, 0, 5]]);
    expectArray(np.putAlongAxis(x(), [[0, 0, 0]], np.array([[1, 2, 3]]), 0), [[1, 2, 3], [60, 40, 50]]);
    expectArray(np.putAlongAxis(x(), [0, 5], 0, null), [[0, 30, 20], [60, 40, 0]]);
  });
});

describe("lax.gather / lax.scatter wrappers", () => {
  const dn = { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] };
  it("default to fill/drop mode like jax.lax", () => {
    const x = np.reshape(np.arange(6, 12), [3, 2]).astype("float32");
    expectArray(lax.gather(x, i32([[2], [3]]), { dimensionNumbers: dn, sliceSizes: [1, 2] }), [[10, 11], [NaN, NaN]]);
    expectArray(lax.gather(x, i32([[2], [3]]), { dimensionNumbers: dn, sliceSizes: [1, 2], mode: "clip" }), [[10, 11], [10, 11]]);
    const sdn = { updateWindowDims: [], insertedWindowDims: [0], scatterDimsToOperandDims: [0] };
    expectArray(lax.scatterAdd(np.zeros([3]), i32([[1], [1], [3]]), np.ones([3]), { dimensionNumbers: sdn, mode: "drop" }), [0, 2, 0]);
    expectArray(lax.scatterMax(np.zeros([3]), i32([[0], [2]]), np.array([-1, 4]), { dimensionNumbers: sdn }), [0, 0, 4]);
    expect(() => lax.scatter(np.zeros([3]), i32([[0]]), np.ones([1]), { dimensionNumbers: sdn, mode: "wrap" as never })).toThrow(
      /lax\.scatter: mode must be "clip", "fill", "drop" or "promise_in_bounds"/,
    );
  });
});
