import { describe, expect, it } from "vitest";
import { ShapedArray } from "./aval.js";
import { DTypeError, ShapeError } from "./errors.js";
import { Prim, type PrimParams, type WindowParams } from "./primitives.js";
import { abstractEval } from "./shape-rules.js";
import { dilateDim, windowedDim } from "./shape-rules-conv.js";

const f32 = (...shape: number[]) => new ShapedArray(shape, "float32");
const iota = (n: number) => [...Array(n).keys()];

/** NCHW / OIHW / NCHW conv params with `ns` spatial axes and the given overrides. */
const convParams = (
  ns: number, over: Partial<PrimParams[Prim.ConvGeneralDilated]> = {},
): PrimParams[Prim.ConvGeneralDilated] => ({
  windowStrides: Array(ns).fill(1),
  padding: Array(ns).fill([0, 0]),
  lhsDilation: Array(ns).fill(1),
  rhsDilation: Array(ns).fill(1),
  dimensionNumbers: { lhsSpec: iota(ns + 2), rhsSpec: iota(ns + 2), outSpec: iota(ns + 2) },
  featureGroupCount: 1,
  batchGroupCount: 1,
  preferredElementType: null,
  ...over,
});

const conv = (lhs: ShapedArray, rhs: ShapedArray, p: PrimParams[Prim.ConvGeneralDilated]) =>
  abstractEval(Prim.ConvGeneralDilated, [lhs, rhs], p)[0];

describe("windowedDim", () => {
  it("follows the XLA window formula", () => {
    expect(dilateDim(0, 3)).toBe(0);
    expect(dilateDim(4, 2)).toBe(7);
    expect(windowedDim(5, 3, 1, [0, 0])).toBe(3);
    expect(windowedDim(5, 3, 2, [1, 1])).toBe(3);
    expect(windowedDim(4, 2, 1, [0, 0], 2, 1)).toBe(6); // dilated base 7
    expect(windowedDim(5, 2, 1, [0, 0], 1, 3)).toBe(2); // dilated window 4
    expect(windowedDim(5, 3, 1, [-2, -2])).toBe(0); // padded size 1 < window 3
    expect(windowedDim(2, 3, 1, [0, 0])).toBe(0);
  });
});

describe("conv_general_dilated shape rule", () => {
  it("computes NCHW output shapes with stride, padding and dilations", () => {
    expect(conv(f32(2, 3, 8, 8), f32(16, 3, 3, 3), convParams(2)).shape).toEqual([2, 16, 6, 6]);
    const p = convParams(2, { windowStrides: [2, 1], padding: [[1, 1], [0, 2]], rhsDilation: [1, 2] });
    // H: (8 + 2 - 3) / 2 + 1 = 4; W: 8 + 2 - 5 + 1 = 6
    expect(conv(f32(2, 3, 8, 8), f32(16, 3, 3, 3), p).shape).toEqual([2, 16, 4, 6]);
    // lhs dilation 2: dilated 15, window 3 -> 13
    expect(conv(f32(1, 1, 8), f32(1, 1, 3), convParams(1, { lhsDilation: [2] })).shape).toEqual([1, 1, 13]);
  });

  it("places dims by the NHWC / HWIO / NHWC index specs", () => {
    const p = convParams(2, {
      dimensionNumbers: { lhsSpec: [0, 3, 1, 2], rhsSpec: [3, 2, 0, 1], outSpec: [0, 3, 1, 2] },
      windowStrides: [2, 2],
    });
    expect(conv(f32(4, 9, 7, 3), f32(3, 3, 3, 5), p).shape).toEqual([4, 4, 3, 5]);
  });

  it("handles feature groups (depthwise) and batch groups", () => {
    expect(conv(f32(1, 6, 5), f32(12, 1, 3), convParams(1, { featureGroupCount: 6 })).shape).toEqual([1, 12, 3]);
    expect(conv(f32(8, 3, 5), f32(4, 3, 3), convParams(1, { batchGroupCount: 2 })).shape).toEqual([4, 4, 3]);
  });

  it("keeps the dtype, or takes preferredElementType; weak only if both are weak", () => {
    const lw = new ShapedArray([1, 1, 3], "float32", true);
    expect(conv(lw, lw, convParams(1)).weakType).toBe(true);
    expect(conv(lw, f32(1, 1, 3), convParams(1)).weakType).toBe(false);
    expect(conv(f32(1, 1, 3), f32(1, 1, 3), convParams(1, { preferredElementType: "float64" })).dtype).toBe("float64");
    expect(() => conv(f32(1, 1, 3), f32(1, 1, 3), convParams(1, { preferredElementType: "int32" }))).toThrow(DTypeError);
    expect(() => conv(f32(1, 1, 3), new ShapedArray([1, 1, 3], "int32"), convParams(1))).toThrow(/dtypes differ/);
  });

  it("names what does not fit", () => {
    expect(() => conv(f32(1, 4, 5), f32(2, 3, 3), convParams(1))).toThrow(
      /lhs feature size 4 \/ featureGroupCount 1 = 4 must equal the rhs input feature size 3/,
    );
    expect(() => conv(f32(1, 6, 5), f32(6, 3, 3), convParams(1, { featureGroupCount: 4 }))).toThrow(
      /lhs feature size 6 is not divisible by featureGroupCount 4/,
    );
    expect(() => conv(f32(1, 6, 5), f32(5, 3, 3), convParams(1, { featureGroupCount: 2 }))).toThrow(
      /rhs output feature size 5 is not divisible by featureGroupCount 2/,
    );
    expect(() => conv(f32(3, 2, 5), f32(4, 2, 3), convParams(1, { batchGroupCount: 2 }))).toThrow(
      /lhs batch size 3 is not divisible by batchGroupCount 2/,
    );
    expect(() => conv(f32(4, 2, 5), f32(3, 2, 3), convParams(1, { batchGroupCount: 2 }))).toThrow(
      /rhs output feature size 3 is not divisible by batchGroupCount 2/,
    );
    expect(() => conv(f32(4, 2, 5), f32(4, 1, 3), convParams(1, { batchGroupCount: 2, featureGroupCount: 2 }))).toThrow(
      /cannot both exceed 1/,
    );
    expect(() => conv(f32(1, 1, 5), f32(1, 1, 3), convParams(1, { windowStrides: [0] }))).toThrow(/windowStrides must hold integers >= 1/);
    expect(() => conv(f32(1, 1, 5), f32(1, 1, 3), convParams(1, { windowStrides: [1, 1] }))).toThrow(/windowStrides has 2 entries, expected 1/);
    expect(() => conv(f32(1, 1, 5), f32(1, 1, 3, 3), convParams(1))).toThrow(ShapeError);
    expect(() =>
      conv(f32(1, 1, 5), f32(1, 1, 3), convParams(1, { dimensionNumbers: { lhsSpec: [0, 0, 2], rhsSpec: [0, 1, 2], outSpec: [0, 1, 2] } })),
    ).toThrow(/lhsSpec \[0,0,2\] must be a permutation of 0..2/);
  });
});

const win = (n: number, over: Partial<WindowParams> = {}): WindowParams => ({
  windowDimensions: Array(n).fill(1),
  windowStrides: Array(n).fill(1),
  padding: Array(n).fill([0, 0]),
  baseDilation: Array(n).fill(1),
  windowDilation: Array(n).fill(1),
  ...over,
});

describe("reduce_window and select_and_scatter_add shape rules", () => {
  it("pools every axis", () => {
    const p = win(4, { windowDimensions: [1, 2, 2, 1], windowStrides: [1, 2, 2, 1] });
    expect(abstractEval(Prim.ReduceWindowMax, [f32(8, 28, 28, 3)], p)[0].shape).toEqual([8, 14, 14, 3]);
    const q = win(1, { windowDimensions: [3], padding: [[1, 1]], baseDilation: [2], windowDilation: [2] });
    // base 4 dilated to 7, padded 9, window 5 -> 5
    expect(abstractEval(Prim.ReduceWindowSum, [f32(4)], q)[0].shape).toEqual([5]);
  });

  it("rejects bool sums and bad windows", () => {
    expect(() => abstractEval(Prim.ReduceWindowSum, [new ShapedArray([4], "bool")], win(1))).toThrow(DTypeError);
    expect(abstractEval(Prim.ReduceWindowMax, [new ShapedArray([4], "bool")], win(1))[0].dtype).toBe("bool");
    expect(() => abstractEval(Prim.ReduceWindowMin, [f32(4, 4)], win(1))).toThrow(/windowDimensions has 1 entries, expected 2/);
    expect(() => abstractEval(Prim.ReduceWindowMin, [f32(4)], win(1, { windowDimensions: [0] }))).toThrow(
      /windowDimensions must hold integers >= 1/,
    );
    expect(() => abstractEval(Prim.ReduceWindowMin, [f32(4)], win(1, { padding: [[0.5, 0]] }))).toThrow(/\(lo, hi\) integer pairs/);
  });

  it("gives select_and_scatter_add the operand's shape and the source's dtype", () => {
    const p = win(2, { windowDimensions: [2, 2], windowStrides: [2, 2] });
    const out = abstractEval(Prim.SelectAndScatterAdd, [f32(2, 2), f32(4, 4)], p)[0];
    expect(out.shape).toEqual([4, 4]);
    expect(out.dtype).toBe("float32");
    expect(() => abstractEval(Prim.SelectAndScatterAdd, [f32(2, 3), f32(4, 4)], p)).toThrow(
      /source f32\[2,3\] must have the windowed output shape \[2,2\] of operand f32\[4,4\]/,
    );
  });
});
