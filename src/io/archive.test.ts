import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { deflateSync, unzipSync, zipSync } from "fflate";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, readArchive, readArchiveFile, writeArchive, writeArchiveFile, type ArchiveContents, type ArchiveLimits } from "./archive.js";
import { ArchiveError, type ArchiveErrorCode } from "./json-config.js";
import type { TensorEntry } from "./safetensors.js";
import { propertyRuns } from "../../tests/helpers/assert.js";

function expectCode(fn: () => unknown, code: ArchiveErrorCode): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ArchiveError);
    expect([(e as ArchiveError).code, (e as Error).message]).toEqual([code, expect.any(String)]);
    return (e as Error).message;
  }
  throw new Error(`expected ArchiveError ${code}, but nothing was thrown`);
}

const kernel: TensorEntry = { dtype: "float32", shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) };
const bias: TensorEntry = { dtype: "float16", shape: [3], data: Float32Array.of(0.5, -1, 0) };
const step: TensorEntry = { dtype: "int32", shape: [], data: Int32Array.of(42) };
const config = { class_name: "Sequential", config: { name: "seq", layers: [{ class_name: "Dense", config: { units: 3 } }] } };
const full: ArchiveContents = {
  config,
  weights: { "dense/kernel": kernel, "dense/bias": bias },
  optimizer: { iterations: step },
  optimizerConfig: { class_name: "Adam", config: { learning_rate: 0.001 } },
};

const enc = (s: string) => new TextEncoder().encode(s);
/** A metadata.json that vouches for no entry (so edited entries load), with fields overridden. */
const metadataFor = (extra: object = {}) => enc(JSON.stringify({ format: "kiln-model", version: 1, kilnVersion: "0.1.0", entries: {}, ...extra }));
/** A valid archive's entries, for tests that rebuild the zip with one thing changed. */
const entriesOf = (bytes: Uint8Array) => unzipSync(bytes);

/** Offsets of each central-directory record, by entry name. */
function centralRecords(zip: Uint8Array): Map<string, number> {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out = new Map<string, number>();
  for (let i = 0; i + 46 <= zip.length; i++) {
    if (dv.getUint32(i, true) !== 0x02014b50) continue;
    const n = dv.getUint16(i + 28, true);
    out.set(new TextDecoder().decode(zip.subarray(i + 46, i + 46 + n)), i);
  }
  return out;
}

/** A one-entry zip64 archive whose central directory declares `declared` uncompressed bytes. */
function zip64Claiming(name: string, declared: bigint): Uint8Array {
  const nameBytes = enc(name);
  const data = deflateSync(new Uint8Array(1000));
  const local = 30 + nameBytes.length;
  const cd = local + data.length;
  const cdLen = 46 + nameBytes.length + 12;
  const z64 = cd + cdLen;
  const out = new Uint8Array(z64 + 56 + 20 + 22);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0x04034b50, true);
  dv.setUint16(8, 8, true);
  dv.setUint16(26, nameBytes.length, true);
  out.set(nameBytes, 30);
  out.set(data, local);
  dv.setUint32(cd, 0x02014b50, true);
  dv.setUint16(cd + 10, 8, true);
  dv.setUint32(cd + 20, data.length, true);
  dv.setUint32(cd + 24, 0xffffffff, true); // the real size is in the zip64 extra field
  dv.setUint16(cd + 28, nameBytes.length, true);
  dv.setUint16(cd + 30, 12, true);
  out.set(nameBytes, cd + 46);
  dv.setUint16(cd + 46 + nameBytes.length, 1, true);
  dv.setUint16(cd + 48 + nameBytes.length, 8, true);
  dv.setBigUint64(cd + 50 + nameBytes.length, declared, true);
  dv.setUint32(z64, 0x06064b50, true);
  dv.setBigUint64(z64 + 32, 1n, true);
  dv.setBigUint64(z64 + 40, BigInt(cdLen), true);
  dv.setBigUint64(z64 + 48, BigInt(cd), true);
  dv.setUint32(z64 + 56, 0x07064b50, true);
  dv.setBigUint64(z64 + 64, BigInt(z64), true);
  const e = z64 + 76;
  dv.setUint32(e, 0x06054b50, true);
  dv.setUint16(e + 8, 0xffff, true);
  dv.setUint16(e + 10, 0xffff, true);
  dv.setUint32(e + 16, 0xffffffff, true);
  return out;
}

describe("writeArchive / readArchive", () => {
  it("round-trips config, weights, optimizer state and optimizer config", () => {
    const r = readArchive(writeArchive(full));
    expect(r.config).toEqual(config);
    expect(Object.fromEntries(r.weights.tensors)).toEqual(full.weights);
    expect(Object.fromEntries(r.optimizer!.tensors)).toEqual(full.optimizer);
    expect(r.optimizerConfig).toEqual(full.optimizerConfig);
    expect(r.metadata).toMatchObject({ format: "kiln-model", version: 1, kilnVersion: "0.1.0" });
    expect(r.metadata.createdAt).toBeUndefined();
  });

  it("writes the documented entries, metadata first, with sizes and CRC-32s", () => {
    const bytes = writeArchive(full);
    const files = unzipSync(bytes);
    expect(Object.keys(files)).toEqual(["metadata.json", "config.json", "model.weights.safetensors", "optimizer.weights.safetensors", "optimizer.json"]);
    const meta = JSON.parse(new TextDecoder().decode(files["metadata.json"]));
    expect(meta.entries["config.json"]).toEqual({ size: files["config.json"].length, crc32: crc32(files["config.json"]) });
    expect(JSON.parse(new TextDecoder().decode(files["config.json"]))).toEqual(config);
  });

  it("is deterministic, and optional parts are optional", () => {
    const minimal = { config: { a: 1 }, weights: {} };
    expect(writeArchive(full)).toEqual(writeArchive(full));
    const r = readArchive(writeArchive(minimal));
    expect([r.optimizer, r.optimizerConfig, r.weights.tensors.size]).toEqual([undefined, undefined, 0]);
    expect(readArchive(writeArchive({ ...minimal, createdAt: "2024-01-01T00:00:00Z" })).metadata.createdAt).toBe("2024-01-01T00:00:00Z");
  });

  it("computes the standard CRC-32", () => {
    expect(crc32(enc("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe("readArchive rejects bad archives with a typed error", () => {
  const good = writeArchive(full);
  const files = entriesOf(good);
  const rezip = (change: Record<string, Uint8Array | undefined>) => {
    const out: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries({ ...files, ...change })) if (v) out[k] = v;
    return zipSync(out);
  };

  it("not a zip, empty, truncated", () => {
    expectCode(() => readArchive(new Uint8Array(0)), "TRUNCATED");
    expectCode(() => readArchive(enc("this is not a zip file, just some text")), "BAD_ZIP");
    expectCode(() => readArchive(good.subarray(0, good.length - 30)), "BAD_ZIP");
    expectCode(() => readArchive(good.subarray(0, good.length >> 1)), "BAD_ZIP");
    expectCode(() => readArchive(zipSync({})), "MISSING_ENTRY");
  });

  it("missing required entries", () => {
    for (const name of ["metadata.json", "config.json", "model.weights.safetensors"]) {
      expect(expectCode(() => readArchive(rezip({ [name]: undefined })), "MISSING_ENTRY")).toContain(name);
    }
    // optional entries that metadata.json vouches for must be present too
    expectCode(() => readArchive(rezip({ "optimizer.json": undefined })), "MISSING_ENTRY");
  });

  it("unknown entries, duplicates and too many entries", () => {
    expectCode(() => readArchive(rezip({ "evil.js": enc("alert(1)") })), "UNKNOWN_ENTRY");
    expectCode(() => readArchive(rezip({ "../config.json": enc("{}") })), "UNKNOWN_ENTRY");
    expectCode(() => readArchive(rezip({ __proto__x: enc("{}") })), "UNKNOWN_ENTRY");
    expectCode(() => readArchive(good, { maxEntries: 3 }), "TOO_LARGE");
  });

  it("wrong format or a newer version, with how to fix it", () => {
    const meta = (o: object) => rezip({ "metadata.json": metadataFor(o) });
    expect(expectCode(() => readArchive(meta({ format: "keras" })), "BAD_VERSION")).toMatch(/not a Kiln model archive/);
    expect(expectCode(() => readArchive(meta({ version: 2 })), "BAD_VERSION")).toMatch(/Upgrade kiln/);
    expectCode(() => readArchive(meta({ version: "1" })), "BAD_VERSION");
    expectCode(() => readArchive(rezip({ "metadata.json": enc("[]") })), "BAD_JSON");
  });

  it("entries that do not match metadata.json's checksums, unless not vouched for", () => {
    const edited = enc(JSON.stringify({ ...config, extra: 1 }));
    expect(expectCode(() => readArchive(rezip({ "config.json": edited })), "BAD_CHECKSUM")).toMatch(/delete its line/);
    const unvouched = rezip({ "config.json": edited, "metadata.json": metadataFor() });
    expect(readArchive(unvouched).config).toEqual({ ...config, extra: 1 });
  });

  it("configs with code in them, and hostile weights", () => {
    const meta = metadataFor();
    expectCode(() => readArchive(rezip({ "metadata.json": meta, "config.json": enc('{"class_name": "Lambda", "config": {"function": "x => x"}}') })), "CODE_IN_CONFIG");
    const header = enc('{"w":{"dtype":"F32","shape":[1000000000,1000000000],"data_offsets":[0,4000000000000000000]}}');
    const huge = new Uint8Array(8 + header.length);
    new DataView(huge.buffer).setBigUint64(0, BigInt(header.length), true);
    huge.set(header, 8);
    expectCode(() => readArchive(rezip({ "metadata.json": meta, "model.weights.safetensors": huge })), "BAD_HEADER");
  });

  it("a zip64 entry declaring 10 GB is refused before inflation", () => {
    const bomb = zip64Claiming("model.weights.safetensors", 10_000_000_000n);
    expect(unzipSync(bomb, { filter: (f) => (expect(f.originalSize).toBe(1e10), false) })).toEqual({});
    expectCode(() => readArchive(bomb), "TOO_LARGE");
    expectCode(() => readArchive(zip64Claiming("model.weights.safetensors", 2n ** 63n)), "TOO_LARGE");
    // under the limits, a size no deflate stream can reach from 12 bytes is a lie
    expectCode(() => readArchive(zip64Claiming("model.weights.safetensors", 100_000_000n)), "BAD_ZIP");
  });

  it("central-directory sizes that lie", () => {
    const rec = centralRecords(good).get("config.json")!;
    const declared = new DataView(good.buffer).getUint32(rec + 24, true);
    const patch = (v: number) => {
      const b = good.slice();
      new DataView(b.buffer).setUint32(rec + 24, v, true);
      return b;
    };
    expectCode(() => readArchive(patch(declared + 5)), "TRUNCATED"); // inflates to fewer bytes
    expectCode(() => readArchive(patch(declared - 5)), "BAD_CHECKSUM"); // inflation stops at the lie
    expectCode(() => readArchive(patch(0xfffffff0), { maxEntryBytes: 2 ** 31 }), "TOO_LARGE");
    const total: ArchiveLimits = { maxTotalBytes: 100 };
    expectCode(() => readArchive(good, total), "TOO_LARGE");
    expectCode(() => readArchive(good, { maxArchiveBytes: 100 }), "TOO_LARGE");
  });
});

describe("fuzzing", () => {
  const archives = fc.record({
    units: fc.integer({ min: 0, max: 4 }),
    values: fc.array(fc.float({ noNaN: true }), { maxLength: 8 }),
    withOptimizer: fc.boolean(),
  }).map(({ units, values, withOptimizer }) => writeArchive({
    config: { class_name: "Dense", config: { units } },
    weights: { w: { dtype: "float32", shape: [values.length], data: Float32Array.from(values) } },
    ...(withOptimizer ? { optimizer: { m: { dtype: "float32", shape: [1], data: Float32Array.of(units) } }, optimizerConfig: { lr: 0.1 } } : {}),
  }));

  const parsesOrArchiveError = (bytes: Uint8Array) => {
    try {
      const r = readArchive(bytes, { maxEntryBytes: 1 << 20, maxTotalBytes: 1 << 22 });
      expect(r.metadata.format).toBe("kiln-model");
    } catch (e) {
      if (!(e instanceof ArchiveError)) throw e;
    }
  };

  it("random byte edits, truncations and insertions parse or throw ArchiveError", () => {
    const edit = fc.record({ kind: fc.constantFrom("set", "cut", "insert"), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) });
    fc.assert(fc.property(archives, fc.array(edit, { minLength: 1, maxLength: 4 }), (zip, edits) => {
      let bytes = zip.slice();
      for (const { kind, at, byte } of edits) {
        const i = bytes.length ? at % bytes.length : 0;
        if (kind === "set" && bytes.length) bytes[i] = byte;
        else if (kind === "cut") bytes = bytes.slice(0, i);
        else bytes = Uint8Array.from([...bytes.subarray(0, i), byte, ...bytes.subarray(i)]);
      }
      parsesOrArchiveError(bytes);
    }), { numRuns: propertyRuns(300) });
  });

  it("random 32-bit values in central-directory fields parse or throw ArchiveError", () => {
    // sizes, offsets, name and extra lengths, method: the fields a hostile zip lies in
    const fields = [10, 16, 20, 24, 28, 30, 42];
    fc.assert(fc.property(archives, fc.nat(), fc.constantFrom(...fields), fc.oneof(fc.nat(), fc.constantFrom(0, 0xffffffff, 0x7fffffff)), (zip, which, field, value) => {
      const recs = [...centralRecords(zip).values()];
      const b = zip.slice();
      const at = recs[which % recs.length] + field;
      const dv = new DataView(b.buffer);
      if (field === 10 || field === 28 || field === 30) dv.setUint16(at, value & 0xffff, true);
      else dv.setUint32(at, value >>> 0, true);
      parsesOrArchiveError(b);
    }), { numRuns: propertyRuns(300) });
  });
});

describe("archive files", () => {
  it("writes atomically and reads back; checks the size before reading", () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-archive-"));
    const path = join(dir, "model.kiln");
    writeArchiveFile(path, full);
    writeArchiveFile(path, full); // overwrite in place
    expect(readdirSync(dir)).toEqual(["model.kiln"]);
    expect(readArchiveFile(path).config).toEqual(config);
    expectCode(() => readArchiveFile(path, { maxArchiveBytes: 10 }), "TOO_LARGE");
    writeFileSync(join(dir, "bad.kiln"), "garbage");
    expectCode(() => readArchiveFile(join(dir, "bad.kiln")), "TRUNCATED");
    expect(() => readArchiveFile(join(dir, "missing.kiln"))).toThrow(/ENOENT/);
  });
});
