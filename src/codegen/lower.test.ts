import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { lower, type Lowered, type LowerOptions, type Step } from "./lower.js";
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
      const outs = impl(xs.slice(0, 2), s.eqn.params as never, s.outputs.map((b) => l.buffers[b]));
      if (s.epilogue) {
        // out = act(dot + bias), the bias along the last axis.
        const [y] = outs;
        const bias = s.epilogue.bias ? xs[2].data : null;
        for (let i = 0; i < y.length; i++) {
          const v = Math.fround(y[i] + (bias ? bias[i % bias.length] : 0));
          y[i] = s.epilogue.activation === "relu" ? (Number.isNaN(v) ? v : Math.max(v, 0)) : v;
        }
      }
      s.outputs.forEach((b, i) => bufs[b].set(outs[i]));
    }
  }
  return l.outputs.map((b) => bufs[b]);
}

/** Lowers f for the given arrays and checks the result against eager execution. */
function check(f: (...xs: any[]) => any, ...args: ConcreteArray[]): Lowered {
  return checkWith({}, f, ...args);
}

function checkWith(opts: LowerOptions, f: (...xs: any[]) => any, ...args: ConcreteArray[]): Lowered {
  const closed = makeJaxpr(f)(...args);
  const l = lower(closed.program, opts);
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

  describe("GEMM epilogues (gemmEpilogues: true)", () => {
    const calls = (l: Lowered) => l.steps.filter((s): s is Extract<Step, { kind: "call" }> => s.kind === "call");
    const x = () => np.arange(12).reshape([3, 4]).astype("float32").mul(0.3).sub(1.5) as ConcreteArray;
    const w = () => np.arange(20).reshape([4, 5]).astype("float32").mul(0.1).sub(0.9) as ConcreteArray;
    const b = () => np.array([0.5, -1, 2, -0.25, 0]) as ConcreteArray;

    it("fuses bias and relu into the matmul: one call, no kernel", () => {
      const l = checkWith({ gemmEpilogues: true }, (x: any, w: any, b: any) => np.maximum(np.matmul(x, w).add(b), 0), x(), w(), b());
      expect(kernels(l)).toBe(0);
      expect(calls(l).map((s) => s.epilogue)).toEqual([{ bias: true, activation: "relu" }]);
      expect(calls(l)[0].inputs).toHaveLength(3);
    });

    it("fuses a relu of a plain matmul, and a bias added on either side", () => {
      const relu = checkWith({ gemmEpilogues: true }, (x: any, w: any) => np.maximum(0, np.matmul(x, w)), x(), w());
      expect(calls(relu)[0].epilogue).toEqual({ bias: false, activation: "relu" });
      const left = checkWith({ gemmEpilogues: true }, (x: any, w: any, b: any) => np.add(b, np.matmul(x, w)), x(), w(), b());
      expect(calls(left)[0].epilogue).toEqual({ bias: true, activation: "none" });
    });

    it("keeps the pre-activation when something else reads it (a relu's gradient mask)", () => {
      const f = (x: any, w: any, b: any) => {
        const z = np.matmul(x, w).add(b);
        return [np.maximum(z, 0), np.greater(z, 0.5)];
      };
      const l = checkWith({ gemmEpilogues: true }, f, x(), w(), b());
      expect(calls(l)[0].epilogue).toEqual({ bias: true, activation: "none" });
      expect(kernels(l)).toBeGreaterThan(0);
    });

    it("does not fuse without the option, a bias along another axis, a non-zero max, or a matmul read twice", () => {
      const f = (x: any, w: any, b: any) => np.maximum(np.matmul(x, w).add(b), 0);
      expect(calls(checkWith({}, f, x(), w(), b()))[0].epilogue).toBeUndefined();
      const rows = np.array([1, 2, 3]) as ConcreteArray;
      const byRow = checkWith({ gemmEpilogues: true }, (x: any, w: any, r: any) => np.matmul(x, w).add(np.reshape(r, [3, 1])), x(), w(), rows);
      expect(calls(byRow)[0].epilogue).toBeUndefined();
      const clip = checkWith({ gemmEpilogues: true }, (x: any, w: any) => np.maximum(np.matmul(x, w), 0.5), x(), w());
      expect(calls(clip)[0].epilogue).toBeUndefined();
      const twice = checkWith({ gemmEpilogues: true }, (x: any, w: any, b: any) => {
        const y = np.matmul(x, w);
        return y.add(b).mul(y);
      }, x(), w(), b());
      expect(calls(twice)[0].epilogue).toBeUndefined();
    });

    it("fuses into batched matmuls and keeps int matmuls unfused", () => {
      const xb = np.arange(24).reshape([2, 3, 4]).astype("float32").mul(0.2).sub(2) as ConcreteArray;
      const l = checkWith({ gemmEpilogues: true }, (x: any, w: any, b: any) => np.maximum(np.matmul(x, w).add(b), 0), xb, w(), b());
      expect(calls(l)[0].epilogue).toEqual({ bias: true, activation: "relu" });
      const xi = np.arange(12).reshape([3, 4]) as ConcreteArray;
      const wi = np.arange(20).reshape([4, 5]) as ConcreteArray;
      const li = checkWith({ gemmEpilogues: true }, (x: any, w: any) => np.maximum(np.matmul(x, w), 0), xi, wi);
      expect(calls(li)[0].epilogue).toBeUndefined();
    });
  });
});
