import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";
import { makeJaxpr } from "../trace/jaxpr-trace.js";
import type { Tracer } from "../trace/core.js";
import { array, eye, ones, zeros } from "./creation.js";
import * as linalg from "./linalg.js";

const { norm, vectorNorm, matrixNorm, vecdot, outer, trace, diagonal, cross, matrixPower, multiDot } = linalg;

describe("np.linalg.norm", () => {
  const v = array([3, -4]);
  const m = array([[1, -2], [3, 4]]);

  it("computes vector norms of every order", () => {
    expectArray(norm(v), 5);
    expectArray(norm(v, { ord: 2 }), 5);
    expectArray(norm(v, { ord: 1 }), 7);
    expectArray(norm(v, { ord: Infinity }), 4);
    expectArray(norm(v, { ord: -Infinity }), 3);
    expectArray(norm(array([3, 0, -4]), { ord: 0 }), 2);
    expectArray(norm(v, { ord: 3 }), Math.cbrt(27 + 64), { rtol: 1e-6 });
    expectArray(norm(v, { ord: -1 }), 1 / (1 / 3 + 1 / 4), { rtol: 1e-6 });
    expect(norm(array([3, 4], { dtype: "int32" })).dtype).toBe("float32");
  });

  it("computes matrix norms", () => {
    expectArray(norm(m), Math.sqrt(30), { rtol: 1e-6 }); // Frobenius by default
    expectArray(norm(m, { ord: "fro" }), Math.sqrt(30), { rtol: 1e-6 });
    expectArray(norm(m, { ord: 1 }), 6); // column sums |.|: 4, 6
    expectArray(norm(m, { ord: -1 }), 4);
    expectArray(norm(m, { ord: Infinity }), 7); // row sums |.|: 3, 7
    expectArray(norm(m, { ord: -Infinity }), 3);
    expectArray(norm(m, { ord: 1, axis: [1, 0] }), 7); // swapped axes swap the roles
  });

  it("honours axis and keepdims", () => {
    expectArray(norm(m, { axis: 0 }), [Math.sqrt(10), Math.sqrt(20)], { rtol: 1e-6 });
    expectArray(norm(m, { axis: -1, ord: 1 }), [3, 7]);
    expect(norm(m, { axis: 1, keepdims: true }).shape).toEqual([2, 1]);
    expect(norm(m, { keepdims: true }).shape).toEqual([1, 1]);
    expect(norm(ones([2, 3, 4]), { ord: Infinity, axis: [0, 2], keepdims: true }).shape).toEqual([1, 3, 1]);
    expectArray(norm(ones([2, 3, 4]), { ord: 1, axis: [2, 1] }), [4, 4]);
  });

  it("explains unsupported orders and shapes", () => {
    expect(() => norm(m, { ord: 2 })).toThrow(/np\.linalg\.norm: ord 2 needs singular values/);
    expect(() => norm(m, { ord: "nuc" })).toThrow(/"nuc" needs singular values/);
    expect(() => norm(v, { ord: "fro" })).toThrow(/invalid order "fro" for a vector norm/);
    expect(() => norm(ones([2, 2, 2]), { ord: 1 })).toThrow(/must be 1-D or 2-D.*\(2, 2, 2\)/);
    expect(() => norm(m, { axis: 2 })).toThrow(/axis 2 is out of bounds/);
  });

  it("agrees with a JS loop for random vectors and p", () => {
    const vec = fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(vec, fc.constantFrom(1, 2, 3, 0.5, Infinity), (xs, p) => {
        const a = xs.map(Math.abs);
        const want = p === Infinity ? Math.max(...a) : a.reduce((s, x) => s + x ** p, 0) ** (1 / p);
        expectArray(norm(xs, { ord: p }), want, { rtol: 1e-5, atol: 1e-6 });
      }),
      { numRuns: propertyRuns() },
    );
  });
});

describe("np.linalg array-API norms", () => {
  it("vectorNorm flattens by default and takes several axes", () => {
    expectArray(vectorNorm([[1, 2], [2, 4]], { ord: 1 }), 9);
    expectArray(vectorNorm([[3, 0], [0, 4]]), 5);
    expectArray(vectorNorm(ones([2, 3, 4]), { axis: [0, 2] }), [Math.sqrt(8), Math.sqrt(8), Math.sqrt(8)], { rtol: 1e-6 });
  });

  it("matrixNorm works over a batch of matrices", () => {
    expectArray(matrixNorm(eye(3)), Math.sqrt(3), { rtol: 1e-6 });
    expectArray(matrixNorm(array([[[1, 2], [3, 4]], [[1, 0], [0, 1]]]), { ord: Infinity }), [7, 1]);
    expect(matrixNorm(zeros([5, 2, 2]), { keepdims: true }).shape).toEqual([5, 1, 1]);
    expect(() => matrixNorm([1, 2])).toThrow(/np\.linalg\.matrixNorm: expected shape \(\.\.\., m, n\)/);
  });
});

describe("np.linalg products", () => {
  it("vecdot contracts one axis with broadcasting, as one dot_general", () => {
    expectArray(vecdot([[1, 2], [3, 4]], [1, 1]), [3, 7]);
    expectArray(vecdot([[1, 2], [3, 4]], [[1], [2]], { axis: 0 }), [7, 10]);
    const prims = makeJaxpr((a: Tracer, b: Tracer) => vecdot(a, b))(ones([4, 3]), ones([4, 3])).program.eqns.map((e) => e.prim);
    expect(prims).toEqual(["dot_general"]);
    expect(() => vecdot(ones([2, 3]), ones([2, 1]))).toThrow(/np\.linalg\.vecdot: axis 1 must have one size/);
  });

  it("outer needs 1-D inputs", () => {
    expectArray(outer([1, 2], [1, 10]), [[1, 10], [2, 20]]);
    expect(() => outer(ones([2, 2]), [1])).toThrow(/expected two 1-D arrays/);
  });

  it("re-exports matmul, tensordot, matrixTranspose and kron", () => {
    expectArray(linalg.matmul([[1, 2]], [[3], [4]]), [[11]]);
    expectArray(linalg.tensordot([1, 2], [3, 4], 1), 11);
    expectArray(linalg.matrixTranspose([[1, 2]]), [[1], [2]]);
    expectArray(linalg.kron([1, 2], [1, 1]), [1, 1, 2, 2]);
  });

  it("cross products of 3-vectors", () => {
    expectArray(cross([1, 0, 0], [0, 1, 0]), [0, 0, 1]);
    expectArray(cross([[1, 2, 3], [0, 0, 1]], [4, 5, 6]), [[-3, 6, -3], [-5, 4, 0]]);
    expectArray(cross([[1, 0], [0, 1], [0, 0]], [[0, 0], [1, 0], [0, 1]], { axis: 0 }), [[0, 1], [0, 0], [1, 0]]);
    expect(() => cross([1, 2], [3, 4])).toThrow(/np\.linalg\.cross: axis 0 must have size 3/);
  });

  it("matrixPower by repeated squaring, inverse for negative powers", () => {
    const fib = array([[1, 1], [1, 0]], { dtype: "int32" });
    const p = matrixPower(fib, 10);
    expect(p.dtype).toBe("int32");
    expectArray(p, [[89, 55], [55, 34]]);
    expectArray(matrixPower(fib, 0), [[1, 0], [0, 1]]);
    expectArray(matrixPower([[2, 0], [0, 4]], -2), [[0.25, 0], [0, 0.0625]]);
    const dots = makeJaxpr((x: Tracer) => matrixPower(x, 8))(ones([2, 2])).program.eqns.filter((e) => e.prim === "dot_general");
    expect(dots).toHaveLength(3); // x^2, x^4, x^8
    expect(() => matrixPower(ones([2, 3]), 2)).toThrow(/expected square matrices/);
    expect(() => matrixPower(eye(2), 1.5)).toThrow(/the exponent must be an integer/);
  });

  it("multiDot picks the cheapest parenthesization and keeps the value", () => {
    const a = ones([10, 100]);
    const b = ones([100, 5]);
    const c = ones([5, 50]);
    const eqns = makeJaxpr((x: Tracer, y: Tracer, z: Tracer) => multiDot([x, y, z]))(a, b, c).program.eqns;
    const dots = eqns.filter((e) => e.prim === "dot_general");
    expect(dots[0].outs[0].aval.shape).toEqual([10, 5]); // (AB)C: 7,500 multiplies, not 75,000
    expectArray(multiDot([[1, 2], [[1, 0], [0, 1]], [3, 4]]), 11);
    expectArray(multiDot([[[1, 2]], [[1], [1]]]), [[3]]);
    expect(() => multiDot([ones([2, 3]), ones([2, 3])])).toThrow(/arrays 0 and 1 do not chain/);
  });
});

describe("np.linalg trace and diagonal", () => {
  const m = array([[1, 2, 3], [4, 5, 6]]);
  it("sums diagonals with offsets and axes", () => {
    expectArray(trace([[1, 2], [3, 4]]), 5);
    expectArray(trace(m, { offset: 1 }), 2 + 6);
    expectArray(trace(m, { offset: -1 }), 4);
    expectArray(trace(m, { offset: 5 }), 0);
    const t = array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]); // t[i, j, k]
    expectArray(trace(t), [5, 13]);
    expectArray(trace(t, { axis1: 0, axis2: 1 }), [1 + 7, 2 + 8]);
    expect(trace(array([[1, 2], [3, 4]], { dtype: "int32" })).dtype).toBe("int32");
  });

  it("extracts diagonals", () => {
    expectArray(diagonal([[1, 2], [3, 4]]), [1, 4]);
    expectArray(diagonal(m, { offset: 1 }), [2, 6]);
    expectArray(diagonal(m, { offset: 2 }), [3]);
    expectArray(diagonal(m, { offset: -1 }), [4]);
    expect(diagonal(m, { offset: 3 }).shape).toEqual([0]);
    expect(() => diagonal([1, 2])).toThrow(/np\.linalg\.diagonal: expected at least 2 axes/);
  });

  it("re-exports the factorizations", () => {
    expectArray(linalg.det([[1, 2], [3, 4]]), -2, { rtol: 1e-6 });
    expect(typeof linalg.inv).toBe("function");
    expect(typeof linalg.solve).toBe("function");
    expect(typeof linalg.cholesky).toBe("function");
    expect(typeof linalg.qr).toBe("function");
    expect(typeof linalg.slogdet).toBe("function");
  });
});
