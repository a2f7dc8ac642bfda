/**
 * @file Data input/output: IDX parsing and dataset loaders.
 */
export { parseIdx, IdxFormatError, type IdxArray } from "./idx.js";
export { loadFashionMnistRaw, DEFAULT_FASHION_MNIST_DIR, DatasetNotFoundError, type MnistSplit } from "./fashion-mnist.js";
