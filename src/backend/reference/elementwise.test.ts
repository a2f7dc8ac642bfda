import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { type DType, type FirstOrderPrim, Prim, type PrimParams, UNARY_PRIMS, BINARY_PRIMS, COMPARE_PRIMS } from "../../ir/index.js";
import { type HostArray, h, run1, runRef } from "../../../tests/property/ref-run.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { convertValue } from "./elementwise.js";

const NOP = {} as PrimParams[Prim.Add];
const un = (p: FirstOrderPrim, xs: number[], d: DType = "float64") => run1(p, [h(xs, d)], NOP as never);
const bin = (p: FirstOrderPrim, a: number[], b: number[], d: DType = "float64") => run1(p, [h(a, d), h(b, d)], NOP as never);
const f32 = Math.fround;
/** Object.is equality element by element, so -0 and NaN are checked exactly. */
const same = (got: number[], want: number[]) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Object.is(g, want[i]), `element ${i}: got ${g}, want ${want[i]}`).toBe(true));
};

describe("unary float primitives (float64, known values)", () => {
  const cases: [FirstOrderPrim, number[], number[]][] = [
    [Prim.Neg, [1, -0, 0, Infinity, NaN], [-1, 0, -0, -Infinity, NaN]],
    [Prim.Sign, [-3, 2, 0, -0, NaN, -Infinity], [-1, 1, 0, -0, NaN, -1]],
    [Prim.Floor, [1.5, -1.5, -0, 2], [1, -2, -0, 2]],
    [Prim.Ceil, [1.5, -1.5, -0.5, 2], [2, -1, -0, 2]],
    [Prim.Abs, [-2, -0, Infinity, NaN], [2, 0, Infinity, NaN]],
    [Prim.Exp, [0, 1, -Infinity, Infinity], [1, Math.E, 0, Infinity]],
    [Prim.Exp2, [0, 10, -1, -Infinity], [1, 1024, 0.5, 0]],
    [Prim.Log, [1, Math.E, 0, -1, Infinity], [0, 1, -Infinity, NaN, Infinity]],
    [Prim.Log1p, [0, -1, 1e-20], [0, -Infinity, 1e-20]],
    [Prim.Expm1, [0, 1e-20, -Infinity], [0, 1e-20, -1]],
    [Prim.Sqrt, [4, 0, -0, -1, Infinity], [2, 0, -0, NaN, Infinity]],
    [Prim.Rsqrt, [4, 0, Infinity], [0.5, Infinity, 0]],
    [Prim.Cbrt, [27, -8, -0], [3, -2, -0]],
    [Prim.Sin, [0, -0, Math.PI / 2], [0, -0, 1]],
    [Prim.Cos, [0, Math.PI], [1, -1]],
    [Prim.Tan, [0, Math.PI / 4], [0, Math.tan(Math.PI / 4)]],
    [Prim.Asin, [1, 2], [Math.PI / 2, NaN]],
    [Prim.Acos, [1, -1], [0, Math.PI]],
    [Prim.Atan, [Infinity, 1], [Math.PI / 2, Math.PI / 4]],
    [Prim.Sinh, [0, 1], [0, Math.sinh(1)]],
    [Prim.Cosh, [0], [1]],
    [Prim.Tanh, [0, Infinity, -Infinity], [0, 1, -1]],
    [Prim.Asinh, [0, -0], [0, -0]],
    [Prim.Acosh, [1, 0.5], [0, NaN]],
    [Prim.Atanh, [0, 1, -1, 2], [0, Infinity, -Infinity, NaN]],
    [Prim.Logistic, [0, Infinity, -Infinity, -800, 800], [0.5, 1, 0, 0, 1]],
    [Prim.Square, [3, -0.5, NaN], [9, 0.25, NaN]],
    [Prim.IsFinite, [1, Infinity, -Infinity, NaN, -0], [1, 0, 0, 0, 1]],
  ];
  for (const [p, xs, want] of cases) {
    it(p, () => same(un(p, xs), want));
  }
  it("every unary primitive has a case here or in special.test.ts", () => {
    const covered = new Set([...cases.map((c) => c[0]), Prim.Erf, Prim.Erfc, Prim.ErfInv, Prim.Lgamma, Prim.Digamma, Prim.Not]);
    expect(UNARY_PRIMS.filter((p) => !covered.has(p))).toEqual([]);
  });
  it("logistic does not overflow for large negative inputs", () => {
    expect(un(Prim.Logistic, [-745])[0]).toBeGreaterThan(0);
    expect(un(Prim.Logistic, [-30])[0]).toBeCloseTo(Math.exp(-30), 25);
  });
});

describe("float32 and float16 rounding of results", () => {
  it("float32 results are rounded once to nearest", () => {
    same(bin(Prim.Add, [0.1], [0.2], "float32"), [f32(f32(0.1) + f32(0.2))]);
    same(bin(Prim.Div, [1], [3], "float32"), [f32(1 / 3)]);
    same(un(Prim.Sqrt, [2], "float32"), [f32(Math.SQRT2)]);
    // 2^24 + 1 is not a float32: ties to even gives 2^24.
    same(bin(Prim.Add, [2 ** 24], [1], "float32"), [2 ** 24]);
    same(bin(Prim.Mul, [3.4e38], [10], "float32"), [Infinity]);
  });
  it("float16 results are rounded to binary16", () => {
    same(bin(Prim.Add, [1], [2 ** -11], "float16"), [1]); // tie -> even
    same(bin(Prim.Add, [1], [3 * 2 ** -11], "float16"), [1 + 2 ** -9]);
    same(bin(Prim.Mul, [300], [300], "float16"), [Infinity]);
    same(bin(Prim.Div, [1], [3], "float16"), [0.333251953125]);
  });
  it("property: float32 add/mul/div equal fround of the exact double result", () => {
    const v = fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
    fc.assert(fc.property(v, v, (a, b) => {
      const [s, m, d] = ([Prim.Add, Prim.Mul, Prim.Div] as const).map((p) => bin(p, [a], [b], "float32")[0]);
      expect(s).toBe(f32(a + b));
      expect(m).toBe(f32(a * b));
      if (b !== 0) expect(d).toBe(f32(a / b));
    }), { numRuns: propertyRuns(100) });
  });
});

describe("binary float primitives", () => {
  it("max/min propagate NaN", () => {
    same(bin(Prim.Max, [1, NaN, 2, -0], [NaN, 1, 3, 0]), [NaN, NaN, 3, 0]);
    same(bin(Prim.Min, [1, NaN, 2, -0], [NaN, 1, 3, 0]), [NaN, NaN, 2, -0]);
  });
  it("rem keeps the dividend's sign (C fmod)", () => {
    same(bin(Prim.Rem, [5.5, -5.5, 5, 1], [2, 2, -3, 0]), [1.5, -1.5, 2, NaN]);
  });
  it("division by zero", () => {
    same(bin(Prim.Div, [1, -1, 0], [0, 0, 0]), [Infinity, -Infinity, NaN]);
    same(bin(Prim.Div, [1], [-0]), [-Infinity]);
  });
  it("pow and atan2", () => {
    same(bin(Prim.Pow, [2, 0, -8, 4], [10, 0, 1 / 3, 0.5]), [1024, 1, NaN, 2]);
    same(bin(Prim.Atan2, [1, 0, 0, -0], [1, -1, 1, -1]), [Math.PI / 4, Math.PI, 0, -Math.PI]);
  });
  it("sub and add of infinities", () => {
    same(bin(Prim.Sub, [Infinity, 1], [Infinity, -0]), [NaN, 1]);
    same(bin(Prim.Add, [-0, -0], [-0, 0]), [-0, 0]);
  });
  it("nextafter in float64, float32 and float16", () => {
    same(bin(Prim.Nextafter, [1, 1, 0, 0, 5], [2, 0, 1, -1, 5]), [1 + 2 ** -52, 1 - 2 ** -53, 5e-324, -5e-324, 5]);
    same(bin(Prim.Nextafter, [1, 1, 0, f32(3.4028234663852886e38)], [2, 0, 1, Infinity], "float32"), [1 + 2 ** -23, 1 - 2 ** -24, 2 ** -149, Infinity]);
    same(bin(Prim.Nextafter, [1, 1, 0, 65504, -0.5], [2, 0, -1, Infinity, -1], "float16"), [1 + 2 ** -10, 1 - 2 ** -11, -(2 ** -24), Infinity, -0.5 - 2 ** -11]);
    same(bin(Prim.Nextafter, [NaN, 1], [1, NaN]), [NaN, NaN]);
    same(bin(Prim.Nextafter, [Infinity], [0], "float32"), [f32(3.4028234663852886e38)]);
  });
  it("comparisons: NaN is unordered, -0 equals 0", () => {
    const a = [1, NaN, -0, 2, 1];
    const b = [1, NaN, 0, 1, 2];
    same(bin(Prim.Eq, a, b), [1, 0, 1, 0, 0]);
    same(bin(Prim.Ne, a, b), [0, 1, 0, 1, 1]);
    same(bin(Prim.Lt, a, b), [0, 0, 0, 0, 1]);
    same(bin(Prim.Le, a, b), [1, 0, 1, 0, 1]);
    same(bin(Prim.Gt, a, b), [0, 0, 0, 1, 0]);
    same(bin(Prim.Ge, a, b), [1, 0, 1, 1, 0]);
    expect(runRef(Prim.Lt, [h([1]), h([2])], {})[0].dtype).toBe("bool");
  });
  it("a rank-0 operand broadcasts against the other", () => {
    expect(run1(Prim.Sub, [h(10), h([1, 2, 3])], {})).toEqual([9, 8, 7]);
    expect(run1(Prim.Sub, [h([1, 2, 3]), h(10)], {})).toEqual([-9, -8, -7]);
  });
  it("every binary and compare primitive is exercised", () => {
    expect(BINARY_PRIMS.length + COMPARE_PRIMS.length).toBe(22);
  });
});

describe("int32 and uint32 arithmetic", () => {
  const I = "int32" as const;
  const U = "uint32" as const;
  it("add/sub/neg/abs wrap two's complement", () => {
    same(bin(Prim.Add, [2147483647, -2147483648], [1, -1], I), [-2147483648, 2147483647]);
    same(bin(Prim.Sub, [-2147483648], [1], I), [2147483647]);
    same(un(Prim.Neg, [-2147483648, 5], I), [-2147483648, -5]);
    same(un(Prim.Abs, [-2147483648, -5], I), [-2147483648, 5]);
    same(bin(Prim.Add, [4294967295], [1], U), [0]);
    same(bin(Prim.Sub, [0], [1], U), [4294967295]);
    same(un(Prim.Neg, [1], U), [4294967295]);
  });
  it("mul follows Math.imul, keeping the low 32 bits", () => {
    same(bin(Prim.Mul, [65536, 2147483647, -7], [65536, 2, 3], I), [0, -2, -21]);
    same(bin(Prim.Mul, [0xffffffff, 65537], [0xffffffff, 65537], U), [1, 131073]);
    same(un(Prim.Square, [65536, 46341], I), [0, Math.imul(46341, 46341)]);
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (a, b) => {
      expect(bin(Prim.Mul, [a], [b], I)[0]).toBe(Math.imul(a, b));
      expect(bin(Prim.Add, [a], [b], I)[0]).toBe((a + b) | 0);
    }), { numRuns: propertyRuns() });
  });
  it("div truncates; division by zero gives -1 (int32) or 0xFFFFFFFF (uint32)", () => {
    same(bin(Prim.Div, [7, -7, 7, -7, 5, -2147483648], [2, 2, -2, -2, 0, -1], I), [3, -3, -3, 3, -1, -2147483648]);
    same(bin(Prim.Div, [7, 5, 4294967295], [2, 0, 2], U), [3, 4294967295, 2147483647]);
  });
  it("rem has the dividend's sign; x % 0 = x", () => {
    same(bin(Prim.Rem, [7, -7, 7, 5], [3, 3, -3, 0], I), [1, -1, 1, 5]);
    same(bin(Prim.Rem, [7, 5], [3, 0], U), [1, 5]);
  });
  it("sign, max, min", () => {
    same(un(Prim.Sign, [-5, 0, 9], I), [-1, 0, 1]);
    same(un(Prim.Sign, [0, 4294967295], U), [0, 1]);
    same(bin(Prim.Max, [4294967295, 1], [0, 2], U), [4294967295, 2]);
    same(bin(Prim.Min, [-1, 1], [0, 2], I), [-1, 1]);
  });
  it("bitwise ops and not", () => {
    same(bin(Prim.And, [12], [10], I), [8]);
    same(bin(Prim.Or, [12], [10], I), [14]);
    same(bin(Prim.Xor, [12], [10], I), [6]);
    same(un(Prim.Not, [0, -1, 5], I), [-1, 0, -6]);
    same(un(Prim.Not, [0], U), [4294967295]);
    same(bin(Prim.And, [0xffffffff], [0x80000001], U), [0x80000001]);
  });
  it("shifts, including out-of-range amounts", () => {
    same(bin(Prim.ShiftLeft, [1, 1, 1, 1], [31, 32, -1, 3], I), [-2147483648, 0, 0, 8]);
    same(bin(Prim.ShiftRightArithmetic, [-8, -8, 8, -1], [1, 40, 40, 31], I), [-4, -1, 0, -1]);
    same(bin(Prim.ShiftRightLogical, [-8, -8, 8], [1, 32, 2], I), [2147483644, 0, 2]);
    same(bin(Prim.ShiftRightLogical, [0x80000000], [31], U), [1]);
    same(bin(Prim.ShiftLeft, [0xffffffff], [4], U), [0xfffffff0]);
    same(bin(Prim.ShiftRightArithmetic, [0x80000000], [4], U), [0xf8000000]);
  });
  it("comparisons on uint32 use unsigned order", () => {
    same(bin(Prim.Lt, [0x80000000, 1], [1, 0x80000000], U), [0, 1]);
  });
  it("integer_pow: wrapping square-and-multiply; negative powers per XLA", () => {
    const ip = (xs: number[], y: number, d: DType) => run1(Prim.IntegerPow, [h(xs, d)], { y });
    same(ip([2, -3, 0], 3, I), [8, -27, 0]);
    same(ip([2], 31, I), [-2147483648]);
    same(ip([3], 40, I), [Number(BigInt.asIntN(32, 3n ** 40n))]);
    same(ip([5, 7], 0, I), [1, 1]);
    same(ip([1, 2, -1, 0], -1, I), [1, 0, -1, -1]);
    same(ip([2, 0.5], -2, "float64"), [0.25, 4]);
    same(ip([1.1], 2, "float32"), [f32(f32(1.1) * f32(1.1))]);
  });
});

describe("bool", () => {
  const B = "bool" as const;
  it("add is or, mul is and, not is logical", () => {
    same(bin(Prim.Add, [0, 0, 1, 1], [0, 1, 0, 1], B), [0, 1, 1, 1]);
    same(bin(Prim.Mul, [0, 0, 1, 1], [0, 1, 0, 1], B), [0, 0, 0, 1]);
    same(un(Prim.Not, [0, 1], B), [1, 0]);
    same(bin(Prim.Xor, [0, 1, 1], [1, 1, 0], B), [1, 0, 1]);
    same(bin(Prim.Max, [0, 1], [1, 0], B), [1, 1]);
  });
});

describe("select_n, clamp, round", () => {
  it("select_n picks cases[which], with a bool or int32 selector and scalar broadcasting", () => {
    const cases = [h([10, 20, 30]), h([1, 2, 3])];
    expect(run1(Prim.SelectN, [h([1, 0, 1], "bool"), ...cases], {})).toEqual([1, 20, 3]);
    expect(run1(Prim.SelectN, [h([2, 0, 1], "int32"), h([1, 1, 1]), h([2, 2, 2]), h([3, 3, 3])], {})).toEqual([3, 1, 2]);
    expect(run1(Prim.SelectN, [h(1, "bool"), ...cases], {})).toEqual([1, 2, 3]);
    expect(run1(Prim.SelectN, [h([0, 1], "bool"), h(7), h(8)], {})).toEqual([7, 8]);
  });
  it("clamp(lo, x, hi) with NaN passing through", () => {
    same(run1(Prim.Clamp, [h(0), h([-1, 0.5, 2, NaN]), h(1)], {}), [0, 0.5, 1, NaN]);
    same(run1(Prim.Clamp, [h([0, 1]), h([5, -5]), h([2, 3])], {}), [2, 1]);
  });
  it("round: away from zero and to nearest even", () => {
    const xs = [0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994, -0.3, NaN];
    same(run1(Prim.Round, [h(xs, "float64")], { method: "away_from_zero" }), [1, 2, 3, -1, -3, 0, -0, NaN]);
    same(run1(Prim.Round, [h(xs, "float64")], { method: "to_nearest_even" }), [0, 2, 2, -0, -2, 0, -0, NaN]);
  });
});

describe("convert_element_type and bitcast", () => {
  const cv = (xs: number[], from: DType, to: DType) => run1(Prim.ConvertElementType, [h(xs, from)], { newDtype: to, weakType: false });
  it("float -> int truncates, saturates and maps NaN to 0", () => {
    same(cv([1.9, -1.9, 3e9, -3e9, NaN, Infinity, -0.5], "float64", "int32"), [1, -1, 2147483647, -2147483648, 0, 2147483647, 0]);
    same(cv([1.9, -1.9, 5e9, NaN], "float32", "uint32"), [1, 0, 4294967295, 0]);
  });
  it("int <-> int wraps, anything -> bool is != 0, bool -> number is 0/1", () => {
    same(cv([-1, 5], "int32", "uint32"), [4294967295, 5]);
    same(cv([4294967295], "uint32", "int32"), [-1]);
    same(cv([0, -0, 0.1, NaN, -2], "float64", "bool"), [0, 0, 1, 1, 1]);
    same(cv([0, 1], "bool", "float32"), [0, 1]);
  });
  it("to float rounds: float64 -> float32 and -> float16; big ints to float32", () => {
    same(cv([0.1, 1e300], "float64", "float32"), [f32(0.1), Infinity]);
    same(cv([0.1, 70000, 65519], "float64", "float16"), [0.0999755859375, Infinity, 65504]);
    same(cv([16777217], "int32", "float32"), [16777216]);
  });
  it("convertValue is the scalar rule", () => {
    expect(convertValue(-7.9, "float32", "int32")).toBe(-7);
    expect(convertValue(2 ** 40, "float64", "uint32")).toBe(4294967295);
    expect(convertValue(3, "int32", "bool")).toBe(1);
  });
  it("bitcast reinterprets bits between equal widths", () => {
    same(run1(Prim.BitcastConvertType, [h([1, -0], "float32")], { newDtype: "uint32" }), [0x3f800000, 0x80000000]);
    same(run1(Prim.BitcastConvertType, [h([0x7fc00000], "uint32")], { newDtype: "float32" }), [NaN]);
    same(run1(Prim.BitcastConvertType, [h([-1], "int32")], { newDtype: "uint32" }), [4294967295]);
    expect(() => run1(Prim.BitcastConvertType, [h([1], "float16")], { newDtype: "float16" })).toThrow(/float16 bitcasts are not supported/);
  });
});

describe("dtype-generic properties", () => {
  const dts: DType[] = ["int32", "uint32", "float32", "float64"];
  it("add and mul are commutative for every numeric dtype", () => {
    fc.assert(fc.property(fc.constantFrom(...dts), fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 }), (d, a, b) => {
      const x: HostArray = h([a], d);
      const y: HostArray = h([b], d);
      for (const p of [Prim.Add, Prim.Mul, Prim.Max, Prim.Min, Prim.Eq] as const) {
        expect(run1(p, [x, y], NOP as never)).toEqual(run1(p, [y, x], NOP as never));
      }
    }), { numRuns: propertyRuns() });
  });
  it("int32 div/rem satisfy a = (a / b) * b + a % b for b != 0", () => {
    const i = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    fc.assert(fc.property(i, i.filter((b) => b !== 0), (a, b) => {
      const q = bin(Prim.Div, [a], [b], "int32")[0];
      const r = bin(Prim.Rem, [a], [b], "int32")[0];
      expect((Math.imul(q, b) + r) | 0).toBe(a);
      expect(Math.abs(r)).toBeLessThan(Math.abs(b));
    }), { numRuns: propertyRuns() });
  });
});
