import { describe, expect, it } from "vitest";
import { cse, dce, simplify } from "./index.js";
import { jit, lax, makeJaxpr, np } from "../index.js";
import { makeJaxpr as makeJaxprRaw } from "../trace/jaxpr-trace.js";
import { typecheckProgram } from "../ir/index.js";

const raw = (f: (...a: any[]) => unknown, ...args: unknown[]) => makeJaxprRaw(f)(...args).program;

describe("dce", () => {
  it("drops equations whose results are unused, keeping the interface", () => {
    const p = raw((x: any) => {
      np.exp(x);
      return np.sin(x);
    }, np.ones([2]));
    const q = dce(p);
    expect(q.eqns.map((e) => e.prim)).toEqual(["sin"]);
    expect(q.inVars).toBe(p.inVars);
    typecheckProgram(q);
  });

  it("returns the same program when nothing is dead", () => {
    const p = raw((x: any) => np.sin(x), np.ones([2]));
    expect(dce(p)).toBe(p);
  });
});

describe("cse", () => {
  it("merges duplicate equations and rewires users", () => {
    const p = raw((x: any) => np.sin(x).add(np.sin(x)), np.ones([2]));
    const q = cse(p);
    expect(q.eqns.map((e) => e.prim)).toEqual(["sin", "add"]);
    expect(q.eqns[1].inputs[0]).toBe(q.eqns[1].inputs[1]);
    typecheckProgram(q);
  });

  it("keeps equations that differ in params", () => {
    const p = raw((x: any) => np.sum(x, { axis: 0 }).add(np.sum(x, { axis: 1 })), np.ones([2, 2]));
    expect(cse(p).eqns.filter((e) => e.prim === "reduce_sum").length).toBe(2);
  });
});

describe("simplify", () => {
  it("removes identities", () => {
    const p = raw((x: any) => x.mul(1).add(0).reshape([2, 2]).transpose([0, 1]).astype("float32"), np.ones([2, 2]));
    const q = simplify(p);
    expect(q.eqns.length).toBe(0);
    expect(q.outs[0]).toBe(q.inVars[0]);
  });

  it("folds chains of transposes, reshapes and negations", () => {
    const p = raw((x: any) => x.transpose([1, 0, 2]).transpose([1, 0, 2]).neg().neg().reshape([6, 4]).reshape([24]), np.ones([2, 3, 4]));
    const q = dce(simplify(p));
    expect(q.eqns.map((e) => e.prim)).toEqual(["reshape"]);
    typecheckProgram(q);
  });

  it("keeps x * 0 (NaN and inf must survive)", () => {
    const p = raw((x: any) => x.mul(0), np.ones([2]));
    expect(simplify(p).eqns.length).toBe(1);
  });

  it("combines broadcasts", () => {
    const p = raw((x: any) => np.broadcastTo(np.broadcastTo(x, [3, 4]), [2, 3, 4]), np.ones([4]));
    const q = dce(simplify(p));
    expect(q.eqns.length).toBe(1);
    expect(q.eqns[0].params).toEqual({ shape: [2, 3, 4], broadcastDimensions: [2] });
    typecheckProgram(q);
  });

  it("is applied inside sub-programs by jit", () => {
    const f = (x: any) => lax.cond(x.sum().greater(0), (y: any) => y.mul(1).add(2), (y: any) => y, x);
    expect(makeJaxpr(f)(np.ones([2])).toString()).toMatch(/mul a 1\.0/);
    expect(jit(f).lower(np.ones([2])).toString()).not.toMatch(/ mul /);
  });
});
