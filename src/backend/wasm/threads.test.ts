import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackend, setBackend } from "../registry.js";
import { grad, lax, np, tidy } from "../../index.js";
import type { Tracer } from "../../trace/core.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { loadRustKernelsSync, rustKernelVariant } from "./dispatch.js";
import { KERNEL_VARIANTS, type KernelExports, type KernelVariant, conv2dGeometry, relaxedSimdSupported } from "./kernels.js";
import type { ConvExport, ConvPiece } from "./thread-worker.js";
import {
  MAX_DEFAULT_THREADS, ranges, runJobs, setCallerTakesPieces, setMinShareFlops, setThreads, threadCount, threadStats, threadedConv, threadedGemm,
  warmThreads,
} from "./threads.js";

/** The instance of the Rust kernels the helpers and the pool use (the suites per build swap it). */
let ex = loadRustKernelsSync() as KernelExports;
/** The builds this runtime can run: both where it has relaxed SIMD (Node >= 20). */
const runnable: readonly KernelVariant[] = relaxedSimdSupported() ? KERNEL_VARIANTS : ["plain"];
const floats = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2);

/** Runs one export on this thread over whole operands (the single-thread path, for comparison). */
function single(arrays: (Float32Array | Uint32Array | number)[], call: (ptrs: number[]) => number, outIndex: number): Float32Array {
  const ptrs = arrays.map((a) => ex.kiln_alloc(Math.max(4, typeof a === "number" ? a * 4 : a.byteLength)));
  arrays.forEach((a, i) => {
    if (typeof a !== "number") new (a instanceof Uint32Array ? Uint32Array : Float32Array)(ex.memory.buffer, ptrs[i], a.length).set(a);
  });
  expect(call(ptrs)).toBe(0);
  const out = new Float32Array(ex.memory.buffer, ptrs[outIndex], arrays[outIndex] as number).slice();
  ptrs.forEach((p) => ex.kiln_free(p));
  return out;
}

function singleGemm(a: Float32Array, b: Float32Array, B: number, M: number, N: number, K: number, ta: boolean, tb: boolean): Float32Array {
  return single([a, b, B * M * N], ([pa, pb, pc]) => {
    for (let i = 0; i < B; i++) {
      const s = ex.gemm_f32(M, N, K, pa + i * M * K * 4, ta ? M : K, pb + i * K * N * 4, tb ? K : N, pc + i * M * N * 4, N, 1, 0, +ta, +tb);
      if (s !== 0) return s;
    }
    return 0;
  }, 2);
}

/**
 * Equal within 1e-5 of the largest magnitude (partial sums added in another order differ in the
 * last bits), or, given `terms` (the same sums over the absolute values of their terms), within
 * 1e-5 of each element's sum of |terms|: a sum that cancels to near zero may differ by more than
 * its own size.
 */
function expectClose(got: Float32Array, want: Float32Array, terms?: Float32Array): void {
  expect(got.length).toBe(want.length);
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-30);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const bound = terms ? 1e-5 * Math.max(terms[i], 1e-30) : 1e-5 * scale;
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / bound);
  }
  expect(worst).toBeLessThanOrEqual(1);
}

/** Whether this CPU has a fused multiply-add that V8 emits for relaxed_madd (x86-64: FMA3; arm64 always). */
function cpuHasFma(): boolean {
  if (process.arch === "arm64") return true;
  try {
    return /^flags\s*:.*\bfma\b/m.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}

let oldMin = 0;
beforeAll(() => {
  oldMin = setMinShareFlops(0); // split even the small shapes the properties draw
  setThreads(2);
  expect(warmThreads()).toBe(2);
});
afterAll(() => {
  setMinShareFlops(oldMin);
  setThreads(threadCount());
});

describe("thread pool configuration", () => {
  it("uses the relaxed-SIMD build by default in Node >= 20 (KILN_KERNELS=plain forces the plain one)", () => {
    expect(rustKernelVariant(ex)).toBe(process.env.KILN_KERNELS === "plain" ? "plain" : "relaxed");
  });

  it("never mixes builds: a call with another build's instance than the pool's runs on the calling thread", () => {
    if (runnable.length < 2) return;
    const relaxed = loadRustKernelsSync("relaxed") as KernelExports;
    const plain = loadRustKernelsSync("plain") as KernelExports; // the pool now restarts for the plain build
    expect(warmThreads()).toBe(2);
    const a = new Float32Array(8).map((_, i) => (i % 2 === 0 ? 1 : 1 + 2 ** -12));
    const b = new Float32Array(8).map((_, i) => (i % 2 === 0 ? -1 : 1 + 2 ** -12));
    const out = new Float32Array(4);
    const before = threadStats();
    setCallerTakesPieces(false); // would put every piece on a plain-build worker
    expect(threadedGemm(relaxed, a, b, { B: 4, M: 1, N: 1, K: 2, transA: false, transB: false }, out)).toBe(true);
    setCallerTakesPieces(true);
    expect(threadStats().workerJoined).toBe(before.workerJoined);
    expect(Array.from(out)).toEqual(Array(4).fill(cpuHasFma() ? 2 ** -11 + 2 ** -24 : 2 ** -11));
    // The pool follows the relaxed instance from then on; restore the default build's.
    expect(warmThreads()).toBe(2);
    void plain;
    ex = loadRustKernelsSync() as KernelExports;
    expect(warmThreads()).toBe(2);
  });

  it("splits ranges into at most `parts` aligned, contiguous pieces", () => {
    expect(ranges(10, 2, 4)).toEqual([[0, 8], [8, 10]]);
    expect(ranges(10, 3, 1)).toEqual([[0, 4], [4, 8], [8, 10]]);
    expect(ranges(3, 8, 1)).toEqual([[0, 1], [1, 2], [2, 3]]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(1, 4, 8), (total, parts, align) => {
        const r = ranges(total, parts, align);
        expect(r.length).toBeLessThanOrEqual(parts);
        expect(r[0][0]).toBe(0);
        expect(r[r.length - 1][1]).toBe(total);
        r.forEach(([lo, hi], i) => {
          expect(hi).toBeGreaterThan(lo);
          expect(lo % align).toBe(0);
          if (i > 0) expect(lo).toBe(r[i - 1][1]);
        });
      }),
      { numRuns: propertyRuns(100) },
    );
  });

  it("setThreads validates its argument; 1 turns threading off", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 1000]) expect(() => setThreads(bad)).toThrow(RangeError);
    setThreads(1);
    expect(threadCount()).toBe(1);
    expect(warmThreads()).toBe(1);
    const a = floats(64 * 64, 1);
    expect(threadedGemm(ex, a, a, { B: 1, M: 64, N: 64, K: 64, transA: false, transB: false }, new Float32Array(64 * 64))).toBe(false);
    const g = conv2dGeometry([4, 6, 6, 2], [3, 3, 2, 4]);
    const desc = [g.n, g.h, g.w, g.c, g.kh, g.kw, g.o, 1, 1, 0, 0, 1, 1, 1, g.oh, g.ow];
    expect(threadedConv(ex, "conv2d_nhwc_f32", desc, floats(4 * 72, 1), floats(72, 2), new Float32Array(4 * 16 * 4))).toBeNull();
    setThreads(2);
    expect(warmThreads()).toBe(2);
  });

  it("reads KILN_THREADS (1 = off), defaults to the core count capped at 8, and the process exits with idle workers", () => {
    const url = new URL("./threads.ts", import.meta.url).href;
    const dispatch = new URL("./dispatch.ts", import.meta.url).href;
    const code = `Promise.all([import(${JSON.stringify(url)}), import(${JSON.stringify(dispatch)})]).then(([t, d]) => {
      const ex = d.loadRustKernelsSync();
      const ready = t.warmThreads();
      const a = new Float32Array(256 * 256).fill(1);
      const out = new Float32Array(256 * 256);
      const split = t.threadedGemm(ex, a, a, { B: 1, M: 256, N: 256, K: 256, transA: false, transB: false }, out);
      console.log(JSON.stringify({ count: t.threadCount(), ready, split, c: out[0] }));
    });`;
    const runChild = (env: Record<string, string>) => {
      const t0 = Date.now();
      const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      return { ...JSON.parse(r.stdout.trim().split("\n").pop()!), ms: Date.now() - t0 };
    };
    expect(runChild({ KILN_THREADS: "1" })).toMatchObject({ count: 1, ready: 1, split: false });
    const three = runChild({ KILN_THREADS: "3" });
    expect(three).toMatchObject({ count: 3, ready: 3, split: true, c: 256 });
    expect(three.ms).toBeLessThan(20_000); // exits on its own: no worker keeps the process alive
    const def = runChild({ KILN_THREADS: "" });
    expect(def.count).toBeGreaterThanOrEqual(1);
    expect(def.count).toBeLessThanOrEqual(MAX_DEFAULT_THREADS);
  });
});

describe.each(runnable)("threaded Rust kernels (%s build) equal the single-thread kernels", (variant) => {
  // Run with the calling thread taking pieces too, and with every piece on a worker.
  const modes = [[2, true], [3, true], [2, false]] as const;
  beforeAll(() => {
    ex = loadRustKernelsSync(variant) as KernelExports;
    expect(rustKernelVariant(ex)).toBe(variant);
  });
  afterAll(() => {
    ex = loadRustKernelsSync() as KernelExports; // the default build again, the backend's
    setThreads(2);
    expect(warmThreads()).toBe(2);
  });

  it("every worker runs this build: the relaxed one rounds a multiply-add once, the plain one twice", () => {
    // Per batch: -1 + (1 + 2^-12)^2 = 2^-11 + 2^-24 exactly; rounding the product first gives 2^-11.
    const B = 6;
    const a = new Float32Array(B * 2).map((_, i) => (i % 2 === 0 ? 1 : 1 + 2 ** -12));
    const b = new Float32Array(B * 2).map((_, i) => (i % 2 === 0 ? -1 : 1 + 2 ** -12));
    setThreads(3);
    expect(warmThreads()).toBe(3);
    setCallerTakesPieces(false);
    const out = new Float32Array(B);
    const joined = threadStats().workerJoined;
    expect(threadedGemm(ex, a, b, { B, M: 1, N: 1, K: 2, transA: false, transB: false }, out)).toBe(true);
    setCallerTakesPieces(true);
    setThreads(2);
    expect(threadStats().workerJoined - joined).toBe(2);
    const fused = variant === "relaxed" && cpuHasFma();
    expect(Array.from(out)).toEqual(Array(B).fill(fused ? 2 ** -11 + 2 ** -24 : 2 ** -11));
  });

  it("GEMM: odd sizes, transposes and batches, split by batch, rows or columns, on 2 and 3 threads", () => {
    const shape = fc.record({
      B: fc.integer({ min: 1, max: 4 }), M: fc.integer({ min: 1, max: 70 }), N: fc.integer({ min: 1, max: 70 }), K: fc.integer({ min: 0, max: 40 }),
      ta: fc.boolean(), tb: fc.boolean(),
    });
    const before = threadStats();
    let splits = 0;
    for (const [threads, caller] of modes) {
      setThreads(threads);
      warmThreads();
      setCallerTakesPieces(caller);
      fc.assert(
        fc.property(shape, ({ B, M, N, K, ta, tb }) => {
          const a = floats(B * M * K, M);
          const b = floats(B * K * N, N);
          const out = new Float32Array(B * M * N).fill(Number.NaN);
          const split = threadedGemm(ex, a, b, { B, M, N, K, transA: ta, transB: tb }, out);
          if (!split) return; // too small to split (M < 8 and N < 16 with B = 1)
          splits++;
          // Each element is the same dot product in the same order: bit-for-bit equal.
          expect(out).toEqual(singleGemm(a, b, B, M, N, K, ta, tb));
        }),
        { numRuns: propertyRuns(40) },
      );
    }
    setCallerTakesPieces(true);
    setThreads(2);
    expect(splits).toBeGreaterThan(0);
    expect(threadStats().calls - before.calls).toBe(splits);
  });

  it("conv2d forward, input and weight gradients: strides, padding, dilation, groups, split by batch", () => {
    const geometry = fc.record({
      n: fc.integer({ min: 2, max: 5 }), h: fc.integer({ min: 3, max: 8 }), w: fc.integer({ min: 3, max: 8 }),
      groups: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 3 }), og: fc.integer({ min: 1, max: 4 }),
      k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), dil: fc.integer({ min: 1, max: 2 }),
      pad: fc.integer({ min: 0, max: 2 }),
    }).filter((g) => g.h + 2 * g.pad >= (g.k - 1) * g.dil + 1 && g.w + g.pad >= (g.k - 1) * g.dil + 1);
    for (const [threads, caller] of modes) {
      setThreads(threads);
      warmThreads();
      setCallerTakesPieces(caller);
      fc.assert(
        fc.property(geometry, (p) => {
          const c = p.cg * p.groups;
          const o = p.og * p.groups;
          const g = conv2dGeometry([p.n, p.h, p.w, c], [p.k, p.k, p.cg, o], {
            strides: p.stride, padding: [[p.pad, p.pad], [p.pad, 0]], dilation: p.dil, groups: p.groups,
          });
          const desc = (groups: number) => [g.n, g.h, g.w, g.c, g.kh, g.kw, g.o, g.strides[0], g.strides[1], g.padding[0][0], g.padding[1][0],
            g.dilation[0], g.dilation[1], groups, g.oh, g.ow];
          const x = floats(g.n * g.h * g.w * c, 1);
          const wt = floats(g.kh * g.kw * p.cg * o, 2);
          const dy = floats(g.n * g.oh * g.ow * o, 3);
          const check = (fn: ConvExport, d: number[], a: Float32Array, b: Float32Array, len: number) => {
            const out = new Float32Array(len).fill(Number.NaN);
            expect(threadedConv(ex, fn, d, a, b, out)).toBe(true);
            const run = (u: Float32Array, v: Float32Array) => single([new Uint32Array(d), u, v, len], ([pd, pa, pb, py]) =>
              fn === "conv2d_nhwc_f32" ? ex.conv2d_nhwc_f32(pd, pa, pb, 0, 0, py) : ex[fn](pd, pa, pb, py), 3);
            const abs = (u: Float32Array) => u.map(Math.abs);
            expectClose(out, run(a, b), run(abs(a), abs(b)));
          };
          check("conv2d_nhwc_f32", desc(p.groups), x, wt, g.n * g.oh * g.ow * o);
          if (p.groups === 1) {
            check("conv2d_nhwc_grad_input_f32", desc(1), dy, wt, x.length);
            check("conv2d_nhwc_grad_weight_f32", desc(1), x, dy, wt.length);
          }
        }),
        { numRuns: propertyRuns(30) },
      );
    }
    setCallerTakesPieces(true);
    setThreads(2);
  });

});

describe("threads on the wasm backend", () => {
  it("matmul and a conv layer's gradients on the wasm backend agree between 1 and 2 threads", () => {
    const step = () =>
      tidy(() => {
        const x = np.array(Array.from({ length: 6 * 9 * 9 * 3 }, (_, i) => Math.sin(i * 0.3))).reshape([6, 9, 9, 3]);
        const w = np.array(Array.from({ length: 3 * 3 * 3 * 8 }, (_, i) => Math.cos(i * 0.7))).reshape([3, 3, 3, 8]);
        const m = np.array(Array.from({ length: 40 * 30 }, (_, i) => Math.sin(i * 0.11))).reshape([40, 30]);
        const loss = (ps: Tracer[]) => {
          const y = lax.convGeneralDilated(ps[0], ps[1], [2, 1], [[1, 1], [0, 1]], { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] });
          return np.sum(np.tanh(y)).add(np.sum(np.matmul(ps[2], ps[2].T)));
        };
        return (grad(loss)([x, w, m]) as unknown as Tracer[]).map((t) => t.dataSync() as Float32Array);
      });
    setBackend("wasm");
    expect(getBackend("wasm").name).toBe("wasm");
    setThreads(1);
    const one = step();
    setThreads(2);
    warmThreads();
    const calls = threadStats().calls;
    const two = step();
    expect(threadStats().calls - calls).toBeGreaterThanOrEqual(4); // conv, both conv grads, matmuls
    one.forEach((g, i) => expectClose(two[i], g));
  });
});

describe("thread failures", () => {
  // A 1x4x4x1 input, a 2x2 kernel of ones: 9 outputs of 4 each; pieces write 9 floats at yOff.
  const piece = (fn: ConvExport, yOff: number): ConvPiece => {
    const desc = [1, 4, 4, 1, 2, 2, 1, 1, 1, 0, 0, 1, 1, 1, 3, 3];
    return { kind: "conv", fn, desc, aOff: 0, aLen: 16, bOff: 16, bLen: 4, yOff, yLen: 9, partial: false };
  };
  const staging = () => {
    const sab = new SharedArrayBuffer(4 * 128);
    new Float32Array(sab).fill(1);
    return sab;
  };

  it("workers compute pieces on their own copy of the kernels", () => {
    const sab = staging();
    const good = Array.from({ length: 8 }, (_, i) => piece("conv2d_nhwc_f32", 20 + 9 * i));
    expect(runJobs(ex, sab, good, false)).toEqual([0, 0]); // this thread takes no piece
    expect([...new Float32Array(sab, 80, 72)]).toEqual(Array(72).fill(4));
    new Float32Array(sab).fill(1);
    expect(runJobs(ex, sab, good)).toEqual([0, 0]);
    expect([...new Float32Array(sab, 80, 72)]).toEqual(Array(72).fill(4));
  });

  it("an error inside a worker is thrown on the calling thread, and the pool recovers", () => {
    const sab = staging();
    const good = Array.from({ length: 8 }, (_, i) => piece("conv2d_nhwc_f32", 20 + 9 * i));
    expect(() => runJobs(ex, sab, [piece("no_such_export" as ConvExport, 20)], false)).toThrow(/kernel thread failed.*not a function/);
    expect(warmThreads()).toBe(2);
    // One bad piece among many: whichever thread takes it, the call throws its error.
    const bad = [...good.slice(0, 4), piece("no_such_export" as ConvExport, 20), ...good.slice(4)];
    expect(() => runJobs(ex, sab, bad)).toThrow(/not a function/);
    // The failed pool was shut down; a new one starts and splits again.
    expect(warmThreads()).toBe(2);
    const a = floats(64 * 64, 5);
    const out = new Float32Array(64 * 64);
    expect(threadedGemm(ex, a, a, { B: 1, M: 64, N: 64, K: 64, transA: false, transB: false }, out)).toBe(true);
    expect(out).toEqual(singleGemm(a, a, 1, 64, 64, 64, false, false));
  });

  it("a kernel's non-zero status comes back as a status, not as a hang", () => {
    const sab = staging();
    const broken = { ...piece("conv2d_nhwc_f32", 20), desc: [1, 4, 4, 1, 2, 2, 1, 0, 1, 0, 0, 1, 1, 1, 3, 3] }; // stride 0
    const statuses = runJobs(ex, sab, [piece("conv2d_nhwc_f32", 20), broken, piece("conv2d_nhwc_f32", 29)]);
    expect(statuses.some((s) => s !== 0)).toBe(true);
    expect(runJobs(ex, sab, [piece("conv2d_nhwc_f32", 20), piece("conv2d_nhwc_f32", 29)])).toEqual([0, 0]);
  });
});
