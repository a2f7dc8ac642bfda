/**
 * @file A jitted Program on the wasm backend: the planned executable (../planned-executable.ts)
 * with kernels compiled to WebAssembly functions over byte offsets in the backend's memory.
 */
import type { Prim, PrimParams, Program, ShapedArray, DType } from "../../ir/index.js";
import type { Epilogue } from "../../codegen/lower.js";
import { type HostMath, type WasmMemory, compileKernel } from "../../codegen/wasm/compile-cache.js";
import type { Backend, BufferId, Operand } from "../backend.js";
import { type PlannedExecutable, compilePlanned } from "../planned-executable.js";

/** What the executable needs from the wasm backend beyond the public Backend interface. */
export interface WasmHost {
  readonly backend: Backend;
  readonly memory: WasmMemory;
  readonly hostMath: HostMath;
  /** Byte offset of a buffer in `memory`. */
  ptr(id: BufferId): number;
  /** A new buffer with unspecified contents (count 1). */
  allocRaw(dtype: DType, size: number): BufferId;
  refCount(id: BufferId): number;
  /** A float32 dot_general with a fused bias/relu epilogue, when the Rust GEMM is loaded. */
  dotEpilogue?(operands: readonly Operand[], params: PrimParams[Prim.DotGeneral], epilogue: Epilogue, out: ShapedArray): BufferId;
}

export type WasmExecutable = PlannedExecutable;

/**
 * Compiles `program` for the wasm backend; null when it cannot (control flow, float16).
 *
 * @example compileExecutable(program, host)?.run([xBuffer]) // [outBuffer]
 */
export function compileExecutable(program: Program, host: WasmHost): WasmExecutable | null {
  return compilePlanned(program, {
    backend: host.backend,
    allocRaw: host.allocRaw,
    refCount: host.refCount,
    dotEpilogue: host.dotEpilogue,
    compileKernel: (kernel) => {
      const fn = compileKernel(kernel, host.memory, host.hostMath);
      return (ids) => fn(...ids.map(host.ptr));
    },
  });
}
