import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as np from "./index.js";
import { ShapeError } from "../ir/index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";
import { shapedData } from "../../tests/property/generators.js";

const r6 = () => np.arange(6);

describe("reshape", () => {
  it("with and without -1", () => {
    expectArray(np.reshape(r6(), [2, 3]), [[0, 1, 2], [3, 4, 5]], { dtype: "int32" });
    expect(np.reshape(r6(), [2, -1]).shape).toEqual([2, 3]);
    expect(np.reshape(r6(), [-1]).shape).toEqual([6]);
    expect(np.reshape(r6(), 6).shape).toEqual([6]);
    expect(np.reshape(np.zeros([0, 3]), [-1, 3]).shape).toEqual([0, 3]);
    expect(np.reshape(np.array(5), [1, 1]).shape).toEqual([1, 1]);
    expect(r6().reshape([3, 2]).shape).toEqual([3, 2]);
  });
  it("errors", () => {
    expect(() => np.reshape(r6(), [4, -1])).toThrow("np.reshape: cannot reshape 6 elements of shape (6,) into (4, -1).");
    expect(() => np.reshape(r6(), [-1, -1])).toThrow("np.reshape: invalid shape (-1, -1); use non-negative sizes and at most one -1.");
    expect(() => np.reshape(r6(), [4])).toThrow(
      "np.reshape: cannot reshape an array of shape (6,) (6 elements) into (4,) (4 elements).",
    );
    expect(() => np.reshape(r6(), [2, -2])).toThrow(ShapeError);
    expect(() => np.reshape(np.zeros([0]), [0, -1])).toThrow(ShapeError);
  });
});

describe("transpose, expandDims, squeeze, ravel", () => {
  it("transpose reverses by default and accepts negative axes", () => {
    const a = np.reshape(np.arange(24), [2, 3, 4]);
    expect(np.transpose(a).shape).toEqual([4, 3, 2]);
    expect(np.transpose(a, [1, -1, 0]).shape).toEqual([3, 4, 2]);
    expectArray(np.transpose(np.reshape(r6(), [2, 3])), [[0, 3], [1, 4], [2, 5]]);
    expectArray(np.reshape(r6(), [2, 3]).T, [[0, 3], [1, 4], [2, 5]]);
    expect(np.reshape(np.arange(24), [2, 3, 4]).mT.shape).toEqual([2, 4, 3]);
    expect(() => np.transpose(a, [0, 0, 1])).toThrow("np.transpose: axes [0,0,1] are not a permutation of the 3 axes of (2, 3, 4).");
    expect(() => np.transpose(a, [0, 1])).toThrow(ShapeError);
    expect(() => np.matrixTranspose(np.arange(3))).toThrow("np.matrixTranspose: needs rank >= 2, got (3,).");
  });
  it("expandDims inserts axes at result positions", () => {
    expect(np.expandDims(np.arange(3), 0).shape).toEqual([1, 3]);
    expect(np.expandDims(np.arange(3), -1).shape).toEqual([3, 1]);
    expect(np.expandDims(np.arange(3), [0, 2]).shape).toEqual([1, 3, 1]);
    expect(() => np.expandDims(np.arange(3), 3)).toThrow(/np\.expandDims: axis 3 is out of bounds for an array of rank 2/);
  });
  it("squeeze removes all or the given size-1 axes, and rejects others", () => {
    const a = np.zeros([1, 3, 1]);
    expect(np.squeeze(a).shape).toEqual([3]);
    expect(np.squeeze(a, 0).shape).toEqual([3, 1]);
    expect(np.squeeze(a, [-1]).shape).toEqual([1, 3]);
    expect(np.squeeze(np.zeros([1])).shape).toEqual([]);
    expect(() => np.squeeze(a, 1)).toThrow("np.squeeze: cannot squeeze axis 1 of size 3 (shape (1, 3, 1)).");
    expect(() => np.squeeze(a, 3)).toThrow(RangeError);
  });
  it("ravel and flatten", () => {
    expectArray(np.ravel(np.reshape(r6(), [3, 2])), [0, 1, 2, 3, 4, 5]);
    expect(np.flatten(np.array(3)).shape).toEqual([1]);
  });
  it("broadcastTo", () => {
    expectArray(np.broadcastTo(np.array([1, 2]), [2, 2]), [[1, 2], [1, 2]]);
    expectArray(np.broadcastTo(np.array([[1], [2]]), [2, 3]), [[1, 1, 1], [2, 2, 2]]);
    expect(() => np.broadcastTo(np.array([1, 2]), [3])).toThrow(/np\.broadcastTo/);
    expect(() => np.broadcastTo(np.zeros([2, 1]), [1])).toThrow(/np\.broadcastTo: cannot broadcast shape \(2, 1\) to \(1,\)/);
  });
});

describe("concatenate and stack", () => {
  it("concatenate along an axis, promoting dtypes", () => {
    expectArray(np.concatenate([np.array([1, 2]), np.array([3])]), [1, 2, 3]);
    expectArray(np.concatenate([np.array([[1], [2]]), np.array([[3, 4], [5, 6]])], 1), [[1, 3, 4], [2, 5, 6]]);
    expectArray(np.concatenate([np.array([[1, 2]]), np.array([[3, 4]])], -2), [[1, 2], [3, 4]]);
    const c = np.concatenate([np.arange(2), np.array([0.5])]);
    expect(c.dtype).toBe("float32");
    expectArray(c, [0, 1, 0.5]);
    const one = np.array([1]);
    expect(np.concatenate([one])).toBe(one);
  });
  it("concatenate errors", () => {
    expect(() => np.concatenate([])).toThrow("np.concatenate: need at least one array to concatenate.");
    expect(() => np.concatenate([np.array(1), np.array(2)])).toThrow(/zero-dimensional arrays cannot be concatenated; use np\.stack/);
    expect(() => np.concatenate([np.zeros([2, 3]), np.zeros([2, 2])])).toThrow(
      "np.concatenate: all shapes must match except on axis 0; received (2, 3), (2, 2).",
    );
    expect(() => np.concatenate([np.zeros([2]), np.zeros([2, 2])])).toThrow(ShapeError);
  });
  it("stack adds an axis", () => {
    expectArray(np.stack([np.array([1, 2]), np.array([3, 4])]), [[1, 2], [3, 4]]);
    expectArray(np.stack([np.array([1, 2]), np.array([3, 4])], 1), [[1, 3], [2, 4]]);
    expectArray(np.stack([np.array([1, 2]), np.array([3, 4])], -1), [[1, 3], [2, 4]]);
    expectArray(np.stack([np.array(1), np.array(2)]), [1, 2]);
    expect(() => np.stack([np.zeros([2]), np.zeros([3])])).toThrow("np.stack: all arrays must have the same shape; received (2,), (3,).");
    expect(() => np.stack([])).toThrow(ShapeError);
  });
});

describe("split and arraySplit", () => {
  const parts = (xs: ReturnType<typeof np.split>) => xs.map((t) => t.toArray());
  it("split into equal sections or at indices", () => {
    expect(parts(np.split(r6(), 3))).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(parts(np.split(r6(), [1, 4]))).toEqual([[0], [1, 2, 3], [4, 5]]);
    expect(parts(np.split(r6(), [4, 2]))).toEqual([[0, 1, 2, 3], [], [2, 3, 4, 5]]);
    expect(parts(np.split(r6(), [-2]))).toEqual([[0, 1, 2, 3], [4, 5]]);
    expect(parts(np.split(r6(), [-10, 3]))).toEqual([[], [0, 1, 2], [3, 4, 5]]);
    expect(parts(np.split(r6(), [10]))).toEqual([[0, 1, 2, 3, 4, 5], []]);
    expect(parts(np.split(np.reshape(r6(), [2, 3]), 3, 1))).toEqual([[[0], [3]], [[1], [4]], [[2], [5]]]);
    expect(() => np.split(r6(), 4)).toThrow(
      "np.split: axis 0 of size 6 does not divide into 4 equal sections; use arraySplit for unequal parts.",
    );
    expect(() => np.split(r6(), 0)).toThrow(ShapeError);
  });
  it("arraySplit makes the first parts one longer", () => {
    expect(parts(np.arraySplit(np.arange(7), 3))).toEqual([[0, 1, 2], [3, 4], [5, 6]]);
    expect(parts(np.arraySplit(np.arange(2), 3))).toEqual([[0], [1], []]);
    expect(parts(np.arraySplit(r6(), [2]))).toEqual([[0, 1], [2, 3, 4, 5]]);
  });
  it("concatenating the parts gives the array back (property)", () => {
    fc.assert(fc.property(shapedData({ minRank: 1, maxRank: 3 }).chain((d) =>
      fc.tuple(fc.nat({ max: d.shape.length - 1 }), fc.integer({ min: 1, max: 5 })).map(([axis, n]) => ({ ...d, axis, n }))), ({ shape, data, axis, n }) => {
      const a = np.array(data, { shape });
      const ps = np.arraySplit(a, n, axis);
      expect(ps.length).toBe(n);
      const sizes = ps.map((p) => p.shape[axis]);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(np.concatenate(ps, axis).toArray()).toEqual(a.toArray());
    }), { numRuns: propertyRuns() });
  });
});
