import { describe, expect, it } from "vitest";
import { grad, jit, lax, makeJaxpr, np, vmap } from "../index.js";
import type { Tracer } from "../trace/core.js";
import { expectArray } from "../../tests/helpers/assert.js";

const m23 = () => np.array([[1, 2, 3], [4, 5, 6]]);

describe("vmap: axes", () => {
  it("maps axis 0 by default", () => {
    expectArray(vmap((r: Tracer) => np.sum(r))(m23()), [6, 15]);
    expectArray(vmap((a: Tracer, b: Tracer) => np.dot(a, b))(m23(), m23()), [14, 77]);
  });

  it("takes one inAxes entry per argument, negative axes and null", () => {
    // Columns of x times a shared vector.
    const f = vmap((c: Tracer, w: Tracer) => np.multiply(c, w), { inAxes: [-1, null] });
    expectArray(f(m23(), np.array([10, 100])), [[10, 400], [20, 500], [30, 600]]);
    expectArray(vmap((c: Tracer) => np.sum(c), { inAxes: 1 })(m23()), [5, 7, 9]);
  });

  it("accepts pytree prefixes in inAxes and passes unmapped JS values through", () => {
    const f = (p: { w: Tracer; b: Tracer }, x: Tracer, scale: number) => np.add(np.multiply(np.dot(p.w, x), scale), p.b);
    const params = { w: np.array([1, 2, 3]), b: np.array(0.5) };
    const y = vmap(f, { inAxes: [{ w: null, b: null }, 0, null] })(params, m23(), 2);
    expectArray(y, [28.5, 64.5]);
    const y2 = vmap(f, { inAxes: [null, 0, null] })(params, m23(), 2);
    expectArray(y2, [28.5, 64.5]);
  });

  it("places the mapped axis with outAxes (number, negative, pytree) and broadcasts unbatched outputs", () => {
    const x = m23();
    expectArray(vmap((r: Tracer) => np.multiply(r, 2), { outAxes: 1 })(x), [[2, 8], [4, 10], [6, 12]]);
    expectArray(vmap((r: Tracer) => np.multiply(r, 2), { outAxes: -1 })(x), [[2, 8], [4, 10], [6, 12]]);
    const [a, b] = vmap((r: Tracer) => [r, np.sum(r)], { outAxes: [1, 0] })(x);
    expect(a.shape).toEqual([3, 2]);
    expectArray(b, [6, 15]);
    // An output that ignores the mapped input is still stacked.
    expectArray(vmap((_r: Tracer) => np.array(7))(x), [7, 7]);
    const { k, c } = vmap((r: Tracer) => ({ k: np.sum(r), c: np.array([1, 2]) }), { outAxes: { k: 0, c: null } })(x);
    expectArray(k, [6, 15]);
    expectArray(c, [1, 2]);
  });

  it("uses axisSize when nothing is mapped", () => {
    expectArray(vmap((s: number) => np.array(s), { inAxes: null, axisSize: 3 })(4), [4, 4, 4]);
  });
});

describe("vmap: errors", () => {
  it("reports inconsistent batch sizes, naming each argument", () => {
    expect(() => vmap((a: Tracer, b: Tracer) => np.add(a, b))(np.ones([3]), np.ones([4]))).toThrow(
      "vmap got inconsistent sizes for the mapped axis: argument 0 has size 3 on axis 0, argument 1 has size 4 on axis 0",
    );
    expect(() => vmap((p: Tracer[]) => p[0], { inAxes: [[0, 1]] })([np.ones([2, 5]), np.ones([2, 3])])).toThrow(
      /argument 0 \(leaf 0\) has size 2 on axis 0, argument 0 \(leaf 1\) has size 3 on axis 1/,
    );
    expect(() => vmap((a: Tracer) => a, { axisSize: 5 })(np.ones([3]))).toThrow(/axisSize is 5/);
  });

  it("rejects out-of-range axes", () => {
    expect(() => vmap((a: Tracer) => a, { inAxes: 2 })(np.ones([3, 4]))).toThrow(RangeError);
    expect(() => vmap((a: Tracer) => a, { inAxes: -3 })(np.ones([3, 4]))).toThrow(/axis -3, out of range for shape \[3, 4\]/);
    expect(() => vmap((a: Tracer) => a, { outAxes: 2 })(np.ones([3]))).toThrow(/outAxes for the output asks for axis 2/);
  });

  it("needs axisSize when nothing is mapped, and an Array to map", () => {
    expect(() => vmap((a: Tracer) => a, { inAxes: null })(np.ones([3]))).toThrow(/pass \{ axisSize \}/);
    expect(() => vmap((a: number) => a)(3)).toThrow(/argument 0 is number 3, which has no axis 0/);
  });

  it("rejects outAxes null for a batched output and malformed specs", () => {
    expect(() => vmap((a: Tracer) => np.sin(a), { outAxes: null })(np.ones([3]))).toThrow(/outAxes is null for the output/);
    expectArray(vmap((_a: Tracer) => np.ones([2]), { outAxes: null })(np.ones([3])), [1, 1]);
    expect(() => vmap((a: Tracer) => a, { inAxes: [0, 0] })(np.ones([3]))).toThrow(/one entry per positional argument \(1\)/);
    expect(() => vmap((p: unknown) => p, { inAxes: [{ a: 0 }] })({ b: np.ones([3]) })).toThrow(/not match/);
  });
});

describe("vmap: composition", () => {
  it("nests: vmap of vmap is an outer product", () => {
    const outer = vmap((a: Tracer) => vmap((b: Tracer) => np.multiply(a, b))(np.array([1, 10])));
    expectArray(outer(np.array([1, 2, 3])), [[1, 10], [2, 20], [3, 30]]);
    // The inner map over axis 1 of a shared matrix, the outer over rows of x.
    const f = vmap((x: Tracer, m: Tracer) => vmap((c: Tracer) => np.dot(x, c), { inAxes: 1 })(m), { inAxes: [0, null] });
    expectArray(f(m23(), np.array([[1, 0], [0, 1], [1, 1]])), [[4, 5], [10, 11]]);
  });

  it("vmap(grad(f)) equals per-example gradients", () => {
    const loss = (w: Tracer, x: Tracer) => np.sum(np.square(np.tanh(np.multiply(w, x))));
    const w = np.array([0.5, -1, 2]);
    const xs = np.array([[1, 2, 3], [0.1, -0.2, 0.3], [2, 0, -1]]);
    const batched = vmap(grad(loss), { inAxes: [null, 0] })(w, xs);
    const rows = [0, 1, 2].map((i) => grad(loss)(w, np.array((xs.toArray() as number[][])[i])));
    expectArray(batched, np.stack(rows).toArray() as number[][], { rtol: 1e-5 });
  });

  it("grad of a vmap-based loss equals the sum of per-example gradients", () => {
    const per = (w: Tracer, x: Tracer) => np.sum(np.sin(np.multiply(np.matmul(x, w), 2)));
    const loss = (w: Tracer, xs: Tracer) => np.sum(vmap(per, { inAxes: [null, 0] })(w, xs));
    const w = np.array([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]);
    const xs = np.array([[[1, 2, 3]], [[0, -1, 0.5]]]);
    const g = grad(loss)(w, xs);
    const want = np.add(grad(per)(w, np.array([[1, 2, 3]])), grad(per)(w, np.array([[0, -1, 0.5]])));
    expectArray(g, want.toArray() as number[][], { rtol: 1e-5, atol: 1e-6 });
  });

  it("grad through batching rules that gather, pad with batched values and select between branches", () => {
    const xs = np.array([[1, -2], [3, 4]]);
    const idx = np.array([1, 0], { dtype: "int32" });
    const viaCond = (w: Tracer) =>
      np.sum(vmap((x: Tracer) => lax.cond(np.greater(np.sum(x), 0), (v: Tracer) => np.multiply(v, w), (v: Tracer) => np.sin(v), x))(xs));
    expectArray(grad(viaCond)(np.array(2)), 7); // only the second example takes the w branch: 3 + 4
    const viaTake = (w: Tracer) => np.sum(vmap((x: Tracer, i: Tracer) => np.take(np.multiply(x, w), i))(xs, idx));
    expectArray(grad(viaTake)(np.array(2)), 1); // -2 + 3
    const viaPad = (w: Tracer) => np.sum(vmap((x: Tracer, p: Tracer) => lax.pad(x, p, [[1, 1, 0]]))(xs, np.multiply(np.array([1, 2]), w)));
    expectArray(grad(viaPad)(np.array(2)), 6); // two padding cells per example: 2 * (1 + 2)
    const viaLoop = vmap(grad((x: Tracer) => lax.foriLoop(0, 3, (_i: Tracer, a: Tracer) => np.multiply(a, x), x)));
    expectArray(viaLoop(np.array([1, 2])), [4, 32]); // d x^4 = 4 x^3
  });

  it("vmap of a jitted function (pjit) and jit of vmap", () => {
    const f = jit((x: Tracer) => np.sum(np.exp(x)));
    expectArray(vmap(f)(m23()), [Math.E + Math.E ** 2 + Math.E ** 3, Math.E ** 4 + Math.E ** 5 + Math.E ** 6], { rtol: 1e-5 });
    const g = jit(vmap((r: Tracer) => np.max(r)));
    expectArray(g(m23()), [3, 6]);
    const text = makeJaxpr(vmap(f))(np.ones([4, 3])).toString();
    expect(text).toMatch(/pjit/);
    expect(text).toMatch(/f32\[4,3\]/);
  });
});
