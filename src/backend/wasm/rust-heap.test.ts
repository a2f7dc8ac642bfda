import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { loadRustKernelsSync } from "./dispatch.js";
import { RustHeap, SMALL_MAX } from "./rust-heap.js";

const fresh = () => {
  const ex = loadRustKernelsSync();
  if (!ex) throw new Error("the Rust kernels did not load");
  return { ex, heap: new RustHeap(ex) };
};

describe("RustHeap", () => {
  it("hands out 16-byte aligned blocks in the Rust memory and counts them", () => {
    const { ex, heap } = fresh();
    expect(heap.memory).toBe(ex.memory);
    const small = heap.malloc(3);
    const big = heap.malloc(SMALL_MAX + 1);
    expect(small % 16).toBe(0);
    expect(big % 16).toBe(0);
    expect(heap.inUse()).toBe(16 + SMALL_MAX + 16);
    heap.free(small);
    heap.free(big);
    expect(heap.inUse()).toBe(0);
    expect(() => heap.free(big)).toThrow(/freed twice/);
  });

  it("reuses a freed small block of the same size class and gives large blocks back to Rust", () => {
    const { ex, heap } = fresh();
    const a = heap.malloc(100);
    heap.free(a);
    expect(heap.malloc(112)).toBe(a); // 100 and 112 round to the same 112-byte class
    const before = ex.kiln_heap_in_use();
    const big = heap.malloc(1 << 20);
    expect(ex.kiln_heap_in_use()).toBeGreaterThanOrEqual(before + (1 << 20));
    heap.free(big);
    expect(ex.kiln_heap_in_use()).toBe(before);
  });

  it("never hands out overlapping live blocks, and contents survive memory growth (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 3 * SMALL_MAX }), fc.boolean()), { minLength: 1, maxLength: 60 }), (ops) => {
        const { heap } = fresh();
        const live = new Map<number, number>();
        ops.forEach(([bytes, freeOne], i) => {
          if (freeOne && live.size > 0) {
            const [p] = live.keys();
            const n = live.get(p)!;
            expect(Array.from(new Uint8Array(heap.memory.buffer, p, n)).every((v) => v === (p >> 4) % 251)).toBe(true);
            heap.free(p);
            live.delete(p);
          }
          const p = heap.malloc(bytes);
          for (const [q, m] of live) expect(p + bytes <= q || q + m <= p, `op ${i}: [${p}, +${bytes}) overlaps [${q}, +${m})`).toBe(true);
          new Uint8Array(heap.memory.buffer, p, bytes).fill((p >> 4) % 251);
          live.set(p, bytes);
        });
        heap.malloc(16 << 20); // grows the memory
        for (const [p, n] of live) expect(Array.from(new Uint8Array(heap.memory.buffer, p, n)).every((v) => v === (p >> 4) % 251)).toBe(true);
      }),
      { numRuns: propertyRuns(20) },
    );
  });
});
