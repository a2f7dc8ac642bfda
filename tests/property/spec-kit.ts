/**
 * @file The vocabulary of the primitive spec table (specs.ts): what a spec is, and the small
 * fast-check builders specs are written with (operand arrays inside a domain, shapes, axis
 * subsets, permutations, window geometry). Checkers in checks.ts consume the cases they build.
 */
import fc from "fast-check";
import type { DType } from "../../src/ir/index.js";
import type { Tracer } from "../../src/trace/core.js";
import { type Domain, domainData, shape as shapeArb } from "./generators.js";

/** One operand as host data: what a property hands to eager, jit and autodiff alike. */
export interface HostArg {
  readonly data: readonly number[];
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** A drawn instance of a primitive: operands plus a function applying it (params closed over). */
export interface PrimCase {
  readonly args: readonly HostArg[];
  readonly apply: (...xs: Tracer[]) => Tracer | readonly Tracer[];
  /** Human-readable params, shown when a property fails. */
  readonly note: string;
}

/**
 * How the JVP of a primitive is checked: `fd` against central finite differences, `zero` when
 * the rule must give an all-zero tangent (piecewise-constant or non-float outputs), `none` when
 * the primitive takes no float operands at all, `refused` when forward mode is deliberately not
 * supported (customVjp functions) and must throw `refusal`.
 */
export type JvpCheck = "fd" | "zero" | "none" | "refused";

export interface Tol {
  readonly rtol: number;
  readonly atol: number;
}

/**
 * One primitive's spec, as in JAX's `lax_autodiff_test.py`: valid random inputs for any dtype in
 * `dtypes` (float64 is used for the derivative checks), how its JVP is checked, and the operand
 * subsets it is affine in (for the transpose identity).
 */
export interface PrimSpec {
  readonly dtypes: readonly DType[];
  readonly gen: (dt: DType) => fc.Arbitrary<PrimCase>;
  readonly jvp: JvpCheck;
  /** The error forward mode (`jvp: "refused"`) or eager evaluation (`eagerOnly: false`) must throw. */
  readonly refusal?: RegExp;
  /**
   * False for primitives that exist only inside staged derivative programs (custom_lin): eager
   * and jit calls must throw `refusal`, while the staged program must still typecheck.
   */
  readonly evaluable?: boolean;
  /**
   * Operand index sets in which the primitive is affine with the other operands fixed; the
   * transpose test checks <ct, f(t) - f(0)> = <f^T ct, t> on each. `gen` overrides the spec's
   * generator with a variant that is affine in those operands (higher-order primitives).
   */
  readonly linear?: {
    readonly args: readonly (readonly number[])[];
    readonly gen?: (dt: DType) => fc.Arbitrary<PrimCase>;
    /** Reverse mode is refused on purpose (e.g. while loops): vjp must throw this message. */
    readonly unsupported?: RegExp;
  };
  /**
   * Finite-difference step and tolerance (defaults: 1e-6, rtol 1e-5, atol 1e-7 scaled by |f|);
   * `distinct` rejects cases with repeated float values (ties are kinks of max / sort / argmax-like
   * rules, where one-sided derivatives differ).
   */
  readonly fd?: { readonly eps?: number; readonly tol?: Tol; readonly distinct?: boolean };
}

export const FLOATS: readonly DType[] = ["float16", "float32", "float64"];
export const INTS: readonly DType[] = ["int32", "uint32"];
export const NUMERIC: readonly DType[] = ["int32", "float16", "float32", "float64"];
export const ANY: readonly DType[] = ["bool", "int32", "uint32", "float16", "float32", "float64"];

export const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** An operand of dtype `dt` and shape `s` with values in `dom`. */
export const arg = (dt: DType, s: readonly number[], dom: Domain = {}): fc.Arbitrary<HostArg> =>
  domainData(dt, sizeOf(s), dom).map((data) => ({ data, shape: [...s], dtype: dt }));

/** An int32 scalar operand in [min, max]. */
export const intScalar = (min: number, max: number): fc.Arbitrary<HostArg> =>
  fc.integer({ min, max }).map((v) => ({ data: [v], shape: [], dtype: "int32" as DType }));

/** A shape of small rank and dims (the default for elementwise primitives). */
export const anyShape = (minRank = 0, maxRank = 3, minDim = 1, maxDim = 3): fc.Arbitrary<number[]> =>
  shapeArb({ minRank, maxRank, minDim, maxDim });

/** A random subset of `[0, n)`, sorted. */
export const subset = (n: number, minSize = 0): fc.Arbitrary<number[]> =>
  fc
    .array(fc.boolean(), { minLength: n, maxLength: n })
    .map((bs) => bs.flatMap((b, i) => (b ? [i] : [])))
    .filter((s) => s.length >= minSize);

/** A random permutation of `[0, n)`. */
export const permutation = (n: number): fc.Arbitrary<number[]> =>
  fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((keys) =>
    keys.map((k, i) => [k, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i),
  );

/** Builds a case; `apply` may return one tracer or several. */
export const mk = (
  args: readonly HostArg[],
  apply: (...xs: Tracer[]) => Tracer | readonly Tracer[],
  note: unknown = "",
): PrimCase => ({ args, apply, note: typeof note === "string" ? note : JSON.stringify(note) });

/** Output length of one windowed axis (XLA ReduceWindow / conv geometry). */
export function windowOut(
  d: number, w: number, stride: number, [lo, hi]: readonly [number, number], baseDil: number, winDil: number,
): number {
  const padded = (d === 0 ? 0 : (d - 1) * baseDil + 1) + lo + hi;
  const win = (w - 1) * winDil + 1;
  return padded < win ? 0 : Math.floor((padded - win) / stride) + 1;
}

/** Window geometry for reduce_window / select_and_scatter over `s`: every output axis non-empty. */
export const windowGeometry = (
  s: readonly number[],
  opts: { dilate?: boolean } = {},
): fc.Arbitrary<{
  windowDimensions: number[]; windowStrides: number[]; padding: [number, number][];
  baseDilation: number[]; windowDilation: number[];
}> => {
  const dil = opts.dilate ?? true ? fc.integer({ min: 1, max: 2 }) : fc.constant(1);
  const axis = (d: number) =>
    fc
      .record({
        w: fc.integer({ min: 1, max: 3 }),
        st: fc.integer({ min: 1, max: 2 }),
        lo: fc.integer({ min: 0, max: 1 }),
        hi: fc.integer({ min: 0, max: 1 }),
        bd: dil,
        wd: dil,
      })
      .filter((a) => windowOut(d, a.w, a.st, [a.lo, a.hi], a.bd, a.wd) > 0);
  return fc.tuple(...s.map(axis)).map((axes) => ({
    windowDimensions: axes.map((a) => a.w),
    windowStrides: axes.map((a) => a.st),
    padding: axes.map((a): [number, number] => [a.lo, a.hi]),
    baseDilation: axes.map((a) => a.bd),
    windowDilation: axes.map((a) => a.wd),
  }));
};
