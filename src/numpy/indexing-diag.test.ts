import { describe, expect, it } from "vitest";
import { makeJaxpr, np, TracerError } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";

const m33 = () => np.reshape(np.arange(9), [3, 3]);

describe("diagonals", () => {
  it("diagonal takes offsets and axes, appending the diagonal axis", () => {
    expectArray(np.diagonal(m33()), [0, 4, 8], { dtype: "int32" });
    expectArray(np.diagonal(m33(), { offset: 1 }), [1, 5]);
    expectArray(np.diagonal(m33(), { offset: -2 }), [6]);
    expect(np.diagonal(m33(), { offset: 3 }).shape).toEqual([0]);
    const x = np.reshape(np.arange(8), [2, 2, 2]);
    expectArray(np.diagonal(x), [[0, 6], [1, 7]]); // NumPy: a.diagonal() of arange(8).reshape(2,2,2)
    expectArray(np.diagonal(x, { axis1: 1, axis2: 2 }), [[0, 3], [4, 7]]);
    expect(() => np.diagonal(np.arange(3))).toThrow(/np\.diagonal: needs an array of rank >= 2/);
    expect(() => np.diagonal(m33(), { axis1: 1, axis2: -1 })).toThrow(/cannot be the same axis/);
  });

  it("diag builds or extracts, diagflat flattens, trace sums", () => {
    expectArray(np.diag(np.array([1, 2]), 1), [[0, 1, 0], [0, 0, 2], [0, 0, 0]]);
    expectArray(np.diag(np.array([1, 2]), -1), [[0, 0, 0], [1, 0, 0], [0, 2, 0]]);
    expectArray(np.diag(m33(), -1), [3, 7]);
    expectArray(np.diagflat([[1, 2]]), [[1, 0], [0, 2]]);
    expectArray(np.trace(m33()), 12, { dtype: "int32" });
    expectArray(np.trace(m33(), { offset: 1 }), 6);
    expectArray(np.trace(np.eye(3)), 3, { dtype: "float32" });
    expect(() => np.diag(np.ones([2, 2, 2]))).toThrow(/1-D or 2-D/);
  });

  it("fillDiagonal is functional and follows NumPy's wrap rule", () => {
    const a = np.zeros([2, 2]);
    expectArray(np.fillDiagonal(a, 5), [[5, 0], [0, 5]]);
    expectArray(a, [[0, 0], [0, 0]]);
    // NumPy docs: a tall 5x3 matrix with wrap=True restarts the diagonal after a blank row.
    expectArray(np.fillDiagonal(np.zeros([5, 3]), 4, { wrap: true }), [[4, 0, 0], [0, 4, 0], [0, 0, 4], [0, 0, 0], [4, 0, 0]]);
    expectArray(np.fillDiagonal(np.zeros([5, 3]), np.array([1, 2])), [[1, 0, 0], [0, 2, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]);
    expectArray(np.fillDiagonal(np.zeros([2, 2, 2]), 7), [[[7, 0], [0, 0]], [[0, 0], [0, 7]]]);
    expect(() => np.fillDiagonal(np.zeros([2, 3, 2]), 1)).toThrow(/all axes of equal length/);
  });
});

describe("triangles", () => {
  it("tri, tril and triu match NumPy", () => {
    expectArray(np.tri(3, 4, 1), [[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], { dtype: "float32" });
    expectArray(np.tri(2, 2, 0, { dtype: "int32" }), [[1, 0], [1, 1]], { dtype: "int32" });
    expectArray(np.tril(m33()), [[0, 0, 0], [3, 4, 0], [6, 7, 8]]);
    expectArray(np.tril(m33(), -1), [[0, 0, 0], [3, 0, 0], [6, 7, 0]]);
    expectArray(np.triu(m33(), 1), [[0, 1, 2], [0, 0, 5], [0, 0, 0]]);
    expectArray(np.triu(np.ones([2, 2, 3])), [[[1, 1, 1], [0, 1, 1]], [[1, 1, 1], [0, 1, 1]]]);
    expect(() => np.tril(np.arange(3))).toThrow(/rank >= 2/);
  });

  it("triu/tril indices are int32 and consistent with triu/tril", () => {
    const [r, c] = np.triuIndices(3);
    expectArray(r, [0, 0, 0, 1, 1, 2], { dtype: "int32" });
    expectArray(c, [0, 1, 2, 1, 2, 2], { dtype: "int32" });
    const [lr, lc] = np.trilIndices(3, -1);
    expectArray(lr, [1, 2, 2]);
    expectArray(lc, [0, 0, 1]);
    const [fr, fc] = np.triuIndicesFrom(np.ones([2, 4]), 2);
    expectArray(fr, [0, 0, 1]);
    expectArray(fc, [2, 3, 3]);
    expectArray(np.index(m33(), ...np.trilIndicesFrom(m33())), [0, 3, 4, 6, 7, 8]);
  });
});

describe("index grids", () => {
  it("indices builds dense and sparse grids", () => {
    const g = np.indices([2, 3]) as np.Array;
    expectArray(g, [[[0, 0, 0], [1, 1, 1]], [[0, 1, 2], [0, 1, 2]]], { dtype: "int32" });
    const [a, b] = np.indices([2, 3], { sparse: true }) as np.Array[];
    expect(a.shape).toEqual([2, 1]);
    expectArray(b, [[0, 1, 2]]);
  });

  it("ravelMultiIndex and unravelIndex invert each other", () => {
    expectArray(np.ravelMultiIndex([[3, 6, 6], [4, 5, 1]], [7, 6]), [22, 41, 37], { dtype: "int32" }); // NumPy docs
    expectArray(np.ravelMultiIndex([[3, 9], [4, -1]], [7, 6], { mode: "clip" }), [22, 36]);
    expectArray(np.ravelMultiIndex([[3, 9], [4, -1]], [7, 6], { mode: "wrap" }), [22, 17]);
    expect(() => np.ravelMultiIndex([[7], [0]], [7, 6])).toThrow(/invalid entry in coordinates array for dimension 0/);
    expect(() => makeJaxpr((i: np.Array) => np.ravelMultiIndex([i, i], [3, 3]))(np.array([1], { dtype: "int32" }))).toThrow(TracerError);
    const [i, j] = np.unravelIndex([22, 41, 37], [7, 6]);
    expectArray(i, [3, 6, 6]);
    expectArray(j, [4, 5, 1]);
    const [k, l] = np.unravelIndex([-1, 100], [2, 3]);
    expectArray(k, [1, 1]);
    expectArray(l, [2, 2]);
  });
});
