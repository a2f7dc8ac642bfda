/**
 * @file The transpose identity for every primitive with a transpose rule, in float64: for f
 * affine in the chosen operands t (others fixed), <ct, f(t) - f(0)> = <f^T ct, t> with f^T from
 * vjp, and the same cotangent from grad(sum(ct * f(t))). Which operands a primitive is affine in
 * comes from its spec; a primitive that gains a transpose rule without that fails here.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Prim, isFloat } from "../../src/ir/index.js";
import { tidy } from "../../src/trace/array.js";
import type { Tracer } from "../../src/trace/core.js";
import * as lax from "../../src/numpy/lax.js";
import { grad, vjp } from "../../src/autodiff/vjp.js";
import { transposeRules } from "../../src/autodiff/transpose-rules.js";
import { propertyRuns } from "../helpers/assert.js";
import { primSpecs } from "./specs.js";
import type { HostArg, PrimCase } from "./spec-kit.js";
import { absDot, directions, dot, expectClose, host, outsOf, toArray, toArrays } from "./checks.js";

const linearPrims = Object.keys(transposeRules) as Prim[];

/** f restricted to the operands in `lin` (the others fixed to the case's values). */
const restrict = (c: PrimCase, lin: readonly number[], xs: readonly Tracer[]) => (...ts: Tracer[]) =>
  c.apply(...xs.map((x, i) => (lin.includes(i) ? ts[lin.indexOf(i)] : x)));

const zerosLike = (a: HostArg): HostArg => ({ ...a, data: a.data.map(() => 0) });

describe("transpose identity <ct, f(t)> = <f^T ct, t> (float64)", () => {
  it("has linear primitives to test", () => {
    expect(linearPrims.length).toBeGreaterThan(10);
  });

  for (const prim of linearPrims) {
    const spec = primSpecs[prim];
    const lin = spec.linear;
    if (!lin) {
      it(prim, () => {
        throw new Error(`${prim} has a transpose rule but its spec in tests/property/specs.ts declares no linear operands`);
      });
      continue;
    }
    const gen = lin.gen ?? spec.gen;
    const arb = fc.tuple(gen("float64"), fc.constantFrom(...lin.args)).chain(([c, subset]) => {
      const probe = tidy(() => outsOf(c.apply(...toArrays(c.args))).map((y) => ({ shape: [...y.shape], dtype: y.dtype, data: [] as number[] })));
      return fc.tuple(fc.constant(c), fc.constant(subset), directions(probe));
    });

    if (lin.unsupported) {
      it(`${prim}: reverse mode is refused with an explanation`, () => {
        const [c] = fc.sample(gen("float64"), { numRuns: 1, seed: 7 });
        tidy(() => {
          const xs = toArrays(c.args);
          const subset = lin.args[0];
          expect(() => vjp(restrict(c, subset, xs), ...subset.map((i) => xs[i]))[1](xs[subset[0]])).toThrow(lin.unsupported);
        });
      });
      continue;
    }
    it(`${prim}: vjp and grad(sum(ct * f)) satisfy the identity`, () => {
      fc.assert(
        fc.property(arb, ([c, subset, cts]) =>
          tidy(() => {
            const xs = toArrays(c.args);
            subset.forEach((i) => expect(isFloat(c.args[i].dtype), `${prim}: operand ${i} is float`).toBe(true));
            const ts = subset.map((i) => xs[i]);
            const f = restrict(c, subset, xs);
            const y = outsOf(f(...ts));
            const zeroIn = toArrays(c.args.map((a, i) => (subset.includes(i) ? zerosLike(a) : a)));
            const y0 = outsOf(c.apply(...zeroIn));
            const ctArrs = y.map((yk, k) => toArray({ shape: yk.shape, dtype: yk.dtype, data: cts[k] ?? [] }));
            const single = !Array.isArray(c.apply(...xs));
            // <ct, f(t) - f(0)>
            let lhs = 0;
            let mag = 0;
            y.forEach((yk, k) => {
              if (!isFloat(yk.dtype)) return;
              const d = host(yk).map((v, i) => v - host(y0[k])[i]);
              lhs += dot(cts[k]!, d);
              mag += absDot(cts[k]!, d);
            });
            // <f^T ct, t>
            const [, back] = vjp(f, ...ts);
            const ctIn = outsOf(back(single ? ctArrs[0] : ctArrs));
            let rhs = 0;
            ctIn.forEach((g, j) => {
              expect([...g.shape], `${prim}: cotangent ${j} shape`).toEqual([...ts[j].shape]);
              rhs += dot(host(g), host(ts[j]));
              mag += absDot(host(g), host(ts[j]));
            });
            const tol = y.some((yk) => yk.dtype !== "float64") ? 1e-5 : 1e-10;
            if (!(Math.abs(lhs - rhs) <= tol * (1 + mag))) {
              throw new Error(`${prim} ${c.note} operands [${subset}]: <ct, f(t)> = ${lhs} but <f^T ct, t> = ${rhs}`);
            }
            // grad of the scalar <ct, f(t)> gives the same cotangents.
            const scalar = (...us: Tracer[]) =>
              outsOf(f(...us))
                .map((yk, k) => lax.reduceSum(lax.mul(yk, ctArrs[k]), yk.shape.map((_, i) => i)))
                .reduce((a, b) => lax.add(a, b));
            const g = grad(scalar, { argnums: subset.map((_, j) => j) })(...ts) as Tracer[];
            expectClose(g.map((gj, j) => lax.convertElementType(gj, ctIn[j].dtype)), ctIn, `${prim} ${c.note}: grad vs vjp`, {
              rtol: tol, atol: tol * (1 + mag),
            });
          }),
        ),
        { numRuns: propertyRuns(10) },
      );
    });
  }
});
