import { describe, expect, it } from "vitest";
import { type DType, allocTyped } from "../ir/index.js";
import { formatArray, reprArray } from "./format.js";
import { roundF16 } from "../backend/reference/float-bits.js";

const typed = (d: DType, xs: number[]) => {
  const t = allocTyped(d, xs.length);
  t.set(d === "float16" ? xs.map(roundF16) : xs);
  return t;
};
const str = (xs: number[], shape: number[], d: DType = "float32") => formatArray(typed(d, xs), shape, d);
const repr = (xs: number[], shape: number[], d: DType = "float32", weak = false) => reprArray(typed(d, xs), shape, d, weak);
const range = (n: number, f = (i: number) => i) => Array.from({ length: n }, (_, i) => f(i));

// Expected strings are NumPy 2 / JAX 0.4.30 outputs for the same data.
describe("str() like NumPy", () => {
  it.each([
    ["2-D floats", [1, 2, 3, 4], [2, 2], "float32", "[[1. 2.]\n [3. 4.]]"],
    ["aligned fractions", [0, 0.25, 0.5, 0.75, 1], [5], "float32", "[0.   0.25 0.5  0.75 1.  ]"],
    ["ints", [1, 2, 3], [3], "int32", "[1 2 3]"],
    ["negative ints", [-1, 10, -100], [3], "int32", "[  -1   10 -100]"],
    ["bools", [1, 0], [2], "bool", "[ True False]"],
    ["2-D bools", [1, 0, 0, 1], [2, 2], "bool", "[[ True False]\n [False  True]]"],
    ["float32 shortest digits", [0.1, 0.2], [2], "float32", "[0.1 0.2]"],
    ["float32 8 digits", [1 / 3], [1], "float32", "[0.33333334]"],
    ["float64 at most 8 fraction digits", [123.456789123], [1], "float64", "[123.45678912]"],
    ["float16 shortest digits", [0.1, 0.2, 0.3], [3], "float16", "[0.1 0.2 0.3]"],
    ["negative fractions", [-0.5, 0.25], [2], "float32", "[-0.5   0.25]"],
    ["signed zeros", [-0, 0], [2], "float64", "[-0.  0.]"],
    ["nan and inf", [NaN, 1, -Infinity], [3], "float32", "[ nan   1. -inf]"],
    ["only non-finite", [NaN, Infinity], [2], "float64", "[nan inf]"],
    ["scientific: ratio above 1e3", [1, 2000], [2], "float32", "[1.e+00 2.e+03]"],
    ["scientific: common mantissa precision", [1.5, 2000], [2], "float32", "[1.5e+00 2.0e+03]"],
    ["scientific: small values", [1e-5, 1], [2], "float32", "[1.e-05 1.e+00]"],
    ["scientific: large values", [123456789], [1], "float32", "[1.2345679e+08]"],
    ["scientific: 3-digit exponents", [1e100, 1], [2], "float64", "[1.e+100 1.e+000]"],
    ["scientific with nan", [1e-8, 1, NaN], [3], "float32", "[1.e-08 1.e+00    nan]"],
    ["ties to even in the last digit", [26445.5625, 100], [2], "float32", "[26445.562   100.   ]"],
    ["3-D blocks separated by blank lines", range(8, (i) => i + 1), [2, 2, 2], "int32", "[[[1 2]\n  [3 4]]\n\n [[5 6]\n  [7 8]]]"],
    ["empty", [], [2, 0], "float32", "[]"],
  ] as [string, number[], number[], DType, string][])("%s", (_, xs, shape, d, want) => {
    expect(str(xs, shape, d)).toBe(want);
  });

  it("wraps rows at 75 characters", () => {
    expect(str(range(30), [30])).toBe(
      "[ 0.  1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17.\n 18. 19. 20. 21. 22. 23. 24. 25. 26. 27. 28. 29.]",
    );
    expect(str(range(30), [30], "int32")).toBe(
      "[ 0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15 16 17 18 19 20 21 22 23\n 24 25 26 27 28 29]",
    );
  });

  it("summarizes above 1000 elements with 3 items per edge", () => {
    expect(str(range(2000), [2000])).toBe("[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]");
    expect(str(range(1001), [1001], "int32")).toBe("[   0    1    2 ...  998  999 1000]");
    expect(str(range(1000), [1000], "int32")).not.toContain("...");
    expect(str(range(1200), [30, 40], "int32")).toBe(
      "[[   0    1    2 ...   37   38   39]\n [  40   41   42 ...   77   78   79]\n [  80   81   82 ...  117  118  119]\n ...\n" +
        " [1080 1081 1082 ... 1117 1118 1119]" +
        "\n [1120 1121 1122 ... 1157 1158 1159]\n [1160 1161 1162 ... 1197 1198 1199]]",
    );
    expect(str(new Array(1200).fill(0), [3, 400])).toBe("[[0. 0. 0. ... 0. 0. 0.]\n [0. 0. 0. ... 0. 0. 0.]\n [0. 0. 0. ... 0. 0. 0.]]");
  });

  it("0-d arrays print like Python scalars", () => {
    expect(str([3.5], [])).toBe("3.5");
    expect(str([1], [])).toBe("1.0");
    expect(str([1e-5], [])).toBe("1e-05");
    expect(str([1e20], [], "float64")).toBe("1e+20");
    expect(str([-0], [], "float64")).toBe("-0.0");
    expect(str([NaN], [])).toBe("nan");
    expect(str([7], [], "int32")).toBe("7");
    expect(str([1], [], "bool")).toBe("True");
  });
});

describe("repr() like jax.Array", () => {
  it("simple cases", () => {
    expect(repr([1, 2, 3, 4], [2, 2])).toBe("Array([[1., 2.],\n       [3., 4.]], dtype=float32)");
    expect(repr([1, 0, 0, 1], [2, 2], "uint32")).toBe("Array([[1, 0],\n       [0, 1]], dtype=uint32)");
    expect(repr([2.5], [])).toBe("Array(2.5, dtype=float32)");
    expect(repr([3], [1], "float64")).toBe("Array([3.], dtype=float64)");
    expect(repr([1], [], "int32", true)).toBe("Array(1, dtype=int32, weak_type=True)");
    expect(repr([0.1, 0.2, 0.3], [3], "float16")).toBe("Array([0.1, 0.2, 0.3], dtype=float16)");
    expect(repr([], [2, 0])).toBe("Array([], shape=(2, 0), dtype=float32)");
    expect(repr([], [0])).toBe("Array([], shape=(0,), dtype=float32)");
  });
  it("wraps under the bracket and pads the dtype when the last line is long", () => {
    expect(repr(range(30), [30])).toBe(
      "Array([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12.,\n       13., 14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25.,\n       26., 27., 28., 29.], dtype=float32)",
    );
    expect(repr([-1, -0.875, -0.75, -0.625, -0.5, -0.375, -0.25, -0.125, 0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1], [17])).toBe(
      "Array([-1.   , -0.875, -0.75 , -0.625, -0.5  , -0.375, -0.25 , -0.125,\n        0.   ,  0.125,  0.25 ,  0.375,  0.5  ,  0.625,  0.75 ,  0.875,\n        1.   ], dtype=float32)",
    );
    expect(repr([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((i) => i / 7), [3, 4])).toBe(
      "Array([[0.14285715, 0.2857143 , 0.42857143, 0.5714286 ],\n       [0.71428573, 0.85714287, 1.        , 1.1428572 ],\n       [1.2857143 , 1.4285715 , 1.5714285 , 1.7142857 ]], dtype=float32)",
    );
    const normal = [0.1257302165031433, -0.13210485875606537, 0.6404226422309875, 0.10490011423826218, -0.5356693863868713, 0.3615950644016266, 1.3040000200271606, 0.9470809698104858, -0.7037352323532104, -1.2654215097427368, -0.6232744455337524, 0.04132597893476486];
    expect(repr(normal, [3, 4])).toBe(
      "Array([[ 0.12573022, -0.13210486,  0.64042264,  0.10490011],\n       [-0.5356694 ,  0.36159506,  1.304     ,  0.94708097],\n       [-0.70373523, -1.2654215 , -0.62327445,  0.04132598]],      dtype=float32)",
    );
  });
});
