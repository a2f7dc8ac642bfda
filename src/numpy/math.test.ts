import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as np from "./index.js";
import { makeJaxpr } from "../trace/jaxpr-trace.js";
import { ShapedArray } from "../ir/index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";
import { broadcastPair } from "../../tests/property/generators.js";

const i32 = (xs: number[]) => np.array(xs, { dtype: "int32" });
const u32 = (xs: number[]) => np.array(xs, { dtype: "uint32" });
const f64 = (xs: number[]) => np.array(xs, { dtype: "float64" });
const typeOf = (x: { dtype: string; weakType: boolean }) => `${x.dtype}${x.weakType ? "*" : ""}`;

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

describe("promotion with weak types", () => {
  it.each([
    ["i32 array + int", () => np.add(i32([1]), 2), "int32"],
    ["i32 array + float", () => np.add(i32([1]), 2.5), "float32*"],
    ["u32 array + int", () => np.add(u32([1]), 2), "uint32"],
    ["i32 + u32", () => np.add(i32([1]), u32([2])), "int32"],
    ["f32 + f64", () => np.add(np.array([1]), f64([1])), "float64"],
    ["f16 + float", () => np.add(np.array([1], { dtype: "float16" }), 0.5), "float16"],
    ["f16 + i32", () => np.add(np.array([1], { dtype: "float16" }), i32([1])), "float16"],
    ["bool + bool", () => np.add(np.array([true]), np.array([false])), "bool"],
    ["bool + int", () => np.add(np.array([true]), 1), "int32*"],
    ["bool + float", () => np.multiply(np.array([true]), 1.5), "float32*"],
    ["int + int", () => np.add(1, 2), "int32*"],
    ["int + float", () => np.add(1, 2.5), "float32*"],
    ["i32 / int (true division)", () => np.divide(i32([1]), 2), "float32"],
    ["weak int array / int", () => np.divide(np.add(1, 1), 2), "float32*"],
    ["sqrt of i32", () => np.sqrt(i32([4])), "float32"],
    ["sqrt of f64", () => np.sqrt(f64([4])), "float64"],
    ["maximum i32 with float", () => np.maximum(i32([1]), 0.5), "float32*"],
    ["where keeps the promoted type", () => np.where(np.array([true]), i32([1]), 2), "int32"],
    ["comparison", () => np.less(i32([1]), 1.5), "bool"],
  ] as [string, () => { dtype: string; weakType: boolean }, string][])("%s -> %s", (_, f, want) => {
    expect(typeOf(f())).toBe(want);
  });
  it("JS float scalars keep float64 precision with float64 arrays, eagerly and staged", () => {
    expect(np.add(f64([0]), 0.1).item()).toBe(0.1);
    expect(np.multiply(f64([3]), Math.PI).item()).toBe(3 * Math.PI);
    expect(np.subtract(1 / 3, f64([0])).item()).toBe(1 / 3);
    expect(np.add(f64([0]), 1e-40).item()).toBe(1e-40); // JS numbers stay exact until typed
    expect(np.add(np.array([0]), 0.1).item()).toBe(Math.fround(0.1));
    const j = makeJaxpr((x) => np.add(x, 0.1))(new ShapedArray([2], "float64"));
    expect(j.toString()).toContain("add a 0.1");
    expect((j.program.eqns[0].inputs[1] as { value: number }).value).toBe(0.1);
  });
  it("exactScalar property: every double in range survives as a float64 scalar", () => {
    fc.assert(fc.property(fc.double({ min: -1e29, max: 1e29, noNaN: true }).filter((v) => Math.abs(v) > 1e-29), (v) => {
      expect(np.add(f64([0]), v).item()).toBe(v + 0);
    }), { numRuns: propertyRuns(100) });
  });
  it("promotion inside makeJaxpr matches eager promotion", () => {
    const j = makeJaxpr((x) => np.add(x, 2.5))(new ShapedArray([2], "int32"));
    const out = j.program.outs[0].aval;
    expect(`${out.dtype}${out.weakType ? "*" : ""}`).toBe("float32*");
  });
});

describe("arithmetic known values", () => {
  it("subtract, multiply, negative, positive, abs, sign, square, reciprocal", () => {
    expectArray(np.subtract(np.array([5, 1]), 2), [3, -1]);
    expectArray(np.multiply(i32([3, -4]), i32([5, 6])), [15, -24], { dtype: "int32" });
    expectArray(np.negative(i32([1, -2])), [-1, 2], { dtype: "int32" });
    expectArray(np.positive(np.array([-1])), [-1]);
    expectArray(np.abs(np.array([-1.5, 2, -0])), [1.5, 2, 0]);
    expectArray(np.abs(u32([5])), [5], { dtype: "uint32" });
    expectArray(np.sign(np.array([-3, 0, 2, NaN])), [-1, 0, 1, NaN]);
    expectArray(np.sign(np.array([true, false])), [1, 0], { dtype: "bool" });
    expectArray(np.square(i32([-3, 4])), [9, 16], { dtype: "int32" });
    expectArray(np.reciprocal(np.array([2, 4])), [0.5, 0.25]);
    expectArray(np.reciprocal(i32([2])), [0.5], { dtype: "float32" });
  });
  it("floor division and remainder follow the sign rules of NumPy", () => {
    const a = [-7, -7, 7, 7, 6, -6];
    const b = [2, -2, 2, -2, 3, 3];
    expectArray(np.floorDivide(i32(a), i32(b)), [-4, 3, 3, -4, 2, -2], { dtype: "int32" });
    expectArray(np.remainder(i32(a), i32(b)), [1, -1, 1, -1, 0, 0], { dtype: "int32" });
    expectArray(np.floorDivide(np.array(a), np.array(b)), [-4, 3, 3, -4, 2, -2], { dtype: "float32" });
    expectArray(np.remainder(np.array([-7.5, 7.5]), np.array([2, -2])), [0.5, -0.5]);
    // NumPy: 1 // 0.1 == 9 (0.1 is slightly above 1/10), x // 0 == +-inf, 0 // 0 == nan.
    expectArray(np.floorDivide(f64([1, -1, 7.5, -0.5, 0.5]), f64([0.1, 0.1, -2, 1, -1])), [9, -10, -4, -1, -1], { rtol: 0, atol: 0 });
    expectArray(np.floorDivide(np.array([1]), np.array([0.1])), [9]);
    expectArray(np.floorDivide(f64([1, -1, 0]), 0), [Infinity, -Infinity, NaN]);
    expectArray(np.fmod(i32([-7, 7]), i32([2, -2])), [-1, 1]);
    expectArray(np.mod(u32([7]), u32([3])), [1], { dtype: "uint32" });
    expectArray(np.floorDivide(u32([7]), u32([2])), [3], { dtype: "uint32" });
  });
  it("floorDivide and remainder satisfy x = (x // y) * y + x % y (property)", () => {
    const v = fc.integer({ min: -50, max: 50 });
    fc.assert(fc.property(v, v.filter((b) => b !== 0), (a, b) => {
      const q = np.floorDivide(i32([a]), i32([b])).item() as number;
      const r = np.remainder(i32([a]), i32([b])).item() as number;
      expect(q).toBe(Math.floor(a / b) + 0);
      expect(q * b + r).toBe(a);
      expect(r === 0 || Math.sign(r) === Math.sign(b)).toBe(true);
    }), { numRuns: propertyRuns() });
  });
  it("power: integer exponents stay integer, others promote", () => {
    expectArray(np.power(i32([2, 3]), 3), [8, 27], { dtype: "int32" });
    expectArray(np.power(np.array([4]), 0.5), [2], { dtype: "float32" });
    expectArray(np.power(np.array([2]), -1), [0.5]);
    expectArray(np.power(i32([2, 3]), i32([2, 3])), [4, 27], { dtype: "int32" });
    expectArray(np.power(np.array([2, 3]), np.array([2, 0.5])), [4, Math.sqrt(3)]);
    expectArray(np.floatPower(i32([2]), 2), [4], { dtype: "float32" });
    expect(np.power(i32([2]), 2.5).dtype).toBe("float32");
  });
});

describe("exponentials, logs, trig", () => {
  const x = [0.5, 1, 2];
  const close = (f: (a: ReturnType<typeof np.array>) => ReturnType<typeof np.array>, g: (v: number) => number, xs = x) =>
    expectArray(f(f64(xs)), xs.map(g), { rtol: 1e-14, atol: 0 });
  it.each([
    ["exp", np.exp, Math.exp], ["exp2", np.exp2, (v: number) => 2 ** v], ["expm1", np.expm1, Math.expm1],
    ["log", np.log, Math.log], ["log2", np.log2, Math.log2], ["log10", np.log10, Math.log10], ["log1p", np.log1p, Math.log1p],
    ["sqrt", np.sqrt, Math.sqrt], ["cbrt", np.cbrt, Math.cbrt], ["sin", np.sin, Math.sin], ["cos", np.cos, Math.cos],
    ["tan", np.tan, Math.tan], ["arcsin", np.arcsin, Math.asin], ["arccos", np.arccos, Math.acos], ["arctan", np.arctan, Math.atan],
    ["sinh", np.sinh, Math.sinh], ["cosh", np.cosh, Math.cosh], ["tanh", np.tanh, Math.tanh], ["arcsinh", np.arcsinh, Math.asinh],
    ["deg2rad", np.deg2rad, (v: number) => (v * Math.PI) / 180], ["rad2deg", np.rad2deg, (v: number) => (v * 180) / Math.PI],
  ] as [string, (a: np.ArrayInput) => np.Array, (v: number) => number][])("%s", (_, f, g) => {
    close(f, g, [0.25, 0.5, 0.75]);
  });
  it("arccosh and arctanh on their domains", () => {
    expectArray(np.arccosh(f64([1, 2])), [0, Math.acosh(2)], { rtol: 1e-14 });
    expectArray(np.arctanh(f64([0, 0.5, 1])), [0, Math.atanh(0.5), Infinity], { rtol: 1e-14 });
  });
  it("log2 and log10 keep float64 precision (log(x) / log(base) in the array's dtype, as JAX)", () => {
    expectArray(np.log2(np.array([1, 2, 8, 1024])), [0, 1, 3, 10], { rtol: 0, atol: 0 });
    expectArray(np.log10(f64([1, 10, 1000])), [0, 1, 3], { rtol: 2e-16, atol: 0 });
    expectArray(np.deg2rad(f64([180])), [Math.PI], { rtol: 0, atol: 0 });
  });
  it("logaddexp is stable and handles -inf", () => {
    expectArray(np.logaddexp(f64([0, 1000, -Infinity, -Infinity]), f64([0, 1000, 0, -Infinity])), [Math.LN2, 1000 + Math.LN2, 0, -Infinity], { rtol: 1e-14 });
    expectArray(np.logaddexp(f64([Infinity]), f64([1])), [Infinity]);
  });
  it("arctan2 and hypot", () => {
    expectArray(np.arctan2(np.array([1, -1]), np.array([-1, -1])), [3 * Math.PI / 4, -3 * Math.PI / 4]);
    expectArray(np.hypot(np.array([3, 5, 0, Infinity, 3e20]), np.array([4, 12, 0, 1, 4e20])), [5, 13, 0, Infinity, 5e20]);
    expectArray(np.hypot(np.array([3e-30]), np.array([4e-30])), [5e-30], { rtol: 1e-6, atol: 0 });
    expectArray(np.hypot(np.array([NaN]), np.array([1])), [NaN]);
    expect(np.hypot(i32([3]), i32([4])).dtype).toBe("float32");
  });
  it("nextafter", () => {
    expectArray(np.nextafter(np.array([1]), np.array([2])), [1 + 2 ** -23], { rtol: 0, atol: 0 });
    expectArray(np.nextafter(f64([1]), 0), [1 - 2 ** -53], { rtol: 0, atol: 0 });
  });
  it("special values", () => {
    expectArray(np.log(np.array([0, -1])), [-Infinity, NaN]);
    expectArray(np.sqrt(np.array([-1, Infinity])), [NaN, Infinity]);
  });
});

describe("rounding", () => {
  it("round is half to even, with decimals", () => {
    expectArray(np.round(np.array([0.5, 1.5, 2.5, -0.5, -2.5, 2.6])), [0, 2, 2, -0, -2, 3]);
    expectArray(np.round(f64([1.25, 1.35, 123.456]), 1), [1.2, 1.4, 123.5], { rtol: 1e-15 });
    expectArray(np.round(f64([1234.5]), -2), [1200]);
    expectArray(np.rint(np.array([3.5])), [4]);
    expectArray(np.round(i32([5])), [5], { dtype: "int32" });
  });
  it("floor, ceil, trunc; ints pass through", () => {
    expectArray(np.floor(np.array([-1.5, 1.5])), [-2, 1]);
    expectArray(np.ceil(np.array([-1.5, 1.5])), [-1, 2]);
    expectArray(np.trunc(np.array([-1.7, 1.7])), [-1, 1]);
    expectArray(np.floor(i32([3])), [3], { dtype: "int32" });
    expectArray(np.fix(np.array([-2.5])), [-2]);
  });
});

describe("comparisons and logic", () => {
  it("comparisons broadcast and give bool", () => {
    const x = np.array([[1, 2], [3, 4]]);
    expectArray(np.greater(x, 2), [[0, 0], [1, 1]], { dtype: "bool" });
    expectArray(np.equal(x, np.array([1, 4])), [[1, 0], [0, 1]]);
    expectArray(np.notEqual(np.array([NaN]), np.array([NaN])), [1]);
    expectArray(np.lessEqual(i32([1, 2]), 1.5), [1, 0]);
    expectArray(np.greaterEqual(u32([0]), u32([0])), [1]);
    expectArray(np.less(np.array([-0]), np.array([0])), [0]);
  });
  it("logical ops treat nonzero as true", () => {
    expectArray(np.logicalAnd(np.array([0, 1, 2]), np.array([1, 1, 0])), [0, 1, 0], { dtype: "bool" });
    expectArray(np.logicalOr(i32([0, 0, 3]), 0), [0, 0, 1], { dtype: "bool" });
    expectArray(np.logicalXor(np.array([true, true]), np.array([true, false])), [0, 1]);
    expectArray(np.logicalNot(np.array([0, 0.5])), [1, 0], { dtype: "bool" });
  });
  it("bitwise ops and shifts", () => {
    expectArray(np.bitwiseAnd(i32([12]), 10), [8], { dtype: "int32" });
    expectArray(np.bitwiseOr(i32([12]), 10), [14]);
    expectArray(np.bitwiseXor(i32([12]), 10), [6]);
    expectArray(np.bitwiseNot(i32([0])), [-1]);
    expectArray(np.invert(np.array([true, false])), [0, 1], { dtype: "bool" });
    expectArray(np.leftShift(i32([1]), 4), [16]);
    expectArray(np.rightShift(i32([-16]), 2), [-4]);
    expectArray(np.rightShift(u32([0x80000000]), 31), [1], { dtype: "uint32" });
  });
  it("isfinite, isnan, isinf", () => {
    const x = np.array([1, NaN, Infinity, -Infinity]);
    expectArray(np.isfinite(x), [1, 0, 0, 0], { dtype: "bool" });
    expectArray(np.isnan(x), [0, 1, 0, 0]);
    expectArray(np.isinf(x), [0, 0, 1, 1]);
    expectArray(np.isfinite(i32([1])), [1]);
    expectArray(np.isnan(i32([1])), [0]);
    expectArray(np.isinf(i32([1])), [0]);
  });
  it("clip with either bound missing", () => {
    expectArray(np.clip(np.array([-2, 0.5, 3]), 0, 1), [0, 0.5, 1]);
    expectArray(np.clip(np.array([-2, 3]), null, 1), [-2, 1]);
    expectArray(np.clip(i32([-2, 3]), 0, null), [0, 3], { dtype: "int32" });
  });
  it("where broadcasts condition and branches", () => {
    expectArray(np.where(np.array([[true], [false]]), np.array([1, 2]), -1), [[1, 2], [-1, -1]]);
    expectArray(np.where(np.array([1, 0]), 5, 6), [5, 6]);
  });
});

describe("broadcasting properties", () => {
  it("np.add broadcasts like NumPy and agrees elementwise with a naive loop", () => {
    fc.assert(fc.property(broadcastPair({ maxRank: 3, maxDim: 3 }), ({ a, b, out }) => {
      const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
      const x = np.reshape(np.arange(size(a)), a);
      const y = np.reshape(np.multiply(np.arange(size(b)), 100), b);
      const z = np.add(x, y);
      expect(z.shape).toEqual(out);
      const xd = x.dataSync();
      const yd = y.dataSync();
      const zd = z.dataSync();
      // Index each operand with the output index, dropping leading axes and pinning size-1 axes.
      const at = (s: number[], idx: number[]) => {
        const off = idx.length - s.length;
        return s.reduce((f, d, i) => f * d + (d === 1 ? 0 : idx[off + i]), 0);
      };
      const idx = new Array(out.length).fill(0);
      for (let k = 0; k < zd.length; k++) {
        expect(zd[k]).toBe(xd[at(a, idx)] + yd[at(b, idx)]);
        for (let i = out.length - 1; i >= 0; i--) {
          if (++idx[i] < out[i]) break;
          idx[i] = 0;
        }
      }
    }), { numRuns: propertyRuns(60) });
  });
});
