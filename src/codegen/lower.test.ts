import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { lower, type Lowered } from "./lower.js";
import { np, lax, getBackend, setBackend } from "../index.js";
import { makeJaxpr } from "../trace/jaxpr-trace.js";
import { ConcreteArray } from "../trace/array.js";
import { type FirstOrderPrim, type TypedArray, allocTyped } from "../ir/index.js";
import { runKernel } from "../backend/reference/kernel-interpreter.js";
import { referenceImpls } from "../backend/reference/impls.js";
import type { Impl } from "../backend/reference/ref-array.js";
import { propertyRuns } from "../../tests/helpers/assert.js";

/** Runs a lowered program with the kernel interpreter and reference calls. */
function run(l: Lowered, inputs: readonly TypedArray[]): TypedArray[] {
  const bufs = l.buffers.map((a) => allocTyped(a.dtype, a.size));
  l.inputs.forEach((b, i) => bufs[b].set(inputs[i]));
  for (const s of l.steps) {
    if (s.kind === "kernel") runKernel(s.kernel, s.buffers.map((b) => bufs[b]));
    else {
      const xs = s.inputs.map((b) => ({ data: bufs[b], shape: l.buffers[b].shape, dtype: l.buffers[b].dtype }));
      const impl = referenceImpls[s.eqn.prim as FirstOrderPrim] as Impl<FirstOrderPrim>;
      const outs = impl(xs, s.eqn.params as never, s.outputs.map((b) => l.buffers[b]));
      s.outputs.forEach((b, i) => bufs[b].set(outs[i]));
    }
  }
  return l.outputs.map((b) => bufs[b]);
}

/** Lowers f for the given arrays and checks the result against eager execution. */
function check(f: (...xs: any[]) => any, ...args: ConcreteArray[]): Lowered {
  const closed = makeJaxpr(f)(...args);
  const l = lower(closed.program);
  const consts = closed.consts.map((c) => (c as ConcreteArray).dataSync());
  const got = run(l, [...consts, ...args.map((a) => a.dataSync())]);
  const want = [f(...args)].flat() as ConcreteArray[];
  want.forEach((w, i) => {
    const wd = Array.from(w.dataSync());
    const gd = Array.from(got[i]);
    expect(gd.length).toBe(wd.length);
    gd.forEach((g, k) => {
      if (!(Object.is(g, wd[k]) || Math.abs(g - wd[k]) <= 1e-6 * Math.max(1, Math.abs(wd[k])))) {
        throw new Error(`output ${i} element ${k}: lowered ${g}, eager ${wd[k]}`);
      }
    });
  });
  return l;
}

const kernels = (l: Lowered) => l.steps.filter((s) => s.kind === "kernel").length;

describe("lower", () => {
  // The lowered kernels run on the reference kernel interpreter, so eager runs on the reference
  // backend too: the two then share float32 math exactly (wasm's transcendentals differ by ulps).
  let previous = "wasm";
  beforeAll(() => {
    previous = getBackend().name;
    setBackend("reference");
  });
  afterAll(() => setBackend(previous));

  it("fuses an elementwise chain with broadcasting into one kernel", () => {
    const l = check((x: any, b: any) => np.tanh(x.mul(0.5).add(1)).mul(x).add(np.exp(x.mul(x).neg())).add(b), np.arange(12).reshape([3, 4]).astype("float32").mul(0.1) as ConcreteArray, np.array([1, 2, 3, 4]) as ConcreteArray);
    expect(kernels(l)).toBe(1);
  });

  it("fuses prologues into reductions and non-broadcast epilogues", () => {
    const l = check((x: any) => np.sqrt(np.sum(x.mul(x), { axis: 1 })), np.arange(12).reshape([3, 4]).astype("float32") as ConcreteArray);
    expect(kernels(l)).toBe(1);
  });

  it("stores a reduction before broadcasting it (softmax: 3 kernels, not a quadratic one)", () => {
    const softmax = (x: any) => {
      const e = np.exp(x.sub(np.max(x, { axis: 1, keepdims: true })));
      return e.div(np.sum(e, { axis: 1, keepdims: true }));
    };
    const l = check(softmax, np.arange(12).reshape([3, 4]).astype("float32").mul(0.3) as ConcreteArray);
    expect(kernels(l)).toBeLessThanOrEqual(4);
  });

  it("lowers views: transpose, reshape, slice with steps, rev, pad with interior and negative padding, concatenate", () => {
    const x = np.arange(24).reshape([2, 3, 4]).astype("float32") as ConcreteArray;
    check((a: any) => a.transpose([2, 0, 1]).reshape([4, 6]).add(1), x);
    check((a: any) => lax.slice(a, [0, 1, 0], [2, 3, 4], [1, 1, 2]).mul(2), x);
    check((a: any) => lax.rev(a, [0, 2]).sub(1), x);
    check((a: any) => lax.pad(a, -1, [[1, -1, 1], [0, 2, 0], [-1, 1, 2]]).add(0.5), x);
    check((a: any) => np.concatenate([a, a.mul(2), a.index(":", "0:1")], 1).neg(), x);
    check((a: any) => lax.iota("int32", [3, 4], 1).add(np.ones([3, 4], { dtype: "int32" })), x);
  });

  it("keeps non-fusible primitives as calls, with fused producers and consumers", () => {
    const w = np.arange(12).reshape([4, 3]).astype("float32").mul(0.1) as ConcreteArray;
    const l = check((a: any, b: any) => np.maximum(np.matmul(a.mul(2), b).add(1), 0), np.ones([2, 4]).mul(0.5) as ConcreteArray, w);
    expect(l.steps.map((s) => s.kind)).toEqual(["kernel", "call", "kernel"]);
  });

  it("matches eager on random elementwise/reduce programs (property)", () => {
    const unary = [np.sin, np.exp, np.tanh, (x: any) => x.mul(x), np.abs, (x: any) => x.neg()];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: unary.length - 1 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: -1, max: 1 }),
        (r, c, ops, axis) => {
          const x = np.arange(r * c).reshape([r, c]).astype("float32").mul(0.37).sub(1) as ConcreteArray;
          const f = (a: any) => {
            let v = a;
            for (const o of ops) v = unary[o](v);
            return axis < 0 ? v : np.sum(v, { axis }).add(1);
          };
          check(f, x);
        },
      ),
      { numRuns: propertyRuns(30) },
    );
  });
});
