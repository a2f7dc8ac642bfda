/**
 * @file The reference-counted buffer table every backend keeps: numeric handles, counts, and the
 * live totals `memory()` reports. Backends store what a buffer is (host array, pointer) in `S`.
 */
import { type DType, itemSize } from "../ir/index.js";
import type { BufferId, MemoryInfo } from "./backend.js";

interface Entry<S> {
  readonly slot: S;
  readonly bytes: number;
  rc: number;
}

export class BufferTable<S> {
  #entries = new Map<BufferId, Entry<S>>();
  #next = 1;
  #bytes = 0;

  /** @param name names the backend in internal errors. */
  constructor(private readonly name: string) {}

  /** Registers a buffer of `size` elements of `dtype` with a count of 1. */
  add(slot: S, dtype: DType, size: number): BufferId {
    const id = this.#next++;
    const bytes = size * itemSize(dtype);
    this.#entries.set(id, { slot, bytes, rc: 1 });
    this.#bytes += bytes;
    return id;
  }

  get(id: BufferId): S {
    return this.#entry(id).slot;
  }

  /** References held on `id` (1: its one owner may let it be overwritten, e.g. when donating). */
  refCount(id: BufferId): number {
    return this.#entry(id).rc;
  }

  retain(id: BufferId): void {
    this.#entry(id).rc++;
  }

  /** Drops one reference; calls `free` with the slot when the count reaches 0. */
  release(id: BufferId, free?: (slot: S) => void): void {
    const e = this.#entry(id);
    if (--e.rc > 0) return;
    this.#entries.delete(id);
    this.#bytes -= e.bytes;
    free?.(e.slot);
  }

  memory(): MemoryInfo {
    return { buffers: this.#entries.size, bytes: this.#bytes };
  }

  #entry(id: BufferId): Entry<S> {
    const e = this.#entries.get(id);
    if (!e) throw new Error(`internal: ${this.name} buffer ${id} does not exist (freed twice?)`);
    return e;
  }
}
