/**
 * @file Keras' bundled datasets (`keras.datasets`) read from local IDX files: Fashion-MNIST
 * from the Debian package `dataset-fashion-mnist` (or a folder the caller names) and MNIST from
 * a folder of the same four files. Nothing is downloaded. `loadData` returns Keras' nesting
 * `[[xTrain, yTrain], [xTest, yTest]]` as Kiln Arrays; Kiln has no uint8 dtype, so the images
 * are float32 holding the raw pixel values 0..255 (divide by 255 as in Keras' examples) and
 * the labels int32.
 *
 * `loadData` reads files, so it needs Node.js (node:fs is loaded when it is called, which keeps
 * this module importable in browsers); `fromBytes` takes the four files' bytes and works
 * anywhere, e.g. after `fetch` in a browser.
 */
import { np, type Tracer } from "../index.js";
import { loadFashionMnistRaw, parseIdx, DatasetNotFoundError, IdxFormatError, DEFAULT_FASHION_MNIST_DIR, type MnistSplit } from "../io/index.js";
import { nodeFiles } from "../io/fashion-mnist.js";

/** Images [n, 28, 28] (float32, 0..255) and labels [n] (int32). */
export type Split = [x: Tracer, y: Tracer];

/** Options of `loadData`. */
export interface LoadDataOptions {
  /** Folder holding the four IDX files (gzipped or not, for MNIST; gzipped for Fashion-MNIST). */
  readonly dir?: string;
}

/** The bytes of the four IDX files (gzipped or not), e.g. from `fetch(...).arrayBuffer()`. */
export interface IdxFileBytes {
  readonly trainImages: Uint8Array | ArrayBuffer;
  readonly trainLabels: Uint8Array | ArrayBuffer;
  readonly testImages: Uint8Array | ArrayBuffer;
  readonly testLabels: Uint8Array | ArrayBuffer;
}

/** The four IDX files of MNIST and Fashion-MNIST. */
export const IDX_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** Where `mnist.loadData` looks when no dir is given (no Debian package ships MNIST). */
export const DEFAULT_MNIST_DIR = "/usr/share/datasets/mnist";

function toArrays(s: MnistSplit): Split {
  const x = np.array(Float32Array.from(s.images), { shape: [s.count, 28, 28] });
  const y = np.array(Int32Array.from(s.labels), { shape: [s.count] });
  return [x, y];
}

/** Why `loadData` cannot run outside Node, and what to do instead. */
const browserHint = (what: string) =>
  `in a browser, fetch the four IDX files (${Object.values(IDX_FILES).join(", ")}, gzipped or not) and pass their ` +
  `bytes to datasets.${what}.fromBytes({ trainImages, trainLabels, testImages, testLabels }).`;

/** A parsed uint8 IDX file. */
type Idx = { shape: number[]; data: Uint8Array };

function uint8Idx(bytes: Uint8Array, name: string): Idx {
  const idx = parseIdx(bytes, name);
  if (!(idx.data instanceof Uint8Array)) throw new IdxFormatError(`${name}: expected uint8 IDX data.`);
  return { shape: idx.shape, data: idx.data };
}

function readIdx(dir: string, base: string, what: string): Idx {
  const { fs, path: nodePath } = nodeFiles(`datasets.${what}.loadData`, browserHint(what));
  const path = [nodePath.join(dir, `${base}.gz`), nodePath.join(dir, base)].find((p) => fs.existsSync(p));
  if (!path) {
    throw new DatasetNotFoundError(
      `datasets.${what}.loadData: ${base}.gz (or ${base}) was not found in ${dir}. Put the four IDX files ` +
        `(${Object.values(IDX_FILES).join(", ")}, gzipped or not) in a folder and pass loadData({ dir }).`,
    );
  }
  return uint8Idx(fs.readFileSync(path), path);
}

function checkSplit(x: Idx, y: Idx, images: string, labels: string): MnistSplit {
  if (x.shape.length !== 3 || x.shape[1] !== 28 || x.shape[2] !== 28) {
    throw new IdxFormatError(`${images}: expected images of shape [n, 28, 28], found [${x.shape.join(", ")}].`);
  }
  if (y.shape.length !== 1 || y.shape[0] !== x.shape[0]) {
    throw new IdxFormatError(`${labels}: expected ${x.shape[0]} labels (one per image), found shape [${y.shape.join(", ")}].`);
  }
  return { images: x.data, labels: y.data, count: x.shape[0] };
}

function mnistSplit(dir: string, images: string, labels: string): MnistSplit {
  return checkSplit(readIdx(dir, images, "mnist"), readIdx(dir, labels, "mnist"), images, labels);
}

/** Parses and checks the four files' bytes; errors name the field (`trainImages`, ...). */
function fromBytes(what: string, files: IdxFileBytes): [train: Split, test: Split] {
  const fn = `datasets.${what}.fromBytes`;
  if (files === null || typeof files !== "object") {
    throw new TypeError(`${fn}: expected { trainImages, trainLabels, testImages, testLabels } (Uint8Array or ArrayBuffer each), received ${files === null ? "null" : typeof files}.`);
  }
  const parse = (key: keyof IdxFileBytes): Idx => {
    const b = files[key];
    if (!(b instanceof Uint8Array) && !(b instanceof ArrayBuffer)) {
      throw new TypeError(`${fn}: ${key} must be the bytes of ${IDX_FILES[key]} (a Uint8Array or ArrayBuffer), received ${b === null ? "null" : typeof b}.`);
    }
    return uint8Idx(b instanceof Uint8Array ? b : new Uint8Array(b), `${fn}: ${key}`);
  };
  const train = checkSplit(parse("trainImages"), parse("trainLabels"), `${fn}: trainImages`, `${fn}: trainLabels`);
  const test = checkSplit(parse("testImages"), parse("testLabels"), `${fn}: testImages`, `${fn}: testLabels`);
  return [toArrays(train), toArrays(test)];
}

/**
 * Fashion-MNIST (Zalando): 60,000 training and 10,000 test images of 10 kinds of clothing.
 * Files are read from `/usr/share/datasets/fashion-mnist` (Debian/Ubuntu:
 * `apt-get install dataset-fashion-mnist`) or `dir`; a missing file raises
 * `DatasetNotFoundError` saying so.
 */
export const fashionMnist = {
  /** Where the Debian package `dataset-fashion-mnist` installs the files. */
  defaultDir: DEFAULT_FASHION_MNIST_DIR,
  /** The label names, by label. */
  classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"] as const,

  /**
   * `[[xTrain, yTrain], [xTest, yTest]]`: images float32 [n, 28, 28] with values 0..255,
   * labels int32 [n] in 0..9.
   *
   * @example const [[xTrain, yTrain], [xTest, yTest]] = datasets.fashionMnist.loadData();
   */
  loadData(opts: LoadDataOptions = {}): [train: Split, test: Split] {
    nodeFiles("datasets.fashionMnist.loadData", browserHint("fashionMnist"));
    const { train, test } = loadFashionMnistRaw({ dir: opts.dir });
    return [toArrays(train), toArrays(test)];
  },

  /**
   * `loadData` from the four files' bytes (gzipped or not), for browsers or data from elsewhere.
   *
   * @example
   *   const get = async (f) => new Uint8Array(await (await fetch(`/data/${f}.gz`)).arrayBuffer());
   *   const [[xTrain, yTrain]] = datasets.fashionMnist.fromBytes({ trainImages: await get("train-images-idx3-ubyte"), ... });
   */
  fromBytes(files: IdxFileBytes): [train: Split, test: Split] {
    return fromBytes("fashionMnist", files);
  },
};

/**
 * MNIST handwritten digits: the same layout as Fashion-MNIST. No package installs it: put the
 * four IDX files (from the MNIST site or a mirror, gzipped or not) in
 * `/usr/share/datasets/mnist` or pass `dir`.
 */
export const mnist = {
  defaultDir: DEFAULT_MNIST_DIR,

  /**
   * `[[xTrain, yTrain], [xTest, yTest]]`: images float32 [n, 28, 28] with values 0..255,
   * labels int32 [n] in 0..9.
   *
   * @example const [[xTrain, yTrain], [xTest, yTest]] = datasets.mnist.loadData({ dir: "data/mnist" });
   */
  loadData(opts: LoadDataOptions = {}): [train: Split, test: Split] {
    const dir = opts.dir ?? DEFAULT_MNIST_DIR;
    const train = mnistSplit(dir, IDX_FILES.trainImages, IDX_FILES.trainLabels);
    const test = mnistSplit(dir, IDX_FILES.testImages, IDX_FILES.testLabels);
    return [toArrays(train), toArrays(test)];
  },

  /**
   * `loadData` from the four files' bytes (gzipped or not), for browsers or data from elsewhere.
   *
   * @example const [[xTrain, yTrain], [xTest, yTest]] = datasets.mnist.fromBytes({ trainImages, trainLabels, testImages, testLabels });
   */
  fromBytes(files: IdxFileBytes): [train: Split, test: Split] {
    return fromBytes("mnist", files);
  },
};

export { DatasetNotFoundError };
