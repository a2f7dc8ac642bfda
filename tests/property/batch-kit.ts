/**
 * @file Batching toolkit for the vmap == loop property (vmap-loop.test.ts): host-side stacking
 * along any axis, per-example operands that share one spec case's static params (shapes, axes,
 * window geometry, dimension numbers) with fresh values inside the spec's domain, index operands
 * kept in range for every example, and extra control-flow cases whose loop or branch predicate
 * differs per example (the spec table's while loop has a static trip count).
 */
import fc from "fast-check";
import { type DType, Prim } from "../../src/ir/index.js";
import type { Tracer } from "../../src/trace/core.js";
import * as lax from "../../src/numpy/lax.js";
import { host } from "./checks.js";
import {
  FLOATS, type HostArg, NUMERIC, type PrimCase, type PrimSpec, type Tol, anyShape, arg, intScalar, mk, permutation, sizeOf, subset,
  windowOut,
} from "./spec-kit.js";

/** A uniform draw in [0, 1); seeded so a failing fast-check run replays the same batch. */
export type Rng = () => number;

/** mulberry32: a tiny seeded generator, plenty for resampling operand values. */
export function rngFrom(seed: number): Rng {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const randInt = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

/** An axis of a rank-`rank` array picked by `seed`, negative half the time: -rank..rank-1. */
export const axisFrom = (seed: number, rank: number): number => (seed % (2 * rank)) - rank;

export const normAxis = (a: number, rank: number): number => (a < 0 ? a + rank : a);

/** Stacks equally shaped host arrays along a new axis `axis` (non-negative, at most their rank). */
export function stackHost(xs: readonly HostArg[], axis: number): HostArg {
  const s = xs[0].shape;
  const inner = sizeOf(s.slice(axis));
  const outer = sizeOf(s.slice(0, axis));
  const data: number[] = [];
  for (let o = 0; o < outer; o++) for (const x of xs) for (let j = 0; j < inner; j++) data.push(x.data[o * inner + j]);
  return { data, shape: [...s.slice(0, axis), xs.length, ...s.slice(axis)], dtype: xs[0].dtype };
}

/** An array's values as host data. */
export const hostOf = (t: Tracer): HostArg => ({ data: host(t), shape: [...t.shape], dtype: t.dtype });

/** Expects `got` to match host arrays `want` in shape, dtype and values (NaN equals NaN). */
export function expectHost(got: readonly Tracer[], want: readonly HostArg[], what: string, tol?: Tol): void {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} outputs, expected ${want.length}`);
  got.forEach((g, k) => {
    const w = want[k];
    if (g.shape.join() !== w.shape.join() || g.dtype !== w.dtype) {
      throw new Error(`${what}: output ${k} is ${g.dtype}[${g.shape}], expected ${w.dtype}[${w.shape}]`);
    }
    const a = host(g);
    const t = tol ?? { rtol: 0, atol: 0 };
    w.data.forEach((b, i) => {
      const ok = a[i] === b || (Number.isNaN(a[i]) && Number.isNaN(b)) || Math.abs(a[i] - b) <= t.atol + t.rtol * Math.abs(b);
      if (!ok) throw new Error(`${what}: output ${k} element ${i}: vmap ${a[i]}, loop ${b}\n vmap: ${a}\n loop: ${w.data}`);
    });
  });
}

/**
 * Fresh values for operand `i` of case `c` whose valid range depends on the case itself (index
 * operands, selectors), mirroring the ranges the spec generators draw from; undefined: resample.
 */
type Fresh = (c: PrimCase, i: number, rng: Rng) => number[] | undefined;

const noteOf = (c: PrimCase): Record<string, unknown> => (c.note.startsWith("{") ? JSON.parse(c.note) : {});
const ints = (rng: Rng, n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => randInt(rng, lo, hi));

/** k distinct cells of [0, cells), for scatters whose result depends on which update wins. */
function distinct(rng: Rng, k: number, cells: number): number[] {
  const all = Array.from({ length: cells }, (_, j) => j);
  for (let j = cells - 1; j > 0; j--) {
    const r = randInt(rng, 0, j);
    [all[j], all[r]] = [all[r], all[j]];
  }
  return all.slice(0, k);
}

const scatterIndices = (unique: boolean): Fresh => (c, i, rng) => {
  if (i !== 1) return undefined;
  const [n, m] = c.args[0].shape;
  const [k, width] = c.args[1].shape;
  const cells = width === 1 ? n : n * m;
  const flat = unique ? distinct(rng, k, cells) : ints(rng, k, 0, cells - 1);
  return width === 1 ? flat : flat.flatMap((cell) => [Math.floor(cell / m), cell % m]);
};

/** XLA clamps dynamic start indices, so [-2, d + 1] exercises the clamp yet stays meaningful. */
const startIndices = (first: number): Fresh => (c, i, rng) =>
  i >= first ? [randInt(rng, -2, c.args[0].shape[i - first] + 1)] : undefined;

const GENERAL_GATHER = "gather (random dimension numbers)";
const GENERAL_SCATTER = "scatter-add (random dimension numbers)";

/** Start indices [..., n] whose column j starts a window of `win[map[j]]` inside operand axis map[j]. */
function inRangeStarts(c: PrimCase, rng: Rng): number[] {
  const { map, win } = noteOf(c) as { map: number[]; win: number[] };
  const x = c.args[0].shape;
  return Array.from({ length: sizeOf(c.args[1].shape) }, (_, j) => randInt(rng, 0, x[map[j % map.length]] - win[map[j % map.length]]));
}

const FRESH: Partial<Record<string, Fresh>> = {
  [Prim.Gather]: (c, i, rng) => {
    if (i !== 1) return undefined;
    const [k, width] = c.args[1].shape;
    const x = c.args[0].shape;
    const { kind, w } = noteOf(c) as { kind: string; w?: number };
    if (kind === "points") return Array.from({ length: k * width }, (_, j) => randInt(rng, 0, x[j % width] - 1));
    return ints(rng, k, 0, x[0] - (kind === "windows" ? w! : 1));
  },
  [Prim.Scatter]: scatterIndices(true),
  [Prim.ScatterMin]: scatterIndices(true),
  [Prim.ScatterMax]: scatterIndices(true),
  [Prim.ScatterAdd]: scatterIndices(false),
  [Prim.ScatterMul]: scatterIndices(false),
  [Prim.DynamicSlice]: startIndices(1),
  [Prim.DynamicUpdateSlice]: startIndices(2),
  [Prim.SelectN]: (c, i, rng) => (i === 0 ? ints(rng, sizeOf(c.args[0].shape), 0, c.args[0].dtype === "bool" ? 1 : c.args.length - 2) : undefined),
  [Prim.Cond]: (c, i, rng) => (i === 0 ? [randInt(rng, -1, 3)] : undefined),
  [GENERAL_GATHER]: (c, i, rng) => (i === 1 ? inRangeStarts(c, rng) : undefined),
  [GENERAL_SCATTER]: (c, i, rng) => (i === 1 ? inRangeStarts(c, rng) : undefined),
};

/**
 * Specs whose value domain depends on a param (integer_pow: x away from 0 for negative powers):
 * their pools only take values from extra cases with the same note. Index operands are in FRESH.
 */
const DOMAIN_FOLLOWS_PARAMS: ReadonlySet<string> = new Set([Prim.IntegerPow]);

/**
 * Value pools per operand: the base case's values plus those of `extras` with the same operand count
 * and dtype there. In every spec an operand's domain depends only on the primitive, its position and
 * dtype (bar DOMAIN_FOLLOWS_PARAMS and the index operands of FRESH), so drawing elements from a pool
 * keeps fresh examples inside the domain (log x > 0, |d| >= 1/2...) yet varied for small operands.
 */
export function valuePools(prim: Prim | string, base: PrimCase, extras: readonly PrimCase[]): number[][] {
  return base.args.map((a, i) => {
    const pool = [...a.data];
    for (const e of extras) {
      const sameParams = !DOMAIN_FOLLOWS_PARAMS.has(prim) || e.note === base.note;
      if (sameParams && e.args.length === base.args.length && e.args[i].dtype === a.dtype) pool.push(...e.args[i].data);
    }
    return pool;
  });
}

/** A fresh example of operand `i`: same shape and dtype, values from its pool or its index range. */
export function freshArg(prim: Prim | string, c: PrimCase, pools: readonly number[][], i: number, rng: Rng): HostArg {
  const a = c.args[i];
  const fixed = FRESH[prim]?.(c, i, rng);
  const pool = pools[i];
  const data = fixed ?? a.data.map(() => pool[Math.floor(rng() * pool.length)]);
  return { ...a, data };
}

/** One spec case prepared for vmap: a batch of examples, the in axes, and seeds for the out axes. */
export interface BatchedCase {
  readonly dtype: DType;
  readonly c: PrimCase;
  readonly B: number;
  /** Per operand: its batch axis (possibly negative) or null when shared by every example. */
  readonly inAxes: readonly (number | null)[];
  /** examples[b][i]: operand i of example b (the base operand where inAxes[i] is null). */
  readonly examples: readonly (readonly HostArg[])[];
  /** Seeds for the out axes, or null to leave outAxes at its default (0). */
  readonly outSeeds: readonly number[] | null;
  /** Whether the rules run on staged values too: vmap(jit(apply)) or jit(vmap(apply)). */
  readonly jitted: Jitted;
}

export type Jitted = "none" | "inside" | "outside";

/** Operand i is batched with probability 3/4, so single-operand specs rarely waste a run. */
const batchedFlag = fc.integer({ min: 0, max: 3 }).map((k) => k > 0);

/** A case of `spec`, B in 1..3, random in axes per operand, and B examples sharing the case's params. */
export const batchedCase = (prim: Prim | string, spec: PrimSpec): fc.Arbitrary<BatchedCase> =>
  fc.constantFrom(...spec.dtypes).chain((dtype) =>
    fc.tuple(spec.gen(dtype), fc.array(spec.gen(dtype), { minLength: 4, maxLength: 4 })).chain(([c, extras]) =>
      fc.record({
        B: fc.oneof({ arbitrary: fc.constant(1), weight: 1 }, { arbitrary: fc.integer({ min: 2, max: 3 }), weight: 3 }),
        batched: fc.array(batchedFlag, { minLength: c.args.length, maxLength: c.args.length }),
        axisSeeds: fc.array(fc.nat(), { minLength: c.args.length, maxLength: c.args.length }),
        outSeeds: fc.option(fc.array(fc.nat(), { minLength: 4, maxLength: 4 }), { freq: 3 }),
        seed: fc.integer(),
        jitted: fc.constantFrom<Jitted>("none", "none", "inside", "outside"),
      }).map(({ B, batched, axisSeeds, outSeeds, seed, jitted }) => {
        const rng = rngFrom(seed);
        const pools = valuePools(prim, c, extras);
        const inAxes = c.args.map((a, i) => (batched[i] ? axisFrom(axisSeeds[i], a.shape.length + 1) : null));
        const examples = Array.from({ length: B }, () =>
          c.args.map((a, i) => (inAxes[i] === null ? a : freshArg(prim, c, pools, i, rng))));
        return { dtype, c, B, inAxes, examples, outSeeds, jitted };
      })));

/** What a failing run shows: enough to replay the case by hand. */
export function describeCase(prim: string, bc: { dtype: DType; c: PrimCase; inAxes: readonly unknown[] }, extra: object = {}): string {
  return `${prim} ${bc.dtype} note=${bc.c.note || "-"} inAxes=${JSON.stringify(bc.inAxes)} ${JSON.stringify(extra)}`;
}

/**
 * Control flow whose predicate differs per example, which the spec table lacks (its while loop
 * runs a static trip count): vmap must keep stepping the examples still running and freeze the
 * finished ones, and take each example's own branch.
 */
export const EXTRA_SPECS: Record<string, PrimSpec> = {
  "while (trip count from an operand)": {
    dtypes: FLOATS,
    jvp: "fd",
    gen: (dt) => anyShape(0, 2).chain((s) => fc.tuple(arg(dt, s), intScalar(0, 3))).map(([x, n]) =>
      mk([x, n], (xv, nv) => lax.whileLoop(([i]: Tracer[]) => lax.lt(i, nv),
        ([i, c]: Tracer[]) => [lax.add(i, 1), lax.add(lax.mul(lax.sin(c), 0.5), c)], [lax.convertElementType(0, "int32"), xv]) as Tracer[])),
  },
  "while (predicate on the carry)": {
    dtypes: FLOATS,
    jvp: "fd",
    gen: (dt) => anyShape(0, 2).chain((s) => fc.tuple(arg(dt, s, { min: 0.25, max: 4 }), arg(dt, s))).map(([x, y]) =>
      mk([x, y], (xv, yv) => lax.whileLoop(([c]: Tracer[]) => lax.lt(lax.reduceMax(c, c.shape.map((_, k) => k)), 8),
        ([c, acc]: Tracer[]) => [lax.mul(c, 2), lax.add(acc, c)], [xv, yv]) as Tracer[])),
  },
  "cond (predicate computed from an operand)": {
    dtypes: FLOATS,
    jvp: "fd",
    gen: (dt) => anyShape(0, 2).chain((s) => fc.tuple(arg(dt, s), arg(dt, s))).map(([x, y]) =>
      // Integer and boolean outputs too: the batched cond selects every output dtype.
      mk([x, y], (xv, yv) => lax.cond(lax.gt(lax.reduceSum(xv, xv.shape.map((_, k) => k)), 0),
        (a: Tracer) => [lax.mul(a, yv), lax.sin(a), lax.gt(a, yv), lax.convertElementType(a, "int32")],
        (a: Tracer) => [lax.neg(a), yv, lax.lt(a, 1), lax.convertElementType(yv, "int32")], xv) as Tracer[])),
  },
};

/** Operand shape, index map, window sizes and index batch shape shared by the general gather/scatter. */
const indexLayout = fc.tuple(anyShape(1, 3, 1, 3), anyShape(0, 2, 1, 2)).chain(([x, batch]) =>
  fc.tuple(
    fc.constant(x), fc.constant(batch),
    fc.shuffledSubarray(x.map((_, i) => i), { minLength: 1, maxLength: x.length }),
    fc.tuple(...x.map((d) => fc.integer({ min: 1, max: d }))),
    fc.array(fc.boolean(), { minLength: x.length, maxLength: x.length }),
  ).map(([, , map, win, collapse]) => {
    // Only axes with a window of 1 may be collapsed (gather) or inserted (scatter).
    const gone = x.map((_, i) => i).filter((i) => collapse[i] && win[i] === 1);
    return { x, batch, map, win, gone, kept: x.length - gone.length };
  }));

/** Where the window axes go among the batch axes of a gather output or scatter update. */
const windowPositions = (batchRank: number, kept: number) => subset(batchRank + kept).filter((p) => p.length === kept);

/**
 * Gather, scatter, dot_general and convolution with layouts the spec table does not draw
 * (unsorted index maps, several index batch axes, window axes anywhere, permuted conv layouts):
 * their batching rules renumber axes, which only random layouts exercise.
 */
export const LAYOUT_SPECS: Record<string, PrimSpec> = {
  [GENERAL_GATHER]: {
    dtypes: NUMERIC,
    jvp: "fd",
    gen: (dt) => indexLayout.chain((l) => fc.tuple(fc.constant(l), windowPositions(l.batch.length, l.kept),
      fc.constantFrom("clip", "fill", "promise_in_bounds" as const), arg(dt, l.x), fc.nat())).map(([l, offsetDims, mode, x, seed]) => {
      const note = { map: l.map, win: l.win, offsetDims, collapsed: l.gone, mode };
      const c0 = mk([x, { data: [], shape: [...l.batch, l.map.length], dtype: "int32" }], () => [], note);
      const idx: HostArg = { data: inRangeStarts(c0, rngFrom(seed)), shape: [...l.batch, l.map.length], dtype: "int32" };
      return mk([x, idx], (a, i) => lax.gather(a, i, {
        dimensionNumbers: { offsetDims, collapsedSliceDims: l.gone, startIndexMap: l.map }, sliceSizes: l.win, mode,
      }), note);
    }),
  },
  [GENERAL_SCATTER]: {
    dtypes: NUMERIC,
    jvp: "fd",
    gen: (dt) => indexLayout.chain((l) => {
      const uRank = l.batch.length + l.kept;
      return windowPositions(l.batch.length, l.kept).chain((uwd) => {
        const keptSizes = l.win.filter((_, i) => !l.gone.includes(i));
        let b = 0;
        const ushape = Array.from({ length: uRank }, (_, p) => (uwd.includes(p) ? keptSizes[uwd.indexOf(p)] : l.batch[b++]));
        return fc.tuple(fc.constant(l), fc.constant(uwd), fc.constantFrom("clip", "fill" as const), arg(dt, l.x), arg(dt, ushape), fc.nat());
      });
    }).map(([l, uwd, mode, x, u, seed]) => {
      const note = { map: l.map, win: l.win, updateWindowDims: uwd, inserted: l.gone, mode };
      const c0 = mk([x, { data: [], shape: [...l.batch, l.map.length], dtype: "int32" }], () => [], note);
      const idx: HostArg = { data: inRangeStarts(c0, rngFrom(seed)), shape: [...l.batch, l.map.length], dtype: "int32" };
      return mk([x, idx, u], (a, i, v) => lax.scatterAdd(a, i, v, {
        dimensionNumbers: { updateWindowDims: uwd, insertedWindowDims: l.gone, scatterDimsToOperandDims: l.map }, mode,
      }), note);
    }),
  },
  "dot_general (random dimension numbers)": {
    dtypes: NUMERIC,
    jvp: "fd",
    gen: (dt) => fc.record({
      batch: anyShape(0, 1, 1, 3), contract: anyShape(0, 2, 1, 3), lfree: anyShape(0, 1, 1, 3), rfree: anyShape(0, 2, 1, 3),
    }).chain((d) => {
      const nl = d.batch.length + d.contract.length + d.lfree.length;
      const nr = d.batch.length + d.contract.length + d.rfree.length;
      return fc.tuple(fc.constant(d), permutation(nl), permutation(nr));
    }).chain(([d, pl, pr]) => {
      // Logical axes (batch..., contract..., free...) live at physical positions pl / pr.
      const nb = d.batch.length;
      const nc = d.contract.length;
      const lshape: number[] = [];
      [...d.batch, ...d.contract, ...d.lfree].forEach((s, j) => { lshape[pl[j]] = s; });
      const rshape: number[] = [];
      [...d.batch, ...d.contract, ...d.rfree].forEach((s, j) => { rshape[pr[j]] = s; });
      const dn: [[number[], number[]], [number[], number[]]] = [
        [pl.slice(nb, nb + nc), pr.slice(nb, nb + nc)], [pl.slice(0, nb), pr.slice(0, nb)],
      ];
      return fc.tuple(arg(dt, lshape, { min: -2, max: 2 }), arg(dt, rshape, { min: -2, max: 2 })).map(([a, b]) =>
        mk([a, b], (x, y) => lax.dotGeneral(x, y, dn), { dn }));
    }),
  },
  "conv_general_dilated (permuted layouts)": {
    dtypes: FLOATS,
    jvp: "fd",
    gen: (dt) => fc.record({
      ns: fc.integer({ min: 1, max: 2 }), batch: fc.integer({ min: 1, max: 2 }), g: fc.integer({ min: 1, max: 2 }),
      bg: fc.integer({ min: 1, max: 2 }), cin: fc.integer({ min: 1, max: 2 }), cout: fc.integer({ min: 1, max: 2 }),
    }).chain((p) => {
      const axis = fc.record({ n: fc.integer({ min: 2, max: 4 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }) })
        .filter((a) => windowOut(a.n, a.k, a.s, [0, 0], 1, 1) > 0);
      return fc.tuple(fc.constant(p), fc.array(axis, { minLength: p.ns, maxLength: p.ns }),
        permutation(p.ns + 2), permutation(p.ns + 2), permutation(p.ns + 2));
    }).chain(([p, axes, lhsSpec, rhsSpec, outSpec]) => {
      const fgc = p.bg === 2 ? 1 : p.g;
      const place = (spec: number[], logical: number[]) => { const s: number[] = []; logical.forEach((d, j) => { s[spec[j]] = d; }); return s; };
      const lhs = place(lhsSpec, [p.batch * p.bg, p.cin * fgc, ...axes.map((a) => a.n)]);
      const rhs = place(rhsSpec, [p.cout * fgc * p.bg, p.cin, ...axes.map((a) => a.k)]);
      const note = { lhsSpec, rhsSpec, outSpec, fgc, bg: p.bg, strides: axes.map((a) => a.s) };
      return fc.tuple(arg(dt, lhs, { min: -2, max: 2 }), arg(dt, rhs, { min: -2, max: 2 })).map(([l, r]) =>
        mk([l, r], (x, w) => lax.convGeneralDilated(x, w, note.strides, axes.map(() => [0, 1] as [number, number]), {
          dimensionNumbers: { lhsSpec, rhsSpec, outSpec }, featureGroupCount: fgc, batchGroupCount: p.bg,
        }), note));
    }),
  },
};
