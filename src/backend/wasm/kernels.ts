/**
 * @file Loader and typed helpers for Kiln's Rust SIMD micro-kernels: GEMM with fused
 * bias/activation epilogues and NHWC conv2d (forward, input and weight gradients).
 *
 * The kernels come in two committed builds of one Rust source (scripts/build-kernels.sh; users
 * need no Rust): src/codegen/kernels/kiln_kernels_relaxed.wasm (relaxed-SIMD fused multiply-add)
 * and kiln_kernels.wasm (plain SIMD128); `kernelVariant()` (kernel-variant.ts) picks one.
 * Modules are found next to this one through `import.meta.url`: from src/ when run with
 * tsx/vitest, from dist/ when built, so the build must copy both .wasm files to
 * dist/codegen/kernels/ (scripts/copy-assets.mjs). Each is compiled and instantiated at most once
 * per process. These helpers copy arrays into the module's linear memory and back on every call;
 * the wasm backend keeps tensors resident and calls the raw exports (dispatch.ts).
 */
import { KERNEL_FILES, type KernelVariant, kernelVariant, relaxedSimdSupported } from "./kernel-variant.js";

/**
 * The slice of the WebAssembly JS API used here. The project compiles without the DOM lib and
 * @types/node does not declare WebAssembly, so it is typed locally and read from globalThis.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmModule { readonly __brand?: "WebAssembly.Module" }
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<{ readonly exports: object }>;
  readonly Module: { exports(module: WasmModule): { name: string; kind: string }[] };
}
const wasmApi = (): WasmApi => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The functions and memory the artifact must export (checked at load). */
export const KERNEL_EXPORTS = [
  "memory", "kiln_alloc", "kiln_free", "kiln_heap_in_use", "kiln_abi_version",
  "gemm_f32", "gemm_bias_act_f32",
  "conv2d_nhwc_f32", "conv2d_nhwc_grad_input_f32", "conv2d_nhwc_grad_weight_f32",
] as const;

/** The ABI version this loader speaks (`kiln_abi_version()` in src/codegen/kernels/src/lib.rs). */
export const KERNEL_ABI_VERSION = 1;

/** Raw exports. Pointers are byte offsets into `memory`; functions returning i32 give a status. */
export interface KernelExports {
  readonly memory: WasmMemory;
  kiln_alloc(bytes: number): number;
  kiln_free(ptr: number): void;
  kiln_heap_in_use(): number;
  kiln_abi_version(): number;
  gemm_f32(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number,
    c: number, ldc: number, alpha: number, beta: number, transA: number, transB: number): number;
  gemm_bias_act_f32(m: number, n: number, k: number, a: number, lda: number, b: number, ldb: number,
    c: number, ldc: number, alpha: number, beta: number, transA: number, transB: number,
    bias: number, act: number): number;
  conv2d_nhwc_f32(desc: number, x: number, w: number, bias: number, act: number, y: number): number;
  conv2d_nhwc_grad_input_f32(desc: number, dy: number, w: number, dx: number): number;
  conv2d_nhwc_grad_weight_f32(desc: number, x: number, dy: number, dw: number): number;
}

/** Fused activations; the numbers are the codes the kernels take. */
export const ACTIVATIONS = { none: 0, relu: 1, sigmoid: 2, tanh: 3 } as const;
export type Activation = keyof typeof ACTIVATIONS;

export interface GemmOptions {
  /** Read `a` as k x m (op(A) = A^T). */
  transA?: boolean;
  /** Read `b` as n x k (op(B) = B^T). */
  transB?: boolean;
  /** Row strides of the stored matrices; default: packed. */
  lda?: number;
  ldb?: number;
  alpha?: number;
  /** Scales `c` (required when beta != 0). With beta 0, C is never read, so NaNs there vanish. */
  beta?: number;
  /** m x n input for beta (packed). */
  c?: Float32Array;
  /** n floats added to every row before the activation. */
  bias?: Float32Array;
  activation?: Activation;
  /** Receives the m x n result (saves allocating one per call); returned. */
  out?: Float32Array;
}

/** Shapes and geometry of one NHWC/HWIO convolution; the output is [n, oh, ow, o]. */
export interface Conv2dGeometry {
  readonly n: number; readonly h: number; readonly w: number; readonly c: number;
  readonly kh: number; readonly kw: number; readonly o: number;
  readonly strides: readonly [number, number];
  /** [[top, bottom], [left, right]] */
  readonly padding: readonly [readonly [number, number], readonly [number, number]];
  readonly dilation: readonly [number, number];
  readonly groups: number;
  readonly oh: number; readonly ow: number;
}

export interface Conv2dOptions {
  strides?: number | readonly [number, number];
  /** "valid" (default), "same" (TF/JAX SAME: output ceil(in/stride)), or explicit [[top, bottom], [left, right]]. */
  padding?: "valid" | "same" | readonly [readonly [number, number], readonly [number, number]];
  dilation?: number | readonly [number, number];
  groups?: number;
}

const pair = (v: number | readonly [number, number]): [number, number] => (typeof v === "number" ? [v, v] : [v[0], v[1]]);

/**
 * Output size and padding of a conv2d of input [n, h, w, c] with HWIO kernel [kh, kw, c/groups, o].
 * @example
 * conv2dGeometry([1, 28, 28, 1], [3, 3, 1, 32]).oh; // 26
 */
export function conv2dGeometry(xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions = {}): Conv2dGeometry {
  if (xShape.length !== 4 || wShape.length !== 4) {
    throw new RangeError(`kernels.conv2dGeometry: expected x [n, h, w, c] and w [kh, kw, c/groups, o], received [${xShape}] and [${wShape}]`);
  }
  const [n, h, w, c] = xShape;
  const [kh, kw, ci, o] = wShape;
  const groups = opts.groups ?? 1;
  const strides = pair(opts.strides ?? 1);
  const dilation = pair(opts.dilation ?? 1);
  const ints = [n, h, w, c, kh, kw, ci, o, groups, ...strides, ...dilation];
  if (ints.some((v) => !Number.isInteger(v) || v < 0) || [h, w, kh, kw, ci, o, groups, ...strides, ...dilation].some((v) => v === 0)) {
    throw new RangeError(`kernels.conv2dGeometry: sizes, strides, dilation and groups must be positive integers (n may be 0), received x [${xShape}], w [${wShape}], strides [${strides}], dilation [${dilation}], groups ${groups}`);
  }
  if (ci * groups !== c || o % groups !== 0) {
    throw new RangeError(`kernels.conv2dGeometry: with groups=${groups}, w must be [kh, kw, ${c / groups}, o] with o divisible by ${groups}, received [${wShape}]`);
  }
  const span = [dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1];
  const size = [h, w];
  const pad = opts.padding ?? "valid";
  const padding: [number, number][] = [0, 1].map((i) => {
    if (pad === "valid") return [0, 0];
    if (pad === "same") {
      const total = Math.max((Math.ceil(size[i] / strides[i]) - 1) * strides[i] + span[i] - size[i], 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    }
    return [pad[i][0], pad[i][1]];
  });
  if (padding.flat().some((v) => !Number.isInteger(v) || v < 0)) {
    throw new RangeError(`kernels.conv2dGeometry: padding must be non-negative integers, received ${JSON.stringify(pad)}`);
  }
  const [oh, ow] = [0, 1].map((i) => Math.floor((size[i] + padding[i][0] + padding[i][1] - span[i]) / strides[i]) + 1);
  if (oh < 1 || ow < 1) {
    throw new RangeError(`kernels.conv2dGeometry: the dilated kernel (${span}) is larger than the padded input (${size}); add padding or use a smaller kernel`);
  }
  return { n, h, w, c, kh, kw, o, strides, padding: [padding[0], padding[1]], dilation, groups, oh, ow };
}

export { KERNEL_FILES, KERNEL_VARIANTS, type KernelVariant, kernelVariant, relaxedSimdSupported } from "./kernel-variant.js";

/** URL of a committed build, relative to this module (src/ or dist/); by default the one `kernelVariant()` picks. */
export const kernelsWasmUrl = (variant: KernelVariant = kernelVariant()): URL =>
  new URL(`../../codegen/kernels/${KERNEL_FILES[variant]}`, import.meta.url);

const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string";

async function readArtifact(url: URL): Promise<Uint8Array> {
  if (isNode && url.protocol === "file:") {
    const [{ readFile }, { fileURLToPath }] = await Promise.all([import("node:fs/promises"), import("node:url")]);
    const path = fileURLToPath(url);
    return readFile(path).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`kernels: cannot read ${path} (${err.code ?? err.message}); a build into dist/ must copy it (node scripts/copy-assets.mjs)`);
    });
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`kernels: could not fetch ${url.href} (HTTP ${res.status}); serve ${url.pathname.split("/").pop()} next to the bundle`);
  return new Uint8Array(await res.arrayBuffer());
}

const cached = new Map<KernelVariant, Promise<Kernels>>();

/**
 * Compiles and instantiates one build of the kernels (by default the one `kernelVariant()` picks)
 * once per process; later calls share the instance. Asking for "relaxed" where the runtime has
 * no relaxed SIMD is an error.
 * @example
 * const k = await loadKernels();
 * k.gemm(new Float32Array([1, 2]), new Float32Array([3, 4]), 1, 1, 2); // Float32Array [11]
 */
export function loadKernels(variant: KernelVariant = kernelVariant()): Promise<Kernels> {
  let p = cached.get(variant);
  if (p === undefined) {
    p = (async () => {
      if (variant === "relaxed" && !relaxedSimdSupported()) {
        throw new Error("kernels: this runtime has no relaxed SIMD (Chrome >= 114, Node >= 20 have it); load the plain build with loadKernels(\"plain\")");
      }
      return Kernels.fromBytes(await readArtifact(kernelsWasmUrl(variant)), variant);
    })();
    p.catch(() => cached.delete(variant)); // let a later call retry, e.g. after the asset was copied
    cached.set(variant, p);
  }
  return p;
}

function statusCheck(name: string, status: number): void {
  if (status === 0) return;
  if (status === -1) throw new RangeError(`kernels.${name}: the kernel could not allocate scratch memory; use smaller operands`);
  throw new TypeError(`kernels.${name}: the kernel rejected its arguments (status ${status}); check shapes and strides`);
}

function needLength(name: string, what: string, arr: Float32Array, rows: number, cols: number, ld: number): void {
  if (ld < cols) throw new RangeError(`kernels.${name}: ${what} row stride must be >= ${cols}, received ${ld}`);
  const need = rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
  if (arr.length < need) {
    throw new RangeError(`kernels.${name}: ${what} needs at least ${need} floats for ${rows}x${cols} with row stride ${ld}, received ${arr.length}`);
  }
}

/** One instantiated kernel module with copy-in/copy-out helpers. */
export class Kernels {
  readonly exports: KernelExports;
  /** Which build this is (fromBytes cannot tell: it trusts its caller). */
  readonly variant: KernelVariant;

  private constructor(exports: KernelExports, variant: KernelVariant) {
    this.exports = exports;
    this.variant = variant;
  }

  /** Instantiates a module from its bytes, checking its exports and ABI version. */
  static async fromBytes(bytes: Uint8Array, variant: KernelVariant = "plain"): Promise<Kernels> {
    const wasm = wasmApi();
    const module = await wasm.compile(bytes);
    const names = new Set(wasm.Module.exports(module).map((e) => e.name));
    const missing = KERNEL_EXPORTS.filter((n) => !names.has(n));
    if (missing.length) throw new Error(`kernels: ${KERNEL_FILES[variant]} lacks ${missing.join(", ")}; rebuild it with npm run build:kernels`);
    const instance = await wasm.instantiate(module, {});
    const exports = instance.exports as unknown as KernelExports;
    const abi = exports.kiln_abi_version();
    if (abi !== KERNEL_ABI_VERSION) throw new Error(`kernels: ${KERNEL_FILES[variant]} speaks ABI ${abi}, this loader ${KERNEL_ABI_VERSION}; rebuild it with npm run build:kernels`);
    return new Kernels(exports, variant);
  }

  /** Live bytes in the module's heap (tests use it to check that nothing leaks). */
  heapInUse(): number {
    return this.exports.kiln_heap_in_use();
  }

  /** Runs `body` with blocks for `arrays` (copied in; `null` -> address 0, a number -> that many zeroed floats), then frees them all. */
  private withBlocks<T>(name: string, arrays: readonly (Float32Array | Uint32Array | number | null)[], body: (ptrs: number[]) => T): T {
    const ex = this.exports;
    const ptrs: number[] = [];
    try {
      for (const arr of arrays) {
        if (arr === null) {
          ptrs.push(0);
          continue;
        }
        const bytes = typeof arr === "number" ? arr * 4 : arr.byteLength;
        const p = ex.kiln_alloc(bytes);
        if (p === 0 && bytes > 0) throw new RangeError(`kernels.${name}: out of wasm memory allocating ${bytes} bytes`);
        ptrs.push(p);
      }
      // Views are made after every allocation: growing the memory detaches older views.
      arrays.forEach((arr, i) => {
        if (arr === null || typeof arr === "number") return;
        const Ctor = arr instanceof Uint32Array ? Uint32Array : Float32Array;
        new Ctor(ex.memory.buffer, ptrs[i], arr.length).set(arr);
      });
      return body(ptrs);
    } finally {
      for (const p of ptrs) if (p !== 0) ex.kiln_free(p);
    }
  }

  /** Copies a result out of wasm memory into `out` (checked) or a new array. */
  private read(name: string, ptr: number, len: number, out?: Float32Array): Float32Array {
    if (out !== undefined && out.length !== len) throw new RangeError(`kernels.${name}: out must have ${len} floats, received ${out.length}`);
    const dst = out ?? new Float32Array(len);
    dst.set(new Float32Array(this.exports.memory.buffer, ptr, len));
    return dst;
  }

  /**
   * C = act(alpha op(A) op(B) + beta C + bias) for row-major f32 matrices; op(A) is m x k.
   * @example
   * k.gemm(a, b, 2, 3, 4, { transB: true, bias, activation: "relu" }); // 2x3 result
   */
  gemm(a: Float32Array, b: Float32Array, m: number, n: number, k: number, opts: GemmOptions = {}): Float32Array {
    const { transA = false, transB = false, alpha = 1, beta = 0, activation = "none" } = opts;
    const lda = opts.lda ?? (transA ? m : k);
    const ldb = opts.ldb ?? (transB ? k : n);
    for (const [what, v] of [["m", m], ["n", n], ["k", k]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`kernels.gemm: ${what} must be a non-negative integer, received ${v}`);
    }
    needLength("gemm", "a", a, transA ? k : m, transA ? m : k, lda);
    needLength("gemm", "b", b, transB ? n : k, transB ? k : n, ldb);
    if (beta !== 0 && (opts.c === undefined || opts.c.length !== m * n)) {
      throw new RangeError(`kernels.gemm: beta=${beta} needs opts.c with m*n=${m * n} floats, received ${opts.c?.length ?? "none"}`);
    }
    if (opts.bias !== undefined && opts.bias.length !== n) {
      throw new RangeError(`kernels.gemm: bias must have n=${n} floats, received ${opts.bias.length}`);
    }
    const act = ACTIVATIONS[activation];
    if (act === undefined) throw new RangeError(`kernels.gemm: activation must be one of ${Object.keys(ACTIVATIONS).join(", ")}, received ${String(activation)}`);
    const cIn = beta !== 0 ? opts.c! : m * n;
    return this.withBlocks("gemm", [a, b, cIn, opts.bias ?? null], ([pa, pb, pc, pbias]) => {
      const status = this.exports.gemm_bias_act_f32(m, n, k, pa, lda, pb, ldb, pc, n, alpha, beta, +transA, +transB, pbias, act);
      statusCheck("gemm", status);
      return this.read("gemm", pc, m * n, opts.out);
    });
  }

  /**
   * NHWC conv2d with HWIO weights: y[n, oh, ow, o], with optional fused bias and activation.
   * @example
   * const g = conv2dGeometry([1, 5, 5, 3], [3, 3, 3, 8], { padding: "same" });
   * k.conv2d(x, w, g, { activation: "relu" }); // 1*5*5*8 floats
   */
  conv2d(x: Float32Array, w: Float32Array, g: Conv2dGeometry, opts: { bias?: Float32Array; activation?: Activation; out?: Float32Array } = {}): Float32Array {
    this.checkConv("conv2d", g, [["x", x, g.n * g.h * g.w * g.c], ["w", w, g.kh * g.kw * (g.c / g.groups) * g.o]]);
    if (opts.bias !== undefined && opts.bias.length !== g.o) {
      throw new RangeError(`kernels.conv2d: bias must have o=${g.o} floats, received ${opts.bias.length}`);
    }
    const act = ACTIVATIONS[opts.activation ?? "none"];
    const len = g.n * g.oh * g.ow * g.o;
    return this.withBlocks("conv2d", [descriptor(g), x, w, opts.bias ?? null, len], ([d, px, pw, pbias, py]) => {
      statusCheck("conv2d", this.exports.conv2d_nhwc_f32(d, px, pw, pbias, act, py));
      return this.read("conv2d", py, len, opts.out);
    });
  }

  /**
   * Gradient of `conv2d` (without epilogue) with respect to its input: dx[n, h, w, c].
   * @example
   * k.conv2dGradInput(dy, w, g); // g.n*g.h*g.w*g.c floats
   */
  conv2dGradInput(dy: Float32Array, w: Float32Array, g: Conv2dGeometry, out?: Float32Array): Float32Array {
    this.checkConv("conv2dGradInput", g, [["dy", dy, g.n * g.oh * g.ow * g.o], ["w", w, g.kh * g.kw * (g.c / g.groups) * g.o]]);
    const len = g.n * g.h * g.w * g.c;
    return this.withBlocks("conv2dGradInput", [descriptor(g), dy, w, len], ([d, pdy, pw, pdx]) => {
      statusCheck("conv2dGradInput", this.exports.conv2d_nhwc_grad_input_f32(d, pdy, pw, pdx));
      return this.read("conv2dGradInput", pdx, len, out);
    });
  }

  /**
   * Gradient of `conv2d` (without epilogue) with respect to its HWIO weights: dw[kh, kw, c/groups, o].
   * @example
   * k.conv2dGradWeight(x, dy, g); // g.kh*g.kw*(g.c/g.groups)*g.o floats
   */
  conv2dGradWeight(x: Float32Array, dy: Float32Array, g: Conv2dGeometry, out?: Float32Array): Float32Array {
    this.checkConv("conv2dGradWeight", g, [["x", x, g.n * g.h * g.w * g.c], ["dy", dy, g.n * g.oh * g.ow * g.o]]);
    const len = g.kh * g.kw * (g.c / g.groups) * g.o;
    return this.withBlocks("conv2dGradWeight", [descriptor(g), x, dy, len], ([d, px, pdy, pdw]) => {
      statusCheck("conv2dGradWeight", this.exports.conv2d_nhwc_grad_weight_f32(d, px, pdy, pdw));
      return this.read("conv2dGradWeight", pdw, len, out);
    });
  }

  private checkConv(name: string, g: Conv2dGeometry, arrays: readonly (readonly [string, Float32Array, number])[]): void {
    for (const [what, arr, need] of arrays) {
      if (arr.length !== need) throw new RangeError(`kernels.${name}: ${what} must have ${need} floats for this geometry, received ${arr.length}`);
    }
  }
}

/** The 16-u32 ConvDesc of src/codegen/kernels/src/conv.rs (field order is the ABI). */
function descriptor(g: Conv2dGeometry): Uint32Array {
  return new Uint32Array([
    g.n, g.h, g.w, g.c, g.kh, g.kw, g.o,
    g.strides[0], g.strides[1], g.padding[0][0], g.padding[1][0],
    g.dilation[0], g.dilation[1], g.groups, g.oh, g.ow,
  ]);
}
