/**
 * @file Every transformation on the webgpu backend against the reference backend, for every
 * primitive of the spec table: jit, jvp, grad (reverse mode through vjp) and vmap of each case
 * must give the same outputs on both (within float32 tolerances), or both throw the same error.
 * The reference's results are themselves checked against finite differences, the transpose
 * identity and loops (jvp-fd, transpose, vmap-loop tests), so this carries those properties
 * over to WGSL. Eager evaluation per primitive is checked in src/backend/webgpu.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { ALL_PRIMS, type DType, isFloat } from "../../src/ir/index.js";
import { setBackend } from "../../src/backend/registry.js";
import { grad, jit, jvp, np, vmap } from "../../src/index.js";
import type { Tracer } from "../../src/trace/core.js";
import { propertyRuns } from "../helpers/assert.js";
import { type HostOut, expectHostClose, runOn, startWebGPU, tolFor } from "../helpers/webgpu.js";
import { primSpecs } from "./specs.js";
import type { HostArg, PrimCase } from "./spec-kit.js";
import { outsOf, toArray, toArrays } from "./checks.js";

beforeAll(async () => {
  await startWebGPU();
});
afterAll(() => setBackend("reference"));

/** `a` stacked twice along a new leading axis. */
const stack2 = (a: HostArg): HostArg => ({ ...a, shape: [2, ...a.shape], data: [...a.data, ...a.data] });

const TRANSFORMS: Record<string, (c: PrimCase) => Tracer[]> = {
  jit: (c) => outsOf(jit(c.apply)(...toArrays(c.args))),
  jvp: (c) => {
    const xs = toArrays(c.args);
    // Tangents: a fixed direction per float operand, the primal itself for the others (ignored).
    const ts = c.args.map((a, i) => (isFloat(a.dtype) ? toArray({ ...a, data: a.data.map((_, k) => Math.cos(k + 1)) }) : xs[i]));
    const [y, dy] = jvp((...args: Tracer[]) => c.apply(...args), xs, ts);
    return [...outsOf(y), ...outsOf(dy)];
  },
  grad: (c) => {
    const floats = c.args.flatMap((a, i) => (isFloat(a.dtype) ? [i] : []));
    const xs = toArrays(c.args);
    if (floats.length === 0) return [];
    // A scalar of every float output, weighted so each element's cotangent differs.
    const loss = (...args: Tracer[]) =>
      outsOf(c.apply(...args)).filter((y) => isFloat(y.dtype)).reduce<Tracer>(
        (acc, y) => acc.add(np.sum(y.astype("float32").mul(np.sin(np.arange(y.size).astype("float32")).reshape(y.shape)))),
        np.array(0, { dtype: "float32" }),
      );
    return outsOf(grad(loss, { argnums: floats })(...xs));
  },
  vmap: (c) => outsOf(vmap(c.apply)(...toArrays(c.args.map(stack2)))),
};

/** The outputs of `t` on `backend`, or the error it threw. */
async function attempt(backend: string, t: (c: PrimCase) => Tracer[], c: PrimCase): Promise<HostOut[] | Error> {
  try {
    return await runOn(backend, () => t(c));
  } catch (e) {
    return e as Error;
  }
}

/** Looser than eager: derivative and batched programs chain many float32 operations. */
const transformTol = (prim: string) => (d: DType) => {
  const t = tolFor(prim, d);
  return t.rtol === 0 || d === "float64" ? t : { rtol: Math.max(t.rtol, 1e-4), atol: Math.max(t.atol, 1e-5) };
};

for (const [name, t] of Object.entries(TRANSFORMS)) {
  describe(`${name} on webgpu == ${name} on the reference backend`, () => {
    for (const prim of ALL_PRIMS) {
      const spec = primSpecs[prim];
      if (spec.evaluable === false) continue;
      const dt = spec.dtypes.includes("float32") ? "float32" : spec.dtypes[0];
      it(prim, async () => {
        await fc.assert(
          fc.asyncProperty(fc.noShrink(spec.gen(dt)), async (c) => {
            const want = await attempt("reference", t, c);
            const got = await attempt("webgpu", t, c);
            const what = `${name} of ${prim} ${c.note}`;
            if (want instanceof Error || got instanceof Error) {
              if (!(want instanceof Error)) throw new Error(`${what}: webgpu threw but the reference did not: ${(got as Error).stack}`);
              if (!(got instanceof Error)) throw new Error(`${what}: the reference threw (${want.message}) but webgpu did not`);
              if (got.message !== want.message) throw new Error(`${what}: different errors:\nwebgpu: ${got.message}\n   ref: ${want.message}`);
              return;
            }
            expectHostClose(got, want, what, transformTol(prim));
          }),
          { numRuns: propertyRuns(3) },
        );
      });
    }
  });
}
