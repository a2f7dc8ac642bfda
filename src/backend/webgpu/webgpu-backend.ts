/**
 * @file The `webgpu` backend: buffers are GPU storage buffers (layout: storage.ts), and
 * primitives run as WGSL compute shaders rendered from the same kernel IR the wasm backend runs
 * (src/codegen/wgsl): elementwise and fused kernels, reductions (long ones split, split-reduce.ts),
 * views, windows, random bits, contractions, gather, argmax/argmin, cumulative ops, sort, top_k,
 * float16; plus dedicated WGSL kernels for float32 GEMMs, convolutions and scatters
 * (dedicated.ts). Primitives without a WGSL kernel (linear algebra, float64 math...) run the
 * reference impl on the host as a chained step: their operands are read back once the work
 * before them is done, and the results uploaded before any later work runs (stream.ts), so every
 * primitive works, and nothing ever waits synchronously.
 *
 * Reads are asynchronous: `await a.data()`. `dataSync()` throws and says so. A jitted call is
 * one submit (planned-executable.ts + `afterRun`); eager operations issued in one synchronous
 * stretch are one submit too.
 */
import {
  type DType, type FirstOrderPrim, Prim, type PrimParams, type Program, type ShapedArray, type TypedArray,
} from "../../ir/index.js";
import type { Backend, BufferId, Executable, MemoryInfo, Operand } from "../backend.js";
import { BufferTable } from "../buffer-table.js";
import { referenceImpls } from "../reference/impls.js";
import type { Impl } from "../reference/ref-array.js";
import type { Kernel } from "../../codegen/kernel-ir.js";
import { convKernel, dotKernel } from "../../codegen/contraction.js";
import { argKernel, gatherKernel, scanKernel, sortKernel, topKKernel } from "../../codegen/indexing-kernels.js";
import { type SplitReduce, splitReduce } from "../../codegen/split-reduce.js";
import { type WgslShader, gridFor, renderWgsl } from "../../codegen/wgsl/render.js";
import { compilePlanned } from "../planned-executable.js";
import { COPY_PRIMS, STRUCTURAL_PRIMS, concatenateKernel, iotaKernel, structuralKernel } from "../wasm/structural.js";
import { type KernelBuilder, WINDOW_KERNELS } from "../wasm/window.js";
import { RANDOM_KERNELS } from "../wasm/random.js";
import { ELEMENTWISE_PRIMS, type KernelOperand, REDUCE_KINDS, elementwiseKernel, reduceKernel } from "../wasm/dispatch.js";
import type { DeviceInfo } from "./device.js";
import { GpuStream } from "./stream.js";
import { type GpuHost, SCATTER_KINDS, convCall, gemmCall, scatterCall, unfusedEpilogue } from "./dedicated.js";
import { fromStored, storedSize, toStored } from "./storage.js";

interface Slot {
  readonly buf: GPUBuffer;
  readonly dtype: DType;
  readonly size: number;
  /** A cached scalar constant's buffer, shared by every array of that value: never written, never pooled. */
  readonly shared?: boolean;
}

/** Scalar constants kept on the GPU for reuse (JS numbers in eager code become one each). */
const SCALAR_CACHE = 1024;



/** Bind groups kept for reuse (least recently used dropped first). */
const BIND_GROUP_CACHE = 4096;

/** Primitives built straight from their operands' types (any number of outputs). */
const KERNEL_BUILDERS: Partial<Record<Prim, KernelBuilder>> = {
  ...WINDOW_KERNELS, ...RANDOM_KERNELS,
  [Prim.Iota]: (_, p, [out]) => iotaKernel(p as PrimParams[Prim.Iota], out),
  [Prim.Concatenate]: (ins, p, [out]) => concatenateKernel(ins, p as PrimParams[Prim.Concatenate], out),
  [Prim.DotGeneral]: ([a, b], p, [out]) => dotKernel(a, b, p as PrimParams[Prim.DotGeneral], out),
  [Prim.ConvGeneralDilated]: ([a, b], p, [out]) => convKernel(a, b, p as PrimParams[Prim.ConvGeneralDilated], out),
  [Prim.Gather]: ([x, i], p, [out]) => gatherKernel(x, i, p as PrimParams[Prim.Gather], out),
  [Prim.Argmax]: ([x], p, [out]) => argKernel(true, x, p as PrimParams[Prim.Argmax], out),
  [Prim.Sort]: (ins, p, outs) => sortKernel(ins, p as PrimParams[Prim.Sort], outs),
  [Prim.TopK]: ([x], p, outs) => topKKernel(x, p as PrimParams[Prim.TopK], outs),
  [Prim.Argmin]: ([x], p, [out]) => argKernel(false, x, p as PrimParams[Prim.Argmin], out),
  ...Object.fromEntries([Prim.Cumsum, Prim.Cumprod, Prim.Cummax, Prim.Cummin].map((prim) => [
    prim, (([x]: readonly KernelOperand[], p: object, [out]: readonly KernelOperand[]) => scanKernel(prim, x, p as PrimParams[Prim.Cumsum], out)) as KernelBuilder,
  ])),
};

const operandOf = (a: ShapedArray): KernelOperand => ({ dtype: a.dtype, shape: a.shape, size: a.size });
/** Kernels on float64 are not rendered (WGSL has no f64; the host step runs them). */
const gpuDtype = (d: DType) => d !== "float64";

/** A kernel compiled for one aliasing pattern of its params: one pipeline per store. */
interface Compiled {
  readonly shaders: readonly WgslShader[];
  /** Null for a store with nothing to store. */
  readonly pipelines: readonly (GPUComputePipeline | null)[];
}

export class WebGPUBackend implements Backend {
  readonly name = "webgpu";
  readonly canReadSync = false;
  readonly stream: GpuStream;
  readonly info: DeviceInfo;
  #table = new BufferTable<Slot>("webgpu");
  /** Kernels by primitive signature; null when no kernel covers it (the host step runs it). */
  #kernels = new Map<string, Kernel | null>();
  #compiled = new Map<string, Compiled | null>();
  #pipelines = new Map<string, GPUComputePipeline>();
  #hostPrims = new Map<string, number>();
  #bindGroups = new Map<string, GPUBindGroup>();
  #scalars = new Map<string, GPUBuffer>();
  #splits = new Map<number, SplitReduce | null>();
  #ids = new WeakMap<object, number>();
  #nextId = 1;
  /**
   * Which float32 GEMM runs dot_general: `tiled` (workgroup-memory tiles, for GPUs) or `direct`
   * (register blocks read straight from storage: faster on software adapters, whose workgroup
   * barriers are slow). Chosen from the adapter; settable (tests run both).
   */
  gemmVariant: "tiled" | "direct";
  /** The largest buffer a kernel may bind (the device's limit; lowered by tests). Larger operands take the host path. */
  maxBindingBytes: number;

  /** The backend as the dedicated kernels see it (dedicated.ts). */
  readonly #host: GpuHost;

  constructor(info: DeviceInfo) {
    this.info = info;
    this.stream = new GpuStream(info.device);
    this.gemmVariant = info.isFallback ? "direct" : "tiled";
    this.maxBindingBytes = info.device.limits.maxStorageBufferBindingSize;
    const backend = this;
    this.#host = {
      device: info.device,
      stream: this.stream,
      get maxBindingBytes() {
        return backend.maxBindingBytes;
      },
      get gemmVariant() {
        return backend.gemmVariant;
      },
      allocRaw: (d, n) => this.#allocSlot(d, n),
      alloc: (d, n, data) => this.alloc(d, n, data),
      release: (id) => this.release(id),
      slotOf: (id) => this.#slot(id),
      pipeline: (code) => this.#pipeline(code),
      bindGroup: (p, bufs) => this.#bindGroup(p, bufs),
      execute: (prim, ins, params, outs) => this.execute(prim, ins, params, outs),
    };
  }

  get device(): GPUDevice {
    return this.info.device;
  }

  alloc(dtype: DType, size: number, data: TypedArray | null): BufferId {
    if (data && size === 1) return this.#table.add({ buf: this.#scalar(dtype, data), dtype, size, shared: true }, dtype, size);
    if (data && size > 0) return this.#table.add({ buf: this.stream.createWith(toStored(dtype, data)), dtype, size }, dtype, size);
    const id = this.#allocSlot(dtype, size);
    if (size > 0) this.stream.encoder().clearBuffer(this.#slot(id).buf, 0, Math.ceil((size * storedSize(dtype)) / 4) * 4);
    return id;
  }

  /** The shared buffer holding the scalar `data[0]` of `dtype` (created once, then cached). */
  #scalar(dtype: DType, data: TypedArray): GPUBuffer {
    const stored = toStored(dtype, data);
    const key = `${dtype}:${Array.from(new Uint32Array(stored.buffer, stored.byteOffset, stored.byteLength / 4)).join(",")}`;
    let buf = this.#scalars.get(key);
    if (buf) this.#scalars.delete(key);
    else {
      buf = this.stream.createWith(stored);
      if (this.#scalars.size >= SCALAR_CACHE) this.#scalars.delete(this.#scalars.keys().next().value!);
    }
    this.#scalars.set(key, buf);
    return buf;
  }

  #allocSlot(dtype: DType, size: number): BufferId {
    const buf = this.stream.acquire(size * storedSize(dtype));
    return this.#table.add({ buf, dtype, size }, dtype, size);
  }

  #slot(id: BufferId): Slot {
    return this.#table.get(id);
  }

  retain(id: BufferId): void {
    this.#table.retain(id);
  }

  release(id: BufferId): void {
    this.#table.release(id, (s) => {
      if (!s.shared) this.stream.recycle(s.buf);
    });
  }

  readSync(): TypedArray {
    throw new Error(
      "dataSync() (and toArray(), item(), printing) cannot read an array on the webgpu backend: GPU results arrive " +
        "asynchronously. Use 'await a.data()' (or 'await a.array()') instead, or move the array to the wasm backend first.",
    );
  }

  async read(id: BufferId): Promise<TypedArray> {
    const { buf, dtype, size } = this.#slot(id);
    const bytes = await this.stream.read(buf, size * storedSize(dtype));
    return fromStored(dtype, bytes, size);
  }

  memory(): MemoryInfo {
    return this.#table.memory();
  }

  execute<P extends FirstOrderPrim>(prim: P, inputs: readonly Operand[], params: PrimParams[P], outAvals: readonly ShapedArray[]): BufferId[] {
    this.stream.checkAlive();
    if (COPY_PRIMS.has(prim) || (prim === Prim.BitcastConvertType && storedSize(inputs[0].aval.dtype) === storedSize(outAvals[0].dtype) && gpuDtype(inputs[0].aval.dtype) && gpuDtype(outAvals[0].dtype))) {
      const src = this.#slot(inputs[0].buffer);
      const out = this.#allocSlot(outAvals[0].dtype, outAvals[0].size);
      const bytes = Math.ceil((src.size * storedSize(src.dtype)) / 4) * 4;
      if (bytes > 0) this.stream.encoder().copyBufferToBuffer(src.buf, 0, this.#slot(out).buf, 0, bytes);
      return [out];
    }
    if (prim === Prim.DotGeneral) {
      const out = gemmCall(this.#host, inputs, params as PrimParams[Prim.DotGeneral], outAvals[0]);
      if (out !== null) return [out];
    }
    const scatterKind = SCATTER_KINDS[prim];
    if (scatterKind) {
      const out = scatterCall(this.#host, scatterKind, inputs, params as PrimParams[Prim.Scatter], outAvals[0]);
      if (out !== null) return [out];
    }
    if (prim === Prim.ConvGeneralDilated) {
      const out = convCall(this.#host, inputs, params as PrimParams[Prim.ConvGeneralDilated], outAvals[0]);
      if (out !== null) return [out];
    }
    const kernel = this.#kernelFor(prim, inputs, params as object, outAvals);
    if (kernel) {
      const outs = outAvals.map((a) => this.#allocSlot(a.dtype, a.size));
      try {
        this.runKernel(kernel, [...inputs.map((x) => x.buffer), ...outs]);
        return outs;
      } catch (e) {
        outs.forEach((o) => this.release(o));
        if (!(e instanceof RangeError)) throw e;
        this.#kernels.set(this.#key(prim, inputs, params as object, outAvals), null);
      }
    }
    return this.#viaHost(prim, inputs, params, outAvals);
  }

  #key(prim: Prim, inputs: readonly Operand[], params: object, outAvals: readonly ShapedArray[]): string {
    return `${prim}|${JSON.stringify(params)}|${inputs.map((x) => `${x.aval.dtype}:${x.aval.shape}`)}|${outAvals.map((a) => `${a.dtype}:${a.shape}`)}`;
  }

  /** The kernel computing `prim` on these operand types, built once; null: the host step runs it. */
  #kernelFor(prim: Prim, inputs: readonly Operand[], params: object, outAvals: readonly ShapedArray[]): Kernel | null {
    const key = this.#key(prim, inputs, params, outAvals);
    let k = this.#kernels.get(key);
    if (k === undefined) {
      try {
        k = this.#buildKernel(prim, inputs.map((x) => operandOf(x.aval)), params, outAvals.map(operandOf));
      } catch {
        k = null;
      }
      this.#kernels.set(key, k);
    }
    return k;
  }

  #buildKernel(prim: Prim, ins: readonly KernelOperand[], params: object, outs: readonly KernelOperand[]): Kernel | null {
    if ([...ins, ...outs].some((x) => !gpuDtype(x.dtype)) || outs.some((o) => o.size === 0)) return null;
    const build = KERNEL_BUILDERS[prim];
    if (build) return build(ins, params, outs);
    if (outs.length !== 1) return null;
    const [out] = outs;
    if (STRUCTURAL_PRIMS.has(prim)) return structuralKernel(prim, ins, params, out);
    const kind = REDUCE_KINDS[prim];
    if (kind) {
      const { axes } = params as PrimParams[Prim.ReduceSum];
      if (axes.length === 0 || ins[0].size === 0 || ins[0].dtype !== out.dtype) return null;
      return reduceKernel(kind, ins[0], axes, out);
    }
    if (ELEMENTWISE_PRIMS.has(prim)) return elementwiseKernel(prim, ins, params, out);
    return null;
  }

  /**
   * Records the dispatches of `kernel` on `buffers` (one per param, in param order). Throws a
   * RangeError when the kernel cannot run here (a dtype or primitive WGSL lacks, too many
   * bindings): callers then take another path.
   */
  runKernel(kernel: Kernel, buffers: readonly BufferId[]): void {
    let split = this.#splits.get(kernel.sink.id);
    if (split === undefined) this.#splits.set(kernel.sink.id, (split = splitReduce(kernel)));
    if (split) {
      // A long reduction with few outputs: partials in parallel, then a fold (split-reduce.ts).
      const tmp = this.#allocSlot(split.partial.dtype, split.partial.size);
      try {
        this.runKernel(split.partials, [...buffers, tmp]);
        this.runKernel(split.fold, [...buffers, tmp]);
      } finally {
        this.release(tmp); // reused only by work recorded later
      }
      return;
    }
    const slots = buffers.map((b) => this.#slot(b).buf);
    const distinct: GPUBuffer[] = [];
    const slotIndex = slots.map((g) => {
      let i = distinct.indexOf(g);
      if (i < 0) i = distinct.push(g) - 1;
      return i;
    });
    const key = `${kernel.sink.id}|${kernel.params.map((p) => p.dtype)}|${slotIndex}`;
    let c = this.#compiled.get(key);
    if (c === undefined) {
      try {
        c = this.#compile(kernel, slotIndex);
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
        c = null;
      }
      this.#compiled.set(key, c);
    }
    if (!c) throw new RangeError(`webgpu: kernel ${kernel.name} cannot run as WGSL`);
    c.shaders.forEach((s, i) => {
      if (s.invocations === 0) return;
      const pipeline = c.pipelines[i]!;
      const bindGroup = this.#bindGroup(pipeline, s.bindings.map((slot) => distinct[slot]));
      const pass = this.stream.pass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      const [x, y] = gridFor(s.invocations);
      pass.dispatchWorkgroups(x, y);
    });
  }

  /** Renders `kernel` for one aliasing pattern and checks the limits; `build`: also create its pipelines. */
  #compile(kernel: Kernel, slots: readonly number[], build = true): Compiled {
    // A buffer larger than one binding may hold cannot be bound: such kernels go another way.
    const maxBinding = this.maxBindingBytes;
    for (const p of kernel.params) {
      if (p.size * storedSize(p.dtype) > maxBinding) {
        throw new RangeError(`webgpu: kernel ${kernel.name} binds ${p.size * storedSize(p.dtype)} bytes (limit ${maxBinding} per binding)`);
      }
    }
    const shaders = renderWgsl(kernel, { slots });
    const limit = this.device.limits.maxStorageBuffersPerShaderStage;
    for (const s of shaders) {
      if (s.bindings.length > limit) throw new RangeError(`webgpu: kernel ${kernel.name} needs ${s.bindings.length} storage buffers (limit ${limit})`);
    }
    const pipelines = build ? shaders.map((s) => (s.invocations === 0 ? null : this.#pipeline(s.code))) : [];
    return { shaders, pipelines };
  }

  /**
   * The bind group of `buffers` (binding k = buffers[k]) for `pipeline`, cached: creating one
   * costs tens of microseconds in Dawn, and pooled buffers make the same combinations recur.
   */
  #bindGroup(pipeline: GPUComputePipeline, buffers: readonly GPUBuffer[]): GPUBindGroup {
    const key = `${this.#idOf(pipeline)}|${buffers.map((b) => this.#idOf(b)).join(",")}`;
    let bg = this.#bindGroups.get(key);
    if (bg) {
      this.#bindGroups.delete(key); // most recently used last
    } else {
      bg = this.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: buffers.map((buffer, k) => ({ binding: k, resource: { buffer } })),
      });
      if (this.#bindGroups.size >= BIND_GROUP_CACHE) this.#bindGroups.delete(this.#bindGroups.keys().next().value!);
    }
    this.#bindGroups.set(key, bg);
    return bg;
  }

  #idOf(o: object): number {
    let id = this.#ids.get(o);
    if (id === undefined) this.#ids.set(o, (id = this.#nextId++));
    return id;
  }

  #pipeline(code: string): GPUComputePipeline {
    let p = this.#pipelines.get(code);
    if (!p) {
      // A shader that fails validation is a renderer bug: reported, with its code, by the next readback.
      this.device.pushErrorScope("validation");
      const module = this.device.createShaderModule({ code });
      p = this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
      void this.device.popErrorScope().then((e) => {
        if (e) this.stream.fail(new Error(`internal: a WGSL kernel failed validation: ${e.message}\n${code}`));
      });
      this.#pipelines.set(code, p);
    }
    return p;
  }

  /** Runs a primitive's reference impl as a host step (see `hostStep`). */
  #viaHost<P extends FirstOrderPrim>(prim: P, inputs: readonly Operand[], params: PrimParams[P], outAvals: readonly ShapedArray[]): BufferId[] {
    this.#hostPrims.set(prim, (this.#hostPrims.get(prim) ?? 0) + 1);
    return this.hostStep(inputs, outAvals, (data) =>
      (referenceImpls[prim] as Impl<P>)(data.map((d, i) => ({ data: d, shape: inputs[i].aval.shape, dtype: inputs[i].aval.dtype })), params, outAvals));
  }

  /**
   * Runs `fn` on the host as a chained step: the result buffers are returned at once; the
   * operands are read back once the work before them is done, and the results uploaded before
   * any later work runs (stream.ts). A step that throws is reported by the next readback.
   */
  hostStep(inputs: readonly Operand[], outAvals: readonly ShapedArray[], fn: (data: TypedArray[]) => TypedArray[]): BufferId[] {
    this.stream.checkAlive();
    const outs = outAvals.map((a) => this.#allocSlot(a.dtype, a.size));
    const ins = inputs.map((x) => this.#slot(x.buffer));
    const outBufs = outs.map((o) => this.#slot(o).buf);
    this.stream.stats.hostSteps++;
    const step = this.stream.enqueue(async () => {
      const raw = await this.stream.readMany(ins.map((x) => ({ buf: x.buf, bytes: x.size * storedSize(x.dtype) })));
      const results = fn(ins.map((x, i) => fromStored(x.dtype, raw[i], x.size)));
      results.forEach((data, i) => {
        const stored = toStored(outAvals[i].dtype, data);
        if (stored.byteLength > 0) this.device.queue.writeBuffer(outBufs[i], 0, stored.buffer, stored.byteOffset, stored.byteLength);
      });
    });
    step.catch((e: unknown) => this.stream.fail(e instanceof Error ? e : new Error(String(e))));
    return outs;
  }

  /** Primitives that ran as host steps, with counts (the rest ran as WGSL). */
  hostStats(): Record<string, number> {
    return Object.fromEntries(this.#hostPrims);
  }

  /** A jitted Program as WGSL kernels with a memory plan, submitted once per call. */
  compile(program: Program): Executable | null {
    return compilePlanned(program, {
      backend: this,
      allocRaw: (d, n) => this.#allocSlot(d, n),
      // A shared scalar is never the sole owner of its storage: it is never overwritten in place.
      refCount: (id) => (this.#slot(id).shared ? 2 : this.#table.refCount(id)),
      compileKernel: (kernel) => {
        if (kernel.params.some((p) => !gpuDtype(p.dtype))) throw new RangeError("webgpu: float64 kernel");
        // Rendered now, so a kernel WGSL cannot express refuses the program (which then runs op by op).
        // (pipelines are created at the first run, for the aliasing pattern the memory plan gives)
        this.#compile(kernel, kernel.params.map((_, i) => i), false);
        return (ids) => this.runKernel(kernel, ids);
      },
      afterRun: () => this.stream.flush(),
      dotEpilogue: (ins, params, ep, out) => gemmCall(this.#host, ins, params, out, ep) ?? unfusedEpilogue(this.#host, ins, params, ep, out),
    });
  }

  /** Resolves when all work issued so far has finished on the GPU. */
  sync(): Promise<void> {
    return this.stream.sync();
  }
}
