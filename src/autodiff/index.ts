/**
 * @file Automatic differentiation: forward mode (jvp), linearize, reverse mode (vjp, grad).
 */
export { jvp, jvpFlat, JVPTrace, JVPTracer } from "./jvp.js";
export { linearizeFlat, type Linearized } from "./linearize.js";
export { vjp, grad, valueAndGrad, type GradOptions } from "./vjp.js";
export { backwardPass, UndefPrimal } from "./transpose.js";
export { Zero, type Tangent } from "./zero.js";
export { jacfwd, jacrev, hessian, linearize, type JacobianOptions } from "./jacobian.js";
export { customJvp, customVjp, checkpoint, remat, type CustomJvpFunction, type CustomVjpFunction } from "./custom.js";
