/**
 * @file Test helpers: compare Kiln arrays with expected nested values, within tolerances.
 */
import { expect } from "vitest";
import type { Tracer } from "../../src/trace/core.js";

type Nested = number | boolean | readonly Nested[];

/** Flattens nested JS arrays. */
export const flat = (x: Nested): number[] =>
  (Array.isArray(x) ? (x as Nested[]).flat(Infinity as 1) : [x]).map(Number) as number[];

/** Shape of a nested JS array. */
export function shapeOf(x: Nested): number[] {
  const s: number[] = [];
  let c: Nested = x;
  while (Array.isArray(c)) {
    s.push(c.length);
    c = (c as Nested[])[0];
  }
  return s;
}

/**
 * Expects `actual` to have `expected`'s shape and values, within `rtol`/`atol` (NaN equals NaN).
 *
 * @example expectArray(np.add(x, 1), [[2, 3], [4, 5]])
 */
export function expectArray(
  actual: Tracer,
  expected: Nested,
  opts: { rtol?: number; atol?: number; dtype?: string; shape?: readonly number[] } = {},
): void {
  const shape = opts.shape ?? shapeOf(expected);
  expect([...actual.shape], "shape").toEqual([...shape]);
  if (opts.dtype) expect(actual.dtype, "dtype").toBe(opts.dtype);
  const got = Array.from(actual.dataSync(), Number);
  const want = flat(expected);
  const rtol = opts.rtol ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    const ok =
      (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= atol + rtol * Math.abs(b);
    if (!ok) {
      throw new Error(`element ${i}: got ${a}, expected ${b} (rtol ${rtol}, atol ${atol})\n got: ${got}\nwant: ${want}`);
    }
  }
}

/** Number of fast-check runs for property tests; raise with KILN_PROPERTY_RUNS for long local runs. */
export const propertyRuns = (base = 50): number => {
  const env = Number(process.env.KILN_PROPERTY_RUNS);
  return Number.isFinite(env) && env > 0 ? env : base;
};
