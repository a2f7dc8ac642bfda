import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { makeJaxpr, np } from "../index.js";
import { ShapeError } from "../ir/index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";

describe("np.convolve", () => {
  it("matches NumPy's documented examples", () => {
    expectArray(np.convolve([1, 2, 3], [0, 1, 0.5]), [0, 1, 2.5, 4, 1.5], { dtype: "float32" });
    expectArray(np.convolve([1, 2, 3], [0, 1, 0.5], { mode: "same" }), [1, 2.5, 4]);
    expectArray(np.convolve([1, 2, 3], [0, 1, 0.5], { mode: "valid" }), [2.5]);
  });

  it("is symmetric in its arguments, even-length kernels included", () => {
    expectArray(np.convolve([1, 2, 3, 4], [1, 1], { mode: "same" }), [1, 3, 5, 7]);
    expectArray(np.convolve([1, 1], [1, 2, 3, 4], { mode: "same" }), [1, 3, 5, 7]);
    expectArray(np.convolve([1, 1], [1, 2, 3, 4]), [1, 3, 5, 7, 4]);
  });

  it("promotes integers to float and keeps float64", () => {
    expect(np.convolve(np.arange(3), np.arange(2)).dtype).toBe("float32");
    const d = np.array([1, 2], { dtype: "float64" });
    expect(np.convolve(d, d).dtype).toBe("float64");
  });

  it("agrees with the polynomial-product definition on random inputs", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 7 }),
        fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 7 }),
        (a, v) => {
          const full = new Array(a.length + v.length - 1).fill(0);
          a.forEach((x, i) => v.forEach((y, j) => (full[i + j] += x * y)));
          expectArray(np.convolve(a, v), full);
        },
      ),
      { numRuns: propertyRuns() },
    );
  });

  it("traces to a single convolution", () => {
    const j = makeJaxpr((a: np.Array, b: np.Array) => np.convolve(a, b))(np.zeros([5]), np.zeros([3]));
    expect(j.toString()).toContain("conv_general_dilated");
    expect(j.toString()).toContain("f32[7]");
  });

  it("rejects non-1-D, empty inputs and unknown modes", () => {
    expect(() => np.convolve(np.zeros([2, 2]), [1])).toThrow(/np\.convolve: expected two 1-D arrays, received shapes \(2, 2\) and \(1,\)/);
    expect(() => np.convolve(np.zeros([0]), [1])).toThrow(ShapeError);
    expect(() => np.convolve([1], [1], { mode: "wide" as "full" })).toThrow(/mode must be "full", "same" or "valid"/);
  });
});

describe("np.correlate", () => {
  it("matches NumPy's documented examples", () => {
    expectArray(np.correlate([1, 2, 3], [0, 1, 0.5]), [3.5]);
    expectArray(np.correlate([1, 2, 3], [0, 1, 0.5], { mode: "same" }), [2, 3.5, 3]);
    expectArray(np.correlate([1, 2, 3], [0, 1, 0.5], { mode: "full" }), [0.5, 2, 3.5, 3, 0]);
  });

  it("reverses the result when the inputs change places", () => {
    expectArray(np.correlate([0, 1, 0.5], [1, 2, 3], { mode: "full" }), [0, 3, 3.5, 2, 0.5]);
  });

  it("names itself in errors", () => {
    expect(() => np.correlate(np.zeros([2, 2]), [1])).toThrow(/np\.correlate/);
  });
});
