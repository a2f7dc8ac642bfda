import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ALL_PRIMS, type DType, Prim, ShapedArray, isFloat } from "../../ir/index.js";
import { getBackend, setBackend } from "../registry.js";
import { grad, jit, lax, np, tidy } from "../../index.js";
import type { Tracer } from "../../trace/core.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { primSpecs } from "../../../tests/property/specs.js";
import { anyCase, host, outsOf, toArrays } from "../../../tests/property/checks.js";
import type { PrimCase } from "../../../tests/property/spec-kit.js";
import { WasmBackend } from "./wasm-backend.js";
import { WasmHeap } from "./memory.js";
import { elementwiseKernel } from "./dispatch.js";

interface Out {
  readonly shape: number[];
  readonly dtype: DType;
  readonly data: number[];
}

const run = (backend: string, c: PrimCase): Out[] => {
  setBackend(backend);
  return tidy(() => outsOf(c.apply(...toArrays(c.args))).map((t: Tracer) => ({ shape: [...t.shape], dtype: t.dtype, data: host(t) })));
};

/** Primitives whose float32 results accumulate many terms in float32 (the reference sums in float64). */
const SUMS = new Set<Prim>([
  Prim.ReduceSum, Prim.ReduceProd, Prim.DotGeneral, Prim.ConvGeneralDilated, Prim.Cumsum, Prim.Cumprod,
  Prim.Cumlogsumexp, Prim.ReduceWindowSum, Prim.SelectAndScatterAdd,
]);

/**
 * Tolerance per primitive and dtype: ints and bools exact; float32 elementwise math within
 * 1e-5 relative (the wasm float32 transcendentals are within a few ulps; atol covers results
 * near zero, e.g. sin near pi); float32 sums 1e-4; float64 (host Math) within a few ulps.
 */
const tolFor = (prim: Prim, dtype: DType): { rtol: number; atol: number } => {
  if (!isFloat(dtype) || dtype === "float16") return { rtol: 0, atol: 0 };
  if (dtype === "float64") return { rtol: 1e-12, atol: 1e-300 };
  return SUMS.has(prim) ? { rtol: 1e-4, atol: 1e-5 } : { rtol: 1e-5, atol: 1e-6 };
};

const expectMatch = (got: Out[], want: Out[], prim: Prim, note: string) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, k) => {
    const w = want[k];
    expect(g.shape, `${prim} ${note}: shape`).toEqual(w.shape);
    expect(g.dtype, `${prim} ${note}: dtype`).toBe(w.dtype);
    const t = tolFor(prim, w.dtype);
    w.data.forEach((b, i) => {
      const a = g.data[i];
      const ok = Object.is(a, b) || a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= t.atol + t.rtol * Math.abs(b);
      if (!ok) throw new Error(`${prim} ${note}: output ${k} element ${i}: wasm ${a}, reference ${b}\nwasm: ${g.data}\n ref: ${w.data}`);
    });
  });
};

afterEach(() => setBackend("reference"));

describe("WasmBackend buffers", () => {
  it("alloc copies data (or zeros), counts bytes like the reference backend, and frees", () => {
    const b = new WasmBackend();
    const src = new Float32Array([1, 2, 3]);
    const id = b.alloc("float32", 3, src);
    src[0] = 99;
    expect(Array.from(b.readSync(id))).toEqual([1, 2, 3]);
    const z = b.alloc("float64", 2, null);
    expect(Array.from(b.readSync(z))).toEqual([0, 0]);
    const bo = b.alloc("bool", 5, null);
    const h = b.alloc("float16", 2, new Float32Array([1 / 3, 70000]));
    expect(Array.from(b.readSync(h))).toEqual([0.333251953125, Infinity]);
    expect(b.memory()).toEqual({ buffers: 4, bytes: 12 + 16 + 5 + 4 });
    b.retain(id);
    [id, id, z, bo, h].forEach((x) => b.release(x));
    expect(b.memory()).toEqual({ buffers: 0, bytes: 0 });
    expect(b.heap.inUse()).toBe(0);
    expect(() => b.release(id)).toThrow(/wasm buffer \d+ does not exist \(freed twice\?\)/);
  });

  it("is registered as 'wasm' without being the default", () => {
    expect(getBackend().name).toBe("reference");
    expect(getBackend("wasm")).toBeInstanceOf(WasmBackend);
  });

  it("keeps buffers valid when the memory grows", () => {
    const b = new WasmBackend();
    const a = b.alloc("int32", 4, new Int32Array([1, 2, 3, 4]));
    const big = b.alloc("float32", 1 << 22, null); // 16 MiB: past the initial 1 MiB
    expect(Array.from(b.readSync(a))).toEqual([1, 2, 3, 4]);
    const aval = new ShapedArray([4], "int32");
    const [sum] = b.execute(Prim.Add, [{ buffer: a, aval }, { buffer: a, aval }], {}, [aval]);
    expect(Array.from(b.readSync(sum))).toEqual([2, 4, 6, 8]);
    b.release(sum);
    b.release(big);
    b.release(a);
    expect(b.heap.inUse()).toBe(0);
  });
});

describe("WasmHeap", () => {
  it("aligns to 16 bytes, reuses freed blocks and coalesces neighbours", () => {
    const h = new WasmHeap(1);
    const [a, b, c] = [h.malloc(10), h.malloc(20), h.malloc(1)];
    expect([a % 16, b % 16, c % 16]).toEqual([0, 0, 0]);
    expect(b - a).toBe(16);
    expect(c - b).toBe(32);
    h.free(a);
    h.free(b);
    expect(h.freeBlocks()).toEqual([[a, 48]]);
    expect(h.malloc(40)).toBe(a);
    const top = h.top;
    h.free(c);
    expect(h.top).toBe(top - 16);
  });

  it("returns the heap to empty after random alloc/free sequences", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 30 }), fc.integer(), (sizes, seed) => {
        const h = new WasmHeap(1);
        const live = sizes.map((s) => h.malloc(s));
        const ends = live.map((p, i) => [p, p + Math.ceil(Math.max(sizes[i], 1) / 16) * 16]);
        ends.sort((x, y) => x[0] - y[0]);
        for (let i = 1; i < ends.length; i++) expect(ends[i][0]).toBeGreaterThanOrEqual(ends[i - 1][1]);
        let s = seed;
        while (live.length) {
          s = (s * 1103515245 + 12345) & 0x7fffffff;
          h.free(live.splice(s % live.length, 1)[0]);
        }
        expect(h.inUse()).toBe(0);
        expect(h.freeBlocks()).toEqual([]);
        expect(h.top).toBe(16);
      }),
      { numRuns: propertyRuns(50) },
    );
  });
});

describe("wasm backend == reference backend, every primitive", () => {
  beforeEach(() => setBackend("reference"));

  for (const prim of ALL_PRIMS) {
    const spec = primSpecs[prim];
    if (spec.evaluable === false) continue;
    it(prim, () => {
      const wasm = getBackend("wasm") as WasmBackend;
      const before = wasm.memory();
      const heapBefore = wasm.heap.inUse();
      fc.assert(
        fc.property(anyCase(spec), (c) => {
          const want = run("reference", c);
          const got = run("wasm", c);
          setBackend("reference");
          expectMatch(got, want, prim, c.note);
        }),
        { numRuns: propertyRuns(8) },
      );
      expect(wasm.memory()).toEqual(before);
      expect(wasm.heap.inUse()).toBe(heapBefore);
    });
  }
});

describe("wasm backend fast paths", () => {
  it("renders a kernel for every elementwise primitive and reduction the sweep met", () => {
    const { compiled, refused } = (getBackend("wasm") as WasmBackend).kernelStats();
    expect(compiled).toBeGreaterThan(100);
    expect(refused).toEqual([]);
  });

  it("compiles one elementwise kernel per signature, and reuses it", () => {
    const b = new WasmBackend();
    const k = elementwiseKernel(Prim.Add, [{ dtype: "float32", shape: [3], size: 3 }, { dtype: "float32", shape: [], size: 1 }], {}, { dtype: "float32", shape: [3], size: 3 });
    expect(k.params.map((p) => p.output)).toEqual([false, false, true]);
    setBackend("wasm");
    const y = tidy(() => np.array([1, 2, 3]).add(10).dataSync());
    expect(Array.from(y)).toEqual([11, 12, 13]);
    expect(b.memory()).toEqual({ buffers: 0, bytes: 0 });
  });

  it("splits reductions along the contiguous last axis into SIMD lanes, equal to the reference", () => {
    const reducers: [Prim, (x: Tracer, axes: number[]) => Tracer, DType[]][] = [
      [Prim.ReduceSum, (x, axes) => lax.reduceSum(x, axes), ["float32", "int32", "uint32"]],
      [Prim.ReduceMax, (x, axes) => lax.reduceMax(x, axes), ["float32", "int32", "uint32"]],
      [Prim.ReduceMin, (x, axes) => lax.reduceMin(x, axes), ["float32", "int32"]],
      [Prim.ReduceProd, (x, axes) => lax.reduceProd(x, axes), ["float32", "int32"]],
      [Prim.ReduceXor, (x, axes) => lax.reduceXor(x, axes), ["int32", "uint32"]],
    ];
    const b = getBackend("wasm") as WasmBackend;
    fc.assert(
      fc.property(
        fc.constantFrom(...reducers), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 4, max: 12 }), fc.boolean(), fc.nat(),
        ([prim, f, dtypes], rows, quads, both, pick) => {
          const dtype = dtypes[pick % dtypes.length];
          const shape = [rows, quads * 4];
          const n = rows * quads * 4;
          const data = Array.from({ length: n }, (_, i) => (prim === Prim.ReduceProd ? 1 + 0.01 * Math.sin(i) : Math.round(Math.sin(i * 1.3) * 50)));
          const axes = both ? [0, 1] : [1];
          const c: PrimCase = { args: [{ data, shape, dtype }], apply: (x) => f(x, axes), note: `${dtype} [${shape}] axes ${axes}` };
          expectMatch(run("wasm", c), run("reference", c), prim, c.note);
          expect(b.kernelStats().refused).toEqual([]);
        },
      ),
      { numRuns: propertyRuns(40) },
    );
  });

  it("runs float32 matmul (with transposes and a batch) on the Rust GEMM, equal to the reference", () => {
    const b = getBackend("wasm") as WasmBackend;
    expect(b.hasRustKernels).toBe(true);
    const cases: [number[], number[], (x: Tracer, y: Tracer) => Tracer][] = [
      [[5, 7], [7, 3], (x, y) => np.matmul(x, y)],
      [[7, 5], [7, 3], (x, y) => np.matmul(x.T, y)],
      [[5, 7], [3, 7], (x, y) => np.matmul(x, y.T)],
      [[2, 4, 6], [2, 6, 3], (x, y) => np.matmul(x, y)],
      [[2, 6, 4], [3, 2, 6], (x, y) => np.einsum("bki,jbk->bij", x, y)],
    ];
    const calls = b.kernelStats().rustCalls;
    for (const [sa, sb, f] of cases) {
      const data = (s: number[]) => Array.from({ length: s.reduce((p, q) => p * q, 1) }, (_, i) => Math.sin(i * 1.7) * 3);
      const c = { args: [{ data: data(sa), shape: sa, dtype: "float32" as DType }, { data: data(sb), shape: sb, dtype: "float32" as DType }], apply: f, note: `${sa} ${sb}` };
      expectMatch(run("wasm", c), run("reference", c), Prim.DotGeneral, c.note);
    }
    expect(b.kernelStats().rustCalls).toBe(calls + cases.length);
  });

  it("runs float32 NHWC/HWIO convolutions and their gradients (strides, padding, dilation, groups) on the Rust kernels, equal to the reference", () => {
    const b = getBackend("wasm") as WasmBackend;
    const geometry = fc.record({
      n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 3, max: 7 }), w: fc.integer({ min: 3, max: 7 }),
      groups: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 3 }), og: fc.integer({ min: 1, max: 3 }),
      k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), dil: fc.integer({ min: 1, max: 2 }),
      pad: fc.integer({ min: 0, max: 2 }),
    }).filter((g) => g.h + 2 * g.pad >= (g.k - 1) * g.dil + 1 && g.w + g.pad >= (g.k - 1) * g.dil + 1);
    fc.assert(
      fc.property(geometry, (g) => {
        const sx = [g.n, g.h, g.w, g.cg * g.groups];
        const sw = [g.k, g.k, g.cg, g.og * g.groups];
        const data = (s: number[], f: number) => Array.from({ length: s.reduce((p, q) => p * q, 1) }, (_, i) => Math.sin(i * f));
        const conv = (x: Tracer, w: Tracer) => lax.convGeneralDilated(x, w, [g.stride, g.stride], [[g.pad, g.pad], [g.pad, 0]], {
          rhsDilation: [g.dil, g.dil], featureGroupCount: g.groups, dimensionNumbers: ["NHWC", "HWIO", "NHWC"],
        });
        // The gradients stage the weight- and input-gradient convs JAX's transpose rule builds.
        const c: PrimCase = {
          args: [{ data: data(sx, 1.3), shape: sx, dtype: "float32" }, { data: data(sw, 0.7), shape: sw, dtype: "float32" }],
          apply: (x, w) => {
            const loss = (xw: Tracer[]) => np.sum(np.sin(conv(xw[0], xw[1])));
            return [conv(x, w), ...(grad(loss)([x, w]) as unknown as Tracer[])];
          },
          note: JSON.stringify(g),
        };
        const calls = b.kernelStats().rustCalls;
        const got = run("wasm", c);
        expect(b.kernelStats().rustCalls - calls).toBe(g.groups === 1 ? 4 : 2);
        expectMatch(got, run("reference", c), Prim.ConvGeneralDilated, c.note);
      }),
      { numRuns: propertyRuns(30) },
    );
  });
});

describe("wasm backend end to end", () => {
  const mlp = (params: Tracer[], x: Tracer, y: Tracer) => {
    const [w1, b1, w2, b2] = params;
    const h = np.tanh(np.matmul(x, w1).add(b1));
    const logits = np.matmul(h, w2).add(b2);
    return np.mean(np.square(logits.sub(y)));
  };
  const runMlp = (backend: string) => {
    setBackend(backend);
    return tidy(() => {
      const r = (n: number, s: number) => Array.from({ length: n }, (_, i) => Math.sin(i * s) * 0.5);
      const params = [np.array(r(12, 1.1)).reshape([4, 3]), np.array(r(3, 2.3)), np.array(r(6, 0.7)).reshape([3, 2]), np.array(r(2, 0.3))];
      const x = np.array(r(20, 0.9)).reshape([5, 4]);
      const y = np.array(r(10, 1.9)).reshape([5, 2]);
      // x and y are arguments, not captured: a jitted function keeps its captured constants alive.
      const loss = (ps: Tracer[], xs: Tracer, ys: Tracer) => mlp(ps, xs, ys);
      const g = grad(loss)(params, x, y) as unknown as Tracer[];
      const gj = jit(grad(loss))(params, x, y) as unknown as Tracer[];
      const l = jit(loss)(params, x, y);
      return { loss: host(l), grads: g.map(host), jitGrads: gj.map(host) };
    });
  };

  it("grad and jit of a small MLP equal the reference, and memory returns to baseline", () => {
    const wasm = getBackend("wasm");
    const before = wasm.memory();
    const got = runMlp("wasm");
    const want = runMlp("reference");
    expect(got.loss[0]).toBeCloseTo(want.loss[0], 5);
    [got.grads, got.jitGrads].forEach((gs) =>
      gs.forEach((g, i) => g.forEach((v, j) => expect(Math.abs(v - want.grads[i][j])).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(want.grads[i][j])))),
    );
    expect(wasm.memory()).toEqual(before);
  });
});
