import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_PRIMS } from "../../ir/index.js";
import { setBackend } from "../registry.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { primSpecs } from "../../../tests/property/specs.js";
import { anyCase, outsOf, toArrays } from "../../../tests/property/checks.js";
import { expectHostClose, runOn, startWebGPU, tolFor } from "../../../tests/helpers/webgpu.js";
import type { WebGPUBackend } from "./webgpu-backend.js";

let gpu: WebGPUBackend;
beforeAll(async () => {
  gpu = await startWebGPU();
});
afterAll(() => setBackend("reference"));

describe("webgpu backend == reference backend, every primitive", () => {
  for (const prim of ALL_PRIMS) {
    const spec = primSpecs[prim];
    if (spec.evaluable === false) continue;
    it(prim, async () => {
      const before = gpu.memory();
      await fc.assert(
        fc.asyncProperty(anyCase(spec), async (c) => {
          const run = () => outsOf(c.apply(...toArrays(c.args)));
          const want = await runOn("reference", run);
          const got = await runOn("webgpu", run);
          expectHostClose(got, want, `${prim} ${c.note}`, (d) => tolFor(prim, d));
        }),
        { numRuns: propertyRuns(8) },
      );
      expect(gpu.memory()).toEqual(before);
    });
  }
});
