import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "../registry.js";
import { devicePut, jit, lax, memory, np, tidy } from "../../index.js";
import type { Tracer } from "../../trace/core.js";
import { expectHostClose, runOn, startWebGPU } from "../../../tests/helpers/webgpu.js";
import { WebGPUBackend } from "./webgpu-backend.js";
import { sizeClass } from "./stream.js";

let gpu: WebGPUBackend;
beforeAll(async () => {
  gpu = await startWebGPU();
  await setBackend("webgpu");
});
afterAll(() => setBackend("reference"));

const values = async (t: Tracer) => Array.from(await t.data(), Number);

describe("webgpu runtime", () => {
  it("is created by 'await setBackend(\"webgpu\")' and reports its adapter", () => {
    expect(getBackend()).toBe(gpu);
    expect(gpu.canReadSync).toBe(false);
    expect(gpu.info.adapterName.length).toBeGreaterThan(0);
  });

  it("refuses dataSync, toArray and item with a message that says to await data()", async () => {
    const x = np.array([1, 2, 3]);
    expect(() => x.dataSync()).toThrow(/cannot read an array on the webgpu backend.*await a\.data\(\)/);
    expect(() => x.toArray()).toThrow(/await a\.data\(\)/);
    expect(() => np.sum(x).item()).toThrow(/await a\.data\(\)/);
    expect(await values(x)).toEqual([1, 2, 3]);
    expect(await np.array([[true, false], [false, true]]).array()).toEqual([[true, false], [false, true]]);
    x.dispose();
  });

  it("round-trips every dtype through upload and readback", async () => {
    const cases = [
      np.array([1.5, -2, 3e-8], { dtype: "float32" }), np.array([-7, 2 ** 31 - 1], { dtype: "int32" }),
      np.array([0, 4294967295], { dtype: "uint32" }), np.array([true, false, true]), np.array([1 / 3], { dtype: "float64" }),
      np.array([0.1, 65504], { dtype: "float16" }),
    ];
    const got = await Promise.all(cases.map(values));
    expect(got[0]).toEqual([1.5, -2, Math.fround(3e-8)]);
    expect(got[1]).toEqual([-7, 2 ** 31 - 1]);
    expect(got[2]).toEqual([0, 4294967295]);
    expect(got[3]).toEqual([1, 0, 1]);
    expect(got[4]).toEqual([1 / 3]);
    expect(got[5]).toEqual([0.0999755859375, 65504]);
    cases.forEach((c) => c.dispose());
  });

  it("submits a jitted call of many kernels once, and eager work issued together once", async () => {
    const f = jit((a: Tracer, b: Tracer) => np.sum(np.tanh(np.matmul(a, b)), { axis: 0 }).add(np.sum(np.exp(b), { axis: 0 })));
    const a = np.ones([8, 8]);
    const b = np.eye(8);
    await values(f(a, b)); // compiles and warms up
    const before = { ...gpu.stream.stats };
    const y = f(a, b);
    await Promise.resolve(); // the microtask flush of eager work
    const mid = { ...gpu.stream.stats };
    expect(mid.submits - before.submits).toBe(1);
    expect(mid.dispatches - before.dispatches).toBeGreaterThan(1);
    expect(await values(y)).toHaveLength(8);
    const e0 = gpu.stream.stats.submits;
    const z = np.sin(a).add(np.cos(b)).mul(2);
    await Promise.resolve();
    expect(gpu.stream.stats.submits - e0).toBe(1);
    [y, z, a, b].forEach((t) => t.dispose());
  });

  it("runs contractions, convolutions, gathers, argmax and cumulative sums as WGSL, not host steps", async () => {
    const x = np.arange(24).astype("float32").reshape([2, 3, 4]);
    const outs = [
      np.matmul(x, np.ones([4, 2])), lax.convGeneralDilated(x.reshape([2, 3, 4, 1]), np.ones([2, 2, 1, 3]), [1, 1], "VALID", { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] }),
      np.take(x, np.array([2, 0], { dtype: "int32" }), { axis: 2 }), np.argmax(x, { axis: 1 }), np.cumsum(x, { axis: 2 }),
      np.sort(np.negative(x), { axis: 2 }), ...(lax.topK(x, 2) as Tracer[]),
    ];
    const before = gpu.hostStats();
    await Promise.all(outs.map((o) => o.data()));
    expect(gpu.hostStats()).toEqual(before);
    expect(before).not.toHaveProperty("dot_general");
    for (const p of ["conv_general_dilated", "gather", "argmax", "cumsum", "sort", "top_k"]) expect(gpu.hostStats()).not.toHaveProperty(p);
    expect(Array.from(await outs[6].data()).slice(0, 2)).toEqual([3, 2]);
    expect(Array.from(await outs[3].data())).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
    [x, ...outs].forEach((t) => t.dispose());
  });

  it.each(["tiled", "direct"] as const)("multiplies float32 matrices with the %s GEMM (edges, several K tiles, transposes, batches) like the reference", async (variant) => {
    const previous = gpu.gemmVariant;
    gpu.gemmVariant = variant;
    const cases: [number[], number[], [[number[], number[]], [number[], number[]]]][] = [
      [[130, 70], [70, 90], [[[1], [0]], [[], []]]],
      [[130, 72], [72, 96], [[[1], [0]], [[], []]]], // K and N multiples of 4: vec4 loads in the direct GEMM
      [[2, 9, 8], [2, 8, 12], [[[2], [1]], [[0], [0]]]],
      [[70, 130], [70, 90], [[[0], [0]], [[], []]]], // A stored [K, M]
      [[130, 70], [90, 70], [[[1], [1]], [[], []]]], // B stored [N, K]
      [[3, 17, 33], [3, 33, 65], [[[2], [1]], [[0], [0]]]],
    ];
    for (const [ls, rs, dn] of cases) {
      const data = (s: number[]) => Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37));
      const want = await runOn("reference", () => [lax.dotGeneral(np.array(data(ls)).reshape(ls), np.array(data(rs)).reshape(rs), dn)]);
      const before = gpu.stream.stats.dispatches;
      const got = await runOn("webgpu", () => [lax.dotGeneral(np.array(data(ls)).reshape(ls), np.array(data(rs)).reshape(rs), dn)]);
      expect(gpu.stream.stats.dispatches - before).toBeLessThanOrEqual(3); // the GEMM, not a loop of kernels
      expectHostClose(got, want, `dot ${ls} x ${rs}`, () => ({ rtol: 1e-4, atol: 1e-4 }));
    }
    gpu.gemmVariant = previous;
  });

  it("fuses a dense layer's bias and relu into the GEMM's store (both variants), equal to the reference", async () => {
    const dense = jit((x: Tracer, w: Tracer, b: Tracer) => np.maximum(np.matmul(x, w).add(b), 0));
    const args = () => [
      np.sin(np.arange(37 * 50).astype("float32")).reshape([37, 50]),
      np.cos(np.arange(50 * 70).astype("float32").mul(0.7)).reshape([50, 70]).mul(0.3),
      np.linspace(-0.5, 0.5, 70).astype("float32"),
    ];
    const want = await runOn("reference", () => [dense(...(args() as [Tracer, Tracer, Tracer]))]);
    const previous = gpu.gemmVariant;
    for (const variant of ["tiled", "direct"] as const) {
      gpu.gemmVariant = variant;
      const [x, w, b] = args();
      await dense(x, w, b).data(); // compiled
      const before = gpu.stream.stats.dispatches;
      const y = dense(x, w, b);
      expect(gpu.stream.stats.dispatches - before, variant).toBe(1);
      expectHostClose([{ shape: [...y.shape], dtype: y.dtype, data: Array.from(await y.data()) }], want, `dense (${variant})`, () => ({ rtol: 1e-4, atol: 1e-5 }));
      [x, w, b, y].forEach((t) => t.dispose());
    }
    gpu.gemmVariant = previous;
    // A GEMM that cannot run (here: operands over the binding limit) falls back to separate steps.
    const saved = gpu.maxBindingBytes;
    gpu.maxBindingBytes = 4096;
    try {
      const unfused = jit((x: Tracer, w: Tracer, b: Tracer) => np.maximum(np.matmul(x, w).add(b), 0));
      const [x, w, b] = args();
      const y = unfused(x, w, b);
      expectHostClose([{ shape: [...y.shape], dtype: y.dtype, data: Array.from(await y.data()) }], want, "dense (unfused)", () => ({ rtol: 1e-4, atol: 1e-5 }));
      [x, w, b, y].forEach((t) => t.dispose());
    } finally {
      gpu.maxBindingBytes = saved;
    }
  });

  it("sends operands larger than one binding may hold to the host path instead of failing", async () => {
    const saved = gpu.maxBindingBytes;
    gpu.maxBindingBytes = 1024;
    try {
      const x = np.arange(1000).astype("float32");
      const y = np.matmul(x.reshape([10, 100]), np.ones([100, 3])).add(1);
      const z = np.exp(x.mul(0.001)).sum();
      expect(Array.from(await y.data()).slice(0, 2)).toEqual([4951, 4951]);
      expect((await z.data())[0]).toBeCloseTo(1717.423, 2);
      [x, y, z].forEach((t) => t.dispose());
    } finally {
      gpu.maxBindingBytes = saved;
    }
  });

  it("splits long reductions with few outputs into partials and a fold, equal to the reference", async () => {
    const cases: [string, () => Tracer[]][] = [
      ["sum of 1e6", () => [np.sum(np.sin(np.arange(1_000_000).astype("float32")))]],
      ["column sums (batch-norm shape)", () => [np.sum(np.cos(np.arange(5003 * 3).astype("float32")).reshape([5003, 3]), { axis: 0 })]],
      ["max, min of 70001", () => { const x = np.sin(np.arange(70001).astype("float32").mul(0.37)); return [np.max(x), np.min(x)]; }],
      ["int32 sum, prod", () => { const i = np.arange(9000, undefined, undefined, { dtype: "int32" }); return [np.sum(i), np.prod(np.remainder(i, 3).add(1))]; }],
      ["jitted mean and variance", () => {
        const f = jit((x: Tracer) => { const m = np.mean(x, { axis: 0 }); return [m, np.mean(np.square(x.sub(m)), { axis: 0 })]; });
        return f(np.sin(np.arange(40000).astype("float32")).reshape([10000, 4])) as Tracer[];
      }],
    ];
    for (const [what, f] of cases) {
      const want = await runOn("reference", f);
      const before = gpu.stream.stats.dispatches;
      const got = await runOn("webgpu", f);
      expect(gpu.stream.stats.dispatches - before, what).toBeGreaterThan(1);
      expectHostClose(got, want, what, (d) => (d === "float32" ? { rtol: 1e-4, atol: 1e-3 } : { rtol: 0, atol: 0 }));
    }
  });

  it("scatters with atomics: duplicates add up, and the last update wins for set", async () => {
    const before = gpu.hostStats();
    const added = np.at(np.zeros([5]), [0, 0, 2, 4, 4, 4]).add(np.array([1, 2, 3, 4, 5, 6]));
    const set = np.at(np.zeros([4], { dtype: "int32" }), [1, 3, 1]).set(np.array([7, 8, 9], { dtype: "int32" }));
    const big = np.at(np.zeros([3]), np.remainder(np.arange(30000, undefined, undefined, { dtype: "int32" }), 3)).add(1);
    expect(Array.from(await added.data())).toEqual([3, 0, 3, 0, 15]);
    expect(Array.from(await set.data())).toEqual([0, 9, 0, 8]);
    expect(Array.from(await big.data())).toEqual([10000, 10000, 10000]);
    expect(gpu.hostStats()).toEqual(before);
    [added, set, big].forEach((t) => t.dispose());
  });

  it("keeps order across host steps: a float64 op (on the host) between GPU kernels", async () => {
    const x = np.array([3, 1, 2]);
    const s = np.sort(x.mul(2).astype("float64").mul(0.5).astype("float32")).add(1);
    expect(gpu.hostStats().mul ?? 0).toBeGreaterThan(0); // the float64 multiply
    expect(gpu.hostStats()).not.toHaveProperty("sort");
    expect(await values(s)).toEqual([2, 3, 4]);
    x.dispose();
    s.dispose();
  });

  it("runs a while loop (predicate on the host) and a cond (selecting among branches) eagerly", async () => {
    const [i, acc] = lax.whileLoop(([k]: Tracer[]) => lax.lt(k, 5), ([k, v]: Tracer[]) => [k.add(1), v.mul(2)], [np.array(0, { dtype: "int32" }), np.array(1)]) as Tracer[];
    expect(await values(i)).toEqual([5]);
    expect(await values(acc)).toEqual([32]);
    const c = lax.cond(np.array(false), (v: Tracer) => v.add(10), (v: Tracer) => v.sub(10), np.array(1));
    expect(await values(c as Tracer)).toEqual([-9]);
  });

  it("frees every buffer it allocates and reuses freed storage by size class", async () => {
    const f = jit((a: Tracer) => np.exp(a).add(a).sum());
    const x = np.ones([1000]);
    await values(tidy(() => f(x)));
    const before = memory();
    for (let k = 0; k < 20; k++) tidy(() => void f(x));
    expect(memory()).toEqual(before);
    x.dispose();
    expect([sizeClass(1), sizeClass(300), sizeClass(4096), sizeClass(5 << 20)]).toEqual([256, 512, 4096, 5 << 20]);
  });

  it("dispatches grids wider than 65535 workgroups (2-D grid)", async () => {
    const n = 65536 * 64 + 100;
    const y = np.arange(n).astype("float32").mul(2).add(1);
    const v = await y.data();
    expect([v[0], v[n - 1], v[65535 * 64 + 5]]).toEqual([1, 2 * (n - 1) + 1, 2 * (65535 * 64 + 5) + 1]);
    y.dispose();
  });

  it("moves arrays between backends with devicePut, both ways", async () => {
    await setBackend("wasm");
    try {
      const cpu = np.array([1, 2, 3]);
      const onGpu = await devicePut(cpu, "webgpu");
      expect((onGpu as Tracer & { backend: { name: string } }).backend.name).toBe("webgpu");
      // The scalar 2 is made on the default backend (wasm) and follows the GPU operand.
      const back = await devicePut(onGpu.mul(2), "wasm");
      expect(Array.from(back.dataSync())).toEqual([2, 4, 6]);
      // Small CPU arrays follow the GPU operand; large ones must be moved explicitly.
      expect(Array.from(await np.add(cpu, onGpu).data())).toEqual([2, 4, 6]);
      const big = np.ones([100]);
      const bigGpu = await devicePut(big, "webgpu");
      expect(() => np.add(np.ones([100]), bigGpu)).toThrow(/operands live on different backends.*devicePut/);
      [big, bigGpu].forEach((t) => t.dispose());
      [cpu, onGpu, back].forEach((t) => t.dispose());
    } finally {
      await setBackend("webgpu");
    }
  });

  it("reports an error in a host step at the next readback, once", async () => {
    gpu.hostStep([], [], () => {
      throw new Error("boom in a host step");
    });
    const x = np.array([1]);
    await expect(x.data()).rejects.toThrow(/boom in a host step/);
    expect(await values(x)).toEqual([1]);
    x.dispose();
  });
});

describe("webgpu device loss", () => {
  it("reports a lost device clearly and starts a new one on 'await setBackend(\"webgpu\")'", async () => {
    const x = np.array([1, 2]);
    gpu.device.destroy();
    await gpu.device.lost;
    expect(() => np.exp(x)).toThrow(/WebGPU device was lost.*await setBackend\("webgpu"\)/);
    expect(() => np.add(x, 1)).toThrow(/device was lost.*await setBackend\("webgpu"\)/);
    expect(() => getBackend("webgpu")).toThrow(/device was lost/);
    await setBackend("webgpu");
    const fresh = getBackend();
    expect(fresh).not.toBe(gpu);
    expect(fresh).toBeInstanceOf(WebGPUBackend);
    expect(await values(np.array([1, 2]).add(1))).toEqual([2, 3]);
    gpu = fresh as WebGPUBackend;
  });
});
