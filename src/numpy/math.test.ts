import { describe, expect, it } from "vitest";
import { np } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";

describe("np elementwise math", () => {
  it("adds with broadcasting and weak scalars", () => {
    const x = np.array([[1, 2], [3, 4]]);
    expectArray(np.add(x, 1), [[2, 3], [4, 5]], { dtype: "float32" });
    expectArray(np.add(x, np.array([10, 20])), [[11, 22], [13, 24]]);
    expect(np.add(np.arange(3), 1).dtype).toBe("int32");
    expect(np.add(np.arange(3), 1.5).dtype).toBe("float32");
  });

  it("divides ints to float and floor-divides like NumPy", () => {
    expectArray(np.divide(np.arange(4), 2), [0, 0.5, 1, 1.5], { dtype: "float32" });
    expectArray(np.floorDivide(np.array([-7, 7], { dtype: "int32" }), 2), [-4, 3], { dtype: "int32" });
    expectArray(np.remainder(np.array([-7, 7], { dtype: "int32" }), 3), [2, 1]);
  });

  it("names the op and shapes when broadcasting fails", () => {
    expect(() => np.add(np.ones([2, 3]), np.ones([4]))).toThrow(/np\.add.*\(2, 3\).*\(4,\)/s);
  });
});
