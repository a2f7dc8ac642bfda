/**
 * @file The `layers` namespace of `kiln/nn`: every built-in Keras layer class.
 */
export { Layer, type LayerOptions, type WeightOptions } from "../layer.js";
export { InputLayer } from "../input-layer.js";
export {
  Dense, Activation, Dropout, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D, Flatten, Reshape, Permute, RepeatVector,
  Identity, type DenseOptions, type DropoutOptions,
} from "./core.js";
