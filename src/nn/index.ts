/**
 * @file The `kiln/nn` entry: the Keras-style facade (layers, Sequential / functional / subclassed
 * models, compile / fit / evaluate / predict, losses, metrics, optimizers, callbacks,
 * initializers, regularizers, constraints, datasets, utils) and the functional jax.nn-style ops
 * it is built on (activations, softmax, oneHot, standardize).
 *
 * @example
 *   import { Sequential, Input, layers } from "kiln/nn";
 *   const model = new Sequential([Input({ shape: [784] }), new layers.Dense(10, { activation: "softmax" })]);
 *   model.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
 *   await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 128, validationSplit: 0.1 });
 */
import * as metricsBase from "./metrics.js";
import * as metricsConfusion from "./metrics-confusion.js";
import { installModelServices } from "./model-hooks.js";
import { summary } from "./summary.js";
import { loadWeights, saveModel, saveWeights } from "./saving.js";


installModelServices({
  summary: (m, opts) => summary(m, opts),
  saveModel: (m, path, opts) => saveModel(m, path, opts),
  saveWeights: (m, path) => saveWeights(m, path),
  loadWeights: (m, path) => loadWeights(m, path),
});

export {
  type ActivationInput, type GeluOptions, relu, relu6, sigmoid, softplus, softSign, silu, swish, gelu, elu, selu, celu,
  leakyRelu, hardTanh, hardSigmoid, hardSilu, logSigmoid, mish, glu,
} from "./activations.js";
export { type AxisOptions, type OneHotOptions, type StandardizeOptions, softmax, logSoftmax, oneHot, standardize } from "./functions.js";

export * as layers from "./layers/index.js";
export { Layer, type LayerOptions, type WeightOptions, type VariableEntry, type LayerConfig } from "./layer.js";
export { Variable, clearSession } from "./variable.js";
export { CallContext, setRandomSeed, type CallOptions } from "./call-context.js";
export { Input, InputLayer, type InputOptions } from "./input-layer.js";
export { SymbolicTensor, type Shape } from "./symbolic.js";
export { Model, type ModelOptions } from "./model.js";
export { Sequential } from "./sequential.js";
export { type FitOptions, type EvaluateOptions, type PredictOptions, type CompileOptions } from "./trainer.js";
export * as callbacks from "./callbacks-all.js";
export { Callback, History, type Logs } from "./callbacks.js";
export * as losses from "./losses.js";
/** Keras metrics: `metrics.get("accuracy")`, `new metrics.AUC()`, ... */
export const metrics = { ...metricsBase, ...metricsConfusion };
export { optimizers, schedules } from "../optim/index.js";
export * as initializers from "./initializers-keras.js";
export * as regularizers from "./regularizers.js";
export * as constraints from "./constraints.js";
export * as datasets from "./datasets.js";
export * as utils from "./utils.js";
export { plotHistory, type PlotOptions } from "./history-plot.js";
export { summary, type SummaryOptions } from "./summary.js";
export {
  saveModel, loadModel, saveWeights, loadWeights, saveModelToBytes, loadModelFromBytes, weightsToBytes, loadWeightsFromBytes,
  modelToJSON, modelFromJSON, SerializationError,
} from "./saving.js";
export { registerLayer } from "./registry.js";
