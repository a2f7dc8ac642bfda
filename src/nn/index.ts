/**
 * @file The `kiln/nn` entry: functional neural-network ops in the style of `jax.nn`
 * (activations, softmax, oneHot, standardize) and weight initializers.
 *
 * @example
 *   import * as nn from "kiln/nn";
 *   const h = nn.relu(np.matmul(x, w));
 *   const p = nn.softmax(logits, { axis: -1 });
 */
export {
  type ActivationInput, type GeluOptions, relu, relu6, sigmoid, softplus, softSign, silu, swish, gelu, elu, selu, celu,
  leakyRelu, hardTanh, hardSigmoid, hardSilu, logSigmoid, mish, glu,
} from "./activations.js";
export {
  type AxisOptions, type OneHotOptions, type StandardizeOptions, softmax, logSoftmax, oneHot, standardize, initializers,
} from "./functions.js";
