import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lax, makeJaxpr, np, vmap } from "../index.js";
import type { Tracer } from "../trace/core.js";
import type { DType } from "../ir/index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Deterministic, varied data of `shape` (values in [-3, 3], or small integers). */
function rand(shape: readonly number[], seed = 0, dtype: DType = "float32"): Tracer {
  const x = np.reshape(np.multiply(np.sin(np.add(np.multiply(np.arange(prod(shape)), 1.37), seed)), 3), [...shape]);
  return dtype === "float32" ? x : np.round(x).astype(dtype);
}

/** Slice `i` of axis `axis`. */
const sliceAt = (x: Tracer, axis: number, i: number): Tracer => {
  const starts = x.shape.map((_, k) => (k === axis ? i : 0));
  const limits = x.shape.map((d, k) => (k === axis ? i + 1 : d));
  return lax.squeeze(lax.slice(x, starts, limits), [axis]);
};

const asList = (y: unknown): Tracer[] => (Array.isArray(y) ? (y as Tracer[]) : [y as Tracer]);

/** vmap(f) must equal stacking f over the examples, output by output. */
function checkVmap(
  f: (...args: any[]) => unknown,
  args: readonly unknown[],
  inAxes: readonly (number | null)[],
  opts: { outAxes?: number; tol?: number } = {},
): void {
  const k = inAxes.findIndex((a) => a !== null);
  const size = (args[k] as Tracer).shape[(inAxes[k]! + (args[k] as Tracer).ndim) % (args[k] as Tracer).ndim];
  const got = asList(vmap(f, { inAxes: [...inAxes], outAxes: opts.outAxes ?? 0 })(...args));
  const per = Array.from({ length: size }, (_, i) =>
    asList(f(...args.map((a, j) => (inAxes[j] === null ? a : sliceAt(a as Tracer, (inAxes[j]! + (a as Tracer).ndim) % (a as Tracer).ndim, i))))),
  );
  const tol = opts.tol ?? 1e-5;
  got.forEach((g, o) => {
    const want = np.stack(per.map((p) => p[o]), opts.outAxes ?? 0);
    expect(g.dtype).toBe(want.dtype);
    expectArray(g, want.toArray() as never, { rtol: tol, atol: tol, shape: want.shape });
  });
}

const shapeArb = (minRank = 0, maxRank = 3) => fc.array(fc.integer({ min: 1, max: 3 }), { minLength: minRank, maxLength: maxRank });
const runs = { numRuns: propertyRuns(25) };

describe("vmap == loop (properties)", () => {
  it("elementwise, with batched, unbatched, scalar and JS-number operands", () => {
    fc.assert(
      fc.property(shapeArb(), fc.integer({ min: 1, max: 3 }), fc.nat(), fc.constantFrom("batched", "full", "scalar", "js"), fc.nat(), (s, b, ax, kind, bx) => {
        const axis = ax % (s.length + 1);
        const shapeA = [...s];
        shapeA.splice(axis, 0, b);
        const a = rand(shapeA, 1);
        const f = (x: Tracer, y: Tracer | number) =>
          np.where(np.greater(x, y), np.multiply(np.sin(x), y), lax.clamp(-1, np.subtract(x, y), 1));
        if (kind === "js") return checkVmap((x: Tracer) => f(x, 0.5), [a], [axis]);
        if (kind === "scalar") return checkVmap(f, [a, np.array(0.25)], [axis, null]);
        if (kind === "full") return checkVmap(f, [a, rand(s, 2)], [axis, null]);
        const axisB = bx % (s.length + 1);
        const shapeB = [...s];
        shapeB.splice(axisB, 0, b);
        checkVmap(f, [a, rand(shapeB, 3)], [axis, axisB]);
      }),
      runs,
    );
  });

  it("batched scalars against unbatched full-rank operands", () => {
    checkVmap((s: Tracer, x: Tracer) => np.multiply(s, x), [rand([4], 1), rand([2, 3], 2)], [0, null]);
    checkVmap((s: Tracer, x: Tracer) => lax.clamp(s, x, 1), [rand([4], 1), rand([2, 3], 2)], [0, null]);
    checkVmap((p: Tracer, x: Tracer) => lax.select(p, x, np.negative(x)), [np.array([true, false, true]), rand([2], 2)], [0, null]);
  });

  it("reductions over any axes, argmax, argmin", () => {
    fc.assert(
      fc.property(shapeArb(1, 3), fc.integer({ min: 1, max: 3 }), fc.nat(), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.nat(), (s, b, ax, pick, which) => {
        const axis = ax % (s.length + 1);
        const shape = [...s];
        shape.splice(axis, 0, b);
        const axes = s.map((_, i) => i).filter((i) => pick[i]);
        const x = rand(shape, 4);
        const ops = [
          (v: Tracer) => np.sum(v, { axis: axes }),
          (v: Tracer) => np.max(v, { axis: axes }),
          (v: Tracer) => lax.reduceProd(v, axes),
          (v: Tracer) => np.argmax(v, { axis: (axes[0] ?? 0) }),
          (v: Tracer) => np.argmin(v, { axis: (axes[0] ?? 0) }),
          (v: Tracer) => lax.reduceOr(np.greater(v, 1), axes),
        ];
        checkVmap(ops[which % ops.length], [x], [axis]);
      }),
      runs,
    );
  });

  it("dot_general with either or both operands batched", () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), fc.integer({ min: 1, max: 3 }), fc.nat(2), fc.nat(2), fc.nat(2), ([m, k, n], b, which, axA, axB) => {
        const withAxis = (s: number[], ax: number) => (s.splice(ax, 0, b), s);
        const batchA = which !== 1;
        const batchB = which !== 0;
        const a = rand(batchA ? withAxis([m, k], axA) : [m, k], 5);
        const c = rand(batchB ? withAxis([k, n], axB) : [k, n], 6);
        checkVmap((x: Tracer, y: Tracer) => np.matmul(x, y), [a, c], [batchA ? axA : null, batchB ? axB : null]);
        // With an existing batch dimension and contraction on the first axis of rhs.
        const p = rand(batchA ? withAxis([2, m, k], axA) : [2, m, k], 7);
        const q = rand(batchB ? withAxis([k, 2, n], axB) : [k, 2, n], 8);
        checkVmap((x: Tracer, y: Tracer) => lax.dotGeneral(x, y, [[[2], [0]], [[0], [1]]]), [p, q], [batchA ? axA : null, batchB ? axB : null]);
      }),
      runs,
    );
  });

  it("gather (np.take) with batched operand and/or indices", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.nat(2), fc.nat(1), fc.nat(2), fc.constantFrom("fill", "clip"), (b, which, ax, takeAxis, mode) => {
        const batchX = which !== 1;
        const batchI = which !== 0;
        const xs = [3, 4];
        const x = rand(batchX ? (ax === 0 ? [b, ...xs] : [...xs, b]) : xs, 9);
        const idxData = Array.from({ length: (batchI ? b : 1) * 2 }, (_, i) => ((i * 5 + 1) % 6) - 1);
        const idx = np.array(idxData, { dtype: "int32", shape: batchI ? [b, 2] : [2] });
        const axis = takeAxis % 2;
        checkVmap((v: Tracer, i: Tracer) => np.take(v, i, { axis, mode }), [x, idx], [batchX ? (ax === 0 ? 0 : 2) : null, batchI ? 0 : null]);
      }),
      runs,
    );
  });

  it("conv_general_dilated: batched images, kernels or both, with feature and batch groups", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.nat(2), fc.constantFrom(1, 2), fc.constantFrom(1, 2), fc.nat(1), (b, which, G, BG, ax) => {
        const groups = { featureGroupCount: G, batchGroupCount: G > 1 ? 1 : BG };
        const N = 2 * groups.batchGroupCount;
        const C = 2 * G;
        const O = 2 * G * groups.batchGroupCount;
        const batchL = which !== 1;
        const batchR = which !== 0;
        const ls = [N, C, 5];
        const rs = [O, C / G, 3];
        const put = (s: number[]) => (ax === 0 ? [b, ...s] : [...s.slice(0, 2), b, s[2]]);
        const lhs = rand(batchL ? put(ls) : ls, 10);
        const rhs = rand(batchR ? put(rs) : rs, 11);
        const f = (l: Tracer, r: Tracer) => lax.convGeneralDilated(l, r, [1], [[1, 0]], groups);
        checkVmap(f, [lhs, rhs], [batchL ? (ax === 0 ? 0 : 2) : null, batchR ? (ax === 0 ? 0 : 2) : null], { tol: 1e-4 });
      }),
      runs,
    );
  });

  it("cumulative ops along any axis, both directions", () => {
    fc.assert(
      fc.property(shapeArb(1, 3), fc.integer({ min: 1, max: 3 }), fc.nat(), fc.nat(), fc.boolean(), fc.nat(3), (s, b, ax, cax, reverse, which) => {
        const axis = ax % (s.length + 1);
        const shape = [...s];
        shape.splice(axis, 0, b);
        const c = cax % s.length;
        const ops = [lax.cumsum, lax.cummax, lax.cummin, lax.cumprod];
        checkVmap((v: Tracer) => ops[which](v, c, reverse), [rand(shape, 12)], [axis]);
      }),
      runs,
    );
  });

  it("sort along any axis, and multi-operand sort with an unbatched operand", () => {
    fc.assert(
      fc.property(shapeArb(1, 3), fc.integer({ min: 1, max: 3 }), fc.nat(), fc.nat(), (s, b, ax, sax) => {
        const axis = ax % (s.length + 1);
        const shape = [...s];
        shape.splice(axis, 0, b);
        const sortAxis = sax % s.length;
        checkVmap((v: Tracer) => np.sort(v, { axis: sortAxis }), [rand(shape, 13)], [axis]);
        checkVmap((v: Tracer, w: Tracer) => lax.sort([v, w], sortAxis), [rand(shape, 14), rand(s, 15)], [axis, null]);
      }),
      runs,
    );
  });
});

describe("vmap of structural primitives", () => {
  const x = rand([3, 2, 4], 1);
  it("broadcast, reshape, transpose, squeeze, expandDims, rev", () => {
    checkVmap((v: Tracer) => lax.broadcastInDim(v, [5, 2, 4], [1, 2]), [x], [0]);
    checkVmap((v: Tracer) => np.reshape(v, [4, 3]), [x], [1]);
    checkVmap((v: Tracer) => lax.transpose(v, [1, 0]), [x], [2]);
    checkVmap((v: Tracer) => lax.squeeze(v, [1]), [rand([2, 3, 1], 2)], [1]);
    checkVmap((v: Tracer) => lax.expandDims(v, [0, 2]), [x], [1]);
    checkVmap((v: Tracer) => lax.rev(v, [0, 1]), [x], [1]);
  });

  it("pad with batched operand and/or batched padding value", () => {
    const cfg = [[1, -1, 1], [0, 2, 0]] as const;
    checkVmap((v: Tracer) => lax.pad(v, np.array(0), cfg), [x], [1]);
    checkVmap((v: Tracer, p: Tracer) => lax.pad(v, p, cfg), [x, rand([3], 5)], [0, 0]);
    checkVmap((v: Tracer, p: Tracer) => lax.pad(v, p, cfg), [rand([2, 4], 3), rand([3], 5)], [null, 0]);
  });

  it("concatenate with an unbatched operand, slice with strides", () => {
    checkVmap((a: Tracer, c: Tracer) => np.concatenate([a, c], 1), [x, rand([2, 1], 2)], [0, null]);
    checkVmap((v: Tracer) => lax.slice(v, [0, 1], [2, 4], [1, 2]), [x], [1]);
  });

  it("dynamic_slice and dynamic_update_slice with batched or unbatched start indices", () => {
    const starts = np.array([0, 1, 5], { dtype: "int32" });
    checkVmap((v: Tracer, i: Tracer) => lax.dynamicSlice(v, [i, 1], [1, 2]), [x, starts], [0, 0]);
    checkVmap((v: Tracer, i: Tracer) => lax.dynamicSlice(v, [i, 1], [1, 2]), [rand([2, 4], 3), starts], [null, 0]);
    checkVmap((v: Tracer) => lax.dynamicSlice(v, [1, 1], [1, 3]), [x], [1]);
    const u = rand([3, 1, 2], 4);
    checkVmap((v: Tracer, w: Tracer, i: Tracer) => lax.dynamicUpdateSlice(v, w, [1, i]), [x, u, starts], [0, 0, 0]);
    checkVmap((v: Tracer, w: Tracer, i: Tracer) => lax.dynamicUpdateSlice(v, w, [i, 0]), [rand([2, 4], 5), rand([1, 2], 6), starts], [null, null, 0]);
    checkVmap((v: Tracer, w: Tracer) => lax.dynamicUpdateSlice(v, w, [1, 1]), [x, rand([1, 2], 6)], [0, null]);
  });

  it("scatter family with every combination of batched operand, indices and updates", () => {
    const idx = np.array([[0, 2, 0], [1, 1, 3], [3, 0, 0]], { dtype: "int32" });
    for (const [dx, di, du] of [[0, null, null], [null, 0, null], [null, null, 0], [0, 0, 0], [1, 0, null], [null, 1, 1]] as const) {
      const xv = dx === null ? rand([4], 1) : dx === 0 ? rand([3, 4], 1) : rand([4, 3], 1);
      const iv = di === null ? np.array([0, 2, 0], { dtype: "int32" }) : di === 0 ? idx : np.transpose(idx);
      const uv = du === null ? rand([3], 2) : du === 0 ? rand([3, 3], 2) : rand([3, 3], 3);
      for (const kind of ["set", "add", "multiply", "min", "max"] as const) {
        checkVmap((v: Tracer, i: Tracer, w: Tracer) => np.at(v, i)[kind](w), [xv, iv, uv], [dx, di, du]);
      }
    }
  });

  it("iota inside vmap stays unbatched; converts, bitcasts, integer_pow, stop_gradient, copy", () => {
    checkVmap((v: Tracer) => np.add(v, np.arange(4)), [x], [0]);
    checkVmap((v: Tracer) => lax.convertElementType(v, "int32"), [x], [1]);
    checkVmap((v: Tracer) => lax.bitcastConvertType(v, "uint32"), [x], [2]);
    checkVmap((v: Tracer) => lax.integerPow(v, 3), [x], [0]);
    checkVmap((v: Tracer) => lax.stopGradient(lax.copy(v)), [x], [0]);
  });

  it("top_k with the batch axis last or not", () => {
    checkVmap((v: Tracer) => lax.topK(v, 2), [x], [2]);
    checkVmap((v: Tracer) => lax.topK(v, 2), [x], [0]);
  });

  it("reduce_window and select_and_scatter_add", () => {
    const img = rand([3, 5, 4], 7);
    for (const kind of ["sum", "max", "min"] as const) {
      checkVmap((v: Tracer) => lax.reduceWindow(v, kind, [2, 2], [1, 2], "SAME"), [img], [1]);
    }
    const src = rand([3, 2, 2], 8);
    checkVmap((s: Tracer, v: Tracer) => lax.selectAndScatterAdd(s, v, [2, 2], [2, 2], "VALID"), [src, rand([3, 4, 4], 9)], [0, 0]);
    checkVmap((s: Tracer, v: Tracer) => lax.selectAndScatterAdd(s, v, [2, 2], [2, 2], "VALID"), [src, rand([4, 4], 9)], [0, null]);
  });

  it("threefry2x32 with a batched key and unbatched counters", () => {
    const k0 = np.array([1, 2, 3], { dtype: "uint32" });
    const k1 = np.array([7, 8, 9], { dtype: "uint32" });
    const c = np.array([0, 1, 2, 3], { dtype: "uint32" });
    const full = (k: Tracer) => lax.broadcastInDim(k, [4], []);
    checkVmap((a: Tracer, b: Tracer, x0: Tracer) => lax.threefry2x32(full(a), full(b), x0, x0), [k0, k1, c], [0, 0, null]);
    checkVmap((a: Tracer, x0: Tracer) => lax.threefry2x32(full(a), full(a), x0, x0), [k0, np.array([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]], { dtype: "uint32" })], [0, 0]);
  });

  it("random keys: vmap over split keys equals per-key sampling", () => {
    const keys = np.random.splitKeys(np.random.key(0), 3);
    checkVmap((k: Tracer) => np.random.normal(k, [2]), [keys], [0]);
  });
});

describe("vmap staging", () => {
  it("a batched matmul is a single dot_general, with no per-example loop", () => {
    const jaxpr = makeJaxpr(vmap((a: Tracer, b: Tracer) => np.matmul(a, b)))(np.ones([8, 2, 3]), np.ones([8, 3, 5]));
    const text = jaxpr.toString();
    expect(text.match(/dot_general/g)).toHaveLength(1);
    expect(text).not.toMatch(/slice|concatenate|while|scan/);
  });

  it("unbatched work stays unbatched (one weight matrix, not 8)", () => {
    const w = np.ones([3, 4]);
    const jaxpr = makeJaxpr(vmap((x: Tracer) => np.matmul(x, np.multiply(w, 2))))(np.ones([8, 3]));
    expect(jaxpr.toString()).toMatch(/mul [a-z]+ 2\.0/);
    expect(jaxpr.toString()).not.toMatch(/f32\[8,3,4\]/);
  });
});
