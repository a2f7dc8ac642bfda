import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { type DType, type GatherScatterMode, Prim, type PrimParams } from "../../ir/index.js";
import { h, run1 } from "../../../tests/property/ref-run.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { defaultFillValue } from "./indexing.js";

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Rows of a 2-D operand: x[idx] with one index per row, collapsed. */
const rows = (mode: GatherScatterMode, cols: number, fillValue: number | null = null): PrimParams[Prim.Gather] => ({
  dimensionNumbers: { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0], operandBatchingDims: [], startIndicesBatchingDims: [] },
  sliceSizes: [1, cols],
  indicesAreSorted: false,
  uniqueIndices: false,
  mode,
  fillValue,
});

const points = (mode: GatherScatterMode): PrimParams[Prim.Scatter] => ({
  dimensionNumbers: { updateWindowDims: [], insertedWindowDims: [0], scatterDimsToOperandDims: [0], operandBatchingDims: [], scatterIndicesBatchingDims: [] },
  indicesAreSorted: false,
  uniqueIndices: false,
  mode,
});

const x34 = h(iota(12), "float32", [3, 4]);

describe("gather", () => {
  it("takes rows in clip mode, clamping out-of-bounds starts", () => {
    const idx = h([2, 0, -5, 9], "int32", [4, 1]);
    expect(run1(Prim.Gather, [x34, idx], rows("clip", 4))).toEqual([8, 9, 10, 11, 0, 1, 2, 3, 0, 1, 2, 3, 8, 9, 10, 11]);
    expect(run1(Prim.Gather, [x34, idx], rows("promise_in_bounds", 4))).toEqual(run1(Prim.Gather, [x34, idx], rows("clip", 4)));
  });

  it("fills whole out-of-bounds windows in fill mode", () => {
    const idx = h([1, 3, -1], "int32", [3, 1]);
    expect(run1(Prim.Gather, [x34, idx], rows("fill", 4, -7))).toEqual([4, 5, 6, 7, -7, -7, -7, -7, -7, -7, -7, -7]);
    // A [2, 2] window starting at (1, 3) leaves the operand, so all of it is filled.
    const win: PrimParams[Prim.Gather] = {
      ...rows("fill", 2),
      dimensionNumbers: { ...rows("fill", 2).dimensionNumbers, offsetDims: [1, 2], collapsedSliceDims: [], startIndexMap: [0, 1] },
      sliceSizes: [2, 2],
    };
    const got = run1(Prim.Gather, [x34, h([0, 1, 1, 3], "int32", [2, 2])], win);
    expect(got.slice(0, 4)).toEqual([1, 2, 5, 6]);
    expect(got.slice(4).every(Number.isNaN)).toBe(true);
    // In clip mode the same window is moved back inside: start (1, 2).
    expect(run1(Prim.Gather, [x34, h([1, 3], "int32", [1, 2])], { ...win, mode: "clip" })).toEqual([6, 7, 10, 11]);
  });

  it("uses JAX's default fill values per dtype", () => {
    const cases: [DType, number][] = [["float32", NaN], ["int32", -2147483648], ["uint32", 4294967295], ["bool", 1]];
    for (const [d, v] of cases) {
      expect(defaultFillValue(d)).toBe(v);
      const got = run1(Prim.Gather, [h([1, 0], d, [2, 1]), h([5], "int32", [1, 1])], rows("fill", 1));
      expect(got).toEqual([v]);
    }
  });

  it("reads uint32 indices and places batch axes around offset axes", () => {
    // x[:, idx] for idx [2, 2]: output [3, 2, 2] with batch axes after the kept axis
    const p: PrimParams[Prim.Gather] = {
      ...rows("clip", 1),
      dimensionNumbers: { ...rows("clip", 1).dimensionNumbers, offsetDims: [0], collapsedSliceDims: [1], startIndexMap: [1] },
      sliceSizes: [3, 1],
    };
    const got = run1(Prim.Gather, [x34, h([3, 0, 1, 1], "uint32", [2, 2, 1])], p);
    expect(got).toEqual([3, 0, 1, 1, 7, 4, 5, 5, 11, 8, 9, 9]);
  });

  it("equals a JS loop for random row takes (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -6, max: 8 }), { maxLength: 10 }), (idx) => {
        const got = run1(Prim.Gather, [x34, h(idx, "int32", [idx.length, 1])], rows("clip", 4));
        const want = idx.flatMap((i) => iota(4).map((j) => Math.min(Math.max(i, 0), 2) * 4 + j));
        expect(got).toEqual(want);
      }),
      { numRuns: propertyRuns() },
    );
  });
});

describe("scatter family", () => {
  const x = h([1, 2, 3, 4], "float32");
  const idx = h([0, 2, 0, 7, -1], "int32", [5, 1]);
  const u = h([10, 20, 30, 40, 50], "float32");

  it("combines duplicates and drops out-of-bounds updates in fill mode", () => {
    expect(run1(Prim.Scatter, [x, idx, u], points("fill"))).toEqual([30, 2, 20, 4]);
    expect(run1(Prim.ScatterAdd, [x, idx, u], points("fill"))).toEqual([41, 2, 23, 4]);
    expect(run1(Prim.ScatterMul, [x, idx, u], points("fill"))).toEqual([300, 2, 60, 4]);
    expect(run1(Prim.ScatterMin, [x, idx, h([5, -1, 0, 9, 9])], points("fill"))).toEqual([0, 2, -1, 4]);
    expect(run1(Prim.ScatterMax, [x, idx, h([5, -1, 0, 9, 9])], points("fill"))).toEqual([5, 2, 3, 4]);
  });

  it("clamps out-of-bounds updates in clip mode", () => {
    expect(run1(Prim.ScatterAdd, [x, idx, u], points("clip"))).toEqual([1 + 10 + 30 + 50, 2, 23, 4 + 40]);
  });

  it("wraps int32 arithmetic and propagates NaN in min/max", () => {
    const big = h([2147483647, 65536], "int32");
    const i2 = h([0, 1], "int32", [2, 1]);
    expect(run1(Prim.ScatterAdd, [big, i2, h([1, 0], "int32")], points("fill"))).toEqual([-2147483648, 65536]);
    expect(run1(Prim.ScatterMul, [big, i2, h([1, 65536], "int32")], points("fill"))).toEqual([2147483647, 0]);
    expect(run1(Prim.ScatterMax, [h([1, 2]), i2, h([NaN, 0])], points("fill"))[0]).toBeNaN();
    expect(run1(Prim.ScatterAdd, [h([0, 1], "bool"), i2, h([1, 1], "bool")], points("fill"))).toEqual([1, 1]);
  });

  it("writes windows and drops a window that does not fit", () => {
    const p: PrimParams[Prim.Scatter] = {
      ...points("fill"),
      dimensionNumbers: { ...points("fill").dimensionNumbers, updateWindowDims: [1, 2], insertedWindowDims: [], scatterDimsToOperandDims: [0, 1] },
    };
    const zeros = h(new Array(12).fill(0), "float32", [3, 4]);
    const got = run1(Prim.Scatter, [zeros, h([1, 2, 2, 3], "int32", [2, 2]), h([1, 2, 3, 4, 5, 6, 7, 8], "float32", [2, 2, 2])], p);
    expect(got).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4]);
    const clipped = run1(Prim.Scatter, [zeros, h([2, 3], "int32", [1, 2]), h([1, 2, 3, 4], "float32", [1, 2, 2])], { ...p, mode: "clip" });
    expect(clipped).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4]);
  });
});
