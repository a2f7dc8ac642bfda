import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grad, makeJaxpr, np } from "../index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";

const a23 = () => np.arange(6).reshape([2, 3]);
const list = (x: np.Array) => Array.from(x.dataSync(), Number);

describe("np.tile / np.repeat", () => {
  it("tiles with rank growth (NumPy values)", () => {
    expectArray(np.tile(a23(), [2, 1, 2]), [[[0, 1, 2, 0, 1, 2], [3, 4, 5, 3, 4, 5]], [[0, 1, 2, 0, 1, 2], [3, 4, 5, 3, 4, 5]]], { dtype: "int32" });
    expectArray(np.tile(np.array([0, 1]), 2), [0, 1, 0, 1]);
    expect(np.tile(np.array([1, 2]), 0).shape).toEqual([0]);
    expect(() => np.tile(np.array([1]), -1)).toThrow(/np\.tile.*non-negative/);
  });
  it("repeats scalar and per-element counts", () => {
    expectArray(np.repeat(np.array([[1, 2], [3, 4]]), 2), [1, 1, 2, 2, 3, 3, 4, 4]);
    expectArray(np.repeat(np.array([[1, 2], [3, 4]]), [1, 2], { axis: 0 }), [[1, 2], [3, 4], [3, 4]]);
    expectArray(np.repeat(a23(), [1, 0, 2], { axis: 1 }), [[0, 2, 2], [3, 5, 5]]);
    expect(() => np.repeat(a23(), [1, 2], { axis: 1 })).toThrow(/np\.repeat.*2 repeat counts.*length 3/);
  });
});

describe("flips, rolls, rotations and axis moves", () => {
  it("flips", () => {
    expectArray(np.flip(np.array([[1, 2], [3, 4]]), { axis: 1 }), [[2, 1], [4, 3]]);
    expectArray(np.flip(np.array([[1, 2], [3, 4]])), [[4, 3], [2, 1]]);
    expectArray(np.fliplr(np.eye(2)), [[0, 1], [1, 0]]);
    expectArray(np.flipud(np.array([1, 2, 3])), [3, 2, 1]);
    expect(() => np.fliplr(np.array([1, 2]))).toThrow(/rank >= 2/);
  });
  it("rolls flat, per axis and accumulated on one axis", () => {
    expectArray(np.roll(np.arange(5), 2), [3, 4, 0, 1, 2]);
    expectArray(np.roll(np.arange(5), -7), [2, 3, 4, 0, 1]);
    expectArray(np.roll(a23(), 1), [[5, 0, 1], [2, 3, 4]]);
    expectArray(np.roll(a23(), [1, -1], { axis: [0, 1] }), [[4, 5, 3], [1, 2, 0]]);
    expectArray(np.roll(a23(), [1, 1], { axis: [1, 1] }), [[1, 2, 0], [4, 5, 3]]);
    expect(() => np.roll(a23(), [1, 2, 3], { axis: [0, 1] })).toThrow(/same length/);
  });
  it("rotates like NumPy for every k and axes", () => {
    const b = np.arange(24).reshape([2, 3, 4]);
    expectArray(np.rot90(np.array([[1, 2], [3, 4]])), [[2, 4], [1, 3]]);
    expectArray(np.rot90(a23(), { k: -1 }), [[3, 0], [4, 1], [5, 2]]);
    expectArray(np.rot90(a23(), { k: 2 }), [[5, 4, 3], [2, 1, 0]]);
    expectArray(np.rot90(b, { axes: [1, 2] }), [[[3, 7, 11], [2, 6, 10], [1, 5, 9], [0, 4, 8]], [[15, 19, 23], [14, 18, 22], [13, 17, 21], [12, 16, 20]]]);
    expectArray(np.rot90(b, { k: 3, axes: [2, 0] }), [[[3, 15], [7, 19], [11, 23]], [[2, 14], [6, 18], [10, 22]], [[1, 13], [5, 17], [9, 21]], [[0, 12], [4, 16], [8, 20]]]);
    expect(() => np.rot90(b, { axes: [1, 1] })).toThrow(/must differ/);
  });
  it("moves, swaps and rolls axes", () => {
    const z = np.zeros([3, 4, 5, 6]);
    expect(np.moveaxis(z, [0, 1], [-1, -2]).shape).toEqual([5, 6, 4, 3]);
    expect(np.moveaxis(z, 0, -1).shape).toEqual([4, 5, 6, 3]);
    expect(np.rollaxis(z, 1, 4).shape).toEqual([3, 5, 6, 4]);
    expect(np.rollaxis(z, 3, 1).shape).toEqual([3, 6, 4, 5]);
    expectArray(np.swapaxes(a23(), 0, 1), [[0, 3], [1, 4], [2, 5]]);
    expect(() => np.moveaxis(z, [0, 1], [2])).toThrow(/same number of axes/);
    expect(() => np.swapaxes(z, 0, 4)).toThrow(/np\.swapaxes: axis 4 is out of bounds/);
  });
});

describe("atleast, stacks and splits", () => {
  it("lifts ranks like NumPy", () => {
    expect(np.atleast1d(5).shape).toEqual([1]);
    expect(np.atleast2d(np.arange(3)).shape).toEqual([1, 3]);
    expect(np.atleast3d(np.arange(3)).shape).toEqual([1, 3, 1]);
    expect(np.atleast3d(a23()).shape).toEqual([2, 3, 1]);
    expect(np.atleast1d(1, np.zeros([2, 2])).map((t) => t.shape)).toEqual([[1], [2, 2]]);
  });
  it("stacks", () => {
    expectArray(np.hstack([np.array([1]), np.array([2, 3])]), [1, 2, 3]);
    expect(np.hstack([a23(), a23()]).shape).toEqual([2, 6]);
    expectArray(np.vstack([np.array([1, 2]), np.array([3, 4])]), [[1, 2], [3, 4]]);
    expect(np.dstack([a23(), a23()]).shape).toEqual([2, 3, 2]);
    expectArray(np.columnStack([np.arange(2), a23()]), [[0, 0, 1, 2], [1, 3, 4, 5]]);
    expect(() => np.vstack([])).toThrow(/at least one/);
  });
  it("splits", () => {
    expect(np.hsplit(np.arange(4), 2).map(list)).toEqual([[0, 1], [2, 3]]);
    expect(np.hsplit(np.zeros([2, 4]), 2)[0].shape).toEqual([2, 2]);
    expect(np.vsplit(np.zeros([4, 2]), [1])[1].shape).toEqual([3, 2]);
    expect(np.dsplit(np.zeros([1, 1, 4]), 2)[0].shape).toEqual([1, 1, 2]);
    expect(() => np.vsplit(np.arange(4), 2)).toThrow(/rank >= 2/);
  });
});

describe("np.pad", () => {
  it("accepts NumPy's width forms with constant values", () => {
    expectArray(np.pad(np.array([1, 2, 3]), [1, 2]), [0, 1, 2, 3, 0, 0]);
    expectArray(np.pad(np.array([1, 2]), 1, { constantValues: 1.7 }), [1.7, 1, 2, 1.7]);
    expectArray(np.pad(np.array([1, 2], { dtype: "int32" }), 1, { constantValues: 1.7 }), [1, 1, 2, 1], { dtype: "int32" });
    expectArray(np.pad(np.array([[1, 2], [3, 4]], { dtype: "int32" }), [[1, 2], [2, 1]], { constantValues: [[10, 20], [30, 40]] }),
      [[30, 30, 10, 10, 40], [30, 30, 1, 2, 40], [30, 30, 3, 4, 40], [30, 30, 20, 20, 40], [30, 30, 20, 20, 40]]);
    expect(np.pad(np.zeros([2, 3]), [[1], [2]]).shape).toEqual([4, 7]);
  });
  it("matches NumPy for edge, wrap, reflect and symmetric, including wide pads", () => {
    expectArray(np.pad(np.array([1, 2]), 1, { mode: "edge" }), [1, 1, 2, 2]);
    expectArray(np.pad(np.array([1, 2, 3, 4, 5]), [2, 3], { mode: "reflect" }), [3, 2, 1, 2, 3, 4, 5, 4, 3, 2]);
    expectArray(np.pad(np.array([1, 2, 3, 4, 5]), [2, 3], { mode: "symmetric" }), [2, 1, 1, 2, 3, 4, 5, 5, 4, 3]);
    expectArray(np.pad(np.array([1, 2, 3]), [7, 8], { mode: "reflect" }), [2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3]);
    expectArray(np.pad(np.array([1, 2, 3]), [7, 8], { mode: "symmetric" }), [1, 1, 2, 3, 3, 2, 1, 1, 2, 3, 3, 2, 1, 1, 2, 3, 3, 2]);
    expectArray(np.pad(np.array([1]), 2, { mode: "reflect" }), [1, 1, 1, 1, 1]);
    expectArray(np.pad(a23(), [[1, 0], [2, 1]], { mode: "wrap" }), [[4, 5, 3, 4, 5, 3], [1, 2, 0, 1, 2, 0], [4, 5, 3, 4, 5, 3]]);
    expectArray(np.pad(a23(), [[2, 1], [3, 4]], { mode: "reflect" }),
      [[1, 2, 1, 0, 1, 2, 1, 0, 1, 2], [4, 5, 4, 3, 4, 5, 4, 3, 4, 5], [1, 2, 1, 0, 1, 2, 1, 0, 1, 2], [4, 5, 4, 3, 4, 5, 4, 3, 4, 5], [1, 2, 1, 0, 1, 2, 1, 0, 1, 2]]);
  });
  it("matches NumPy for ramps and statistics", () => {
    expectArray(np.pad(np.array([1, 2, 3, 4, 5], { dtype: "int32" }), [2, 3], { mode: "linear_ramp", endValues: [5, -4] }), [5, 3, 1, 2, 3, 4, 5, 2, -1, -4]);
    expectArray(np.pad(np.array([-10, 1], { dtype: "int32" }), 3, { mode: "linear_ramp" }), [0, -4, -7, -10, 1, 0, 0, 0]);
    expectArray(np.pad(a23().astype("float32"), [[1, 1], [2, 1]], { mode: "linear_ramp", endValues: [[1, 2], [3, 4]] }),
      [[3, 2, 1, 1, 1, 4], [3, 1.5, 0, 1, 2, 4], [3, 3, 3, 4, 5, 4], [3, 2.5, 2, 2, 2, 4]]);
    expectArray(np.pad(a23(), 1, { mode: "minimum" }), [[0, 0, 1, 2, 0], [0, 0, 1, 2, 0], [3, 3, 4, 5, 3], [0, 0, 1, 2, 0]]);
    expectArray(np.pad(np.array([[1, 2], [4, 8]]), 1, { mode: "mean" }), [[3.75, 2.5, 5, 3.75], [1.5, 1, 2, 1.5], [6, 4, 8, 6], [3.75, 2.5, 5, 3.75]]);
    expectArray(np.pad(np.array([1, 2, 2], { dtype: "int32" }), 1, { mode: "mean" }), [2, 1, 2, 2, 2]);
  });
  it("rejects bad widths and modes", () => {
    expect(() => np.pad(a23(), [[1, 2], [1, 2], [1, 2]])).toThrow(/np\.pad: padWidth.*rank 2/);
    expect(() => np.pad(a23(), -1)).toThrow(/non-negative/);
    expect(() => np.pad(a23(), 1, { mode: "bogus" as "edge" })).toThrow(/unknown mode/);
    expect(() => np.pad(np.zeros([0]), 1, { mode: "edge" })).toThrow(/empty axis/);
  });
});

describe("meshgrid, broadcasting, resize", () => {
  it("builds xy and ij grids", () => {
    const [X, Y] = np.meshgrid(np.arange(3), np.arange(2));
    expectArray(X, [[0, 1, 2], [0, 1, 2]]);
    expectArray(Y, [[0, 0, 0], [1, 1, 1]]);
    const [I, J] = np.meshgrid(np.arange(3), np.arange(2), { indexing: "ij" });
    expectArray(I, [[0, 0], [1, 1], [2, 2]]);
    expectArray(J, [[0, 1], [0, 1], [0, 1]]);
    expect(np.meshgrid(np.arange(3), np.arange(2), np.arange(2))[0].shape).toEqual([2, 3, 2]);
    expect(np.meshgrid(np.arange(3), np.arange(2), { sparse: true }).map((t) => t.shape)).toEqual([[1, 3], [2, 1]]);
  });
  it("broadcasts arrays and shapes", () => {
    expect(np.broadcastArrays(np.zeros([2, 1]), np.zeros([3])).map((t) => t.shape)).toEqual([[2, 3], [2, 3]]);
    expect(np.broadcastShapes([2, 1], [3], 1)).toEqual([2, 3]);
    expect(() => np.broadcastShapes([2], [3])).toThrow(/np\.broadcastShapes/);
  });
  it("resizes cyclically", () => {
    expectArray(np.resize(np.arange(3), [2, 4]), [[0, 1, 2, 0], [1, 2, 0, 1]]);
    expectArray(np.resize(np.zeros([0]), 2), [0, 0]);
  });
});

describe("append, insert, delete, shape queries", () => {
  it("appends", () => {
    expectArray(np.append(np.array([1, 2]), [[3], [4]]), [1, 2, 3, 4]);
    expectArray(np.append(a23(), a23(), { axis: 0 }), [[0, 1, 2], [3, 4, 5], [0, 1, 2], [3, 4, 5]]);
  });
  it("inserts like NumPy", () => {
    expectArray(np.insert(np.array([1, 2, 3]), 1, 9), [1, 9, 2, 3]);
    expectArray(np.insert(np.array([1, 2, 3]), [0, 3], [7, 8]), [7, 1, 2, 3, 8]);
    expectArray(np.insert(a23(), 2, 9), [0, 1, 9, 2, 3, 4, 5]);
    expectArray(np.insert(a23(), 1, [7, 8], { axis: 1 }), [[0, 7, 1, 2], [3, 8, 4, 5]]);
    expectArray(np.insert(a23(), 1, [[7], [8]], { axis: 1 }), [[0, 7, 8, 1, 2], [3, 7, 8, 4, 5]]);
    expectArray(np.insert(a23(), [1, 1, 3], [7, 8, 9], { axis: 1 }), [[0, 7, 8, 1, 2, 9], [3, 7, 8, 4, 5, 9]]);
    expect(() => np.insert(a23(), 5, 0, { axis: 1 })).toThrow(/np\.insert: index 5 is out of bounds/);
  });
  it("deletes", () => {
    expectArray(np.delete(np.array([1, 2, 3, 4]), [0, 2]), [2, 4]);
    expectArray(np.delete(a23(), [0, 2], { axis: 1 }), [[1], [4]]);
    expectArray(np.delete(a23(), -1), [0, 1, 2, 3, 4]);
    expect(() => np.delete(a23(), 3, { axis: 1 })).toThrow(/out of bounds/);
  });
  it("trims zeros eagerly and refuses to trace", () => {
    expectArray(np.trimZeros(np.array([0, 0, 1, 0, 2, 0])), [1, 0, 2]);
    expectArray(np.trimZeros(np.array([0, 1, 0]), "f"), [1, 0]);
    expect(np.trimZeros(np.zeros([3])).shape).toEqual([0]);
    expect(() => makeJaxpr((t: np.Array) => np.trimZeros(t))(np.zeros([3]))).toThrow(/np\.trimZeros.*tracing/);
  });
  it("answers ndim, shape and size for arrays and JS data", () => {
    expect(np.ndim([[1, 2]])).toBe(2);
    expect(np.shape([[1, 2]])).toEqual([1, 2]);
    expect(np.shape(3)).toEqual([]);
    expect(np.size(np.zeros([2, 3]))).toBe(6);
    expect(np.size(np.zeros([2, 3]), -1)).toBe(3);
    expectArray(np.copy(np.array([1, 2])), [1, 2]);
  });
});

describe("tracing and properties", () => {
  it("traces without reading values", () => {
    const f = (x: np.Array) => [np.pad(x, 2, { mode: "reflect" }), np.roll(x, 1, { axis: 1 }), np.tile(x, 2), np.repeat(x, [2, 1], { axis: 0 }), np.rot90(x)];
    const j = makeJaxpr(f)(np.zeros([2, 3]));
    expect(j.toString()).toContain("concatenate");
  });
  it("differentiates through pad, repeat and roll (gradients sum over copies)", () => {
    const w = (t: np.Array) => np.multiply(t, np.arange(t.size).astype("float32"));
    expectArray(grad((t: np.Array) => np.sum(w(np.pad(t, 2, { mode: "reflect" }))))(np.array([1, 2, 3])), [8, 9, 4]);
    expectArray(grad((t: np.Array) => np.sum(w(np.repeat(t, [1, 0, 2]))))(np.array([1, 2, 3])), [0, 0, 3]);
    expectArray(grad((t: np.Array) => np.sum(w(np.roll(t, 1))))(np.array([1, 2, 3])), [1, 2, 0]);
  });
  it("roll then roll back, flip twice, rot90 four times are identities", () => {
    const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });
    fc.assert(fc.property(shapeArb, fc.integer({ min: -9, max: 9 }), fc.nat(), (shape, shift, ax) => {
      const n = shape.reduce((p, q) => p * q, 1);
      const x = np.arange(n).reshape(shape);
      const axis = ax % shape.length;
      expect(list(np.roll(np.roll(x, shift, { axis }), -shift, { axis }))).toEqual(list(x));
      expect(list(np.roll(np.roll(x, shift), -shift))).toEqual(list(x));
      expect(list(np.flip(np.flip(x, { axis }), { axis }))).toEqual(list(x));
      if (shape.length >= 2) {
        let r = x;
        for (let i = 0; i < 4; i++) r = np.rot90(r);
        expect(list(r)).toEqual(list(x));
      }
    }), { numRuns: propertyRuns() });
  });
  it("delete undoes insert", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.nat(), (n, p) => {
      const x = np.arange(n);
      const i = p % (n + 1);
      expect(list(np.delete(np.insert(x, i, 99), i))).toEqual(list(x));
    }), { numRuns: propertyRuns() });
  });
});
