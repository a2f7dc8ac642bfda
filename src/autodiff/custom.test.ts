import { describe, expect, it } from "vitest";
import { checkpoint, customJvp, customVjp, grad, jit, jvp, lax, makeJaxpr, np, vmap } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";

const f64 = (x: any) => np.array(x, { dtype: "float64" });

describe("customJvp", () => {
  // log(1 + e^x) with a stable derivative: logistic(x).
  const softplus = customJvp((x: any) => np.log1p(np.exp(x)));
  softplus.defjvp(([x]: any, [t]: any) => [softplus(x), t.mul(lax.logistic(x))]);

  it("computes the function and uses the rule for jvp and grad", () => {
    const x = f64([-2, 0, 3]);
    expectArray(softplus(x), [-2, 0, 3].map((v) => Math.log1p(Math.exp(v))), { rtol: 1e-12 });
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    expectArray(jvp(softplus, [x], [f64([1, 1, 1])])[1], [-2, 0, 3].map(sig), { rtol: 1e-12 });
    expectArray(grad((y: any) => np.sum(softplus(y)))(x), [-2, 0, 3].map(sig), { rtol: 1e-12 });
  });

  it("is really the rule, not autodiff of the function", () => {
    const f = customJvp((x: any) => x.mul(x));
    f.defjvp(([x]: any, [t]: any) => [f(x), t.mul(100)]);
    expectArray(grad((x: any) => np.sum(f(x)))(f64([1, 2])), [100, 100]);
    expectArray(jit(grad((x: any) => np.sum(f(x))))(f64([1, 2])), [100, 100]);
    expectArray(vmap(grad((x: any) => f(x)))(f64([1, 2])), [100, 100]);
    expectArray(grad((x: any) => np.sum(vmap(f)(x)))(f64([1, 2])), [100, 100]);
  });

  it("is one equation when staged, and checks the rule's output", () => {
    expect(makeJaxpr(softplus)(f64([1])).toString()).toMatch(/custom_jvp_call\[/);
    const bad = customJvp((x: any) => x);
    bad.defjvp(([x]: any, [t]: any) => [x, t.sum()]);
    expect(() => jvp(bad, [f64([1, 2])], [f64([1, 1])])).toThrow(/tangent output 0 has shape/);
    const none = customJvp((x: any) => x);
    expect(() => none(f64([1]))).toThrow(/defjvp/);
  });
});

describe("customVjp", () => {
  it("uses the backward pass for grad, under jit and vmap too", () => {
    const clip = customVjp((x: any) => x.mul(1));
    clip.defvjp((x: any) => [x.mul(1), null], (_res: any, ct: any) => [np.clip(ct, -1, 1)]);
    const loss = (x: any) => np.sum(clip(x).mul(5));
    expectArray(grad(loss)(f64([1, 2])), [1, 1]);
    expectArray(jit(grad(loss))(f64([1, 2])), [1, 1]);
    expectArray(vmap(grad((x: any) => clip(x).mul(-5)))(f64([1, 2])), [-1, -1]);
  });

  it("passes residuals from fwd to bwd", () => {
    const sq = customVjp((x: any) => x.mul(x));
    sq.defvjp((x: any) => [x.mul(x), { x }], (res: any, ct: any) => [ct.mul(res.x).mul(2)]);
    expectArray(grad((x: any) => np.sum(sq(x)))(f64([3, -1])), [6, -2]);
  });

  it("explains that forward mode needs customJvp", () => {
    const f = customVjp((x: any) => x.mul(2));
    f.defvjp((x: any) => [x.mul(2), null], (_r: any, ct: any) => [ct.mul(2)]);
    expect(() => jvp(f, [f64([1])], [f64([1])])).toThrow(/Forward-mode differentiation.*customVjp/);
  });
});

describe("checkpoint", () => {
  const block = (x: any) => np.sin(np.sin(x)).mul(x);
  const d = (v: number) => Math.cos(Math.sin(v)) * Math.cos(v) * v + Math.sin(Math.sin(v));

  it("gives the same values and gradients", () => {
    const c = checkpoint(block);
    const x = f64([0.3, 1.7]);
    expectArray(c(x), block(x).toArray() as number[], { rtol: 1e-14 });
    expectArray(grad((y: any) => np.sum(c(y)))(x), [0.3, 1.7].map(d), { rtol: 1e-12 });
    expectArray(jit(grad((y: any) => np.sum(c(y))))(x), [0.3, 1.7].map(d), { rtol: 1e-12 });
    expectArray(vmap(grad((y: any) => c(y)))(x), [0.3, 1.7].map(d), { rtol: 1e-12 });
  });

  it("recomputes in the backward pass instead of storing intermediates", () => {
    const c = checkpoint(block);
    const text = makeJaxpr(grad((y: any) => np.sum(c(y))))(f64([0.3, 1.7])).toString();
    // The backward pass is a checkpoint that recomputes sin(x) from x.
    expect(text).toMatch(/checkpoint\[program=\{ lambda ; a:f64\[2\] b:f64\[2\]\. let\n\s+c:f64\[2\] = sin a/);
  });
});
