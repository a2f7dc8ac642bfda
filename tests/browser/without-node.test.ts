/**
 * @file The browser code paths of kiln's file and gzip helpers, run in Node with
 * `process.getBuiltinModule` hidden (as in a browser, where there is none): file functions
 * throw errors that name the in-memory alternative, and IDX gzip goes through fflate with the
 * same bounds as node:zlib. browser-example.test.ts checks the same in real Chromium.
 */
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IdxFormatError, loadFashionMnistRaw, parseIdx } from "../../src/io/index.js";
import * as datasets from "../../src/nn/datasets.js";
import { nodeFs } from "../../src/nn/saving.js";

const proc = process as { getBuiltinModule?: unknown };
let saved: unknown;
beforeEach(() => {
  saved = proc.getBuiltinModule;
  proc.getBuiltinModule = undefined;
});
afterEach(() => {
  proc.getBuiltinModule = saved;
});

/** A uint8 IDX file: magic [0, 0, 8, ndim], big-endian sizes, data. */
function idx(shape: number[], data: number[]): Uint8Array {
  const head = new DataView(new ArrayBuffer(4 + 4 * shape.length));
  head.setUint8(2, 8);
  head.setUint8(3, shape.length);
  shape.forEach((d, i) => head.setUint32(4 + 4 * i, d, false));
  return new Uint8Array([...new Uint8Array(head.buffer), ...data]);
}

describe("without node: modules (as in a browser)", () => {
  it("file readers say they need Node and what to call instead", () => {
    expect(() => loadFashionMnistRaw({ dir: "/nowhere" })).toThrow(/^loadFashionMnistRaw reads files and needs Node\.js .*in a browser, .*parseIdx/);
    expect(() => datasets.fashionMnist.loadData()).toThrow(/^datasets\.fashionMnist\.loadData reads files .*datasets\.fashionMnist\.fromBytes\(/);
    expect(() => datasets.mnist.loadData({ dir: "/nowhere" })).toThrow(/^datasets\.mnist\.loadData reads files .*datasets\.mnist\.fromBytes\(/);
    expect(() => nodeFs("saveModel")).toThrow(/^saveModel: .*in a browser, saveModelToBytes\(model\)/);
    expect(() => nodeFs("CSVLogger")).toThrow(/^CSVLogger: .*in a browser, keep the data in memory/);
  });

  it("parseIdx inflates gzip with fflate: the same data, and the same bounds on hostile sizes", () => {
    const file = idx([2, 3], [1, 2, 3, 4, 5, 6]);
    const gz = gzipSync(file);
    expect(parseIdx(gz)).toEqual({ shape: [2, 3], data: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
    // The trailer (ISIZE) sizes fflate's output: more than 1 GiB is refused before inflating...
    const huge = Uint8Array.from(gz);
    new DataView(huge.buffer).setUint32(huge.length - 4, 2 ** 31, true);
    expect(() => parseIdx(huge)).toThrow(IdxFormatError);
    expect(() => parseIdx(huge)).toThrow(/gzip data is corrupt or larger than 1 GiB/);
    // ...and a trailer that understates the size cuts the output short, failing the length check.
    const short = Uint8Array.from(gz);
    new DataView(short.buffer).setUint32(short.length - 4, 13, true); // 13 of its 18 bytes
    expect(() => parseIdx(short)).toThrow(/truncated or corrupt/);
    expect(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 1, 2, 3]))).toThrow(/gzip data is corrupt/);
  });

  it("datasets.*.fromBytes takes Uint8Arrays or ArrayBuffers, gzipped or not, and names a bad field", () => {
    const img = (n: number) => Array.from({ length: n * 784 }, (_, i) => i % 256);
    const files = {
      trainImages: gzipSync(idx([2, 28, 28], img(2))),
      trainLabels: idx([2], [3, 7]).buffer as ArrayBuffer,
      testImages: idx([1, 28, 28], img(1)),
      testLabels: gzipSync(idx([1], [9])),
    };
    const [[x, y], [xt, yt]] = datasets.fashionMnist.fromBytes(files);
    expect([x.shape, y.shape, xt.shape, yt.shape]).toEqual([[2, 28, 28], [2], [1, 28, 28], [1]]);
    expect([x.dtype, y.dtype]).toEqual(["float32", "int32"]);
    expect(Array.from(y.dataSync())).toEqual([3, 7]);
    expect(Array.from(xt.dataSync()).slice(0, 3)).toEqual([0, 1, 2]);
    expect(() => datasets.mnist.fromBytes({ ...files, testLabels: "t10k.gz" as never })).toThrow(TypeError);
    expect(() => datasets.mnist.fromBytes({ ...files, testLabels: "t10k.gz" as never })).toThrow(/testLabels must be the bytes of t10k-labels-idx1-ubyte/);
    expect(() => datasets.mnist.fromBytes({ ...files, testLabels: idx([2], [1, 2]) })).toThrow(/datasets\.mnist\.fromBytes: testLabels: expected 1 labels/);
    expect(() => datasets.mnist.fromBytes(null as never)).toThrow(/expected \{ trainImages, trainLabels, testImages, testLabels \}/);
  });
});
