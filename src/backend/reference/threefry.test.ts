import { describe, expect, it } from "vitest";
import { Prim, ShapedArray } from "../../ir/index.js";
import { threefry2x32Pair, threefryImpl } from "./threefry.js";
import type { RefArray } from "./ref-array.js";

// Known-answer vectors of Random123 (kat_vectors, threefry2x32_20), also used by JAX's tests.
const KAT: [number, number, number, number, number, number][] = [
  [0, 0, 0, 0, 0x6b200159, 0x99ba4efe],
  [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x1cb996fc, 0xbb002be7],
  [0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3, 0xc4923a9c, 0x483df7a0],
];

const u32 = (xs: number[]): RefArray => ({ data: new Uint32Array(xs), shape: [xs.length], dtype: "uint32" });

describe("reference threefry2x32", () => {
  it.each(KAT)("key (%d, %d) counter (%d, %d) matches Random123", (k0, k1, c0, c1, y0, y1) => {
    expect(threefry2x32Pair(k0, k1, c0, c1)).toEqual([y0, y1]);
  });

  it("hashes arrays elementwise", () => {
    const aval = new ShapedArray([3], "uint32");
    const [y0, y1] = threefryImpl(
      [u32(KAT.map((r) => r[0])), u32(KAT.map((r) => r[1])), u32(KAT.map((r) => r[2])), u32(KAT.map((r) => r[3]))],
      {},
      [aval, aval],
    );
    expect(Array.from(y0)).toEqual(KAT.map((r) => r[4]));
    expect(Array.from(y1)).toEqual(KAT.map((r) => r[5]));
  });

  it("is sensitive to every input word", () => {
    const base = threefry2x32Pair(1, 2, 3, 4);
    expect(threefry2x32Pair(1, 2, 3, 5)).not.toEqual(base);
    expect(threefry2x32Pair(1, 3, 3, 4)).not.toEqual(base);
    expect(Prim.Threefry2x32).toBe("threefry2x32");
  });
});
