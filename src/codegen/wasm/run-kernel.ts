/**
 * @file Runs a kernel on host typed arrays: copies them into a fresh WebAssembly memory, calls
 * the compiled kernel and copies every buffer back. For tests and the reference-vs-wasm
 * checks; a backend keeps its buffers resident in one memory instead.
 */
import type { TypedArray } from "../../ir/index.js";
import type { Kernel } from "../kernel-ir.js";
import { type HostMath, type WasmMemory, DEFAULT_HOST_MATH, compileKernel } from "./compile-cache.js";

const memories = new Map<number, WasmMemory>();
const memoryOf = (pages: number): WasmMemory => {
  let m = memories.get(pages);
  if (!m) {
    const api = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }).WebAssembly;
    memories.set(pages, (m = new api.Memory({ initial: pages })));
  }
  return m;
};

/**
 * Runs `kernel` over `buffers` (one per param), writing results back into them.
 *
 * @example runWasmKernel(kernel, [input, output])
 */
export function runWasmKernel(kernel: Kernel, buffers: readonly TypedArray[], host: HostMath = DEFAULT_HOST_MATH): void {
  const offsets: number[] = [];
  let end = 0;
  for (const b of buffers) {
    offsets.push(end);
    end += Math.ceil(b.byteLength / 16) * 16 + 16;
  }
  // One memory per size class, so the compile cache's per-memory instances are reused.
  const pages = 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(end / 65536))));
  const memory = memoryOf(pages);
  const bytes = new Uint8Array(memory.buffer);
  buffers.forEach((b, i) => bytes.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), offsets[i]));
  compileKernel(kernel, memory, host)(...offsets);
  buffers.forEach((b, i) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength).set(bytes.subarray(offsets[i], offsets[i] + b.byteLength)));
}
