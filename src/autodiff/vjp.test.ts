import { describe, expect, it } from "vitest";
import { grad, jit, jvp, memory, np, random, valueAndGrad, vjp } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";

const f64 = (x: number[] | number[][] | number) => np.array(x, { dtype: "float64" });

describe("grad and valueAndGrad", () => {
  it("differentiate with respect to chosen arguments", () => {
    const f = (w: any, x: any) => np.sum(np.tanh(np.matmul(x, w)));
    const w = f64([[1, 2], [3, 4], [5, 6]]);
    const x = f64([[0.1, 0, -0.1]]);
    const [gw, gx] = grad(f, { argnums: [0, 1] })(w, x);
    const z = [0.1 * 1 - 0.1 * 5, 0.1 * 2 - 0.1 * 6];
    const d = z.map((v) => 1 - Math.tanh(v) ** 2);
    expectArray(gw, [[0.1 * d[0], 0.1 * d[1]], [0, 0], [-0.1 * d[0], -0.1 * d[1]]], { rtol: 1e-12 });
    expectArray(gx, [[d[0] * 1 + d[1] * 2, d[0] * 3 + d[1] * 4, d[0] * 5 + d[1] * 6]], { rtol: 1e-12 });
    expectArray(grad(f, { argnums: 1 })(w, x), gx.toArray() as number[][], { rtol: 1e-12 });
  });

  it("return the value and auxiliary data", () => {
    const f = (x: any) => [np.sum(np.square(x)), { n: x.size }];
    const [[v, aux], g] = valueAndGrad(f, { hasAux: true })(f64([1, 2]));
    expectArray(v, 5, { shape: [] });
    expect(aux).toEqual({ n: 2 });
    expectArray(g, [2, 4]);
    const [g2, aux2] = grad(f, { hasAux: true })(f64([3]));
    expectArray(g2, [6]);
    expect(aux2).toEqual({ n: 1 });
  });

  it("work over pytrees of parameters", () => {
    const loss = (p: any) => np.sum(p.w.mul(p.b[0]).add(p.b[1]));
    const g = grad(loss)({ w: f64([1, 2]), b: [f64(3), f64(4)] });
    expectArray(g.w, [3, 3]);
    expectArray(g.b[0], 3, { shape: [] });
    expectArray(g.b[1], 2, { shape: [] });
  });

  it("keep float32 gradients float32", () => {
    expect(grad((x: any) => np.sum(x.mul(2)))(np.ones([2])).dtype).toBe("float32");
  });

  it("give zero gradients to unused inputs", () => {
    expectArray(grad((x: any, y: any) => np.sum(y), { argnums: 0 })(f64([1, 2]), f64([3])), [0, 0]);
  });

  it("explain non-scalar outputs and integer inputs", () => {
    expect(() => grad((x: any) => x.mul(2))(f64([1, 2]))).toThrow(/scalar float.*f64\[2\].*np\.sum/s);
    expect(() => grad((x: any) => np.sum(x))(np.array([1, 2], { dtype: "int32" }))).toThrow(/float.*i32\[2\].*astype/s);
    expect(() => grad((x: any) => np.sum(x), { argnums: 3 })(f64([1]))).toThrow(/argnums/);
  });

  it("compute second derivatives (grad of grad) exactly", () => {
    const cases: [(x: any) => any, (v: number) => number][] = [
      [(x) => np.sin(x), (v) => -Math.sin(v)],
      [(x) => np.exp(x.mul(2)), (v) => 4 * Math.exp(2 * v)],
      [(x) => x.mul(x).mul(x), (v) => 6 * v],
      [(x) => np.tanh(x), (v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)],
      [(x) => np.log1p(x.mul(x)), (v) => (2 - 2 * v * v) / (1 + v * v) ** 2],
    ];
    for (const [f, d2] of cases) {
      for (const v of [-1.3, 0.2, 0.9]) expectArray(grad(grad(f))(f64(v)), d2(v), { rtol: 1e-12, atol: 1e-12, shape: [] });
    }
  });

  it("free every intermediate", () => {
    const f = (x: any) => np.sum(np.sin(x).mul(np.exp(x)));
    const x = f64([1, 2, 3]);
    grad(f)(x).dispose();
    const before = memory().buffers;
    for (let i = 0; i < 20; i++) grad(f)(x).dispose();
    expect(memory().buffers).toBe(before);
  });

  it("keep arrays made inside f that jit captures as constants", () => {
    // np.array(0.5) and bernoulli's p become constants of the jit trace, not grad intermediates.
    const f = (w: any, key: any) => np.sum(np.where(random.bernoulli(key, 0.5, [3]), w, 0)).add(np.array(0.5));
    const [v, g] = jit(valueAndGrad(f))(np.array([1, 2, 3]), random.key(0));
    const mask = g.toArray() as number[];
    expect(mask.every((m) => m === 0 || m === 1)).toBe(true);
    expect(v.item()).toBeCloseTo(0.5 + mask.reduce((s, m, i) => s + m * (i + 1), 0), 5);
  });
});

describe("vjp and jvp", () => {
  it("vjp pulls back cotangents of pytree outputs", () => {
    const [out, back] = vjp((x: any) => ({ s: np.sin(x), c: np.cos(x) }), f64([0.5, 1]));
    expectArray(out.s, [Math.sin(0.5), Math.sin(1)], { rtol: 1e-12 });
    const [ct] = back({ s: f64([1, 1]), c: f64([1, 0]) });
    expectArray(ct, [Math.cos(0.5) - Math.sin(0.5), Math.cos(1)], { rtol: 1e-12 });
    expect(() => back({ s: f64([1, 1]) })).toThrow(/structures differ/);
  });

  it("jvp pushes tangents forward and checks their shapes", () => {
    const [y, t] = jvp((a: any, b: any) => a.mul(b), [f64([2, 3]), f64([4, 5])], [f64([1, 0]), f64([0, 1])]);
    expectArray(y, [8, 15]);
    expectArray(t, [4, 3]);
    expect(() => jvp(np.sin, [f64([1, 2])], [f64([1])])).toThrow(/tangent 0/);
  });
});
