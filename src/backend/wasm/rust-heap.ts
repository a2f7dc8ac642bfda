/**
 * @file The wasm backend's heap when the Rust micro-kernels are loaded: buffers are blocks of
 * the Rust module's own memory (`kiln_alloc` / `kiln_free`), so the GEMM and conv kernels read
 * their operands and write their results in place, with no copy in or out per call. The
 * rendered kernel-IR kernels import that same memory (they accept any non-shared memory).
 *
 * The Rust allocator is first fit over every block, live or free, so an allocation walks the
 * live blocks too; for the few hundred live arrays of a typical program that is a few
 * microseconds at most. Any Rust call (kernel scratch included) may grow the memory and detach
 * `ArrayBuffer` views: views are made after the last allocation or kernel call of an operation.
 */
import type { KernelExports, WasmMemory } from "./kernels.js";

const ALIGN = 16;
const roundUp = (n: number): number => Math.ceil(Math.max(n, 1) / ALIGN) * ALIGN;

/** A heap of 16-byte aligned blocks in the Rust kernels' memory (same interface as `WasmHeap`). */
export class RustHeap {
  readonly memory: WasmMemory;
  readonly #ex: KernelExports;
  #sizes = new Map<number, number>();
  #inUse = 0;

  constructor(ex: KernelExports) {
    this.#ex = ex;
    this.memory = ex.memory;
  }

  /**
   * A block of at least `bytes` bytes (contents unspecified), 16-byte aligned.
   *
   * @example heap.free(heap.malloc(100))
   */
  malloc(bytes: number): number {
    const need = roundUp(bytes);
    const ptr = need > 0xffff_ff00 ? 0 : this.#ex.kiln_alloc(need);
    if (ptr === 0) {
      throw new RangeError(`wasm backend: out of memory allocating ${bytes} bytes (the wasm32 heap is limited to 4 GiB); free arrays with dispose() or tidy()`);
    }
    this.#sizes.set(ptr, need);
    this.#inUse += need;
    return ptr;
  }

  /** Returns a block from `malloc` to the heap. */
  free(ptr: number): void {
    const size = this.#sizes.get(ptr);
    if (size === undefined) throw new Error(`internal: wasm heap block ${ptr} is not allocated (freed twice?)`);
    this.#sizes.delete(ptr);
    this.#inUse -= size;
    this.#ex.kiln_free(ptr);
  }

  /** Bytes handed out and not yet freed (rounded up to the alignment). */
  inUse(): number {
    return this.#inUse;
  }
}
