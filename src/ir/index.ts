/** @file The IR layer's public surface. Imports nothing else of Kiln's. */
export * from "./dtype.js";
export * from "./shape.js";
export * from "./aval.js";
export * from "./primitives.js";
export * from "./program.js";
export * from "./printer.js";
export * from "./checker.js";
export * from "./errors.js";
export { shapeRules, abstractEval, type ShapeRule } from "./shape-rules.js";
