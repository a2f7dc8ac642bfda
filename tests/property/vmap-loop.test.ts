/**
 * @file vmap == a loop of unbatched calls, for every primitive in the spec table: B examples that
 * share a case's static params are stacked along random (also negative) axes, some operands left
 * unbatched, and vmap(apply) must equal stacking the B unbatched results along the requested out
 * axes. Nested vmap is checked for a subset, and control flow whose predicate differs per example
 * through the extra cases of batch-kit.ts. Primitives in PENDING are skipped with the reason.
 *
 * Comparisons are exact, NaN equal to NaN: the reference backend accumulates each output element
 * in the same order batched or not (checked over 300 runs per spec), so any difference is a rule
 * bug. A rule that legitimately reorders float sums would pass a tolerance to expectHost.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALL_PRIMS, type DType, Prim } from "../../src/ir/index.js";
import { tidy } from "../../src/trace/array.js";
import type { Tracer } from "../../src/trace/core.js";
import { jit, vmap } from "../../src/index.js";
import { propertyRuns } from "../helpers/assert.js";
import { primSpecs } from "./specs.js";
import type { HostArg, PrimCase, PrimSpec } from "./spec-kit.js";
import { outsOf, toArray, toArrays } from "./checks.js";
import {
  type BatchedCase, EXTRA_SPECS, LAYOUT_SPECS, axisFrom, batchedCase, describeCase, expectHost, freshArg, hostOf, normAxis, rngFrom,
  stackHost, valuePools,
} from "./batch-kit.js";

const CUSTOM_LIN_VMAP = /vmap of the linearized customVjp function '.*' is not supported; apply vmap outside/;

/** Real failures of the vmap rules, skipped until fixed: each reason names the failing input. */
const PENDING: Partial<Record<Prim | string, string>> = {};

/** vmap(c.apply) on the stacked batch against stacking B unbatched calls. */
function checkBatched(prim: string, bc: BatchedCase): void {
  const { c, B, inAxes, examples } = bc;
  const loop = examples.map((ex) => c.apply(...toArrays(ex)));
  const single = !Array.isArray(loop[0]);
  const outs = loop.map((y) => outsOf(y).map(hostOf));
  const outAxes = outs[0].map((o, k) => (bc.outSeeds ? axisFrom(bc.outSeeds[k % 4], o.shape.length + 1) : 0));
  const want = outs[0].map((o, k) => stackHost(outs.map((l) => l[k]), normAxis(outAxes[k], o.shape.length + 1)));
  const stacked = c.args.map((a, i) =>
    toArray(inAxes[i] === null ? a : stackHost(examples.map((ex) => ex[i]), normAxis(inAxes[i]!, a.shape.length + 1))));
  const opts = {
    inAxes,
    ...(inAxes.every((a) => a === null) ? { axisSize: B } : {}),
    ...(bc.outSeeds ? { outAxes: single ? outAxes[0] : outAxes } : {}),
  };
  const what = describeCase(prim, bc, { B, outAxes: opts.outAxes ?? "default", jitted: bc.jitted });
  const f = bc.jitted === "inside" ? vmap(jit(c.apply), opts) : bc.jitted === "outside" ? jit(vmap(c.apply, opts)) : vmap(c.apply, opts);
  let got: Tracer[];
  try {
    got = outsOf(f(...stacked));
  } catch (e) {
    throw new Error(`${what}: vmap threw ${(e as Error).stack}\nexamples: ${JSON.stringify(examples)}`);
  }
  try {
    expectHost(got, want, what);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nexamples: ${JSON.stringify(examples)}`);
  }
}

function vmapProperty(prim: string, spec: PrimSpec, runs: number): void {
  fc.assert(fc.property(batchedCase(prim, spec), (bc) => tidy(() => checkBatched(prim, bc))), { numRuns: propertyRuns(runs) });
}

describe("vmap(apply)(stacked) == stack of apply(example) for every primitive", () => {
  it("covers every primitive", () => {
    expect(Object.keys(primSpecs).sort()).toEqual([...ALL_PRIMS].sort());
  });

  for (const prim of ALL_PRIMS) {
    const spec = primSpecs[prim];
    if (PENDING[prim]) {
      it.skip(`${prim}: pending, ${PENDING[prim]}`, () => {});
      continue;
    }
    if (spec.evaluable === false) {
      // custom_lin only exists inside staged derivative programs: vmap refuses like eager does.
      it(`${prim}: vmap refuses it like eager evaluation`, () => {
        fc.assert(fc.property(batchedCase(prim, spec), (bc) => tidy(() => {
          const stacked = bc.c.args.map((a, i) =>
            toArray(bc.inAxes[i] === null ? a : stackHost(bc.examples.map((ex) => ex[i]), normAxis(bc.inAxes[i]!, a.shape.length + 1))));
          // With nothing mapped the call is eager (the forward-mode refusal); otherwise the
          // custom_lin batching rule refuses, pointing at vmap outside the differentiation.
          const refusal = bc.inAxes.every((a) => a === null) ? spec.refusal : CUSTOM_LIN_VMAP;
          expect(() => vmap(bc.c.apply, { inAxes: bc.inAxes, axisSize: bc.B })(...stacked)).toThrow(refusal);
        })), { numRuns: propertyRuns(5) });
      });
      continue;
    }
    it(prim, () => vmapProperty(prim, spec, 40));
  }

  for (const [name, spec] of Object.entries({ ...EXTRA_SPECS, ...LAYOUT_SPECS })) {
    if (PENDING[name]) {
      it.skip(`${name}: pending, ${PENDING[name]}`, () => {});
      continue;
    }
    it(name, () => vmapProperty(name, spec, 40));
  }
});

/** Operand i of example (b1, b2): fresh only along the levels it is batched at. */
interface NestedCase {
  readonly dtype: DType;
  readonly c: PrimCase;
  readonly B1: number;
  readonly B2: number;
  readonly outer: readonly (number | null)[];
  readonly inner: readonly (number | null)[];
  readonly grid: readonly (readonly (readonly HostArg[])[])[];
  readonly outSeeds: readonly [number, number];
}

const nestedCase = (prim: string, spec: PrimSpec): fc.Arbitrary<NestedCase> =>
  fc.constantFrom(...spec.dtypes).chain((dtype) =>
    fc.tuple(spec.gen(dtype), fc.array(spec.gen(dtype), { minLength: 4, maxLength: 4 })).chain(([c, extras]) => {
      const n = c.args.length;
      const flags = fc.array(fc.boolean(), { minLength: n, maxLength: n });
      const seeds = fc.array(fc.nat(), { minLength: n, maxLength: n });
      return fc.record({
        B1: fc.integer({ min: 1, max: 3 }), B2: fc.integer({ min: 1, max: 3 }),
        ob: flags, ib: flags, os: seeds, is: seeds, seed: fc.integer(), outSeeds: fc.tuple(fc.nat(), fc.nat()),
      }).map(({ B1, B2, ob, ib, os, is, seed, outSeeds }) => {
        const rng = rngFrom(seed);
        const pools = valuePools(prim, c, extras);
        const r = c.args.map((a) => a.shape.length);
        const inner = r.map((k, i) => (ib[i] ? axisFrom(is[i], k + 1) : null));
        const outer = r.map((k, i) => (ob[i] ? axisFrom(os[i], k + (ib[i] ? 2 : 1)) : null));
        // One value per (b1 if outer-batched, b2 if inner-batched) and operand.
        const table = c.args.map((a, i) => Array.from({ length: ob[i] ? B1 : 1 }, () =>
          Array.from({ length: ib[i] ? B2 : 1 }, () => (ob[i] || ib[i] ? freshArg(prim, c, pools, i, rng) : a))));
        const grid = Array.from({ length: B1 }, (_, b1) => Array.from({ length: B2 }, (_, b2) =>
          c.args.map((_, i) => table[i][ob[i] ? b1 : 0][ib[i] ? b2 : 0])));
        return { dtype, c, B1, B2, outer, inner, grid, outSeeds };
      });
    }));

function checkNested(prim: string, nc: NestedCase): void {
  const { c, B1, B2, outer, inner, grid } = nc;
  const loop = grid.map((row) => row.map((ex) => outsOf(c.apply(...toArrays(ex))).map(hostOf)));
  const single = !Array.isArray(c.apply(...toArrays(grid[0][0])));
  const ranks = loop[0][0].map((o) => o.shape.length);
  const o2 = ranks.map((k) => axisFrom(nc.outSeeds[1], k + 1));
  const o1 = ranks.map((k) => axisFrom(nc.outSeeds[0], k + 2));
  const want = ranks.map((k, j) => stackHost(loop.map((row) => stackHost(row.map((outs) => outs[j]), normAxis(o2[j], k + 1))), normAxis(o1[j], k + 2)));
  const stacked = c.args.map((a, i) => {
    const r = a.shape.length;
    const level2 = (b1: number) => (inner[i] === null ? grid[b1][0][i] : stackHost(grid[b1].map((ex) => ex[i]), normAxis(inner[i]!, r + 1)));
    if (outer[i] === null) return toArray(level2(0));
    const rows = grid.map((_, b1) => level2(b1));
    return toArray(stackHost(rows, normAxis(outer[i]!, rows[0].shape.length + 1)));
  });
  const innerF = vmap(c.apply, {
    inAxes: inner, outAxes: single ? o2[0] : o2, ...(inner.every((a) => a === null) ? { axisSize: B2 } : {}),
  });
  const f = vmap(innerF, { inAxes: outer, outAxes: single ? o1[0] : o1, ...(outer.every((a) => a === null) ? { axisSize: B1 } : {}) });
  const what = describeCase(prim, { ...nc, inAxes: [outer, inner] }, { B1, B2, o1, o2 });
  try {
    expectHost(outsOf(f(...stacked)), want, what);
  } catch (e) {
    throw new Error(`${(e as Error).message}\ngrid: ${JSON.stringify(grid)}`);
  }
}

describe("vmap(vmap(apply)) == nested loops", () => {
  const NESTED: Prim[] = [
    Prim.Add, Prim.Mul, Prim.Sin, Prim.SelectN, Prim.DotGeneral, Prim.ReduceSum, Prim.ReduceMax, Prim.Argmax,
    Prim.Cumsum, Prim.Gather, Prim.ConvGeneralDilated, Prim.Scan,
  ];
  const specs: [string, PrimSpec][] = [
    ...NESTED.map((p): [string, PrimSpec] => [p, primSpecs[p]]),
    ...Object.entries(LAYOUT_SPECS),
    ["while (trip count from an operand)", EXTRA_SPECS["while (trip count from an operand)"]],
  ];
  for (const [name, spec] of specs) {
    const run = PENDING[name] ? it.skip : it;
    run(name, () => {
      fc.assert(fc.property(nestedCase(name, spec), (nc) => tidy(() => checkNested(name, nc))), { numRuns: propertyRuns(15) });
    });
  }
});
