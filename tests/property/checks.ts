/**
 * @file Checkers shared by the spec-driven property suites: host data to Arrays and back,
 * ulp-level and tolerance comparisons (NaN equals NaN), a deep program typecheck that also
 * visits sub-programs, and the arbitraries that pair a spec's case with tangents or cotangents.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { type DType, type Prim, type Program, isFloat } from "../../src/ir/index.js";
import { typecheckProgram } from "../../src/ir/checker.js";
import { ConcreteArray } from "../../src/trace/array.js";
import type { Tracer } from "../../src/trace/core.js";
import { domainData } from "./generators.js";
import { type HostArg, type PrimCase, type PrimSpec, type Tol, sizeOf } from "./spec-kit.js";

export const toArray = (a: HostArg): Tracer => ConcreteArray.fromData(a.data, a.shape, a.dtype);
export const toArrays = (args: readonly HostArg[]): Tracer[] => args.map(toArray);

/** A case's outputs as a list. */
export const outsOf = (y: Tracer | readonly Tracer[]): Tracer[] => (Array.isArray(y) ? [...y] : [y as Tracer]);

export const host = (t: Tracer): number[] => Array.from(t.dataSync(), Number);

/** Relative spacing of a float dtype (one ulp at 1). */
export const ulp = (d: DType): number => (d === "float16" ? 2 ** -10 : d === "float32" ? 2 ** -23 : d === "float64" ? 2 ** -52 : 0);

/** Expects equal shapes and dtypes, and values equal within `tol` (default: a couple of ulps). */
export function expectClose(got: readonly Tracer[], want: readonly Tracer[], what: string, tol?: Tol): void {
  expect(got.length, `${what}: number of outputs`).toBe(want.length);
  got.forEach((g, k) => {
    const w = want[k];
    expect([...g.shape], `${what}: output ${k} shape`).toEqual([...w.shape]);
    expect(g.dtype, `${what}: output ${k} dtype`).toBe(w.dtype);
    const a = host(g);
    const b = host(w);
    const t = tol ?? { rtol: 2 * ulp(w.dtype), atol: 0 };
    for (let i = 0; i < b.length; i++) {
      const ok = Object.is(a[i], b[i]) || a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])) ||
        Math.abs(a[i] - b[i]) <= t.atol + t.rtol * Math.abs(b[i]);
      if (!ok) throw new Error(`${what}: output ${k} element ${i}: got ${a[i]}, expected ${b[i]}\n got: ${a}\nwant: ${b}`);
    }
  });
}

/** Typechecks `p` and every sub-program its higher-order equations hold. */
export function typecheckDeep(p: Program): void {
  typecheckProgram(p);
  for (const sub of subPrograms(p)) typecheckDeep(sub);
}

/** True when `prim` is bound somewhere in `p` (sub-programs included). */
export function containsPrim(p: Program, prim: Prim): boolean {
  return p.eqns.some((e) => e.prim === prim) || subPrograms(p).some((s) => containsPrim(s, prim));
}

function subPrograms(p: Program): Program[] {
  const out: Program[] = [];
  for (const e of p.eqns) {
    const params = e.params as unknown as Record<string, unknown>;
    for (const key of ["program", "condProgram", "bodyProgram"]) if (params[key]) out.push(params[key] as Program);
    if (Array.isArray(params.branches)) out.push(...(params.branches as Program[]));
  }
  return out;
}

/** The dtype derivative checks use: float64 when the spec allows it, else its first float dtype. */
export const derivDtype = (spec: PrimSpec): DType | undefined =>
  spec.dtypes.includes("float64") ? "float64" : spec.dtypes.find(isFloat);

/** A case in any of the spec's dtypes. */
export const anyCase = (spec: PrimSpec): fc.Arbitrary<PrimCase> => fc.constantFrom(...spec.dtypes).chain((dt) => spec.gen(dt));

/** Random directions in [-1, 1] for the float operands (null for index / bool operands). */
export const directions = (args: readonly HostArg[]): fc.Arbitrary<(number[] | null)[]> =>
  fc.tuple(...args.map((a) => (isFloat(a.dtype) ? domainData("float64", sizeOf(a.shape), { min: -1, max: 1 }) : fc.constant(null))));

/** `a + s * t` elementwise on a host operand (t null: unchanged). */
export const shift = (a: HostArg, t: readonly number[] | null, s: number): HostArg =>
  t ? { ...a, data: a.data.map((v, i) => v + s * t[i]) } : a;

/** Sum of elementwise products of host vectors. */
export const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((acc, v, i) => acc + v * b[i], 0);
export const absDot = (a: readonly number[], b: readonly number[]): number => a.reduce((acc, v, i) => acc + Math.abs(v * b[i]), 0);
