import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lax, np, vjp } from "../../index.js";
import { setBackend } from "../../backend/registry.js";
import type { Tracer } from "../../trace/core.js";
import type { WebGPUBackend } from "../../backend/webgpu/webgpu-backend.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { expectHostClose, runOn, startWebGPU } from "../../../tests/helpers/webgpu.js";
import { type ConvParamsWgsl, convBlocking, convWgsl, convWgslStats } from "./conv.js";

let gpu: WebGPUBackend;
beforeAll(async () => {
  gpu = await startWebGPU();
});
afterAll(() => setBackend("reference"));


/** Deterministic pseudo-random values in [-1, 1), different per element and per seed (uncorrelated, so sums stay small). */
function values(shape: number[], seed: number): Tracer {
  const n = shape.reduce((a, b) => a * b, 1);
  return np.array(Float32Array.from({ length: n }, (_, i) => ((Math.imul(i + 1, 2654435761) ^ Math.imul(seed, 40503)) >>> 0) / 2 ** 31 - 1)).reshape(shape);
}

type ConvOpts = Parameters<typeof lax.convGeneralDilated>[4];
type Pads = Parameters<typeof lax.convGeneralDilated>[3];

interface Case {
  readonly x: number[];
  readonly w: number[];
  readonly strides: number[];
  readonly padding: Pads;
  readonly opts: ConvOpts;
}

const conv = (c: Case) => (x: Tracer, w: Tracer) => lax.convGeneralDilated(x, w, c.strides, c.padding, c.opts);

/**
 * Runs `f` on the reference and on webgpu and compares; expects `runs` convolutions to have run
 * as the WGSL conv on webgpu.
 */
async function same(what: string, f: () => Tracer[], runs: number): Promise<void> {
  const want = await runOn("reference", f);
  const before = convWgslStats.runs;
  const got = await runOn("webgpu", f);
  expect(convWgslStats.runs - before, `${what}: convolutions run as the WGSL conv`).toBe(runs);
  // float32 sums round with error relative to their terms, not their result: outputs near zero
  // by cancellation get an absolute tolerance scaled by the largest output.
  const scale = want.flatMap((o) => o.data).reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
  expectHostClose(got, want, what, () => ({ rtol: 1e-4, atol: 1e-5 + 2e-6 * scale }));
}

/** Forward conv, then both gradients (vjp with a non-uniform cotangent): three convolutions. */
async function checkCase(what: string, c: Case): Promise<void> {
  const f = conv(c);
  await same(`${what} forward`, () => [f(values(c.x, 1), values(c.w, 2))], 1);
  await same(`${what} gradients`, () => {
    const [y, pullback] = vjp(f, values(c.x, 1), values(c.w, 2));
    return pullback(values([...y.shape], 3)) as Tracer[];
  }, 3);
}

const NHWC = { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] as const };
const NCHW = { dimensionNumbers: ["NCHW", "OIHW", "NCHW"] as const };

describe("WGSL conv == reference conv (forward, input and weight gradients)", () => {
  const cases: Record<string, Case> = {
    "NHWC/HWIO, VALID": { x: [2, 7, 6, 3], w: [3, 3, 3, 5], strides: [1, 1], padding: "VALID", opts: NHWC },
    "NCHW/OIHW, SAME": { x: [2, 3, 6, 7], w: [4, 3, 3, 2], strides: [1, 1], padding: "SAME", opts: NCHW },
    "strides 2x3, asymmetric padding": { x: [2, 9, 8, 2], w: [3, 2, 2, 6], strides: [2, 3], padding: [[1, 2], [0, 1]], opts: NHWC },
    "negative padding": { x: [1, 8, 9, 2], w: [2, 3, 2, 3], strides: [1, 2], padding: [[-1, 2], [1, -2]], opts: NHWC },
    "lhs (base) dilation": { x: [2, 5, 4, 2], w: [3, 2, 2, 3], strides: [1, 1], padding: [[1, 1], [2, 0]], opts: { ...NHWC, lhsDilation: [2, 3] } },
    "rhs (window) dilation, stride 2": { x: [1, 2, 11, 10], w: [3, 2, 3, 2], strides: [2, 1], padding: [[2, 1], [0, 0]], opts: { ...NCHW, rhsDilation: [2, 3] } },
    "feature groups": { x: [2, 6, 5, 6], w: [3, 3, 2, 9], strides: [1, 1], padding: "SAME", opts: { ...NHWC, featureGroupCount: 3 } },
    "depthwise (one feature per group)": { x: [2, 4, 6, 6], w: [4, 1, 3, 3], strides: [2, 2], padding: "SAME", opts: { ...NCHW, featureGroupCount: 4 } },
    "batch groups": { x: [4, 6, 5, 3], w: [3, 2, 3, 6], strides: [1, 1], padding: [[1, 0], [0, 1]], opts: { ...NHWC, batchGroupCount: 2 } },
    "1-D, NWC/WIO": { x: [3, 17, 4], w: [5, 4, 7], strides: [2], padding: [[3, 1]], opts: { dimensionNumbers: ["NWC", "WIO", "NWC"], rhsDilation: [2] } },
    "3-D, NCDHW": { x: [2, 2, 5, 4, 6], w: [3, 2, 2, 3, 2], strides: [1, 2, 1], padding: [[1, 0], [1, 1], [0, 1]], opts: { dimensionNumbers: ["NCDHW", "OIDHW", "NCDHW"] } },
    "MNIST CNN conv2 shapes (batch 4)": { x: [4, 13, 13, 32], w: [3, 3, 32, 64], strides: [1, 1], padding: "VALID", opts: NHWC },
    "MNIST CNN conv1 shapes (batch 8)": { x: [8, 28, 28, 1], w: [3, 3, 1, 32], strides: [1, 1], padding: "VALID", opts: NHWC },
  };
  for (const [name, c] of Object.entries(cases)) it(name, () => checkCase(name, c));

  it("mixed dimension numbers (batch and feature axes anywhere)", async () => {
    const c: Case = {
      x: [5, 3, 2, 6], w: [2, 4, 3, 3], strides: [1, 2], padding: [[1, 1], [0, 2]],
      opts: { dimensionNumbers: { lhsSpec: [2, 1, 3, 0], rhsSpec: [1, 2, 3, 0], outSpec: [3, 0, 2, 1] } },
    };
    await checkCase("mixed", c);
  });

  it("padding reads zero, not the clamped element (an inf there would give NaN)", async () => {
    const x = () => values([1, 4, 4, 1], 1).mul(np.array([Infinity, 1, 1, 1]).reshape([1, 1, 4, 1]));
    await same("inf input", () => [lax.convGeneralDilated(x(), values([3, 3, 1, 4], 2), [1, 1], [[2, 2], [-1, 2]], NHWC)], 1);
  });

  it("a long contraction with few outputs splits and sums its parts (two dispatches)", async () => {
    const [x, w] = [[16, 20, 20, 8], [3, 3, 8, 4]];
    const f = () => {
      const [, pullback] = vjp((wt: Tracer) => lax.convGeneralDilated(values(x, 1), wt, [1, 1], "VALID", NHWC), values(w, 2));
      return pullback(values([16, 18, 18, 4], 3)) as Tracer[];
    };
    const d0 = gpu.stream.stats.dispatches;
    await same("split weight gradient", f, 2);
    // Weight gradient: the staged conv contracts over 16 x 18 x 18 terms for 3 x 3 x 8 x 4 outputs.
    expect(gpu.stream.stats.dispatches - d0).toBeGreaterThanOrEqual(2);
  });
});

describe("convWgsl", () => {
  const params: ConvParamsWgsl = {
    windowStrides: [1, 1], padding: [[0, 0], [0, 0]], lhsDilation: [1, 1], rhsDilation: [1, 1],
    dimensionNumbers: { lhsSpec: [0, 3, 1, 2], rhsSpec: [3, 2, 0, 1], outSpec: [0, 3, 1, 2] }, featureGroupCount: 1, batchGroupCount: 1,
  };

  it("bakes the shapes in: one shader per signature, no bounds checks where no tap can miss", () => {
    const a = convWgsl([8, 28, 28, 1], [3, 3, 1, 32], [8, 26, 26, 32], params).main.code;
    expect(a).toContain("@compute @workgroup_size(64)");
    expect(a).not.toContain("select(");
    const padded = convWgsl([8, 28, 28, 1], [3, 3, 1, 32], [8, 28, 28, 32], { ...params, padding: [[1, 1], [1, 1]] }).main.code;
    expect(padded).toContain("select(");
    expect(padded).not.toBe(a);
  });

  it("picks 8-feature blocks, and lanes on features when they fill a SIMD row", () => {
    expect(convBlocking([1, 28, 28, 1], [3, 3, 1, 32], [1, 26, 26, 32], params)).toEqual({ bm: 8, bn: 8, wg: 64, splits: 1, lanes: "positions" });
    expect(convBlocking([128, 13, 13, 32], [3, 3, 32, 64], [128, 11, 11, 64], params)).toEqual({ bm: 16, bn: 8, wg: 8, splits: 1, lanes: "features" });
    expect(convBlocking([2, 8, 8, 3], [3, 3, 1, 3], [2, 6, 6, 3], { ...params, featureGroupCount: 3 })).toMatchObject({ bn: 1, bm: 16 });
  });

  it("splits long contractions over few outputs, and only those", () => {
    expect(convBlocking([128, 28, 28, 1], [3, 3, 1, 32], [128, 26, 26, 32], params).splits).toBe(1);
    const wgrad = { ...params, dimensionNumbers: { lhsSpec: [3, 0, 1, 2], rhsSpec: [3, 0, 1, 2], outSpec: [2, 3, 0, 1] } };
    const b = convBlocking([128, 13, 13, 32], [128, 11, 11, 64], [3, 3, 32, 64], wgrad);
    expect(b.splits).toBeGreaterThan(1);
    const c = convWgsl([128, 13, 13, 32], [128, 11, 11, 64], [3, 3, 32, 64], wgrad);
    expect(c.splits).toBe(b.splits);
    expect(c.reduce?.code).toContain(`${b.splits}u`);
  });

  it("folds launches past the per-dimension limit into a second grid dimension", () => {
    const c = convWgsl([8, 28, 28, 1], [3, 3, 1, 32], [8, 26, 26, 32], params, { bm: 4, bn: 4, wg: 64, splits: 1, lanes: "positions" }, 16);
    // 1352 position blocks in rows of 64 lanes, times 8 feature blocks: 176 workgroups.
    expect(c.main.workgroups).toEqual([16, 11, 1]);
    expect(() => convWgsl([8, 28, 28, 1], [3, 3, 1, 32], [8, 26, 26, 32], params, { bm: 4, bn: 4, wg: 64, splits: 1, lanes: "positions" }, 4)).toThrow(RangeError);
  });

  it("runs every register block shape the generator offers", async () => {
    const x = [2, 7, 6, 6];
    const w = [3, 2, 3, 5];
    const out = [2, 7, 5, 10];
    const p: ConvParamsWgsl = { ...params, padding: [[1, 1], [0, 0]], featureGroupCount: 2 };
    for (const [bm, bn] of [[1, 1], [2, 2], [3, 4], [8, 8], [4, 8]]) {
      const code = convWgsl(x, w, out, p, { bm, bn, wg: 32, splits: 1, lanes: "features" }).main.code;
      expect(code).toContain(`acc${bm - 1}_${Math.ceil(bn / 4) - 1}`);
    }
  });
});

describe("WGSL conv, random parameters", () => {
  it("matches the reference for random dimension numbers, strides, paddings, dilations and groups", async () => {
    const axis = fc.record({
      n: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 3 }),
      lo: fc.integer({ min: -1, max: 2 }), hi: fc.integer({ min: -1, max: 2 }),
      ld: fc.integer({ min: 1, max: 2 }), rd: fc.integer({ min: 1, max: 2 }),
    });
    const gen = fc.record({
      ns: fc.integer({ min: 1, max: 2 }), batch: fc.integer({ min: 1, max: 3 }), groups: fc.integer({ min: 1, max: 2 }),
      batchGroups: fc.boolean(), cin: fc.integer({ min: 1, max: 3 }), cout: fc.integer({ min: 1, max: 6 }),
      perm: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
    }).chain((r) => fc.tuple(fc.constant(r), fc.array(axis, { minLength: r.ns, maxLength: r.ns })));
    await fc.assert(fc.asyncProperty(gen, async ([r, axes]) => {
      const out = axes.map((a) => Math.floor(((a.n - 1) * a.ld + 1 + a.lo + a.hi - ((a.k - 1) * a.rd + 1)) / a.s) + 1);
      fc.pre(out.every((o) => o > 0));
      const fgc = r.batchGroups ? 1 : r.groups;
      const bgc = r.batchGroups ? r.groups : 1;
      const rank = r.ns + 2;
      // A permutation per operand from the random keys.
      const spec = (k: number) => Array.from({ length: rank }, (_, i) => i).sort((a, b) => r.perm[k * 4 + a] - r.perm[k * 4 + b] || a - b);
      const [ls, rs, os] = [spec(0), spec(1), spec(2)];
      const lhs = new Array<number>(rank);
      const rhs = new Array<number>(rank);
      [r.batch * bgc, r.cin * fgc, ...axes.map((a) => a.n)].forEach((d, i) => (lhs[ls[i]] = d));
      [r.cout * fgc * bgc, r.cin, ...axes.map((a) => a.k)].forEach((d, i) => (rhs[rs[i]] = d));
      const f = () => [lax.convGeneralDilated(values(lhs, 1), values(rhs, 2), axes.map((a) => a.s), axes.map((a) => [a.lo, a.hi] as [number, number]), {
        lhsDilation: axes.map((a) => a.ld), rhsDilation: axes.map((a) => a.rd),
        dimensionNumbers: { lhsSpec: ls, rhsSpec: rs, outSpec: os }, featureGroupCount: fgc, batchGroupCount: bgc,
      })];
      await same(`random conv ${JSON.stringify({ r, axes })}`, f, 1);
    }), { numRuns: propertyRuns(30) });
  });
});
