import { describe, expect, it } from "vitest";
import { ShapedArray } from "./aval.js";
import { Prim, type PrimParams } from "./primitives.js";
import { abstractEval } from "./shape-rules.js";
import { DTypeError } from "./errors.js";

const f32 = (...s: number[]) => new ShapedArray(s, "float32");
const i32 = (...s: number[]) => new ShapedArray(s, "int32");

const gp = (
  offsetDims: number[],
  collapsedSliceDims: number[],
  startIndexMap: number[],
  sliceSizes: number[],
  extra: Partial<PrimParams[Prim.Gather]["dimensionNumbers"]> = {},
): PrimParams[Prim.Gather] => ({
  dimensionNumbers: { offsetDims, collapsedSliceDims, startIndexMap, operandBatchingDims: [], startIndicesBatchingDims: [], ...extra },
  sliceSizes,
  indicesAreSorted: false,
  uniqueIndices: false,
  mode: "clip",
  fillValue: null,
});

const sp = (
  updateWindowDims: number[],
  insertedWindowDims: number[],
  scatterDimsToOperandDims: number[],
): PrimParams[Prim.Scatter] => ({
  dimensionNumbers: { updateWindowDims, insertedWindowDims, scatterDimsToOperandDims, operandBatchingDims: [], scatterIndicesBatchingDims: [] },
  indicesAreSorted: false,
  uniqueIndices: false,
  mode: "fill",
});

const shapeOf = (prim: Prim, avals: ShapedArray[], params: unknown) =>
  abstractEval(prim, avals, params as never)[0].shape;

describe("gather shape rule", () => {
  it("takes rows: batch axes replace the collapsed axis", () => {
    // x[idx] for x [5, 4] and idx [2, 3] -> [2, 3, 4]
    expect(shapeOf(Prim.Gather, [f32(5, 4), i32(2, 3, 1)], gp([2], [0], [0], [1, 4]))).toEqual([2, 3, 4]);
    // x[:, idx] -> [5, 3]: the offset axis comes first
    expect(shapeOf(Prim.Gather, [f32(5, 4), i32(3, 1)], gp([0], [1], [1], [5, 1]))).toEqual([5, 3]);
  });

  it("gathers windows without collapsing (dynamic-slice batch)", () => {
    expect(shapeOf(Prim.Gather, [f32(5, 4), i32(7, 2)], gp([1, 2], [], [0, 1], [2, 3]))).toEqual([7, 2, 3]);
    expect(shapeOf(Prim.Gather, [f32(5, 4), i32(2)], gp([0, 1], [], [0, 1], [2, 3]))).toEqual([2, 3]);
  });

  it("keeps the operand dtype and weak type", () => {
    const x = new ShapedArray([3], "float32", true);
    const [y] = abstractEval(Prim.Gather, [x, i32(2, 1)], gp([], [0], [0], [1]));
    expect(y.dtype).toBe("float32");
    expect(y.weakType).toBe(true);
    expect(y.shape).toEqual([2]);
  });

  it("rejects mismatched or invalid dimension numbers with clear errors", () => {
    const bad = (avals: ShapedArray[], p: PrimParams[Prim.Gather]) => () => abstractEval(Prim.Gather, avals, p);
    expect(bad([f32(5, 4), f32(2, 1)], gp([1], [0], [0], [1, 4]))).toThrow(/indices must be an int32 or uint32/);
    expect(bad([f32(5, 4), i32(2, 2)], gp([1], [0], [0], [1, 4]))).toThrow(/last axis of indices .* has 2 entries but startIndexMap has 1/);
    expect(bad([f32(5, 4), i32(2, 1)], gp([1], [0], [0], [2, 4]))).toThrow(/collapsed slice dimension 0 has slice size 2/);
    expect(bad([f32(5, 4), i32(2, 1)], gp([1], [0], [0], [1, 5]))).toThrow(/sliceSizes \[1,5\] do not fit/);
    expect(bad([f32(5, 4), i32(2, 1)], gp([], [0], [0], [1, 4]))).toThrow(/offsetDims has 0 entries but the operand has 1/);
    expect(bad([f32(5, 4), i32(2, 1)], gp([3], [0], [0], [1, 4]))).toThrow(/offsetDims \[3\] must be distinct, increasing/);
    expect(bad([f32(5, 4), i32(2, 1)], gp([1], [0], [2], [1, 4]))).toThrow(/startIndexMap \[2\]/);
    expect(bad([f32(5, 4), i32(2, 1)], gp([1], [0], [0], [1, 4], { operandBatchingDims: [0] }))).toThrow(/not supported/);
    expect(bad([f32(5, 4), i32(2, 1)], gp([1], [0], [0], [1, 4]))).not.toThrow();
  });
});

describe("scatter shape rules", () => {
  it("return the operand aval for every combiner", () => {
    for (const p of [Prim.Scatter, Prim.ScatterAdd, Prim.ScatterMul, Prim.ScatterMin, Prim.ScatterMax]) {
      expect(shapeOf(p, [f32(5, 4), i32(3, 1), f32(3, 4)], sp([1], [0], [0]))).toEqual([5, 4]);
    }
    // windows of [2, 2] at 3 points of a [5, 4] operand
    expect(shapeOf(Prim.ScatterAdd, [f32(5, 4), i32(3, 2), f32(3, 2, 2)], sp([1, 2], [], [0, 1]))).toEqual([5, 4]);
  });

  it("rejects mismatched updates, indices and dimension numbers", () => {
    const bad = (avals: ShapedArray[], p: PrimParams[Prim.Scatter]) => () => abstractEval(Prim.ScatterAdd, avals, p);
    expect(bad([f32(5, 4), i32(3, 1), i32(3, 4)], sp([1], [0], [0]))).toThrow(DTypeError);
    expect(bad([f32(5, 4), i32(3, 1), f32(2, 4)], sp([1], [0], [0]))).toThrow(/indices' batch shape is \(3\)/);
    expect(bad([f32(5, 4), i32(3, 1), f32(3, 6)], sp([1], [0], [0]))).toThrow(/update window axis 1 has size 6, larger than operand axis 1/);
    expect(bad([f32(5, 4), i32(3, 1), f32(3, 4)], sp([1], [], [0]))).toThrow(/must cover the 2 operand axes/);
    expect(bad([f32(5, 4), i32(3, 2), f32(3, 4)], sp([1], [0], [0]))).toThrow(/scatterDimsToOperandDims has 1/);
    expect(bad([f32(5, 4), i32(3, 1), f32(3, 4)], { ...sp([1], [0], [0]), mode: "wrap" as never })).toThrow(/mode must be/);
  });
});
