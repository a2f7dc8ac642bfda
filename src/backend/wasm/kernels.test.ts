/**
 * @file Tests of the committed Rust SIMD kernels through their JS loader, for each build the
 * runtime can run (kiln_kernels_relaxed.wasm with relaxed-SIMD FMA, kiln_kernels.wasm plain):
 * GEMM against a float64 triple loop over random shapes, transposes, strides, alpha and beta;
 * the fused bias/activation epilogues and the accuracy of sigmoid/tanh; conv2d forward and both
 * gradients against naive loops over random strides/padding/dilation/groups. Then which build
 * is chosen, that the relaxed one really fuses, and that both agree. No Rust needed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import {
  conv2dGeometry, KERNEL_EXPORTS, KERNEL_VARIANTS, kernelsWasmUrl, kernelVariant, loadKernels, relaxedSimdSupported,
  type Activation, type Conv2dGeometry, type Kernels, type KernelVariant,
} from "./kernels.js";

/** The build the suite below is running against (each suite's beforeAll sets it). */
let k: Kernels;

/** Deterministic floats in [-1, 1) from a seed (fast-check shrinks the seed, not 5000 floats). */
function randoms(seed: number, len: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Expects |got - want| <= tol * scale + 1e-6 elementwise, where scale bounds the rounding. */
function expectClose(got: Float32Array, want: ArrayLike<number>, scale: ArrayLike<number>, tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * scale[i] + 1e-6)) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]} (scale ${scale[i]})`);
  }
}

const ACT_REF: Record<Activation, (x: number) => number> = {
  none: (x) => x,
  relu: (x) => Math.max(x, 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
};

interface GemmCase {
  m: number; n: number; k: number; transA: boolean; transB: boolean;
  padA: number; padB: number; alpha: number; beta: number; seed: number;
}

/** float64 reference of alpha op(A) op(B) + beta C, and the matching error scale sum |terms|. */
function gemmRef(a: Float32Array, b: Float32Array, c: Float32Array, p: GemmCase, lda: number, ldb: number) {
  const want = new Float64Array(p.m * p.n);
  const scale = new Float64Array(p.m * p.n);
  for (let i = 0; i < p.m; i++) {
    for (let j = 0; j < p.n; j++) {
      let s = 0;
      let sa = 0;
      for (let q = 0; q < p.k; q++) {
        const av = p.transA ? a[q * lda + i] : a[i * lda + q];
        const bv = p.transB ? b[j * ldb + q] : b[q * ldb + j];
        s += av * bv;
        sa += Math.abs(av * bv);
      }
      want[i * p.n + j] = p.alpha * s + (p.beta === 0 ? 0 : p.beta * c[i * p.n + j]);
      scale[i * p.n + j] = Math.abs(p.alpha) * sa + Math.abs(p.beta * c[i * p.n + j]);
    }
  }
  return { want, scale };
}

function runGemm(p: GemmCase, bias?: Float32Array, activation: Activation = "none") {
  const lda = (p.transA ? p.m : p.k) + p.padA;
  const ldb = (p.transB ? p.k : p.n) + p.padB;
  const a = randoms(p.seed, (p.transA ? p.k : p.m) * lda);
  const b = randoms(p.seed + 1, (p.transB ? p.n : p.k) * ldb);
  const c = randoms(p.seed + 2, p.m * p.n);
  const got = k.gemm(a, b, p.m, p.n, p.k, { ...p, lda, ldb, c, bias, activation });
  return { got, ...gemmRef(a, b, c, p, lda, ldb) };
}

const gemmCase = (max: number) =>
  fc.record({
    m: fc.integer({ min: 1, max }), n: fc.integer({ min: 1, max }), k: fc.integer({ min: 1, max }),
    transA: fc.boolean(), transB: fc.boolean(),
    padA: fc.integer({ min: 0, max: 3 }), padB: fc.integer({ min: 0, max: 3 }),
    alpha: fc.constantFrom(1, -0.5, 2.25), beta: fc.constantFrom(0, 1, -1.5),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  });

/** float64 conv2d forward, input gradient and weight gradient by direct loops over every tap. */
function convRef(g: Conv2dGeometry, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const cg = g.c / g.groups, og = g.o / g.groups;
  const y = new Float64Array(g.n * g.oh * g.ow * g.o), yScale = new Float64Array(y.length);
  const dx = new Float64Array(x.length), dxScale = new Float64Array(x.length);
  const dw = new Float64Array(w.length), dwScale = new Float64Array(w.length);
  for (let b = 0; b < g.n; b++) for (let oy = 0; oy < g.oh; oy++) for (let ox = 0; ox < g.ow; ox++) for (let oc = 0; oc < g.o; oc++) {
    const yi = ((b * g.oh + oy) * g.ow + ox) * g.o + oc;
    const grp = Math.floor(oc / og);
    for (let ky = 0; ky < g.kh; ky++) for (let kx = 0; kx < g.kw; kx++) {
      const iy = oy * g.strides[0] - g.padding[0][0] + ky * g.dilation[0];
      const ix = ox * g.strides[1] - g.padding[1][0] + kx * g.dilation[1];
      if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
      for (let ci = 0; ci < cg; ci++) {
        const xi = ((b * g.h + iy) * g.w + ix) * g.c + grp * cg + ci;
        const wi = ((ky * g.kw + kx) * cg + ci) * g.o + oc;
        y[yi] += x[xi] * w[wi]; yScale[yi] += Math.abs(x[xi] * w[wi]);
        dx[xi] += dy[yi] * w[wi]; dxScale[xi] += Math.abs(dy[yi] * w[wi]);
        dw[wi] += x[xi] * dy[yi]; dwScale[wi] += Math.abs(x[xi] * dy[yi]);
      }
    }
  }
  return { y, yScale, dx, dxScale, dw, dwScale };
}

const convCase = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }),
    cg: fc.integer({ min: 1, max: 4 }), og: fc.integer({ min: 1, max: 5 }), groups: fc.integer({ min: 1, max: 3 }),
    kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }),
    strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  .filter((p) => p.h + p.pads[0] + p.pads[1] >= p.dilation[0] * (p.kh - 1) + 1 && p.w + p.pads[2] + p.pads[3] >= p.dilation[1] * (p.kw - 1) + 1);

function checkConv(g: Conv2dGeometry, seed: number, act: Activation = "none", withBias = false): void {
  const x = randoms(seed, g.n * g.h * g.w * g.c);
  const w = randoms(seed + 1, g.kh * g.kw * (g.c / g.groups) * g.o);
  const dy = randoms(seed + 2, g.n * g.oh * g.ow * g.o);
  const bias = withBias ? randoms(seed + 3, g.o) : undefined;
  const r = convRef(g, x, w, dy);
  const want = r.y.map((v, i) => ACT_REF[act](v + (bias ? bias[i % g.o] : 0)));
  expectClose(k.conv2d(x, w, g, { bias, activation: act }), want, r.yScale.map((s, i) => s + 1 + Math.abs(want[i])));
  expectClose(k.conv2dGradInput(dy, w, g), r.dx, r.dxScale);
  expectClose(k.conv2dGradWeight(x, dy, g), r.dw, r.dwScale);
}

/** Every test of one build; `k` is that build while they run. */
function kernelSuite(variant: KernelVariant): void {
  beforeAll(async () => {
    k = await loadKernels(variant);
  });

  describe("the artifact", () => {
    it("exports the kernel ABI, one memory and imports nothing", () => {
      const bytes = readFileSync(fileURLToPath(kernelsWasmUrl(variant)));
      const wasm = (globalThis as unknown as { WebAssembly: { Module: { new (b: Uint8Array): object; exports(m: object): { name: string; kind: string }[]; imports(m: object): unknown[] } } }).WebAssembly;
      const mod = new wasm.Module(bytes);
      const exports = wasm.Module.exports(mod);
      for (const name of KERNEL_EXPORTS) expect(exports.map((e) => e.name)).toContain(name);
      expect(exports.filter((e) => e.kind === "memory")).toEqual([{ name: "memory", kind: "memory" }]);
      expect(wasm.Module.imports(mod)).toEqual([]);
    });

    it("is instantiated once per process", async () => {
      expect(await loadKernels(variant)).toBe(k);
      expect(k.variant).toBe(variant);
    });

    it("allocates 16-byte aligned blocks and reuses freed ones", () => {
      const ex = k.exports;
      const base = k.heapInUse();
      const p = [1, 17, 100, 4096].map((n) => ex.kiln_alloc(n));
      for (const q of p) expect(q % 16).toBe(0);
      expect(new Set(p).size).toBe(4);
      expect(k.heapInUse() - base).toBe(16 + 32 + 112 + 4096);
      ex.kiln_free(p[1]);
      expect(ex.kiln_alloc(20)).toBe(p[1]); // first fit reuses the hole
      for (const q of p) ex.kiln_free(q);
      ex.kiln_free(0); // ignored
      expect(k.heapInUse()).toBe(base);
    });
  });

  describe("gemm_f32", () => {
    it("multiplies a known 2x3 by 3x2", () => {
      const a = new Float32Array([1, 2, 3, 4, 5, 6]);
      const b = new Float32Array([7, 8, 9, 10, 11, 12]);
      expect(Array.from(k.gemm(a, b, 2, 2, 3))).toEqual([58, 64, 139, 154]);
      expect(Array.from(k.gemm(a, b, 3, 3, 2, { transA: true, transB: true }))).toEqual([39, 49, 59, 54, 68, 82, 69, 87, 105]);
    });

    it("matches a float64 loop for random shapes, transposes, strides, alpha and beta", () => {
      fc.assert(
        fc.property(gemmCase(70), (p) => {
          const { got, want, scale } = runGemm(p);
          expectClose(got, want, scale);
        }),
        { numRuns: propertyRuns() },
      );
    });

    it("crosses every cache block (MC=128, KC=512, NC=3072) with exact edges", () => {
      for (const p of [
        { m: 133, n: 29, k: 1030, transA: false, transB: true, padA: 1, padB: 0, alpha: 1, beta: 1, seed: 7 },
        { m: 3, n: 3077, k: 5, transA: true, transB: false, padA: 0, padB: 2, alpha: 0.5, beta: 0, seed: 9 },
      ]) {
        const { got, want, scale } = runGemm(p);
        expectClose(got, want, scale);
      }
    });

    it("writes into a caller's out array and checks its length", () => {
      const out = new Float32Array(4);
      const a = new Float32Array([1, 2, 3, 4]);
      expect(k.gemm(a, a, 2, 2, 2, { out })).toBe(out);
      expect(Array.from(out)).toEqual([7, 10, 15, 22]);
      expect(() => k.gemm(a, a, 2, 2, 2, { out: new Float32Array(3) })).toThrow(/out must have 4 floats/);
    });

    it("handles k = 0 (C = beta C) and empty outputs", () => {
      const c = new Float32Array([1, -2, 3, 4]);
      expect(Array.from(k.gemm(new Float32Array(0), new Float32Array(0), 2, 2, 0, { beta: 2, c }))).toEqual([2, -4, 6, 8]);
      expect(Array.from(k.gemm(new Float32Array(0), new Float32Array(0), 2, 2, 0, { bias: new Float32Array([1, 1]), activation: "relu" }))).toEqual([1, 1, 1, 1]);
      expect(k.gemm(new Float32Array(0), new Float32Array(6), 0, 2, 3).length).toBe(0);
    });

    it("does not read C when beta is 0, so NaN there does not propagate", () => {
      const ex = k.exports;
      const pa = ex.kiln_alloc(4), pb = ex.kiln_alloc(4), pc = ex.kiln_alloc(4);
      const f = new Float32Array(ex.memory.buffer);
      f[pa / 4] = 2; f[pb / 4] = 3; f[pc / 4] = NaN;
      expect(ex.gemm_f32(1, 1, 1, pa, 1, pb, 1, pc, 1, 1, 0, 0, 0)).toBe(0);
      expect(new Float32Array(ex.memory.buffer)[pc / 4]).toBe(6);
      [pa, pb, pc].forEach((p) => ex.kiln_free(p));
    });

    it("frees its packing scratch and rejects bad arguments", () => {
      const base = k.heapInUse();
      k.gemm(randoms(1, 50 * 40), randoms(2, 40 * 30), 50, 30, 40);
      expect(k.heapInUse()).toBe(base);
      expect(() => k.gemm(new Float32Array(5), new Float32Array(6), 2, 2, 3)).toThrow(/a needs at least 6 floats/);
      expect(() => k.gemm(new Float32Array(6), new Float32Array(6), 2, 2, 3, { lda: 2 })).toThrow(/row stride must be >= 3/);
      expect(() => k.gemm(new Float32Array(6), new Float32Array(6), 2, 2, 3, { beta: 1 })).toThrow(/needs opts.c/);
      expect(k.exports.gemm_f32(2, 2, 3, 16, 2, 16, 2, 16, 2, 1, 0, 0, 0)).toBe(-2); // lda < k
      expect(k.exports.gemm_bias_act_f32(1, 1, 1, 16, 1, 16, 1, 16, 1, 1, 0, 0, 0, 0, 9)).toBe(-2); // unknown activation
    });
  });

  describe("gemm_bias_act_f32", () => {
    it.each(["none", "relu", "sigmoid", "tanh"] as const)("fuses bias and %s into random GEMMs", (act) => {
      fc.assert(
        fc.property(gemmCase(40), (p) => {
          const bias = randoms(p.seed + 3, p.n);
          const { got, want, scale } = runGemm(p, bias, act);
          // Activations are 1-Lipschitz, so the GEMM error bound carries over; add 3 ulp of the result.
          const y = want.map((v, i) => ACT_REF[act](v + bias[i % p.n]));
          expectClose(got, y, scale.map((s, i) => s + 0.3 * Math.abs(y[i]) + Math.abs(bias[i % p.n])));
        }),
        { numRuns: propertyRuns(25) },
      );
    });

    it("computes sigmoid within 3 ulp and tanh within 2 ulp of float64 over [-87, 87]", () => {
      const n = 400_001;
      const x = new Float32Array(n).map((_, i) => -87 + (174 * i) / (n - 1));
      for (const [act, maxUlp] of [["sigmoid", 3], ["tanh", 2]] as const) {
        const y = k.gemm(x, new Float32Array([1]), n, 1, 1, { activation: act });
        let worst = 0;
        for (let i = 0; i < n; i++) {
          const ref = ACT_REF[act](x[i]);
          if (ref === 0) continue;
          const ulp = 2 ** (Math.floor(Math.log2(Math.abs(ref))) - 23);
          worst = Math.max(worst, Math.abs(y[i] - ref) / ulp);
        }
        expect(worst, act).toBeLessThanOrEqual(maxUlp);
      }
    });

    it("saturates and underflows cleanly and keeps NaN", () => {
      const x = new Float32Array([-1e30, -100, -88, 0, 100, 1e30, NaN, 1e-30]);
      const tiny = Math.fround(1e-30);
      const one = new Float32Array([1]);
      const run = (act: Activation) => Array.from(k.gemm(x, one, x.length, 1, 1, { activation: act }));
      expect(run("sigmoid")).toEqual([0, 0, 0, 0.5, 1, 1, NaN, 0.5]);
      expect(run("tanh")).toEqual([-1, -1, -1, 0, 1, 1, NaN, tiny]);
      expect(run("relu")).toEqual([0, 0, 0, 0, 100, Math.fround(1e30), NaN, tiny]);
    });
  });

  describe("conv2d_nhwc_f32 and its gradients", () => {
    it("computes a known 3x3 valid convolution", () => {
      const g = conv2dGeometry([1, 3, 3, 1], [2, 2, 1, 1]);
      const y = k.conv2d(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), new Float32Array([1, 0, 0, -1]), g);
      expect(Array.from(y)).toEqual([-4, -4, -4, -4]);
    });

    it("matches naive loops for random strides, padding, dilation and groups", () => {
      fc.assert(
        fc.property(convCase, fc.constantFrom<Activation>("none", "relu", "tanh"), fc.boolean(), (p, act, withBias) => {
          const g = conv2dGeometry([p.n, p.h, p.w, p.cg * p.groups], [p.kh, p.kw, p.cg, p.og * p.groups], {
            strides: p.strides, dilation: p.dilation, groups: p.groups, padding: [[p.pads[0], p.pads[1]], [p.pads[2], p.pads[3]]],
          });
          checkConv(g, p.seed, act, withBias);
        }),
        { numRuns: propertyRuns() },
      );
    });

    it("takes the direct path for grouped 1x1 convolutions", () => {
      checkConv(conv2dGeometry([2, 5, 4, 6], [1, 1, 2, 9], { groups: 3 }), 11, "sigmoid", true);
    });

    it("splits im2col into chunks when the patch matrix exceeds the scratch budget", () => {
      // 2 * 40 * 40 = 3200 output rows of 3*3*64 = 576 floats: 1.8M floats, two 1M-float chunks.
      const g = conv2dGeometry([2, 40, 40, 64], [3, 3, 64, 3], { padding: "same" });
      const base = k.heapInUse();
      checkConv(g, 5);
      expect(k.heapInUse()).toBe(base);
    });

    it("derives output sizes and SAME padding like JAX", () => {
      const g = conv2dGeometry([1, 7, 8, 2], [3, 3, 2, 4], { strides: 2, padding: "same" });
      expect([g.oh, g.ow, g.padding]).toEqual([4, 4, [[1, 1], [0, 1]]]);
      expect(conv2dGeometry([1, 28, 28, 1], [3, 3, 1, 32]).oh).toBe(26);
      expect(conv2dGeometry([1, 9, 9, 1], [3, 3, 1, 1], { dilation: 2 }).oh).toBe(5);
      expect(() => conv2dGeometry([1, 5, 5, 4], [3, 3, 3, 2], { groups: 2 })).toThrow(RangeError);
      expect(() => conv2dGeometry([1, 2, 2, 1], [3, 3, 1, 1])).toThrow(/larger than the padded input/);
      expect(() => k.conv2d(new Float32Array(3), new Float32Array(4), conv2dGeometry([1, 2, 2, 1], [2, 2, 1, 1]))).toThrow(/x must have 4 floats/);
    });
  });
}

/** The builds this runtime can run: both where it has relaxed SIMD (Node >= 20, Chrome >= 114). */
const runnable: readonly KernelVariant[] = relaxedSimdSupported() ? KERNEL_VARIANTS : ["plain"];
describe.each(runnable)("%s build", kernelSuite);

/** Whether this CPU has a fused multiply-add that V8 emits for relaxed_madd (x86-64: FMA3; arm64 always). */
function cpuHasFma(): boolean {
  if (process.arch === "arm64") return true;
  try {
    return /^flags\s*:.*\bfma\b/m.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}

describe("choosing a build", () => {
  it("Node >= 20 runs relaxed SIMD (after setting V8's flag), so the relaxed build is the default", async () => {
    expect(relaxedSimdSupported()).toBe(true);
    expect(relaxedSimdSupported()).toBe(true); // cached, and the flag is not set twice
    expect(kernelVariant()).toBe(process.env.KILN_KERNELS === "plain" ? "plain" : "relaxed");
    expect((await loadKernels()).variant).toBe(kernelVariant());
    expect(kernelsWasmUrl("relaxed").pathname).toMatch(/kiln_kernels_relaxed\.wasm$/);
    expect(kernelsWasmUrl("plain").pathname).toMatch(/kiln_kernels\.wasm$/);
  });

  it("KILN_KERNELS=plain forces the plain build", () => {
    const url = new URL("./kernels.ts", import.meta.url).href;
    const code = `import(${JSON.stringify(url)}).then(async (m) => console.log(m.kernelVariant(), (await m.loadKernels()).variant))`;
    const run = (value: string) => {
      const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], { env: { ...process.env, KILN_KERNELS: value }, encoding: "utf8", timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim().split("\n").pop();
    };
    expect(run("plain")).toBe("plain plain");
    expect(run("")).toBe("relaxed relaxed");
  });

  it("the relaxed build rounds a multiply-add once, the plain build twice", async () => {
    // -1 + (1 + 2^-12)^2 = 2^-11 + 2^-24 exactly; rounding the product first loses the 2^-24 (a tie to even).
    const a = new Float32Array([1, 1 + 2 ** -12]);
    const b = new Float32Array([-1, 1 + 2 ** -12]);
    expect((await loadKernels("plain")).gemm(a, b, 1, 1, 2)[0]).toBe(2 ** -11);
    const relaxed = (await loadKernels("relaxed")).gemm(a, b, 1, 1, 2)[0];
    // relaxed_madd may run unfused on a CPU without FMA; every CPU this project runs on has one.
    expect(relaxed).toBe(cpuHasFma() ? 2 ** -11 + 2 ** -24 : 2 ** -11);
  });
});

describe("the relaxed and plain builds agree", () => {
  let plain: Kernels;
  let relaxed: Kernels;
  beforeAll(async () => {
    [plain, relaxed] = await Promise.all([loadKernels("plain"), loadKernels("relaxed")]);
  });

  /** One fused rounding per step instead of two: equal within 1e-5 of the sum of |terms|. */
  const expectAgree = (r: Float32Array, p: Float32Array, scale: ArrayLike<number>) => expectClose(r, p, scale, 1e-5);

  it("GEMM with epilogues, over random shapes, transposes, strides, alpha and beta", () => {
    fc.assert(
      fc.property(gemmCase(70), fc.constantFrom<Activation>("none", "relu", "sigmoid", "tanh"), fc.boolean(), (p, activation, withBias) => {
        const lda = (p.transA ? p.m : p.k) + p.padA;
        const ldb = (p.transB ? p.k : p.n) + p.padB;
        const a = randoms(p.seed, (p.transA ? p.k : p.m) * lda);
        const b = randoms(p.seed + 1, (p.transB ? p.n : p.k) * ldb);
        const c = randoms(p.seed + 2, p.m * p.n);
        const bias = withBias ? randoms(p.seed + 3, p.n) : undefined;
        const opts = { ...p, lda, ldb, c, bias, activation };
        const { scale } = gemmRef(a, b, c, p, lda, ldb);
        const want = plain.gemm(a, b, p.m, p.n, p.k, opts);
        expectAgree(relaxed.gemm(a, b, p.m, p.n, p.k, opts), want, scale.map((s, i) => s + Math.abs(want[i])));
      }),
      { numRuns: propertyRuns() },
    );
  });

  it("conv2d forward, input gradient and weight gradient over random geometries", () => {
    fc.assert(
      fc.property(convCase, (p) => {
        const g = conv2dGeometry([p.n, p.h, p.w, p.cg * p.groups], [p.kh, p.kw, p.cg, p.og * p.groups], {
          strides: p.strides, dilation: p.dilation, groups: p.groups, padding: [[p.pads[0], p.pads[1]], [p.pads[2], p.pads[3]]],
        });
        const x = randoms(p.seed, g.n * g.h * g.w * g.c);
        const w = randoms(p.seed + 1, g.kh * g.kw * p.cg * g.o);
        const dy = randoms(p.seed + 2, g.n * g.oh * g.ow * g.o);
        const r = convRef(g, x, w, dy);
        expectAgree(relaxed.conv2d(x, w, g), plain.conv2d(x, w, g), r.yScale);
        expectAgree(relaxed.conv2dGradInput(dy, w, g), plain.conv2dGradInput(dy, w, g), r.dxScale);
        expectAgree(relaxed.conv2dGradWeight(x, dy, g), plain.conv2dGradWeight(x, dy, g), r.dwScale);
      }),
      { numRuns: propertyRuns() },
    );
  });

  it("a large GEMM (k = 1030 crosses a KC block) differs in the last bits only", () => {
    const [m, n, kk] = [37, 45, 1030];
    const a = randoms(3, m * kk);
    const b = randoms(4, kk * n);
    const p = { m, n, k: kk, transA: false, transB: false, padA: 0, padB: 0, alpha: 1, beta: 0, seed: 0 };
    const { scale } = gemmRef(a, b, new Float32Array(m * n), p, kk, n);
    const r = relaxed.gemm(a, b, m, n, kk);
    const q = plain.gemm(a, b, m, n, kk);
    expectAgree(r, q, scale);
    expect(r.some((v, i) => v !== q[i])).toBe(cpuHasFma()); // the builds really differ
  });
});
