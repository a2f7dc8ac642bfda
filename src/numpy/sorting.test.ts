import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { np } from "../index.js";
import { makeJaxpr } from "../trace/jaxpr-trace.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";

describe("np.sort / np.argsort", () => {
  it("sorts along the last axis by default, NaN last", () => {
    expectArray(np.sort(np.array([[3, NaN, 1], [0, -Infinity, 2]])), [[1, 3, NaN], [-Infinity, 0, 2]]);
    expectArray(np.sort(np.array([[3, 1], [0, 2]]), { axis: 0 }), [[0, 1], [3, 2]]);
    expectArray(np.sort(np.array([[3, 1], [0, 2]]), { axis: null }), [0, 1, 2, 3]);
    expectArray(np.sort(np.array([1, 3, 2]), { descending: true }), [3, 2, 1]);
    expect(np.sort(np.array([2, 1], { dtype: "int32" })).dtype).toBe("int32");
  });

  it("argsort is stable, also when descending (as jax.numpy)", () => {
    expectArray(np.argsort(np.array([3, 1, 2])), [1, 2, 0], { dtype: "int32" });
    expectArray(np.argsort(np.array([1, 0, 1, 0])), [1, 3, 0, 2]);
    expectArray(np.argsort(np.array([1, 0, 1, 0]), { descending: true }), [0, 2, 1, 3]);
    expectArray(np.argsort(np.array([NaN, 1, -1])), [2, 1, 0]);
    expectArray(np.argsort(np.array([[3, 1], [0, 2]]), { axis: 0 }), [[1, 0], [0, 1]]);
  });

  it("keeps -0 and +0 in their original order", () => {
    const s = np.sort(np.array([0, -0, -1])).dataSync();
    expect(Object.is(s[1], 0) && Object.is(s[2], -0)).toBe(true);
  });

  it("offers Array methods", () => {
    expectArray(np.array([2, 1, 3]).sort(), [1, 2, 3]);
    expectArray(np.array([2, 1, 3]).argsort({ descending: true }), [2, 0, 1]);
  });

  it("errors clearly", () => {
    expect(() => np.sort(np.array([1, 2]), { axis: 3 })).toThrow(/np\.sort: axis 3 is out of bounds/);
    expect(() => np.sort(np.array(1))).toThrow(/scalar/);
  });

  it("property: sort output is sorted and a permutation; argsort reproduces it", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 40 }), (vals) => {
        const x = np.array(vals, { dtype: "int32" });
        const s = Array.from(np.sort(x).dataSync());
        expect(s).toEqual([...vals].sort((a, b) => a - b));
        const idx = Array.from(np.argsort(x).dataSync());
        expect(idx.map((i) => vals[i])).toEqual(s);
        for (let i = 1; i < idx.length; i++) if (s[i] === s[i - 1]) expect(idx[i]).toBeGreaterThan(idx[i - 1]);
      }),
      { numRuns: propertyRuns() },
    );
  });
});

describe("np.lexsort / partition", () => {
  it("sorts by the last key first (NumPy's example)", () => {
    // numpy docs: surnames/first names; here as codes: last key primary.
    const first = np.array([3, 1, 2, 1, 2], { dtype: "int32" });
    const last = np.array([1, 0, 1, 0, 0], { dtype: "int32" });
    expectArray(np.lexsort([first, last]), [1, 3, 4, 2, 0], { dtype: "int32" });
    expectArray(np.lexsort(np.array([[3, 1, 2], [1, 1, 0]])), [2, 1, 0]);
  });

  it("partitions around kth", () => {
    const p = Array.from(np.partition(np.array([3, 4, 2, 1]), 2).dataSync());
    expect(p[2]).toBe(3);
    expect(p.slice(0, 2).every((v) => v <= 3) && p[3] >= 3).toBe(true);
    const ap = Array.from(np.argpartition(np.array([3, 4, 2, 1]), 1).dataSync());
    expect([3, 4, 2, 1][ap[1]]).toBe(2);
    expect(() => np.partition(np.array([1, 2]), 2)).toThrow(/kth 2 is out of bounds/);
  });
});

describe("np.searchsorted", () => {
  it("matches NumPy's documented examples", () => {
    const a = np.array([1, 2, 3, 4, 5]);
    expectArray(np.searchsorted(a, 3), 2, { dtype: "int32" });
    expectArray(np.searchsorted(a, 3, { side: "right" }), 3);
    expectArray(np.searchsorted(a, np.array([-10, 10, 2, 3])), [0, 5, 1, 2]);
  });

  it("places NaN after numbers and honours sorter", () => {
    expectArray(np.searchsorted(np.array([1, 2, NaN]), np.array([NaN, 5])), [2, 2]);
    expectArray(np.searchsorted(np.array([1, 2, NaN]), NaN, { side: "right" }), 3);
    expectArray(np.searchsorted(np.array([3, 1, 2]), 2.5, { sorter: np.array([1, 2, 0], { dtype: "int32" }) }), 2);
  });
});

describe("np.unique", () => {
  it("returns sorted unique values with index, inverse and counts", () => {
    const x = np.array([[1, 1], [2, 3]]);
    expectArray(np.unique(x), [1, 2, 3]);
    const [u, idx, inv, cnt] = np.unique(np.array([1, 2, 6, 4, 2, 3, 2]), {
      returnIndex: true, returnInverse: true, returnCounts: true,
    }) as np.Array[];
    expectArray(u, [1, 2, 3, 4, 6]);
    expectArray(idx, [0, 1, 5, 3, 2], { dtype: "int32" });
    expectArray(inv, [0, 1, 4, 3, 1, 2, 1]);
    expectArray(cnt, [1, 3, 1, 1, 1]);
    expectArray(np.unique(np.array([NaN, 1, NaN])), [1, NaN]);
  });

  it("with size, matches the eager result and traces", () => {
    const x = np.array([3, 1, 3, 2, 1], { dtype: "int32" });
    const [u, idx, inv, cnt] = np.unique(x, { size: 5, returnIndex: true, returnInverse: true, returnCounts: true }) as np.Array[];
    expectArray(u, [1, 2, 3, 1, 1]);
    expectArray(idx, [1, 3, 0, 1, 1]);
    expectArray(inv, [2, 0, 2, 1, 0]);
    expectArray(cnt, [2, 1, 2, 0, 0]);
    expectArray(np.unique(x, { size: 2 }), [1, 2]);
    expectArray(np.unique(x, { size: 4, fillValue: -1 }), [1, 2, 3, -1]);
    expect(makeJaxpr((t: np.Array) => np.unique(t, { size: 3 }))(x).toString()).toContain("sort");
  });

  it("explains that unique without size cannot trace", () => {
    expect(() => makeJaxpr((t: np.Array) => np.unique(t))(np.ones([3]))).toThrow(/static size.*size: n/);
  });
});

describe("np.quantile / percentile / median", () => {
  // NumPy's documented examples (numpy.percentile, numpy.quantile, numpy.median).
  const a = np.array([[10, 7, 4], [3, 2, 1]]);

  it("matches NumPy's examples", () => {
    expectArray(np.percentile(a, 50), 3.5);
    expectArray(np.percentile(a, 50, { axis: 0 }), [6.5, 4.5, 2.5]);
    expectArray(np.percentile(a, 50, { axis: 1 }), [7, 2]);
    expectArray(np.percentile(a, 50, { axis: 1, keepdims: true }), [[7], [2]]);
    expectArray(np.quantile(a, 0.5), 3.5);
    expectArray(np.median(a), 3.5);
    expectArray(np.median(a, { axis: 0 }), [6.5, 4.5, 2.5]);
    expectArray(np.median(a, { axis: 1 }), [7, 2]);
  });

  it("supports the classic methods", () => {
    const x = np.array([1, 2, 3, 4]);
    // position q*(n-1) = 1.5 for q = 0.5, 0.75 * 3 = 2.25 for q = 0.75
    expectArray(np.quantile(x, np.array([0.5, 0.75]), { method: "linear" }), [2.5, 3.25]);
    expectArray(np.quantile(x, np.array([0.5, 0.75]), { method: "lower" }), [2, 3]);
    expectArray(np.quantile(x, np.array([0.5, 0.75]), { method: "higher" }), [3, 4]);
    expectArray(np.quantile(x, np.array([0.5, 0.75]), { method: "nearest" }), [3, 3]); // 1.5 rounds to even 2
    expectArray(np.quantile(x, np.array([0.5, 0.75]), { method: "midpoint" }), [2.5, 3.5]);
    expectArray(np.quantile(np.array([[1, 2], [3, 4]]), np.array([0, 1]), { axis: 0 }), [[1, 2], [3, 4]]);
  });

  it("propagates NaN, and the nan* forms skip it", () => {
    expectArray(np.median(np.array([1, NaN, 3])), NaN);
    expectArray(np.nanmedian(np.array([1, NaN, 3])), 2);
    expectArray(np.nanmedian(np.array([[10, NaN, 4], [3, 2, 1]]), { axis: 1 }), [7, 2]);
    expectArray(np.nanpercentile(np.array([NaN, NaN]), 50), NaN);
    expectArray(np.nanquantile(np.array([1, NaN, 2, 3]), 1), 3);
  });

  it("validates q and traces with a traced q", () => {
    expect(() => np.quantile(a, 1.5)).toThrow(/q must be in \[0, 1\]/);
    expect(() => np.percentile(a, -1)).toThrow(/\[0, 100\]/);
    expect(() => np.quantile(a, 0.5, { method: "weird" as never })).toThrow(/unknown method/);
    const text = makeJaxpr((x: np.Array, q: np.Array) => np.quantile(x, q))(a, np.array([0.25])).toString();
    expect(text).toContain("sort");
  });
});
