/**
 * @file The `callbacks` namespace of `kiln/nn`: the base class, History, the progress bar and
 * the built-in callbacks.
 */
export { Callback, CallbackList, History, LambdaCallback, type Logs, type TrainingParams, type LambdaHooks } from "./callbacks.js";
export { ProgbarLogger } from "./progbar.js";
export {
  EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN, formatFilepath,
} from "./callbacks-builtin.js";
