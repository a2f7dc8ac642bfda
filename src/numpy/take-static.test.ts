import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grad, makeJaxpr, np } from "../index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";
import { MAX_RUNS, takeStatic } from "./take-static.js";
import { takeIndices, takeLast } from "./sort-util.js";

const i32 = (v: number[] | number[][]) => np.array(v, { dtype: "int32" });
const list = (x: np.Array) => Array.from(x.dataSync(), Number);

describe("takeStatic", () => {
  it("few runs stage as slices, many runs as one gather", () => {
    const x = np.arange(12).reshape([3, 4]);
    const runs = makeJaxpr((t: np.Array) => takeStatic(t, 1, [3, 2, 1, 0, 0]))(x).toString();
    expect(runs).not.toMatch(/gather/);
    const many = makeJaxpr((t: np.Array) => takeStatic(t, 1, [0, 2, 1, 3, 0, 2, 1]))(x).toString();
    expect(many).toMatch(/gather\[.*collapsedSliceDims=\(1,\).*slice_sizes=\(3, 1\)/);
    expect(many).not.toMatch(/concatenate/);
    expectArray(takeStatic(x, 1, [0, 2, 1, 3, 0, 2, 1]), [[0, 2, 1, 3, 0, 2, 1], [4, 6, 5, 7, 4, 6, 5], [8, 10, 9, 11, 8, 10, 9]]);
  });
  it("marks sorted and unique index lists", () => {
    const x = np.arange(20);
    expect(makeJaxpr((t: np.Array) => takeStatic(t, 0, [0, 2, 4, 6, 8, 10]))(x).toString()).toMatch(/indices_are_sorted=True unique_indices=True/);
    expect(makeJaxpr((t: np.Array) => takeStatic(t, 0, [0, 0, 2, 2, 4, 6, 9]))(x).toString()).toMatch(/indices_are_sorted=True unique_indices=False/);
  });
  it("np.repeat with many counts is one gather and differentiates (sums over copies)", () => {
    const counts = [1, 2, 0, 3, 1, 2];
    expect(makeJaxpr((t: np.Array) => np.repeat(t, counts))(np.zeros([6])).toString()).toMatch(/gather/);
    expectArray(np.repeat(i32([1, 2, 3, 4, 5, 6]), counts), [1, 2, 2, 4, 4, 4, 5, 6, 6], { dtype: "int32" });
    const g = grad((t: np.Array) => np.sum(np.repeat(t, counts).mul(np.arange(9))))(np.zeros([6]));
    expectArray(g, [0, 3, 0, 12, 6, 15]);
  });
  it("matches a JS take on any index list and axis (both code paths)", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1 }),
      fc.array(fc.nat(), { minLength: 0, maxLength: 3 * MAX_RUNS }),
      (n, axis, raw) => {
        const idx = raw.map((v) => v % n);
        const shape = axis === 0 ? [n, 2] : [2, n];
        const x = np.arange(2 * n).reshape(shape);
        const vals = list(x);
        const want = axis === 0
          ? idx.flatMap((i) => [vals[2 * i], vals[2 * i + 1]])
          : [0, 1].flatMap((r) => idx.map((i) => vals[r * n + i]));
        const got = takeStatic(x, axis, idx);
        expect([...got.shape]).toEqual(axis === 0 ? [idx.length, 2] : [2, idx.length]);
        expect(list(got)).toEqual(want);
      },
    ), { numRuns: propertyRuns() });
  });
});

describe("take helpers of sorting and sampling", () => {
  it("takeIndices is np.take along an axis, one gather", () => {
    const x = np.arange(8).reshape([4, 2]);
    expectArray(takeIndices(x, i32([[3, 0], [1, 1]]), 0), [[[6, 7], [0, 1]], [[2, 3], [2, 3]]]);
    expectArray(takeIndices(x, i32([1, 0, 1]), 1), [[1, 0, 1], [3, 2, 3], [5, 4, 5], [7, 6, 7]]);
    expect(makeJaxpr((t: np.Array) => takeIndices(t, i32([1, 0]), 0))(x).toString()).toMatch(/gather/);
  });
  it("takeLast picks per row with leading index dims, keeping NaN and -0", () => {
    const x = np.array([[10, NaN, 30], [-0, 50, 60]]);
    const got = takeLast(x, i32([[1, 0], [2, 2]]));
    expectArray(got, [[NaN, -0], [30, 60]]);
    expect(Object.is(list(got)[1], -0)).toBe(true);
  });
  it("quantile, searchsorted's sorter and choice go through gather", () => {
    expect(makeJaxpr((t: np.Array) => np.quantile(t, 0.3))(np.zeros([5])).toString()).toMatch(/gather/);
    expect(makeJaxpr((t: np.Array) => np.searchsorted(t, 2, { sorter: i32([2, 0, 1]) }))(np.zeros([3])).toString()).toMatch(/gather/);
    expectArray(np.searchsorted(np.array([3, 1, 2]), np.array([0, 2.5, 4]), { sorter: i32([1, 2, 0]) }), [0, 2, 3], { dtype: "int32" });
  });
});
