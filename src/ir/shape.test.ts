import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  broadcastShapes, checkShape, isDim, normalizeAxes, normalizeAxis, shapeEqual, shapeStr, sizeOf, stridesOf,
} from "./shape.js";
import { broadcastPair, nonBroadcastPair, shape } from "../../tests/property/generators.js";
import { propertyRuns } from "../../tests/helpers/assert.js";

/** NumPy's broadcasting rule, written independently: right-align, then each column is max or fails. */
function refBroadcast(...shapes: number[][]): number[] | null {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let k = 1; k <= rank; k++) {
    const col = shapes.map((s) => (k <= s.length ? s[s.length - k] : 1));
    const non1 = [...new Set(col.filter((d) => d !== 1))];
    if (non1.length > 1) return null;
    out.unshift(non1.length ? non1[0] : 1);
  }
  return out;
}

describe("sizes, strides and printing", () => {
  it("sizeOf", () => {
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([2, 0, 4])).toBe(0);
  });
  it("stridesOf is row-major", () => {
    expect(stridesOf([])).toEqual([]);
    expect(stridesOf([5])).toEqual([1]);
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(stridesOf([2, 0, 3])).toEqual([0, 3, 1]);
  });
  it("shapeStr prints Python tuples", () => {
    expect(shapeStr([])).toBe("()");
    expect(shapeStr([3])).toBe("(3,)");
    expect(shapeStr([2, 3])).toBe("(2, 3)");
  });
  it("shapeEqual", () => {
    expect(shapeEqual([2, 3], [2, 3])).toBe(true);
    expect(shapeEqual([2, 3], [3, 2])).toBe(false);
    expect(shapeEqual([1], [])).toBe(false);
  });
  it("isDim and checkShape", () => {
    expect([0, 1, 7].every(isDim)).toBe(true);
    expect([-1, 1.5, NaN, Infinity, "2"].some(isDim)).toBe(false);
    expect(checkShape("np.zeros", [2, 0])).toEqual([2, 0]);
    expect(() => checkShape("np.zeros", [2, -1])).toThrow(/^np\.zeros: shape must be an array of non-negative integers; received \[2,-1\]/);
    expect(() => checkShape("np.ones", 3)).toThrow(TypeError);
    expect(() => checkShape("np.ones", [1.5])).toThrow(/np\.ones/);
  });
});

describe("normalizeAxis", () => {
  it("resolves negative axes", () => {
    expect(normalizeAxis("sum", -1, 3)).toBe(2);
    expect(normalizeAxis("sum", -3, 3)).toBe(0);
    expect(normalizeAxis("sum", 2, 3)).toBe(2);
  });
  it("rejects out-of-range and non-integer axes with the valid range", () => {
    expect(() => normalizeAxis("np.sum", 3, 3)).toThrow(RangeError);
    expect(() => normalizeAxis("np.sum", 3, 3)).toThrow("np.sum: axis 3 is out of bounds for an array of rank 3; expected an integer in [-3, 2].");
    expect(() => normalizeAxis("np.sum", -4, 3)).toThrow(/axis -4 is out of bounds/);
    expect(() => normalizeAxis("np.sum", 0.5, 3)).toThrow(/axis 0.5/);
    expect(() => normalizeAxis("np.sum", 0, 0)).toThrow(/a scalar has no axes/);
  });
  it("normalizeAxes rejects repeats after normalization", () => {
    expect(normalizeAxes("np.sum", [0, -1], 3)).toEqual([0, 2]);
    expect(() => normalizeAxes("np.sum", [2, -1], 3)).toThrow("np.sum: repeated axis in [2,-1].");
  });
  it("agrees with ((a % n) + n) % n on the valid range (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: -n, max: n - 1 }))), ([n, a]) => {
        expect(normalizeAxis("op", a, n)).toBe(((a % n) + n) % n);
      }),
      { numRuns: propertyRuns() },
    );
  });
});

describe("broadcastShapes", () => {
  it("known values", () => {
    expect(broadcastShapes("add", [3, 1], [4])).toEqual([3, 4]);
    expect(broadcastShapes("add", [], [2, 3])).toEqual([2, 3]);
    expect(broadcastShapes("add", [5, 1, 4], [3, 1])).toEqual([5, 3, 4]);
    expect(broadcastShapes("add", [0], [1])).toEqual([0]);
    expect(broadcastShapes("add")).toEqual([]);
    expect(broadcastShapes("add", [2, 1], [1, 3], [4, 1, 1])).toEqual([4, 2, 3]);
  });
  it("the error names the op, both shapes, the dimension and the fix", () => {
    expect(() => broadcastShapes("np.add", [2, 3], [4])).toThrow(
      "np.add: shapes (2, 3), (4,) cannot be broadcast together: dimension -1 is 3 in one and 4 in another. " +
        "Each aligned dimension must be equal or 1; reshape or expand the inputs to fit.",
    );
    expect(() => broadcastShapes("np.add", [0], [2])).toThrow(RangeError);
  });
  it("matches the reference on broadcastable pairs (property)", () => {
    fc.assert(fc.property(broadcastPair(), ({ a, b, out }) => {
      expect(broadcastShapes("op", a, b)).toEqual(out);
      expect(refBroadcast(a, b)).toEqual(out);
      expect(broadcastShapes("op", b, a)).toEqual(out);
    }), { numRuns: propertyRuns(200) });
  });
  it("matches the reference on arbitrary shape lists, including failures (property)", () => {
    fc.assert(fc.property(fc.array(shape({ maxRank: 3, minDim: 0, maxDim: 3 }), { maxLength: 4 }), (shapes) => {
      const want = refBroadcast(...shapes);
      if (want === null) expect(() => broadcastShapes("op", ...shapes)).toThrow(RangeError);
      else expect(broadcastShapes("op", ...shapes)).toEqual(want);
    }), { numRuns: propertyRuns(300) });
  });
  it("rejects incompatible pairs (property)", () => {
    fc.assert(fc.property(nonBroadcastPair(), ({ a, b }) => {
      expect(refBroadcast(a, b)).toBeNull();
      expect(() => broadcastShapes("op", a, b)).toThrow(/cannot be broadcast together/);
    }), { numRuns: propertyRuns(100) });
  });
});
