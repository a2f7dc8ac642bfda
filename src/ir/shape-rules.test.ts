import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ShapedArray } from "./aval.js";
import { type DType } from "./dtype.js";
import { DTypeError, ShapeError } from "./errors.js";
import { BINARY_PRIMS, COMPARE_PRIMS, Prim, type PrimParams, UNARY_PRIMS } from "./primitives.js";
import { abstractEval } from "./shape-rules.js";
import { shape as shapeArb } from "../../tests/property/generators.js";
import { propertyRuns } from "../../tests/helpers/assert.js";

const sa = (shape: number[], dtype: DType = "float32", weak = false) => new ShapedArray(shape, dtype, weak);
const ev = <P extends Prim>(p: P, avals: ShapedArray[], params: PrimParams[P]) =>
  abstractEval(p, avals, params).map((a) => `${a.str()}${a.weakType ? "*" : ""}`);

describe("elementwise rules", () => {
  it("unary keeps the aval; is_finite gives bool", () => {
    for (const p of UNARY_PRIMS) {
      const x = p === Prim.Not ? sa([2, 3], "int32", true) : sa([2, 3], "float32", true);
      expect(ev(p, [x], {}), p).toEqual(p === Prim.IsFinite ? ["bool[2,3]"] : [x.dtype === "int32" ? "i32[2,3]*" : "f32[2,3]*"]);
    }
  });
  it("unary dtype classes reject what they should, naming op, aval and fix", () => {
    expect(() => ev(Prim.Sin, [sa([2], "int32")], {})).toThrow(DTypeError);
    expect(() => ev(Prim.Sin, [sa([2], "int32")], {})).toThrow(
      "sin: expected a floating dtype (float16, float32, float64), received i32[2]. Convert the operand with astype() first.",
    );
    expect(() => ev(Prim.Neg, [sa([], "bool")], {})).toThrow(/neg: expected a numeric dtype \(not bool\), received bool\[\]/);
    expect(() => ev(Prim.Not, [sa([], "float32")], {})).toThrow(/not: expected an integer or bool dtype/);
    expect(ev(Prim.Abs, [sa([3], "int32")], {})).toEqual(["i32[3]"]);
    expect(ev(Prim.Floor, [sa([3], "float16")], {})).toEqual(["f16[3]"]);
  });
  it("unary rules reject a wrong operand count", () => {
    expect(() => ev(Prim.Exp, [sa([1]), sa([1])], {})).toThrow("exp: expected 1 operand(s), received 2.");
  });
  it("binary needs equal shapes and dtypes, but scalars broadcast", () => {
    for (const p of BINARY_PRIMS) {
      const d: DType = [Prim.And, Prim.Or, Prim.Xor, Prim.ShiftLeft, Prim.ShiftRightLogical, Prim.ShiftRightArithmetic].includes(p) ? "int32" : "float32";
      expect(abstractEval(p, [sa([2, 3], d), sa([2, 3], d)], {})[0].str(), p).toBe(`${d === "int32" ? "i32" : "f32"}[2,3]`);
      expect(abstractEval(p, [sa([], d), sa([2, 3], d)], {})[0].shape, p).toEqual([2, 3]);
    }
    expect(() => ev(Prim.Add, [sa([2, 3]), sa([3])], {})).toThrow(ShapeError);
    expect(() => ev(Prim.Add, [sa([2, 3]), sa([3])], {})).toThrow(
      "add: operands must have equal shapes (or be scalars) and equal dtypes, received f32[2,3], f32[3]. " +
        "Use the np functions, which broadcast and promote, or broadcast/convert first.",
    );
    expect(() => ev(Prim.Mul, [sa([2]), sa([2], "int32")], {})).toThrow(/mul: .*f32\[2\], i32\[2\]/);
  });
  it("binary is weak only when every operand is weak", () => {
    expect(ev(Prim.Add, [sa([2], "float32", true), sa([], "float32", true)], {})).toEqual(["f32[2]*"]);
    expect(ev(Prim.Add, [sa([2], "float32", false), sa([], "float32", true)], {})).toEqual(["f32[2]"]);
  });
  it("binary dtype classes", () => {
    expect(() => ev(Prim.Sub, [sa([], "bool"), sa([], "bool")], {})).toThrow(/sub: expected a numeric dtype/);
    expect(ev(Prim.Add, [sa([], "bool"), sa([], "bool")], {})).toEqual(["bool[]"]);
    expect(() => ev(Prim.Pow, [sa([], "int32"), sa([], "int32")], {})).toThrow(/pow: expected a floating dtype/);
    expect(() => ev(Prim.ShiftLeft, [sa([], "bool"), sa([], "bool")], {})).toThrow(/shift_left: expected an integer dtype \(int32, uint32\)/);
    expect(ev(Prim.And, [sa([], "bool"), sa([], "bool")], {})).toEqual(["bool[]"]);
  });
  it("comparisons give bool of the common shape", () => {
    for (const p of COMPARE_PRIMS) expect(ev(p, [sa([4], "int32"), sa([], "int32")], {}), p).toEqual(["bool[4]"]);
    expect(() => ev(Prim.Lt, [sa([4]), sa([5])], {})).toThrow(/^lt: operands must have equal shapes/);
  });
  it("select_n: bool selects among two, int32 among many; selector scalar or full", () => {
    expect(ev(Prim.SelectN, [sa([3], "bool"), sa([3]), sa([3])], {})).toEqual(["f32[3]"]);
    expect(ev(Prim.SelectN, [sa([], "bool"), sa([3]), sa([3])], {})).toEqual(["f32[3]"]);
    expect(ev(Prim.SelectN, [sa([3], "int32"), sa([3]), sa([3]), sa([3])], {})).toEqual(["f32[3]"]);
    expect(ev(Prim.SelectN, [sa([3], "bool"), sa([]), sa([])], {})).toEqual(["f32[3]"]);
    expect(() => ev(Prim.SelectN, [sa([3], "bool"), sa([3]), sa([3]), sa([3])], {})).toThrow(/select_n: the selector must be bool \(for at most 2 cases\)/);
    expect(() => ev(Prim.SelectN, [sa([2], "bool"), sa([3]), sa([3])], {})).toThrow(/selector bool\[2\] and cases f32\[3\], f32\[3\]/);
    expect(() => ev(Prim.SelectN, [sa([3], "float32"), sa([3]), sa([3])], {})).toThrow(ShapeError);
    expect(() => ev(Prim.SelectN, [sa([], "bool")], {})).toThrow("select_n: needs at least one case.");
  });
  it("clamp takes x's weak type", () => {
    expect(ev(Prim.Clamp, [sa([]), sa([3], "float32", true), sa([])], {})).toEqual(["f32[3]*"]);
    expect(() => ev(Prim.Clamp, [sa([2]), sa([3]), sa([])], {})).toThrow(/^clamp: operands must have equal shapes/);
    expect(() => ev(Prim.Clamp, [sa([3]), sa([3])], {})).toThrow("clamp: expected 3 operand(s), received 2.");
  });
  it("round, integer_pow", () => {
    expect(ev(Prim.Round, [sa([2])], { method: "to_nearest_even" })).toEqual(["f32[2]"]);
    expect(() => ev(Prim.Round, [sa([2], "int32")], { method: "to_nearest_even" })).toThrow(/^round: expected a floating dtype/);
    expect(ev(Prim.IntegerPow, [sa([2], "int32")], { y: 3 })).toEqual(["i32[2]"]);
    expect(() => ev(Prim.IntegerPow, [sa([2])], { y: 1.5 })).toThrow("integer_pow: exponent must be an integer, got 1.5.");
  });
  it("conversions", () => {
    expect(ev(Prim.ConvertElementType, [sa([2, 2])], { newDtype: "int32", weakType: false })).toEqual(["i32[2,2]"]);
    expect(ev(Prim.ConvertElementType, [sa([])], { newDtype: "float32", weakType: true })).toEqual(["f32[]*"]);
    expect(ev(Prim.BitcastConvertType, [sa([2])], { newDtype: "uint32" })).toEqual(["u32[2]"]);
    expect(() => ev(Prim.BitcastConvertType, [sa([2])], { newDtype: "float64" })).toThrow(
      /^bitcast_convert_type: float32 and float64 differ in width/,
    );
  });
});

describe("structural rules", () => {
  it("broadcast_in_dim", () => {
    expect(ev(Prim.BroadcastInDim, [sa([3])], { shape: [2, 3], broadcastDimensions: [1] })).toEqual(["f32[2,3]"]);
    expect(ev(Prim.BroadcastInDim, [sa([1, 3])], { shape: [4, 3], broadcastDimensions: [0, 1] })).toEqual(["f32[4,3]"]);
    expect(ev(Prim.BroadcastInDim, [sa([])], { shape: [2], broadcastDimensions: [] })).toEqual(["f32[2]"]);
    expect(() => ev(Prim.BroadcastInDim, [sa([3])], { shape: [3, 2], broadcastDimensions: [1] })).toThrow(
      /^broadcast_in_dim: cannot broadcast f32\[3\] to \(3, 2\) with broadcast_dimensions \[1\]/,
    );
    // Dimensions must increase.
    expect(() => ev(Prim.BroadcastInDim, [sa([2, 2])], { shape: [2, 2], broadcastDimensions: [1, 0] })).toThrow(ShapeError);
    expect(() => ev(Prim.BroadcastInDim, [sa([2])], { shape: [2], broadcastDimensions: [] })).toThrow(ShapeError);
  });
  it("reshape", () => {
    expect(ev(Prim.Reshape, [sa([2, 3])], { newSizes: [3, 2] })).toEqual(["f32[3,2]"]);
    expect(ev(Prim.Reshape, [sa([0, 3])], { newSizes: [3, 0] })).toEqual(["f32[3,0]"]);
    expect(() => ev(Prim.Reshape, [sa([2, 3])], { newSizes: [4, 2] })).toThrow(
      "reshape: cannot reshape f32[2,3] (6 elements) into (4, 2) (8 elements).",
    );
    expect(() => ev(Prim.Reshape, [sa([2, 3])], { newSizes: [-1, -6] })).toThrow(ShapeError);
  });
  it("transpose", () => {
    expect(ev(Prim.Transpose, [sa([2, 3, 4])], { permutation: [2, 0, 1] })).toEqual(["f32[4,2,3]"]);
    expect(() => ev(Prim.Transpose, [sa([2, 3])], { permutation: [0, 0] })).toThrow(
      "transpose: [0,0] is not a permutation of the 2 axes of the operand.",
    );
    expect(() => ev(Prim.Transpose, [sa([2, 3])], { permutation: [0] })).toThrow(ShapeError);
  });
  it("squeeze and expand_dims", () => {
    expect(ev(Prim.Squeeze, [sa([1, 3, 1])], { dimensions: [0, 2] })).toEqual(["f32[3]"]);
    expect(() => ev(Prim.Squeeze, [sa([2, 3])], { dimensions: [1] })).toThrow("squeeze: axis 1 of f32[2,3] has size 3, not 1.");
    expect(() => ev(Prim.Squeeze, [sa([1])], { dimensions: [1] })).toThrow(/squeeze: axes \[1\] are invalid for rank 1/);
    expect(ev(Prim.ExpandDims, [sa([3])], { dimensions: [0, 2] })).toEqual(["f32[1,3,1]"]);
    expect(ev(Prim.ExpandDims, [sa([])], { dimensions: [0] })).toEqual(["f32[1]"]);
    expect(() => ev(Prim.ExpandDims, [sa([3])], { dimensions: [2] })).toThrow(/expand_dims: axes \[2\] are invalid for rank 2/);
  });
  it("rev", () => {
    expect(ev(Prim.Rev, [sa([2, 3])], { dimensions: [1] })).toEqual(["f32[2,3]"]);
    expect(() => ev(Prim.Rev, [sa([2, 3])], { dimensions: [1, 1] })).toThrow(/^rev: axes \[1,1\] are invalid for rank 2; expected distinct/);
  });
  it("pad, with negative and interior padding", () => {
    const pad = (s: number[], cfg: [number, number, number][]) => ev(Prim.Pad, [sa(s), sa([])], { paddingConfig: cfg });
    expect(pad([3], [[1, 2, 0]])).toEqual(["f32[6]"]);
    expect(pad([3], [[0, 0, 2]])).toEqual(["f32[7]"]); // 3 + 2*2
    expect(pad([3], [[-1, -1, 0]])).toEqual(["f32[1]"]);
    expect(pad([0], [[0, 0, 5]])).toEqual(["f32[0]"]);
    expect(pad([2, 3], [[1, 0, 0], [0, -3, 1]])).toEqual(["f32[3,2]"]);
    expect(() => pad([3], [[-2, -2, 0]])).toThrow("pad: axis 0 of f32[3] would have negative size -1.");
    expect(() => pad([3], [[0, 0, -1]])).toThrow("pad: interior padding must be >= 0, got -1.");
    expect(() => pad([3], [])).toThrow("pad: padding config has 0 entries for f32[3].");
    expect(() => ev(Prim.Pad, [sa([3]), sa([], "int32")], { paddingConfig: [[0, 0, 0]] })).toThrow(
      "pad: padding value must be a scalar of dtype float32, received i32[].",
    );
  });
  it("concatenate", () => {
    expect(ev(Prim.Concatenate, [sa([2, 3]), sa([4, 3])], { dimension: 0 })).toEqual(["f32[6,3]"]);
    expect(ev(Prim.Concatenate, [sa([2, 3], "float32", true), sa([2, 1], "float32", true)], { dimension: 1 })).toEqual(["f32[2,4]*"]);
    expect(() => ev(Prim.Concatenate, [sa([2, 3]), sa([4, 2])], { dimension: 0 })).toThrow(
      "concatenate: operands must match in dtype and in every axis but 0; received f32[2,3], f32[4,2].",
    );
    expect(() => ev(Prim.Concatenate, [sa([2]), sa([2], "int32")], { dimension: 0 })).toThrow(ShapeError);
    expect(() => ev(Prim.Concatenate, [], { dimension: 0 })).toThrow("concatenate: needs at least one operand.");
  });
  it("slice, with strides", () => {
    const sl = (s: number[], st: number[], li: number[], str: number[] | null = null) =>
      ev(Prim.Slice, [sa(s)], { startIndices: st, limitIndices: li, strides: str });
    expect(sl([10], [2], [9], [3])).toEqual(["f32[3]"]); // 2, 5, 8
    expect(sl([10], [2], [8], [3])).toEqual(["f32[2]"]);
    expect(sl([4, 5], [1, 0], [1, 5])).toEqual(["f32[0,5]"]);
    expect(() => sl([4], [3], [2])).toThrow("slice: axis 0 of f32[4] cannot take [3:2:1]; expected 0 <= start <= limit <= 4 and stride >= 1.");
    expect(() => sl([4], [0], [5])).toThrow(ShapeError);
    expect(() => sl([4], [0], [4], [0])).toThrow(/stride >= 1/);
    expect(() => sl([4, 4], [0], [4])).toThrow("slice: start, limit and strides must each have 2 entries for f32[4,4].");
  });
  it("iota and copy", () => {
    expect(ev(Prim.Iota, [], { dtype: "int32", shape: [2, 3], dimension: 1 })).toEqual(["i32[2,3]"]);
    expect(() => ev(Prim.Iota, [], { dtype: "int32", shape: [2], dimension: 1 })).toThrow(/^iota: axes \[1\] are invalid for rank 1/);
    expect(ev(Prim.Copy, [sa([2], "uint32", true)], {})).toEqual(["u32[2]*"]);
  });
  it("dynamic_slice and dynamic_update_slice", () => {
    const i = sa([], "int32");
    expect(ev(Prim.DynamicSlice, [sa([5, 6]), i, i], { sliceSizes: [2, 6] })).toEqual(["f32[2,6]"]);
    expect(() => ev(Prim.DynamicSlice, [sa([5, 6]), i], { sliceSizes: [2, 6] })).toThrow(
      "dynamic_slice: expected 2 scalar integer start indices for f32[5,6], received [i32[]].",
    );
    expect(() => ev(Prim.DynamicSlice, [sa([5]), sa([])], { sliceSizes: [2] })).toThrow(ShapeError);
    expect(() => ev(Prim.DynamicSlice, [sa([5]), i], { sliceSizes: [6] })).toThrow(/^dynamic_slice: slice sizes \[6\] do not fit f32\[5\]/);
    expect(ev(Prim.DynamicUpdateSlice, [sa([5]), sa([2]), i], {})).toEqual(["f32[5]"]);
    expect(() => ev(Prim.DynamicUpdateSlice, [sa([5]), sa([6]), i], {})).toThrow(/^dynamic_update_slice: update f32\[6\] must have/);
  });
});

describe("reduction rules", () => {
  const reduces = [Prim.ReduceSum, Prim.ReduceMax, Prim.ReduceMin, Prim.ReduceProd] as const;
  it("drop the reduced axes and keep dtype and weak type", () => {
    for (const p of reduces) {
      expect(ev(p, [sa([2, 3, 4], "float32", true)], { axes: [0, 2] }), p).toEqual(["f32[3]*"]);
      expect(ev(p, [sa([2, 3])], { axes: [] }), p).toEqual(["f32[2,3]"]);
    }
    expect(ev(Prim.ReduceAnd, [sa([2, 3], "bool")], { axes: [1] })).toEqual(["bool[2]"]);
    expect(() => ev(Prim.ReduceOr, [sa([2])], { axes: [0] })).toThrow(/^reduce_or: expected an integer or bool dtype/);
  });
  it("reject bad axes", () => {
    expect(() => ev(Prim.ReduceSum, [sa([2, 3])], { axes: [2] })).toThrow(
      "reduce_sum: axes [2] are invalid for rank 2; expected distinct non-negative axes below 2.",
    );
    expect(() => ev(Prim.ReduceSum, [sa([2, 3])], { axes: [-1] })).toThrow(ShapeError);
    expect(() => ev(Prim.ReduceSum, [sa([2, 3])], { axes: [0, 0] })).toThrow(ShapeError);
  });
  it("argmax/argmin: index dtype, drop the axis, reject empty axes", () => {
    expect(ev(Prim.Argmax, [sa([2, 3])], { axes: [1], indexDtype: "int32" })).toEqual(["i32[2]"]);
    expect(ev(Prim.Argmin, [sa([2, 3])], { axes: [0], indexDtype: "uint32" })).toEqual(["u32[3]"]);
    expect(() => ev(Prim.Argmax, [sa([2, 0])], { axes: [1], indexDtype: "int32" })).toThrow(
      "argmax: axis 1 of f32[2,0] is empty; there is no extremum.",
    );
    expect(() => ev(Prim.Argmin, [sa([0])], { axes: [0], indexDtype: "int32" })).toThrow(/^argmin: axis 0 of f32\[0\] is empty/);
    expect(() => ev(Prim.Argmin, [sa([2])], { axes: [1], indexDtype: "int32" })).toThrow(/^argmin: axes \[1\] are invalid for rank 1/);
  });
  it("cumulative ops keep the aval", () => {
    for (const p of [Prim.Cumsum, Prim.Cumprod, Prim.Cummax, Prim.Cummin, Prim.Cumlogsumexp] as const) {
      expect(ev(p, [sa([2, 3])], { axis: 1, reverse: true }), p).toEqual(["f32[2,3]"]);
    }
    expect(() => ev(Prim.Cumlogsumexp, [sa([2], "int32")], { axis: 0, reverse: false })).toThrow(/^cumlogsumexp: expected a floating dtype/);
    expect(() => ev(Prim.Cumsum, [sa([2], "bool")], { axis: 0, reverse: false })).toThrow(/^cumsum: expected a numeric dtype/);
    expect(() => ev(Prim.Cumsum, [sa([2])], { axis: 1, reverse: false })).toThrow(/^cumsum: axes \[1\] are invalid/);
  });
  it("sort and top_k", () => {
    expect(ev(Prim.Sort, [sa([3, 4]), sa([3, 4], "int32")], { dimension: 1, isStable: true, numKeys: 1 })).toEqual(["f32[3,4]", "i32[3,4]"]);
    expect(() => ev(Prim.Sort, [sa([3]), sa([4])], { dimension: 0, isStable: true, numKeys: 1 })).toThrow(/^sort: all operands must have one shape/);
    expect(() => ev(Prim.Sort, [sa([3])], { dimension: 0, isStable: true, numKeys: 2 })).toThrow("sort: need 1 <= numKeys <= 1 operands, got numKeys=2.");
    expect(ev(Prim.TopK, [sa([2, 5])], { k: 3 })).toEqual(["f32[2,3]", "i32[2,3]"]);
    expect(() => ev(Prim.TopK, [sa([2, 5])], { k: 6 })).toThrow("top_k: k must be an integer in [0, 5] for f32[2,5], got 6.");
    expect(() => ev(Prim.TopK, [sa([])], { k: 1 })).toThrow(/^top_k: k must be an integer in \[0, 0\] for f32\[\]/);
  });
});

describe("dot_general rule", () => {
  const dg = (l: number[], r: number[], dn: PrimParams[Prim.DotGeneral]["dimensionNumbers"], pet: DType | null = null, ld: DType = "float32", rd: DType = "float32") =>
    ev(Prim.DotGeneral, [sa(l, ld), sa(r, rd)], { dimensionNumbers: dn, preferredElementType: pet });
  it("output is batch, lhs free, rhs free", () => {
    expect(dg([2, 3], [3, 4], [[[1], [0]], [[], []]])).toEqual(["f32[2,4]"]);
    expect(dg([5, 2, 3], [5, 3, 4], [[[2], [1]], [[0], [0]]])).toEqual(["f32[5,2,4]"]);
    expect(dg([3, 5, 2], [4, 3, 5], [[[0], [1]], [[1], [2]]])).toEqual(["f32[5,2,4]"]);
    expect(dg([2, 3, 4], [4, 3], [[[1, 2], [1, 0]], [[], []]])).toEqual(["f32[2]"]);
    expect(dg([2], [3], [[[], []], [[], []]])).toEqual(["f32[2,3]"]);
    expect(dg([2, 3], [3], [[[1], [0]], [[], []]], "float64", "int32", "int32")).toEqual(["f64[2]"]);
  });
  it("errors name the problem and both operands", () => {
    expect(() => dg([2, 3], [4, 4], [[[1], [0]], [[], []]])).toThrow(
      "dot_general: contracting sizes differ: lhs axis 1 is 3, rhs axis 0 is 4 (lhs f32[2,3], rhs f32[4,4]).",
    );
    expect(() => dg([2, 3], [3, 4], [[[1], []], [[], []]])).toThrow(/contracting dimension lists differ in length/);
    expect(() => dg([2, 3], [3, 4], [[[1], [0]], [[0], []]])).toThrow(/batch dimension lists differ in length/);
    expect(() => dg([2, 3], [3, 3], [[[1], [0]], [[0], [1]]])).toThrow(/batch sizes differ at lhs axis 0 and rhs axis 1/);
    expect(() => dg([2, 3], [3, 4], [[[1], [0]], [[], []]], null, "float32", "int32")).toThrow(/operand dtypes differ/);
    expect(() => dg([2, 3], [3, 4], [[[1], [0]], [[1], [0]]])).toThrow(/^dot_general: axes \[1,1\] are invalid/);
  });
  it("output shape equals the naive formula (property)", () => {
    // Random batch/contract/free sizes, assembled in canonical order.
    fc.assert(fc.property(shapeArb({ maxRank: 2 }), shapeArb({ maxRank: 2 }), shapeArb({ maxRank: 2 }), shapeArb({ maxRank: 2 }), (b, c, lf, rf) => {
      const nb = b.length, nc = c.length;
      const lhs = [...b, ...lf, ...c];
      const rhs = [...b, ...c, ...rf];
      const idx = (n: number, off: number) => Array.from({ length: n }, (_, i) => i + off);
      const out = abstractEval(Prim.DotGeneral, [sa(lhs), sa(rhs)], {
        dimensionNumbers: [[idx(nc, nb + lf.length), idx(nc, nb)], [idx(nb, 0), idx(nb, 0)]],
        preferredElementType: null,
      });
      expect(out[0].shape).toEqual([...b, ...lf, ...rf]);
    }), { numRuns: propertyRuns() });
  });
});

describe("other rules", () => {
  it("threefry2x32 needs four uint32 operands of one shape", () => {
    const u = sa([3], "uint32");
    expect(ev(Prim.Threefry2x32, [u, u, u, u], {})).toEqual(["u32[3]", "u32[3]"]);
    expect(() => ev(Prim.Threefry2x32, [u, u, u, sa([3], "int32")], {})).toThrow(/^threefry2x32: expected four uint32 operands of one shape/);
    expect(() => ev(Prim.Threefry2x32, [u, u, u], {})).toThrow("threefry2x32: expected 4 operand(s), received 3.");
  });
  it("stop_gradient is the identity on avals", () => {
    expect(ev(Prim.StopGradient, [sa([2], "float32", true)], {})).toEqual(["f32[2]*"]);
  });
});
