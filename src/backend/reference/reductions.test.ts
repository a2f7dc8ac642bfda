import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { type DType, type FirstOrderPrim, Prim, sizeOf } from "../../ir/index.js";
import { h, run1, runRef } from "../../../tests/property/ref-run.js";
import { shapedData } from "../../../tests/property/generators.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { forEachIndex } from "./ref-array.js";

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);
const red = (p: FirstOrderPrim, data: number[], shape: number[], axes: number[], d: DType = "float32") =>
  runRef(p, [h(data, d, shape)], { axes } as never)[0];
const is = (got: number[], want: number[]) =>
  got.forEach((g, i) => expect(Object.is(g, want[i]), `element ${i}: got ${g}, want ${want[i]}`).toBe(true));

describe("reductions over axes", () => {
  const x = [1, 2, 3, 4, 5, 6]; // [[1,2,3],[4,5,6]]
  it("sum, prod, max, min over each axis and all", () => {
    expect(red(Prim.ReduceSum, x, [2, 3], [0]).data).toEqual([5, 7, 9]);
    expect(red(Prim.ReduceSum, x, [2, 3], [1]).data).toEqual([6, 15]);
    expect(red(Prim.ReduceSum, x, [2, 3], [0, 1]).data).toEqual([21]);
    expect(red(Prim.ReduceProd, x, [2, 3], [1]).data).toEqual([6, 120]);
    expect(red(Prim.ReduceMax, x, [2, 3], [0]).data).toEqual([4, 5, 6]);
    expect(red(Prim.ReduceMin, x, [2, 3], [1]).data).toEqual([1, 4]);
    expect(red(Prim.ReduceSum, x, [2, 3], []).data).toEqual(x);
  });
  it("3-D, non-adjacent axes", () => {
    const r = red(Prim.ReduceSum, iota(24), [2, 3, 4], [0, 2]);
    expect(r.shape).toEqual([3]);
    expect(r.data).toEqual([0, 1, 2].map((j) => [0, 1].reduce((a, i) => a + [0, 1, 2, 3].reduce((b, k) => b + i * 12 + j * 4 + k, 0), 0)));
  });
  it("empty axes give the monoid identities", () => {
    const empty = (p: FirstOrderPrim, d: DType) => red(p, [], [0, 2], [0], d).data;
    is(empty(Prim.ReduceSum, "float32"), [0, 0]);
    is(empty(Prim.ReduceProd, "float32"), [1, 1]);
    is(empty(Prim.ReduceMax, "float32"), [-Infinity, -Infinity]);
    is(empty(Prim.ReduceMin, "float32"), [Infinity, Infinity]);
    is(empty(Prim.ReduceMax, "int32"), [-2147483648, -2147483648]);
    is(empty(Prim.ReduceMin, "int32"), [2147483647, 2147483647]);
    is(empty(Prim.ReduceMax, "uint32"), [0, 0]);
    is(empty(Prim.ReduceMin, "uint32"), [4294967295, 4294967295]);
    is(empty(Prim.ReduceMax, "bool"), [0, 0]);
    is(empty(Prim.ReduceMin, "bool"), [1, 1]);
    is(empty(Prim.ReduceAnd, "bool"), [1, 1]);
    is(empty(Prim.ReduceOr, "bool"), [0, 0]);
    is(empty(Prim.ReduceXor, "bool"), [0, 0]);
    is(empty(Prim.ReduceAnd, "int32"), [-1, -1]);
    is(empty(Prim.ReduceAnd, "uint32"), [4294967295, 4294967295]);
  });
  it("max/min propagate NaN wherever it is", () => {
    is(red(Prim.ReduceMax, [NaN, 1, 2, 1, NaN, 2, 1, 2, 3], [3, 3], [1]).data, [NaN, NaN, 3]);
    is(red(Prim.ReduceMin, [1, 2, NaN], [3], [0]).data, [NaN]);
    is(red(Prim.ReduceMax, [-Infinity, -Infinity], [2], [0]).data, [-Infinity]);
    is(red(Prim.ReduceSum, [1, NaN], [2], [0]).data, [NaN]);
  });
  it("bool and bitwise monoids", () => {
    expect(red(Prim.ReduceAnd, [1, 1, 0, 1], [2, 2], [1], "bool").data).toEqual([1, 0]);
    expect(red(Prim.ReduceOr, [0, 0, 0, 1], [2, 2], [1], "bool").data).toEqual([0, 1]);
    expect(red(Prim.ReduceXor, [1, 1, 1, 0], [2, 2], [1], "bool").data).toEqual([0, 1]);
    expect(red(Prim.ReduceAnd, [12, 10], [2], [0], "int32").data).toEqual([8]);
    expect(red(Prim.ReduceOr, [12, 10], [2], [0], "uint32").data).toEqual([14]);
    expect(red(Prim.ReduceXor, [12, 10, 1], [3], [0], "int32").data).toEqual([7]);
    expect(red(Prim.ReduceAnd, [0xffffffff, 0x80000001], [2], [0], "uint32").data).toEqual([0x80000001]);
  });
  it("integer sums and products wrap", () => {
    expect(red(Prim.ReduceSum, [2147483647, 1], [2], [0], "int32").data).toEqual([-2147483648]);
    expect(red(Prim.ReduceSum, [4294967295, 2], [2], [0], "uint32").data).toEqual([1]);
    expect(red(Prim.ReduceProd, [65536, 65536, 3], [3], [0], "int32").data).toEqual([0]);
    expect(red(Prim.ReduceProd, [65537, 65537], [2], [0], "uint32").data).toEqual([131073]);
    expect(red(Prim.ReduceProd, [-3, 5], [2], [0], "int32").data).toEqual([-15]);
  });
  it("float32 sums accumulate in float64 and round once", () => {
    // 2^24 + 1 + 1: pairwise float32 adds would give 2^24; exact sum 2^24 + 2 is representable.
    expect(red(Prim.ReduceSum, [2 ** 24, 1, 1], [3], [0]).data).toEqual([2 ** 24 + 2]);
    expect(red(Prim.ReduceSum, [0.1, 0.2], [2], [0]).data).toEqual([Math.fround(Math.fround(0.1) + Math.fround(0.2))]);
  });
  it("sum over axes equals a naive loop (property)", () => {
    fc.assert(fc.property(shapedData({ minRank: 1, maxRank: 4 }).chain((x) =>
      fc.subarray(iota(x.shape.length)).map((axes) => ({ ...x, axes }))), ({ shape, data, axes }) => {
      const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const outShape = kept.map((i) => shape[i]);
      const want = new Array(sizeOf(outShape)).fill(0);
      const mx = new Array(sizeOf(outShape)).fill(-Infinity);
      forEachIndex(shape, (idx, flat) => {
        let j = 0;
        for (const k of kept) j = j * shape[k] + idx[k];
        want[j] += data[flat];
        mx[j] = Math.max(mx[j], data[flat]);
      });
      const got = red(Prim.ReduceSum, data, shape, axes);
      expect(got.shape).toEqual(outShape);
      expect(got.data).toEqual(want.map(Math.fround));
      expect(red(Prim.ReduceMax, data, shape, axes).data).toEqual(mx);
    }), { numRuns: propertyRuns(100) });
  });
});

describe("argmax / argmin", () => {
  const arg = (p: Prim.Argmax | Prim.Argmin, data: number[], shape: number[], axis: number, d: DType = "float32") =>
    run1(p, [h(data, d, shape)], { axes: [axis], indexDtype: "int32" });
  it("pick the extremum along the axis", () => {
    expect(arg(Prim.Argmax, [1, 5, 3, 9, 2, 4], [2, 3], 1)).toEqual([1, 0]);
    expect(arg(Prim.Argmax, [1, 5, 3, 9, 2, 4], [2, 3], 0)).toEqual([1, 0, 1]);
    expect(arg(Prim.Argmin, [1, 5, 3, 9, 2, 4], [2, 3], 1)).toEqual([0, 1]);
  });
  it("ties pick the first index", () => {
    expect(arg(Prim.Argmax, [2, 7, 7, 1], [4], 0)).toEqual([1]);
    expect(arg(Prim.Argmin, [3, 0, 5, 0], [4], 0)).toEqual([1]);
    expect(arg(Prim.Argmax, [-0, 0], [2], 0)).toEqual([0]);
  });
  it("the first NaN wins", () => {
    expect(arg(Prim.Argmax, [1, NaN, 9, NaN], [4], 0)).toEqual([1]);
    expect(arg(Prim.Argmin, [1, -5, NaN], [3], 0)).toEqual([2]);
    expect(arg(Prim.Argmax, [NaN, 1], [2], 0)).toEqual([0]);
  });
  it("ints, uint32 and bool", () => {
    expect(arg(Prim.Argmax, [-2147483648, -5], [2], 0, "int32")).toEqual([1]);
    expect(arg(Prim.Argmax, [1, 4294967295], [2], 0, "uint32")).toEqual([1]);
    expect(arg(Prim.Argmin, [1, 0, 0], [3], 0, "bool")).toEqual([1]);
  });
  it("index dtype param", () => {
    const r = runRef(Prim.Argmax, [h([1, 2])], { axes: [0], indexDtype: "uint32" })[0];
    expect([r.dtype, r.data]).toEqual(["uint32", [1]]);
  });
});

describe("cumulative scans", () => {
  const cum = (p: FirstOrderPrim, data: number[], shape: number[], axis: number, reverse = false, d: DType = "float32") =>
    run1(p, [h(data, d, shape)], { axis, reverse } as never);
  it("cumsum forward and reverse, along each axis", () => {
    expect(cum(Prim.Cumsum, [1, 2, 3, 4], [4], 0)).toEqual([1, 3, 6, 10]);
    expect(cum(Prim.Cumsum, [1, 2, 3, 4], [4], 0, true)).toEqual([10, 9, 7, 4]);
    expect(cum(Prim.Cumsum, [1, 2, 3, 4, 5, 6], [2, 3], 1)).toEqual([1, 3, 6, 4, 9, 15]);
    expect(cum(Prim.Cumsum, [1, 2, 3, 4, 5, 6], [2, 3], 0)).toEqual([1, 2, 3, 5, 7, 9]);
    expect(cum(Prim.Cumsum, [1, 2, 3, 4, 5, 6], [2, 3], 0, true)).toEqual([5, 7, 9, 4, 5, 6]);
  });
  it("cumprod, cummax, cummin (NaN sticks)", () => {
    expect(cum(Prim.Cumprod, [1, 2, 3, 4], [4], 0)).toEqual([1, 2, 6, 24]);
    expect(cum(Prim.Cumprod, [1, 2, 3, 4], [4], 0, true)).toEqual([24, 24, 12, 4]);
    expect(cum(Prim.Cummax, [1, 3, 2, 5], [4], 0)).toEqual([1, 3, 3, 5]);
    expect(cum(Prim.Cummin, [4, 3, 5, 1], [4], 0, true)).toEqual([1, 1, 1, 1]);
    is(cum(Prim.Cummax, [1, NaN, 5], [3], 0), [1, NaN, NaN]);
    is(cum(Prim.Cummin, [1, NaN, 5], [3], 0, true), [NaN, NaN, 5]);
  });
  it("cumlogsumexp, including infinities", () => {
    const got = cum(Prim.Cumlogsumexp, [0, 0, Math.log(2)], [3], 0, false, "float64");
    expect(got[0]).toBe(0);
    expect(got[1]).toBeCloseTo(Math.log(2), 15);
    expect(got[2]).toBeCloseTo(Math.log(4), 15);
    is(cum(Prim.Cumlogsumexp, [-Infinity, -Infinity, 0], [3], 0, false, "float64"), [-Infinity, -Infinity, 0]);
    is(cum(Prim.Cumlogsumexp, [1, Infinity, 2], [3], 0, false, "float64"), [1, Infinity, Infinity]);
    expect(cum(Prim.Cumlogsumexp, [1000, 1000], [2], 0, false, "float64")[1]).toBeCloseTo(1000 + Math.log(2), 12);
  });
  it("integer scans wrap", () => {
    expect(cum(Prim.Cumsum, [2147483647, 1, 1], [3], 0, false, "int32")).toEqual([2147483647, -2147483648, -2147483647]);
    expect(cum(Prim.Cumprod, [65536, 65536], [2], 0, false, "int32")).toEqual([65536, 0]);
    expect(cum(Prim.Cumsum, [4294967295, 2], [2], 0, false, "uint32")).toEqual([4294967295, 1]);
  });
  it("empty axes give empty results", () => {
    expect(cum(Prim.Cumsum, [], [2, 0], 1)).toEqual([]);
  });
  it("reverse scan equals rev(scan(rev(x))) and the last cumsum equals the sum (property)", () => {
    fc.assert(fc.property(shapedData({ minRank: 1, maxRank: 3 }).chain((x) => fc.nat({ max: x.shape.length - 1 }).map((axis) => ({ ...x, axis }))), ({ shape, data, axis }) => {
      const x = h(data, "float64", shape);
      const rev = (d: number[]) => run1(Prim.Rev, [h(d, "float64", shape)], { dimensions: [axis] });
      const fwd = run1(Prim.Cumsum, [h(rev(data), "float64", shape)], { axis, reverse: false });
      expect(run1(Prim.Cumsum, [x], { axis, reverse: true })).toEqual(rev(fwd));
      const sum = run1(Prim.ReduceSum, [x], { axes: [axis] });
      const last = run1(Prim.Slice, [h(run1(Prim.Cumsum, [x], { axis, reverse: false }), "float64", shape)], {
        startIndices: shape.map((d, i) => (i === axis ? d - 1 : 0)),
        limitIndices: [...shape],
        strides: null,
      });
      expect(last).toEqual(sum);
    }), { numRuns: propertyRuns() });
  });
});
