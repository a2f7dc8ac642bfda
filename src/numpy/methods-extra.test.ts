import { describe, expect, it } from "vitest";
import { makeJaxpr, np } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";

describe("Array methods from methods-extra", () => {
  const x = () => np.array([[1, 2, 3], [4, 5, 6]]);
  it("mirror the np functions", () => {
    expectArray(x().cumsum(), [1, 3, 6, 10, 15, 21]);
    expectArray(x().cumsum({ axis: 0 }), [[1, 2, 3], [5, 7, 9]]);
    expectArray(x().cumprod({ axis: 1 }), [[1, 2, 6], [4, 20, 120]]);
    expectArray(x().repeat(2, { axis: 0 }), [[1, 2, 3], [1, 2, 3], [4, 5, 6], [4, 5, 6]]);
    expectArray(x().repeat([1, 0, 2], { axis: 1 }), [[1, 3, 3], [4, 6, 6]]);
    expectArray(x().flip({ axis: 1 }), [[3, 2, 1], [6, 5, 4]]);
    expectArray(x().roll(1, { axis: 1 }), [[3, 1, 2], [6, 4, 5]]);
    expectArray(x().swapaxes(0, 1), [[1, 4], [2, 5], [3, 6]]);
    expectArray(x().ptp({ axis: 1 }), [2, 2]);
  });
  it("work on tracers and report errors with the np name", () => {
    const j = makeJaxpr((t: np.Array) => t.cumsum({ axis: 1 }).roll(1).ptp())(x());
    expect(j.toString()).toContain("cumsum");
    expect(() => x().swapaxes(0, 2)).toThrow(/np\.swapaxes: axis 2 is out of bounds/);
  });
});
