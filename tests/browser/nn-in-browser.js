/**
 * @file Checks, run inside headless Chromium by browser-example.test.ts (through nn.html, which
 * holds the import map for fflate), that `kiln/nn` works in a browser without Node: the module
 * loads; datasets parse IDX bytes (gzipped by the browser's CompressionStream, so fflate inflates
 * them); models round-trip through archive bytes and JSON; and every function that touches files
 * throws an error naming the in-memory alternative. Results are plain data for the test to check.
 */
import { np } from "/dist/index.js";
import * as nn from "/dist/nn/index.js";

/** The message of what `f` throws, or "no error". */
function thrown(f) {
  try {
    f();
    return "no error";
  } catch (e) {
    return `${e?.name}: ${e?.message}`;
  }
}

/** IDX bytes: magic [0, 0, 8 (uint8), ndim], big-endian sizes, data. */
function idx(shape, data) {
  const head = new DataView(new ArrayBuffer(4 + 4 * shape.length));
  head.setUint8(2, 8);
  head.setUint8(3, shape.length);
  shape.forEach((d, i) => head.setUint32(4 + 4 * i, d, false));
  return new Uint8Array([...new Uint8Array(head.buffer), ...data]);
}

async function gzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Pixel i of image `seed`'s set: a pattern the test recomputes. */
const pixels = (n, seed) => Array.from({ length: n * 784 }, (_, i) => (i * 7 + seed) % 256);

export async function run() {
  const out = {};
  out.fashionLoadData = thrown(() => nn.datasets.fashionMnist.loadData());
  out.mnistLoadData = thrown(() => nn.datasets.mnist.loadData({ dir: "/data/mnist" }));

  const trainImages = await gzip(idx([3, 28, 28], pixels(3, 1)));
  const [[xTrain, yTrain], [xTest, yTest]] = nn.datasets.mnist.fromBytes({
    trainImages,
    trainLabels: (await gzip(idx([3], [9, 0, 4]))).buffer,
    testImages: idx([2, 28, 28], pixels(2, 5)),
    testLabels: idx([2], [1, 2]),
  });
  out.fromBytes = {
    shapes: [xTrain.shape, yTrain.shape, xTest.shape, yTest.shape],
    dtypes: [xTrain.dtype, yTrain.dtype, xTest.dtype, yTest.dtype],
    trainPixelSum: Array.from(await xTrain.data()).reduce((a, b) => a + b, 0),
    testFirstPixels: Array.from(await xTest.data()).slice(0, 3),
    trainLabels: Array.from(await yTrain.data()),
    testLabels: Array.from(await yTest.data()),
  };
  out.truncatedGzip = thrown(() => nn.datasets.fashionMnist.fromBytes({
    trainImages: trainImages.subarray(0, 30), trainLabels: idx([3], [0, 1, 2]), testImages: idx([1, 28, 28], pixels(1, 0)), testLabels: idx([1], [0]),
  }));

  const model = new nn.Sequential([
    nn.Input({ shape: [2] }),
    new nn.layers.Dense(3, { activation: "softmax", kernelInitializer: { className: "GlorotUniform", config: { seed: 5 } } }),
  ]);
  model.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy" });
  const probe = np.array([[0.5, -1], [2, 0.25]]);
  const predict = async (m) => Array.from(await m.predict(probe, { verbose: 0 }).data());
  const bytes = nn.saveModelToBytes(model);
  const copy = nn.loadModelFromBytes(bytes);
  out.archive = { bytes: bytes.length, zipMagic: Array.from(bytes.subarray(0, 2)), original: await predict(model), loaded: await predict(copy) };
  const rebuilt = nn.modelFromJSON(JSON.parse(JSON.stringify(nn.modelToJSON(model))));
  out.json = { layers: rebuilt.layers.map((l) => l.className), params: rebuilt.countParams() };

  out.saveModel = thrown(() => nn.saveModel(model, "model.kiln"));
  out.loadModel = thrown(() => nn.loadModel("model.kiln"));
  out.saveWeights = thrown(() => nn.saveWeights(model, "model.weights.safetensors"));
  out.loadWeights = thrown(() => nn.loadWeights(model, "model.weights.safetensors"));
  return out;
}
