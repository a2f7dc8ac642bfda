/**
 * @file jit == eager for every primitive: the spec table's random cases give the same outputs
 * (bit for bit, up to a couple of ulps) when run through `jit`, and the staged program of each
 * case typechecks (sub-programs included) and really contains the primitive under test.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALL_PRIMS } from "../../src/ir/index.js";
import { tidy } from "../../src/trace/array.js";
import { jit, makeJaxpr } from "../../src/passes/jit.js";
import { propertyRuns } from "../helpers/assert.js";
import { primSpecs } from "./specs.js";
import { anyCase, containsPrim, expectClose, outsOf, toArrays, typecheckDeep } from "./checks.js";

describe("jit(apply)(x) == apply(x), and makeJaxpr(apply) typechecks", () => {
  it("covers every primitive", () => {
    expect(Object.keys(primSpecs).sort()).toEqual([...ALL_PRIMS].sort());
  });

  for (const prim of ALL_PRIMS) {
    const spec = primSpecs[prim];
    it(prim, () => {
      fc.assert(
        fc.property(anyCase(spec), (c) =>
          tidy(() => {
            const xs = toArrays(c.args);
            if (spec.evaluable === false) {
              expect(() => c.apply(...xs)).toThrow(spec.refusal);
              expect(() => jit(c.apply)(...xs)).toThrow(spec.refusal);
            } else {
              const eager = outsOf(c.apply(...xs));
              const jitted = outsOf(jit(c.apply)(...xs));
              expectClose(jitted, eager, `${prim} ${c.note}`);
            }
            const { program } = makeJaxpr(c.apply)(...xs);
            typecheckDeep(program);
            expect(containsPrim(program, prim), `${prim} ${c.note}: the staged program binds ${prim}`).toBe(true);
          }),
        ),
        { numRuns: propertyRuns(12) },
      );
    });
  }
});
