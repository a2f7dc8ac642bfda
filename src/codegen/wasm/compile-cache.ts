/**
 * @file Kernel -> WebAssembly module (`renderWasm`) and a compile cache (`compileKernel`).
 * Kernel-IR nodes are hash-consed, so a kernel's sink node *is* its structure: equal kernels
 * built anywhere share one sink, one compiled `WebAssembly.Module`, and per memory one instance.
 *
 * A module imports `env.memory` and, only when the kernel needs them, float64 host functions
 * `math.<name>` (float64 transcendentals, lgamma/digamma, float rem and nextafter), and exports
 * `kernel(ptr0, ptr1, ...)` taking the byte offset of each param buffer.
 */
import type { Kernel, UOp } from "../kernel-ir.js";
import { type FuncDef, ValType, assembleModule } from "./binary-emitter.js";
import { MATH_HELPERS } from "./math.js";
import { Fn, type ModuleCtx, Ops, type Val } from "./ops.js";
import { renderKernel } from "./render.js";

/**
 * The slice of the WebAssembly JS API used here, typed locally: the project compiles without the
 * DOM lib and @types/node does not declare WebAssembly.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmModule {
  readonly __brand?: "WebAssembly.Module";
}
interface WasmApi {
  readonly Module: { new (bytes: Uint8Array): WasmModule; imports(m: WasmModule): { module: string; name: string }[] };
  readonly Instance: new (m: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
/** The global WebAssembly namespace. */
export const wasmApi = (): WasmApi => (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export type HostMath = Readonly<Record<string, (...xs: number[]) => number>>;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
function nextafterBits(x: number, y: number, single: boolean): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === y) return y;
  const up = (y > x) === (x > 0);
  if (single) {
    f32[0] = x;
    if (x === 0) u32[0] = 1 | (y > 0 ? 0 : 0x80000000);
    else u32[0] += up ? 1 : -1;
    return f32[0];
  }
  f64[0] = x;
  if (x === 0) u64[0] = y > 0 ? 1n : 0x8000000000000001n;
  else u64[0] += up ? 1n : -1n;
  return f64[0];
}

/** Host functions every module may import; erf, erfc, erf_inv, lgamma and digamma come from the caller. */
export const DEFAULT_HOST_MATH: HostMath = {
  exp: Math.exp, exp2: (x) => 2 ** x, log: Math.log, log1p: Math.log1p, expm1: Math.expm1, cbrt: Math.cbrt,
  sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan, atan2: Math.atan2,
  sinh: Math.sinh, cosh: Math.cosh, tanh: Math.tanh, asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh,
  logistic: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  pow: Math.pow, pow_i32: (a, b) => Math.pow(a, b) | 0, pow_u32: (a, b) => Math.pow(a, b) >>> 0, rem: (a, b) => a % b,
  nextafter: (x, y) => nextafterBits(x, y, false), nextafter_f32: (x, y) => nextafterBits(x, y, true),
};

/**
 * The WebAssembly module computing `kernel`.
 *
 * @example WebAssembly.validate(renderWasm(kernel)) // true
 */
export function renderWasm(kernel: Kernel, options: { shared?: boolean } = {}): Uint8Array {
  const helpers = new Map<string, FuncDef | null>();
  const imports: { module: string; name: string; type: { params: ValType[]; results: ValType[] } }[] = [];
  const mod: ModuleCtx & { math(name: string): (typeof MATH_HELPERS)[string] } = {
    math(name) {
      const h = MATH_HELPERS[name];
      if (!h) throw new Error(`internal: no wasm math function '${name}'`);
      return h;
    },
    helper(name) {
      const h = MATH_HELPERS[name];
      const sym = `${name}:f32`;
      if (!helpers.has(sym)) {
        helpers.set(sym, null); // reserved: helpers may call each other
        const fn = new Fn(Array(h.arity).fill(ValType.F32));
        const args: Val[] = Array.from({ length: h.arity }, (_, l) => ({ l, t: "f32", vec: false }));
        fn.code.get(h.body(new Ops(fn, false, mod), args).l);
        helpers.set(sym, { name: sym, type: { params: fn.params.slice(), results: [ValType.F32] }, locals: fn.locals, code: fn.code });
      }
      return sym;
    },
    host(name, arity) {
      if (!imports.some((i) => i.name === name)) {
        imports.push({ module: "math", name, type: { params: Array(arity).fill(ValType.F64), results: [ValType.F64] } });
      }
      return name;
    },
  };
  const fn = renderKernel(kernel, mod);
  const main: FuncDef = { name: "kernel", type: { params: fn.params.slice(), results: [] }, locals: fn.locals, code: fn.code, export: true };
  return assembleModule({ imports, memory: { shared: options.shared ?? false }, funcs: [main, ...(helpers.values() as Iterable<FuncDef>)] });
}

/** A compiled kernel: call with the byte offset of each param buffer in the memory. */
export type KernelFn = (...ptrs: number[]) => void;

const modules = new Map<string, WasmModule>();
const instances = new WeakMap<WasmMemory, WeakMap<HostMath, Map<UOp, KernelFn>>>();
let compiles = 0;

/** How many modules have been compiled (for tests of the cache). */
export const compileCount = (): number => compiles;

/**
 * The callable kernel for `memory`, compiled and instantiated at most once per kernel structure
 * (and per memory and host table).
 *
 * @example compileKernel(kernel, memory)(inPtr, outPtr)
 */
export function compileKernel(kernel: Kernel, memory: WasmMemory, host: HostMath = DEFAULT_HOST_MATH): KernelFn {
  let byHost = instances.get(memory);
  if (!byHost) instances.set(memory, (byHost = new WeakMap()));
  let byKernel = byHost.get(host);
  if (!byKernel) byHost.set(host, (byKernel = new Map()));
  const hit = byKernel.get(kernel.sink);
  if (hit) return hit;
  const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
  const key = `${kernel.sink.id}|${shared}`;
  let module = modules.get(key);
  if (!module) {
    module = new (wasmApi().Module)(renderWasm(kernel, { shared }));
    compiles++;
    modules.set(key, module);
  }
  const math: Record<string, (...xs: number[]) => number> = {};
  for (const imp of wasmApi().Module.imports(module)) {
    if (imp.module !== "math") continue;
    math[imp.name] =
      host[imp.name] ??
      DEFAULT_HOST_MATH[imp.name] ??
      (() => {
        throw new Error(`compileKernel: kernel '${kernel.name}' needs the host function '${imp.name}'; pass it in the host table`);
      });
  }
  const inst = new (wasmApi().Instance)(module, { env: { memory }, math });
  const fn = inst.exports.kernel as KernelFn;
  byKernel.set(kernel.sink, fn);
  return fn;
}
