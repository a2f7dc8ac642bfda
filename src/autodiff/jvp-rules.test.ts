import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { lax, np } from "../index.js";
import type { Tracer } from "../trace/core.js";
import { jvp } from "./jvp.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";
import { randoms } from "../../tests/helpers/random.js";

const f64 = (data: number[], shape: readonly number[]) => np.reshape(np.array(data, { dtype: "float64" }), [...shape]);
const rand = (shape: readonly number[], seed: number, lo = -1, hi = 1) =>
  f64(randoms(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape);
const i32 = (data: number[], shape: readonly number[]) => np.reshape(np.array(data, { dtype: "int32" }), [...shape]);
const asList = (y: unknown): Tracer[] => (Array.isArray(y) ? (y as Tracer[]) : [y as Tracer]);

type Fn = (...xs: Tracer[]) => Tracer | Tracer[];

/**
 * Checks jvp(f) along random tangents against central differences in float64:
 * (f(x + eps t) - f(x - eps t)) / 2 eps, elementwise within atol + rtol |fd|.
 */
function checkJvp(f: Fn, xs: Tracer[], seed = 7, opts: { eps?: number; rtol?: number; atol?: number } = {}) {
  const eps = opts.eps ?? 1e-6;
  const ts = xs.map((x, i) => rand(x.shape, seed + 101 * i));
  const [, dys] = jvp(f, xs, ts);
  const plus = asList(f(...xs.map((x, i) => np.add(x, np.multiply(ts[i], eps)))));
  const minus = asList(f(...xs.map((x, i) => np.subtract(x, np.multiply(ts[i], eps)))));
  asList(dys).forEach((dy, k) => {
    if (dy.dtype !== "float64") return; // integer outputs (top_k indices) have zero tangents
    const fd = Array.from(np.divide(np.subtract(plus[k], minus[k]), 2 * eps).dataSync() as Float64Array);
    expectArray(dy, fd, { shape: plus[k].shape, rtol: opts.rtol ?? 1e-7, atol: opts.atol ?? 1e-8 });
  });
}

describe("jvp of cumulative reductions", () => {
  it("differentiates cumprod through zeros exactly (no division)", () => {
    // y = [2, 0, 0]; dy = [t0, t0 x1 + x0 t1, x1 x2 t0 + x0 x2 t1 + x0 x1 t2] = [1, 2, 6]
    const x = f64([2, 0, 3], [3]);
    const [y, dy] = jvp((v: Tracer) => lax.cumprod(v), [x], [f64([1, 1, 1], [3])]);
    expectArray(y, [2, 0, 0]);
    expectArray(dy, [1, 2, 6], { rtol: 0, atol: 0 });
    checkJvp((v) => lax.cumprod(v, 0, true), [f64([0, 1.5, 0, -2, 0.5], [5])]);
  });

  it("matches finite differences for every cumulative op, axis and direction", () => {
    const ops = [lax.cumprod, lax.cummax, lax.cummin, lax.cumlogsumexp];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }),
        fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 1 << 30 }),
        (op, n, m, onAxis1, reverse, seed) => {
          const shape = onAxis1 ? [m, n] : [n, m];
          checkJvp((v) => ops[op](v, onAxis1 ? 1 : 0, reverse), [rand(shape, seed, -1.5, 1.5)], seed);
        },
      ),
      { numRuns: propertyRuns(40) },
    );
  });

  it("shares cummax ties evenly and keeps cumlogsumexp finite at -inf", () => {
    const [, dm] = jvp((v: Tracer) => lax.cummax(v), [f64([1, 1], [2])], [f64([1, 3], [2])]);
    expectArray(dm, [1, 2], { rtol: 0, atol: 0 });
    // y = [-inf, 0, log(1 + e)]; dy1 = t1, dy2 = (t1 + e t2) / (1 + e)
    const [, dl] = jvp((v: Tracer) => lax.cumlogsumexp(v), [f64([-Infinity, 0, 1], [3])], [f64([5, 1, 2], [3])]);
    expectArray(dl, [5, 1, (1 + 2 * Math.E) / (1 + Math.E)], { rtol: 1e-14 });
  });
});

describe("jvp of sort and top_k", () => {
  it("permutes tangents like the values, along either axis", () => {
    const [y, dy] = jvp((v: Tracer) => lax.sort([v])[0], [f64([3, 1, 2], [3])], [f64([30, 10, 20], [3])]);
    expectArray(y, [1, 2, 3]);
    expectArray(dy, [10, 20, 30], { rtol: 0, atol: 0 });
    checkJvp((v) => lax.sort([v], 0), [rand([5, 3], 11)]);
    checkJvp((v) => lax.sort([v], 1), [rand([2, 3, 4], 12)]);
  });

  it("carries the other operands of a multi-operand sort along", () => {
    checkJvp((k, v) => lax.sort([k, v], 1, true, 1), [rand([3, 5], 21), rand([3, 5], 22)]);
    // two keys: ties in the first key are broken by the second
    const k1 = f64([1, 0, 1, 0], [4]);
    checkJvp((k2, v) => lax.sort([k1, k2, v], 0, true, 2), [rand([4], 23), rand([4], 24)]);
  });

  it("gathers top_k tangents at the returned indices", () => {
    const [[vals], [dv, di]] = jvp((v: Tracer) => lax.topK(v, 2), [f64([1, 9, 5], [3])], [f64([0.1, 0.9, 0.5], [3])]);
    expectArray(vals, [9, 5]);
    expectArray(dv, [0.9, 0.5], { rtol: 0, atol: 0 });
    expectArray(di, [0, 0]);
    checkJvp((v) => lax.topK(v, 3), [rand([2, 6], 31)]);
  });
});

describe("jvp of max / min pooling", () => {
  const configs: [string, number[], number[], number[], [number, number][], { baseDilation?: number[]; windowDilation?: number[] }][] = [
    ["2x2 stride 2", [2, 4, 4], [1, 2, 2], [1, 2, 2], [[0, 0], [0, 0], [0, 0]], {}],
    ["3x3 stride 1 SAME-like", [5, 5], [3, 3], [1, 1], [[1, 1], [1, 1]], {}],
    ["overlapping with uneven padding", [7], [3], [2], [[2, 0]], {}],
    ["window dilation", [8], [2], [1], [[0, 0]], { windowDilation: [3] }],
    ["base dilation", [4, 3], [2, 2], [1, 1], [[0, 0], [1, 1]], { baseDilation: [2, 1] }],
    ["negative padding", [6], [2], [2], [[-1, 0]], {}],
  ];
  for (const [name, shape, win, strides, pad, opts] of configs) {
    it(`matches finite differences: ${name}`, () => {
      const x = rand(shape, name.length * 13);
      checkJvp((v) => lax.reduceWindow(v, "max", win, strides, pad, opts), [x]);
      checkJvp((v) => lax.reduceWindow(v, "min", win, strides, pad, opts), [x]);
    });
  }

  it("picks the first maximum on ties and gives all-padding windows a zero tangent", () => {
    const x = f64([3, 3, 1], [3]);
    const [y, dy] = jvp((v: Tracer) => lax.reduceWindow(v, "max", [2], [1], [[2, 0]]), [x], [f64([10, 20, 30], [3])]);
    // windows: [pad, pad] [pad, 3] [3, 3] [3, 1]
    expectArray(y, [-Infinity, 3, 3, 3]);
    expectArray(dy, [0, 10, 10, 20], { rtol: 0, atol: 0 });
  });

  it("agrees with select_and_scatter_add: the JVP's cotangent is max-pooling's gradient", () => {
    const x = f64([1, 5, 2, 0, 3, 4, 8, 1, 0, 2, 9, 7, 6, 1, 3, 3], [4, 4]);
    const g = f64([10, 20, 30, 40], [2, 2]);
    const [, dy] = jvp((v: Tracer) => lax.reduceWindow(v, "max", [2, 2], [2, 2], "VALID"), [x], [lax.selectAndScatterAdd(g, x, [2, 2], [2, 2], "VALID")]);
    expectArray(dy, [[10, 20], [30, 40]], { rtol: 0, atol: 0 });
  });
});

describe("jvp of gather and scatter", () => {
  const rows = { dimensionNumbers: { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] }, sliceSizes: [1, 3] };
  const sdn = { dimensionNumbers: { updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0] } };
  // row 1 is hit twice, row 7 is out of bounds (dropped in the default fill mode)
  const idx = i32([1, 3, 1, 7, 4], [5, 1]);

  it("gives out-of-bounds fill gathers a zero tangent, not the fill value", () => {
    const x = rand([4, 3], 41);
    const g = (v: Tracer) => lax.gather(v, i32([2, 0, 5], [3, 1]), { ...rows, fillValue: 7 });
    const [y, dy] = jvp(g, [x], [np.onesLike(x)]);
    expectArray(lax.slice(y, [2, 0], [3, 3]), [[7, 7, 7]]);
    expectArray(dy, [[1, 1, 1], [1, 1, 1], [0, 0, 0]], { rtol: 0, atol: 0 });
    checkJvp(g, [x]);
    checkJvp((v) => lax.gather(v, i32([2, 0, 5], [3, 1]), { ...rows, mode: "clip" }), [x]);
  });

  it("differentiates overwrite and adding scatters with duplicate and dropped indices", () => {
    const x = rand([5, 3], 42);
    const u = rand([5, 3], 43);
    checkJvp((a, b) => lax.scatter(a, idx, b, sdn), [x, u]);
    checkJvp((a, b) => lax.scatterAdd(a, idx, b, sdn), [x, u]);
    checkJvp((a, b) => lax.scatterAdd(a, idx, b, { ...sdn, mode: "clip" }), [x, u]);
  });

  it("differentiates scatter-mul, including zero updates and duplicates", () => {
    const x = rand([5, 3], 44, -2, 2);
    const u = f64([0, 1.5, -0.5, 2, 0, 0.25, 0.5, 0, 3, 1, 1, 1, -1, 2, 0.75], [5, 3]);
    checkJvp((a, b) => lax.scatterMul(a, idx, b, sdn), [x, u]);
    checkJvp((a, b) => lax.scatterMul(a, idx, b, { ...sdn, mode: "clip" }), [x, u]);
    checkJvp((b) => lax.scatterMul(x, idx, b, sdn), [rand([5, 3], 45)]);
  });

  it("differentiates scatter-min / scatter-max and shares exact ties", () => {
    const x = rand([5, 3], 46);
    const u = rand([5, 3], 47);
    checkJvp((a, b) => lax.scatterMax(a, idx, b, sdn), [x, u]);
    checkJvp((a, b) => lax.scatterMin(a, idx, b, sdn), [x, u]);
    const one = { dimensionNumbers: { updateWindowDims: [], insertedWindowDims: [0], scatterDimsToOperandDims: [0] } };
    // operand 2 and both updates 2 tie at index 0: each gets a third of the tangent
    const [y, dy] = jvp(
      (a: Tracer, b: Tracer) => lax.scatterMax(a, i32([0, 0], [2, 1]), b, one),
      [f64([2, 0], [2]), f64([2, 2], [2])],
      [f64([3, 1], [2]), f64([6, 9], [2])],
    );
    expectArray(y, [2, 0]);
    expectArray(dy, [6, 1], { rtol: 1e-15 });
  });

  it("matches finite differences for random row indices in every mode", () => {
    const ops = ["scatter", "scatterAdd", "scatterMul", "scatterMin", "scatterMax"] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...ops), fc.array(fc.integer({ min: -2, max: 6 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom("fill", "clip") as fc.Arbitrary<"fill" | "clip">, fc.integer({ min: 1, max: 1 << 30 }),
        (op, rowsIdx, mode, seed) => {
          const ix = i32(rowsIdx, [rowsIdx.length, 1]);
          const [x, u] = [rand([5, 3], seed, -2, 2), rand([rowsIdx.length, 3], seed + 1, -2, 2)];
          checkJvp((a, b) => lax[op](a, ix, b, { ...sdn, mode }), [x, u], seed);
          checkJvp((a) => lax.gather(a, ix, { ...rows, mode, fillValue: 2 }), [x], seed);
        },
      ),
      { numRuns: propertyRuns(60) },
    );
  });

  it("differentiates dynamic slices in their operands", () => {
    const s = np.array(1, { dtype: "int32" });
    checkJvp((a) => lax.dynamicSlice(a, [s, s], [2, 2]), [rand([4, 3], 48)]);
    checkJvp((a, b) => lax.dynamicUpdateSlice(a, b, [s, s]), [rand([4, 3], 49), rand([2, 2], 50)]);
  });
});

describe("jvp rules that are not implemented", () => {
  it("names trigamma for digamma and the way out", () => {
    expect(() => jvp((v: Tracer) => lax.digamma(v), [f64([1.5], [1])], [f64([1], [1])])).toThrow(/trigamma.*lgamma.*stopGradient/s);
  });
});
