/**
 * @file The wasm backend's heap: one growable `WebAssembly.Memory` and a first-fit allocator
 * over it, with 16-byte aligned blocks (so SIMD loads of any buffer start aligned) and a free
 * list kept sorted by address so that freeing a block coalesces it with its neighbours, and a
 * free block at the top of the heap gives its bytes back to the bump pointer.
 *
 * Growing the memory detaches every `ArrayBuffer` view of it: callers must make views after the
 * last allocation of an operation, never keep them across one.
 */

/** The slice of the WebAssembly JS API used here (the project compiles without the DOM lib). */
export interface GrowableMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface MemoryApi {
  readonly Memory: new (d: { initial: number; maximum?: number }) => GrowableMemory;
}

const PAGE = 65536;
const ALIGN = 16;
/** 4 GiB of 64 KiB pages: the wasm32 address space. */
const MAX_PAGES = 65536;
/** Address 0 is never handed out, so a pointer of 0 can mean "none" in kernel ABIs. */
const BASE = ALIGN;

const roundUp = (n: number): number => Math.ceil(Math.max(n, 1) / ALIGN) * ALIGN;

/** A heap of aligned blocks in one wasm memory. */
export class WasmHeap {
  readonly memory: GrowableMemory;
  /** Free blocks sorted by address: [ptr, bytes]. */
  #free: [number, number][] = [];
  /** First byte above every block ever handed out and still below the free tail. */
  #top = BASE;
  #sizes = new Map<number, number>();

  constructor(initialPages = 16) {
    const api = (globalThis as unknown as { WebAssembly: MemoryApi }).WebAssembly;
    this.memory = new api.Memory({ initial: initialPages, maximum: MAX_PAGES });
  }

  /**
   * A block of at least `bytes` bytes (contents unspecified), 16-byte aligned.
   *
   * @example heap.free(heap.malloc(100))
   */
  malloc(bytes: number): number {
    const need = roundUp(bytes);
    for (let i = 0; i < this.#free.length; i++) {
      const [ptr, size] = this.#free[i];
      if (size < need) continue;
      if (size === need) this.#free.splice(i, 1);
      else this.#free[i] = [ptr + need, size - need];
      this.#sizes.set(ptr, need);
      return ptr;
    }
    const ptr = this.#top;
    const end = ptr + need;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) {
        throw new RangeError(`wasm backend: out of memory allocating ${bytes} bytes (the wasm32 heap is limited to 4 GiB); free arrays with dispose() or tidy()`);
      }
      // Grow geometrically so that a sequence of allocations does not grow (and detach) each time.
      this.memory.grow(Math.min(Math.max(pages, have / PAGE), MAX_PAGES - have / PAGE));
    }
    this.#top = end;
    this.#sizes.set(ptr, need);
    return ptr;
  }

  /** Returns a block from `malloc` to the heap. */
  free(ptr: number): void {
    const size = this.#sizes.get(ptr);
    if (size === undefined) throw new Error(`internal: wasm heap block ${ptr} is not allocated (freed twice?)`);
    this.#sizes.delete(ptr);
    // Binary search for the insertion point, then merge with the neighbours.
    let lo = 0;
    let hi = this.#free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#free[mid][0] < ptr) lo = mid + 1;
      else hi = mid;
    }
    let start = ptr;
    let bytes = size;
    const prev = this.#free[lo - 1];
    const next = this.#free[lo];
    let at = lo;
    let remove = 0;
    if (prev && prev[0] + prev[1] === start) {
      start = prev[0];
      bytes += prev[1];
      at = lo - 1;
      remove++;
    }
    if (next && start + bytes === next[0]) {
      bytes += next[1];
      remove++;
    }
    if (start + bytes === this.#top) {
      this.#free.splice(at, remove);
      this.#top = start;
    } else {
      this.#free.splice(at, remove, [start, bytes]);
    }
  }

  /** Bytes handed out and not yet freed (rounded up to the alignment). */
  inUse(): number {
    let n = 0;
    for (const s of this.#sizes.values()) n += s;
    return n;
  }

  /** Free blocks (for tests of coalescing). */
  freeBlocks(): readonly (readonly [number, number])[] {
    return this.#free;
  }

  /** The bump pointer: the end of the highest live block. */
  get top(): number {
    return this.#top;
  }
}
