/**
 * @file Parser for the IDX format of MNIST-style datasets (optionally gzip-compressed).
 *
 * Validates the header against the byte length before allocating anything, so a truncated or
 * hostile file gives a typed error instead of a huge allocation or a crash.
 * Format: magic [0, 0, type, ndim], then ndim big-endian uint32 sizes, then the data.
 *
 * Gzip goes through node:zlib where it exists (loaded on first use, so the module also loads in
 * browsers) and through fflate elsewhere; browsers resolve the bare name "fflate" through an
 * import map (docs/browser.md).
 */
import { gunzipSync as fflateGunzip } from "fflate";

export class IdxFormatError extends Error {
  override name = "IdxFormatError";
}

/** A decoded IDX array: row-major data and its shape. */
export interface IdxArray {
  readonly shape: number[];
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { name: string; bytes: number }> = {
  0x08: { name: "uint8", bytes: 1 },
  0x09: { name: "int8", bytes: 1 },
  0x0b: { name: "int16", bytes: 2 },
  0x0c: { name: "int32", bytes: 4 },
  0x0d: { name: "float32", bytes: 4 },
  0x0e: { name: "float64", bytes: 8 },
};

/** Largest decompressed size accepted (1 GiB): more is certainly not an MNIST-like file. */
const MAX_BYTES = 1 << 30;

type NodeZlib = typeof import("node:zlib");

/** Inflates gzip bytes, refusing more than MAX_BYTES out; throws whatever the inflater throws. */
function gunzip(bytes: Uint8Array): Uint8Array {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const zlib = proc?.getBuiltinModule?.("node:zlib") as NodeZlib | undefined;
  if (zlib) return zlib.gunzipSync(bytes, { maxOutputLength: MAX_BYTES });
  // fflate sizes its output from the trailer (ISIZE, the length mod 2^32): bound it before
  // inflating; a stream longer than it declares is cut short and fails the IDX length check.
  if (bytes.length < 18) throw new Error("unexpected end of data");
  const declared = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bytes.length - 4, true);
  if (declared > MAX_BYTES) throw new Error(`the gzip trailer declares ${declared} bytes`);
  return fflateGunzip(bytes);
}

/**
 * Decodes IDX bytes (gzip is detected by its magic number).
 *
 * @example parseIdx(readFileSync("train-labels-idx1-ubyte.gz")).shape // [60000]
 */
export function parseIdx(input: Uint8Array, name = "IDX data"): IdxArray {
  let bytes = input;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzip(bytes);
    } catch (e) {
      throw new IdxFormatError(`${name}: gzip data is corrupt or larger than 1 GiB (${(e as Error).message}).`);
    }
  }
  if (bytes.length < 4) throw new IdxFormatError(`${name}: ${bytes.length} bytes is too short for an IDX header.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxFormatError(`${name}: not an IDX file (magic starts ${bytes[0]}, ${bytes[1]}; expected 0, 0).`);
  }
  const type = TYPES[bytes[2]];
  if (!type) throw new IdxFormatError(`${name}: unknown IDX element type 0x${bytes[2].toString(16)}.`);
  const ndim = bytes[3];
  const headerBytes = 4 + 4 * ndim;
  if (ndim === 0 || bytes.length < headerBytes) {
    throw new IdxFormatError(`${name}: header declares ${ndim} dimensions but the file has ${bytes.length} bytes.`);
  }
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const need = headerBytes + count * type.bytes;
  if (need !== bytes.length) {
    throw new IdxFormatError(
      `${name}: header declares shape [${shape.join(", ")}] of ${type.name} (${need} bytes in all) but the ` +
        `file has ${bytes.length} bytes; it is truncated or corrupt.`,
    );
  }
  const body = bytes.subarray(headerBytes);
  switch (bytes[2]) {
    case 0x08:
      return { shape, data: Uint8Array.from(body) };
    case 0x09:
      return { shape, data: new Int8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length)) };
    default: {
      // Multi-byte IDX elements are big-endian.
      const out =
        bytes[2] === 0x0b ? new Int16Array(count) : bytes[2] === 0x0c ? new Int32Array(count) : bytes[2] === 0x0d ? new Float32Array(count) : new Float64Array(count);
      const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
      for (let i = 0; i < count; i++) {
        out[i] =
          bytes[2] === 0x0b ? dv.getInt16(2 * i) : bytes[2] === 0x0c ? dv.getInt32(4 * i) : bytes[2] === 0x0d ? dv.getFloat32(4 * i) : dv.getFloat64(8 * i);
      }
      return { shape, data: out };
    }
  }
}
