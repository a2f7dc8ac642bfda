import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Prim } from "../../ir/index.js";
import { digamma, erf, erfc, erfinv, lgamma } from "./special.js";
import { h, run1 } from "../../../tests/property/ref-run.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";

// Values computed with mpmath at 30 digits and rounded to the nearest double.
const ERF: [number, number][] = [
  [1e-10, 1.1283791670955126e-10], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465],
  [1.0, 0.8427007929497149], [1.5, 0.9661051464753108], [2.0, 0.9953222650189527],
  [2.4, 0.999311486103355], [2.5, 0.999593047982555], [3.0, 0.9999779095030014],
  [4.0, 0.9999999845827421], [5.0, 0.9999999999984626], [-0.5, -0.5204998778130465],
  [-3.0, -0.9999779095030014],
];
const ERFC: [number, number][] = [
  [1e-10, 0.999999999887162], [0.5, 0.4795001221869535], [1.0, 0.15729920705028513],
  [2.0, 0.004677734981047266], [2.4, 0.0006885138966450789], [3.0, 2.209049699858544e-5],
  [5.0, 1.537459794428035e-12], [10.0, 2.088487583762545e-45], [26.0, 5.663192408856143e-296],
  [-1.0, 1.8427007929497148], [-3.0, 1.9999779095030015],
];
const ERFINV: [number, number][] = [
  [1e-10, 8.862269254527581e-11], [0.1, 0.08885599049425769], [0.5, 0.4769362762044699],
  [0.9, 1.1630871536766743], [0.99, 1.8213863677184494], [0.999999, 3.458910737275499],
  [0.9999999999, 4.572824958544925], [0.999999999999999, 5.675915739744713], [-0.7, -0.7328690779592167],
];
const LGAMMA: [number, number][] = [
  [1e-8, 18.42068073818021], [0.1, 2.252712651734206], [0.5, 0.5723649429247001],
  [1.5, -0.12078223763524522], [2.5, 0.2846828704729192], [3.0, 0.6931471805599453],
  [4.5, 2.4537365708424423], [10.0, 12.801827480081469], [100.0, 359.1342053695754],
  [1e5, 1051287.7089736569], [1e8, 1742068066.1038346], [-0.5, 1.2655121234846454],
  [-1.5, 0.860047015376481], [-2.5, -0.056243716497674054],
  // Near the zeros at 1 and 2, where a relative error bound is hardest to meet:
  [0.9, 0.06637623973474295], [0.999, 0.0005780385328913802], [1.001, -0.0005763935982833062], [1.1, -0.049872441259839764], [1.9, -0.03898427592308336], [1.999, -0.0004224618006921073], [2.001, 0.000423106734800117], [2.1, 0.04543773854448518],
];
const DIGAMMA: [number, number][] = [
  [1e-6, -1000000.5772140201], [0.1, -10.423754940411076], [0.5, -1.9635100260214235],
  [1.0, -0.5772156649015329], [2.0, 0.42278433509846713], [3.5, 1.103156640645243],
  [6.0, 1.7061176684318005], [10.0, 2.251752589066721], [100.0, 4.600161852738087],
  [1e6, 13.815510057964191], [-0.5, 0.03648997397857652], [-1.5, 0.7031566406452432],
  [-2.3, 3.3173231575618227],
];

const rel = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);

describe.each([
  ["erf", erf, ERF, 1e-14],
  ["erfc", erfc, ERFC, 1e-13],
  ["erfinv", erfinv, ERFINV, 1e-14],
  ["lgamma", lgamma, LGAMMA, 1e-13],
  ["digamma", digamma, DIGAMMA, 1e-13],
] as const)("%s against tabulated values", (name, fn, table, tol) => {
  for (const [x, want] of table) {
    it(`${name}(${x}) = ${want}`, () => {
      expect(rel(fn(x), want)).toBeLessThanOrEqual(tol);
    });
  }
});

describe("special values", () => {
  it("erf/erfc limits and NaN", () => {
    expect([erf(0), erf(Infinity), erf(-Infinity), erf(NaN)]).toEqual([0, 1, -1, NaN]);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect([erfc(0), erfc(Infinity), erfc(-Infinity), erfc(NaN)]).toEqual([1, 0, 2, NaN]);
  });
  it("erfinv limits and domain", () => {
    expect([erfinv(0), erfinv(1), erfinv(-1)]).toEqual([0, Infinity, -Infinity]);
    expect([erfinv(1.5), erfinv(-1.0000001), erfinv(NaN)]).toEqual([NaN, NaN, NaN]);
  });
  it("lgamma poles and infinities", () => {
    expect([lgamma(0), lgamma(-1), lgamma(-7), lgamma(Infinity), lgamma(-Infinity), lgamma(NaN)]).toEqual([
      Infinity, Infinity, Infinity, Infinity, Infinity, NaN,
    ]);
    expect(lgamma(1)).toBe(0);
    expect(lgamma(2)).toBe(0);
  });
  it("digamma poles and infinities", () => {
    expect([digamma(0), digamma(-2), digamma(Infinity), digamma(-Infinity), digamma(NaN)]).toEqual([NaN, NaN, Infinity, NaN, NaN]);
  });
});

describe("identities (property)", () => {
  const runs = { numRuns: propertyRuns(200) };
  it("erf(x) + erfc(x) = 1 and erf is odd", () => {
    fc.assert(fc.property(fc.double({ min: -6, max: 6, noNaN: true }), (x) => {
      expect(Math.abs(erf(x) + erfc(x) - 1)).toBeLessThan(1.2e-15); // a few ulps of 1: each term is rounded
      expect(erf(-x)).toBe(-erf(x));
    }), runs);
  });
  it("erf(erfinv(y)) = y", () => {
    fc.assert(fc.property(fc.double({ min: -0.999, max: 0.999, noNaN: true }), (y) => {
      expect(Math.abs(erf(erfinv(y)) - y)).toBeLessThan(2e-15);
    }), runs);
  });
  it("lgamma(x + 1) = lgamma(x) + log x", () => {
    fc.assert(fc.property(fc.double({ min: 0.1, max: 50, noNaN: true }), (x) => {
      expect(Math.abs(lgamma(x + 1) - lgamma(x) - Math.log(x))).toBeLessThan(1e-13 * Math.max(1, Math.abs(lgamma(x + 1))));
    }), runs);
  });
  it("digamma(x + 1) = digamma(x) + 1/x", () => {
    fc.assert(fc.property(fc.double({ min: 0.05, max: 50, noNaN: true }), (x) => {
      expect(Math.abs(digamma(x + 1) - digamma(x) - 1 / x)).toBeLessThan(1e-13 * Math.max(1, 1 / x));
    }), runs);
  });
});

describe("as primitives", () => {
  it("float32 results are the float64 function rounded", () => {
    const xs = [0.1, 0.5, 2];
    expect(run1(Prim.Erf, [h(xs)], {})).toEqual(xs.map((x) => Math.fround(erf(Math.fround(x)))));
    expect(run1(Prim.Lgamma, [h(xs)], {})).toEqual(xs.map((x) => Math.fround(lgamma(Math.fround(x)))));
    expect(run1(Prim.Digamma, [h(xs, "float64")], {})).toEqual(xs.map(digamma));
    expect(run1(Prim.ErfInv, [h(xs, "float64")], {})).toEqual(xs.map(erfinv));
    expect(run1(Prim.Erfc, [h(xs, "float64")], {})).toEqual(xs.map(erfc));
  });
});
