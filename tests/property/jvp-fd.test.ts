/**
 * @file JVP rules against central finite differences, in float64, for every spec with float
 * operands: jvp(f, x, t) must equal (f(x + eps t) - f(x - eps t)) / 2 eps, and piecewise-constant
 * primitives (rounding, comparisons, bit casts, stop_gradient) must give an all-zero tangent.
 * Primitives in PENDING_JVP are skipped, and a canary fails once one of them gains a rule.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALL_PRIMS, isFloat } from "../../src/ir/index.js";
import { tidy } from "../../src/trace/array.js";
import { jvp } from "../../src/autodiff/jvp.js";
import { propertyRuns } from "../helpers/assert.js";
import { PENDING_JVP, primSpecs } from "./specs.js";
import type { HostArg, PrimCase } from "./spec-kit.js";
import { derivDtype, directions, expectClose, host, outsOf, shift, toArray, toArrays } from "./checks.js";

/** Runs jvp on a case along directions `dirs`; non-float operands get their primal as a (ignored) tangent. */
function runJvp(c: PrimCase, dirs: readonly (number[] | null)[]) {
  const xs = toArrays(c.args);
  const ts = c.args.map((a, i) => (dirs[i] ? toArray({ ...a, data: dirs[i]! }) : xs[i]));
  const [y, dy] = jvp((...args) => c.apply(...args), xs, ts);
  return { xs, y: outsOf(y), dy: outsOf(dy) };
}

/** No float value repeats across the float operands. */
function distinctFloats(args: readonly HostArg[]): boolean {
  const vals = args.filter((a) => isFloat(a.dtype)).flatMap((a) => a.data);
  return new Set(vals).size === vals.length;
}

describe("jvp == central finite differences (float64)", () => {
  for (const prim of ALL_PRIMS) {
    const spec = primSpecs[prim];
    const dt = derivDtype(spec);
    if (PENDING_JVP.includes(prim)) {
      it.skip(`${prim}: pending, its JVP rule is not implemented yet (PENDING_JVP)`, () => {});
      continue;
    }
    if (spec.jvp === "none" || !dt) {
      it(`${prim}: no float operands, so every tangent is zero`, () => {
        fc.assert(fc.property(spec.gen(spec.dtypes[0]), (c) => tidy(() => {
          const { y, dy } = runJvp(c, c.args.map(() => null));
          dy.forEach((t, k) => {
            expect([...t.shape]).toEqual([...y[k].shape]);
            expect(host(t).every((v) => v === 0), `${prim}: tangent ${k} is zero`).toBe(true);
          });
        })), { numRuns: propertyRuns(5) });
      });
      continue;
    }
    if (spec.jvp === "refused") {
      it(`${prim}: forward mode is refused with an explanation`, () => {
        fc.assert(fc.property(spec.gen(dt), (c) => tidy(() => {
          expect(() => runJvp(c, c.args.map((a) => a.data.map(() => 1)))).toThrow(spec.refusal);
        })), { numRuns: propertyRuns(3) });
      });
      continue;
    }
    const eps = spec.fd?.eps ?? 1e-6;
    const tol = spec.fd?.tol ?? { rtol: 1e-5, atol: 1e-7 };
    it(`${prim} (${spec.jvp === "fd" ? "finite differences" : "zero tangent"}, ${dt})`, () => {
      const arb = spec.gen(dt).chain((c) => fc.tuple(fc.constant(c), directions(c.args)));
      fc.assert(
        fc.property(fc.noShrink(arb), ([c, dirs]) =>
          tidy(() => {
            if (spec.fd?.distinct) fc.pre(distinctFloats(c.args));
            const { xs, y, dy } = runJvp(c, dirs);
            expectClose(y, outsOf(c.apply(...xs)), `${prim} ${c.note}: jvp primal output`);
            y.forEach((yk, k) => {
              const t = host(dy[k]);
              expect([...dy[k].shape], `${prim}: tangent ${k} shape`).toEqual([...yk.shape]);
              if (spec.jvp === "zero" || !isFloat(yk.dtype)) {
                if (!t.every((v) => v === 0)) throw new Error(`${prim} ${c.note}: tangent ${k} should be zero, got ${t}`);
              }
            });
            if (spec.jvp === "zero") return;
            const plus = outsOf(c.apply(...toArrays(c.args.map((a, i) => shift(a, dirs[i], eps)))));
            const minus = outsOf(c.apply(...toArrays(c.args.map((a, i) => shift(a, dirs[i], -eps)))));
            y.forEach((yk, k) => {
              if (!isFloat(yk.dtype)) return;
              const p = host(plus[k]);
              const m = host(minus[k]);
              const fd = p.map((v, i) => (v - m[i]) / (2 * eps));
              const t = host(dy[k]);
              const yv = host(yk);
              const scale = Math.max(1, ...yv.filter(Number.isFinite).map(Math.abs));
              fd.forEach((want, i) => {
                const got = t[i];
                if (!Number.isFinite(yv[i])) return; // e.g. -inf from an all-padding max window
                if (!(Math.abs(got - want) <= tol.atol * scale + tol.rtol * Math.abs(want) || (Number.isNaN(got) && Number.isNaN(want)))) {
                  throw new Error(
                    `${prim} ${c.note}: tangent ${k} element ${i}: jvp ${got}, finite difference ${want}\n` +
                      `inputs: ${JSON.stringify(c.args)}\ndirections: ${JSON.stringify(dirs)}`,
                  );
                }
              });
            });
          }),
        ),
        { numRuns: propertyRuns(12) },
      );
    });
  }

  it("PENDING_JVP lists exactly the primitives whose jvp still throws", () => {
    for (const prim of PENDING_JVP) {
      const spec = primSpecs[prim];
      const [c] = fc.sample(spec.gen(derivDtype(spec)!), { numRuns: 1, seed: 1 });
      let error: unknown = null;
      try {
        tidy(() => runJvp(c, c.args.map((a) => (isFloat(a.dtype) ? a.data.map(() => 1) : null))));
      } catch (e) {
        error = e;
      }
      expect(String(error), `jvp of ${prim} now works: remove it from PENDING_JVP in tests/property/specs.ts`).toMatch(
        /not implemented|trigamma/,
      );
    }
  });

  it("every finite-difference spec can run in float64", () => {
    const missing = ALL_PRIMS.filter((p) => primSpecs[p].jvp === "fd" && !primSpecs[p].dtypes.includes("float64"));
    expect(missing).toEqual([]);
  });
});
