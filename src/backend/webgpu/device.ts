/**
 * @file Finding a WebGPU adapter and device: `navigator.gpu` in browsers, the optional `webgpu`
 * package (Dawn's Node bindings) in Node, imported only here and only when a user first asks for
 * the webgpu backend, so programs that never touch the GPU never load Dawn.
 *
 * Dawn's GPU object must stay alive as long as the process may use the GPU: if it is garbage
 * collected while work is pending, Dawn crashes the process. It is held in a module variable.
 */

/** What the backend learned about its device. */
export interface DeviceInfo {
  readonly device: GPUDevice;
  readonly adapterName: string;
  /** A software adapter (lavapipe, SwiftShader): figures measure overhead, not GPU speed. */
  readonly isFallback: boolean;
  readonly hasF16: boolean;
  readonly hasSubgroups: boolean;
}

/** Dawn's GPU object in Node, kept for the whole process (see the file header). */
let nodeGpu: GPU | null = null;

async function gpuApi(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (nodeGpu) return nodeGpu;
  const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string";
  if (!isNode) {
    throw new Error("The webgpu backend needs WebGPU: this browser has no navigator.gpu. Use a browser with WebGPU enabled, or the wasm backend.");
  }
  let mod: { create(options: string[]): GPU; globals: object };
  try {
    mod = (await import(/* @vite-ignore */ "webgpu" as string)) as typeof mod;
  } catch (e) {
    throw new Error(
      `The webgpu backend needs the optional 'webgpu' package (Dawn's Node bindings) in Node, which could not be loaded: ` +
        `${(e as Error).message}. Install it with 'npm install webgpu', or use the wasm backend.`,
    );
  }
  // GPUBufferUsage, GPUMapMode and friends are globals in browsers; Dawn provides them.
  for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  nodeGpu = mod.create([]);
  return nodeGpu;
}

/** Limits worth raising above WebGPU's defaults when the adapter allows (kernels bind many buffers). */
const WANTED_LIMITS = [
  "maxStorageBuffersPerShaderStage", "maxStorageBufferBindingSize", "maxBufferSize", "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup", "maxComputeWorkgroupSizeX",
] as const;

/**
 * Requests an adapter and a device with the features Kiln uses when offered (shader-f16,
 * subgroups) and the adapter's full limits for buffer sizes and bindings.
 *
 * @example const { device } = await acquireDevice()
 */
export async function acquireDevice(): Promise<DeviceInfo> {
  const gpu = await gpuApi();
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    throw new Error(
      "The webgpu backend found no WebGPU adapter. In Node on Linux without a GPU, install Mesa's software Vulkan driver " +
        "(Debian: libvulkan1 and mesa-vulkan-drivers from bookworm-backports); in Chromium, pass --enable-unsafe-webgpu. " +
        "Or use the wasm backend.",
    );
  }
  const features: GPUFeatureName[] = [];
  for (const f of ["shader-f16", "subgroups"]) if (adapter.features.has(f)) features.push(f as GPUFeatureName);
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) requiredLimits[k] = adapter.limits[k];
  const device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits });
  const info = adapter.info;
  return {
    device,
    adapterName: [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(" ") || "unknown adapter",
    isFallback: (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
    hasF16: features.includes("shader-f16"),
    hasSubgroups: features.includes("subgroups" as GPUFeatureName),
  };
}
