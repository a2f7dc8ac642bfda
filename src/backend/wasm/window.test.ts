import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type DType, Prim, ShapedArray, type TypedArray, type WindowParams } from "../../ir/index.js";
import type { Kernel } from "../../codegen/kernel-ir.js";
import { runWasmKernel } from "../../codegen/wasm/run-kernel.js";
import { referenceImpls } from "../reference/impls.js";
import { setBackend } from "../registry.js";
import { grad, jit, lax, np, tidy } from "../../index.js";
import type { Tracer } from "../../trace/core.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { anyShape, sizeOf, windowGeometry, windowOut } from "../../../tests/property/spec-kit.js";
import { HOST_MATH } from "./dispatch.js";
import { reduceWindowKernel, selectAndScatterAddKernel } from "./window.js";
import { WasmBackend } from "./wasm-backend.js";

const ARRAYS: Record<string, new (n: number) => TypedArray> = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint32: Uint32Array };
const typed = (d: DType, values: readonly number[]) => {
  const a = new ARRAYS[d](values.length);
  a.set(values);
  return a;
};
const operand = (dtype: DType, shape: readonly number[]) => ({ dtype, shape, size: sizeOf(shape) });
const pool = (n: number): WindowParams => ({
  windowDimensions: [1, n, n, 1], windowStrides: [1, n, n, 1], padding: [[0, 0], [0, 0], [0, 0], [0, 0]],
  baseDilation: [1, 1, 1, 1], windowDilation: [1, 1, 1, 1],
});

/** Runs a kernel on host inputs (its last param is the output) and returns the output. */
function runOn(kernel: Kernel, inputs: readonly TypedArray[]): TypedArray {
  const o = kernel.params[kernel.params.length - 1];
  const out = new ARRAYS[o.dtype](o.size);
  runWasmKernel(kernel, [...inputs, out], HOST_MATH);
  return out;
}

const same = (got: ArrayLike<number>, want: ArrayLike<number>, rtol = 0) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i], want[i]];
    const ok = Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)) || Math.abs(g - w) <= rtol * (1 + Math.abs(w));
    if (!ok) throw new Error(`element ${i}: kernel ${g}, reference ${w}`);
  }
};

describe("reduceWindowKernel", () => {
  it("max-pools 2x2 (known values) with SIMD loads along the channel axis", () => {
    // x[0, h, w, c] = 10 * (4h + w) + c over a 4x4 image with 5 channels: each window's max is its bottom-right tap.
    const x = Float32Array.from({ length: 80 }, (_, i) => 10 * Math.floor(i / 5) + (i % 5));
    const k = reduceWindowKernel("max", operand("float32", [1, 4, 4, 5]), pool(2), operand("float32", [1, 2, 2, 5]))!;
    const want = [5, 7, 13, 15].flatMap((p) => [0, 1, 2, 3, 4].map((c) => 10 * p + c));
    expect([...runOn(k, [x])]).toEqual(want);
  });

  it("pads with the identity: max over a padded window of negatives, sum with base dilation", () => {
    const w: WindowParams = { windowDimensions: [3], windowStrides: [1], padding: [[1, 1]], baseDilation: [1], windowDilation: [1] };
    const k = reduceWindowKernel("max", operand("float32", [3]), w, operand("float32", [3]))!;
    expect([...runOn(k, [Float32Array.of(-5, -1, -3)])]).toEqual([-1, -1, -1]);
    const d: WindowParams = { windowDimensions: [2], windowStrides: [1], padding: [[0, 0]], baseDilation: [2], windowDilation: [1] };
    const s = reduceWindowKernel("sum", operand("int32", [3]), d, operand("int32", [4]))!;
    expect([...runOn(s, [Int32Array.of(1, 2, 3)])]).toEqual([1, 2, 2, 3]);
  });

  it("propagates NaN like the reference and keeps +0 for max(-0, +0)", () => {
    const w: WindowParams = { windowDimensions: [2], windowStrides: [2], padding: [[0, 0]], baseDilation: [1], windowDilation: [1] };
    const k = reduceWindowKernel("max", operand("float32", [8]), w, operand("float32", [4]))!;
    const x = Float32Array.of(NaN, 1, -0, 0, -Infinity, -Infinity, 2, NaN);
    const want = referenceImpls[Prim.ReduceWindowMax]([{ data: x, shape: [8], dtype: "float32" }], w, [new ShapedArray([4], "float32")])[0];
    same(runOn(k, [x]), want);
    expect(Object.is(runOn(k, [x])[1], 0)).toBe(true);
  });

  it("equals the reference impl for any geometry, kind and dtype (unrolled and looped windows)", () => {
    const kinds = [["sum", Prim.ReduceWindowSum], ["max", Prim.ReduceWindowMax], ["min", Prim.ReduceWindowMin]] as const;
    const dtypes: DType[] = ["float32", "float64", "int32", "uint32"];
    const big = fc.constant<WindowParams>({ windowDimensions: [6, 6], windowStrides: [1, 1], padding: [[2, 1], [0, 3]], baseDilation: [1, 1], windowDilation: [1, 1] });
    const gen = fc.oneof(
      anyShape(1, 4, 1, 5).chain((s) => fc.tuple(fc.constant(s), windowGeometry(s))),
      fc.tuple(fc.constant([7, 6]), big), // 36 taps: a reduce over window ranges
    ).chain(([s, w]) => fc.tuple(fc.constant(s), fc.constant(w), fc.constantFrom(...kinds), fc.constantFrom(...dtypes),
      fc.array(fc.integer({ min: -9, max: 9 }), { minLength: sizeOf(s), maxLength: sizeOf(s) })));
    fc.assert(
      fc.property(gen, ([s, w, [kind, prim], d, values]) => {
        const out = s.map((n, i) => windowOut(n, w.windowDimensions[i], w.windowStrides[i], w.padding[i], w.baseDilation[i], w.windowDilation[i]));
        const x = typed(d, d.startsWith("float") ? values.map((v) => v / 4) : values);
        const k = reduceWindowKernel(kind, operand(d, s), w, operand(d, out));
        expect(k).not.toBeNull();
        const want = referenceImpls[prim]([{ data: x, shape: s, dtype: d }], w, [new ShapedArray(out, d)])[0];
        same(runOn(k!, [x]), want, d === "float32" && kind === "sum" ? 1e-6 : 0);
      }),
      { numRuns: propertyRuns() },
    );
  });

  it("leaves bool and mixed dtypes to the reference impl", () => {
    expect(reduceWindowKernel("max", operand("bool", [4]), pool(1), operand("bool", [4]))).toBeNull();
  });
});

describe("selectAndScatterAddKernel", () => {
  it("routes each window's source value to its first maximum (ties keep the first)", () => {
    // One 2x2 window per output; the second window is a tie of 3s, so its gradient goes to the first 3.
    const x = Float32Array.of(1, 4, 3, 3, 2, 0, 3, 1);
    const k = selectAndScatterAddKernel(operand("float32", [1, 2]), operand("float32", [2, 4]), {
      windowDimensions: [2, 2], windowStrides: [2, 2], padding: [[0, 0], [0, 0]], baseDilation: [1, 1], windowDilation: [1, 1],
    }, operand("float32", [2, 4]))!;
    expect([...runOn(k, [Float32Array.of(10, 20), x])]).toEqual([0, 10, 20, 0, 0, 0, 0, 0]);
  });

  it("equals the reference impl for any geometry (overlapping windows, padding, ties)", () => {
    const gen = anyShape(1, 3, 1, 5).chain((s) => windowGeometry(s).chain((w) => {
      const out = s.map((n, i) => windowOut(n, w.windowDimensions[i], w.windowStrides[i], w.padding[i], w.baseDilation[i], w.windowDilation[i]));
      const vals = (n: number) => fc.array(fc.integer({ min: -3, max: 3 }), { minLength: n, maxLength: n });
      return fc.tuple(fc.constant(s), fc.constant(w), fc.constant(out), vals(sizeOf(out)), vals(sizeOf(s)), fc.constantFrom<DType>("float32", "float64"));
    }));
    fc.assert(
      fc.property(gen, ([s, w, out, src, xs, d]) => {
        const [g, x] = [typed(d, src), typed(d, xs)];
        const k = selectAndScatterAddKernel(operand(d, out), operand(d, s), w, operand(d, s));
        if (sizeOf(w.windowDimensions) > 9) {
          expect(k).toBeNull();
          return;
        }
        const want = referenceImpls[Prim.SelectAndScatterAdd]([{ data: g, shape: out, dtype: d }, { data: x, shape: s, dtype: d }], w, [new ShapedArray(s, d)])[0];
        same(runOn(k!, [g, x]), want, 1e-6);
      }),
      { numRuns: propertyRuns() },
    );
  });
});

describe("the wasm backend runs windows as kernels", () => {
  afterEach(() => {
    setBackend("reference");
    vi.restoreAllMocks();
  });

  it("max pooling and its gradient never reach the reference impls", () => {
    const backend = new WasmBackend();
    const spy = vi.spyOn(referenceImpls, Prim.ReduceWindowMax);
    const ins = [{ buffer: backend.alloc("float32", 2 * 6 * 6 * 3, Float32Array.from({ length: 216 }, (_, i) => Math.sin(i))), aval: new ShapedArray([2, 6, 6, 3], "float32") }];
    const [id] = backend.execute(Prim.ReduceWindowMax, ins, pool(2), [new ShapedArray([2, 3, 3, 3], "float32")]);
    expect(spy).not.toHaveBeenCalled();
    const want = referenceImpls[Prim.ReduceWindowMax]([{ data: backend.view(ins[0].buffer), shape: [2, 6, 6, 3], dtype: "float32" }], pool(2), [new ShapedArray([2, 3, 3, 3], "float32")])[0];
    same(backend.readSync(id), want);
    expect(backend.kernelStats().refused).toEqual([]);
  });

  it("a jitted max-pool gradient (with ties) matches the reference backend", () => {
    const weights = Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i - 5);
    const data = Float32Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => Math.round(Math.cos(i) * 2));
    const dx = (name: string) => {
      setBackend(name);
      const loss = (x: Tracer) => np.sum(lax.reduceWindow(x, "max", [1, 2, 2, 1], [1, 2, 2, 1], "VALID").mul(np.array(weights, { shape: [2, 2, 2, 3] })));
      return tidy(() => [...(jit(grad(loss))(np.array(data, { shape: [2, 4, 4, 3] })) as Tracer).dataSync()]);
    };
    expect(dx("wasm")).toEqual(dx("reference"));
  });
});
