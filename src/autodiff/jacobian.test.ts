import { describe, expect, it } from "vitest";
import { hessian, jacfwd, jacrev, jit, linearize, np, random } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";

const f64 = (x: any) => np.array(x, { dtype: "float64" });

/** Central finite-difference Jacobian of a flat R^n -> R^m function, in float64. */
function fdJacobian(f: (x: number[]) => number[], x: number[], h = 1e-6): number[][] {
  const m = f(x).length;
  const J = Array.from({ length: m }, () => new Array<number>(x.length).fill(0));
  x.forEach((_, j) => {
    const xp = x.slice();
    const xm = x.slice();
    xp[j] += h;
    xm[j] -= h;
    const fp = f(xp);
    const fm = f(xm);
    for (let i = 0; i < m; i++) J[i][j] = (fp[i] - fm[i]) / (2 * h);
  });
  return J;
}

describe("jacfwd / jacrev", () => {
  const f = (x: any) => np.stack([np.sin(x).sum(), x.mul(x).prod(), np.exp(x.index(0)).mul(x.index(1))]);
  const flat = (v: number[]) => (f(f64(v)).toArray() as number[]);
  const x0 = [0.3, -1.2, 0.7];

  it("agree with each other and with finite differences", () => {
    const want = fdJacobian(flat, x0);
    expectArray(jacfwd(f)(f64(x0)), want, { rtol: 1e-7, atol: 1e-8 });
    expectArray(jacrev(f)(f64(x0)), want, { rtol: 1e-7, atol: 1e-8 });
  });

  it("shape blocks as [...out.shape, ...in.shape] over pytrees", () => {
    const g = (p: any) => ({ y: np.matmul(p.w, p.v), s: np.sum(p.v) });
    const p = { w: f64([[1, 2], [3, 4], [5, 6]]), v: f64([1, -1]) };
    const J = jacrev(g)(p);
    expect(J.y.w.shape).toEqual([3, 3, 2]);
    expect(J.y.v.shape).toEqual([3, 2]);
    expect(J.s.v.shape).toEqual([2]);
    expectArray(J.y.v, [[1, 2], [3, 4], [5, 6]]);
    const F = jacfwd(g)(p);
    expectArray(F.y.w, J.y.w.toArray() as number[][][]);
  });

  it("work under jit", () => {
    const want = jacrev(f)(f64(x0)).toArray() as number[][];
    expectArray(jit(jacrev(f))(f64(x0)), want, { rtol: 1e-12 });
    expectArray(jit(jacfwd(f))(f64(x0)), want, { rtol: 1e-12 });
  });

  it("reject integer inputs", () => {
    expect(() => jacrev(f)(np.array([1, 2, 3], { dtype: "int32" }))).toThrow(/float/);
  });
});

describe("hessian", () => {
  it("of x^3 summed is diag(6x)", () => {
    expectArray(hessian((x: any) => np.sum(x.mul(x).mul(x)))(f64([1, 2])), [[6, 0], [0, 12]], { rtol: 1e-12 });
  });

  it("of a small network loss matches finite differences of the gradient", () => {
    const [k1, k2] = random.split(random.key(3));
    const w = random.normal(k1, [3, 2], { dtype: "float64" });
    const x = random.normal(k2, [4, 3], { dtype: "float64" });
    const loss = (flatW: any) => np.mean(np.square(np.tanh(np.matmul(x, flatW.reshape([3, 2])))));
    const w0 = Array.from(w.dataSync());
    const H = hessian(loss)(f64(w0));
    const gradAt = (v: number[]) => {
      const h = 1e-5;
      return v.map((_, j) => {
        const p = v.slice();
        const m = v.slice();
        p[j] += h;
        m[j] -= h;
        return ((loss(f64(p)).item() as number) - (loss(f64(m)).item() as number)) / (2 * h);
      });
    };
    const want = fdJacobian(gradAt, w0, 1e-4);
    expectArray(H, want, { rtol: 1e-4, atol: 1e-6 });
    // symmetric
    const h = H.toArray() as number[][];
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) expect(h[i][j]).toBeCloseTo(h[j][i], 10);
  });
});

describe("linearize", () => {
  it("returns the value and a reusable linear map", () => {
    const [y, fLin] = linearize((x: any) => np.sin(x).mul(x), f64([0.5, 2]));
    expectArray(y, [0.5 * Math.sin(0.5), 2 * Math.sin(2)], { rtol: 1e-12 });
    const d = (v: number) => Math.sin(v) + v * Math.cos(v);
    expectArray(fLin(f64([1, 0])), [d(0.5), 0], { rtol: 1e-12 });
    expectArray(fLin(f64([0, 3])), [0, 3 * d(2)], { rtol: 1e-12 });
  });
});
