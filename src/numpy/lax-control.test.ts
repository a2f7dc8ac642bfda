import { describe, expect, it } from "vitest";
import { grad, jit, jvp, lax, makeJaxpr, np } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";

const f64 = (x: number[] | number) => np.array(x, { dtype: "float64" });

describe("lax.cond / lax.switch", () => {
  it("picks the branch by the predicate", () => {
    const x = np.array([1, 2, 3]);
    expectArray(lax.cond(true, (y: any) => y.mul(2), (y: any) => y.neg(), x), [2, 4, 6]);
    expectArray(lax.cond(np.array(0), (y: any) => y.mul(2), (y: any) => y.neg(), x), [-1, -2, -3]);
  });

  it("clamps the switch index like XLA", () => {
    const bs = [(y: any) => y.add(1), (y: any) => y.add(2), (y: any) => y.add(3)];
    expectArray(lax.switch(-5, bs, np.array([0])), [1]);
    expectArray(lax.switch(1, bs, np.array([0])), [2]);
    expectArray(lax.switch(99, bs, np.array([0])), [3]);
  });

  it("rejects branches with different output shapes", () => {
    expect(() => lax.cond(true, (y: any) => y, (y: any) => y.sum(), np.ones([3]))).toThrow(/same shapes/);
  });

  it("is one equation in the program", () => {
    const text = makeJaxpr((x: any) => lax.cond(x.sum().greater(0), (y: any) => np.sin(y), (y: any) => y, x))(np.ones([2])).toString();
    expect(text.match(/ cond\[/g)?.length).toBe(1);
    expect(text).not.toMatch(/^ {4}\S.* = sin /m); // the sin lives in a branch, not at top level
  });

  it("differentiates the taken branch (forward and reverse)", () => {
    const g = (x: any) => np.sum(lax.cond(x.sum().greater(0), (y: any) => np.sin(y).mul(y), (y: any) => y.mul(3), x));
    const x = f64([0.5, 1]);
    expectArray(grad(g)(x), [0.5, 1].map((v) => Math.cos(v) * v + Math.sin(v)), { rtol: 1e-12 });
    expectArray(grad(g)(f64([-0.5, -1])), [3, 3]);
    expectArray(jvp(g, [x], [f64([1, 0])])[1], Math.cos(0.5) * 0.5 + Math.sin(0.5), { rtol: 1e-12, shape: [] });
    expectArray(jit(grad(g))(x), [0.5, 1].map((v) => Math.cos(v) * v + Math.sin(v)), { rtol: 1e-12 });
  });
});

describe("lax.whileLoop", () => {
  it("iterates until the condition fails", () => {
    expectArray(lax.whileLoop((c: any) => c.less(10), (c: any) => c.add(3), 0), 12, { shape: [] });
    const [i, v] = lax.whileLoop((c: any) => c[0].less(4), ([i, v]: any) => [i.add(1), v.mul(2)], [0, np.array(1.5)]);
    expectArray(i, 4, { shape: [] });
    expectArray(v, 24, { shape: [] });
  });

  it("checks that the body keeps the carry's type", () => {
    expect(() => lax.whileLoop((c: any) => c.less(3), (c: any) => c.astype("float32").add(0.5), np.array(0, { dtype: "int32" }))).toThrow(
      /carry/,
    );
  });

  it("is forward-differentiable", () => {
    const f = (x: any) => lax.whileLoop((c: any) => c[0].less(3), (c: any) => [c[0].add(1), c[1].mul(c[1])], [0, x])[1];
    expectArray(jvp(f, [f64(1.5)], [f64(1)])[1], 8 * 1.5 ** 7, { rtol: 1e-12, shape: [] });
  });

  it("explains why reverse mode is not available", () => {
    const f = (x: any) => lax.whileLoop((c: any) => c.less(10), (c: any) => c.mul(2), x);
    expect(() => grad(f)(np.array(1))).toThrow(/Reverse-mode differentiation.*lax\.whileLoop.*lax\.scan/s);
  });
});

describe("lax.foriLoop", () => {
  it("sums indices with static and traced bounds", () => {
    expectArray(lax.foriLoop(0, 5, (i: any, acc: any) => acc.add(i), np.array(0, { dtype: "int32" })), 10, { shape: [] });
    const traced = jit((n: any) => lax.foriLoop(0, n, (i: any, acc: any) => acc.add(i), np.array(0, { dtype: "int32" })));
    expectArray(traced(np.array(5, { dtype: "int32" })), 10, { shape: [] });
  });

  it("is reverse-differentiable with static bounds (it becomes a scan)", () => {
    const f = (x: any) => lax.foriLoop(0, 3, (_i: any, c: any) => c.mul(c), x);
    expectArray(grad(f)(f64(1.1)), 8 * 1.1 ** 7, { rtol: 1e-12, shape: [] });
    expect(makeJaxpr(f)(f64(1.1)).toString()).toMatch(/scan\[/);
  });
});

describe("lax.scan", () => {
  it("carries and stacks", () => {
    const [c, ys] = lax.scan((c: any, x: any) => [c.add(x), c], np.array(0), np.arange(5));
    expectArray(c, 10, { shape: [] });
    expectArray(ys, [0, 0, 1, 3, 6]);
  });

  it("runs in reverse and without xs", () => {
    const [, ys] = lax.scan((c: any, x: any) => [c.add(x), c], np.array(0), np.arange(4), { reverse: true });
    expectArray(ys, [6, 5, 3, 0]);
    const [c2, ys2] = lax.scan((c: any) => [c.mul(2), c], np.array(1), null, { length: 3 });
    expectArray(c2, 8, { shape: [] });
    expectArray(ys2, [1, 2, 4]);
  });

  it("handles pytree carries and xs", () => {
    const [c, ys] = lax.scan(
      (c: any, x: any) => [{ s: c.s.add(x.a), p: c.p.mul(x.b) }, x.a.mul(x.b)],
      { s: np.array(0), p: np.array(1) },
      { a: np.array([1, 2, 3]), b: np.array([2, 2, 2]) },
    );
    expectArray(c.s, 6, { shape: [] });
    expectArray(c.p, 8, { shape: [] });
    expectArray(ys, [2, 4, 6]);
  });

  it("rejects inconsistent lengths", () => {
    expect(() => lax.scan((c: any, x: any) => [c, x], np.array(0), [np.ones([3]), np.ones([4])])).toThrow(/disagree/);
    expect(() => lax.scan((c: any) => [c, c], np.array(0), null)).toThrow(/length/);
  });

  it("does not unroll, and its gradient equals the unrolled loop's", () => {
    const W = np.array([[0.5, -0.3], [0.2, 0.8]], { dtype: "float64" });
    const xs = np.array([[1, 2], [0.5, -1], [2, 0.1]], { dtype: "float64" });
    const h0 = np.zeros([2], { dtype: "float64" });
    const cell = (w: any, h: any, x: any) => np.tanh(np.matmul(w, h).add(x));
    const scanned = (w: any) => np.sum(lax.scan((h: any, x: any) => { const hn = cell(w, h, x); return [hn, hn.sum()]; }, h0, xs)[1]);
    const unrolled = (w: any) => {
      let h: any = h0;
      let total: any = np.array(0, { dtype: "float64" });
      for (let i = 0; i < 3; i++) {
        h = cell(w, h, np.index(xs, i));
        total = total.add(h.sum());
      }
      return total;
    };
    const want = grad(unrolled)(W).toArray() as number[][];
    expectArray(grad(scanned)(W), want, { rtol: 1e-12 });
    expectArray(jit(grad(scanned))(W), want, { rtol: 1e-12 });
    const text = makeJaxpr(grad(scanned))(W).toString();
    expect(text.match(/= scan\[/g)?.length).toBe(2); // forward scan + transposed (reverse) scan
    expect(text).toMatch(/reverse=True/);
    expect(text).not.toMatch(/^ {4}\S.* = tanh /m); // tanh only inside the loop body
  });
});
