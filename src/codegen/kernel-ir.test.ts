import { describe, expect, it } from "vitest";
import { Prim } from "../ir/index.js";
import { KOp, UOp, kalu, kconst, kload, kparam, krange, kreduce, kstore, ksink, printKernelGraph } from "./kernel-ir.js";
import { flatIndex, idiv, imod, unflatIndex } from "./index-expr.js";
import { runKernel } from "../backend/reference/kernel-interpreter.js";

describe("kernel IR", () => {
  it("interns equal nodes and replace() keeps identity when nothing changes", () => {
    const a = kalu(Prim.Add, "float32", [kconst(1, "float32"), kconst(2, "float32")]);
    expect(kalu(Prim.Add, "float32", [kconst(1, "float32"), kconst(2, "float32")])).toBe(a);
    expect(a.replace({})).toBe(a);
    expect(a.replace({ arg: { prim: Prim.Mul } })).not.toBe(a);
    expect(UOp.make(KOp.Const, "float32", [], 1)).not.toBe(UOp.make(KOp.Const, "int32", [], 1));
  });

  it("knows a store's loop nest: ranges outside reductions", () => {
    const i = krange(0, 3);
    const k = krange(1, 4, "reduce");
    const x = kparam(0, "float32", 12);
    const r = kreduce("sum", kload(x, flatIndex([i, k], [3, 4])), [k]);
    expect(r.freeRanges()).toEqual([i]);
    expect(kstore(kparam(1, "float32", 3, true), i, r).freeRanges()).toEqual([i]);
  });

  it("folds index arithmetic", () => {
    const i = krange(2, 4);
    expect(idiv(i, 4)).toBe(kconst(0));
    expect(imod(i, 4)).toBe(i);
    expect(unflatIndex(flatIndex([kconst(1), kconst(2)], [3, 5]), [3, 5])).toEqual([kconst(1), kconst(2)]);
  });

  it("interprets a row-sum kernel and prints it", () => {
    const i = krange(0, 2);
    const k = krange(1, 3, "reduce");
    const x = kparam(0, "float32", 6);
    const y = kparam(1, "float32", 2, true);
    const sum = kreduce("sum", kalu(Prim.Mul, "float32", [kload(x, flatIndex([i, k], [2, 3])), kconst(2, "float32")]), [k]);
    const sink = ksink([kstore(y, i, sum)]);
    const out = new Float32Array(2);
    runKernel({ name: "rowsum", params: [x.arg as never, y.arg as never], sink }, [new Float32Array([1, 2, 3, 4, 5, 6]), out]);
    expect([...out]).toEqual([12, 30]);
    expect(printKernelGraph(sink)).toMatch(/reduce sum float32/);
  });
});
