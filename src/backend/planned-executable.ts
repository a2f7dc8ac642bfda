/**
 * @file A jitted Program on a kernel-compiling backend (wasm, webgpu): lowered once to fused
 * kernels and calls, every kernel compiled once by the backend, and run with a memory plan, so a
 * step makes one pass over memory per fused kernel instead of one per primitive, and
 * intermediates are freed, reused or overwritten in place right after their last use.
 *
 * Calls (contractions, convolutions, gathers, sorts...) run through `backend.execute`, as eager
 * mode does. Programs with control flow (cond, while, scan) or kernels the backend cannot
 * compile (float16 on wasm) are refused (null), and the caller evaluates them op by op.
 */
import { type DType, type FirstOrderPrim, type Prim, type PrimParams, type Program, type ShapedArray, isHigherOrder } from "../ir/index.js";
import { type Epilogue, type Lowered, lower } from "../codegen/lower.js";
import { type MemoryPlan, planMemory } from "../codegen/memory-plan.js";
import type { Kernel } from "../codegen/kernel-ir.js";
import type { Backend, BufferId, Executable, Operand } from "./backend.js";

/** A compiled kernel: runs on the buffers of its params, in param order. */
export type KernelRun = (buffers: readonly BufferId[]) => void;

/** What the executable needs from a backend beyond the public Backend interface. */
export interface KernelHost {
  readonly backend: Backend;
  /** Compiles a kernel once; throws when the backend cannot (the program then runs op by op). */
  compileKernel(kernel: Kernel): KernelRun;
  /** A new buffer with unspecified contents (count 1). */
  allocRaw(dtype: DType, size: number): BufferId;
  refCount(id: BufferId): number;
  /**
   * A float32 dot_general with a fused epilogue (bias: the third operand); present when the
   * backend can run one, and the lowering then fuses epilogues into contraction calls.
   */
  dotEpilogue?(operands: readonly Operand[], params: PrimParams[Prim.DotGeneral], epilogue: Epilogue, out: ShapedArray): BufferId;
  /** Called after every run (webgpu: submits the run's commands at once). */
  afterRun?(): void;
}

/** A compiled program's internals, for tests and debugging. */
export interface PlannedExecutable extends Executable {
  readonly lowered: Lowered;
  /** The plan used by the last run. */
  readonly lastPlan: MemoryPlan | null;
}

/**
 * Compiles `program` for a backend; null when it cannot (see the file header).
 *
 * @example compilePlanned(program, host)?.run([xBuffer]) // [outBuffer]
 */
export function compilePlanned(program: Program, host: KernelHost): PlannedExecutable | null {
  let lowered: Lowered;
  try {
    lowered = lower(program, { gemmEpilogues: host.dotEpilogue !== undefined });
  } catch {
    return null;
  }
  const { steps, buffers } = lowered;
  if (steps.some((s) => s.kind === "call" && isHigherOrder(s.eqn.prim))) return null;
  const fns: (KernelRun | null)[] = [];
  for (const s of steps) {
    if (s.kind === "call") {
      fns.push(null);
      continue;
    }
    try {
      fns.push(host.compileKernel(s.kernel));
    } catch {
      return null; // a dtype or primitive the renderer does not cover
    }
  }
  const plans = new Map<string, MemoryPlan>();
  const nIn = lowered.inputs.length;
  let lastPlan: MemoryPlan | null = null;

  const run = (inputs: readonly BufferId[], donated?: readonly boolean[]): BufferId[] => {
    if (inputs.length !== nIn) throw new Error(`internal: executable expects ${nIn} buffers, received ${inputs.length}`);
    // A donated buffer is consumable only if the donor holds its only reference and passes it once.
    const consume = inputs.map(
      (h, i) => donated?.[i] === true && host.refCount(h) === 1 && inputs.indexOf(h) === i && inputs.lastIndexOf(h) === i,
    );
    const maskKey = consume.map(Number).join("");
    let plan = plans.get(maskKey);
    if (!plan) plans.set(maskKey, (plan = planMemory(lowered, { donated: consume })));
    lastPlan = plan;

    const handles = new Array<BufferId>(buffers.length);
    const owned = new Set<BufferId>(); // handles this run must release if it fails
    lowered.inputs.forEach((b, i) => {
      handles[b] = inputs[i];
      if (consume[i]) {
        host.backend.retain(inputs[i]); // the executable's own reference; the donor drops its own
        owned.add(inputs[i]);
      }
    });
    const free = (b: number) => {
      host.backend.release(handles[b]);
      owned.delete(handles[b]);
    };
    try {
      steps.forEach((s, t) => {
        for (const b of plan!.release[t]) free(b);
        if (s.kind === "call") {
          const operands = s.inputs.map((b) => ({ buffer: handles[b], aval: buffers[b] }));
          if (s.epilogue) {
            handles[s.outputs[0]] = host.dotEpilogue!(operands, s.eqn.params as PrimParams[Prim.DotGeneral], s.epilogue, buffers[s.outputs[0]]);
            owned.add(handles[s.outputs[0]]);
            return;
          }
          const outs = host.backend.execute(
            s.eqn.prim as FirstOrderPrim, operands, s.eqn.params as PrimParams[FirstOrderPrim], s.outputs.map((b) => buffers[b]),
          );
          s.outputs.forEach((b, i) => {
            handles[b] = outs[i];
            owned.add(outs[i]);
          });
          return;
        }
        const out = s.buffers[s.buffers.length - 1];
        const st = plan!.storage[out];
        if (st.kind === "reuse") handles[out] = handles[st.of];
        else {
          handles[out] = host.allocRaw(buffers[out].dtype, buffers[out].size);
          owned.add(handles[out]);
        }
        if (buffers[out].size > 0) fns[t]!(s.buffers.map((b) => handles[b]));
      });
      for (const b of plan.release[steps.length]) free(b);
    } catch (e) {
      for (const h of owned) host.backend.release(h);
      throw e;
    } finally {
      host.afterRun?.();
    }
    // Each output carries one reference: the executable's own the first time a handle is
    // returned, a new one for borrowed inputs and for a handle returned twice.
    const handedOut = new Set<BufferId>();
    return lowered.outputs.map((b) => {
      const h = handles[b];
      if (!owned.has(h) || handedOut.has(h)) host.backend.retain(h);
      handedOut.add(h);
      return h;
    });
  };

  return {
    lowered,
    get lastPlan() {
      return lastPlan;
    },
    run,
  };
}
