/**
 * @file The `webgpu` backend: buffers are GPU storage buffers, and primitives run as WGSL compute
 * shaders rendered from the same kernel IR the wasm backend runs (src/codegen/wgsl): elementwise
 * and fused kernels, reductions, views, windows, random bits, contractions and convolutions,
 * gather, scatter (with atomics), argmax/argmin, cumulative sums/products/extrema, sort.
 * top_k. Primitives without a WGSL kernel (linear algebra, float64 math...) run the reference impl on the host as a chained step: their
 * operands are read back once the work before them is done, and the results uploaded before any
 * later work runs (stream.ts), so every primitive works, and nothing ever waits synchronously.
 *
 * Reads are asynchronous: `await a.data()`. `dataSync()` throws and says so. A jitted call is
 * one submit (planned-executable.ts + `afterRun`); eager operations issued in one synchronous
 * stretch are one submit too.
 *
 * Storage: float32 as f32, int32 as i32, uint32 as u32, bool as u32 (0/1), float16 as f32 (as
 * the other backends hold it; kernels round every float16 result to half precision, so the
 * shader-f16 feature is not needed), float64 as 8 raw bytes (only host steps touch it).
 */
import {
  type DType, type FirstOrderPrim, Prim, type PrimParams, type Program, type ShapedArray, type TypedArray, itemSize,
} from "../../ir/index.js";
import type { Backend, BufferId, Executable, MemoryInfo, Operand } from "../backend.js";
import { BufferTable } from "../buffer-table.js";
import { referenceImpls } from "../reference/impls.js";
import type { Impl, RefArray } from "../reference/ref-array.js";
import { roundF16 } from "../reference/float-bits.js";
import type { Kernel } from "../../codegen/kernel-ir.js";
import type { Epilogue } from "../../codegen/lower.js";
import { convKernel, dotKernel } from "../../codegen/contraction.js";
import { argKernel, gatherKernel, scanKernel, sortKernel, topKKernel } from "../../codegen/indexing-kernels.js";
import { type SplitReduce, splitReduce } from "../../codegen/split-reduce.js";
import { type WgslShader, gridFor, renderWgsl } from "../../codegen/wgsl/render.js";
import { gemmDirectGrid, gemmDirectWgsl, gemmGrid, gemmWgsl } from "../../codegen/wgsl/gemm.js";
import { type ScatterKind, scatterWgsl } from "../../codegen/wgsl/scatter.js";
import { convWgsl, convWgslStats } from "../../codegen/wgsl/conv.js";
import { dotGeometry } from "../reference/dot.js";
import { compilePlanned } from "../planned-executable.js";
import { COPY_PRIMS, STRUCTURAL_PRIMS, concatenateKernel, iotaKernel, structuralKernel } from "../wasm/structural.js";
import { type KernelBuilder, WINDOW_KERNELS } from "../wasm/window.js";
import { RANDOM_KERNELS } from "../wasm/random.js";
import { ELEMENTWISE_PRIMS, type KernelOperand, REDUCE_KINDS, elementwiseKernel, reduceKernel } from "../wasm/dispatch.js";
import type { DeviceInfo } from "./device.js";
import { GpuStream } from "./stream.js";

interface Slot {
  readonly buf: GPUBuffer;
  readonly dtype: DType;
  readonly size: number;
  /** A cached scalar constant's buffer, shared by every array of that value: never written, never pooled. */
  readonly shared?: boolean;
}

/** Scalar constants kept on the GPU for reuse (JS numbers in eager code become one each). */
const SCALAR_CACHE = 1024;

/** Bytes per element on the GPU (bool as u32, float16 as f32). */
const storedSize = (d: DType): number => (d === "bool" || d === "float16" ? 4 : itemSize(d));

const SCATTER_KINDS: Partial<Record<Prim, ScatterKind>> = {
  [Prim.Scatter]: "replace", [Prim.ScatterAdd]: "add", [Prim.ScatterMul]: "mul", [Prim.ScatterMin]: "min", [Prim.ScatterMax]: "max",
};

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

  constructor(info: DeviceInfo) {
    this.info = info;
    this.stream = new GpuStream(info.device);
    this.gemmVariant = info.isFallback ? "direct" : "tiled";
    this.maxBindingBytes = info.device.limits.maxStorageBufferBindingSize;
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
        "asynchronously. Use 'await a.data()' instead, or move the array to the wasm backend first.",
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
      const out = this.#gemm(inputs, params as PrimParams[Prim.DotGeneral], outAvals[0]);
      if (out !== null) return [out];
    }
    const scatterKind = SCATTER_KINDS[prim];
    if (scatterKind) {
      const out = this.#scatter(scatterKind, inputs, params as PrimParams[Prim.Scatter], outAvals[0]);
      if (out !== null) return [out];
    }
    if (prim === Prim.ConvGeneralDilated) {
      const out = this.#conv(inputs, params as PrimParams[Prim.ConvGeneralDilated], outAvals[0]);
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

  /**
   * float32 dot_general as the tiled GEMM (src/codegen/wgsl/gemm.ts) when both operands are
   * [batch, free, contract] or [batch, contract, free] in memory; null otherwise (the general
   * kernel-IR contraction runs it).
   */
  #gemm(inputs: readonly Operand[], params: PrimParams[Prim.DotGeneral], out: ShapedArray, ep?: Epilogue): BufferId | null {
    const [l, r] = inputs.map((x) => x.aval);
    if (l.dtype !== "float32" || r.dtype !== "float32" || out.dtype !== "float32" || out.size === 0) return null;
    const { lc, rc, lb, rb, lFree, rFree, B, M, K, N } = dotGeometry(l.shape, r.shape, params.dimensionNumbers);
    const isId = (p: readonly number[]) => p.every((v, i) => v === i);
    const transA = !isId([...lb, ...lFree, ...lc]);
    const transB = !isId([...rb, ...rc, ...rFree]);
    if ((transA && !isId([...lb, ...lc, ...lFree])) || (transB && !isId([...rb, ...rFree, ...rc]))) return null;
    const g = { batch: B, m: M, n: N, k: K, transA, transB, bias: ep?.bias ?? false, relu: ep?.activation === "relu" };
    const maxBinding = this.maxBindingBytes;
    if (B > this.device.limits.maxComputeWorkgroupsPerDimension || [l.size, r.size, out.size].some((n) => n * 4 > maxBinding)) return null;
    const id = this.#allocSlot("float32", out.size);
    const tiled = this.gemmVariant === "tiled";
    const pipeline = this.#pipeline(tiled ? gemmWgsl(g) : gemmDirectWgsl(g));
    const bufs = [inputs[0].buffer, inputs[1].buffer, id, ...(g.bias ? [inputs[2].buffer] : [])].map((b) => this.#slot(b).buf);
    const pass = this.stream.pass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.#bindGroup(pipeline, bufs));
    pass.dispatchWorkgroups(...(tiled ? gemmGrid(g) : gemmDirectGrid(g)));
    return id;
  }

  /**
   * float32 conv_general_dilated as the implicit-GEMM WGSL conv (src/codegen/wgsl/conv.ts), any
   * dimension numbers, groups and dilations; a split contraction sums its parts in a second
   * dispatch. Null when an operand is empty or too large to bind (the kernel-IR conv runs it).
   */
  #conv(inputs: readonly Operand[], params: PrimParams[Prim.ConvGeneralDilated], out: ShapedArray): BufferId | null {
    const [l, r] = inputs.map((x) => x.aval);
    if (l.dtype !== "float32" || r.dtype !== "float32" || out.dtype !== "float32" || [l.size, r.size, out.size].includes(0)) return null;
    let c;
    try {
      c = convWgsl(l.shape, r.shape, out.shape, params, undefined, this.device.limits.maxComputeWorkgroupsPerDimension);
    } catch (e) {
      if (e instanceof RangeError) return null;
      throw e;
    }
    if ([l.size, r.size, out.size * c.splits].some((n) => n * 4 > this.maxBindingBytes)) return null;
    const id = this.#allocSlot("float32", out.size);
    const part = c.reduce ? this.#allocSlot("float32", out.size * c.splits) : id;
    const launch = (s: { code: string; workgroups: [number, number, number] }, ids: readonly BufferId[]) => {
      const pipeline = this.#pipeline(s.code);
      const pass = this.stream.pass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, this.#bindGroup(pipeline, ids.map((b) => this.#slot(b).buf)));
      pass.dispatchWorkgroups(...s.workgroups);
    };
    launch(c.main, [inputs[0].buffer, inputs[1].buffer, part]);
    if (c.reduce) {
      launch(c.reduce, [part, id]);
      this.release(part);
    }
    convWgslStats.runs++;
    return id;
  }

  /** The scatter family with atomics (src/codegen/wgsl/scatter.ts); null for dtypes it does not cover. */
  #scatter(kind: ScatterKind, inputs: readonly Operand[], p: PrimParams[Prim.Scatter], out: ShapedArray): BufferId | null {
    const [x, idx, upd] = inputs.map((o) => o.aval);
    if (!["float32", "int32", "uint32", "bool"].includes(x.dtype) || (idx.dtype !== "int32" && idx.dtype !== "uint32")) return null;
    if ([x.size, idx.size, upd.size].some((n) => n * 4 > this.maxBindingBytes)) return null;
    const id = this.#allocSlot(out.dtype, out.size);
    const outBuf = this.#slot(id).buf;
    if (out.size > 0) this.stream.encoder().copyBufferToBuffer(this.#slot(inputs[0].buffer).buf, 0, outBuf, 0, out.size * 4);
    if (upd.size === 0 || out.size === 0) return id;
    const g = {
      kind, dtype: x.dtype, operandShape: x.shape, indicesShape: idx.shape, indicesDtype: idx.dtype, updatesShape: upd.shape,
      dn: p.dimensionNumbers, mode: p.mode,
    };
    const { main, claim } = scatterWgsl(g);
    const [gx, gy] = gridFor(upd.size);
    const [ib, ub] = [inputs[1].buffer, inputs[2].buffer].map((b) => this.#slot(b).buf);
    const dispatch = (code: string, entries: [number, GPUBuffer][]) => {
      const pipeline = this.#pipeline(code);
      const bindGroup = this.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: entries.map(([binding, buffer]) => ({ binding, resource: { buffer } })),
      });
      const pass = this.stream.pass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(gx, gy);
    };
    if (claim) {
      const claims = this.#allocSlot("uint32", out.size);
      const cb = this.#slot(claims).buf;
      this.stream.encoder().clearBuffer(cb, 0, Math.ceil((out.size * 4) / 4) * 4);
      dispatch(claim, [[0, ib], [3, cb]]);
      dispatch(main, [[0, ib], [1, ub], [2, outBuf], [3, cb]]);
      this.release(claims);
    } else {
      dispatch(main, [[0, ib], [1, ub], [2, outBuf]]);
    }
    return id;
  }

  /** A dot_general with its bias/relu epilogue as separate kernels (layouts the GEMM does not take). */
  #unfusedEpilogue(ins: readonly Operand[], params: PrimParams[Prim.DotGeneral], ep: Epilogue, out: ShapedArray): BufferId {
    let [y] = this.execute(Prim.DotGeneral, ins.slice(0, 2), params, [out]);
    const step = (prim: FirstOrderPrim, operands: Operand[], p: object) => {
      const [next] = this.execute(prim, operands, p as never, [out]);
      this.release(y);
      y = next;
    };
    if (ep.bias) {
      const [b] = this.execute(Prim.BroadcastInDim, [ins[2]], { shape: out.shape, broadcastDimensions: [out.ndim - 1] }, [out]);
      step(Prim.Add, [{ buffer: y, aval: out }, { buffer: b, aval: out }], {});
      this.release(b);
    }
    if (ep.activation === "relu") {
      const zero = this.alloc("float32", 1, new Float32Array(1));
      step(Prim.Max, [{ buffer: y, aval: out }, { buffer: zero, aval: out.withShape([]) }], {});
      this.release(zero);
    }
    return y;
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

  #compile(kernel: Kernel, slots: readonly number[]): Compiled {
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
    const pipelines = shaders.map((s) => (s.invocations === 0 ? null : this.#pipeline(s.code)));
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
        this.#compile(kernel, kernel.params.map((_, i) => i));
        return (ids) => this.runKernel(kernel, ids);
      },
      afterRun: () => this.stream.flush(),
      dotEpilogue: (ins, params, ep, out) => this.#gemm(ins, params, out, ep) ?? this.#unfusedEpilogue(ins, params, ep, out),
    });
  }

  /** Resolves when all work issued so far has finished on the GPU. */
  sync(): Promise<void> {
    return this.stream.sync();
  }
}

/** Host data as the bytes the GPU holds (bool -> u32, float16 -> f32 rounded to half precision). */
function toStored(dtype: DType, data: TypedArray | ArrayLike<number>): ArrayBufferView {
  if (dtype === "bool") return Uint32Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0));
  if (dtype === "float16") return Float32Array.from(data as ArrayLike<number>, roundF16);
  const ctor = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint32: Uint32Array }[dtype];
  return data instanceof ctor ? data : ctor.from(data as ArrayLike<number>);
}

/** GPU bytes as the typed array the other backends return for `dtype`. */
function fromStored(dtype: DType, bytes: ArrayBuffer, size: number): TypedArray {
  switch (dtype) {
    case "bool":
      return Uint8Array.from(new Uint32Array(bytes, 0, size), (v) => (v ? 1 : 0));
    case "float16":
    case "float32":
      return new Float32Array(bytes, 0, size);
    case "float64":
      return new Float64Array(bytes, 0, size);
    case "int32":
      return new Int32Array(bytes, 0, size);
    case "uint32":
      return new Uint32Array(bytes, 0, size);
  }
}
