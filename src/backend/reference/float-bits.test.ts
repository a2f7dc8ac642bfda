import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { nextafter, roundF16 } from "./float-bits.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";

const is = (a: number, b: number) => expect(Object.is(a, b), `${a} vs ${b}`).toBe(true);

/** Every finite non-negative binary16 value, from its bit patterns (independent of roundF16). */
const F16_VALUES: number[] = (() => {
  const out: number[] = [];
  for (let b = 0; b < 0x7c00; b++) {
    const e = b >> 10;
    const m = b & 1023;
    out.push(e === 0 ? m * 2 ** -24 : 2 ** (e - 15) * (1 + m / 1024));
  }
  return out;
})();

describe("roundF16 against known binary16 values", () => {
  it("extremes", () => {
    is(roundF16(65504), 65504); // largest finite
    is(roundF16(65519.99), 65504);
    is(roundF16(65520), Infinity); // halfway to 65536 rounds to even, which overflows
    is(roundF16(-65520), -Infinity);
    is(roundF16(1e10), Infinity);
    is(roundF16(2 ** -24), 2 ** -24); // smallest subnormal
    is(roundF16(2 ** -14), 2 ** -14); // smallest normal
    is(roundF16(2 ** -14 - 2 ** -24), 2 ** -14 - 2 ** -24); // largest subnormal
    is(roundF16(2 ** -25), 0); // tie between 0 and 2^-24 -> even (0)
    is(roundF16(-(2 ** -25)), -0);
    is(roundF16(2 ** -25 * 1.0001), 2 ** -24);
    is(roundF16(3 * 2 ** -25), 2 ** -23); // tie between 1 and 2 quanta -> 2
    is(roundF16(2 ** -26), 0);
  });
  it("ties to even in the normal range", () => {
    is(roundF16(1 + 2 ** -11), 1);
    is(roundF16(1 + 3 * 2 ** -11), 1 + 2 ** -9);
    is(roundF16(2049), 2048);
    is(roundF16(2051), 2052);
    is(roundF16(2050), 2050);
  });
  it("common decimals", () => {
    is(roundF16(0.1), 0.0999755859375);
    is(roundF16(1 / 3), 0.333251953125);
    is(roundF16(Math.PI), 3.140625);
  });
  it("passes through zeros, infinities and NaN", () => {
    is(roundF16(0), 0);
    is(roundF16(-0), -0);
    is(roundF16(Infinity), Infinity);
    is(roundF16(-Infinity), -Infinity);
    is(roundF16(NaN), NaN);
  });
  it("is the identity on every binary16 value", () => {
    for (const v of F16_VALUES) {
      if (roundF16(v) !== v || roundF16(-v) !== -v) throw new Error(`roundF16 moved ${v}`);
    }
  });
  it("rounds to the nearest binary16 value, ties to the even pattern (property)", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: F16_VALUES.length - 2 }), fc.double({ min: 0, max: 1, noNaN: true }), (i, t) => {
      const lo = F16_VALUES[i];
      const hi = F16_VALUES[i + 1];
      const x = lo + t * (hi - lo);
      const want = x - lo < hi - x ? lo : x - lo > hi - x ? hi : i % 2 === 0 ? lo : hi;
      is(roundF16(x), want);
      is(roundF16(-x), -want);
    }), { numRuns: propertyRuns(500) });
  });
});

describe("nextafter", () => {
  it("float64", () => {
    is(nextafter(1, 2, "double"), 1 + 2 ** -52);
    is(nextafter(1, 0, "double"), 1 - 2 ** -53);
    is(nextafter(0, 1, "double"), 5e-324);
    is(nextafter(-0, -1, "double"), -5e-324);
    is(nextafter(Number.MAX_VALUE, Infinity, "double"), Infinity);
    is(nextafter(Infinity, 0, "double"), Number.MAX_VALUE);
    is(nextafter(-1, 0, "double"), -1 + 2 ** -53);
    is(nextafter(0, -0, "double"), -0); // x == y returns y
  });
  it("float32", () => {
    is(nextafter(1, 2, "single"), 1 + 2 ** -23);
    is(nextafter(1, -5, "single"), 1 - 2 ** -24);
    is(nextafter(0, -1, "single"), -(2 ** -149));
    is(nextafter(-(2 ** -149), 1, "single"), -0);
    is(nextafter(1, 2, true), 1 + 2 ** -23);
  });
  it("float16", () => {
    is(nextafter(1, 2, "half"), 1 + 2 ** -10);
    is(nextafter(1, 0, "half"), 1 - 2 ** -11);
    is(nextafter(0, 1, "half"), 2 ** -24);
    is(nextafter(2 ** -14, 0, "half"), 2 ** -14 - 2 ** -24);
    is(nextafter(65504, Infinity, "half"), Infinity);
    is(nextafter(Infinity, 0, "half"), 65504);
    is(nextafter(-2, -3, "half"), -2 - 2 ** -9);
  });
  it("NaN in, NaN out", () => {
    is(nextafter(NaN, 1, "single"), NaN);
    is(nextafter(1, NaN, "half"), NaN);
  });
  it("float16 steps walk the binary16 values in order (property)", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: F16_VALUES.length - 2 }), (i) => {
      is(nextafter(F16_VALUES[i], Infinity, "half"), F16_VALUES[i + 1]);
      if (i > 0) is(nextafter(F16_VALUES[i], -Infinity, "half"), F16_VALUES[i - 1]);
      is(nextafter(-F16_VALUES[i + 1], 0, "half"), -F16_VALUES[i]);
    }), { numRuns: propertyRuns(300) });
  });
  it("float32 steps are one ulp: the result is a float32 and nothing lies between (property)", () => {
    fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
      const up = nextafter(x, Infinity, "single");
      expect(up).toBeGreaterThan(x);
      expect(Math.fround(up)).toBe(up);
      expect(Math.fround((x + up) / 2) === x || Math.fround((x + up) / 2) === up).toBe(true);
    }), { numRuns: propertyRuns(300) });
  });
});
