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
let current = "reference";

/** Registers a backend factory under `name` (used by the wasm and webgpu backends). */
export function registerBackend(name: string, factory: () => Backend): void {
  factories.set(name, factory);
}

/** The backend that new arrays are created on. */
export function getBackend(name: string = current): Backend {
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
