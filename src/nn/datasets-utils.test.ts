/**
 * @file datasets (IDX files written to a temporary folder, gzipped and plain; the installed
 * Fashion-MNIST when present) and utils (toCategorical, normalize, padSequences) against
 * Keras' documented results.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { np, jit, type Tracer } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";
import * as datasets from "./datasets.js";
import { normalize, padSequences, toCategorical } from "./utils.js";

/** IDX bytes: magic [0, 0, 8, ndim], big-endian sizes, uint8 data. */
function idx(shape: number[], data: number[]): Uint8Array {
  const head = new DataView(new ArrayBuffer(4 + 4 * shape.length));
  head.setUint8(2, 8);
  head.setUint8(3, shape.length);
  shape.forEach((d, i) => head.setUint32(4 + 4 * i, d, false));
  return new Uint8Array([...new Uint8Array(head.buffer), ...data]);
}

const images = (n: number, seed: number) => Array.from({ length: n * 784 }, (_, i) => (i * 7 + seed) % 256);

let dir = "";
let plain = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kiln-fashion-"));
  plain = mkdtempSync(join(tmpdir(), "kiln-mnist-"));
  const files: Record<string, Uint8Array> = {
    "train-images-idx3-ubyte": idx([3, 28, 28], images(3, 1)),
    "train-labels-idx1-ubyte": idx([3], [9, 0, 4]),
    "t10k-images-idx3-ubyte": idx([2, 28, 28], images(2, 5)),
    "t10k-labels-idx1-ubyte": idx([2], [1, 2]),
  };
  for (const [name, bytes] of Object.entries(files)) {
    writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes));
    writeFileSync(join(plain, name), bytes);
  }
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(plain, { recursive: true, force: true });
});

describe("datasets", () => {
  it("fashionMnist.loadData({ dir }): Keras' nesting, float32 raw pixels, int32 labels", () => {
    const [[xTrain, yTrain], [xTest, yTest]] = datasets.fashionMnist.loadData({ dir });
    expect([xTrain.shape, xTrain.dtype, yTrain.shape, yTrain.dtype]).toEqual([[3, 28, 28], "float32", [3], "int32"]);
    expect(xTest.shape).toEqual([2, 28, 28]);
    expect(Array.from(yTrain.dataSync())).toEqual([9, 0, 4]);
    expect(Array.from(yTest.dataSync())).toEqual([1, 2]);
    expect(Array.from(xTrain.dataSync()).slice(0, 3)).toEqual([1, 8, 15]);
    expect(Array.from(xTest.dataSync()).slice(-1)).toEqual([((2 * 784 - 1) * 7 + 5) % 256]);
    expect(datasets.fashionMnist.classNames[9]).toBe("Ankle boot");
  });

  it("mnist.loadData reads plain or gzipped files", () => {
    for (const d of [plain, dir]) {
      const [[x, y], [xt]] = datasets.mnist.loadData({ dir: d });
      expect([x.shape, y.shape, xt.shape]).toEqual([[3, 28, 28], [3], [2, 28, 28]]);
      expect(Array.from(y.dataSync())).toEqual([9, 0, 4]);
    }
  });

  it("missing files name the Debian package and the dir option; corrupt files are typed errors", () => {
    const empty = mkdtempSync(join(tmpdir(), "kiln-empty-"));
    try {
      expect(() => datasets.fashionMnist.loadData({ dir: empty })).toThrow(datasets.DatasetNotFoundError);
      expect(() => datasets.fashionMnist.loadData({ dir: empty })).toThrow(/apt-get install dataset-fashion-mnist.*\{ dir \}/);
      expect(() => datasets.mnist.loadData({ dir: empty })).toThrow(/train-images-idx3-ubyte.gz \(or train-images-idx3-ubyte\) was not found.*loadData\(\{ dir \}\)/);
      for (const [name, bytes] of [["train-images-idx3-ubyte", idx([2, 28, 28], images(2, 0))], ["train-labels-idx1-ubyte", idx([3], [1, 2, 3])]] as const) {
        writeFileSync(join(empty, name), bytes);
      }
      expect(() => datasets.mnist.loadData({ dir: empty })).toThrow(/expected 2 labels/);
      writeFileSync(join(empty, "train-images-idx3-ubyte"), idx([2, 28, 28], [1, 2, 3]));
      expect(() => datasets.mnist.loadData({ dir: empty })).toThrow(/truncated or corrupt/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  // Converting 70,000 images takes seconds, so the full set is checked only on request (KILN_DATASET_TESTS=1).
  const full = existsSync(datasets.fashionMnist.defaultDir) && process.env.KILN_DATASET_TESTS === "1";
  it.skipIf(!full)("the installed Fashion-MNIST: 60,000 + 10,000 images, labels 0..9", () => {
    const [[x, y], [xt, yt]] = datasets.fashionMnist.loadData();
    expect([x.shape, y.shape, xt.shape, yt.shape]).toEqual([[60000, 28, 28], [60000], [10000, 28, 28], [10000]]);
    expect([np.min(y).item(), np.max(y).item(), np.max(x).item()]).toEqual([0, 9, 255]);
  });
});

describe("utils", () => {
  it("toCategorical: Keras' shapes, inferred and given class counts", () => {
    expectArray(toCategorical([0, 2, 1], 3), [[1, 0, 0], [0, 0, 1], [0, 1, 0]], { dtype: "float32" });
    expectArray(toCategorical(np.array([[1], [0]], { dtype: "int32" })), [[0, 1], [1, 0]]);
    expect(toCategorical(np.array([[1, 2], [0, 3]], { dtype: "int32" })).shape).toEqual([2, 2, 4]);
    expectArray(toCategorical(Int32Array.from([3]), 5), [[0, 0, 0, 1, 0]]);
    const f = jit((y: Tracer) => toCategorical(y, 3));
    expectArray(f(np.array([2, 0], { dtype: "int32" })), [[0, 0, 1], [1, 0, 0]]);
    expect(() => jit((y: Tracer) => toCategorical(y))(np.array([1], { dtype: "int32" }))).toThrow(/pass numClasses/);
    expect(() => toCategorical([0, 3], 3)).toThrow(/label 3 is out of range for 3 classes/);
    expect(() => toCategorical([0, -1])).toThrow(/integers >= 0; found -1/);
    expect(() => toCategorical([0.5])).toThrow(/integers >= 0; found 0.5/);
  });

  it("normalize: L2 by default over the last axis, other orders and axes, zero vectors kept", () => {
    expectArray(normalize([[3, 4], [0, 0]]), [[0.6, 0.8], [0, 0]]);
    expectArray(normalize([[3, 4], [1, 1]], { axis: 0 }), [[3 / Math.sqrt(10), 4 / Math.sqrt(17)], [1 / Math.sqrt(10), 1 / Math.sqrt(17)]], { rtol: 1e-6 });
    expectArray(normalize([[1, -3]], { order: 1 }), [[0.25, -0.75]]);
    expectArray(normalize([[1, -4]], { order: Infinity }), [[0.25, -1]]);
    expect(() => normalize([1, 2], { axis: 1 })).toThrow(/axis 1 is out of range/);
  });

  it("padSequences: Keras' pre/post padding and truncation, maxlen, value, dtype", () => {
    const seqs = [[1], [2, 3], [4, 5, 6]];
    expectArray(padSequences(seqs), [[0, 0, 1], [0, 2, 3], [4, 5, 6]], { dtype: "int32" });
    expectArray(padSequences(seqs, { padding: "post" }), [[1, 0, 0], [2, 3, 0], [4, 5, 6]]);
    expectArray(padSequences(seqs, { maxlen: 2 }), [[0, 1], [2, 3], [5, 6]]);
    expectArray(padSequences(seqs, { maxlen: 2, truncating: "post" }), [[0, 1], [2, 3], [4, 5]]);
    expectArray(padSequences([[1.5], []], { value: -1, dtype: "float32", maxlen: 2 }), [[-1, 1.5], [-1, -1]], { dtype: "float32" });
    expectArray(padSequences([[[1, 2]], [[3, 4], [5, 6]]], { padding: "post" }), [[[1, 2], [0, 0]], [[3, 4], [5, 6]]]);
    expect(padSequences([]).shape).toEqual([0, 0]);
    expect(() => padSequences(seqs, { padding: "middle" as "pre" })).toThrow(/padding must be "pre" or "post"/);
    expect(() => padSequences(seqs, { truncating: "x" as "pre" })).toThrow(/truncating must be "pre" or "post"/);
    expect(() => padSequences([[[1, 2]], [[3]]])).toThrow(/sequence 1 has elements of shape \[1\], expected \[2\]/);
    expect(() => padSequences(seqs, { maxlen: -1 })).toThrow(/maxlen must be an integer >= 0/);
  });
});
