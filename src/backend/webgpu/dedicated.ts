/**
 * @file The webgpu backend's dedicated kernels, outside the kernel IR: float32 GEMMs (with a
 * fused bias/relu epilogue), the implicit-GEMM convolution and the scatter family with atomics.
 * Each returns null when it does not cover a case, and the backend then runs the general
 * kernel-IR kernel (or a host step).
 */
import { type FirstOrderPrim, Prim, type PrimParams, type ShapedArray } from "../../ir/index.js";
import type { Epilogue } from "../../codegen/lower.js";
import { gridFor } from "../../codegen/wgsl/render.js";
import { gemmDirectGrid, gemmDirectWgsl, gemmGrid, gemmWgsl } from "../../codegen/wgsl/gemm.js";
import { convWgsl, convWgslStats } from "../../codegen/wgsl/conv.js";
import { type ScatterKind, scatterWgsl } from "../../codegen/wgsl/scatter.js";
import type { BufferId, Operand } from "../backend.js";
import { dotGeometry } from "../reference/dot.js";
import type { GpuStream } from "./stream.js";

/** What the dedicated kernels need from the backend. */
export interface GpuHost {
  readonly device: GPUDevice;
  readonly stream: GpuStream;
  readonly maxBindingBytes: number;
  readonly gemmVariant: "tiled" | "direct";
  /** A new buffer with unspecified contents (count 1). */
  allocRaw(dtype: ShapedArray["dtype"], size: number): BufferId;
  alloc(dtype: ShapedArray["dtype"], size: number, data: Float32Array | null): BufferId;
  release(id: BufferId): void;
  slotOf(id: BufferId): { readonly buf: GPUBuffer };
  pipeline(code: string): GPUComputePipeline;
  bindGroup(pipeline: GPUComputePipeline, buffers: readonly GPUBuffer[]): GPUBindGroup;
  execute<P extends FirstOrderPrim>(prim: P, inputs: readonly Operand[], params: PrimParams[P], outAvals: readonly ShapedArray[]): BufferId[];
}

export const SCATTER_KINDS: Partial<Record<Prim, ScatterKind>> = {
  [Prim.Scatter]: "replace", [Prim.ScatterAdd]: "add", [Prim.ScatterMul]: "mul", [Prim.ScatterMin]: "min", [Prim.ScatterMax]: "max",
};

/**
 * float32 dot_general as the tiled GEMM (src/codegen/wgsl/gemm.ts) when both operands are
 * [batch, free, contract] or [batch, contract, free] in memory; null otherwise (the general
 * kernel-IR contraction runs it).
 */
export function gemmCall(gpu: GpuHost, inputs: readonly Operand[], params: PrimParams[Prim.DotGeneral], out: ShapedArray, ep?: Epilogue): BufferId | null {
  const [l, r] = inputs.map((x) => x.aval);
  if (l.dtype !== "float32" || r.dtype !== "float32" || out.dtype !== "float32" || out.size === 0) return null;
  const { lc, rc, lb, rb, lFree, rFree, B, M, K, N } = dotGeometry(l.shape, r.shape, params.dimensionNumbers);
  const isId = (p: readonly number[]) => p.every((v, i) => v === i);
  const transA = !isId([...lb, ...lFree, ...lc]);
  const transB = !isId([...rb, ...rc, ...rFree]);
  if ((transA && !isId([...lb, ...lc, ...lFree])) || (transB && !isId([...rb, ...rFree, ...rc]))) return null;
  const g = { batch: B, m: M, n: N, k: K, transA, transB, bias: ep?.bias ?? false, relu: ep?.activation === "relu" };
  const maxBinding = gpu.maxBindingBytes;
  if (B > gpu.device.limits.maxComputeWorkgroupsPerDimension || [l.size, r.size, out.size].some((n) => n * 4 > maxBinding)) return null;
  const id = gpu.allocRaw("float32", out.size);
  const tiled = gpu.gemmVariant === "tiled";
  const pipeline = gpu.pipeline(tiled ? gemmWgsl(g) : gemmDirectWgsl(g));
  const bufs = [inputs[0].buffer, inputs[1].buffer, id, ...(g.bias ? [inputs[2].buffer] : [])].map((b) => gpu.slotOf(b).buf);
  const pass = gpu.stream.pass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, gpu.bindGroup(pipeline, bufs));
  pass.dispatchWorkgroups(...(tiled ? gemmGrid(g) : gemmDirectGrid(g)));
  return id;
}


/** A dot_general with its bias/relu epilogue as separate kernels (layouts the GEMM does not take). */
export function unfusedEpilogue(gpu: GpuHost, ins: readonly Operand[], params: PrimParams[Prim.DotGeneral], ep: Epilogue, out: ShapedArray): BufferId {
  let [y] = gpu.execute(Prim.DotGeneral, ins.slice(0, 2), params, [out]);
  const step = (prim: FirstOrderPrim, operands: Operand[], p: object) => {
    const [next] = gpu.execute(prim, operands, p as never, [out]);
    gpu.release(y);
    y = next;
  };
  if (ep.bias) {
    const [b] = gpu.execute(Prim.BroadcastInDim, [ins[2]], { shape: out.shape, broadcastDimensions: [out.ndim - 1] }, [out]);
    step(Prim.Add, [{ buffer: y, aval: out }, { buffer: b, aval: out }], {});
    gpu.release(b);
  }
  if (ep.activation === "relu") {
    const zero = gpu.alloc("float32", 1, new Float32Array(1));
    step(Prim.Max, [{ buffer: y, aval: out }, { buffer: zero, aval: out.withShape([]) }], {});
    gpu.release(zero);
  }
  return y;
}


/**
 * float32 conv_general_dilated as the implicit-GEMM WGSL conv (src/codegen/wgsl/conv.ts), any
 * dimension numbers, groups and dilations; a split contraction sums its parts in a second
 * dispatch. Null when an operand is empty or too large to bind (the kernel-IR conv runs it).
 */
export function convCall(gpu: GpuHost, inputs: readonly Operand[], params: PrimParams[Prim.ConvGeneralDilated], out: ShapedArray): BufferId | null {
  const [l, r] = inputs.map((x) => x.aval);
  if (l.dtype !== "float32" || r.dtype !== "float32" || out.dtype !== "float32" || [l.size, r.size, out.size].includes(0)) return null;
  let c;
  try {
    c = convWgsl(l.shape, r.shape, out.shape, params, undefined, gpu.device.limits.maxComputeWorkgroupsPerDimension);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
  if ([l.size, r.size, out.size * c.splits].some((n) => n * 4 > gpu.maxBindingBytes)) return null;
  const id = gpu.allocRaw("float32", out.size);
  const part = c.reduce ? gpu.allocRaw("float32", out.size * c.splits) : id;
  const launch = (s: { code: string; workgroups: [number, number, number] }, ids: readonly BufferId[]) => {
    const pipeline = gpu.pipeline(s.code);
    const pass = gpu.stream.pass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, gpu.bindGroup(pipeline, ids.map((b) => gpu.slotOf(b).buf)));
    pass.dispatchWorkgroups(...s.workgroups);
  };
  launch(c.main, [inputs[0].buffer, inputs[1].buffer, part]);
  if (c.reduce) {
    launch(c.reduce, [part, id]);
    gpu.release(part);
  }
  convWgslStats.runs++;
  return id;
}


/** The scatter family with atomics (src/codegen/wgsl/scatter.ts); null for dtypes it does not cover. */
export function scatterCall(gpu: GpuHost, kind: ScatterKind, inputs: readonly Operand[], p: PrimParams[Prim.Scatter], out: ShapedArray): BufferId | null {
  const [x, idx, upd] = inputs.map((o) => o.aval);
  if (!["float32", "int32", "uint32", "bool"].includes(x.dtype) || (idx.dtype !== "int32" && idx.dtype !== "uint32")) return null;
  if ([x.size, idx.size, upd.size].some((n) => n * 4 > gpu.maxBindingBytes)) return null;
  const id = gpu.allocRaw(out.dtype, out.size);
  const outBuf = gpu.slotOf(id).buf;
  if (out.size > 0) gpu.stream.encoder().copyBufferToBuffer(gpu.slotOf(inputs[0].buffer).buf, 0, outBuf, 0, out.size * 4);
  if (upd.size === 0 || out.size === 0) return id;
  const g = {
    kind, dtype: x.dtype, operandShape: x.shape, indicesShape: idx.shape, indicesDtype: idx.dtype, updatesShape: upd.shape,
    dn: p.dimensionNumbers, mode: p.mode,
  };
  const { main, claim } = scatterWgsl(g);
  const [gx, gy] = gridFor(upd.size);
  const [ib, ub] = [inputs[1].buffer, inputs[2].buffer].map((b) => gpu.slotOf(b).buf);
  const dispatch = (code: string, entries: [number, GPUBuffer][]) => {
    const pipeline = gpu.pipeline(code);
    const bindGroup = gpu.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: entries.map(([binding, buffer]) => ({ binding, resource: { buffer } })),
    });
    const pass = gpu.stream.pass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy);
  };
  if (claim) {
    const claims = gpu.allocRaw("uint32", out.size);
    const cb = gpu.slotOf(claims).buf;
    gpu.stream.encoder().clearBuffer(cb, 0, Math.ceil((out.size * 4) / 4) * 4);
    dispatch(claim, [[0, ib], [3, cb]]);
    dispatch(main, [[0, ib], [1, ub], [2, outBuf], [3, cb]]);
    gpu.release(claims);
  } else {
    dispatch(main, [[0, ib], [1, ub], [2, outBuf]]);
  }
  return id;
}

