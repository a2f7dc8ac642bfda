/**
 * @file Memory planning for a lowered Program: when each buffer dies, and where each kernel
 * output gets its storage. A kernel output is written in place over an operand that dies in
 * that kernel when the kernel reads the operand only at the flat index it stores (so every
 * element is read before it is overwritten), else into the storage of a buffer that died
 * earlier, else into a new allocation. Reuse needs the same dtype and size, so a reused buffer
 * still describes its contents truthfully (backends read buffers by their own dtype and size).
 *
 * Pure: it reads only the `Lowered` steps and says which inputs the caller donated. Program
 * inputs are borrowed and never reused, unless donated; call outputs come from the backend.
 * It lives in codegen beside `lower` because backends, which may not import passes, plan the
 * Programs they compile.
 */
import type { ParamArg, UOp } from "./kernel-ir.js";
import type { Lowered, Step } from "./lower.js";

/** Where a buffer's storage comes from. */
export type Storage =
  | { readonly kind: "input"; readonly index: number }
  | { readonly kind: "alloc" }
  | { readonly kind: "call" }
  /** The storage of buffer `of`, which is dead by then (or dies in this very kernel: in place). */
  | { readonly kind: "reuse"; readonly of: number; readonly inPlace: boolean };

export interface MemoryPlan {
  /** Per buffer id. */
  readonly storage: readonly Storage[];
  /** Per buffer id: the last step reading it; -1 if none; `steps.length` for program outputs. */
  readonly lastUse: readonly number[];
  /**
   * `release[t]`: buffers whose storage is given back before step t (`t = steps.length`: at the
   * end). Only the last holder of a storage is listed; outputs and borrowed inputs never are.
   */
  readonly release: readonly (readonly number[])[];
  /** Kernel outputs written in place, into earlier dead storage, and into new allocations. */
  readonly stats: { readonly inPlace: number; readonly reused: number; readonly allocated: number };
}

export interface PlanOptions {
  /** Per program input: whether its storage may be consumed (the caller donated it). */
  readonly donated?: readonly boolean[];
}

/** Buffers a step reads and writes. */
export const stepIO = (s: Step): { reads: readonly number[]; writes: readonly number[] } =>
  s.kind === "call" ? { reads: s.inputs, writes: s.outputs } : { reads: s.buffers.slice(0, -1), writes: s.buffers.slice(-1) };

/**
 * Whether kernel `s` reads its param `i` only at the flat index it stores to: writing its output
 * over that param's buffer then never clobbers an element that is still to be read.
 */
export function readsAtStoreIndex(s: Extract<Step, { kind: "kernel" }>, i: number): boolean {
  const stores = s.kernel.sink.src;
  if (stores.length !== 1) return false;
  const [, index, value] = stores[0].src;
  let found = false;
  for (const u of value.toposort() as UOp[]) {
    if (u.op !== "load" || (u.src[0].arg as ParamArg).index !== i) continue;
    if (u.src[1] !== index) return false;
    found = true;
  }
  return found;
}

/**
 * Plans storage for every buffer of `l`.
 *
 * @example planMemory(lower(program)).stats // { inPlace: 1, reused: 2, allocated: 3 }
 */
export function planMemory(l: Lowered, opts: PlanOptions = {}): MemoryPlan {
  const n = l.steps.length;
  const nb = l.buffers.length;
  const lastUse = new Array<number>(nb).fill(-1);
  const defined = new Array<number>(nb).fill(-1);
  l.steps.forEach((s, t) => {
    const { reads, writes } = stepIO(s);
    for (const b of reads) lastUse[b] = t;
    for (const b of writes) defined[b] = t;
  });
  for (const b of l.outputs) lastUse[b] = n;
  // Outputs nobody reads die where they are made.
  defined.forEach((t, b) => {
    if (t >= 0 && lastUse[b] < t) lastUse[b] = t;
  });

  const storage: Storage[] = new Array(nb).fill({ kind: "alloc" });
  const consumable = new Array<boolean>(nb).fill(true);
  l.inputs.forEach((b, i) => {
    storage[b] = { kind: "input", index: i };
    consumable[b] = opts.donated?.[i] === true;
  });
  for (const b of l.outputs) consumable[b] = false;
  for (const s of l.steps) if (s.kind === "call") for (const b of s.outputs) storage[b] = { kind: "call" };

  const key = (b: number) => `${l.buffers[b].dtype}:${l.buffers[b].size}`;
  const pool = new Map<string, number[]>();
  const taken = new Set<number>(); // buffers whose storage passed to a later buffer
  const dyingAt = new Map<number, number[]>();
  for (let b = 0; b < nb; b++) {
    if (!consumable[b]) continue;
    const t = lastUse[b] + 1;
    if (!dyingAt.has(t)) dyingAt.set(t, []);
    dyingAt.get(t)!.push(b);
  }
  const stats = { inPlace: 0, reused: 0, allocated: 0 };

  l.steps.forEach((s, t) => {
    for (const b of dyingAt.get(t) ?? []) {
      if (taken.has(b)) continue; // already written over in place
      const k = key(b);
      if (!pool.has(k)) pool.set(k, []);
      pool.get(k)!.push(b);
    }
    if (s.kind !== "kernel") return;
    const out = s.buffers[s.buffers.length - 1];
    const k = key(out);
    const inPlace = s.buffers.findIndex(
      (b, i) => b !== out && consumable[b] && lastUse[b] === t && !taken.has(b) && key(b) === k && readsAtStoreIndex(s, i),
    );
    if (inPlace >= 0) {
      storage[out] = { kind: "reuse", of: s.buffers[inPlace], inPlace: true };
      taken.add(s.buffers[inPlace]);
      stats.inPlace++;
      return;
    }
    const free = pool.get(k)?.pop();
    if (free !== undefined) {
      storage[out] = { kind: "reuse", of: free, inPlace: false };
      taken.add(free);
      stats.reused++;
      return;
    }
    stats.allocated++;
  });

  const release: number[][] = Array.from({ length: n + 1 }, () => []);
  for (let b = 0; b < nb; b++) {
    if (consumable[b] && !taken.has(b)) release[Math.min(lastUse[b] + 1, n)].push(b);
  }
  return { storage, lastUse, release, stats };
}
