import { describe, expect, it } from "vitest";
import { Prim } from "../../ir/index.js";
import { type Kernel, type ParamArg, kalu, kconst, kload, kparam, krange, kstore, ksink } from "../kernel-ir.js";
import { lower } from "../../passes/lower.js";
import { np } from "../../index.js";
import { makeJaxpr } from "../../trace/jaxpr-trace.js";
import { type WasmMemory, compileCount, compileKernel } from "./compile-cache.js";

const newMemory = (pages: number): WasmMemory =>
  new (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }).WebAssembly.Memory({ initial: pages });

/** y = x * 2 + 1 over n floats, built from scratch each call. */
function build(n: number, name: string): Kernel {
  const i = krange(0, n);
  const x = kparam(0, "float32", n);
  const y = kparam(1, "float32", n, true);
  const v = kalu(Prim.Add, "float32", [kalu(Prim.Mul, "float32", [kload(x, i), kconst(2, "float32")]), kconst(1, "float32")]);
  return { name, params: [x.arg as ParamArg, y.arg as ParamArg], sink: ksink([kstore(y, i, v)]) };
}

describe("compile cache", () => {
  it("returns the same instance for structurally equal kernels and never recompiles them", () => {
    const mem = newMemory(1);
    const before = compileCount();
    const a = compileKernel(build(10, "a"), mem);
    const b = compileKernel(build(10, "b"), mem);
    expect(b).toBe(a);
    expect(compileCount()).toBe(before + 1);
    // Another memory instantiates the cached module again but does not compile.
    const c = compileKernel(build(10, "c"), newMemory(1));
    expect(c).not.toBe(a);
    expect(compileCount()).toBe(before + 1);
    // A different structure compiles.
    compileKernel(build(11, "d"), mem);
    expect(compileCount()).toBe(before + 2);
    const f = new Float32Array(mem.buffer as ArrayBuffer);
    f.set([1, 2, 3], 0);
    a(0, 64);
    expect([...f.subarray(16, 19)]).toEqual([3, 5, 7]);
  });

  it("names the missing host function when a kernel needs one the caller did not pass", () => {
    const i = krange(0, 4);
    const x = kparam(0, "float64", 4);
    const y = kparam(1, "float64", 4, true);
    const k: Kernel = { name: "lg", params: [x.arg as ParamArg, y.arg as ParamArg], sink: ksink([kstore(y, i, kalu(Prim.Lgamma, "float64", [kload(x, i)]))]) };
    const run = compileKernel(k, newMemory(1));
    expect(() => run(0, 64)).toThrow(/needs the host function 'lgamma'/);
  });

  it("measures the fused tanh(x*0.5+1)*x + exp(-x*x) kernel over 1M floats", () => {
    const n = 1 << 20;
    const x = np.zeros([n]);
    const l = lower(makeJaxpr((a: any) => np.tanh(a.mul(0.5).add(1)).mul(a).add(np.exp(a.mul(a).neg())))(x).program);
    const steps = l.steps.filter((s) => s.kind === "kernel");
    expect(steps).toHaveLength(1);
    const mem = newMemory(130);
    const f = new Float32Array(mem.buffer as ArrayBuffer);
    for (let k = 0; k < n; k++) f[k] = Math.sin(k) * 3;
    const kernel = compileKernel(steps[0].kind === "kernel" ? steps[0].kernel : (null as never), mem);
    const times: number[] = [];
    for (let r = 0; r < 25; r++) {
      const t0 = performance.now();
      kernel(0, 4 * n);
      times.push(performance.now() - t0);
    }
    const sorted = times.slice(5).sort((a, b) => a - b);
    const median = sorted[10];
    console.log(`fused elementwise chain, 1M float32: median ${median.toFixed(3)} ms, min ${sorted[0].toFixed(3)} ms over 20 runs`);
    const v = f[4 * 0 + 7];
    expect(f[n + 7]).toBeCloseTo(Math.tanh(v * 0.5 + 1) * v + Math.exp(-v * v), 5);
    expect(median).toBeLessThan(100); // the target (3 ms) is reported, not asserted: CI machines vary
  });
});
