import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as np from "./index.js";
import { ShapeError } from "../ir/index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";
import { broadcastPair } from "../../tests/property/generators.js";

type Nested = number | Nested[];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
/** Deterministic small integers so float32 products are exact. */
const ramp = (shape: number[], k = 1) => np.reshape(np.array(Array.from({ length: size(shape) }, (_, i) => ((i * k) % 7) - 3)), shape);
const nested = (x: ReturnType<typeof np.array>) => x.toArray() as Nested;

/** Plain matrix product of nested 2-D arrays. */
const mm = (a: number[][], b: number[][]) => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));

describe("matmul", () => {
  it("2-D x 2-D", () => {
    expectArray(np.matmul(np.array([[1, 2, 3], [4, 5, 6]]), np.array([[7, 8], [9, 10], [11, 12]])), [[58, 64], [139, 154]]);
  });
  it("vector cases drop the added axis", () => {
    const m = np.array([[1, 2], [3, 4]]);
    const v = np.array([5, 6]);
    expectArray(np.matmul(m, v), [17, 39]);
    expectArray(np.matmul(v, m), [23, 34]);
    expectArray(np.matmul(v, v), 61);
    const batch = ramp([3, 2, 4]);
    expect(np.matmul(batch, np.ones([4])).shape).toEqual([3, 2]);
    expect(np.matmul(np.ones([2]), batch).shape).toEqual([3, 4]);
  });
  it("batch axes broadcast", () => {
    expect(np.matmul(np.ones([2, 1, 3, 4]), np.ones([5, 4, 6])).shape).toEqual([2, 5, 3, 6]);
    expect(np.matmul(np.ones([3, 4]), np.ones([7, 4, 2])).shape).toEqual([7, 3, 2]);
    const a = ramp([2, 2, 3]);
    const b = ramp([3, 2], 2);
    const got = np.matmul(a, b).toArray() as number[][][];
    const A = a.toArray() as number[][][];
    const B = b.toArray() as number[][];
    expect(got).toEqual(A.map((m) => mm(m, B)));
  });
  it("promotes dtypes and names shapes in errors", () => {
    expect(np.matmul(np.ones([2, 2], { dtype: "int32" }), np.ones([2, 2])).dtype).toBe("float32");
    expect(np.matmul(np.ones([2, 2], { dtype: "int32" }), np.ones([2], { dtype: "int32" })).dtype).toBe("int32");
    expect(() => np.matmul(np.ones([2, 3]), np.ones([4, 2]))).toThrow(
      "np.matmul: the inner dimensions differ: (2, 3) @ (4, 2) (3 vs 4). The last axis of the first operand must equal the second-to-last axis of the second.",
    );
    expect(() => np.matmul(np.ones([3]), np.ones([4]))).toThrow(/\(3,\) @ \(4,\)/);
    expect(() => np.matmul(np.array(2), np.ones([2]))).toThrow(/operands must be at least 1-D.*use np\.multiply/);
    expect(() => np.matmul(np.ones([2, 2, 3]), np.ones([3, 3, 1]))).toThrow(/np\.matmul: shapes \(2,\), \(3,\) cannot be broadcast/);
    expect(np.ones([2, 3]).matmul(np.ones([3])).shape).toEqual([2]);
  });
  it("agrees with a naive loop over broadcast batches (property)", () => {
    fc.assert(fc.property(broadcastPair({ maxRank: 2, maxDim: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }), ({ a: ba, b: bb, out }, m, k, n) => {
      const a = ramp([...ba, m, k]);
      const b = ramp([...bb, k, n], 3);
      const got = np.matmul(a, b);
      expect(got.shape).toEqual([...out, m, n]);
      // Reference: broadcast both to the batch shape, then multiply each matrix.
      const A = np.broadcastTo(a, [...out, m, k]).toArray();
      const B = np.broadcastTo(b, [...out, k, n]).toArray();
      const rec = (x: unknown, y: unknown, depth: number): unknown =>
        depth === out.length ? (k === 0 ? Array.from({ length: m }, () => new Array(n).fill(0)) : mm(x as number[][], y as number[][]))
          : (x as unknown[]).map((xi, i) => rec(xi, (y as unknown[])[i], depth + 1));
      expect(got.toArray()).toEqual(rec(A, B, 0));
    }), { numRuns: propertyRuns(60) });
  });
});

describe("dot, inner, outer, vdot, tensordot", () => {
  it("dot", () => {
    expectArray(np.dot(np.array([1, 2, 3]), np.array([4, 5, 6])), 32);
    expectArray(np.dot(np.array([[1, 2], [3, 4]]), np.array([5, 6])), [17, 39]);
    expectArray(np.dot(np.array([[1, 2], [3, 4]]), np.array([[5, 6], [7, 8]])), [[19, 22], [43, 50]]);
    expectArray(np.dot(2, np.array([1, 2])), [2, 4]);
    // N-D: contracts the last axis of x with the second-to-last of y: out[i, j, k] = sum_l x[i, l] y[j, l, k]
    const x = ramp([2, 3]);
    const y = ramp([4, 3, 5], 2);
    const got = np.dot(x, y);
    expect(got.shape).toEqual([2, 4, 5]);
    const X = x.toArray() as number[][];
    const Y = y.toArray() as number[][][];
    expect(got.toArray()).toEqual(X.map((row) => Y.map((mat) => mm([row], mat)[0])));
    expect(() => np.dot(np.ones([2, 3]), np.ones([2, 3]))).toThrow("np.dot: shapes (2, 3) and (2, 3) are not aligned: 3 (axis 1) != 2 (axis 0).");
    expect(np.ones([2]).dot(np.ones([2])).item()).toBe(2);
  });
  it("inner contracts the last axes", () => {
    expectArray(np.inner(np.array([1, 2]), np.array([3, 4])), 11);
    expectArray(np.inner(np.array([[1, 2], [3, 4]]), np.array([[1, 0], [0, 1], [1, 1]])), [[1, 2, 3], [3, 4, 7]]);
    expectArray(np.inner(3, np.array([1, 2])), [3, 6]);
    expect(() => np.inner(np.ones([2]), np.ones([3]))).toThrow("np.inner: last dimensions differ: (2,) and (3,).");
  });
  it("outer flattens its inputs", () => {
    expectArray(np.outer(np.array([1, 2]), np.array([3, 4, 5])), [[3, 4, 5], [6, 8, 10]]);
    expect(np.outer(np.ones([2, 2]), np.ones([3])).shape).toEqual([4, 3]);
    expect(np.outer(np.array(2), np.array([1, 2])).shape).toEqual([1, 2]);
  });
  it("vdot flattens both", () => {
    expectArray(np.vdot(np.array([[1, 2], [3, 4]]), np.array([1, 1, 1, 1])), 10);
    expect(() => np.vdot(np.ones([2]), np.ones([3]))).toThrow("np.vdot: sizes differ: 2 and 3.");
  });
  it("tensordot with an integer and with axis lists", () => {
    const a = ramp([2, 3, 4]);
    const b = ramp([3, 4, 5], 2);
    const t = np.tensordot(a, b);
    expect(t.shape).toEqual([2, 5]);
    const A = a.toArray() as number[][][];
    const B = b.toArray() as number[][][];
    const want = A.map((ai) => Array.from({ length: 5 }, (_, k) => ai.reduce((s, row, i) => s + row.reduce((u, v, j) => u + v * B[i][j][k], 0), 0)));
    expect(t.toArray()).toEqual(want);
    expect(np.tensordot(a, b, [[1, 2], [0, 1]]).toArray()).toEqual(want);
    expect(np.tensordot(a, b, [[-2, -1], [0, 1]]).toArray()).toEqual(want);
    expect(np.tensordot(np.ones([2]), np.ones([3]), 0).shape).toEqual([2, 3]);
    expect(np.tensordot(a, np.ones([4, 2]), 1).shape).toEqual([2, 3, 2]);
    expect(() => np.tensordot(a, b, [[0, 1], [0]])).toThrow(/^np\.tensordot: the axis lists differ in length \(\[0,1\] and \[0\]\)/);
    expect(() => np.tensordot(a, b, [[5], [0]])).toThrow(/^np\.tensordot: axis 5 is out of bounds for an array of rank 3/);
    expect(() => np.tensordot(a, b, [[1, -2], [0, 1]])).toThrow(/^np\.tensordot: repeated axis/);
    expect(() => np.tensordot(np.ones([2]), np.ones([2]), 2)).toThrow("np.tensordot: cannot contract 2 axes of (2,) with (2,).");
    expect(() => np.tensordot(a, b, [[0], [0]])).toThrow(
      "np.tensordot: axis 0 of (2, 3, 4) (2) does not match axis 0 of (3, 4, 5) (3).",
    );
  });
  it("all products agree with matmul on matrices (property)", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), (m, k, n) => {
      const a = ramp([m, k]);
      const b = ramp([k, n], 5);
      const want = nested(np.matmul(a, b));
      expect(nested(np.dot(a, b))).toEqual(want);
      expect(nested(np.tensordot(a, b, 1))).toEqual(want);
      expect(nested(np.inner(a, np.transpose(b)))).toEqual(want);
      expect(np.vdot(a, a).item()).toBe(np.sum(np.multiply(a, a)).item());
    }), { numRuns: propertyRuns(40) });
  });
});

it("ShapeError is a TypeError", () => {
  expect(() => np.dot(np.ones([2]), np.ones([3]))).toThrow(ShapeError);
  expect(() => np.dot(np.ones([2]), np.ones([3]))).toThrow(TypeError);
});
