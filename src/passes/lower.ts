/**
 * @file Lowering now lives in src/codegen/lower.ts: it uses only the IR and the kernel IR, and
 * backends (which may not import passes) lower the Programs they compile. Re-exported here so
 * the passes keep one entry point for every Program -> Program/kernels stage.
 */
export { type Lowered, type Step, inlineCalls, isFusible, lower } from "../codegen/lower.js";
