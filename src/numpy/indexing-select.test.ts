import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { makeJaxpr, np, TracerError } from "../index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";

describe("select and choose", () => {
  it("select picks the first true condition, else the default", () => {
    const x = np.arange(6);
    expectArray(np.select([np.less(x, 3), np.greater(x, 1)], [x, np.square(x)], 42), [0, 1, 2, 9, 16, 25], { dtype: "int32" });
    expectArray(np.select([np.less(x, 2)], [1.5]), [1.5, 1.5, 0, 0, 0, 0], { dtype: "float32" });
    expect(() => np.select([np.less(x, 3)], [x, x])).toThrow(/condlist has 1 entries but choicelist has 2/);
    expect(() => np.select([x], [x])).toThrow(/conditions must be boolean arrays, received i32\[6\]/);
  });

  it("choose indexes a list of choices elementwise", () => {
    const choices = [[0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23], [30, 31, 32, 33]];
    expectArray(np.choose([2, 3, 1, 0], choices.map((c) => np.array(c))), [20, 31, 12, 3]); // NumPy docs
    expectArray(np.choose([2, 4, 1, 0], np.array(choices), { mode: "clip" }), [20, 31, 12, 3]);
    expectArray(np.choose([2, -1, 1, 0], np.array(choices), { mode: "wrap" }), [20, 31, 12, 3]);
    expectArray(np.choose([[1, 0]], [np.array([[1], [2]]), 9]), [[9, 1], [9, 2]]);
    expect(() => np.choose([0, 4], [np.zeros([2]), np.ones([2])])).toThrow(/index out of range for 2 choices/);
  });
});

describe("nonzero family", () => {
  const m = () => np.array([[3, 0, 0], [0, 4, 0], [5, 6, 0]]);
  it("nonzero, argwhere and flatnonzero match NumPy", () => {
    const [r, c] = np.nonzero(m());
    expectArray(r, [0, 1, 2, 2], { dtype: "int32" }); // NumPy docs example
    expectArray(c, [0, 1, 0, 1], { dtype: "int32" });
    expectArray(np.argwhere(m()), [[0, 0], [1, 1], [2, 0], [2, 1]]);
    expectArray(np.flatnonzero(m()), [0, 4, 6, 7]);
    expect(np.argwhere(np.array(3)).shape).toEqual([1, 0]);
    expect(np.nonzero(np.zeros([2, 2]))[0].shape).toEqual([0]);
    expect(() => np.nonzero(np.array(1))).toThrow(/not defined for 0-d arrays/);
  });

  it("pads or truncates to a static size, and then traces", () => {
    const [r, c] = np.nonzero(m(), { size: 6, fillValue: -1 });
    expectArray(r, [0, 1, 2, 2, -1, -1]);
    expectArray(c, [0, 1, 0, 1, -1, -1]);
    expectArray(np.flatnonzero(m(), { size: 2 }), [0, 4]);
    expectArray(np.nonzero(m(), { size: 5, fillValue: [7, 8] })[1], [0, 1, 0, 1, 8]);
    const jaxpr = makeJaxpr((a: np.Array) => np.nonzero(a, { size: 2 }))(np.ones([3])).toString();
    expect(jaxpr).toMatch(/scatter\[/);
  });

  it("needs size inside a trace, with a helpful error", () => {
    const f = makeJaxpr((a: np.Array) => np.nonzero(a));
    expect(() => f(np.ones([3]))).toThrow(TracerError);
    expect(() => f(np.ones([3]))).toThrow(/np\.nonzero: .*Pass a static \{ size: n \} option/);
    expect(() => makeJaxpr((a: np.Array) => np.compress(a, np.arange(3)))(np.ones([3]))).toThrow(/np\.nonzero.*size/);
  });

  it("compress and extract select slices and elements", () => {
    const a = np.array([[1, 2], [3, 4], [5, 6]]);
    expectArray(np.compress([false, true], a, { axis: 0 }), [[3, 4]]); // NumPy docs
    expectArray(np.compress([false, true, true], a, { axis: 0 }), [[3, 4], [5, 6]]);
    expectArray(np.compress([false, true], a, { axis: 1 }), [[2], [4], [6]]);
    expectArray(np.compress([false, true], a), [2]);
    expectArray(np.compress([true, false, true], a, { axis: 0, size: 3, fillValue: -1 }), [[1, 2], [5, 6], [-1, -1]]);
    expect(() => np.compress([false, false, false, true], a, { axis: 0 })).toThrow(/true entries beyond the 3 elements/);
    const arr = np.reshape(np.arange(12), [3, 4]);
    expectArray(np.extract(np.equal(np.remainder(arr, 3), 0), arr), [0, 3, 6, 9]); // NumPy docs
    expectArray(np.extract(np.equal(np.remainder(arr, 3), 0), arr, { size: 5 }), [0, 3, 6, 9, 0]);
  });

  it("nonzero agrees with a JS scan (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 12 }), fc.integer({ min: 0, max: 6 }), (vals, size) => {
        const want = vals.flatMap((v, i) => (v ? [i] : []));
        expectArray(np.flatnonzero(np.array(vals)), want);
        const padded = [...want.slice(0, size), ...new Array(Math.max(0, size - want.length)).fill(0)];
        expectArray(np.flatnonzero(np.array(vals), { size }), padded);
      }),
      { numRuns: propertyRuns() },
    );
  });
});
