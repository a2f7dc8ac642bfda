/**
 * @file Backend selection: one default backend per process, switchable by name.
 *
 * CPU backends (reference, wasm) start synchronously. The webgpu backend needs an adapter and a
 * device, which WebGPU hands out asynchronously: `await setBackend("webgpu")` starts it (once;
 * again after a device loss) and then makes it the default.
 */
import type { Backend } from "./backend.js";
import { ReferenceBackend } from "./reference/reference-backend.js";
import { WasmBackend } from "./wasm/wasm-backend.js";

const factories = new Map<string, () => Backend>([
  ["reference", () => new ReferenceBackend()],
  ["wasm", () => new WasmBackend()],
]);
const asyncFactories = new Map<string, () => Promise<Backend>>([
  // Loaded on first use: programs that never touch the GPU never load the WGSL renderer either.
  ["webgpu", async () => {
    const [{ WebGPUBackend }, { acquireDevice }] = await Promise.all([import("./webgpu/webgpu-backend.js"), import("./webgpu/device.js")]);
    return new WebGPUBackend(await acquireDevice());
  }],
]);
const instances = new Map<string, Backend>();
const starting = new Map<string, Promise<Backend>>();

/**
 * The default backend: `wasm` (fast, in Node and browsers), unless the `KILN_BACKEND` environment
 * variable names another (e.g. `KILN_BACKEND=reference` to run everything on the oracle).
 */
function initialBackend(): string {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.KILN_BACKEND;
  return env && env.length > 0 ? env : "wasm";
}
let current = initialBackend();

const known = () => [...factories.keys(), ...asyncFactories.keys()].join(", ");
const isLost = (b: Backend) => (b as { stream?: { lost?: boolean } }).stream?.lost === true;

/** Registers a backend factory under `name`. */
export function registerBackend(name: string, factory: () => Backend): void {
  factories.set(name, factory);
}

/** The backend that new arrays are created on (or the one named). */
export function getBackend(name: string = current): Backend {
  let b = instances.get(name);
  if (b && !isLost(b)) return b;
  const f = factories.get(name);
  if (!f) {
    if (asyncFactories.has(name)) {
      throw new Error(
        b ? `The ${name} backend's device was lost. Call 'await setBackend("${name}")' to start it again.`
          : `The ${name} backend starts asynchronously: call 'await setBackend("${name}")' (or 'await initBackend("${name}")') before using it.`,
      );
    }
    throw new Error(
      name === current ? `KILN_BACKEND=${name} names no backend. Available backends: ${known()}.` : `Unknown backend '${name}'. Available backends: ${known()}.`,
    );
  }
  b = f();
  instances.set(name, b);
  return b;
}

/**
 * Starts the backend `name` if it is not running yet (webgpu: finds an adapter and a device)
 * and resolves to it, without making it the default.
 *
 * @example const gpu = await initBackend("webgpu")
 */
export function initBackend(name: string): Promise<Backend> {
  const have = instances.get(name);
  if (have && !isLost(have)) return Promise.resolve(have);
  const init = asyncFactories.get(name);
  if (!init) {
    try {
      return Promise.resolve(getBackend(name));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  let p = starting.get(name);
  if (!p) {
    p = init().then(
      (b) => {
        instances.set(name, b);
        starting.delete(name);
        return b;
      },
      (e: unknown) => {
        starting.delete(name);
        throw e;
      },
    );
    starting.set(name, p);
  }
  return p;
}

/**
 * Makes `name` the default backend for new arrays. CPU backends switch at once (awaiting is
 * optional); `await setBackend("webgpu")` first starts the GPU device. Unknown names throw.
 *
 * @example setBackend("reference")
 * @example await setBackend("webgpu")
 */
export function setBackend(name: string): Promise<void> {
  if (factories.has(name)) {
    getBackend(name);
    current = name;
    return Promise.resolve();
  }
  if (!asyncFactories.has(name)) throw new Error(`Unknown backend '${name}'. Available backends: ${known()}.`);
  const have = instances.get(name);
  if (have && !isLost(have)) {
    current = name;
    return Promise.resolve();
  }
  return initBackend(name).then(() => {
    current = name;
  });
}

/**
 * Runs `f` with `name` as the default backend, restoring the previous default afterwards (for
 * work that must stay on one backend whatever the user chose, e.g. a host step on the CPU).
 *
 * @example withDefaultBackend("wasm", () => np.ones([2]))
 */
export function withDefaultBackend<T>(name: string, f: () => T): T {
  getBackend(name);
  const prev = current;
  current = name;
  try {
    return f();
  } finally {
    current = prev;
  }
}

/** Names of the registered backends. */
export const backendNames = (): string[] => [...factories.keys(), ...asyncFactories.keys()];
