/**
 * @file How the wasm backend runs one primitive fast: a kernel-IR kernel for elementwise
 * primitives and reductions (compiled by src/codegen/wasm and cached per structure), the Rust
 * GEMM for float32 dot_general and the Rust conv2d for float32 NHWC/HWIO convolutions. Each
 * builder returns null when its fast path does not cover a case; the backend then falls back to
 * the reference impls on views of wasm memory.
 */
import {
  BINARY_PRIMS, COMPARE_PRIMS, type DType, Prim, type PrimParams, type Shape, ShapedArray, type TypedArray,
  UNARY_PRIMS,
} from "../../ir/index.js";
import { type Kernel, type ParamArg, type ReduceKind, kalu, kconst, kload, kparam, krange, kreduce, kstore, ksink } from "../../codegen/kernel-ir.js";
import { flatIndex } from "../../codegen/index-expr.js";
import { DEFAULT_HOST_MATH, type HostMath } from "../../codegen/wasm/compile-cache.js";
import { digamma, erf, erfc, erfinv, lgamma } from "../reference/special.js";
import { referenceImpls } from "../reference/impls.js";
import { dotGeometry } from "../reference/dot.js";
import type { RefArray } from "../reference/ref-array.js";
import {
  KERNEL_ABI_VERSION, KERNEL_EXPORTS, type KernelExports, type KernelVariant, conv2dGeometry, kernelVariant, kernelsWasmUrl, relaxedSimdSupported,
} from "./kernels.js";
import { MIN_SHARE_FLOPS, minShareFlops, setKernelModule, threadedConv, threadedGemm } from "./threads.js";

/** Host functions the rendered kernels may import (float64 special functions come from the reference). */
export const HOST_MATH: HostMath = { ...DEFAULT_HOST_MATH, erf, erfc, erf_inv: erfinv, lgamma, digamma };

/** Primitives computed by one flat elementwise kernel. */
export const ELEMENTWISE_PRIMS: ReadonlySet<Prim> = new Set<Prim>([
  ...UNARY_PRIMS, ...BINARY_PRIMS, ...COMPARE_PRIMS,
  Prim.SelectN, Prim.Clamp, Prim.ConvertElementType, Prim.IntegerPow, Prim.Round,
]);

export const REDUCE_KINDS: Partial<Record<Prim, ReduceKind>> = {
  [Prim.ReduceSum]: "sum", [Prim.ReduceProd]: "prod", [Prim.ReduceMax]: "max", [Prim.ReduceMin]: "min",
  [Prim.ReduceAnd]: "and", [Prim.ReduceOr]: "or", [Prim.ReduceXor]: "xor",
};

export interface KernelOperand {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly size: number;
}

const param = (index: number, x: KernelOperand, output = false): ParamArg => ({ index, dtype: x.dtype, size: x.size, output });

/**
 * `out[i] = prim(in0[i], in1[i], ...)` over one flat range; rank-0 operands are read at 0.
 *
 * @example elementwiseKernel(Prim.Add, [x, y], {}, out).params.length // 3
 */
export function elementwiseKernel(prim: Prim, ins: readonly KernelOperand[], params: object, out: KernelOperand): Kernel {
  const r = krange(0, out.size);
  const loads = ins.map((x, i) => kload(kparam(i, x.dtype, x.size), x.size === out.size ? r : kconst(0)));
  const outP = kparam(ins.length, out.dtype, out.size, true);
  const value = kalu(prim, out.dtype, loads, params);
  const params_ = [...ins.map((x, i) => param(i, x)), param(ins.length, out, true)];
  return { name: `wasm_${prim}`, params: params_, sink: ksink([kstore(outP, r, value)]) };
}

/**
 * Folds `x` over `axes` with one reduce range per reduced axis and one parallel range per kept
 * axis (the innermost kept axis is the one the renderer vectorizes).
 */
export function reduceKernel(kind: ReduceKind, x: KernelOperand, axes: readonly number[], out: KernelOperand): Kernel {
  const kept = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const outRanges = kept.map((d, i) => krange(i, x.shape[d]));
  const rs = axes.map((a, j) => krange(kept.length + j, x.shape[a], "reduce"));
  let k = 0;
  const idx = x.shape.map((_, d) => (axes.includes(d) ? rs[axes.indexOf(d)] : outRanges[k++]));
  const value = kreduce(kind, kload(kparam(0, x.dtype, x.size), flatIndex(idx, x.shape)), rs);
  const outP = kparam(1, out.dtype, out.size, true);
  const store = kstore(outP, flatIndex(outRanges, kept.map((d) => x.shape[d])), value);
  return { name: `wasm_reduce_${kind}`, params: [param(0, x), param(1, out, true)], sink: ksink([store]) };
}

/** Lanes of the split reduction: one f32x4 / i32x4 vector. */
export const LANES = 4;

/**
 * Whether `reduceKernel` over `axes` would fold along the contiguous last axis, where the
 * renderer (which vectorizes free ranges only) would gather lanes from rows far apart; such
 * reductions run as `laneReduceKernel` and then a fold of the `LANES` partial results.
 */
export const splitsLanes = (x: KernelOperand, axes: readonly number[]): boolean =>
  axes.includes(x.shape.length - 1) && x.shape[x.shape.length - 1] % LANES === 0 &&
  x.shape[x.shape.length - 1] >= 4 * LANES && x.dtype !== "bool" && x.dtype !== "float64";

/**
 * Partial reductions `part[o, l] = fold_q x[..., q * LANES + l]`: the lane range is innermost
 * and contiguous in both the load and the store, so the renderer runs it as one SIMD vector.
 */
export function laneReduceKernel(kind: ReduceKind, x: KernelOperand, axes: readonly number[], outSize: number): Kernel {
  const last = x.shape.length - 1;
  const kept = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const outRanges = kept.map((d, i) => krange(i, x.shape[d]));
  const lane = krange(kept.length, LANES);
  const rs = axes.map((a, j) => krange(kept.length + 1 + j, a === last ? x.shape[a] / LANES : x.shape[a], "reduce"));
  let k = 0;
  const idx = x.shape.map((_, d) => {
    if (!axes.includes(d)) return outRanges[k++];
    const r = rs[axes.indexOf(d)];
    return d === last ? kalu(Prim.Add, "index", [kalu(Prim.Mul, "index", [r, kconst(LANES)]), lane]) : r;
  });
  const value = kreduce(kind, kload(kparam(0, x.dtype, x.size), flatIndex(idx, x.shape)), rs);
  const part = { dtype: x.dtype, shape: [outSize, LANES], size: outSize * LANES };
  const outP = kparam(1, part.dtype, part.size, true);
  const store = kstore(outP, flatIndex([...outRanges, lane], [...kept.map((d) => x.shape[d]), LANES]), value);
  return { name: `wasm_lane_reduce_${kind}`, params: [param(0, x), param(1, part, true)], sink: ksink([store]) };
}

// ---- Rust micro-kernels ---------------------------------------------------------------------

const rustModules = new Map<KernelVariant, object>();
const rustVariants = new WeakMap<KernelExports, KernelVariant>();

/**
 * A fresh instance of the Rust kernel module, instantiated synchronously where the runtime can
 * read files (Node), since backends are created synchronously; null elsewhere (browsers then use
 * the fallbacks). By default the build `kernelVariant()` picks (relaxed-SIMD FMA where the
 * runtime has it, falling back to the plain one if that fails); each build is compiled once per
 * process, and the worker threads instantiate the very module the returned exports come from.
 */
export function loadRustKernelsSync(variant?: KernelVariant): KernelExports | null {
  if (variant !== undefined) return instantiateRust(variant);
  const auto = kernelVariant();
  return instantiateRust(auto) ?? (auto === "relaxed" ? instantiateRust("plain") : null);
}

function instantiateRust(variant: KernelVariant): KernelExports | null {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const fs = proc?.getBuiltinModule?.("node:fs") as { readFileSync(p: string): Uint8Array } | undefined;
    const url = proc?.getBuiltinModule?.("node:url") as { fileURLToPath(u: URL): string } | undefined;
    if (!fs || !url) return null;
    // relaxedSimdSupported() sets Node 20's V8 flag, which must precede compiling that build.
    if (variant === "relaxed" && !relaxedSimdSupported()) return null;
    const api = (globalThis as unknown as {
      WebAssembly: {
        Module: new (b: Uint8Array) => object;
        Instance: new (m: object, i: object) => { exports: Record<string, unknown> };
      };
    }).WebAssembly;
    const module = rustModules.get(variant) ?? new api.Module(fs.readFileSync(url.fileURLToPath(kernelsWasmUrl(variant))));
    const inst = new api.Instance(module, {});
    if (KERNEL_EXPORTS.some((n) => !(n in inst.exports))) return null;
    const ex = inst.exports as unknown as KernelExports;
    if (ex.kiln_abi_version() !== KERNEL_ABI_VERSION) return null;
    rustModules.set(variant, module);
    rustVariants.set(ex, variant);
    setKernelModule(module, ex); // the worker threads instantiate the same module
    return ex;
  } catch {
    return null;
  }
}

/**
 * Which build of the Rust kernels `ex` (from `loadRustKernelsSync`) is.
 * @example rustKernelVariant(loadRustKernelsSync()!) // "relaxed" in Node 20
 */
export const rustKernelVariant = (ex: KernelExports): KernelVariant | undefined => rustVariants.get(ex);

const isIdentity = (p: readonly number[]) => p.every((v, i) => v === i);

/** `x` with its axes in the order `perm` (the data itself when `perm` is the identity). */
function permute(x: RefArray, perm: readonly number[]): TypedArray {
  if (isIdentity(perm)) return x.data;
  const shape = perm.map((a) => x.shape[a]);
  return referenceImpls[Prim.Transpose]([x], { permutation: perm }, [new ShapedArray(shape, x.dtype)])[0];
}

/**
 * Runs `body` with blocks of the Rust module's heap holding `arrays` (numbers: that many floats,
 * left unset: every kernel called this way overwrites its whole result).
 */
function withRustBlocks<T>(ex: KernelExports, arrays: readonly (Float32Array | Uint32Array | number)[], body: (ptrs: number[]) => T): T {
  const ptrs: number[] = [];
  try {
    for (const a of arrays) {
      const bytes = typeof a === "number" ? a * 4 : a.byteLength;
      const p = ex.kiln_alloc(Math.max(bytes, 4));
      if (p === 0) throw new RangeError(`wasm backend: the Rust kernels could not allocate ${bytes} bytes`);
      ptrs.push(p);
    }
    arrays.forEach((a, i) => {
      if (typeof a !== "number") new (a instanceof Uint32Array ? Uint32Array : Float32Array)(ex.memory.buffer, ptrs[i], a.length).set(a);
    });
    return body(ptrs);
  } finally {
    for (const p of ptrs) ex.kiln_free(p);
  }
}

/**
 * float32 dot_general through the Rust GEMM: operands are brought to [B, M, K] x [B, K, N]
 * (or their transposes, which the GEMM reads directly), and the batch is a loop. Writes into `out`.
 */
export function gemmDot(ex: KernelExports, lhs: RefArray, rhs: RefArray, params: PrimParams[Prim.DotGeneral], out: Float32Array): boolean {
  const { lc, rc, lb, rb, lFree, rFree, B, M, K, N } = dotGeometry(lhs.shape, rhs.shape, params.dimensionNumbers);
  if (B * M * N === 0) return true;
  const transA = !isIdentity([...lb, ...lFree, ...lc]) && isIdentity([...lb, ...lc, ...lFree]);
  const transB = !isIdentity([...rb, ...rc, ...rFree]) && isIdentity([...rb, ...rFree, ...rc]);
  const a = permute(lhs, transA ? [...lb, ...lc, ...lFree] : [...lb, ...lFree, ...lc]) as Float32Array;
  const b = permute(rhs, transB ? [...rb, ...rFree, ...rc] : [...rb, ...rc, ...rFree]) as Float32Array;
  if (threadedGemm(ex, a, b, { B, M, N, K, transA, transB }, out)) return true;
  withRustBlocks(ex, [a, b, B * M * N], ([pa, pb, pc]) => {
    for (let i = 0; i < B; i++) {
      const status = ex.gemm_f32(M, N, K, pa + i * M * K * 4, transA ? M : K, pb + i * K * N * 4, transB ? K : N,
        pc + i * M * N * 4, N, 1, 0, +transA, +transB);
      if (status !== 0) throw new Error(`internal: gemm_f32 failed with status ${status}`);
    }
    out.set(new Float32Array(ex.memory.buffer, pc, B * M * N));
  });
  return true;
}

/** An operand resident in the Rust kernels' memory (the backend's heap when they are loaded). */
export interface Resident {
  readonly ptr: number;
  readonly shape: Shape;
}

/** A GEMM epilogue: `bias` points at N floats (0: none); `activation` is an `ACTIVATIONS` code. */
export interface GemmEpilogue {
  readonly bias: number;
  readonly activation: number;
}

const NO_EPILOGUE: GemmEpilogue = { bias: 0, activation: 0 };

/**
 * GEMMs below this many floating-point operations stay on the calling thread (with the default
 * `MIN_SHARE_FLOPS`; it scales with `setMinShareFlops`, so tests that split small shapes still
 * do). Measured on the 2-core benchmark machine: a split 256^3 (34 MFLOP) or 128x256x784 GEMM
 * was never faster than one thread, even in its best run, and a 512^3 one was slower whenever
 * the other core was busy; the staging copies and the wake-up cost about as much as half the work.
 */
export const THREADED_GEMM_MIN_FLOPS = 5e8;

const f32View = (ex: KernelExports, ptr: number, n: number) => new Float32Array(ex.memory.buffer, ptr, n);

/**
 * `x` with its axes in the order `perm`, resident: `x.ptr` itself for the identity, else a new
 * block (pushed on `temps`) holding the transposed copy.
 */
function residentPermuted(ex: KernelExports, x: Resident, perm: readonly number[], temps: number[]): number {
  if (isIdentity(perm)) return x.ptr;
  const size = x.shape.reduce((a, b) => a * b, 1);
  const p = ex.kiln_alloc(Math.max(size * 4, 4));
  if (p === 0) throw new RangeError(`wasm backend: the Rust kernels could not allocate ${size * 4} bytes`);
  temps.push(p);
  // The source view is made after the allocation, which may have grown (detached) the memory.
  const t = permute({ data: f32View(ex, x.ptr, size), shape: x.shape, dtype: "float32" }, perm);
  f32View(ex, p, size).set(t);
  return p;
}

/**
 * float32 dot_general on operands already in the Rust kernels' memory, written straight into
 * the result block at `outPtr`, optionally with a fused `epilogue` (out = act(lhs . rhs + bias)).
 * Contracting dimensions on either side are read through the GEMM's transpose flags; only
 * other axis orders (batch axes not leading) are transposed into a temporary block.
 *
 * @example gemmResident(ex, { ptr: pa, shape: [2, 3] }, { ptr: pb, shape: [3, 4] }, params, pc)
 */
export function gemmResident(
  ex: KernelExports, lhs: Resident, rhs: Resident, params: PrimParams[Prim.DotGeneral], outPtr: number,
  epilogue: GemmEpilogue = NO_EPILOGUE,
): void {
  const { lc, rc, lb, rb, lFree, rFree, B, M, K, N } = dotGeometry(lhs.shape, rhs.shape, params.dimensionNumbers);
  if (B * M * N === 0) return;
  const transA = !isIdentity([...lb, ...lFree, ...lc]) && isIdentity([...lb, ...lc, ...lFree]);
  const transB = !isIdentity([...rb, ...rc, ...rFree]) && isIdentity([...rb, ...rFree, ...rc]);
  const temps: number[] = [];
  const check = (status: number) => {
    if (status !== 0) throw new Error(`internal: gemm_f32 failed with status ${status}`);
  };
  try {
    const pa = residentPermuted(ex, lhs, transA ? [...lb, ...lc, ...lFree] : [...lb, ...lFree, ...lc], temps);
    const pb = residentPermuted(ex, rhs, transB ? [...rb, ...rFree, ...rc] : [...rb, ...rc, ...rFree], temps);
    const lda = transA ? M : K;
    const ldb = transB ? K : N;
    const fused = epilogue.bias !== 0 || epilogue.activation !== 0;
    // Views for the pool are made last: nothing allocates between them and the staging copy.
    const g = { B, M, N, K, transA, transB };
    if (K > 0 && 2 * B * M * N * K >= THREADED_GEMM_MIN_FLOPS * (minShareFlops() / MIN_SHARE_FLOPS) && threadedGemm(ex, f32View(ex, pa, B * M * K), f32View(ex, pb, B * K * N), g, { length: B * M * N, view: () => f32View(ex, outPtr, B * M * N) })) {
      // The epilogue as a k = 0 GEMM over the product: C = act(1 * C + bias).
      if (fused) for (let i = 0; i < B; i++) check(ex.gemm_bias_act_f32(M, N, 0, 0, lda, 0, ldb, outPtr + i * M * N * 4, N, 1, 1, +transA, +transB, epilogue.bias, epilogue.activation));
      return;
    }
    for (let i = 0; i < B; i++) {
      const a = pa + i * M * K * 4;
      const b = pb + i * K * N * 4;
      const c = outPtr + i * M * N * 4;
      check(fused
        ? ex.gemm_bias_act_f32(M, N, K, a, lda, b, ldb, c, N, 1, 0, +transA, +transB, epilogue.bias, epilogue.activation)
        : ex.gemm_f32(M, N, K, a, lda, b, ldb, c, N, 1, 0, +transA, +transB));
    }
  } finally {
    for (const p of temps) ex.kiln_free(p);
  }
}

/**
 * float32 2-D NHWC/HWIO convolutions on the Rust kernels: the forward conv (feature groups), and
 * the weight and input gradients in the layouts JAX's transpose rule stages them; false when
 * the layout or params are outside what they support (batch groups, negative padding...).
 * With `resident`, `x`, `w` and `out` are views of the Rust kernels' own memory at those
 * pointers, and the kernels read and write them in place.
 */
export function rustConv(
  ex: KernelExports, x: RefArray, w: RefArray, p: PrimParams[Prim.ConvGeneralDilated], out: Float32Array, outShape: Shape,
  resident?: ConvPointers,
): boolean {
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  if (x.shape.length !== 4 || p.batchGroupCount !== 1) return false;
  const specs = (l: number[], r: number[], o: number[]) => same(lhsSpec, l) && same(rhsSpec, r) && same(outSpec, o);
  const unit = (v: readonly number[]) => v.every((d) => d === 1);
  if (specs([0, 3, 1, 2], [3, 2, 0, 1], [0, 3, 1, 2]) && unit(p.lhsDilation)) return forwardConv(ex, x, w, p, out, outShape, resident);
  if (p.featureGroupCount !== 1) return false;
  // The weight gradient as JAX's transpose rule stages it: x and dy with batch and feature roles
  // swapped, the forward strides as rhs dilation and the forward dilation as window strides.
  if (specs([3, 0, 1, 2], [3, 0, 1, 2], [2, 3, 0, 1]) && unit(p.lhsDilation)) {
    const [n, h, wd, c] = x.shape;
    const [, oh, ow, o] = w.shape;
    const [kh, kw] = outShape;
    if (w.shape[0] !== n || !same(outShape, [kh, kw, c, o]) || p.padding.some(([lo]) => lo < 0)) return false;
    const g = [n, h, wd, c, kh, kw, o, p.rhsDilation[0], p.rhsDilation[1], p.padding[0][0], p.padding[1][0], p.windowStrides[0], p.windowStrides[1], 1, oh, ow];
    return runConv(ex, "conv2d_nhwc_grad_weight_f32", g, x.data as Float32Array, w.data as Float32Array, out, resident);
  }
  // The input gradient: dy dilated by the forward strides, convolved with the flipped kernel
  // (whose in/out feature roles are swapped), padded by (k - 1) * dilation - forward padding.
  if (specs([0, 3, 1, 2], [2, 3, 0, 1], [0, 3, 1, 2]) && unit(p.windowStrides)) {
    const [n, oh, ow, o] = x.shape;
    const [kh, kw, c] = w.shape;
    const [, h, wd] = outShape;
    if (w.shape[3] !== o || !same(outShape, [n, h, wd, c])) return false;
    const pads = [0, 1].map((i) => ((i ? kw : kh) - 1) * p.rhsDilation[i] - p.padding[i][0]);
    if (pads.some((v) => v < 0)) return false;
    const g = [n, h, wd, c, kh, kw, o, p.lhsDilation[0], p.lhsDilation[1], pads[0], pads[1], p.rhsDilation[0], p.rhsDilation[1], 1, oh, ow];
    const flipped = referenceImpls[Prim.Rev]([w], { dimensions: [0, 1] }, [new ShapedArray(w.shape, "float32")])[0] as Float32Array;
    return runConv(ex, "conv2d_nhwc_grad_input_f32", g, x.data as Float32Array, flipped, out, resident && { ...resident, w: 0 });
  }
  return false;
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

function forwardConv(
  ex: KernelExports, x: RefArray, w: RefArray, p: PrimParams[Prim.ConvGeneralDilated], out: Float32Array, outShape: Shape, resident?: ConvPointers,
): boolean {
  if (p.padding.flat().some((v) => v < 0)) return false;
  let g;
  try {
    g = conv2dGeometry(x.shape, w.shape, {
      strides: [p.windowStrides[0], p.windowStrides[1]],
      padding: [[p.padding[0][0], p.padding[0][1]], [p.padding[1][0], p.padding[1][1]]],
      dilation: [p.rhsDilation[0], p.rhsDilation[1]],
      groups: p.featureGroupCount,
    });
  } catch {
    return false;
  }
  if (!same(outShape, [g.n, g.oh, g.ow, g.o])) return false;
  const desc = [g.n, g.h, g.w, g.c, g.kh, g.kw, g.o, g.strides[0], g.strides[1], g.padding[0][0], g.padding[1][0], g.dilation[0], g.dilation[1], g.groups, g.oh, g.ow];
  return runConv(ex, "conv2d_nhwc_f32", desc, x.data as Float32Array, w.data as Float32Array, out, resident);
}

/** Pointers of a conv's operands and result in the Rust kernels' memory (0: an operand held on the host). */
export interface ConvPointers {
  readonly x: number;
  readonly w: number;
  readonly out: number;
}

/**
 * Calls one Rust conv export with the 16-u32 descriptor (field order: kernels.ts / conv.rs).
 * Without `resident`, the operands are copied into blocks of the module's heap and the result
 * out of it; with it, the kernel runs on them in place (an operand whose pointer is 0 is copied in).
 */
function runConv(
  ex: KernelExports, name: "conv2d_nhwc_f32" | "conv2d_nhwc_grad_input_f32" | "conv2d_nhwc_grad_weight_f32",
  desc: readonly number[], a: Float32Array, b: Float32Array, out: Float32Array, resident?: ConvPointers,
): boolean {
  if (out.length === 0) return true;
  const call = (pd: number, pa: number, pb: number, py: number) =>
    name === "conv2d_nhwc_f32" ? ex.conv2d_nhwc_f32(pd, pa, pb, 0, 0, py) : ex[name](pd, pa, pb, py);
  if (resident) {
    const n = out.length;
    // The pool copies the operands before anything allocates; a kernel call may grow the memory.
    const threaded = threadedConv(ex, name, desc, a, b, { length: n, view: () => f32View(ex, resident.out, n) });
    if (threaded !== null) return threaded;
    const host = [new Uint32Array(desc), resident.x ? null : a, resident.w ? null : b]; // host arrays, never views
    return withRustBlocks(ex, host.map((h) => h ?? 0), ([pd, pa, pb]) =>
      call(pd, resident.x || pa, resident.w || pb, resident.out) === 0);
  }
  const threaded = threadedConv(ex, name, desc, a, b, out);
  if (threaded !== null) return threaded;
  // Taps outside the input read zero, so any output size the conv's padding implies is valid.
  return withRustBlocks(ex, [new Uint32Array(desc), a, b, out.length], ([pd, pa, pb, py]) => {
    const status = call(pd, pa, pb, py);
    if (status !== 0) return false; // the reference impl runs it instead
    out.set(new Float32Array(ex.memory.buffer, py, out.length));
    return true;
  });
}
