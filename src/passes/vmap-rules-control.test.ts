import { describe, expect, it } from "vitest";
import { grad, jit, lax, makeJaxpr, np, vmap } from "../index.js";
import type { Tracer } from "../trace/core.js";
import { expectArray } from "../../tests/helpers/assert.js";

/** vmap(f) over axis 0 of the mapped args must equal stacking f over examples. */
function checkVmap(f: (...args: any[]) => unknown, args: readonly unknown[], inAxes: readonly (0 | null)[]): void {
  const k = inAxes.indexOf(0);
  const size = (args[k] as Tracer).shape[0];
  const asList = (y: unknown): Tracer[] => (Array.isArray(y) ? (y as Tracer[]) : [y as Tracer]);
  const got = asList(vmap(f, { inAxes: [...inAxes] })(...args));
  const rows = (a: Tracer, i: number) => np.take(a, np.array(i, { dtype: "int32" }), { axis: 0 });
  const per = Array.from({ length: size }, (_, i) => asList(f(...args.map((a, j) => (inAxes[j] === null ? a : rows(a as Tracer, i))))));
  got.forEach((g, o) => {
    const want = np.stack(per.map((p) => p[o]));
    expect(g.dtype).toBe(want.dtype);
    expectArray(g, want.toArray() as never, { rtol: 1e-5, atol: 1e-6, shape: want.shape });
  });
}

const xs = () => np.array([[1, -2, 3], [-4, 5, 6], [0.5, 0, -1]]);

describe("vmap of cond / switch", () => {
  it("a batched predicate runs both branches and selects per example", () => {
    const f = (x: Tracer) => lax.cond(np.greater(np.sum(x), 0), (v: Tracer) => np.multiply(v, 2), (v: Tracer) => np.negative(v), x);
    checkVmap(f, [xs()], [0]);
    const text = makeJaxpr(vmap(f))(np.ones([3, 3])).toString();
    expect(text).toMatch(/select_n/);
    expect(text).not.toMatch(/cond\[/);
  });

  it("an unbatched predicate stays a cond of batched branches", () => {
    const f = (p: Tracer, x: Tracer) => lax.cond(p, (v: Tracer) => np.sin(v), (v: Tracer) => np.cos(v), x);
    checkVmap(f, [np.array(true), xs()], [null, 0]);
    checkVmap(f, [np.array(false), xs()], [null, 0]);
    const text = makeJaxpr(vmap(f, { inAxes: [null, 0] }))(np.array(true), np.ones([3, 3])).toString();
    expect(text).toMatch(/cond\[/);
    expect(text).not.toMatch(/select_n/);
  });

  it("branches that disagree on batchedness are all batched", () => {
    const f = (p: Tracer, x: Tracer) => lax.cond(p, (_v: Tracer) => np.zeros([3]), (v: Tracer) => np.exp(v), x);
    checkVmap(f, [np.array(true), xs()], [null, 0]);
    checkVmap(f, [np.array(false), xs()], [null, 0]);
  });

  it("switch with a batched, out-of-range index clamps like the unbatched switch", () => {
    const branches = [(v: Tracer) => v, (v: Tracer) => np.multiply(v, 10), (v: Tracer) => np.add(v, 100)];
    const f = (i: Tracer, x: Tracer) => lax.switch(i, branches, x);
    checkVmap(f, [np.array([-3, 1, 7], { dtype: "int32" }), xs()], [0, 0]);
    checkVmap(f, [np.array([2, 0, 1], { dtype: "int32" }), xs()], [0, null]);
  });
});

describe("vmap of whileLoop / foriLoop", () => {
  it("a batched predicate loops until every example is done, freezing finished ones", () => {
    // Doubles each value until it exceeds its limit: a different trip count per example.
    const f = (x: Tracer, limit: Tracer) =>
      lax.whileLoop(([v]: Tracer[]) => np.less(v, limit), ([v, n]: Tracer[]) => [np.multiply(v, 2), np.add(n, 1)], [x, np.array(0, { dtype: "int32" })]);
    checkVmap(f, [np.array([1, 3, 0.5]), np.array([10, 4, 100])], [0, 0]);
    const [v, n] = vmap(f)(np.array([1, 3, 0.5]), np.array([10, 4, 100]));
    expectArray(v, [16, 6, 128]);
    expectArray(n, [4, 1, 8]);
  });

  it("an unbatched predicate with a batched carry is one while of the batched body", () => {
    const f = (x: Tracer) => lax.whileLoop(([i]: Tracer[]) => np.less(i, 3), ([i, v]: Tracer[]) => [np.add(i, 1), np.sin(v)], [np.array(0), x]);
    checkVmap(f, [xs()], [0]);
    const text = makeJaxpr(vmap(f))(np.ones([3, 3])).toString();
    expect(text.match(/while\[/g)).toHaveLength(1);
    expect(text).not.toMatch(/reduce_or/);
  });

  it("a carry that the body makes batched is batched from the start", () => {
    const f = (x: Tracer) => lax.whileLoop(([i]: Tracer[]) => np.less(i, 2), ([i, acc]: Tracer[]) => [np.add(i, 1), np.add(acc, x)], [np.array(0), np.zeros([3])]);
    checkVmap(f, [xs()], [0]);
  });

  it("foriLoop with JS bounds (scan) and with per-example traced bounds (while)", () => {
    const f = (x: Tracer) => lax.foriLoop(0, 3, (i: Tracer, acc: Tracer) => np.add(np.multiply(acc, x), i), np.zeros([3]));
    checkVmap(f, [xs()], [0]);
    const g = (n: Tracer, x: Tracer) => lax.foriLoop(0, n, (_i: Tracer, acc: Tracer) => np.add(acc, x), np.array(0));
    checkVmap(g, [np.array([0, 2, 5], { dtype: "int32" }), np.array([1.5, 2, -1])], [0, 0]);
  });
});

describe("vmap of scan", () => {
  it("batched xs, carry and closed-over constants, forward and reverse", () => {
    for (const reverse of [false, true]) {
      const f = (w: Tracer, init: Tracer, seq: Tracer) =>
        lax.scan((c: Tracer, x: Tracer) => {
          const c2 = np.add(np.multiply(c, w), x);
          return [c2, np.square(c2)];
        }, init, seq, { reverse });
      const seq = np.array([[[1, 2], [3, 4], [5, 6]], [[0, 1], [1, 0], [2, 2]]]);
      checkVmap(f, [np.array([0.5, -1]), np.array([[1, 1], [0, 2]]), seq], [0, 0, 0]);
      checkVmap(f, [np.array(0.5), np.array([1, 1]), seq], [null, null, 0]);
      checkVmap(f, [np.array([0.5, -1]), np.array([1, 1]), np.array([[1, 2], [3, 4], [5, 6]])], [0, null, null]);
    }
  });

  it("stays one scan with the batch behind the scanned axis", () => {
    const f = (seq: Tracer) => lax.scan((c: Tracer, x: Tracer) => [np.add(c, x), c], np.array(0), seq);
    const text = makeJaxpr(vmap(f))(np.ones([4, 7])).toString();
    expect(text.match(/scan\[/g)).toHaveLength(1);
    const [c, ys] = vmap(f)(np.array([[1, 2, 3], [4, 5, 6]]));
    expectArray(c, [6, 15]);
    expectArray(ys, [[0, 1, 3], [0, 4, 9]]);
  });

  it("grad through a vmapped scan equals the sum of per-example gradients", () => {
    const per = (w: Tracer, seq: Tracer) =>
      np.sum(lax.scan((c: Tracer, x: Tracer) => [np.tanh(np.add(np.multiply(c, w), x)), c], np.array(0), seq)[0]);
    const loss = (w: Tracer, seqs: Tracer) => np.sum(vmap(per, { inAxes: [null, 0] })(w, seqs));
    const w = np.array(0.7);
    const g = grad(loss)(w, np.array([[1, 2, 3], [-1, 0.5, 0]]));
    const want = np.add(grad(per)(w, np.array([1, 2, 3])), grad(per)(w, np.array([-1, 0.5, 0])));
    expectArray(g, want.toArray() as number, { rtol: 1e-5 });
  });
});

describe("vmap of pjit inside control flow", () => {
  it("a jitted function called in a scan body under vmap", () => {
    const step = jit((c: Tracer, x: Tracer) => np.add(np.multiply(c, 0.5), x));
    const f = (seq: Tracer) => lax.scan((c: Tracer, x: Tracer) => [step(c, x), c], np.array(0), seq)[0];
    checkVmap(f, [np.array([[1, 2, 3], [4, 5, 6]])], [0]);
  });
});
