import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { type DType, Prim, ShapedArray, allocTyped } from "../../ir/index.js";
import type { RefArray } from "./ref-array.js";
import { compareTotal, sortImpls } from "./sort.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";

const ref = (values: number[], shape: number[], dtype: DType = "float32"): RefArray => {
  const data = allocTyped(dtype, values.length);
  data.set(values);
  return { data, shape, dtype };
};

const sort = (xs: RefArray[], dimension: number, numKeys = 1) =>
  sortImpls[Prim.Sort](xs, { dimension, isStable: true, numKeys }, xs.map((x) => new ShapedArray(x.shape, x.dtype)));

const topK = (x: RefArray, k: number) =>
  sortImpls[Prim.TopK]([x], { k }, [
    new ShapedArray([...x.shape.slice(0, -1), k], x.dtype),
    new ShapedArray([...x.shape.slice(0, -1), k], "int32"),
  ]);

describe("reference sort", () => {
  it("sorts along the last axis with NaN last and -inf first", () => {
    const [y] = sort([ref([3, NaN, -Infinity, 1, Infinity, -2], [6])], 0);
    expect(Array.from(y)).toEqual([-Infinity, -2, 1, 3, Infinity, NaN]);
  });

  it("treats -0 and +0 as equal and keeps their order (stable)", () => {
    const [a] = sort([ref([0, -0, 1], [3])], 0);
    expect(Object.is(a[0], 0) && Object.is(a[1], -0)).toBe(true);
    const [b] = sort([ref([-0, 0, -1], [3])], 0);
    expect(Object.is(b[1], -0) && Object.is(b[2], 0)).toBe(true);
  });

  it("sorts along axis 0 of a matrix", () => {
    const [y] = sort([ref([3, 1, 2, 0, 1, 5], [3, 2])], 0);
    expect(Array.from(y)).toEqual([1, 0, 2, 1, 3, 5]);
  });

  it("permutes every operand by the keys, lexicographically over numKeys", () => {
    const k1 = ref([1, 0, 1, 0], [4], "int32");
    const k2 = ref([5, 7, 2, 7], [4], "int32");
    const v = ref([10, 11, 12, 13], [4], "int32");
    const [, , a] = sort([k1, k2, v], 0, 2);
    expect(Array.from(a)).toEqual([11, 13, 12, 10]); // (0,7),(0,7) stable, then (1,2),(1,5)
    const [, b] = sort([k1, v], 0, 1);
    expect(Array.from(b)).toEqual([11, 13, 10, 12]);
  });

  it("sorts uint32 above 2^31 as unsigned", () => {
    const [y] = sort([ref([0xffffffff, 1, 0x80000000], [3], "uint32")], 0);
    expect(Array.from(y)).toEqual([1, 0x80000000, 0xffffffff]);
  });

  it("property: output is sorted and a permutation of the input", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(NaN)), { maxLength: 30 }), (vals) => {
        const [y] = sort([ref(vals, [vals.length], "float64")], 0);
        const out = Array.from(y);
        for (let i = 1; i < out.length; i++) expect(compareTotal(out[i - 1], out[i])).toBeLessThanOrEqual(0);
        const key = (xs: number[]) => xs.map(String).sort().join(",");
        expect(key(out)).toBe(key(vals));
      }),
      { numRuns: propertyRuns() },
    );
  });
});

describe("reference top_k", () => {
  it("returns the k largest with indices, NaN largest, ties by lower index", () => {
    const [v, i] = topK(ref([1, 3, NaN, 3, 2], [5]), 3);
    expect(Array.from(v)).toEqual([NaN, 3, 3]);
    expect(Array.from(i)).toEqual([2, 1, 3]);
  });

  it("works row by row", () => {
    const [v, i] = topK(ref([1, 4, 2, 9, 8, 7], [2, 3]), 2);
    expect(Array.from(v)).toEqual([4, 2, 9, 8]);
    expect(Array.from(i)).toEqual([1, 2, 0, 1]);
  });
});
