import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { type DType, Prim, type PrimParams, sizeOf, stridesOf } from "../../ir/index.js";
import { h, runRef } from "../../../tests/property/ref-run.js";
import { data as dataArb } from "../../../tests/property/generators.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { forEachIndex } from "./ref-array.js";

type DN = PrimParams[Prim.DotGeneral]["dimensionNumbers"];
const dot = (l: number[], ls: number[], r: number[], rs: number[], dn: DN, d: DType = "float64", pet: DType | null = null) =>
  runRef(Prim.DotGeneral, [h(l, d, ls), h(r, d, rs)], { dimensionNumbers: dn, preferredElementType: pet })[0];

/** dot_general by its definition: loop over the output and every contracted multi-index. */
function naive(l: number[], ls: number[], r: number[], rs: number[], [[lc, rc], [lb, rb]]: DN): { shape: number[]; data: number[] } {
  const lFree = ls.map((_, i) => i).filter((i) => !lc.includes(i) && !lb.includes(i));
  const rFree = rs.map((_, i) => i).filter((i) => !rc.includes(i) && !rb.includes(i));
  const shape = [...lb.map((d) => ls[d]), ...lFree.map((d) => ls[d]), ...rFree.map((d) => rs[d])];
  const cShape = lc.map((d) => ls[d]);
  const lst = stridesOf(ls);
  const rst = stridesOf(rs);
  const out: number[] = [];
  forEachIndex(shape, (o) => {
    const li = new Array(ls.length).fill(0);
    const ri = new Array(rs.length).fill(0);
    lb.forEach((d, k) => ((li[d] = o[k]), (ri[rb[k]] = o[k])));
    lFree.forEach((d, k) => (li[d] = o[lb.length + k]));
    rFree.forEach((d, k) => (ri[d] = o[lb.length + lFree.length + k]));
    let acc = 0;
    forEachIndex(cShape, (c) => {
      c.forEach((v, k) => ((li[lc[k]] = v), (ri[rc[k]] = v)));
      acc += l[li.reduce((a, v, i) => a + v * lst[i], 0)] * r[ri.reduce((a, v, i) => a + v * rst[i], 0)];
    });
    out.push(acc);
  });
  return { shape, data: out };
}

describe("dot_general known values", () => {
  it("matrix product", () => {
    const r = dot([1, 2, 3, 4, 5, 6], [2, 3], [7, 8, 9, 10, 11, 12], [3, 2], [[[1], [0]], [[], []]]);
    expect(r.shape).toEqual([2, 2]);
    expect(r.data).toEqual([58, 64, 139, 154]);
  });
  it("vector inner and outer products", () => {
    expect(dot([1, 2, 3], [3], [4, 5, 6], [3], [[[0], [0]], [[], []]]).data).toEqual([32]);
    expect(dot([1, 2], [2], [3, 4, 5], [3], [[[], []], [[], []]]).data).toEqual([3, 4, 5, 6, 8, 10]);
  });
  it("batched matmul with batch axis first", () => {
    const r = dot([1, 2, 3, 4], [2, 1, 2], [1, 1, 2, 2], [2, 2, 1], [[[2], [1]], [[0], [0]]]);
    expect([r.shape, r.data]).toEqual([[2, 1, 1], [3, 14]]);
  });
  it("two contracting dims, contracted in a permuted order", () => {
    // sum_{j,k} l[i,j,k] r[k,j]
    const l = Array.from({ length: 12 }, (_, i) => i);
    const r = [1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0];
    const got = dot(l, [1, 3, 4], r, [4, 3], [[[1, 2], [1, 0]], [[], []]]);
    expect(got.data).toEqual(naive(l, [1, 3, 4], r, [4, 3], [[[1, 2], [1, 0]], [[], []]]).data);
  });
  it("int32 wraps; bool is or-of-ands; preferred element type widens", () => {
    expect(dot([65536, 1], [2], [65536, 5], [2], [[[0], [0]], [[], []]], "int32").data).toEqual([5]);
    expect(dot([2147483647, 1], [2], [1, 1], [2], [[[0], [0]], [[], []]], "int32").data).toEqual([-2147483648]);
    expect(dot([1, 0, 0, 1], [2, 2], [0, 1, 0, 0], [2, 2], [[[1], [0]], [[], []]], "bool").data).toEqual([0, 1, 0, 0]);
    const r = dot([1, 2], [2], [3, 4], [2], [[[0], [0]], [[], []]], "int32", "float32");
    expect([r.dtype, r.data]).toEqual(["float32", [11]]);
  });
  it("float32 accumulates in float64 and rounds once", () => {
    const r = dot([2 ** 24, 1, 1], [3], [1, 1, 1], [3], [[[0], [0]], [[], []]], "float32");
    expect(r.data).toEqual([2 ** 24 + 2]);
  });
  it("empty contraction gives zeros", () => {
    expect(dot([], [2, 0], [], [0, 3], [[[1], [0]], [[], []]]).data).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

/** Random dot_general problems: axis sizes and a random layout of batch/contract/free axes. */
const problem = fc
  .record({
    b: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    c: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
    lf: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    rf: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
    seedL: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
    seedR: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
  })
  .chain(({ b, c, lf, rf, seedL, seedR }) => {
    // Axis roles in canonical order, then shuffled by sorting on the random seeds.
    const roles = (free: number[]) => [
      ...b.map((s, i) => ({ kind: "b", i, s })),
      ...c.map((s, i) => ({ kind: "c", i, s })),
      ...free.map((s, i) => ({ kind: "f", i, s })),
    ];
    const order = <T>(xs: T[], seed: number[]) => xs.map((x, k) => [seed[k], x] as const).sort((p, q) => p[0] - q[0]).map(([, x]) => x);
    const L = order(roles(lf), seedL);
    const R = order(roles(rf), seedR);
    const pos = (axes: typeof L, kind: string) =>
      axes.map((a, d) => [a, d] as const).filter(([a]) => a.kind === kind).sort((p, q) => p[0].i - q[0].i).map(([, d]) => d);
    const ls = L.map((a) => a.s);
    const rs = R.map((a) => a.s);
    const dn: DN = [[pos(L, "c"), pos(R, "c")], [pos(L, "b"), pos(R, "b")]];
    return fc.record({
      l: dataArb("int32", sizeOf(ls), { min: -5, max: 5 }),
      r: dataArb("int32", sizeOf(rs), { min: -5, max: 5 }),
      ls: fc.constant(ls),
      rs: fc.constant(rs),
      dn: fc.constant(dn),
    });
  });

describe("dot_general vs a naive loop (property)", () => {
  it("float64, any layout of batch, contracting and free axes", () => {
    fc.assert(fc.property(problem, ({ l, r, ls, rs, dn }) => {
      const got = dot(l, ls, r, rs, dn);
      const want = naive(l, ls, r, rs, dn);
      expect(got.shape).toEqual(want.shape);
      expect(got.data).toEqual(want.data);
    }), { numRuns: propertyRuns(150) });
  });
  it("int32 agrees too", () => {
    fc.assert(fc.property(problem, ({ l, r, ls, rs, dn }) => {
      expect(dot(l, ls, r, rs, dn, "int32").data).toEqual(naive(l, ls, r, rs, dn).data);
    }), { numRuns: propertyRuns(50) });
  });
});
