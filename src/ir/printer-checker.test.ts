import { describe, expect, it } from "vitest";
import { ShapedArray } from "./aval.js";
import { Prim } from "./primitives.js";
import { Lit, type Program, Var, eqn, inAvals, outAvals } from "./program.js";
import { printProgram } from "./printer.js";
import { ProgramTypeError, typecheckProgram } from "./checker.js";

const f32 = (...s: number[]) => new ShapedArray(s, "float32");

/** { lambda ; a:f32[3]. let b = sin a; c = mul b 2.0 in (c,) } built by hand. */
function sinTimesTwo(): { p: Program; a: Var; b: Var; c: Var } {
  const a = new Var(f32(3));
  const b = new Var(f32(3));
  const c = new Var(f32(3));
  const p: Program = {
    constVars: [],
    inVars: [a],
    eqns: [eqn(Prim.Sin, [a], {}, [b]), eqn(Prim.Mul, [b, new Lit(2, new ShapedArray([], "float32", true))], {}, [c])],
    outs: [c],
  };
  return { p, a, b, c };
}

describe("printProgram", () => {
  it("prints a jaxpr-like program with literals", () => {
    expect(printProgram(sinTimesTwo().p)).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[3]. let
          b:f32[3] = sin a
          c:f32[3] = mul b 2.0
        in (c,) }"
    `);
  });
  it("prints params in snake_case, tuples with trailing commas, and bool/None", () => {
    const x = new Var(f32(2, 3));
    const y = new Var(f32(3, 2));
    const z = new Var(f32(6));
    const p: Program = {
      constVars: [],
      inVars: [x],
      eqns: [
        eqn(Prim.Transpose, [x], { permutation: [1, 0] }, [y]),
        eqn(Prim.Reshape, [y], { newSizes: [6] }, [z]),
      ],
      outs: [z, x],
    };
    expect(printProgram(p)).toMatchInlineSnapshot(`
      "{ lambda ; a:f32[2,3]. let
          b:f32[3,2] = transpose[permutation=(1, 0)] a
          c:f32[6] = reshape[new_sizes=(6,)] b
        in (c, a) }"
    `);
    const w = new Var(f32(2));
    const q: Program = {
      constVars: [],
      inVars: [x],
      eqns: [eqn(Prim.Slice, [x], { startIndices: [0, 0], limitIndices: [2, 1], strides: null }, [new Var(f32(2, 1))]),
        eqn(Prim.Cumsum, [w], { axis: 0, reverse: true }, [new Var(f32(2))])],
      outs: [],
    };
    expect(printProgram(q)).toContain("slice[start_indices=(0, 0) limit_indices=(2, 1) strides=None] a");
    expect(printProgram(q)).toContain("cumsum[axis=0 reverse=True] d");
  });
  it("prints constants before the semicolon and an empty body compactly", () => {
    const k = new Var(f32(2));
    const x = new Var(f32(2));
    expect(printProgram({ constVars: [k], inVars: [x], eqns: [], outs: [x, k] })).toBe("{ lambda a:f32[2]; b:f32[2]. let  in (b, a) }");
  });
  it("formats literals by dtype", () => {
    const x = new Var(f32());
    const lit = (v: number, d: "float32" | "int32" | "bool") => new Lit(v, new ShapedArray([], d));
    const out = (l: Lit) => printProgram({ constVars: [], inVars: [x], eqns: [], outs: [l] });
    expect(out(lit(NaN, "float32"))).toContain("(nan,)");
    expect(out(lit(-Infinity, "float32"))).toContain("(-inf,)");
    expect(out(lit(0.5, "float32"))).toContain("(0.5,)");
    expect(out(lit(3, "float32"))).toContain("(3.0,)");
    expect(out(lit(3, "int32"))).toContain("(3,)");
    expect(out(lit(1, "bool"))).toContain("(True,)");
  });
  it("names variables a..z then ba, bb, ... like JAX", () => {
    const vars = Array.from({ length: 28 }, () => new Var(f32()));
    const s = printProgram({ constVars: [], inVars: vars, eqns: [], outs: [vars[27]] });
    expect(s).toContain("z:f32[] ba:f32[] bb:f32[]");
    expect(s).toContain("in (bb,)");
  });
  it("inAvals/outAvals", () => {
    const { p } = sinTimesTwo();
    expect(inAvals(p).map((a) => a.str())).toEqual(["f32[3]"]);
    expect(outAvals(p).map((a) => a.str())).toEqual(["f32[3]"]);
  });
});

describe("typecheckProgram", () => {
  it("accepts a well-formed program", () => {
    expect(() => typecheckProgram(sinTimesTwo().p)).not.toThrow();
  });
  it("rejects a wrong declared output aval, showing the program", () => {
    const { p, a } = sinTimesTwo();
    const bad = new Var(f32(4));
    const broken: Program = { ...p, eqns: [eqn(Prim.Sin, [a], {}, [bad])], outs: [bad] };
    expect(() => typecheckProgram(broken)).toThrow(ProgramTypeError);
    expect(() => typecheckProgram(broken)).toThrow(
      /equation sin declares outputs f32\[4\] but abstract evaluation gives f32\[3\]\nin program:\n\{ lambda ; a:f32\[3\]/,
    );
  });
  it("rejects use before assignment", () => {
    const { a, b, c } = sinTimesTwo();
    const p: Program = { constVars: [], inVars: [a], eqns: [eqn(Prim.Mul, [b, b], {}, [c]), eqn(Prim.Sin, [a], {}, [b])], outs: [c] };
    expect(() => typecheckProgram(p)).toThrow(/variable used before assignment \(f32\[3\]\)/);
  });
  it("rejects double assignment and undefined outputs", () => {
    const { a, b } = sinTimesTwo();
    const twice: Program = { constVars: [], inVars: [a], eqns: [eqn(Prim.Sin, [a], {}, [b]), eqn(Prim.Cos, [a], {}, [b])], outs: [b] };
    expect(() => typecheckProgram(twice)).toThrow(/variable assigned twice/);
    const dangling: Program = { constVars: [], inVars: [a], eqns: [], outs: [b] };
    expect(() => typecheckProgram(dangling)).toThrow(/variable used before assignment/);
    const dupIn: Program = { constVars: [a], inVars: [a], eqns: [], outs: [a] };
    expect(() => typecheckProgram(dupIn)).toThrow(/variable assigned twice/);
  });
  it("propagates shape-rule errors of ill-typed equations", () => {
    const x = new Var(f32(3));
    const y = new Var(new ShapedArray([3], "int32"));
    const p: Program = { constVars: [], inVars: [x, y], eqns: [eqn(Prim.Add, [x, y], {}, [new Var(f32(3))])], outs: [] };
    expect(() => typecheckProgram(p)).toThrow(/^add: operands must have equal shapes/);
  });
});

describe("ShapedArray", () => {
  it("equality ignores weak type; strictEquals does not", () => {
    const a = new ShapedArray([2], "float32", true);
    const b = new ShapedArray([2], "float32", false);
    expect(a.equals(b)).toBe(true);
    expect(a.strictEquals(b)).toBe(false);
    expect(a.strongly().strictEquals(b)).toBe(true);
    expect(b.strongly()).toBe(b);
    expect(a.equals(new ShapedArray([2], "int32"))).toBe(false);
  });
  it("size, ndim, str, with*", () => {
    const a = new ShapedArray([2, 3], "int32", true);
    expect([a.size, a.ndim, a.str(), String(a)]).toEqual([6, 2, "i32[2,3]", "i32[2,3]"]);
    expect(new ShapedArray([], "bool").size).toBe(1);
    expect(a.withShape([6]).str()).toBe("i32[6]");
    expect(a.withShape([6]).weakType).toBe(true);
    expect(a.withDtype("float16").str()).toBe("f16[2,3]");
    expect(a.withDtype("float16").weakType).toBe(false);
  });
  it("freezes its shape", () => {
    const s = [2, 3];
    new ShapedArray(s, "float32");
    expect(Object.isFrozen(s)).toBe(true);
  });
});
