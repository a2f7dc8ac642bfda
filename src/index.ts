/**
 * @file Kiln's public entry point.
 *
 * @example
 *   import { np, grad } from "kiln";
 *   const f = (x) => np.sum(np.square(x));
 */
import * as np from "./numpy/index.js";
import * as lax from "./numpy/lax.js";
import { random } from "./numpy/index.js";

export { np, lax, random };
export { ConcreteArray, tidy, keep, memory } from "./trace/array.js";
export { devicePut, devicePutSync } from "./trace/device-put.js";
export { Tracer, Tracer as Array, type ArrayLike, ensureCompileTimeEval } from "./trace/core.js";
export { ClosedJaxpr } from "./trace/jaxpr-trace.js";
export { jit, makeJaxpr, evalShape, type JitOptions, type Jitted } from "./passes/index.js";
export { vmap, type VmapOptions, type AxisSpec } from "./passes/index.js";
export {
  jvp, vjp, grad, valueAndGrad, jacfwd, jacrev, hessian, linearize, customJvp, customVjp, checkpoint, remat,
  type GradOptions, type JacobianOptions, type CustomJvpFunction, type CustomVjpFunction,
} from "./autodiff/index.js";
export { stopGradient } from "./numpy/lax-core.js";
export { tree, treeFlatten, treeUnflatten, treeMap, treeLeaves, treeStructure, registerPyTreeNode, TreeDef, type PyTree } from "./trace/pytree.js";
export { setBackend, getBackend, initBackend, backendNames, withDefaultBackend } from "./backend/registry.js";
export { setThreads, threadCount } from "./backend/wasm/threads.js";
export {
  ShapedArray, type DType, printProgram, ShapeError, DTypeError, TreeMismatchError, TracerError, BackendError,
  DisposedError, promoteTypes,
} from "./ir/index.js";
