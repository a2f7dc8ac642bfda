import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grad, jit, lax, np } from "../../index.js";
import { setMinShareFlops, setThreads, threadCount, threadStats, warmThreads } from "./threads.js";
import { getBackend, setBackend } from "../registry.js";
import { ConcreteArray, memory, tidy } from "../../trace/array.js";
import { makeJaxpr } from "../../trace/jaxpr-trace.js";
import type { Tracer } from "../../trace/core.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import type { WasmBackend } from "./wasm-backend.js";
import { type WasmExecutable, compileExecutable } from "./executable.js";

let previous: string;
beforeAll(() => {
  previous = getBackend().name;
  setBackend("wasm");
});
afterAll(() => setBackend(previous));

/** Records every executable the wasm backend compiles while `f` runs. */
function spyCompile<T>(f: () => T): { result: T; exes: (WasmExecutable | null)[] } {
  const be = getBackend() as WasmBackend;
  const exes: (WasmExecutable | null)[] = [];
  const orig = be.compile.bind(be);
  be.compile = (p) => {
    const e = orig(p) as WasmExecutable | null;
    exes.push(e);
    return e;
  };
  try {
    return { result: f(), exes };
  } finally {
    be.compile = orig;
  }
}

const on = (xs: number[], shape = [xs.length]) => np.array(xs, { shape }) as ConcreteArray;
const chain = (x: Tracer) => np.tanh(x.mul(0.5).add(1)).mul(x).add(np.exp(x.mul(x).neg()));

describe("wasm executable (jit as fused kernels)", () => {
  it("runs the elementwise chain as one kernel, equal to eager, with no leaked buffers", () => {
    const x = on([-2, -0.5, 0, 0.25, 1, 3, 7]);
    const f = jit(chain);
    const { result: y, exes } = spyCompile(() => f(x));
    expect(exes).toHaveLength(1);
    expect(exes[0]!.lowered.steps.map((s) => s.kind)).toEqual(["kernel"]);
    const want = tidy(() => chain(x).dataSync());
    expectArray(y, Array.from(want), { rtol: 0, atol: 0 });
    y.dispose();
    const before = memory();
    for (let i = 0; i < 5; i++) tidy(() => void f(x));
    expect(memory()).toEqual(before);
    x.dispose();
  });

  it("runs matmuls as calls between fused kernels, freeing and reusing intermediates", () => {
    const w = np.arange(12).reshape([4, 3]).astype("float32").mul(0.1) as ConcreteArray;
    const x = np.ones([2, 4]).mul(0.5) as ConcreteArray;
    const f = jit((a: Tracer, b: Tracer) => np.maximum(np.matmul(a.mul(2), b).add(1), 0).sum());
    const { result: y, exes } = spyCompile(() => f(x, w));
    expect(exes[0]!.lowered.steps.map((s) => s.kind)).toEqual(["kernel", "call", "kernel"]);
    // rows of 2 * 0.5 = 1 times w: column sums 1.8, 2.2, 2.6; plus 1, summed over 2 rows
    expectArray(y, 2 * (2.8 + 3.2 + 3.6), { rtol: 1e-6 });
    const before = memory();
    for (let i = 0; i < 3; i++) tidy(() => void f(x, w));
    expect(memory()).toEqual(before);
    [x, w, y].forEach((a) => a.dispose());
  });

  it("gives each output its own reference when the program returns an input or one value twice", () => {
    const x = on([1, 2, 3]);
    const before = memory();
    const f = jit((a: Tracer) => [a, np.exp(a), np.exp(a)]);
    const ys = f(x) as Tracer[];
    expectArray(ys[0], [1, 2, 3]);
    expectArray(ys[2], [Math.E, Math.E ** 2, Math.E ** 3], { rtol: 1e-6 });
    ys.forEach((y) => y.dispose());
    expectArray(x, [1, 2, 3]);
    expect(memory()).toEqual(before);
    x.dispose();
  });

  it("overwrites a donated argument in place when its Array is the only owner", () => {
    const update = jit((p: Tracer, g: Tracer) => p.sub(g.mul(0.5)), { donateArgnums: 0 });
    const g = on([2, 4, 6]);
    let p = on([1, 1, 1]);
    const before = memory();
    const { result, exes } = spyCompile(() => update(p, g));
    expect(p.isDisposed).toBe(true);
    expect(exes[0]!.lastPlan!.stats.inPlace).toBe(1);
    expectArray(result, [0, -1, -2]);
    expect(memory()).toEqual(before);
    p = result as ConcreteArray;
    for (let i = 0; i < 4; i++) p = update(p, g) as ConcreteArray;
    expectArray(p, [-4, -9, -14]);
    expect(memory()).toEqual(before);
    p.dispose();
    g.dispose();
  });

  it("does not overwrite a donated buffer that another Array still shares", () => {
    const update = jit((p: Tracer) => p.mul(2), { donateArgnums: 0 });
    const p = on([1, 2]);
    const alias = p.retain(); // a second owner of the same buffer
    const y = update(p);
    expectArray(y, [2, 4]);
    expectArray(alias, [1, 2]);
    [y, alias].forEach((a) => a.dispose());
  });

  it("falls back to op-by-op evaluation for control flow (the loop body compiled on its own) and float16", () => {
    const loop = jit((x: Tracer) => lax.foriLoop(0, 3, (_i: Tracer, c: Tracer) => c.mul(2), x));
    const x = on([1, 2]);
    const { result, exes } = spyCompile(() => loop(x));
    expect(exes[0]).toBeNull();
    expect(exes.length).toBe(2);
    expect(exes[1]!.lowered.steps.every((s) => s.kind === "kernel")).toBe(true); // i + 1 and c * 2
    expectArray(result, [8, 16]);
    const h = np.array([1, 2], { dtype: "float16" }) as ConcreteArray;
    const half = spyCompile(() => jit((a: Tracer) => a.add(1))(h));
    expect(half.exes).toEqual([null]);
    expectArray(half.result, [2, 3], { dtype: "float16" });
    [x, result, h, half.result].forEach((a) => a.dispose());
  });

  it("inlines nested jit calls into the outer program's kernels", () => {
    const inner = jit((a: Tracer) => np.exp(a));
    const { program } = makeJaxpr(jit((a: Tracer) => inner(a).add(1)))(on([1]));
    const exe = compileExecutable(program, {
      backend: getBackend(), memory: (getBackend() as WasmBackend).heap.memory, hostMath: {},
      ptr: () => 0, allocRaw: () => 0, refCount: () => 1,
    });
    expect(exe!.lowered.steps.map((s) => s.kind)).toEqual(["kernel"]);
  });

  describe("dense layers: bias and relu fused into the Rust GEMM", () => {
    /** `got` equal to `want` element by element, within `tol` relative and absolute. */
    const near = (got: Tracer, want: Tracer, tol: number) => {
      expect(got.shape).toEqual(want.shape);
      const [g, e] = [got, want].map((t) => Array.from(t.dataSync() as Float32Array));
      g.forEach((v, i) => expect(Math.abs(v - e[i]), `element ${i}: ${v} vs ${e[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(e[i]))));
      want.dispose();
    };
    const dense = (x: Tracer, w: Tracer, b: Tracer) => np.maximum(np.matmul(x, w).add(b), 0);
    const inputs = (m: number, k: number, n: number) => [
      np.sin(np.arange(m * k).astype("float32")).reshape([m, k]),
      np.cos(np.arange(k * n).astype("float32").mul(0.7)).reshape([k, n]).mul(0.2),
      np.linspace(-0.5, 0.5, n).astype("float32"),
    ] as ConcreteArray[];

    it("runs relu(x @ w + b) as one call, equal to eager, with no leaked buffers", () => {
      const [x, w, b] = inputs(5, 7, 9);
      const f = jit(dense);
      const { result: y, exes } = spyCompile(() => f(x, w, b));
      const steps = exes[0]!.lowered.steps;
      expect(steps.map((s) => s.kind)).toEqual(["call"]);
      expect(steps[0].kind === "call" && steps[0].epilogue).toEqual({ bias: true, activation: "relu" });
      near(y, dense(x, w, b), 1e-5);
      const before = memory();
      for (let i = 0; i < 3; i++) tidy(() => void f(x, w, b));
      expect(memory()).toEqual(before);
      [x, w, b, y].forEach((a) => a.dispose());
    });

    it("applies the epilogue after a GEMM split across threads, and in the gradient of a layer", () => {
      const oldMin = setMinShareFlops(0);
      const callsBefore = threadStats().calls;
      setThreads(2);
      warmThreads();
      try {
        const [x, w, b] = inputs(64, 48, 40);
        const y = jit(dense)(x, w, b);
        near(y, dense(x, w, b), 1e-5);
        const loss = (w: Tracer, b: Tracer) => np.sum(np.square(dense(x, w, b)));
        const [gw, gb] = jit(grad(loss, { argnums: [0, 1] }))(w, b) as Tracer[];
        const [ew, eb] = grad(loss, { argnums: [0, 1] })(w, b) as Tracer[];
        near(gw, ew, 1e-4);
        near(gb, eb, 1e-4);
        [x, w, b, y, gw, gb].forEach((a) => a.dispose());
        expect(threadStats().calls).toBeGreaterThan(callsBefore);
      } finally {
        setMinShareFlops(oldMin);
        setThreads(threadCount());
      }
    });
  });
});
