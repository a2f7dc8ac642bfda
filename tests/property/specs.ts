/**
 * @file The exhaustive primitive spec table: one entry per `Prim`, typed as a mapped type so a new
 * primitive fails to compile until it has a spec (JAX's `lax_autodiff_test.py` op records). Each
 * spec draws valid operands inside the primitive's domain (log x > 0, acosh x > 1, denominators
 * away from 0, integer operands for bitwise ops, in-bounds gather indices, consistent conv and
 * window geometry...) and applies the primitive through `lax`. The property suites
 * (jit-eager, jvp-fd, transpose) iterate over this table.
 */
import fc from "fast-check";
import { type DType, Prim } from "../../src/ir/index.js";
import type { Tracer } from "../../src/trace/core.js";
import * as lax from "../../src/numpy/lax.js";
import { jit } from "../../src/passes/jit.js";
import { jvp } from "../../src/autodiff/jvp.js";
import { checkpoint, customJvp, customVjp } from "../../src/autodiff/custom.js";
import type { Domain } from "./generators.js";
import {
  ANY, FLOATS, type HostArg, INTS, type JvpCheck, NUMERIC, type PrimCase, type PrimSpec, anyShape, arg, intScalar,
  mk, permutation, subset, windowGeometry, windowOut,
} from "./spec-kit.js";

/**
 * Primitives whose JVP rule is not written yet (they throw "jvp of 'X' is not implemented yet",
 * or for digamma, need trigamma). jvp-fd.test.ts skips them, and fails if one starts working so
 * this list stays exact.
 */
export const PENDING_JVP: readonly Prim[] = [
  Prim.Digamma,
];

const unary = (fn: (x: Tracer) => Tracer, dom: Domain = {}, jvp: JvpCheck = "fd", dtypes = FLOATS, extra: Partial<PrimSpec> = {}): PrimSpec => ({
  dtypes,
  jvp,
  gen: (dt) => anyShape().chain((s) => arg(dt, s, dom)).map((a) => mk([a], fn)),
  ...extra,
});

/** Two operands of one shape, or one of them rank-0 (lax broadcasts scalars only). */
const pairShapes = anyShape().chain((s) => fc.constantFrom<[number[], number[]]>([s, s], [s, s], [s, []], [[], s]));

const binary = (
  fn: (a: Tracer, b: Tracer) => Tracer, domA: Domain = {}, domB: Domain = domA, jvp: JvpCheck = "fd",
  dtypes = FLOATS, extra: Partial<PrimSpec> = {},
): PrimSpec => ({
  dtypes,
  jvp,
  gen: (dt) =>
    pairShapes.chain(([sa, sb]) => fc.tuple(arg(dt, sa, domA), arg(dt, sb, domB))).map(([a, b]) => mk([a, b], fn)),
  ...extra,
});

const compare = (fn: (a: Tracer, b: Tracer) => Tracer) => binary(fn, { min: -2, max: 2 }, { min: -2, max: 2 }, "zero", ANY);

const BITS: Domain = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const bitwise = (fn: (a: Tracer, b: Tracer) => Tracer) => binary(fn, BITS, BITS, "none", ["bool", ...INTS]);
const shift = (fn: (a: Tracer, b: Tracer) => Tracer) => binary(fn, BITS, { min: 0, max: 35 }, "none", INTS);

/** `which` and 1..3 cases (bool selectors pick between exactly 2). */
const selectGen = (dt: DType, minCases: number) =>
  fc
    .tuple(anyShape(), fc.integer({ min: minCases, max: 3 }), fc.boolean(), fc.boolean())
    .chain(([s, n, boolSel, scalarSel]) => {
      const useBool = boolSel && n === 2;
      const ws = scalarSel ? [] : s;
      const which: fc.Arbitrary<HostArg> = useBool ? arg("bool", ws) : arg("int32", ws, { min: 0, max: n - 1 });
      return fc.tuple(which, ...Array.from({ length: n }, () => arg(dt, s)));
    })
    .map((args) => mk(args, (w, ...cs) => lax.selectN(w, ...cs)));

const reduce = (fn: (x: Tracer, axes: number[]) => Tracer, dtypes: readonly DType[], jvp: JvpCheck, dom: Domain = {}, extra: Partial<PrimSpec> = {}): PrimSpec => ({
  dtypes,
  jvp,
  gen: (dt) =>
    anyShape(0, 3)
      .chain((s) => fc.tuple(arg(dt, s, dom), subset(s.length)))
      .map(([a, axes]) => mk([a], (x) => fn(x, axes), { axes })),
  ...extra,
});

const cumulative = (fn: (x: Tracer, axis: number, reverse: boolean) => Tracer, dtypes: readonly DType[], dom: Domain = {}, extra: Partial<PrimSpec> = {}): PrimSpec => ({
  dtypes,
  jvp: "fd",
  gen: (dt) =>
    anyShape(1, 3)
      .chain((s) => fc.tuple(arg(dt, s, dom), fc.nat({ max: s.length - 1 }), fc.boolean()))
      .map(([a, axis, reverse]) => mk([a], (x) => fn(x, axis, reverse), { axis, reverse })),
  ...extra,
});

const argExtremum = (fn: (x: Tracer, axis: number) => Tracer): PrimSpec => ({
  dtypes: NUMERIC,
  jvp: "zero",
  gen: (dt) =>
    anyShape(1, 3)
      .chain((s) => fc.tuple(arg(dt, s, { min: -2, max: 2 }), fc.nat({ max: s.length - 1 })))
      .map(([a, axis]) => mk([a], (x) => fn(x, axis), { axis })),
});

/** The kinds of XLA gather that jnp indexing produces, with in-bounds start indices. */
const gatherGen = (dt: DType) =>
  fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 4 }), fc.nat({ max: 2 }),
      fc.constantFrom("clip", "fill", "promise_in_bounds" as const))
    .chain(([n, m, k, kind, mode]) => {
      if (kind === 0) {
        // rows: x[idx] on a [n, m] matrix
        return fc.tuple(arg(dt, [n, m]), arg("int32", [k, 1], { min: 0, max: n - 1 })).map(([x, i]) =>
          mk([x, i], (a, b) => lax.gather(a, b, {
            dimensionNumbers: { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] }, sliceSizes: [1, m], mode,
          }), { kind: "rows", mode }));
      }
      if (kind === 1) {
        // points: x[i, j]
        return fc.tuple(arg(dt, [n, m]), fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: m - 1 })), { minLength: k, maxLength: k }))
          .map(([x, ij]) => mk([x, { data: ij.flat(), shape: [k, 2], dtype: "int32" as DType }], (a, b) => lax.gather(a, b, {
            dimensionNumbers: { offsetDims: [], collapsedSliceDims: [0, 1], startIndexMap: [0, 1] }, sliceSizes: [1, 1], mode,
          }), { kind: "points", mode }));
      }
      // windows of length w along a vector
      return fc.integer({ min: 1, max: n }).chain((w) =>
        fc.tuple(arg(dt, [n]), arg("int32", [k, 1], { min: 0, max: n - w })).map(([x, i]) =>
          mk([x, i], (a, b) => lax.gather(a, b, {
            dimensionNumbers: { offsetDims: [1], collapsedSliceDims: [], startIndexMap: [0] }, sliceSizes: [w], mode,
          }), { kind: "windows", w, mode })));
    });

type ScatterFn = typeof lax.scatter;
/** Row and point scatters; `unique` draws distinct indices (overwrite and min/max semantics). */
const scatterSpec = (fn: ScatterFn, jvp: JvpCheck, linear: number[][] | null, unique: boolean, dom: Domain = {}): PrimSpec => ({
  dtypes: NUMERIC,
  jvp,
  ...(linear ? { linear: { args: linear } } : {}),
  gen: (dt) =>
    fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 4 }), fc.boolean())
      .chain(([n, m, k, rows]) => {
        const cells = rows ? n : n * m;
        const kk = unique ? Math.min(k, cells) : k;
        const idx = (unique ? fc.uniqueArray(fc.nat({ max: cells - 1 }), { minLength: kk, maxLength: kk }) :
          fc.array(fc.nat({ max: cells - 1 }), { minLength: kk, maxLength: kk }));
        const ushape = rows ? [kk, m] : [kk];
        return fc.tuple(arg(dt, [n, m], dom), idx, arg(dt, ushape, dom)).map(([x, flat, u]) => {
          const indices: HostArg = rows
            ? { data: flat, shape: [kk, 1], dtype: "int32" }
            : { data: flat.flatMap((c) => [Math.floor(c / m), c % m]), shape: [kk, 2], dtype: "int32" };
          const dimensionNumbers = rows
            ? { updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0] }
            : { updateWindowDims: [], insertedWindowDims: [0, 1], scatterDimsToOperandDims: [0, 1] };
          return mk([x, indices, u], (a, i, b) => fn(a, i, b, { dimensionNumbers, mode: "fill" }), { rows });
        });
      }),
});

/** dot_general layouts: matmul, matvec, inner, outer, batched, transposed and inner-batch contractions. */
const dotGen = (dt: DType) =>
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.nat({ max: 6 }))
    .chain(([a, b, c, n, kind]) => {
      const table: [number[], number[], [[number[], number[]], [number[], number[]]]][] = [
        [[a, b], [b, c], [[[1], [0]], [[], []]]],
        [[a, b], [b], [[[1], [0]], [[], []]]],
        [[a], [a], [[[0], [0]], [[], []]]],
        [[a], [b], [[[], []], [[], []]]],
        [[n, a, b], [n, b, c], [[[2], [1]], [[0], [0]]]],
        [[b, a], [c, b], [[[0], [1]], [[], []]]],
        [[a, n, b], [b, n], [[[2], [0]], [[1], [1]]]],
      ];
      const [sl, sr, dn] = table[kind];
      return fc.tuple(arg(dt, sl, { min: -2, max: 2 }), arg(dt, sr, { min: -2, max: 2 })).map(([l, r]) =>
        mk([l, r], (x, y) => lax.dotGeneral(x, y, dn), { dn }));
    });

/** conv_general_dilated in NC(H)(W) / OI(H)(W) layout with strides, padding, dilations and groups. */
const convGen = (dt: DType) =>
  fc.record({
    ns: fc.integer({ min: 1, max: 2 }), batch: fc.integer({ min: 1, max: 2 }), g: fc.integer({ min: 1, max: 2 }),
    bg: fc.integer({ min: 1, max: 2 }), cin: fc.integer({ min: 1, max: 2 }), cout: fc.integer({ min: 1, max: 2 }),
  }).chain(({ ns, batch, g, bg, cin, cout }) => {
    const fgc = bg === 2 ? 1 : g; // XLA allows at most one of the group counts above 1
    const axis = fc.record({
      n: fc.integer({ min: 2, max: 5 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }),
      lo: fc.integer({ min: 0, max: 1 }), hi: fc.integer({ min: 0, max: 1 }),
      ld: fc.integer({ min: 1, max: 2 }), rd: fc.integer({ min: 1, max: 2 }),
    }).filter((a) => windowOut(a.n, a.k, a.s, [a.lo, a.hi], a.ld, a.rd) > 0);
    return fc.array(axis, { minLength: ns, maxLength: ns }).chain((axes) => {
      const lhs = [batch * bg, cin * fgc, ...axes.map((a) => a.n)];
      const rhs = [cout * fgc * bg, cin, ...axes.map((a) => a.k)];
      const spec = [0, 1, ...axes.map((_, i) => i + 2)];
      return fc.tuple(arg(dt, lhs, { min: -2, max: 2 }), arg(dt, rhs, { min: -2, max: 2 })).map(([l, r]) =>
        mk([l, r], (x, w) => lax.convGeneralDilated(x, w, axes.map((a) => a.s), axes.map((a) => [a.lo, a.hi] as [number, number]), {
          lhsDilation: axes.map((a) => a.ld), rhsDilation: axes.map((a) => a.rd),
          dimensionNumbers: { lhsSpec: spec, rhsSpec: spec, outSpec: spec }, featureGroupCount: fgc, batchGroupCount: bg,
        }), { axes, fgc, bg }));
    });
  });

const reduceWindowSpec = (kind: "sum" | "max" | "min"): PrimSpec => ({
  dtypes: NUMERIC,
  jvp: "fd",
  ...(kind === "sum" ? { linear: { args: [[0]] } } : { fd: { distinct: true } }),
  gen: (dt) =>
    anyShape(1, 3, 2, 4).chain((s) => fc.tuple(arg(dt, s, { min: -2, max: 2 }), windowGeometry(s))).map(([a, w]) =>
      mk([a], (x) => lax.reduceWindow(x, kind, w.windowDimensions, w.windowStrides, w.padding, w), w)),
});

/** Small control-flow programs; `linear` variants are affine in the operands the spec names. */
const pjitGen = (linear: boolean) => (dt: DType) =>
  anyShape().chain((s) => fc.tuple(arg(dt, s), arg(dt, s))).map(([x, y]) =>
    mk([x, y], linear
      ? (a, b) => jit((u: Tracer, v: Tracer) => lax.add(lax.mul(u, 2), v))(a, b)
      : (a, b) => jit((u: Tracer, v: Tracer) => lax.mul(lax.sin(u), v))(a, b)));

const condGen = (linear: boolean) => (dt: DType) =>
  fc.tuple(anyShape(), fc.boolean()).chain(([s, asCond]) =>
    fc.tuple(intScalar(-1, 3), arg(dt, s), arg(dt, s)).map(([i, x, y]) =>
      mk([i, x, y], (iv, xv, yv) => {
        // yv is closed over by a branch, so it becomes a const operand of the cond.
        const branches: ((a: Tracer) => Tracer)[] = linear
          ? [(a) => lax.mul(a, yv), (a) => lax.neg(a)]
          : [(a) => lax.mul(a, yv), (a) => lax.sin(a), (a) => lax.exp(a)];
        return asCond ? lax.cond(lax.gt(iv, 0), branches[1], branches[0], xv) : lax.switch(iv, branches, xv);
      }, { asCond })));

const whileGen = (linear: boolean) => (dt: DType) =>
  fc.tuple(anyShape(), fc.integer({ min: 0, max: 3 })).chain(([s, n]) =>
    fc.tuple(arg(dt, s), arg(dt, s, { min: -1, max: 1 })).map(([x, y]) =>
      mk([x, y], (xv, yv) => {
        const body = ([i, c]: [Tracer, Tracer]) =>
          [lax.add(i, 1), linear ? lax.mul(c, yv) : lax.add(lax.mul(lax.sin(c), yv), c)];
        return lax.whileLoop(([i]: [Tracer]) => lax.lt(i, n), body, [0, xv])[1] as Tracer;
      }, { n })));

const scanGen = (linear: boolean) => (dt: DType) =>
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.boolean()).chain(([m, len, reverse]) =>
    fc.tuple(arg(dt, [m]), arg(dt, [len, m]), arg(dt, [m], { min: -1, max: 1 })).map(([c0, xs, w]) =>
      mk([c0, xs, w], (cv, xsv, wv) => {
        const body = (c: Tracer, x: Tracer) => linear
          ? [lax.add(lax.mul(c, wv), x), lax.mul(c, 2)]
          : [lax.tanh(lax.add(lax.mul(c, wv), x)), lax.mul(c, x)];
        const [c, ys] = lax.scan(body, cv, xsv, { reverse });
        return [c as Tracer, ys as Tracer];
      }, { len, reverse })));

/** customJvp of sin(x) * y (or the linear 2x + y) with its exact JVP rule. */
const customJvpGen = (linear: boolean) => (dt: DType) =>
  anyShape().chain((s) => fc.tuple(arg(dt, s), arg(dt, s))).map(([x, y]) =>
    mk([x, y], (a, b) => {
      const f = linear
        ? customJvp((u: Tracer, v: Tracer) => lax.add(lax.mul(u, 2), v))
        : customJvp((u: Tracer, v: Tracer) => lax.mul(lax.sin(u), v));
      f.defjvp(([u, v], [tu, tv]) => [f(u, v), linear
        ? lax.add(lax.mul(tu, 2), tv)
        : lax.add(lax.mul(tu, lax.mul(lax.cos(u), v)), lax.mul(tv, lax.sin(u)))]);
      return f(a, b);
    }));

/** customVjp of sin(x) * y (or the linear 2x + y) with its exact backward pass. */
const customVjpFn = (linear: boolean) => {
  const f = linear
    ? customVjp((u: Tracer, v: Tracer) => lax.add(lax.mul(u, 2), v))
    : customVjp((u: Tracer, v: Tracer) => lax.mul(lax.sin(u), v));
  return linear
    ? f.defvjp((u, v) => [lax.add(lax.mul(u, 2), v), null], (_r, ct: Tracer) => [lax.mul(ct, 2), ct])
    : f.defvjp((u, v) => [lax.mul(lax.sin(u), v), [u, v]], ([u, v]: Tracer[], ct: Tracer) =>
      [lax.mul(ct, lax.mul(lax.cos(u), v)), lax.mul(ct, lax.sin(u))]);
};
const customVjpGen = (linear: boolean) => (dt: DType) =>
  anyShape().chain((s) => fc.tuple(arg(dt, s), arg(dt, s))).map(([x, y]) => mk([x, y], (a, b) => customVjpFn(linear)(a, b)));

/** The tangent map of a customVjp function: custom_lin, staged by jvp (never evaluated forward). */
const customLinGen = (dt: DType) =>
  anyShape().chain((s) => fc.tuple(arg(dt, s), arg(dt, s), arg(dt, s), arg(dt, s))).map((args) =>
    mk(args, (a, b, ta, tb) => jvp(customVjpFn(false), [a, b], [ta, tb])[1] as Tracer));

const FORWARD_REFUSED = /[Ff]orward-mode differentiation/;

const checkpointGen = (linear: boolean) => (dt: DType) =>
  anyShape().chain((s) => fc.tuple(arg(dt, s), arg(dt, s))).map(([x, y]) =>
    mk([x, y], linear
      ? (a, b) => checkpoint((u: Tracer, v: Tracer) => lax.add(lax.mul(u, 2), v))(a, b)
      : (a, b) => checkpoint((u: Tracer, v: Tracer) => lax.mul(lax.tanh(lax.mul(u, v)), v))(a, b)));

export const primSpecs: { [P in Prim]: PrimSpec } = {
  [Prim.Neg]: unary(lax.neg, {}, "fd", NUMERIC, { linear: { args: [[0]] } }),
  [Prim.Sign]: unary(lax.sign, {}, "zero", NUMERIC),
  [Prim.Floor]: unary(lax.floor, {}, "zero"),
  [Prim.Ceil]: unary(lax.ceil, {}, "zero"),
  [Prim.Round]: {
    dtypes: FLOATS,
    jvp: "zero",
    gen: (dt) => fc.tuple(anyShape().chain((s) => arg(dt, s)), fc.constantFrom("away_from_zero", "to_nearest_even" as const))
      .map(([a, method]) => mk([a], (x) => lax.round(x, method), { method })),
  },
  [Prim.Abs]: unary(lax.abs, { awayFromZero: 1 / 64 }, "fd", NUMERIC),
  [Prim.Exp]: unary(lax.exp),
  [Prim.Exp2]: unary(lax.exp2),
  [Prim.Log]: unary(lax.log, { min: 1 / 16, max: 8 }),
  [Prim.Log1p]: unary(lax.log1p, { min: -0.9, max: 4 }),
  [Prim.Expm1]: unary(lax.expm1),
  [Prim.Sqrt]: unary(lax.sqrt, { min: 1 / 16, max: 8 }),
  [Prim.Rsqrt]: unary(lax.rsqrt, { min: 1 / 16, max: 8 }),
  [Prim.Cbrt]: unary(lax.cbrt, { awayFromZero: 1 / 16 }),
  [Prim.Sin]: unary(lax.sin),
  [Prim.Cos]: unary(lax.cos),
  [Prim.Tan]: unary(lax.tan, { min: -1.25, max: 1.25 }),
  [Prim.Asin]: unary(lax.asin, { min: -0.9, max: 0.9 }),
  [Prim.Acos]: unary(lax.acos, { min: -0.9, max: 0.9 }),
  [Prim.Atan]: unary(lax.atan),
  [Prim.Sinh]: unary(lax.sinh),
  [Prim.Cosh]: unary(lax.cosh),
  [Prim.Tanh]: unary(lax.tanh),
  [Prim.Asinh]: unary(lax.asinh),
  [Prim.Acosh]: unary(lax.acosh, { min: 1.125, max: 8 }),
  [Prim.Atanh]: unary(lax.atanh, { min: -0.9, max: 0.9 }),
  [Prim.Logistic]: unary(lax.logistic),
  [Prim.Erf]: unary(lax.erf),
  [Prim.Erfc]: unary(lax.erfc),
  [Prim.ErfInv]: unary(lax.erfInv, { min: -0.9, max: 0.9 }),
  [Prim.Lgamma]: unary(lax.lgamma, { min: 0.25, max: 6 }),
  [Prim.Digamma]: unary(lax.digamma, { min: 0.25, max: 6 }),
  [Prim.Square]: unary(lax.square, {}, "fd", NUMERIC),
  [Prim.IntegerPow]: {
    dtypes: NUMERIC,
    jvp: "fd",
    gen: (dt) => fc.integer({ min: dt === "int32" ? 0 : -3, max: 4 }).chain((y) =>
      anyShape().chain((s) => arg(dt, s, y < 0 ? { min: -3, max: 3, awayFromZero: 0.5 } : { min: -3, max: 3 }))
        .map((a) => mk([a], (x) => lax.integerPow(x, y), { y }))),
  },
  [Prim.IsFinite]: {
    dtypes: FLOATS,
    jvp: "zero",
    gen: (dt) => anyShape().chain((s) =>
      fc.array(fc.constantFrom(0, 1.5, -2, Infinity, -Infinity, NaN), { minLength: s.reduce((a, b) => a * b, 1), maxLength: s.reduce((a, b) => a * b, 1) })
        .map((data) => mk([{ data, shape: s, dtype: dt }], lax.isFinite))),
  },
  [Prim.Not]: unary(lax.bitwiseNot, BITS, "none", ["bool", ...INTS]),

  [Prim.Add]: binary(lax.add, {}, {}, "fd", ANY, { linear: { args: [[0], [1], [0, 1]] } }),
  [Prim.Sub]: binary(lax.sub, {}, {}, "fd", NUMERIC, { linear: { args: [[0], [1], [0, 1]] } }),
  [Prim.Mul]: binary(lax.mul, {}, {}, "fd", ANY, { linear: { args: [[0], [1]] } }),
  [Prim.Div]: binary(lax.div, {}, { awayFromZero: 0.5 }, "fd", NUMERIC, { linear: { args: [[0]] } }),
  [Prim.Rem]: binary(lax.rem, {}, { awayFromZero: 0.5 }, "fd", NUMERIC),
  [Prim.Pow]: binary(lax.pow, { min: 0.25, max: 4 }, { min: -2, max: 2 }),
  [Prim.Max]: binary(lax.max, {}, {}, "fd", ANY),
  [Prim.Min]: binary(lax.min, {}, {}, "fd", ANY),
  [Prim.Atan2]: binary(lax.atan2, { awayFromZero: 1 / 16 }, {}),
  [Prim.Nextafter]: binary(lax.nextafter, {}, {}, "zero"),
  [Prim.And]: bitwise(lax.bitwiseAnd),
  [Prim.Or]: bitwise(lax.bitwiseOr),
  [Prim.Xor]: bitwise(lax.bitwiseXor),
  [Prim.ShiftLeft]: shift(lax.shiftLeft),
  [Prim.ShiftRightLogical]: shift(lax.shiftRightLogical),
  [Prim.ShiftRightArithmetic]: shift(lax.shiftRightArithmetic),
  [Prim.Eq]: compare(lax.eq),
  [Prim.Ne]: compare(lax.ne),
  [Prim.Lt]: compare(lax.lt),
  [Prim.Le]: compare(lax.le),
  [Prim.Gt]: compare(lax.gt),
  [Prim.Ge]: compare(lax.ge),

  [Prim.SelectN]: {
    dtypes: ANY,
    jvp: "fd",
    gen: (dt) => selectGen(dt, 1),
    linear: { args: [[1], [2], [1, 2]], gen: (dt) => selectGen(dt, 2) },
  },
  [Prim.Clamp]: {
    dtypes: NUMERIC,
    jvp: "fd",
    fd: { distinct: true },
    gen: (dt) => fc.tuple(anyShape(), fc.boolean(), fc.boolean()).chain(([s, sLo, sHi]) =>
      fc.tuple(arg(dt, sLo ? [] : s, { min: -3, max: 0 }), arg(dt, s), arg(dt, sHi ? [] : s, { min: 0, max: 3 })))
      .map(([lo, x, hi]) => mk([lo, x, hi], lax.clamp)),
  },
  [Prim.ConvertElementType]: {
    dtypes: ANY,
    jvp: "fd",
    // float64 inputs (the derivative checks) convert to floats; others to any dtype.
    gen: (dt) => fc.tuple(anyShape(), fc.constantFrom(...(dt === "float64" ? ["float64", "float32"] as DType[] : ANY)))
      .chain(([s, to]) => arg(dt, s).map((a) => mk([a], (x) => lax.convertElementType(x, to), { to }))),
    linear: { args: [[0]] },
    fd: { eps: 1e-3, tol: { rtol: 2e-3, atol: 2e-3 } },
  },
  [Prim.BitcastConvertType]: {
    dtypes: ["float32", "int32", "uint32"],
    jvp: "zero",
    gen: (dt) => fc.tuple(anyShape(), fc.constantFrom<DType>("float32", "int32", "uint32"))
      .chain(([s, to]) => arg(dt, s, dt === "float32" ? {} : BITS).map((a) => mk([a], (x) => lax.bitcastConvertType(x, to), { to }))),
  },

  [Prim.BroadcastInDim]: {
    dtypes: ANY,
    jvp: "fd",
    linear: { args: [[0]] },
    gen: (dt) => fc.tuple(anyShape(0, 2), fc.integer({ min: 0, max: 2 })).chain(([s, extra]) => {
      const r = s.length + extra;
      const range = Array.from({ length: r }, (_, i) => i);
      return fc.tuple(
        fc.shuffledSubarray(range, { minLength: s.length, maxLength: s.length }).map((d) => d.sort((a, b) => a - b)),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: r, maxLength: r }),
        arg(dt, s),
      ).map(([bd, fill, a]) => {
        const out = fill.map((f, i) => (bd.includes(i) && s[bd.indexOf(i)] !== 1 ? s[bd.indexOf(i)] : f));
        return mk([a], (x) => lax.broadcastInDim(x, out, bd), { out, bd });
      });
    }),
  },
  [Prim.Reshape]: {
    dtypes: ANY,
    jvp: "fd",
    linear: { args: [[0]] },
    gen: (dt) => anyShape(0, 3).chain((s) => {
      const size = s.reduce((a, b) => a * b, 1);
      const targets = fc.oneof(permutation(s.length).map((p) => p.map((i) => s[i])), fc.constant([size]), fc.constant([1, size, 1]));
      return fc.tuple(arg(dt, s), targets).map(([a, to]) => mk([a], (x) => lax.reshape(x, to), { to }));
    }),
  },
  [Prim.Transpose]: {
    dtypes: ANY,
    jvp: "fd",
    linear: { args: [[0]] },
    gen: (dt) => anyShape(0, 4).chain((s) => fc.tuple(arg(dt, s), permutation(s.length)))
      .map(([a, p]) => mk([a], (x) => lax.transpose(x, p), { p })),
  },
  [Prim.Squeeze]: {
    dtypes: ANY,
    jvp: "fd",
    linear: { args: [[0]] },
    gen: (dt) => anyShape(0, 3).chain((s) => subset(s.length).map((ones) => s.map((d, i) => (ones.includes(i) ? 1 : d))))
      .chain((s) => fc.tuple(arg(dt, s), subset(s.length).map((ds) => ds.filter((i) => s[i] === 1))))
      .map(([a, dims]) => mk([a], (x) => lax.squeeze(x, dims), { dims })),
  },
  [Prim.ExpandDims]: {
    dtypes: ANY,
    jvp: "fd",
    linear: { args: [[0]] },
    gen: (dt) => fc.tuple(anyShape(0, 2), fc.integer({ min: 1, max: 2 })).chain(([s, k]) =>
      fc.tuple(arg(dt, s), fc.shuffledSubarray(Array.from({ length: s.length + k }, (_, i) => i), { minLength: k, maxLength: k })))
      .map(([a, dims]) => mk([a], (x) => lax.expandDims(x, [...dims].sort((p, q) => p - q)), { dims })),
  },
  [Prim.Rev]: {
    dtypes: ANY,
    jvp: "fd",
    linear: { args: [[0]] },
    gen: (dt) => anyShape(0, 3).chain((s) => fc.tuple(arg(dt, s), subset(s.length)))
      .map(([a, dims]) => mk([a], (x) => lax.rev(x, dims), { dims })),
  },
  [Prim.Pad]: {
    dtypes: NUMERIC,
    jvp: "fd",
    linear: { args: [[0], [1], [0, 1]] },
    gen: (dt) => anyShape(0, 3).chain((s) => {
      const cfg = fc.tuple(...s.map((d) =>
        fc.tuple(fc.integer({ min: -1, max: 2 }), fc.integer({ min: -1, max: 2 }), fc.integer({ min: 0, max: 2 }))
          .filter(([lo, hi, int]) => lo + hi + d + (d - 1) * int >= 0)));
      return fc.tuple(arg(dt, s), arg(dt, []), cfg);
    }).map(([a, v, cfg]) => mk([a, v], (x, pv) => lax.pad(x, pv, cfg as [number, number, number][]), { cfg })),
  },
  [Prim.Concatenate]: {
    dtypes: ANY,
    jvp: "fd",
    gen: (dt) => concatGen(dt, 1),
    linear: { args: [[0], [1], [0, 1]], gen: (dt) => concatGen(dt, 2) },
  },
  [Prim.Slice]: {
    dtypes: ANY,
    jvp: "fd",
    linear: { args: [[0]] },
    gen: (dt) => anyShape(1, 3, 1, 5).chain((s) => fc.tuple(arg(dt, s), fc.boolean(), fc.tuple(...s.map((d) =>
      fc.integer({ min: 0, max: d }).chain((st) => fc.tuple(fc.constant(st), fc.integer({ min: st, max: d }), fc.integer({ min: 1, max: 3 })))))))
      .map(([a, strided, axes]) => {
        const start = axes.map((x) => x[0]);
        const limit = axes.map((x) => x[1]);
        const strides = strided ? axes.map((x) => x[2]) : null;
        return mk([a], (x) => lax.slice(x, start, limit, strides), { start, limit, strides });
      }),
  },
  [Prim.DynamicSlice]: {
    dtypes: ANY,
    jvp: "fd",
    linear: { args: [[0]] },
    // Start indices may fall outside: XLA clamps them so the slice stays in bounds.
    gen: (dt) => anyShape(1, 3, 1, 4).chain((s) => fc.tuple(arg(dt, s),
      fc.tuple(...s.map((d) => fc.integer({ min: 0, max: d }))), fc.tuple(...s.map((d) => intScalar(-2, d + 1)))))
      .map(([a, sizes, idx]) => mk([a, ...idx], (x, ...i) => lax.dynamicSlice(x, i, sizes), { sizes })),
  },
  [Prim.DynamicUpdateSlice]: {
    dtypes: ANY,
    jvp: "fd",
    linear: { args: [[0], [1], [0, 1]] },
    gen: (dt) => anyShape(1, 3, 1, 4).chain((s) => fc.tuple(fc.tuple(...s.map((d) => fc.integer({ min: 0, max: d }))), fc.constant(s)))
      .chain(([us, s]) => fc.tuple(arg(dt, s), arg(dt, us), fc.tuple(...s.map((d) => intScalar(-2, d + 1)))))
      .map(([a, u, idx]) => mk([a, u, ...idx], (x, v, ...i) => lax.dynamicUpdateSlice(x, v, i))),
  },
  [Prim.Gather]: { dtypes: ANY, jvp: "fd", linear: { args: [[0]] }, gen: gatherGen },
  [Prim.Scatter]: scatterSpec(lax.scatter, "fd", [[0], [2], [0, 2]], true),
  [Prim.ScatterAdd]: scatterSpec(lax.scatterAdd, "fd", [[0], [2], [0, 2]], false),
  [Prim.ScatterMul]: scatterSpec(lax.scatterMul, "fd", [[0]], false, { min: -2, max: 2 }),
  [Prim.ScatterMin]: { ...scatterSpec(lax.scatterMin, "fd", null, true), fd: { distinct: true } },
  [Prim.ScatterMax]: { ...scatterSpec(lax.scatterMax, "fd", null, true), fd: { distinct: true } },
  [Prim.Iota]: {
    dtypes: ["int32", "uint32", "float32", "float64"],
    jvp: "none",
    gen: (dt) => anyShape(1, 3, 1, 4).chain((s) => fc.nat({ max: s.length - 1 }).map((d) => mk([], () => lax.iota(dt, s, d), { s, d }))),
  },
  [Prim.Copy]: unary(lax.copy, {}, "fd", ANY, { linear: { args: [[0]] } }),

  [Prim.ReduceSum]: reduce(lax.reduceSum, NUMERIC, "fd", {}, { linear: { args: [[0]] } }),
  [Prim.ReduceMax]: reduce(lax.reduceMax, ANY, "fd", {}, { fd: { distinct: true } }),
  [Prim.ReduceMin]: reduce(lax.reduceMin, ANY, "fd", {}, { fd: { distinct: true } }),
  [Prim.ReduceProd]: reduce(lax.reduceProd, NUMERIC, "fd", { min: -2, max: 2 }),
  [Prim.ReduceAnd]: reduce(lax.reduceAnd, ["bool", ...INTS], "none", BITS),
  [Prim.ReduceOr]: reduce(lax.reduceOr, ["bool", ...INTS], "none", BITS),
  [Prim.ReduceXor]: reduce(lax.reduceXor, ["bool", ...INTS], "none", BITS),
  [Prim.Argmax]: argExtremum(lax.argmax),
  [Prim.Argmin]: argExtremum(lax.argmin),
  [Prim.Cumsum]: cumulative(lax.cumsum, NUMERIC, {}, { linear: { args: [[0]] } }),
  [Prim.Cumprod]: cumulative(lax.cumprod, NUMERIC, { min: -2, max: 2 }),
  [Prim.Cummax]: cumulative(lax.cummax, NUMERIC, {}, { fd: { distinct: true } }),
  [Prim.Cummin]: cumulative(lax.cummin, NUMERIC, {}, { fd: { distinct: true } }),
  [Prim.Cumlogsumexp]: cumulative(lax.cumlogsumexp, FLOATS),
  [Prim.Sort]: {
    dtypes: NUMERIC,
    jvp: "fd",
    fd: { distinct: true },
    gen: (dt) => fc.tuple(anyShape(1, 3), fc.integer({ min: 1, max: 2 }), fc.boolean()).chain(([s, n, stable]) =>
      fc.tuple(fc.nat({ max: s.length - 1 }), fc.integer({ min: 1, max: n }),
        fc.tuple(...Array.from({ length: n }, (_, i) => arg(i === 0 ? dt : "int32", s, { min: -2, max: 2 }))))
        .map(([dim, keys, ops]) => mk(ops, (...xs) => lax.sort(xs, dim, stable, keys), { dim, keys, stable }))),
  },
  [Prim.TopK]: {
    dtypes: NUMERIC,
    jvp: "fd",
    fd: { distinct: true },
    gen: (dt) => anyShape(1, 2, 1, 4).chain((s) => fc.tuple(arg(dt, s), fc.integer({ min: 0, max: s[s.length - 1] })))
      .map(([a, k]) => mk([a], (x) => lax.topK(x, k), { k })),
  },

  [Prim.DotGeneral]: { dtypes: NUMERIC, jvp: "fd", linear: { args: [[0], [1]] }, gen: dotGen },
  [Prim.ConvGeneralDilated]: { dtypes: FLOATS, jvp: "fd", linear: { args: [[0], [1]] }, gen: convGen },
  [Prim.ReduceWindowSum]: reduceWindowSpec("sum"),
  [Prim.ReduceWindowMax]: reduceWindowSpec("max"),
  [Prim.ReduceWindowMin]: reduceWindowSpec("min"),
  [Prim.SelectAndScatterAdd]: {
    dtypes: FLOATS,
    jvp: "fd",
    fd: { distinct: true },
    linear: { args: [[0]] },
    gen: (dt) => anyShape(1, 2, 2, 4).chain((s) => windowGeometry(s, { dilate: false }).chain((w) => {
      const out = s.map((d, i) => windowOut(d, w.windowDimensions[i], w.windowStrides[i], w.padding[i], 1, 1));
      return fc.tuple(arg(dt, out), arg(dt, s), fc.constant(w));
    })).map(([src, x, w]) => mk([src, x], (g, o) => lax.selectAndScatterAdd(g, o, w.windowDimensions, w.windowStrides, w.padding), w)),
  },
  [Prim.Threefry2x32]: {
    dtypes: ["uint32"],
    jvp: "none",
    gen: () => anyShape(0, 2).chain((s) => fc.tuple(...[0, 1, 2, 3].map(() => arg("uint32", s, { min: 0, max: 2 ** 32 - 1 }))))
      .map((ks) => mk(ks, (a, b, c, d) => lax.threefry2x32(a, b, c, d))),
  },
  [Prim.StopGradient]: unary(lax.stopGradient, {}, "zero"),
  [Prim.Pjit]: { dtypes: FLOATS, jvp: "fd", gen: pjitGen(false), linear: { args: [[0], [1], [0, 1]], gen: pjitGen(true) } },
  [Prim.Cond]: { dtypes: FLOATS, jvp: "fd", gen: condGen(false), linear: { args: [[1]], gen: condGen(true) } },
  [Prim.While]: {
    dtypes: FLOATS,
    jvp: "fd",
    gen: whileGen(false),
    // The trip count is unknown when traced, so reverse mode refuses while loops with advice.
    linear: { args: [[0]], gen: whileGen(true), unsupported: /Reverse-mode differentiation .* lax\.whileLoop.*Use lax\.scan/s },
  },
  [Prim.Scan]: { dtypes: FLOATS, jvp: "fd", gen: scanGen(false), linear: { args: [[0], [1], [0, 1]], gen: scanGen(true) } },
  [Prim.CustomJvpCall]: { dtypes: FLOATS, jvp: "fd", gen: customJvpGen(false), linear: { args: [[0], [1], [0, 1]], gen: customJvpGen(true) } },
  [Prim.CustomVjpCall]: {
    dtypes: FLOATS,
    jvp: "refused",
    refusal: FORWARD_REFUSED,
    gen: customVjpGen(false),
    linear: { args: [[0], [1], [0, 1]], gen: customVjpGen(true) },
  },
  [Prim.CustomLin]: {
    dtypes: FLOATS,
    jvp: "refused",
    refusal: FORWARD_REFUSED,
    evaluable: false,
    gen: customLinGen,
    // Reverse mode through a customVjp function transposes custom_lin by calling its backward pass.
    linear: { args: [[0], [1], [0, 1]], gen: customVjpGen(true) },
  },
  [Prim.Remat]: { dtypes: FLOATS, jvp: "fd", gen: checkpointGen(false), linear: { args: [[0], [1], [0, 1]], gen: checkpointGen(true) } },
};

/** 1..3 (at least `min`) operands joined along a random axis; each may be empty along it. */
function concatGen(dt: DType, min: number): fc.Arbitrary<PrimCase> {
  return fc.tuple(anyShape(1, 3), fc.integer({ min, max: 3 })).chain(([s, n]) =>
    fc.tuple(fc.nat({ max: s.length - 1 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }))
      .chain(([dim, lens]) => fc.tuple(fc.constant(dim), fc.tuple(...lens.map((l) => arg(dt, s.map((d, i) => (i === dim ? l : d))))))))
    .map(([dim, ops]) => mk(ops, (...xs) => lax.concatenate(xs, dim), { dim }));
}
