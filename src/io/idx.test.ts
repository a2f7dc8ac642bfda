import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { gzipSync } from "node:zlib";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IdxFormatError, parseIdx } from "./idx.js";
import { DatasetNotFoundError, loadFashionMnistRaw } from "./fashion-mnist.js";
import { propertyRuns } from "../../tests/helpers/assert.js";

/** An IDX file: magic, big-endian dims, data bytes. */
function idx(type: number, shape: number[], body: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * shape.length);
  const dv = new DataView(head.buffer);
  head[2] = type;
  head[3] = shape.length;
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

describe("parseIdx", () => {
  it("reads uint8 data, raw or gzipped", () => {
    const file = idx(0x08, [2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]));
    for (const bytes of [file, gzipSync(file)]) {
      const r = parseIdx(bytes);
      expect(r.shape).toEqual([2, 3]);
      expect([...r.data]).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it("reads big-endian int32 and float32", () => {
    const body = new Uint8Array(8);
    new DataView(body.buffer).setInt32(0, -5, false);
    new DataView(body.buffer).setFloat32(4, 1.5, false);
    expect([...parseIdx(idx(0x0c, [1], body.subarray(0, 4))).data]).toEqual([-5]);
    expect([...parseIdx(idx(0x0d, [1], body.subarray(4))).data]).toEqual([1.5]);
  });

  it("rejects truncated, oversized and malformed headers before allocating", () => {
    expect(() => parseIdx(Uint8Array.from([0, 0]))).toThrow(IdxFormatError);
    expect(() => parseIdx(Uint8Array.from([1, 2, 8, 1, 0, 0, 0, 1, 0]))).toThrow(/not an IDX file/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 1, 0]))).toThrow(/unknown IDX element type/);
    expect(() => parseIdx(idx(0x08, [60000, 28, 28], new Uint8Array(10)))).toThrow(/truncated or corrupt/);
    // A header that declares 2^32-1 x 2^32-1 elements must not allocate.
    expect(() => parseIdx(idx(0x08, [0xffffffff, 0xffffffff], new Uint8Array(4)))).toThrow(/truncated or corrupt/);
    expect(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 1, 2, 3]))).toThrow(/gzip data is corrupt/);
  });

  it("never fails with anything but IdxFormatError on random bytes (fuzz)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, header) => {
        const input = header ? Uint8Array.from([0, 0, 0x08, bytes.length % 4, ...bytes]) : bytes;
        try {
          parseIdx(input);
        } catch (e) {
          expect(e).toBeInstanceOf(IdxFormatError);
        }
      }),
      { numRuns: propertyRuns(300) },
    );
  });
});

describe("loadFashionMnistRaw", () => {
  it("explains how to get the files when they are missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-mnist-"));
    expect(() => loadFashionMnistRaw({ dir })).toThrow(DatasetNotFoundError);
    expect(() => loadFashionMnistRaw({ dir })).toThrow(/apt-get install dataset-fashion-mnist/);
  });

  it("loads a small dataset from a directory and checks image/label counts", () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-mnist-"));
    const images = (n: number) => gzipSync(idx(0x08, [n, 28, 28], new Uint8Array(n * 784).fill(7)));
    const labels = (n: number) => gzipSync(idx(0x08, [n], Uint8Array.from({ length: n }, (_, i) => i % 10)));
    writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), images(3));
    writeFileSync(join(dir, "train-labels-idx1-ubyte.gz"), labels(3));
    writeFileSync(join(dir, "t10k-images-idx3-ubyte.gz"), images(2));
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte.gz"), labels(1));
    expect(() => loadFashionMnistRaw({ dir })).toThrow(/1 labels for 2 images/);
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte.gz"), labels(2));
    const { train, test } = loadFashionMnistRaw({ dir });
    expect(train.count).toBe(3);
    expect(test.count).toBe(2);
    expect([...train.labels]).toEqual([0, 1, 2]);
  });
});
