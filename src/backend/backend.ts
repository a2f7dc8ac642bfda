/**
 * @file The Backend interface: buffers owned by reference count, and primitive execution.
 *
 * A backend stores array data in buffers named by opaque numeric handles. `alloc` returns a
 * handle with a reference count of 1; `retain`/`release` move the count, and the buffer is freed
 * when it reaches 0. Arrays in the trace layer own one reference each, so users never see counts.
 */
import type { DType, FirstOrderPrim, PrimParams, Program, ShapedArray, TypedArray } from "../ir/index.js";

/** A buffer handle. Opaque outside its backend. */
export type BufferId = number;

/** Live buffer statistics, as `kiln.memory()` reports them. */
export interface MemoryInfo {
  readonly buffers: number;
  readonly bytes: number;
}

/** An operand of a backend call: a buffer and what it holds. */
export interface Operand {
  readonly buffer: BufferId;
  readonly aval: ShapedArray;
}

/**
 * A Program compiled by a backend (fused kernels and a memory plan), run as one unit.
 *
 * Ownership: `run` borrows its inputs (their counts are unchanged), except that an input marked
 * in `donated` may be overwritten or taken over when it holds the buffer's only reference; the
 * caller still releases its own reference afterwards, as it would for a borrowed one. Each
 * returned buffer carries one reference owned by the caller (a new buffer with a count of 1, or
 * one more reference to an input the program returns as is). Intermediates are the
 * executable's: freed, or reused, right after their last use.
 */
export interface Executable {
  /** `inputs`: the Program's constants, then its inputs. Returns its outputs. */
  run(inputs: readonly BufferId[], donated?: readonly boolean[]): BufferId[];
}

export interface Backend {
  /** The name users pass to `setBackend`. */
  readonly name: string;
  /** Whether `readSync` works (CPU backends) or throws (GPU backends). */
  readonly canReadSync: boolean;
  /** Copies `data` (or zeros when null) into a new buffer of `size` elements of `dtype`. */
  alloc(dtype: DType, size: number, data: TypedArray | null): BufferId;
  retain(buffer: BufferId): void;
  release(buffer: BufferId): void;
  /** A copy of the buffer's contents. */
  readSync(buffer: BufferId): TypedArray;
  read(buffer: BufferId): Promise<TypedArray>;
  /** Runs one primitive; returns new buffers (each with a count of 1) for `outAvals`. */
  execute<P extends FirstOrderPrim>(
    prim: P,
    inputs: readonly Operand[],
    params: PrimParams[P],
    outAvals: readonly ShapedArray[],
  ): BufferId[];
  memory(): MemoryInfo;
  /**
   * Compiles a whole Program (what `jit` stages) to one Executable; null when this backend
   * cannot (control flow, dtypes its kernels lack...), and the caller then evaluates the
   * Program one primitive at a time. Optional: without it every Program runs op by op.
   */
  compile?(program: Program): Executable | null;
  /**
   * Runs `fn` on the host over the data of `inputs` once all work issued before it is done; its
   * results land in the returned buffers (one per `outAvals`, count 1) before any later work
   * runs. Backends that cannot read synchronously (webgpu) offer it, so that eager evaluation
   * can still run what needs host values (a while loop's predicate) without blocking.
   */
  hostStep?(inputs: readonly Operand[], outAvals: readonly ShapedArray[], fn: (data: TypedArray[]) => TypedArray[]): BufferId[];
}
