/**
 * @file Backend selection: one default backend per process, switchable by name.
 */
import type { Backend } from "./backend.js";
import { ReferenceBackend } from "./reference/reference-backend.js";
import { WasmBackend } from "./wasm/wasm-backend.js";

const factories = new Map<string, () => Backend>([
  ["reference", () => new ReferenceBackend()],
  ["wasm", () => new WasmBackend()],
]);
const instances = new Map<string, Backend>();
/**
 * The default backend: `wasm` (fast, in Node and browsers), unless the `KILN_BACKEND` environment
 * variable names another (e.g. `KILN_BACKEND=reference` to run everything on the oracle).
 */
function initialBackend(): string {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.KILN_BACKEND;
  return env && env.length > 0 ? env : "wasm";
}
let current = initialBackend();

/** Registers a backend factory under `name` (used by the wasm and webgpu backends). */
export function registerBackend(name: string, factory: () => Backend): void {
  factories.set(name, factory);
}

/** The backend that new arrays are created on. */
export function getBackend(name: string = current): Backend {
  if (name === current && !factories.has(name)) {
    throw new Error(`KILN_BACKEND=${name} names no backend. Available backends: ${[...factories.keys()].join(", ")}.`);
  }
  let b = instances.get(name);
  if (!b) {
    const f = factories.get(name);
    if (!f) {
      throw new Error(
        `Unknown backend '${name}'. Available backends: ${[...factories.keys()].join(", ")}.`,
      );
    }
    b = f();
    instances.set(name, b);
  }
  return b;
}

/**
 * Makes `name` the default backend for new arrays.
 *
 * @example setBackend("reference")
 */
export function setBackend(name: string): void {
  getBackend(name);
  current = name;
}

/** Names of the registered backends. */
export const backendNames = (): string[] => [...factories.keys()];
