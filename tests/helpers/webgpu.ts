/**
 * @file Test helpers for the webgpu backend: start it (tests fail, never skip, when no adapter
 * can be found: CI installs Mesa's software Vulkan driver so WGSL runs on every run), run a
 * computation on it and read every output back asynchronously, and compare with the reference.
 */
import { expect } from "vitest";
import { type DType, type Prim, isFloat } from "../../src/ir/index.js";
import { getBackend, setBackend } from "../../src/backend/registry.js";
import { tidy } from "../../src/trace/array.js";
import type { Tracer } from "../../src/trace/core.js";
import type { WebGPUBackend } from "../../src/backend/webgpu/webgpu-backend.js";

/** Host copy of one output. */
export interface HostOut {
  readonly shape: number[];
  readonly dtype: DType;
  readonly data: number[];
}

/** Starts the webgpu backend (if needed) and returns it; throws with the reason when it cannot. */
export async function startWebGPU(): Promise<WebGPUBackend> {
  const previous = getBackend().name;
  await setBackend("webgpu");
  const gpu = getBackend() as WebGPUBackend;
  await setBackend(previous);
  return gpu;
}

/** Runs `f` with `backend` as the default and returns its outputs on the host (webgpu: read asynchronously). */
export async function runOn(backend: string, f: () => Tracer[]): Promise<HostOut[]> {
  const previous = getBackend().name;
  await setBackend(backend);
  let outs: Tracer[];
  try {
    outs = tidy(() => f());
  } finally {
    await setBackend(previous);
  }
  try {
    return await Promise.all(outs.map(async (t) => ({ shape: [...t.shape], dtype: t.dtype, data: Array.from(await t.data(), Number) })));
  } finally {
    outs.forEach((t) => t.dispose());
  }
}

/** Primitives whose float32 results accumulate many terms in float32 (the reference sums in float64). */
const SUMS = new Set<string>([
  "reduce_sum", "reduce_prod", "dot_general", "conv_general_dilated", "cumsum", "cumprod", "cumlogsumexp",
  "reduce_window_sum", "select_and_scatter_add",
]);

/**
 * Tolerances of the webgpu backend against the reference: ints and bools exact; float16 within
 * one half-precision ulp; float32 within
 * 2e-5 relative for elementwise math (WGSL's transcendentals on the software drivers are within
 * a few ulps; the helpers in src/codegen/wgsl/math.ts are within 1e-6 relative), 1e-4 for sums.
 */
export function tolFor(prim: Prim | string, dtype: DType): { rtol: number; atol: number } {
  if (!isFloat(dtype)) return { rtol: 0, atol: 0 };
  // float16 math runs in f32 and rounds each result to half: one half-precision ulp apart at most
  // where the f32 result lands beside a rounding boundary that the reference's float64 does not.
  if (dtype === "float16") return { rtol: 2 ** -10, atol: 2 ** -24 };
  if (dtype === "float64") return { rtol: 1e-12, atol: 1e-300 };
  return SUMS.has(prim) ? { rtol: 1e-4, atol: 1e-5 } : { rtol: 2e-5, atol: 1e-6 };
}

/** Expects equal shapes and dtypes and values within `tol` (NaN equals NaN). */
export function expectHostClose(got: readonly HostOut[], want: readonly HostOut[], what: string, tol: (d: DType) => { rtol: number; atol: number }): void {
  expect(got.length, `${what}: number of outputs`).toBe(want.length);
  got.forEach((g, k) => {
    const w = want[k];
    expect(g.shape, `${what}: output ${k} shape`).toEqual(w.shape);
    expect(g.dtype, `${what}: output ${k} dtype`).toBe(w.dtype);
    const t = tol(w.dtype);
    w.data.forEach((b, i) => {
      const a = g.data[i];
      const ok = Object.is(a, b) || a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= t.atol + t.rtol * Math.abs(b);
      if (!ok) throw new Error(`${what}: output ${k} element ${i}: webgpu ${a}, reference ${b}\nwebgpu: ${g.data}\n   ref: ${w.data}`);
    });
  });
}
