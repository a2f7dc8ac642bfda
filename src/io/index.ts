/**
 * @file Data input/output: IDX parsing, dataset loaders, safetensors and the .kiln model archive.
 */
export { parseIdx, IdxFormatError, type IdxArray } from "./idx.js";
export { loadFashionMnistRaw, DEFAULT_FASHION_MNIST_DIR, DatasetNotFoundError, type MnistSplit } from "./fashion-mnist.js";
export {
  ArchiveError,
  parseConfigJson,
  validateConfig,
  type ArchiveErrorCode,
  type JsonValue,
  type JsonObject,
  type JsonLimits,
} from "./json-config.js";
export { readSafetensors, writeSafetensors, type TensorEntry, type SafetensorsFile, type SafetensorsLimits } from "./safetensors.js";
export {
  readArchive,
  writeArchive,
  readArchiveFile,
  writeArchiveFile,
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  type ArchiveContents,
  type ArchiveData,
  type ArchiveLimits,
  type ArchiveMetadata,
} from "./archive.js";
