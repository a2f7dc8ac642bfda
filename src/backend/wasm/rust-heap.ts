/**
 * @file The wasm backend's heap when the Rust micro-kernels are loaded: buffers are blocks of
 * the Rust module's own memory (`kiln_alloc` / `kiln_free`), so the GEMM and conv kernels read
 * their operands and write their results in place, with no copy in or out per call. The
 * rendered kernel-IR kernels import that same memory (they accept any non-shared memory).
 *
 * The Rust allocator is first fit over every block, live or free, so each allocation walks the
 * live blocks too. Blocks of up to `SMALL_MAX` bytes, which are most of the blocks of an eager
 * program (scalars, biases, small arrays), therefore come from slabs kept here instead: one free
 * list per 16-byte size class, refilled by carving a 64 KiB chunk from the Rust heap. Chunks
 * are kept for reuse, so the Rust heap sees a few chunks and the large tensors (measured: 20,000
 * live 3-element arrays made an eager add 45 us slower when each was its own Rust block).
 * Any Rust call (kernel scratch included) may grow the memory and detach `ArrayBuffer` views:
 * views are made after the last allocation or kernel call of an operation.
 */
import type { KernelExports, WasmMemory } from "./kernels.js";

const ALIGN = 16;
const roundUp = (n: number): number => Math.ceil(Math.max(n, 1) / ALIGN) * ALIGN;
/** Blocks up to this many bytes come from the size-class slabs. */
export const SMALL_MAX = 4096;
const CHUNK = 65536;

/** A heap of 16-byte aligned blocks in the Rust kernels' memory (same interface as `WasmHeap`). */
export class RustHeap {
  readonly memory: WasmMemory;
  readonly #ex: KernelExports;
  #sizes = new Map<number, number>();
  /** Free small blocks by size class (bytes). */
  #classes = new Map<number, number[]>();
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
    const ptr = need <= SMALL_MAX ? this.#small(need) : this.#rustAlloc(need, bytes);
    this.#sizes.set(ptr, need);
    this.#inUse += need;
    return ptr;
  }

  #rustAlloc(need: number, bytes: number): number {
    const ptr = need > 0xffff_ff00 ? 0 : this.#ex.kiln_alloc(need);
    if (ptr === 0) {
      throw new RangeError(`wasm backend: out of memory allocating ${bytes} bytes (the wasm32 heap is limited to 4 GiB); free arrays with dispose() or tidy()`);
    }
    return ptr;
  }

  /** A block of size class `need` from its free list, carving a new chunk when it is empty. */
  #small(need: number): number {
    let list = this.#classes.get(need);
    if (!list) this.#classes.set(need, (list = []));
    if (list.length === 0) {
      const chunk = this.#rustAlloc(CHUNK, CHUNK);
      for (let p = chunk + CHUNK - need; p >= chunk; p -= need) list.push(p);
    }
    return list.pop()!;
  }

  /** Returns a block from `malloc` to the heap. */
  free(ptr: number): void {
    const size = this.#sizes.get(ptr);
    if (size === undefined) throw new Error(`internal: wasm heap block ${ptr} is not allocated (freed twice?)`);
    this.#sizes.delete(ptr);
    this.#inUse -= size;
    if (size <= SMALL_MAX) this.#classes.get(size)!.push(ptr);
    else this.#ex.kiln_free(ptr);
  }

  /** Bytes handed out and not yet freed (rounded up to the alignment). */
  inUse(): number {
    return this.#inUse;
  }
}
