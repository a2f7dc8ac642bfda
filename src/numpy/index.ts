/**
 * @file The `np` namespace: NumPy's API in camelCase over Kiln arrays.
 */
import "./methods.js";
import "./methods-extra.js";
import "./methods-sorting.js";
import "./methods-indexing.js";

export * from "./creation.js";
export * from "./math.js";
export * from "./math-extra.js";
export * from "./reductions.js";
export * from "./statistics.js";
export * from "./shape-ops.js";
export * from "./manipulation.js";
export * from "./indexing.js";
export * from "./sorting.js";
export * from "./linalg-core.js";
export * from "./einsum.js";
export * from "./signal.js";
export * from "./extras.js";
export * from "./dtypes.js";
export * as linalg from "./linalg.js";
export * as random from "./random.js";
export { Tracer as Array } from "../trace/core.js";
export type { ArrayInput, NestedArray } from "./util.js";
export type { DType } from "../ir/index.js";
