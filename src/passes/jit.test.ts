import { describe, expect, it } from "vitest";
import { grad, jit, makeJaxpr, memory, np, tidy } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";

describe("jit", () => {
  it("equals eager and traces once per signature", () => {
    let traces = 0;
    const f = (x: any, y: any) => {
      traces++;
      return np.tanh(x.mul(0.5).add(1)).mul(x).add(np.exp(y.mul(y).neg()));
    };
    const jf = jit(f);
    const x = np.array([0.1, -2, 3]);
    const y = np.array([1, 2, 3]);
    expectArray(jf(x, y), f(x, y).toArray() as number[], { rtol: 1e-6 });
    jf(np.array([5, 6, 7]), y);
    expect(jf.cacheSize).toBe(1);
    jf(np.array([5, 6]), np.array([1, 2]));
    expect(jf.cacheSize).toBe(2);
    jf(np.array([5, 6], { dtype: "float64" }), np.array([1, 2]));
    expect(jf.cacheSize).toBe(3);
    expect(traces).toBe(1 + 3); // one eager call plus three traces
  });

  it("keys the cache on weak types and pytree structure", () => {
    const jf = jit((t: any) => np.add(t.a, t.b));
    jf({ a: np.ones([2]), b: 1 });
    jf({ a: np.ones([2]), b: 2 });
    expect(jf.cacheSize).toBe(1);
    jf({ a: np.ones([2]), b: 1.5 }); // weak float instead of weak int
    expect(jf.cacheSize).toBe(2);
    jf({ a: np.ones([2]), b: np.ones([2]) });
    expect(jf.cacheSize).toBe(3);
  });

  it("retraces for each static argument value", () => {
    const jf = jit((x: any, n: number) => x.mul(n), { staticArgnums: 1 });
    expectArray(jf(np.array([1, 2]), 3), [3, 6]);
    expectArray(jf(np.array([1, 2]), 4), [4, 8]);
    expect(jf.cacheSize).toBe(2);
    expectArray(jf(np.array([1, 2]), 3), [3, 6]);
    expect(jf.cacheSize).toBe(2);
  });

  it("rejects non-array dynamic arguments with a hint", () => {
    const jf = jit((x: any, s: any) => x.mul(s.k));
    expect(() => jf(np.ones([2]), { k: "a" })).toThrow(/staticArgnums/);
  });

  it("disposes donated arguments after the call", () => {
    const jf = jit((p: any) => p.mul(2), { donateArgnums: 0 });
    const p = np.array([1, 2]);
    const q = jf(p);
    expect(p.isDisposed).toBe(true);
    expectArray(q, [2, 4]);
  });

  it("captures closed-over arrays as constants the cache keeps alive", () => {
    const w = np.array([1, 2, 3]);
    const jf = jit((x: any) => x.mul(w));
    expectArray(jf(np.ones([3])), [1, 2, 3]);
    w.dispose();
    expectArray(jf(np.ones([3]).mul(2)), [2, 4, 6]);
  });

  it("composes with grad both ways and nests", () => {
    const f = (x: any) => np.sum(np.sin(x).mul(x));
    const x = np.array([0.5, 1, 2], { dtype: "float64" });
    const want = [0.5, 1, 2].map((v) => Math.cos(v) * v + Math.sin(v));
    expectArray(jit(grad(f))(x), want, { rtol: 1e-12 });
    expectArray(grad(jit(f))(x), want, { rtol: 1e-12 });
    expectArray(jit((y: any) => jit(f)(y).mul(2))(x), 2 * [0.5, 1, 2].reduce((a, v) => a + Math.sin(v) * v, 0), { rtol: 1e-12, shape: [] });
  });

  it("keeps memory flat over many calls", () => {
    const step = jit((w: any, x: any) => w.sub(x.mul(0.1)));
    let w = np.ones([16]);
    const x = np.ones([16]);
    const next = () => {
      const n = step(w, x);
      w.dispose();
      w = n;
    };
    for (let i = 0; i < 5; i++) next();
    const before = memory().buffers;
    for (let i = 0; i < 200; i++) next();
    expect(memory().buffers).toBe(before);
    expectArray(w, new Array(16).fill(1 - 0.1 * 205), { rtol: 1e-5 });
  });

  it("optimizes the staged program", () => {
    const jf = jit((x: any) => np.sin(x).mul(1).add(np.sin(x)).reshape([3]).add(0));
    const text = jf.lower(np.ones([3])).toString();
    expect(text.match(/ sin /g)?.length).toBe(1);
    expect(text).not.toMatch(/mul .* 1\.0/);
    expect(text).not.toMatch(/reshape/);
  });
});

describe("makeJaxpr", () => {
  it("prints grad programs without dead equations", () => {
    const text = makeJaxpr(grad((x: any) => np.sum(np.sin(x).mul(x))))(np.ones([3])).toString();
    expect(text).not.toMatch(/reduce_sum/); // the forward value is dead in a gradient
    expect(text).toMatch(/cos a/);
  });

  it("works inside tidy without leaking", () => {
    const before = memory().buffers;
    tidy(() => makeJaxpr((x: any) => x.add(np.ones([3])))(np.ones([3])).toString());
    expect(memory().buffers).toBe(before);
  });
});
