import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";
import { makeJaxpr } from "../trace/jaxpr-trace.js";
import type { Tracer } from "../trace/core.js";
import { array, eye, zeros } from "./creation.js";
import { cholesky, det, inv, qr, slogdet, solve } from "./linalg-factor.js";

type Mat = number[][];

const jsMatmul = (a: Mat, b: Mat): Mat => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const jsT = (a: Mat): Mat => a[0].map((_, j) => a.map((row) => row[j]));
const jsEye = (n: number): Mat => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => +(i === j)));
/** A tracer's values as nested rows (last two axes; no batch). */
const rows = (t: Tracer): Mat => {
  const d = Array.from(t.dataSync(), Number);
  const [r, c] = t.shape;
  return Array.from({ length: r }, (_, i) => d.slice(i * c, (i + 1) * c));
};

/** Random n x n matrices with entries in [-1, 1]; `dominant` adds n + 1 to the diagonal (well conditioned). */
const matrix = (n: number, m = n, dominant = false) =>
  fc.array(fc.integer({ min: -8, max: 8 }), { minLength: n * m, maxLength: n * m }).map((v) =>
    Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => v[i * m + j] / 8 + (dominant && i === j ? n + 1 : 0))),
  );
const sized = <T,>(f: (n: number) => fc.Arbitrary<T>) => fc.integer({ min: 1, max: 6 }).chain(f);

describe("np.linalg.det and slogdet", () => {
  it("gives known determinants", () => {
    expectArray(det([[1, 2], [3, 4]]), -2, { rtol: 1e-6 });
    expectArray(det([[4, 3, 2], [1, 5, 7], [2, 8, 1]]), -169, { rtol: 1e-5 });
    expectArray(det(eye(4)), 1);
    expectArray(det([[0, 1, 0], [1, 0, 0], [0, 0, 1]]), -1); // one swap
    expectArray(det([[0, 1, 0], [0, 0, 1], [1, 0, 0]]), 1); // a 3-cycle
    expectArray(det([[1, 2], [2, 4]]), 0);
    expectArray(det([[0, 0], [0, 0]]), 0);
    expectArray(det(zeros([0, 0])), 1);
    expect(det(array([[1, 2], [3, 4]], { dtype: "int32" })).dtype).toBe("float32");
  });

  it("handles batches", () => {
    expectArray(det(array([[[1, 2], [3, 4]], [[2, 0], [0, 3]]])), [-2, 6], { rtol: 1e-6 });
  });

  it("gives sign and log|det| without overflow", () => {
    const [s, l] = slogdet([[4, 3, 2], [1, 5, 7], [2, 8, 1]]);
    expectArray(s, -1);
    expectArray(l, Math.log(169), { rtol: 1e-6 });
    const big = array(Array.from({ length: 40 }, (_, i) => Array.from({ length: 40 }, (_, j) => (i === j ? 1e3 : 0))));
    expectArray(slogdet(big)[1], 40 * Math.log(1e3), { rtol: 1e-5 });
    expect(det(big).dataSync()[0]).toBe(Infinity); // the reason slogdet exists
    const [s0, l0] = slogdet([[1, 2], [2, 4]]);
    expectArray(s0, 0);
    expectArray(l0, -Infinity);
  });

  it("agrees with the cofactor expansion on random 3x3 matrices", () => {
    fc.assert(
      fc.property(matrix(3), (m) => {
        const [[a, b, c], [d, e, f], [g, h, i]] = m;
        const want = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
        expectArray(det(m), want, { atol: 1e-5, rtol: 1e-4 });
      }),
      { numRuns: propertyRuns() },
    );
  });

  it("traces without reading values and refuses large matrices", () => {
    const jaxpr = makeJaxpr((x: Tracer) => det(x))(zeros([3, 3])).toString();
    expect(jaxpr).toContain("argmax");
    expect(() => det(zeros([65, 65]))).toThrow(/np\.linalg\.det: matrices of size 65 are too large.*at most 64/);
    expect(() => det(zeros([2, 3]))).toThrow(/np\.linalg\.det: expected square matrices.*\(2, 3\)/);
  });
});

describe("np.linalg.solve and inv", () => {
  it("solves known systems", () => {
    expectArray(solve([[3, 1], [1, 2]], [9, 8]), [2, 3], { rtol: 1e-6 });
    expectArray(solve([[0, 2], [1, 0]], [[4, 2], [1, 3]]), [[1, 3], [2, 1]]); // needs a pivot swap
    // b of shape (..., n, k) broadcasts its batch against a's.
    const x = solve(array([[[2, 0], [0, 4]], [[1, 0], [0, 1]]]), [[2], [4]]);
    expectArray(x, [[[1], [1]], [[2], [4]]]);
    expectArray(inv([[2, 0], [0, 4]]), [[0.5, 0], [0, 0.25]]);
  });

  it("inv(A) @ A is the identity for well-conditioned random matrices", () => {
    fc.assert(
      fc.property(sized((n) => matrix(n, n, true)), (m) => {
        const got = jsMatmul(rows(inv(m)), m);
        expectArray(array(got), jsEye(m.length), { atol: 1e-5 });
      }),
      { numRuns: propertyRuns() },
    );
  });

  it("A @ solve(A, b) is b", () => {
    fc.assert(
      fc.property(sized((n) => fc.tuple(matrix(n, n, true), matrix(n, 2))), ([a, b]) => {
        expectArray(array(jsMatmul(a, rows(solve(a, b)))), b, { atol: 1e-5 });
      }),
      { numRuns: propertyRuns() },
    );
  });

  it("rejects mismatched right-hand sides", () => {
    expect(() => solve(eye(3), [1, 2])).toThrow(/np\.linalg\.solve: b must have shape \(3,\) or \(\.\.\., 3, k\).*\(2,\)/);
  });
});

describe("np.linalg.cholesky", () => {
  it("factors a known matrix and reads only the lower triangle", () => {
    expectArray(cholesky([[4, 2], [2, 3]]), [[2, 0], [1, Math.SQRT2]], { rtol: 1e-6 });
    expectArray(cholesky([[4, 99], [2, 3]]), [[2, 0], [1, Math.SQRT2]], { rtol: 1e-6 });
    expectArray(cholesky([[4, 2], [2, 3]], { upper: true }), [[2, 1], [0, Math.SQRT2]], { rtol: 1e-6 });
    expect(Number.isNaN(cholesky([[1, 2], [2, 1]]).dataSync()[3])).toBe(true); // not positive definite
  });

  it("L @ L^T is A for random SPD matrices, with L lower triangular", () => {
    fc.assert(
      fc.property(sized((n) => matrix(n)), (m) => {
        const n = m.length;
        const a = jsMatmul(m, jsT(m)).map((row, i) => row.map((v, j) => v + (i === j ? 1 : 0)));
        const l = rows(cholesky(a));
        l.forEach((row, i) => row.forEach((v, j) => j > i && expect(v).toBe(0)));
        expectArray(array(jsMatmul(l, jsT(l))), a, { atol: 1e-5 * n, rtol: 1e-5 });
      }),
      { numRuns: propertyRuns() },
    );
  });
});

describe("np.linalg.qr", () => {
  it("matches LAPACK's signs on a known matrix", () => {
    const [q, r] = qr([[1, 2], [3, 4], [5, 6]]);
    expectArray(q, [[-0.16903085, 0.89708523], [-0.50709255, 0.27602622], [-0.84515425, -0.34503278]], { atol: 1e-5 });
    expectArray(r, [[-5.91607978, -7.43735744], [0, 0.82807867]], { atol: 1e-5 });
    expectArray(qr(eye(2), { mode: "r" }), [[1, 0], [0, 1]]); // nothing to reflect: R = I, not -I
  });

  it("has the right shapes in each mode", () => {
    const tall = zeros([4, 2]);
    const wide = zeros([2, 3]);
    expect(qr(tall).map((t) => t.shape)).toEqual([[4, 2], [2, 2]]);
    expect(qr(tall, { mode: "complete" }).map((t) => t.shape)).toEqual([[4, 4], [4, 2]]);
    expect(qr(wide).map((t) => t.shape)).toEqual([[2, 2], [2, 3]]);
    expect(qr(tall, { mode: "r" }).shape).toEqual([2, 2]);
    expect(qr(zeros([5, 3, 2]))[0].shape).toEqual([5, 3, 2]);
  });

  it("Q is orthonormal, R upper triangular and Q @ R = A on random matrices", () => {
    const shape = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }));
    fc.assert(
      fc.property(shape.chain(([m, n]) => matrix(m, n)), fc.boolean(), (a, complete) => {
        const [q, r] = qr(a, { mode: complete ? "complete" : "reduced" });
        const qm = rows(q);
        const rm = rows(r);
        expectArray(array(jsMatmul(jsT(qm), qm)), jsEye(qm[0].length), { atol: 1e-5 });
        rm.forEach((row, i) => row.forEach((v, j) => j < i && expect(v).toBe(0)));
        expectArray(array(jsMatmul(qm, rm)), a, { atol: 1e-5 });
      }),
      { numRuns: propertyRuns() },
    );
  });
});
