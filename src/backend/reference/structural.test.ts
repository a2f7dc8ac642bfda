import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Prim, sizeOf, stridesOf } from "../../ir/index.js";
import { h, run1, runRef } from "../../../tests/property/ref-run.js";
import { shapedData } from "../../../tests/property/generators.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { forEachIndex, ravel, unravel } from "./ref-array.js";

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);
const arr = (shape: number[], data = iota(sizeOf(shape))) => h(data, "float32", shape);

describe("index helpers", () => {
  it("unravel/ravel round trip and forEachIndex is row-major", () => {
    const shape = [2, 3, 4];
    const st = stridesOf(shape);
    const seen: number[] = [];
    forEachIndex(shape, (idx, flat) => {
      expect(ravel(idx, st)).toBe(flat);
      expect(unravel(flat, shape)).toEqual(idx);
      seen.push(flat);
    });
    expect(seen).toEqual(iota(24));
    let calls = 0;
    forEachIndex([2, 0], () => calls++);
    forEachIndex([], () => calls++);
    expect(calls).toBe(1); // an empty shape visits nothing, a scalar once
  });
});

describe("broadcast_in_dim", () => {
  it("maps operand axes to output axes, expanding size-1 axes", () => {
    expect(run1(Prim.BroadcastInDim, [arr([3])], { shape: [2, 3], broadcastDimensions: [1] })).toEqual([0, 1, 2, 0, 1, 2]);
    expect(run1(Prim.BroadcastInDim, [arr([2])], { shape: [2, 3], broadcastDimensions: [0] })).toEqual([0, 0, 0, 1, 1, 1]);
    expect(run1(Prim.BroadcastInDim, [arr([1, 2])], { shape: [3, 2], broadcastDimensions: [0, 1] })).toEqual([0, 1, 0, 1, 0, 1]);
    expect(run1(Prim.BroadcastInDim, [h(7)], { shape: [2, 2], broadcastDimensions: [] })).toEqual([7, 7, 7, 7]);
    expect(run1(Prim.BroadcastInDim, [arr([2, 1])], { shape: [2, 4, 3], broadcastDimensions: [0, 2] })).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ]);
  });
});

describe("transpose and rev", () => {
  it("transpose permutes axes", () => {
    expect(run1(Prim.Transpose, [arr([2, 3])], { permutation: [1, 0] })).toEqual([0, 3, 1, 4, 2, 5]);
    // out[i, j, k] = x[j, k, i] for permutation [2, 0, 1]
    const out = runRef(Prim.Transpose, [arr([2, 3, 4])], { permutation: [2, 0, 1] })[0];
    expect(out.shape).toEqual([4, 2, 3]);
    forEachIndex(out.shape, ([i, j, k], flat) => expect(out.data[flat]).toBe(j * 12 + k * 4 + i));
  });
  it("transposing twice by a permutation and its inverse is the identity (property)", () => {
    fc.assert(fc.property(shapedData({ minRank: 1, maxRank: 4 }).chain((x) =>
      fc.shuffledSubarray(iota(x.shape.length), { minLength: x.shape.length, maxLength: x.shape.length }).map((p) => ({ ...x, p }))), ({ shape, data, p }) => {
      const inv = p.map((_, i) => p.indexOf(i));
      const t = runRef(Prim.Transpose, [h(data, "float32", shape)], { permutation: p })[0];
      expect(t.shape).toEqual(p.map((a) => shape[a]));
      expect(run1(Prim.Transpose, [h(t.data, "float32", t.shape)], { permutation: inv })).toEqual(data.map(Math.fround));
    }), { numRuns: propertyRuns() });
  });
  it("rev reverses the given axes", () => {
    expect(run1(Prim.Rev, [arr([4])], { dimensions: [0] })).toEqual([3, 2, 1, 0]);
    expect(run1(Prim.Rev, [arr([2, 3])], { dimensions: [1] })).toEqual([2, 1, 0, 5, 4, 3]);
    expect(run1(Prim.Rev, [arr([2, 3])], { dimensions: [0, 1] })).toEqual([5, 4, 3, 2, 1, 0]);
    expect(run1(Prim.Rev, [arr([2, 3])], { dimensions: [] })).toEqual(iota(6));
  });
});

describe("reshape, squeeze, expand_dims, copy keep row-major data", () => {
  it("copies unchanged", () => {
    expect(run1(Prim.Reshape, [arr([2, 3])], { newSizes: [3, 2] })).toEqual(iota(6));
    expect(run1(Prim.Squeeze, [arr([1, 3, 1])], { dimensions: [0, 2] })).toEqual(iota(3));
    expect(run1(Prim.ExpandDims, [arr([3])], { dimensions: [0] })).toEqual(iota(3));
    expect(run1(Prim.Copy, [h([1, -0, NaN])], {})).toEqual([1, -0, NaN]);
    expect(run1(Prim.StopGradient, [h([5], "int32")], {})).toEqual([5]);
  });
});

describe("pad", () => {
  const pad = (shape: number[], cfg: [number, number, number][], v = -1) => runRef(Prim.Pad, [arr(shape), h(v)], { paddingConfig: cfg })[0];
  it("low/high padding", () => {
    expect(pad([3], [[1, 2, 0]]).data).toEqual([-1, 0, 1, 2, -1, -1]);
  });
  it("interior padding", () => {
    expect(pad([3], [[0, 0, 2]]).data).toEqual([0, -1, -1, 1, -1, -1, 2]);
    expect(pad([3], [[1, 1, 1]]).data).toEqual([-1, 0, -1, 1, -1, 2, -1]);
  });
  it("negative padding crops, also together with interior padding", () => {
    expect(pad([5], [[-1, -2, 0]]).data).toEqual([1, 2]);
    expect(pad([3], [[-1, 0, 1]]).data).toEqual([-1, 1, -1, 2]); // [0 p 1 p 2] without its first
    expect(pad([3], [[0, -2, 1]]).data).toEqual([0, -1, 1]);
    expect(pad([2], [[-3, 2, 0]]).data).toEqual([-1]);
  });
  it("2-D mixes", () => {
    const r = pad([2, 2], [[1, 0, 0], [0, 1, 1]]);
    expect(r.shape).toEqual([3, 4]);
    expect(r.data).toEqual([-1, -1, -1, -1, 0, -1, 1, -1, 2, -1, 3, -1]);
  });
  it("pad agrees with a naive definition (property)", () => {
    const cfg = fc.tuple(fc.integer({ min: -2, max: 2 }), fc.integer({ min: -2, max: 2 }), fc.integer({ min: 0, max: 2 }));
    fc.assert(fc.property(fc.integer({ min: 0, max: 5 }), cfg, (n, [lo, hi, interior]) => {
      const full = n + Math.max(0, n - 1) * interior;
      fc.pre(lo + hi + full >= 0);
      // Build the padded sequence before cropping, then crop.
      const seq: number[] = [];
      for (let i = 0; i < Math.max(0, lo); i++) seq.push(-1);
      for (let i = 0; i < n; i++) {
        if (i > 0) for (let k = 0; k < interior; k++) seq.push(-1);
        seq.push(i);
      }
      for (let i = 0; i < Math.max(0, hi); i++) seq.push(-1);
      const want = seq.slice(Math.max(0, -lo), seq.length - Math.max(0, -hi));
      expect(pad([n], [[lo, hi, interior]]).data).toEqual(want);
    }), { numRuns: propertyRuns(200) });
  });
});

describe("concatenate, slice, iota", () => {
  it("concatenate along each axis", () => {
    expect(run1(Prim.Concatenate, [arr([2]), arr([3], [5, 6, 7])], { dimension: 0 })).toEqual([0, 1, 5, 6, 7]);
    expect(run1(Prim.Concatenate, [arr([2, 1], [1, 2]), arr([2, 2], [3, 4, 5, 6])], { dimension: 1 })).toEqual([1, 3, 4, 2, 5, 6]);
    expect(run1(Prim.Concatenate, [arr([0, 2]), arr([1, 2])], { dimension: 0 })).toEqual([0, 1]);
  });
  it("slice with strides", () => {
    expect(run1(Prim.Slice, [arr([10])], { startIndices: [2], limitIndices: [9], strides: [3] })).toEqual([2, 5, 8]);
    expect(run1(Prim.Slice, [arr([10])], { startIndices: [2], limitIndices: [8], strides: [3] })).toEqual([2, 5]);
    expect(run1(Prim.Slice, [arr([3, 4])], { startIndices: [1, 1], limitIndices: [3, 4], strides: [1, 2] })).toEqual([5, 7, 9, 11]);
    expect(run1(Prim.Slice, [arr([3, 4])], { startIndices: [0, 1], limitIndices: [2, 3], strides: null })).toEqual([1, 2, 5, 6]);
  });
  it("slice of a concatenation gives the parts back (property)", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 3 }), (a, b, rows) => {
      const x = iota(rows * a).map((v) => v + 100);
      const y = iota(rows * b).map((v) => -v);
      const c = runRef(Prim.Concatenate, [h(x, "int32", [rows, a]), h(y, "int32", [rows, b])], { dimension: 1 })[0];
      expect(c.shape).toEqual([rows, a + b]);
      const back = run1(Prim.Slice, [h(c.data, "int32", c.shape)], { startIndices: [0, a], limitIndices: [rows, a + b], strides: null });
      expect(back).toEqual(y.map((v) => v + 0));
    }), { numRuns: propertyRuns() });
  });
  it("iota along a dimension", () => {
    expect(run1(Prim.Iota, [], { dtype: "int32", shape: [2, 3], dimension: 1 })).toEqual([0, 1, 2, 0, 1, 2]);
    expect(run1(Prim.Iota, [], { dtype: "float32", shape: [2, 3], dimension: 0 })).toEqual([0, 0, 0, 1, 1, 1]);
    expect(runRef(Prim.Iota, [], { dtype: "uint32", shape: [4], dimension: 0 })[0].raw).toBeInstanceOf(Uint32Array);
  });
});

describe("dynamic_slice and dynamic_update_slice clamp their starts", () => {
  const ds = (starts: number[], sizes: number[]) =>
    run1(Prim.DynamicSlice, [arr([3, 4]), ...starts.map((s) => h(s, "int32"))], { sliceSizes: sizes });
  it("in bounds", () => {
    expect(ds([1, 1], [2, 2])).toEqual([5, 6, 9, 10]);
  });
  it("clamped so the slice fits", () => {
    expect(ds([2, 3], [2, 2])).toEqual([6, 7, 10, 11]); // starts clamp to (1, 2)
    expect(ds([-5, -1], [1, 3])).toEqual([0, 1, 2]);
    expect(ds([100, 0], [3, 1])).toEqual([0, 4, 8]);
  });
  it("dynamic_update_slice writes the update at clamped starts", () => {
    const dus = (start: number) =>
      run1(Prim.DynamicUpdateSlice, [arr([5]), h([-1, -2], "float32"), h(start, "int32")], {});
    expect(dus(1)).toEqual([0, -1, -2, 3, 4]);
    expect(dus(4)).toEqual([0, 1, 2, -1, -2]);
    expect(dus(-3)).toEqual([-1, -2, 2, 3, 4]);
  });
});
