/**
 * @file The `lax` namespace: primitives with XLA semantics.
 */
export * from "./lax-core.js";
export * from "./lax-indexing.js";
export * from "./lax-conv.js";
export * from "./lax-control.js";
