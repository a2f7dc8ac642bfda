/**
 * @file jit == eager for every primitive: the spec table's random cases give the same outputs
 * (bit for bit, up to a couple of ulps) when run through `jit`, and the staged program of each
 * case typechecks (sub-programs included) and really contains the primitive under test.
 * The suite runs on the reference backend (jit evaluates the program op by op) and on wasm
 * (jit runs the program as fused kernels with a memory plan), where jit must also leave no
 * buffer behind.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_PRIMS } from "../../src/ir/index.js";
import { memory, tidy } from "../../src/trace/array.js";
import { getBackend, setBackend } from "../../src/backend/registry.js";
import { jit, makeJaxpr } from "../../src/passes/jit.js";
import { propertyRuns } from "../helpers/assert.js";
import { primSpecs } from "./specs.js";
import { anyCase, containsPrim, expectClose, outsOf, toArrays, typecheckDeep } from "./checks.js";

function suite(backend: string) {
  let previous: string;
  beforeAll(() => {
    previous = getBackend().name;
    setBackend(backend);
  });
  afterAll(() => setBackend(previous));

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
              const f = jit(c.apply);
              const jitted = outsOf(f(...xs));
              expectClose(jitted, eager, `${prim} ${c.note}`);
              // Compiled and cached: later calls allocate nothing that outlives them.
              const before = memory();
              tidy(() => void f(...xs));
              expect(memory(), `${prim} ${c.note}: buffers after a second jitted call`).toEqual(before);
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
}

describe("jit(apply)(x) == apply(x), and makeJaxpr(apply) typechecks (reference backend)", () => suite("reference"));
describe("jit(apply)(x) == apply(x) on wasm, with fused kernels and no leaked buffers", () => suite("wasm"));
