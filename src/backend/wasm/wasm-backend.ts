/**
 * @file The `wasm` backend: every buffer lives in one growable WebAssembly memory, elementwise
 * primitives and reductions run as kernels rendered from the kernel IR, float32 dot_general and
 * NHWC convolutions run on the Rust micro-kernels, and every other primitive (and float16, and
 * any case a fast path does not cover) runs the reference impl on typed-array views of the wasm
 * memory, its result copied into a new wasm buffer. So every primitive works on it, with the
 * reference backend as the oracle.
 *
 * float16 is stored as float32 (4 bytes) in wasm memory, like the reference backend stores it on
 * the host, but `memory()` counts bytes by `itemSize` exactly as the reference backend does.
 */
import {
  type DType, type FirstOrderPrim, Prim, type PrimParams, type Program, type ShapedArray, type TypedArray, itemSize,
} from "../../ir/index.js";
import type { Backend, BufferId, Executable, MemoryInfo, Operand } from "../backend.js";
import { compileExecutable } from "./executable.js";
import { BufferTable } from "../buffer-table.js";
import { referenceImpls } from "../reference/impls.js";
import type { Impl, RefArray } from "../reference/ref-array.js";
import { roundF16 } from "../reference/float-bits.js";
import { type KernelFn, compileKernel } from "../../codegen/wasm/compile-cache.js";
import { ACTIVATIONS, type KernelExports } from "./kernels.js";
import type { Epilogue } from "../../codegen/lower.js";
import { WasmHeap } from "./memory.js";
import { RustHeap } from "./rust-heap.js";
import { COPY_PRIMS, STRUCTURAL_PRIMS, concatenateKernel, iotaKernel, structuralKernel } from "./structural.js";
import { type KernelBuilder, WINDOW_KERNELS } from "./window.js";
import { RANDOM_KERNELS } from "./random.js";
import {
  ELEMENTWISE_PRIMS, HOST_MATH, LANES, REDUCE_KINDS, elementwiseKernel, gemmDot, laneReduceKernel, loadRustKernelsSync,
  reduceKernel, gemmResident, rustConv, splitsLanes,
} from "./dispatch.js";

/** Primitives with a dedicated kernel builder, any number of outputs (window.ts, random.ts, structural.ts). */
const KERNEL_BUILDERS: Partial<Record<Prim, KernelBuilder>> = {
  ...WINDOW_KERNELS, ...RANDOM_KERNELS,
  [Prim.Iota]: (_, p, [out]) => iotaKernel(p as PrimParams[Prim.Iota], out),
  [Prim.Concatenate]: (ins, p, [out]) => concatenateKernel(ins, p as PrimParams[Prim.Concatenate], out),
};

interface Slot {
  readonly ptr: number;
  readonly dtype: DType;
  readonly size: number;
}

type ViewCtor = new (buf: ArrayBuffer, offset: number, length: number) => TypedArray;
const VIEW: Record<DType, ViewCtor> = {
  float32: Float32Array, float16: Float32Array, float64: Float64Array, int32: Int32Array, uint32: Uint32Array, bool: Uint8Array,
};
/** Bytes per element in wasm memory (float16 is held as float32). */
const storedSize = (d: DType): number => (d === "float16" ? 4 : itemSize(d));

export class WasmBackend implements Backend {
  readonly name = "wasm";
  readonly canReadSync = true;
  #rust: KernelExports | null = loadRustKernelsSync();
  /**
   * With the Rust kernels loaded, buffers live in their memory (rust-heap.ts), so GEMM and conv
   * run on them in place; without them, in a memory of our own.
   */
  readonly heap: WasmHeap | RustHeap = this.#rust ? new RustHeap(this.#rust) : new WasmHeap();
  #table = new BufferTable<Slot>("wasm");
  /** Compiled kernels by primitive, params and operand types; null when a kernel cannot be rendered. */
  #kernels = new Map<string, KernelFn | null>();
  #rustCalls = 0;

  /** Whether the Rust GEMM/conv kernels are in use (false in runtimes that cannot load them synchronously). */
  get hasRustKernels(): boolean {
    return this.#rust !== null;
  }

  alloc(dtype: DType, size: number, data: TypedArray | null): BufferId {
    const id = this.#allocSlot(dtype, size);
    const view = this.view(id);
    if (data) {
      view.set(data);
      if (dtype === "float16") for (let i = 0; i < size; i++) view[i] = roundF16(view[i]);
    } else {
      view.fill(0);
    }
    return id;
  }

  /** A new buffer with unspecified contents. */
  #allocSlot(dtype: DType, size: number): BufferId {
    const ptr = this.heap.malloc(size * storedSize(dtype));
    return this.#table.add({ ptr, dtype, size }, dtype, size);
  }

  #slot(id: BufferId): Slot {
    return this.#table.get(id);
  }

  retain(id: BufferId): void {
    this.#table.retain(id);
  }

  release(id: BufferId): void {
    this.#table.release(id, (s) => this.heap.free(s.ptr));
  }

  /**
   * A typed-array view of a buffer in wasm memory. Valid until the next allocation (which may
   * grow the memory and detach it); never keep one across backend calls.
   */
  view(id: BufferId): TypedArray {
    const s = this.#slot(id);
    return new VIEW[s.dtype](this.heap.memory.buffer, s.ptr, s.size);
  }

  readSync(id: BufferId): TypedArray {
    return this.view(id).slice();
  }

  read(id: BufferId): Promise<TypedArray> {
    return Promise.resolve(this.readSync(id));
  }

  execute<P extends FirstOrderPrim>(
    prim: P,
    inputs: readonly Operand[],
    params: PrimParams[P],
    outAvals: readonly ShapedArray[],
  ): BufferId[] {
    const built = KERNEL_BUILDERS[prim] ? this.#viaBuilder(prim, KERNEL_BUILDERS[prim], inputs, params, outAvals) : null;
    if (built) return built;
    if (outAvals.length === 1) {
      const out = this.#viaKernel(prim, inputs, params, outAvals[0]) ?? this.#viaRust(prim, inputs, params, outAvals[0]);
      if (out !== null) return [out];
    }
    return this.#viaReference(prim, inputs, params, outAvals);
  }

  #viaReference<P extends FirstOrderPrim>(prim: P, inputs: readonly Operand[], params: PrimParams[P], outAvals: readonly ShapedArray[]): BufferId[] {
    const xs: RefArray[] = inputs.map(({ buffer, aval }) => ({ data: this.view(buffer), shape: aval.shape, dtype: aval.dtype }));
    const outs = (referenceImpls[prim] as Impl<P>)(xs, params, outAvals);
    // The views are dead from here on: allocating may detach them.
    return outs.map((data, i) => this.alloc(outAvals[i].dtype, outAvals[i].size, data));
  }

  /** A primitive with a dedicated kernel builder, cached per signature; null when the builder does not cover it. */
  #viaBuilder(prim: Prim, build: KernelBuilder, inputs: readonly Operand[], params: object, outAvals: readonly ShapedArray[]): BufferId[] | null {
    const avals = [...inputs.map((x) => x.aval), ...outAvals];
    if (avals.some((a) => a.dtype === "float16") || outAvals.some((a) => a.size === 0)) return null;
    const operand = (a: ShapedArray) => ({ dtype: a.dtype, shape: a.shape, size: a.size });
    const key = `${prim}|${JSON.stringify(params)}|${avals.map((a) => `${a.dtype}:${a.shape}`)}`;
    const fn = this.#compiled(key, () => {
      const kernel = build(inputs.map((x) => operand(x.aval)), params, outAvals.map(operand));
      if (!kernel) throw new RangeError("not covered"); // cached as null: the reference impl runs it
      return kernel;
    });
    if (!fn) return null;
    const ids = outAvals.map((a) => this.#allocSlot(a.dtype, a.size));
    fn(...inputs.map((x) => this.#slot(x.buffer).ptr), ...ids.map((id) => this.#slot(id).ptr));
    return ids;
  }

  /** Copies, structural and elementwise primitives and reductions as compiled kernels; null when not covered. */
  #viaKernel<P extends FirstOrderPrim>(prim: P, inputs: readonly Operand[], params: PrimParams[P], out: ShapedArray): BufferId | null {
    // A bitcast between 4-byte types is a byte copy too (float16 is held as float32, so not it).
    const sameBytes = prim === Prim.BitcastConvertType && inputs[0].aval.dtype !== "float16" && out.dtype !== "float16" && storedSize(inputs[0].aval.dtype) === storedSize(out.dtype);
    if (COPY_PRIMS.has(prim) || sameBytes) {
      const src = this.#slot(inputs[0].buffer);
      const id = this.#allocSlot(out.dtype, out.size);
      const bytes = new Uint8Array(this.heap.memory.buffer);
      bytes.copyWithin(this.#slot(id).ptr, src.ptr, src.ptr + src.size * storedSize(src.dtype));
      return id;
    }
    const kind = REDUCE_KINDS[prim];
    const structural = STRUCTURAL_PRIMS.has(prim);
    if (!ELEMENTWISE_PRIMS.has(prim) && !kind && !structural) return null;
    if (out.dtype === "float16" || inputs.some((x) => x.aval.dtype === "float16")) return null;
    if (out.size === 0) return this.alloc(out.dtype, 0, null);
    const operand = (a: ShapedArray) => ({ dtype: a.dtype, shape: a.shape, size: a.size });
    let fn: KernelFn | null;
    if (structural) {
      const key = `${prim}|${JSON.stringify(params)}|${inputs.map((x) => `${x.aval.dtype}:${x.aval.shape}`)}|${out.shape}`;
      fn = this.#compiled(key, () => structuralKernel(prim, inputs.map((x) => operand(x.aval)), params as object, operand(out)));
    } else if (kind) {
      const x = inputs[0].aval;
      const { axes } = params as PrimParams[Prim.ReduceSum];
      // Empty reductions (identity values) and copies stay with the reference impls.
      if (axes.length === 0 || x.size === 0 || x.dtype !== out.dtype) return null;
      const xk = { dtype: x.dtype, shape: x.shape, size: x.size };
      const key = `${prim}|${x.dtype}|${x.shape}|${axes}`;
      if (splitsLanes(xk, axes)) {
        const lanes = this.#compiled(`${key}|lanes`, () => laneReduceKernel(kind, xk, axes, out.size));
        const fold = this.#compiled(`${prim}|${x.dtype}|${out.size},${LANES}|fold`, () =>
          reduceKernel(kind, { dtype: x.dtype, shape: [out.size, LANES], size: out.size * LANES }, [1], { dtype: out.dtype, shape: [out.size], size: out.size }));
        if (lanes && fold) {
          const part = this.#allocSlot(x.dtype, out.size * LANES);
          const id = this.#allocSlot(out.dtype, out.size);
          lanes(this.#slot(inputs[0].buffer).ptr, this.#slot(part).ptr);
          fold(this.#slot(part).ptr, this.#slot(id).ptr);
          this.release(part);
          return id;
        }
      }
      fn = this.#compiled(key, () => reduceKernel(kind, xk, axes, { dtype: out.dtype, shape: out.shape, size: out.size }));
    } else {
      const key = `${prim}|${JSON.stringify(params)}|${inputs.map((x) => `${x.aval.dtype}:${x.aval.size}`)}|${out.dtype}:${out.size}`;
      fn = this.#compiled(key, () =>
        elementwiseKernel(prim, inputs.map(({ aval }) => ({ dtype: aval.dtype, shape: aval.shape, size: aval.size })), params as object, {
          dtype: out.dtype, shape: out.shape, size: out.size,
        }),
      );
    }
    if (!fn) return null;
    const id = this.#allocSlot(out.dtype, out.size);
    fn(...inputs.map((x) => this.#slot(x.buffer).ptr), this.#slot(id).ptr);
    return id;
  }

  #compiled(key: string, build: () => Parameters<typeof compileKernel>[0]): KernelFn | null {
    let fn = this.#kernels.get(key);
    if (fn === undefined) {
      try {
        fn = compileKernel(build(), this.heap.memory, HOST_MATH);
      } catch {
        fn = null; // a primitive or dtype the renderer does not cover: the reference impl runs it
      }
      this.#kernels.set(key, fn);
    }
    return fn;
  }

  /** float32 dot_general and NHWC convolutions on the Rust kernels; null when not covered. */
  #viaRust<P extends FirstOrderPrim>(prim: P, inputs: readonly Operand[], params: PrimParams[P], out: ShapedArray): BufferId | null {
    const ex = this.#rust;
    if (!ex || out.dtype !== "float32" || inputs.some((x) => x.aval.dtype !== "float32")) return null;
    if (prim !== Prim.DotGeneral && prim !== Prim.ConvGeneralDilated) return null;
    // The result buffer is allocated first, so the operand views taken next stay valid: nothing
    // else allocates in our heap during the call (unless it is the Rust module's own memory:
    // then the kernels run on the buffers in place). The kernels write every result element.
    const id = this.#allocSlot("float32", out.size);
    const [a, b] = inputs.map(({ buffer, aval }) => ({ data: this.view(buffer), shape: aval.shape, dtype: aval.dtype }));
    let ok: boolean;
    if (this.heap instanceof RustHeap) {
      const [pa, pb, pc] = [inputs[0].buffer, inputs[1].buffer, id].map((x) => this.#slot(x).ptr);
      if (prim === Prim.DotGeneral) {
        gemmResident(ex, { ptr: pa, shape: a.shape }, { ptr: pb, shape: b.shape }, params as PrimParams[Prim.DotGeneral], pc);
        ok = true;
      } else {
        ok = rustConv(ex, a, b, params as PrimParams[Prim.ConvGeneralDilated], this.view(id) as Float32Array, out.shape, { x: pa, w: pb, out: pc });
      }
    } else {
      const result = this.view(id) as Float32Array;
      ok =
        prim === Prim.DotGeneral
          ? gemmDot(ex, a, b, params as PrimParams[Prim.DotGeneral], result)
          : rustConv(ex, a, b, params as PrimParams[Prim.ConvGeneralDilated], result, out.shape);
    }
    if (!ok) {
      this.release(id);
      return null;
    }
    this.#rustCalls++;
    return id;
  }

  /** Kernel signatures compiled, those the renderer refused (they run on the reference impls), and Rust kernel calls. */
  kernelStats(): { compiled: number; refused: string[]; rustCalls: number } {
    const refused = [...this.#kernels].filter(([, f]) => f === null).map(([k]) => k);
    return { compiled: this.#kernels.size - refused.length, refused, rustCalls: this.#rustCalls };
  }

  memory(): MemoryInfo {
    return this.#table.memory();
  }

  /** A jitted Program as fused kernels with a memory plan (executable.ts); null for op-by-op. */
  compile(program: Program): Executable | null {
    return compileExecutable(program, {
      backend: this, memory: this.heap.memory, hostMath: HOST_MATH,
      ptr: (id) => this.#slot(id).ptr, allocRaw: (d, n) => this.#allocSlot(d, n), refCount: (id) => this.#table.refCount(id),
      dotEpilogue: this.heap instanceof RustHeap ? (ins, params, ep, out) => this.#dotEpilogue(ins, params, ep, out) : undefined,
    });
  }

  /** float32 dot_general with the GEMM's fused bias (third operand) and relu, on buffers in the Rust memory. */
  #dotEpilogue(inputs: readonly Operand[], params: PrimParams[Prim.DotGeneral], ep: Epilogue, out: ShapedArray): BufferId {
    const id = this.#allocSlot("float32", out.size);
    const [pa, pb, pBias] = inputs.map((x) => this.#slot(x.buffer).ptr);
    const { relu } = ACTIVATIONS;
    try {
      gemmResident(this.#rust!, { ptr: pa, shape: inputs[0].aval.shape }, { ptr: pb, shape: inputs[1].aval.shape }, params, this.#slot(id).ptr, {
        bias: ep.bias ? pBias : 0, activation: ep.activation === "relu" ? relu : 0,
      });
    } catch (e) {
      this.release(id);
      throw e;
    }
    this.#rustCalls++;
    return id;
  }
}

/**
 * Creates a standalone wasm backend (the registry holds the shared one: `setBackend("wasm")`).
 *
 * @example new WasmBackend().memory() // { buffers: 0, bytes: 0 }
 */
export const createWasmBackend = (): WasmBackend => new WasmBackend();
