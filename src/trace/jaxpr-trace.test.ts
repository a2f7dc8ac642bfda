import { describe, expect, it } from "vitest";
import * as np from "../numpy/index.js";
import * as lax from "../numpy/lax-core.js";
import { ShapedArray, typecheckProgram } from "../ir/index.js";
import { makeJaxpr } from "./jaxpr-trace.js";
import type { Tracer } from "./core.js";

const f32 = (...shape: number[]) => new ShapedArray(shape, "float32");

describe("makeJaxpr printouts", () => {
  it("an elementwise chain", () => {
    const j = makeJaxpr((x: Tracer) => np.tanh(np.exp(np.sin(x))))(f32(3));
    typecheckProgram(j.program);
    expect(j.toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[3]. let
          b:f32[3] = sin a
          c:f32[3] = exp b
          d:f32[3] = tanh c
        in (d,) }"
    `);
  });
  it("a reduction with keepdims", () => {
    const j = makeJaxpr((x: Tracer) => np.sum(x, { axis: 1, keepdims: true }))(f32(2, 3));
    typecheckProgram(j.program);
    expect(j.toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[2,3]. let
          b:f32[2] = reduce_sum[axes=(1,)] a
          c:f32[2,1] = expand_dims[dimensions=(1,)] b
        in (c,) }"
    `);
  });
  it("a matmul", () => {
    const j = makeJaxpr((a: Tracer, b: Tracer) => np.matmul(a, b))(f32(2, 3), f32(3, 4));
    typecheckProgram(j.program);
    expect(j.toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[2,3] b:f32[3,4]. let
          c:f32[2,4] = dot_general[dimension_numbers=(((1,), (0,)), ((), ())) preferred_element_type=None] a b
        in (c,) }"
    `);
  });
  it("broadcasting with a literal and a row vector", () => {
    const j = makeJaxpr((x: Tracer, r: Tracer) => np.add(np.multiply(x, 2), r))(f32(2, 3), f32(3));
    typecheckProgram(j.program);
    expect(j.toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[2,3] b:f32[3]. let
          c:f32[2,3] = mul a 2.0
          d:f32[2,3] = broadcast_in_dim[shape=(2, 3) broadcast_dimensions=(1,)] b
          e:f32[2,3] = add c d
        in (e,) }"
    `);
  });
  it("constants captured from outside become constvars", () => {
    const w = np.array([[1, 2], [3, 4]]);
    const j = makeJaxpr((x: Tracer) => np.matmul(x, w))(f32(1, 2));
    typecheckProgram(j.program);
    expect(j.consts).toEqual([w]);
    expect(j.toString()).toMatchInlineSnapshot(`
      "{ lambda a:f32[2,2]; b:f32[1,2]. let
          c:f32[1,2] = dot_general[dimension_numbers=(((1,), (0,)), ((), ())) preferred_element_type=None] b a
        in (c,) }"
    `);
  });
  it("weak-typed scalars and int promotion", () => {
    const j = makeJaxpr((x: Tracer) => np.add(x, 1.5))(new ShapedArray([2], "int32"));
    typecheckProgram(j.program);
    expect(j.toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:i32[2]. let
          b:f32[2] = convert_element_type[new_dtype=float32 weak_type=True] a
          c:f32[2] = add b 1.5
        in (c,) }"
    `);
  });
  it("pytrees in and out", () => {
    const j = makeJaxpr((p: { w: Tracer; b: Tracer }, x: Tracer) => ({ y: np.add(np.multiply(p.w, x), p.b), x }))(
      { w: f32(2), b: f32(2) },
      f32(2),
    );
    typecheckProgram(j.program);
    expect(j.inTree.toString()).toBe("PyTreeDef([{b: *, w: *}, *])");
    expect(j.outTree.toString()).toBe("PyTreeDef({x: *, y: *})");
    expect(j.toString()).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[2] b:f32[2] c:f32[2]. let
          d:f32[2] = mul b c
          e:f32[2] = add d a
        in (c, e) }"
    `);
  });
});

describe("staging rules", () => {
  it("operations on scalar literals fold into literals", () => {
    const j = makeJaxpr((x: Tracer) => lax.mul(x, lax.add(lax.mul(2, 3), 1)))(new ShapedArray([], "int32"));
    expect(j.program.eqns.map((e) => e.prim)).toEqual(["mul"]);
    expect(j.toString()).toContain("mul a 7");
  });
  it("every primitive is staged, even on constants (omnistaging)", () => {
    const c = np.ones([2]);
    const j = makeJaxpr(() => np.sin(c))();
    expect(j.program.inVars).toEqual([]);
    expect(j.program.constVars.length).toBe(1);
    expect(j.program.eqns.map((e) => e.prim)).toEqual(["sin"]);
  });
  it("typed-array data converted inside a trace stays alive as a constant", () => {
    const j = makeJaxpr(() => np.array(new Float32Array([1, 2]), { dtype: "int32" }))();
    expect(j.consts.length).toBe(1);
    expect(j.consts[0].isDisposed).toBe(false);
    expect(j.consts[0].toArray()).toEqual([1, 2]);
  });
  it("outputs may be inputs, constants or JS numbers", () => {
    const c = np.ones([2]);
    const j = makeJaxpr((x: Tracer) => [x, c, 3])(f32(2));
    expect(j.program.eqns).toEqual([]);
    // Constants are named first, as JAX does.
    expect(j.toString()).toBe("{ lambda a:f32[2]; b:f32[2]. let  in (b, a, 3) }");
  });
  it("accepts concrete arrays and JS scalars as example arguments", () => {
    const j = makeJaxpr((x: Tracer, s: Tracer) => np.multiply(x, s))(np.ones([2], { dtype: "int32" }), 2);
    expect(j.program.inVars.map((v) => v.aval.str())).toEqual(["i32[2]", "i32[]"]);
    expect(j.program.inVars[1].aval.weakType).toBe(true);
  });
  it("rejects bad arguments and outputs with clear errors", () => {
    expect(() => makeJaxpr((x: unknown) => x)("hello" as never)).toThrow(
      "makeJaxpr: arguments must be Arrays, ShapedArrays or JS scalars, received string.",
    );
    expect(() => makeJaxpr(() => "nope")()).toThrow(/A traced function must return Arrays, JS numbers or pytrees of them; it returned string/);
  });
  it("shape errors surface at trace time with the user-facing op name", () => {
    expect(() => makeJaxpr((a: Tracer, b: Tracer) => np.add(a, b))(f32(2, 3), f32(4))).toThrow(/^np\.add: shapes \(2, 3\), \(4,\) cannot be broadcast/);
  });
  it("tracers that escape their trace are rejected when used later", () => {
    let leaked: Tracer | undefined;
    makeJaxpr((x: Tracer) => {
      leaked = np.sin(x);
      return x;
    })(f32(2));
    expect(() => np.cos(leaked!)).toThrow(/from a transformation that has already finished/);
  });
});

describe("np functions stage the same avals they compute eagerly", () => {
  type F = (x: Tracer, y: Tracer) => Tracer;
  const fns: [string, F][] = [
    ["add", (x, y) => np.add(x, y)], ["subtract", (x, y) => np.subtract(x, 1.5)], ["divide", (x, y) => np.divide(x, y)],
    ["floorDivide", (x, y) => np.floorDivide(x, y)], ["remainder", (x, y) => np.remainder(x, y)], ["power", (x) => np.power(x, 3)],
    ["maximum", (x, y) => np.maximum(x, y)], ["logaddexp", (x, y) => np.logaddexp(x, y)], ["hypot", (x, y) => np.hypot(x, y)],
    ["exp", (x) => np.exp(x)], ["log2", (x) => np.log2(x)], ["deg2rad", (x) => np.deg2rad(x)], ["round", (x) => np.round(x, 1)],
    ["trunc", (x) => np.trunc(x)], ["where", (x, y) => np.where(np.greater(x, 0), x, y)], ["clip", (x) => np.clip(x, 0, 1)],
    ["isfinite", (x) => np.isfinite(x)], ["logicalAnd", (x, y) => np.logicalAnd(x, y)],
    ["sum", (x) => np.sum(x, { axis: 0, keepdims: true })], ["mean", (x) => np.mean(x)], ["var", (x) => np.var(x, { axis: 1 })],
    ["max", (x) => np.max(x, { axis: 1 })], ["argmax", (x) => np.argmax(x)], ["logsumexp", (x) => np.logsumexp(x, { axis: 0 })],
    ["all", (x) => np.all(x)], ["reshape", (x) => np.reshape(x, [-1])], ["transpose", (x) => np.transpose(x)],
    ["concatenate", (x, y) => np.concatenate([x, y], 1)], ["stack", (x, y) => np.stack([x, y])],
    ["split", (x) => np.split(x, 3, 1)[1]], ["matmul", (x, y) => np.matmul(x, np.transpose(y))],
    ["outer", (x, y) => np.outer(x, y)], ["tensordot", (x, y) => np.tensordot(x, y, 2)],
    ["zerosLike", (x) => np.zerosLike(x)], ["linspace", () => np.linspace(0, 1, 5)], ["eye", () => np.eye(3)],
    ["arange", () => np.arange(0, 1, 0.25)],
  ];
  for (const [name, f] of fns) {
    it(name, () => {
      const x = np.array([[0.5, -1, 2], [3, 0.25, -0.5]]);
      const y = np.array([[1, 2, -3], [0.5, 4, 1]]);
      const eager = f(x, y);
      const j = makeJaxpr(f)(x.aval, y.aval);
      typecheckProgram(j.program);
      const out = j.program.outs[0].aval;
      expect([out.shape, out.dtype, out.weakType]).toEqual([eager.shape, eager.dtype, eager.weakType]);
    });
  }
});
