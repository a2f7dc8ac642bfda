/**
 * @file Program transformations: jit and the optimization passes.
 */
export { jit, makeJaxpr, type JitOptions, type Jitted } from "./jit.js";
export { dce } from "./dce.js";
export { cse } from "./cse.js";
export { simplify, pmSimplify, pmIdentities, pmChains } from "./simplify.js";
export { optimize, optimizePipeline, type Pass } from "./pipeline.js";
export { vmap, vmapFlat, BatchTrace, BatchTracer, type VmapOptions, type AxisSpec } from "./vmap.js";
export { evalShape } from "./eval-shape.js";
