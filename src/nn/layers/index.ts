/**
 * @file The `layers` namespace of `kiln/nn`: every built-in Keras layer class (and Keras'
 * functional merge shortcuts `add`, `concatenate`, ...).
 */
export { Layer, type LayerOptions, type WeightOptions } from "../layer.js";
export { InputLayer } from "../input-layer.js";
export {
  Dense, Activation, Dropout, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D, Flatten, Reshape, Permute, RepeatVector,
  Identity, type DenseOptions, type DropoutOptions,
} from "./core.js";
export { Conv1D, Conv2D, Conv3D } from "./conv.js";
export {
  Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
} from "./conv-transpose.js";
export {
  MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D,
  GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
} from "./pooling.js";
export {
  UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D, Cropping1D, Cropping2D, Cropping3D,
} from "./reshaping.js";
export {
  Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, add, subtract, multiply, average, maximum, minimum,
  concatenate, dot,
} from "./merging.js";
export { BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization } from "./normalization.js";
export { Softmax, ReLU, LeakyReLU, PReLU, ELU } from "./activation-layers.js";
export { Embedding } from "./embedding.js";
export { SimpleRNNCell, LSTMCell, GRUCell } from "./rnn-cells.js";
export { RNN, SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed } from "./rnn.js";
export { MultiHeadAttention, Attention, AdditiveAttention } from "./attention.js";
export {
  Normalization, Rescaling, CategoryEncoding, GaussianNoise, GaussianDropout, RandomFlip, RandomTranslation, RandomRotation,
} from "./preprocessing.js";
