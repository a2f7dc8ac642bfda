import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { lax, np } from "../index.js";
import type { Tracer } from "../trace/core.js";
import { jvp } from "./jvp.js";
import { grad, vjp } from "./vjp.js";
import { propertyRuns } from "../../tests/helpers/assert.js";
import { randoms } from "../../tests/helpers/random.js";

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const f64 = (data: number[], shape: readonly number[]) => np.reshape(np.array(data, { dtype: "float64" }), [...shape]);
const rand = (shape: readonly number[], seed: number, lo = -1, hi = 1) => f64(randoms(size(shape), seed, lo, hi), shape);
const i32 = (data: number[], shape: readonly number[]) => np.reshape(np.array(data, { dtype: "int32" }), [...shape]);
const asList = (y: unknown): Tracer[] => (Array.isArray(y) ? (y as Tracer[]) : [y as Tracer]);
const dot = (a: Tracer, b: Tracer) => np.sum(np.multiply(a, b)).item() as number;

type Fn = (...xs: Tracer[]) => Tracer | Tracer[];

/**
 * The transpose identity <ct, J t> = <J^T ct, t> with J t from jvp and J^T ct from vjp (the
 * transposed linearization), on random t and ct, to float64 precision. Returns <ct, J t> so
 * callers can insist the check is not vacuous.
 */
function checkTranspose(f: Fn, xs: Tracer[], seed = 5, rtol = 1e-12): number {
  const ts = xs.map((x, i) => rand(x.shape, seed + 31 * i));
  const [ys, dys] = jvp(f, xs, ts);
  const cts = asList(ys).map((y, k) => rand(y.shape, seed + 977 + 17 * k));
  const lhs = asList(dys).reduce((acc, dy, k) => acc + dot(cts[k], dy), 0);
  const [, back] = vjp(f, ...xs);
  const gs = back(Array.isArray(ys) ? cts : cts[0]) as Tracer[];
  const rhs = gs.reduce((acc, g, i) => acc + dot(g, ts[i]), 0);
  expect(Math.abs(lhs - rhs), `<ct, J t> = ${lhs}, <J^T ct, t> = ${rhs}`).toBeLessThanOrEqual(
    rtol * (Math.abs(lhs) + Math.abs(rhs)) + 1e-14,
  );
  return lhs;
}

const nonVacuous = (v: number) => expect(Math.abs(v)).toBeGreaterThan(1e-8);

describe("transposes of gather and scatter", () => {
  const rows = { dimensionNumbers: { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] }, sliceSizes: [1, 3] };
  const sdn = { dimensionNumbers: { updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0] } };
  const idx = i32([1, 3, 1, 7, 4], [5, 1]); // a duplicate and an out-of-bounds row

  it("gather -> adding scatter (duplicates accumulate; fill windows get nothing)", () => {
    const x = rand([4, 3], 1);
    nonVacuous(checkTranspose((v) => lax.gather(v, i32([2, 0, 2, 5], [4, 1]), { ...rows, fillValue: 3 }), [x]));
    nonVacuous(checkTranspose((v) => lax.gather(v, i32([2, 0, 2, 5], [4, 1]), { ...rows, mode: "clip" }), [x]));
    // 2x2 windows at point indices, some clamped
    const win = { dimensionNumbers: { offsetDims: [1, 2], collapsedSliceDims: [], startIndexMap: [0, 1] }, sliceSizes: [2, 2] };
    nonVacuous(checkTranspose((v) => lax.gather(v, i32([0, 0, 3, 2, 1, 1], [3, 2]), { ...win, mode: "clip" }), [x]));
    // the gradient of a gather is a histogram of reads
    const g = grad((v: Tracer) => np.sum(lax.gather(v, i32([2, 0, 2, 5], [4, 1]), { ...rows, fillValue: 3 })))(x);
    expect(Array.from(np.sum(g, { axis: 1 }).dataSync())).toEqual([3, 0, 6, 0]);
  });

  it("scatter-add: the operand passes through, updates read back where they landed", () => {
    const [x, u] = [rand([5, 3], 2), rand([5, 3], 3)];
    nonVacuous(checkTranspose((a, b) => lax.scatterAdd(a, idx, b, sdn), [x, u]));
    nonVacuous(checkTranspose((a, b) => lax.scatterAdd(a, idx, b, { ...sdn, mode: "clip" }), [x, u]));
    const [, back] = vjp((b: Tracer) => lax.scatterAdd(x, idx, b, sdn), u);
    // the dropped update (row 7) gets a zero cotangent, not a fill value
    expect(Array.from(lax.slice(back(np.onesLike(x))[0], [3, 0], [4, 3]).dataSync())).toEqual([0, 0, 0]);
  });

  it("scatter: only the update that wins a duplicate index gets its cotangent", () => {
    const [x, u] = [rand([5, 3], 4), rand([5, 3], 5)];
    nonVacuous(checkTranspose((a, b) => lax.scatter(a, idx, b, sdn), [x, u]));
    nonVacuous(checkTranspose((a, b) => lax.scatter(a, idx, b, { ...sdn, mode: "clip" }), [x, u]));
    const [, back] = vjp((a: Tracer, b: Tracer) => lax.scatter(a, idx, b, sdn), x, u);
    const [gx, gu] = back(np.onesLike(x));
    expect(Array.from(np.sum(gx, { axis: 1 }).dataSync())).toEqual([3, 0, 3, 0, 0]);
    // rows 0 and 2 both write row 1: the later (row 2) wins; row 3 is dropped
    expect(Array.from(np.sum(gu, { axis: 1 }).dataSync())).toEqual([0, 3, 3, 0, 3]);
  });

  it("scatter-mul / min / max through their JVPs", () => {
    const [x, u] = [rand([5, 3], 6, -2, 2), rand([5, 3], 7, -2, 2)];
    nonVacuous(checkTranspose((a, b) => lax.scatterMul(a, idx, b, sdn), [x, u]));
    nonVacuous(checkTranspose((a, b) => lax.scatterMax(a, idx, b, sdn), [x, u]));
    nonVacuous(checkTranspose((a, b) => lax.scatterMin(a, idx, b, { ...sdn, mode: "clip" }), [x, u]));
  });

  it("holds for random row indices (duplicates, out of bounds) in every mode", () => {
    const ops = ["gather", "scatter", "scatterAdd", "scatterMul", "scatterMin", "scatterMax"] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...ops), fc.array(fc.integer({ min: -2, max: 6 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom("fill", "clip") as fc.Arbitrary<"fill" | "clip">, fc.integer({ min: 1, max: 1 << 30 }),
        (op, rowsIdx, mode, seed) => {
          const ix = i32(rowsIdx, [rowsIdx.length, 1]);
          const x = rand([5, 3], seed, -2, 2);
          const u = rand([rowsIdx.length, 3], seed + 1, -2, 2);
          if (op === "gather") checkTranspose((a) => lax.gather(a, ix, { ...rows, mode, fillValue: 2 }), [x], seed);
          else checkTranspose((a, b) => lax[op](a, ix, b, { ...sdn, mode }), [x, u], seed);
        },
      ),
      { numRuns: propertyRuns(60) },
    );
  });

  it("dynamic_slice and dynamic_update_slice (clamped starts)", () => {
    const s = np.array(3, { dtype: "int32" });
    nonVacuous(checkTranspose((a) => lax.dynamicSlice(a, [s, s], [2, 2]), [rand([4, 3], 8)]));
    nonVacuous(checkTranspose((a, b) => lax.dynamicUpdateSlice(a, b, [s, s]), [rand([4, 3], 9), rand([2, 2], 10)]));
  });
});

/** Sizes of the lhs, rhs and output in layout strings, for N, C / O, I and spatial letters. */
const layoutShape = (layout: string, sizes: Record<string, number>) => [...layout].map((c) => sizes[c]);
const dilate = (n: number, d: number) => (n - 1) * d + 1;

describe("transpose of conv_general_dilated", () => {
  it("satisfies the transpose identity in lhs and rhs for strides, padding, dilations and groups", () => {
    const config = fc.record({
      ns: fc.integer({ min: 1, max: 2 }),
      n: fc.integer({ min: 1, max: 2 }),
      cin: fc.integer({ min: 1, max: 2 }),
      cout: fc.integer({ min: 1, max: 2 }),
      groups: fc.constantFrom("none", "feature", "batch"),
      channelsLast: fc.boolean(),
      in: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 2 }),
      k: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 2 }),
      stride: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 2 }),
      ld: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 2 }),
      rd: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 2 }),
      pad: fc.array(fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 })), { minLength: 2, maxLength: 2 }),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
    }).filter((c) =>
      [...Array(c.ns).keys()].every((i) => dilate(c.in[i], c.ld[i]) + c.pad[i][0] + c.pad[i][1] >= dilate(c.k[i], c.rd[i])),
    );
    fc.assert(
      fc.property(config, (c) => {
        const G = c.groups === "feature" ? 2 : 1;
        const B = c.groups === "batch" ? 2 : 1;
        const sp = "HW".slice(0, c.ns);
        const dn: [string, string, string] = c.channelsLast
          ? [`N${sp}C`, `${sp}IO`, `N${sp}C`]
          : [`NC${sp}`, `OI${sp}`, `NC${sp}`];
        const spatial = (v: number[]) => Object.fromEntries([...sp].map((ch, i) => [ch, v[i]]));
        const lhs = rand(layoutShape(dn[0], { N: c.n * B, C: c.cin * G, ...spatial(c.in) }), c.seed);
        const rhs = rand(layoutShape(dn[1], { O: c.cout * G * B, I: c.cin, ...spatial(c.k) }), c.seed + 1);
        const f = (a: Tracer, b: Tracer) =>
          lax.convGeneralDilated(a, b, c.stride.slice(0, c.ns), c.pad.slice(0, c.ns), {
            lhsDilation: c.ld.slice(0, c.ns), rhsDilation: c.rd.slice(0, c.ns), dimensionNumbers: dn,
            featureGroupCount: G, batchGroupCount: B,
          });
        checkTranspose(f, [lhs, rhs], c.seed + 2);
        // each operand alone too: the other is then a known constant of the linear program
        checkTranspose((a) => f(a, rhs), [lhs], c.seed + 3);
        checkTranspose((b) => f(lhs, b), [rhs], c.seed + 4);
      }),
      { numRuns: propertyRuns(40) },
    );
  });

  it("gives the textbook gradients of a 1-D valid correlation", () => {
    // y_i = sum_k x_{i+k} w_k: dL/dx = full convolution of g with w; dL/dw_k = sum_i g_i x_{i+k}
    const x = f64([1, 2, 3, 4], [1, 1, 4]);
    const w = f64([1, -1], [1, 1, 2]);
    const g = f64([1, 10, 100], [1, 1, 3]);
    const [, back] = vjp((a: Tracer, b: Tracer) => lax.conv(a, b, [1], "VALID"), x, w);
    const [gx, gw] = back(g);
    expect(Array.from(gx.dataSync())).toEqual([1, 9, 90, -100]);
    expect(Array.from(gw.dataSync())).toEqual([321, 432]);
  });
});

describe("transposes of windowed ops", () => {
  const config = fc.record({
    rank: fc.integer({ min: 1, max: 2 }),
    shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 2 }),
    win: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 2 }),
    stride: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 2 }),
    bd: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 2 }),
    wd: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 2 }),
    pad: fc.array(fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 })), { minLength: 2, maxLength: 2 }),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  }).filter((c) =>
    [...Array(c.rank).keys()].every((i) => dilate(c.shape[i], c.bd[i]) + c.pad[i][0] + c.pad[i][1] >= dilate(c.win[i], c.wd[i])),
  );
  type Config = typeof config extends fc.Arbitrary<infer C> ? C : never;
  const args = (c: Config) => {
    const r = <T>(v: T[]) => v.slice(0, c.rank);
    return [r(c.win), r(c.stride), r(c.pad), { baseDilation: r(c.bd), windowDilation: r(c.wd) }] as const;
  };

  it("reduce_window_sum transposes to a window sum of the dilated, padded cotangent", () => {
    fc.assert(
      fc.property(config, (c) => {
        const [w, s, p, o] = args(c);
        checkTranspose((v) => lax.reduceWindow(v, "sum", w, s, p, o), [rand(c.shape.slice(0, c.rank), c.seed)], c.seed);
      }),
      { numRuns: propertyRuns(60) },
    );
  });

  it("max / min pooling's linearization and select_and_scatter_add's source transpose", () => {
    fc.assert(
      fc.property(config, (c) => {
        const [w, s, p, o] = args(c);
        const x = rand(c.shape.slice(0, c.rank), c.seed);
        checkTranspose((v) => lax.reduceWindow(v, "max", w, s, p, o), [x], c.seed);
        checkTranspose((v) => lax.reduceWindow(v, "min", w, s, p, o), [x], c.seed + 1);
        const src = rand(lax.reduceWindow(x, "max", w, s, p, o).shape, c.seed + 2);
        checkTranspose((g) => lax.selectAndScatterAdd(g, x, w, s, p, o), [src], c.seed + 3);
      }),
      { numRuns: propertyRuns(40) },
    );
  });

  it("sends a max-pool's gradient to the window maxima through select_and_scatter_add's transpose", () => {
    const x = f64([1, 5, 2, 0, 3, 4, 8, 1, 0, 2, 9, 7, 6, 1, 3, 3], [4, 4]);
    const g = grad((v: Tracer) => np.sum(np.multiply(lax.reduceWindow(v, "max", [2, 2], [2, 2], "VALID"), f64([10, 20, 30, 40], [2, 2]))))(x);
    expect(Array.from(g.dataSync())).toEqual([0, 10, 0, 0, 0, 0, 20, 0, 0, 0, 40, 0, 30, 0, 0, 0]);
    // second order: the gradient of <source, select_and_scatter_add(source)> is the pooled-back selection
    const gs = grad((s: Tracer) => np.sum(np.multiply(lax.selectAndScatterAdd(s, x, [2, 2], [2, 2], "VALID"), x)))(f64([1, 1, 1, 1], [2, 2]));
    expect(Array.from(gs.dataSync())).toEqual([5, 8, 6, 9]);
  });
});

describe("transposes of the other linear primitives and of nonlinear rules' tangents", () => {
  const x = rand([3, 4], 11);
  const cases: [string, Fn, Tracer[], number?][] = [
    ["cumsum", (v) => lax.cumsum(v, 1, true), [x]],
    ["cumprod", (v) => lax.cumprod(v, 1), [x]],
    ["cummax", (v) => lax.cummax(v, 0, true), [x]],
    ["cummin", (v) => lax.cummin(v, 1), [x]],
    ["cumlogsumexp", (v) => lax.cumlogsumexp(v, 1, true), [x]],
    ["sort (two operands)", (k, v) => lax.sort([k, v], 1), [x, rand([3, 4], 12)]],
    ["top_k", (v) => lax.topK(v, 2)[0], [x]],
    ["pad (negative, interior)", (v) => lax.pad(v, np.array(0, { dtype: "float64" }), [[-1, 2, 1], [1, -2, 0]]), [x]],
    ["pad value", (v, c) => lax.pad(v, lax.reshape(c, []), [[1, 1, 1], [0, 2, 0]]), [x, rand([1], 13)]],
    ["concatenate", (a, b) => lax.concatenate([a, b, a], 0), [x, rand([2, 4], 14)]],
    ["select_n", (a, b) => lax.selectN(lax.gt(x, 0), a, b), [rand([3, 4], 15), rand([3, 4], 16)]],
    ["copy", (v) => lax.copy(v), [x]],
    // the tangent is rounded through float32 both ways, so the identity holds to float32 precision
    ["convert_element_type", (v) => lax.convertElementType(lax.convertElementType(v, "float32"), "float64"), [x], 1e-6],
    ["mul / div by a constant", (v) => lax.div(lax.mul(x, v), lax.add(x, 3)), [x]],
    ["reduce_sum", (v) => lax.reduceSum(v, [0]), [x]],
    ["strided slice", (v) => lax.slice(v, [0, 1], [3, 4], [2, 2]), [x]],
    ["dot_general", (a, b) => lax.dotGeneral(a, b, [[[1], [0]], [[], []]]), [x, rand([4, 2], 17)]],
    // batch axes in different positions, two contracting axes listed out of order
    ["dot_general (batched, permuted)", (a, b) => lax.dotGeneral(a, b, [[[3, 2], [0, 2]], [[0], [1]]]), [rand([2, 3, 4, 5], 18), rand([5, 2, 4, 6], 19)]],
    ["dot_general (two batch axes)", (a, b) => lax.dotGeneral(a, b, [[[1], [3]], [[2, 0], [0, 1]]]), [rand([2, 3, 4], 20), rand([4, 2, 5, 3], 21)]],
  ];
  for (const [name, f, xs, rtol] of cases) {
    it(name, () => nonVacuous(checkTranspose(f, xs, 5, rtol)));
  }
});

describe("gradient of a small CNN with max-pooling", () => {
  // conv 3x3 SAME -> tanh -> 2x2 max-pool -> conv 2x2 VALID (stride 1) -> sum of squares
  const dn = ["NHWC", "HWIO", "NHWC"] as const;
  const loss = (w1: Tracer, w2: Tracer, x: Tracer) => {
    const h = np.tanh(lax.convGeneralDilated(x, w1, [1, 1], "SAME", { dimensionNumbers: dn }));
    const p = lax.reduceWindow(h, "max", [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
    const y = lax.convGeneralDilated(p, w2, [1, 1], "VALID", { dimensionNumbers: dn });
    return np.sum(np.square(y));
  };

  it("matches central differences in every weight and input", () => {
    const w1 = rand([3, 3, 1, 2], 21);
    const w2 = rand([2, 2, 2, 3], 22);
    const x = rand([2, 6, 6, 1], 23, -2, 2);
    const grads = grad(loss, { argnums: [0, 1, 2] })(w1, w2, x) as Tracer[];
    const args = [w1, w2, x];
    const eps = 1e-6;
    args.forEach((a, which) => {
      const base = Array.from(a.dataSync() as Float64Array);
      const g = Array.from(grads[which].dataSync() as Float64Array);
      base.forEach((_, i) => {
        const at = (d: number) => {
          const v = [...base];
          v[i] += d;
          const moved = args.map((b, j) => (j === which ? f64(v, a.shape) : b));
          return loss(moved[0], moved[1], moved[2]).item() as number;
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        expect(Math.abs(g[i] - fd), `arg ${which} element ${i}: grad ${g[i]} vs fd ${fd}`).toBeLessThanOrEqual(1e-7 + 1e-6 * Math.abs(fd));
      });
    });
  });
});

describe("reverse mode of whileLoop", () => {
  it("explains why it is unsupported and names scan / foriLoop with static bounds", () => {
    const f = (v: Tracer) => lax.whileLoop((c: Tracer[]) => lax.lt(c[0], 3), (c: Tracer[]) => [lax.add(c[0], 1), np.sin(c[1])], [np.array(0, { dtype: "int32" }), v])[1];
    const x = f64([0.5], [1]);
    expect(() => grad((v: Tracer) => np.sum(f(v)))(x)).toThrow(/whileLoop.*not known.*lax\.scan.*foriLoop with JS-number bounds/s);
    // forward mode still works
    const [, dy] = jvp(f, [x], [f64([1], [1])]);
    expect(dy.item()).toBeCloseTo(Math.cos(0.5) * Math.cos(Math.sin(0.5)) * Math.cos(Math.sin(Math.sin(0.5))), 12);
  });
});
