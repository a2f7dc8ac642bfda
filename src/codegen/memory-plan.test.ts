import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { lower, type Lowered } from "./lower.js";
import { type MemoryPlan, planMemory, readsAtStoreIndex } from "./memory-plan.js";
import { np } from "../index.js";
import { makeJaxpr } from "../trace/jaxpr-trace.js";
import type { ConcreteArray } from "../trace/array.js";
import { type FirstOrderPrim, type TypedArray, allocTyped } from "../ir/index.js";
import { runKernel } from "../backend/reference/kernel-interpreter.js";
import { referenceImpls } from "../backend/reference/impls.js";
import type { Impl } from "../backend/reference/ref-array.js";
import { propertyRuns } from "../../tests/helpers/assert.js";

/**
 * Runs `l` with storage shared exactly as `plan` says (reused buffers are the same typed array),
 * so a plan that overwrites a live value gives wrong outputs. Inputs are copies; a donated input
 * may be overwritten.
 */
function runPlanned(l: Lowered, plan: MemoryPlan, inputs: readonly TypedArray[]): TypedArray[] {
  const bufs: TypedArray[] = new Array(l.buffers.length);
  l.inputs.forEach((b, i) => (bufs[b] = inputs[i]));
  const released = new Set<TypedArray>();
  l.steps.forEach((s, t) => {
    for (const b of plan.release[t]) released.add(bufs[b]);
    const reads = s.kind === "kernel" ? s.buffers.slice(0, -1) : s.inputs;
    for (const b of reads) expect(released.has(bufs[b]), `step ${t} reads released buffer ${b}`).toBe(false);
    if (s.kind === "kernel") {
      const out = s.buffers[s.buffers.length - 1];
      const st = plan.storage[out];
      bufs[out] = st.kind === "reuse" ? bufs[st.of] : allocTyped(l.buffers[out].dtype, l.buffers[out].size).fill(NaN as never);
      runKernel(s.kernel, s.buffers.map((b) => bufs[b]));
    } else {
      const xs = s.inputs.map((b) => ({ data: bufs[b], shape: l.buffers[b].shape, dtype: l.buffers[b].dtype }));
      const impl = referenceImpls[s.eqn.prim as FirstOrderPrim] as Impl<FirstOrderPrim>;
      impl(xs, s.eqn.params as never, s.outputs.map((b) => l.buffers[b])).forEach((o, i) => (bufs[s.outputs[i]] = o));
    }
  });
  return l.outputs.map((b) => bufs[b].slice());
}

/** Lowers and plans f, checks the planned run against eager, and returns the plan. */
function check(f: (...xs: any[]) => any, args: ConcreteArray[], donated?: boolean[]): { l: Lowered; plan: MemoryPlan } {
  const closed = makeJaxpr(f)(...args);
  expect(closed.consts.length).toBe(0);
  const l = lower(closed.program);
  const plan = planMemory(l, { donated });
  const got = runPlanned(l, plan, args.map((a) => a.dataSync()));
  const want = [f(...args)].flat() as ConcreteArray[];
  want.forEach((w, i) => {
    const wd = w.dataSync();
    wd.forEach((v, k) => {
      if (!(Object.is(v, got[i][k]) || Math.abs(v - got[i][k]) <= 1e-5 * Math.max(1, Math.abs(v)))) {
        throw new Error(`output ${i} element ${k}: planned ${got[i][k]}, eager ${v}`);
      }
    });
  });
  return { l, plan };
}

const m = (r: number, c: number, s = 0.1) => np.arange(r * c).reshape([r, c]).astype("float32").mul(s).sub(0.3) as ConcreteArray;

describe("planMemory", () => {
  it("writes an elementwise epilogue in place over the call result it consumes, and frees the call's operand", () => {
    const { l, plan } = check((x: any, w: any) => np.exp(np.matmul(x.mul(2), w)).add(1), [m(3, 4), m(4, 4)]);
    expect(l.steps.map((s) => s.kind)).toEqual(["kernel", "call", "kernel"]);
    const call = l.steps[1] as Extract<Lowered["steps"][number], { kind: "call" }>;
    expect(plan.storage[l.outputs[0]]).toEqual({ kind: "reuse", of: call.outputs[0], inPlace: true });
    // x * 2 dies in the call: released before the last kernel.
    expect(plan.release[2]).toEqual([call.inputs[0]]);
    expect(plan.stats).toEqual({ inPlace: 1, reused: 0, allocated: 1 });
  });

  it("reuses a dead buffer of the same dtype and size for a later kernel", () => {
    const f = (x: any, w: any) => {
      const b = np.matmul(np.sin(x), w);
      const d = np.matmul(np.cos(x), w);
      return b.add(d);
    };
    const { plan } = check(f, [m(4, 4), m(4, 4, 0.2)]);
    expect(plan.stats).toEqual({ inPlace: 1, reused: 1, allocated: 1 });
  });

  it("never writes over a borrowed input, and writes over a donated one", () => {
    const f = (x: any) => np.tanh(x).mul(3);
    const borrowed = check(f, [m(2, 3)]);
    expect(borrowed.plan.storage[borrowed.l.outputs[0]]).toEqual({ kind: "alloc" });
    const donated = check(f, [m(2, 3)], [true]);
    expect(donated.plan.storage[donated.l.outputs[0]]).toEqual({ kind: "reuse", of: donated.l.inputs[0], inPlace: true });
    expect(donated.plan.release.flat()).toEqual([]);
  });

  it("does not write in place over an operand read at other indices (transpose, broadcast) or of another dtype", () => {
    const t = check((x: any) => np.exp(x).transpose().add(1), [m(3, 3)], [true]);
    expect(t.plan.stats.inPlace).toBe(0);
    const b = check((x: any, y: any) => x.add(y.reshape([1, 3])), [m(3, 3), m(1, 3)], [false, true]);
    expect(b.plan.stats.inPlace).toBe(0);
    const c = check((x: any) => np.greater(x, 0), [m(3, 3)], [true]);
    expect(c.plan.stats.inPlace).toBe(0);
    const step = t.l.steps.find((s) => s.kind === "kernel")!;
    expect(step.kind === "kernel" && readsAtStoreIndex(step, 0)).toBe(false);
  });

  it("releases a donated input that nothing reuses, and never releases outputs", () => {
    const { l, plan } = check((x: any, y: any) => np.sum(x.mul(y), { axis: 1 }), [m(3, 4), m(3, 4)], [true, false]);
    expect(plan.release.flat()).toEqual([l.inputs[0]]);
    for (const o of l.outputs) expect(plan.release.flat()).not.toContain(o);
  });

  it("plans random chains of elementwise ops, reductions and matmuls correctly (property)", () => {
    const ops: ((a: any, w: any) => any)[] = [
      (a) => np.sin(a), (a) => a.mul(a), (a, w) => np.matmul(a, w), (a) => np.exp(a.neg()),
      (a) => a.sub(np.max(a, { axis: 1, keepdims: true })), (a) => a.transpose().add(1),
    ];
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: ops.length - 1 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
        fc.boolean(),
        (seq, donated, twoOuts) => {
          const f = (x: any, w: any) => {
            let v = x;
            const seen: any[] = [];
            for (const o of seq) seen.push((v = ops[o](v, w)));
            return twoOuts ? [v, seen[0].add(v)] : v;
          };
          check(f, [m(4, 4), m(4, 4, 0.05)], donated);
        },
      ),
      { numRuns: propertyRuns(40) },
    );
  });
});
