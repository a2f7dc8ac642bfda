/**
 * @file WebGPU plumbing for the benchmark's webgpu children: gives Node a `navigator.gpu`
 * (Dawn's bindings from the optional `webgpu` package) for the peers, which look for it the way
 * a browser offers it; describes the adapter for the table's notes; and counts the compute
 * dispatches and queue submits every library makes, by wrapping the WebGPU prototypes that all
 * of them share, so the table can say how many kernels each run really launched.
 */

/** Dawn's GPU object: held for the whole process, as Dawn crashes if it is collected while in use. */
let dawnGpu: GPU | null = null;

/**
 * Installs Dawn's WebGPU globals and `navigator.gpu` (Node 20 has no `navigator`). Throws with
 * the reason when the `webgpu` package cannot be loaded.
 *
 * @example const gpu = await installNavigatorGpu()
 */
export async function installNavigatorGpu(): Promise<GPU> {
  if (dawnGpu) return dawnGpu;
  let mod: { create(options: string[]): GPU; globals: object };
  try {
    mod = (await import("webgpu" as string)) as typeof mod;
  } catch (e) {
    throw new Error(`the optional 'webgpu' package (Dawn's Node bindings) did not load: ${(e as Error).message.split("\n")[0]}`);
  }
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in g)) g[k] = v;
  dawnGpu = mod.create([]);
  const nav = (g.navigator ?? {}) as Record<string, unknown>;
  // jax-js tests navigator.userAgent for mobile browsers; give it a string to test.
  g.navigator = { userAgent: "Node.js", ...nav, gpu: dawnGpu };
  return dawnGpu;
}

/** What the table says about the adapter. */
export interface AdapterNote {
  adapter: string;
  fallback: boolean;
}

/** Describes the adapter that a high-performance request gets, as every library asks. */
export async function describeAdapter(gpu: GPU): Promise<AdapterNote> {
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new Error("navigator.gpu.requestAdapter() found no adapter (no Vulkan driver? Debian: mesa-vulkan-drivers)");
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return {
    // The same fields, in the same order, as Kiln's own DeviceInfo.adapterName, so the names compare.
    adapter: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" ") || "unknown adapter",
    fallback: info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
  };
}

/** Dispatches and submits since the process started (or since `installCounters`). */
export interface GpuCalls {
  dispatches: number;
  submits: number;
}

const calls: GpuCalls = { dispatches: 0, submits: 0 };
let counting = false;

/**
 * Wraps `GPUComputePassEncoder.prototype.dispatchWorkgroups(Indirect)` and
 * `GPUQueue.prototype.submit` to count calls. Needs the WebGPU globals to exist (after
 * `installNavigatorGpu`, or after Kiln's backend started). Returns the live counters.
 */
export function installCounters(): GpuCalls {
  if (counting) return calls;
  const g = globalThis as unknown as Record<string, { prototype: Record<string, (...a: unknown[]) => unknown> } | undefined>;
  const pass = g.GPUComputePassEncoder?.prototype;
  const queue = g.GPUQueue?.prototype;
  if (!pass || !queue) throw new Error("bench: the WebGPU globals are not installed; start the device first");
  const wrap = (proto: Record<string, (...a: unknown[]) => unknown>, name: string, key: keyof GpuCalls) => {
    const orig = proto[name];
    if (typeof orig !== "function") return;
    proto[name] = function (this: unknown, ...a: unknown[]) {
      calls[key]++;
      return orig.apply(this, a);
    };
  };
  wrap(pass, "dispatchWorkgroups", "dispatches");
  wrap(pass, "dispatchWorkgroupsIndirect", "dispatches");
  wrap(queue, "submit", "submits");
  counting = true;
  return calls;
}
