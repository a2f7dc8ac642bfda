/**
 * @file Fashion-MNIST loader: reads the four IDX files (gzip) from Debian's `dataset-fashion-mnist`
 * location or a directory the caller names. No download: the data must be on disk.
 *
 * node:fs and node:path are loaded when a file is read, not when the module is imported, so the
 * module (and `kiln/nn`, which imports it) also loads in browsers; there, reading files fails
 * with an error that says to fetch the files and parse their bytes.
 */
import { parseIdx } from "./idx.js";

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const DEFAULT_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

export class DatasetNotFoundError extends Error {
  override name = "DatasetNotFoundError";
}

/** Raw Fashion-MNIST: uint8 images [n, 28, 28] and uint8 labels [n]. */
export interface MnistSplit {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

type NodeFs = typeof import("node:fs");
type NodePath = typeof import("node:path");

/**
 * node:fs and node:path, through `process.getBuiltinModule` (Node.js >= 20.16); elsewhere
 * throws "`fn` reads files and needs Node.js ...; `browserHint`".
 *
 * @example const { fs, path } = nodeFiles("loadFashionMnistRaw", "in a browser, fetch the files and pass their bytes to parseIdx.");
 */
export function nodeFiles(fn: string, browserHint: string): { fs: NodeFs; path: NodePath } {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.("node:fs") as NodeFs | undefined;
  const path = proc?.getBuiltinModule?.("node:path") as NodePath | undefined;
  if (!fs || !path) throw new Error(`${fn} reads files and needs Node.js (>= 20.16, for process.getBuiltinModule); ${browserHint}`);
  return { fs, path };
}

const FILES = {
  trainImages: "train-images-idx3-ubyte.gz",
  trainLabels: "train-labels-idx1-ubyte.gz",
  testImages: "t10k-images-idx3-ubyte.gz",
  testLabels: "t10k-labels-idx1-ubyte.gz",
};

const BROWSER_HINT =
  `in a browser, fetch the four files (${Object.values(FILES).join(", ")}) and pass their bytes to parseIdx, ` +
  "or to datasets.fashionMnist.fromBytes in kiln/nn.";

function load(dir: string, file: string): { shape: number[]; data: Uint8Array } {
  const { fs, path: nodePath } = nodeFiles("loadFashionMnistRaw", BROWSER_HINT);
  const path = nodePath.join(dir, file);
  if (!fs.existsSync(path)) {
    throw new DatasetNotFoundError(
      `Fashion-MNIST file ${path} was not found. On Debian/Ubuntu install it with ` +
        `'apt-get install dataset-fashion-mnist', or pass { dir } pointing at a folder holding ` +
        `${Object.values(FILES).join(", ")}.`,
    );
  }
  const idx = parseIdx(fs.readFileSync(path), path);
  if (!(idx.data instanceof Uint8Array)) throw new DatasetNotFoundError(`${path}: expected uint8 IDX data.`);
  return { shape: idx.shape, data: idx.data };
}

function split(dir: string, imagesFile: string, labelsFile: string): MnistSplit {
  const images = load(dir, imagesFile);
  const labels = load(dir, labelsFile);
  if (images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28) {
    throw new DatasetNotFoundError(`${imagesFile}: expected images of shape [n, 28, 28], found [${images.shape.join(", ")}].`);
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
    throw new DatasetNotFoundError(`${labelsFile}: ${labels.shape[0]} labels for ${images.shape[0]} images.`);
  }
  return { images: images.data, labels: labels.data, count: images.shape[0] };
}

/**
 * Loads Fashion-MNIST as raw bytes: `{ train, test }`.
 *
 * @example const { train, test } = loadFashionMnistRaw(); // train.count === 60000
 */
export function loadFashionMnistRaw(opts: { readonly dir?: string } = {}): { train: MnistSplit; test: MnistSplit } {
  const dir = opts.dir ?? DEFAULT_FASHION_MNIST_DIR;
  return {
    train: split(dir, FILES.trainImages, FILES.trainLabels),
    test: split(dir, FILES.testImages, FILES.testLabels),
  };
}
