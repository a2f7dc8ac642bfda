import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";
import { makeJaxpr } from "../trace/jaxpr-trace.js";
import type { Tracer } from "../trace/core.js";
import { array, ones } from "./creation.js";
import { einsum, einsumPath, kron } from "./einsum.js";
import { matmul } from "./linalg-core.js";

/** Brute-force einsum over letter-only subscripts with explicit output: the oracle. */
function refEinsum(spec: string, shapes: number[][], datas: number[][]): { shape: number[]; data: number[] } {
  const [lhs, out] = spec.split("->");
  const terms = lhs.split(",");
  const sizes = new Map<string, number>();
  terms.forEach((t, i) => [...t].forEach((l, ax) => sizes.set(l, shapes[i][ax])));
  const labels = [...sizes.keys()];
  const shape = [...out].map((l) => sizes.get(l)!);
  const data = new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0);
  const flatIndex = (ls: string, sh: number[], env: Map<string, number>) =>
    [...ls].reduce((acc, l, ax) => acc * sh[ax] + env.get(l)!, 0);
  const env = new Map<string, number>();
  const loop = (k: number): void => {
    if (k === labels.length) {
      let p = 1;
      terms.forEach((t, i) => (p *= datas[i][flatIndex(t, shapes[i], env)]));
      data[flatIndex(out, shape, env)] += p;
      return;
    }
    for (let v = 0; v < sizes.get(labels[k])!; v++) {
      env.set(labels[k], v);
      loop(k + 1);
    }
  };
  loop(0);
  return { shape, data };
}

const fromFlat = (data: number[], shape: number[]) => array(Float32Array.from(data), { shape });

/** A random einsum problem: 1-3 operands over labels a-d, explicit output, small sizes, integer data. */
const problem = fc
  .record({
    sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 4, maxLength: 4 }),
    terms: fc.array(fc.array(fc.constantFrom("a", "b", "c", "d"), { maxLength: 3 }), { minLength: 1, maxLength: 3 }),
    outMask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    shuffle: fc.integer({ min: 0, max: 23 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ sizes, terms, outMask, shuffle, seed }) => {
    const used = [...new Set(terms.flat())].sort();
    let out = used.filter((_, i) => outMask[i]);
    if (out.length > 1) out = out.map((_, i) => out[(i + shuffle) % out.length]);
    const size = (l: string) => sizes["abcd".indexOf(l)];
    const shapes = terms.map((t) => t.map(size));
    const datas = shapes.map((s, i) =>
      Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, k) => ((k * 37 + i * 11 + seed) % 9) - 4),
    );
    return { spec: `${terms.map((t) => t.join("")).join(",")}->${out.join("")}`, shapes, datas };
  });

describe("np.einsum values", () => {
  const a = array([[1, 2, 3], [4, 5, 6]]);
  const b = array([[1, 0], [0, 1], [1, 1]]);
  const m = array([[1, 2], [3, 4]]);

  it("matches matmul, explicitly and implicitly", () => {
    expectArray(einsum("ij,jk->ik", a, b), [[4, 5], [10, 11]]);
    expectArray(einsum("ij,jk", a, b), [[4, 5], [10, 11]]);
    expectArray(einsum(" i j , j k -> k i ", a, b), [[4, 10], [5, 11]]);
  });

  it("takes diagonals, traces, transposes and sums", () => {
    expectArray(einsum("ii->i", m), [1, 4]);
    expectArray(einsum("ii", m), 5);
    expectArray(einsum("ij->ji", m), [[1, 3], [2, 4]]);
    expectArray(einsum("ji", m), [[1, 3], [2, 4]]); // implicit output is alphabetical
    expectArray(einsum("ij->", a), 21);
    expectArray(einsum("ij->j", a), [5, 7, 9]);
    expectArray(einsum("iji->j", array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])), [1 + 6, 3 + 8]);
  });

  it("does outer products, dot products and scalar operands", () => {
    expectArray(einsum("i,j", array([1, 2]), array([3, 4, 5])), [[3, 4, 5], [6, 8, 10]]);
    expectArray(einsum("i,i->", array([1, 2, 3]), array([4, 5, 6])), 32);
    expectArray(einsum(",ij->ij", array(2), m), [[2, 4], [6, 8]]);
  });

  it("broadcasts ellipsis axes, including size 1 against n", () => {
    const x = einsum("...ij,...jk->...ik", ones([2, 2, 3]), ones([3, 2]));
    expectArray(x, [[[3, 3], [3, 3]], [[3, 3], [3, 3]]]);
    expectArray(einsum("...i,...i->...", array([[1, 2]]), array([[1, 1], [2, 2], [3, 3]])), [3, 6, 9]);
    expectArray(einsum("i...->...", array([[1, 2], [3, 4]])), [4, 6]);
    expectArray(einsum("...ii->...i", array([[[1, 2], [3, 4]]])), [[1, 4]]);
    // Size-1 indices broadcast like NumPy.
    expectArray(einsum("i,i->", array([2]), array([1, 2, 3])), 12);
  });

  it("contracts three operands to the same result as chained matmuls", () => {
    const c = array([[1, -1], [2, 0]]);
    const want = matmul(matmul(a, b), c);
    expectArray(einsum("ij,jk,kl->il", a, b, c), Array.from(want.dataSync()) as number[], { shape: [2, 2] });
    expectArray(einsum("ij,jk,kl", a, b, c), Array.from(want.dataSync()) as number[], { shape: [2, 2] });
  });

  it("promotes dtypes like NumPy", () => {
    const i = array([1, 2], { dtype: "int32" });
    expect(einsum("i,i->", i, i).dtype).toBe("int32");
    expect(einsum("i,i->", i, array([1, 1])).dtype).toBe("float32");
  });

  it("agrees with a brute-force loop on random subscripts and shapes", () => {
    fc.assert(
      fc.property(problem, ({ spec, shapes, datas }) => {
        const want = refEinsum(spec, shapes, datas);
        const got = einsum(spec, ...datas.map((d, i) => fromFlat(d, shapes[i])));
        expectArray(got, want.data, { shape: want.shape, atol: 0, rtol: 0 });
      }),
      { numRuns: propertyRuns(100) },
    );
  });

  it("agrees with loops on the common specs", () => {
    const dims = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 4, maxLength: 4 });
    const specs: [string, (d: number[]) => number[][]][] = [
      ["ij,jk->ik", ([i, j, k]) => [[i, j], [j, k]]],
      ["bij,bjk->bik", ([b, i, j, k]) => [[b, i, j], [b, j, k]]],
      ["i,i->", ([i]) => [[i], [i]]],
      ["ij->ji", ([i, j]) => [[i, j]]],
      ["ii->i", ([i]) => [[i, i]]],
    ];
    fc.assert(
      fc.property(dims, fc.integer({ min: 0, max: specs.length - 1 }), (d, which) => {
        const [spec, shapeFn] = specs[which];
        const shapes = shapeFn(d);
        const datas = shapes.map((s, n) => Array.from({ length: s.reduce((x, y) => x * y, 1) }, (_, k) => (k * 5 + n) % 9 - 4));
        const want = refEinsum(spec, shapes, datas);
        expectArray(einsum(spec, ...datas.map((x, n) => fromFlat(x, shapes[n]))), want.data, { shape: want.shape });
      }),
      { numRuns: propertyRuns(60) },
    );
  });
});

describe("np.einsum lowering", () => {
  const eqns = (f: (...xs: Tracer[]) => Tracer, ...xs: Tracer[]) => makeJaxpr(f)(...xs).program.eqns.map((e) => e.prim);

  it("lowers a matmul spec to a single dot_general", () => {
    expect(eqns((x, y) => einsum("ij,jk->ik", x, y), ones([2, 3]), ones([3, 4]))).toEqual(["dot_general"]);
    expect(eqns((x, y) => einsum("bij,bjk->bik", x, y), ones([5, 2, 3]), ones([5, 3, 4]))).toEqual(["dot_general"]);
    expect(eqns((x, y) => einsum("ij,kj->ik", x, y), ones([2, 3]), ones([4, 3]))).toEqual(["dot_general"]);
  });

  it("uses one dot_general per pairwise contraction", () => {
    const p = eqns((x, y, z) => einsum("ij,jk,kl->il", x, y, z), ones([2, 3]), ones([3, 4]), ones([4, 5]));
    expect(p.filter((x) => x === "dot_general")).toHaveLength(2);
  });

  it("picks the pair with the smallest intermediate first", () => {
    // x:[100,2] y:[2,100] v:[100]: contracting y with v first keeps intermediates at size 2.
    const [path, text] = einsumPath("ij,jk,k->i", ones([100, 2]), ones([2, 100]), ones([100]));
    expect(path).toEqual(["einsum_path", [1, 2], [0, 1]]);
    expect(text).toContain("intermediate size 2");
    const [plain] = einsumPath("ij,jk->ik", ones([2, 3]), ones([3, 4]));
    expect(plain).toEqual(["einsum_path", [0, 1]]);
  });
});

describe("np.einsum errors", () => {
  const a = ones([2, 3]);
  it("rejects bad subscripts", () => {
    expect(() => einsum("ij,j.k", a, a)).toThrow(/np\.einsum: invalid character "\."/);
    expect(() => einsum("i1", a)).toThrow(/invalid character "1"/);
    expect(() => einsum("......", a)).toThrow(/more than one ellipsis/);
    expect(() => einsum("ij->ii", a)).toThrow(/output index 'i' appears more than once/);
    expect(() => einsum("ij->k", a)).toThrow(/output index 'k' does not appear/);
    expect(() => einsum("ij->i->j", a)).toThrow(/more than one "->"/);
  });

  it("checks operand counts and ranks", () => {
    expect(() => einsum("ij,jk", a)).toThrow(/name 2 operand\(s\) but 1 were passed/);
    expect(() => einsum("ijk", a)).toThrow(/operand 0 has shape \(2, 3\) \(rank 2\) but its term "ijk" names 3 axes/);
    expect(() => einsum("ij")).toThrow(/at least one operand/);
  });

  it("names the index and both sizes on a mismatch", () => {
    expect(() => einsum("ij,jk", a, a)).toThrow(/index 'j' has size 3 in operand 0 but size 2 in operand 1/);
    expect(() => einsum("ii", a)).toThrow(/index 'i' repeats in operand 0 with different sizes 2 and 3/);
  });
});

describe("np.kron", () => {
  it("builds block matrices", () => {
    expectArray(kron(array([[1, 0], [0, 1]]), array([[1, 2], [3, 4]])), [
      [1, 2, 0, 0],
      [3, 4, 0, 0],
      [0, 0, 1, 2],
      [0, 0, 3, 4],
    ]);
    expectArray(kron(array([1, 10]), array([1, 2, 3])), [1, 2, 3, 10, 20, 30]);
    // Lower rank gets leading ones: (2,) x (2, 2) -> (2, 4).
    expectArray(kron(array([1, 2]), array([[1, 1], [1, 1]])), [[1, 1, 2, 2], [1, 1, 2, 2]]);
  });
});
