/**
 * @file safetensors reader and writer (https://github.com/huggingface/safetensors, format as of
 * v0.4): an 8-byte little-endian u64 header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`, then the
 * data buffer, tensors row-major and little-endian, offsets relative to the buffer's start.
 *
 * The reader treats the bytes as hostile: it validates the whole header (dtypes, shapes, offsets
 * that tile the buffer exactly) before it allocates any tensor, so memory use is bounded by the
 * file size and a header declaring a [1e9, 1e9] tensor fails fast with an `ArchiveError`.
 * float16 tensors are widened to float32 on the host, as Kiln stores them (see src/ir/dtype.ts).
 */
import { allocTyped, type DType, type TypedArray } from "../ir/dtype.js";
import { ArchiveError, expectObject, findDuplicateKey, parseJson, type JsonObject } from "./json-config.js";

/** One tensor: a Kiln dtype, its shape, and row-major host data of `allocTyped(dtype)`'s type. */
export interface TensorEntry {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

/** A read safetensors file; `fileDtypes` keeps the on-disk dtype where it was widened (I8 -> int32). */
export interface SafetensorsFile {
  readonly tensors: Map<string, TensorEntry>;
  readonly metadata: Record<string, string>;
  readonly fileDtypes: Map<string, string>;
}

export interface SafetensorsLimits {
  /** Largest accepted JSON header in bytes (default 100 MB, the reference implementation's cap). */
  readonly maxHeaderBytes?: number;
  /** Most tensors in one file (default 1,000,000). */
  readonly maxTensors?: number;
  /** Most dimensions of one tensor (default 64). */
  readonly maxRank?: number;
}

/** Kiln indexes with int32, so no dimension can be longer. */
const MAX_DIM = 2 ** 31 - 1;

const DEFAULT_LIMITS: Required<SafetensorsLimits> = { maxHeaderBytes: 100_000_000, maxTensors: 1_000_000, maxRank: 64 };

/** How each on-disk dtype maps to Kiln: its width and the Kiln dtype it widens into exactly. */
const FILE_DTYPES: Record<string, { bytes: number; kiln: DType }> = {
  F64: { bytes: 8, kiln: "float64" },
  F32: { bytes: 4, kiln: "float32" },
  F16: { bytes: 2, kiln: "float16" },
  BF16: { bytes: 2, kiln: "float32" }, // bfloat16 is the top half of a float32: widening is exact
  I32: { bytes: 4, kiln: "int32" },
  U32: { bytes: 4, kiln: "uint32" },
  I16: { bytes: 2, kiln: "int32" },
  U16: { bytes: 2, kiln: "int32" },
  I8: { bytes: 1, kiln: "int32" },
  U8: { bytes: 1, kiln: "int32" },
  I64: { bytes: 8, kiln: "int32" }, // only when every value fits; checked while copying
  U64: { bytes: 8, kiln: "uint32" },
  BOOL: { bytes: 1, kiln: "bool" },
};

const KILN_TO_FILE: Record<DType, string> = {
  float64: "F64",
  float32: "F32",
  float16: "F16",
  int32: "I32",
  uint32: "U32",
  bool: "BOOL",
};

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Serializes tensors to safetensors bytes. Deterministic: names sorted, data in name order, the
 * header padded with spaces to a multiple of 8 bytes so the buffer starts aligned.
 *
 * @example writeSafetensors({ w: { dtype: "float32", shape: [2], data: new Float32Array([1, 2]) } })
 */
export function writeSafetensors(tensors: Record<string, TensorEntry> | Map<string, TensorEntry>, metadata?: Record<string, string>): Uint8Array {
  const entries = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new TypeError(`writeSafetensors: metadata values must be strings; "${k}" is ${typeof v}. Use JSON.stringify for structured values.`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === "" || name === "__metadata__") throw new TypeError(`writeSafetensors: tensor name ${JSON.stringify(name)} is reserved or empty; rename the tensor.`);
    const fileDtype = KILN_TO_FILE[t.dtype];
    if (!fileDtype) throw new TypeError(`writeSafetensors: tensor "${name}" has dtype ${String(t.dtype)}; expected one of ${Object.keys(KILN_TO_FILE).join(", ")}.`);
    const size = t.shape.reduce((a, d) => {
      if (!Number.isSafeInteger(d) || d < 0) throw new TypeError(`writeSafetensors: tensor "${name}" has shape [${t.shape}]; dimensions must be non-negative integers.`);
      return a * d;
    }, 1);
    if (t.data.length !== size) throw new TypeError(`writeSafetensors: tensor "${name}" has shape [${t.shape}] (${size} elements) but ${t.data.length} data values; pass data of the shape's size.`);
    const nbytes = size * FILE_DTYPES[fileDtype].bytes;
    header[name] = { dtype: fileDtype, shape: [...t.shape], data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen); // trailing spaces are allowed by the spec
  let pos = 8 + headerLen;
  for (const [, t] of entries) pos = writeData(out, view, pos, t);
  return out;
}

function writeData(out: Uint8Array, view: DataView, pos: number, t: TensorEntry): number {
  const { data } = t;
  const n = data.length;
  switch (t.dtype) {
    case "float16":
      for (let i = 0; i < n; i++) view.setUint16(pos + 2 * i, numberToF16Bits(data[i]), true);
      return pos + 2 * n;
    case "bool":
      for (let i = 0; i < n; i++) out[pos + i] = data[i] ? 1 : 0;
      return pos + n;
    default: {
      const Ctor = allocTyped(t.dtype, 0).constructor as new (a: ArrayLike<number>) => TypedArray;
      // Reinterpret through the right array type (converting if the caller passed another kind).
      const typed = data instanceof Ctor ? data : new Ctor(data);
      const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
      if (LITTLE_ENDIAN) out.set(bytes, pos);
      else for (let i = 0; i < n; i++) setLE(view, pos, i, t.dtype, typed[i]);
      return pos + bytes.length;
    }
  }
}

function setLE(view: DataView, pos: number, i: number, dtype: DType, v: number): void {
  if (dtype === "float64") view.setFloat64(pos + 8 * i, v, true);
  else if (dtype === "float32") view.setFloat32(pos + 4 * i, v, true);
  else if (dtype === "int32") view.setInt32(pos + 4 * i, v, true);
  else view.setUint32(pos + 4 * i, v, true);
}

/** A header entry after validation: its place in the buffer, nothing allocated yet. */
interface Planned {
  readonly name: string;
  readonly fileDtype: string;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

/**
 * Parses safetensors bytes, validating everything before allocating tensors.
 * Throws `ArchiveError` (and only that) for any malformed or hostile input.
 *
 * @example readSafetensors(bytes).tensors.get("dense/kernel")?.shape // [784, 128]
 */
export function readSafetensors(bytes: Uint8Array, limits: SafetensorsLimits = {}, what = "safetensors"): SafetensorsFile {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  if (!(bytes instanceof Uint8Array)) throw new ArchiveError("BAD_HEADER", `${what}: expected a Uint8Array, received ${typeof bytes}.`);
  if (bytes.length < 8) throw new ArchiveError("TRUNCATED", `${what}: ${bytes.length} bytes is too short for the 8-byte header length; the file is truncated.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(lim.maxHeaderBytes)) {
    throw new ArchiveError("TOO_LARGE", `${what}: header length ${declared} exceeds the limit of ${lim.maxHeaderBytes} bytes; the file is corrupt (raise limits.maxHeaderBytes only for a trusted file).`);
  }
  const n = Number(declared);
  if (8 + n > bytes.length) throw new ArchiveError("TRUNCATED", `${what}: header declares ${n} bytes but only ${bytes.length - 8} follow; the file is truncated.`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new ArchiveError("BAD_HEADER", `${what}: the header is not valid UTF-8; the file is corrupt.`);
  }
  const header = expectObject(parseJson(text, `${what} header`), `${what} header`);
  const dup = findDuplicateKey(text);
  if (dup !== undefined) throw new ArchiveError("DUPLICATE_KEY", `${what}: the header names ${JSON.stringify(dup)} twice; the file is corrupt.`);
  const metadata = readMetadata(header.__metadata__, what);
  const plan = planTensors(header, bytes.length - 8 - n, lim, what);
  const dataStart = 8 + n;
  const tensors = new Map<string, TensorEntry>();
  const fileDtypes = new Map<string, string>();
  for (const p of plan) {
    tensors.set(p.name, copyTensor(bytes, dataStart, p, what));
    fileDtypes.set(p.name, p.fileDtype);
  }
  return { tensors, metadata, fileDtypes };
}

function readMetadata(raw: JsonObject[string] | undefined, what: string): Record<string, string> {
  if (raw === undefined) return {};
  const obj = expectObject(raw, `${what} __metadata__`);
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== "string") throw new ArchiveError("BAD_HEADER", `${what}: __metadata__.${k} is ${typeof v}; the spec allows only string values.`);
    out[k] = v;
  }
  return { ...out };
}

function planTensors(header: JsonObject, bufferLength: number, lim: Required<SafetensorsLimits>, what: string): Planned[] {
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  if (names.length > lim.maxTensors) throw new ArchiveError("TOO_LARGE", `${what}: ${names.length} tensors exceed the limit of ${lim.maxTensors}.`);
  const plan: Planned[] = [];
  for (const name of names) {
    const bad = (why: string) => new ArchiveError("BAD_HEADER", `${what}: tensor ${JSON.stringify(name)} ${why}; the file is corrupt or was not written by a safetensors writer.`);
    if (name === "") throw bad("has an empty name");
    const e = header[name];
    if (e === null || typeof e !== "object" || Array.isArray(e)) throw bad("is not an object");
    const { dtype, shape, data_offsets: offs } = e;
    if (typeof dtype !== "string") throw bad("has no string dtype");
    const spec = Object.hasOwn(FILE_DTYPES, dtype) ? FILE_DTYPES[dtype] : undefined;
    if (!spec) {
      throw new ArchiveError("BAD_DTYPE", `${what}: tensor ${JSON.stringify(name)} has dtype ${JSON.stringify(dtype)}; Kiln reads ${Object.keys(FILE_DTYPES).join(", ")}. Convert the tensor before saving.`);
    }
    if (!Array.isArray(shape) || shape.length > lim.maxRank) throw bad(`has a shape that is not an array of at most ${lim.maxRank} dimensions`);
    let nonzero = 1;
    for (const d of shape) {
      if (typeof d !== "number" || !Number.isInteger(d) || d < 0 || d > MAX_DIM) throw bad(`has shape ${JSON.stringify(shape)}; dimensions must be integers in [0, ${MAX_DIM}]`);
      nonzero *= Math.max(d, 1);
    }
    // Even an empty tensor must have a shape whose other dimensions multiply exactly.
    if (nonzero > Number.MAX_SAFE_INTEGER) throw bad(`has shape ${JSON.stringify(shape)}, whose dimensions multiply past 2^53`);
    let size = (shape as number[]).includes(0) ? 0 : 1;
    for (const d of size ? (shape as number[]) : []) {
      size *= d; // d >= 1 here, so the product only grows: stop before it loses precision
      if (size * spec.bytes > bufferLength) throw bad(`declares shape ${JSON.stringify(shape)}, larger than the ${bufferLength}-byte data buffer`);
    }
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => typeof o === "number" && Number.isSafeInteger(o) && o >= 0)) {
      throw bad("has data_offsets that are not two non-negative integers");
    }
    const [begin, end] = offs as number[];
    if (begin > end || end > bufferLength) throw bad(`has data_offsets [${begin}, ${end}] outside the ${bufferLength}-byte data buffer`);
    if (end - begin !== size * spec.bytes) throw bad(`has ${end - begin} bytes for shape ${JSON.stringify(shape)} of ${dtype} (${size * spec.bytes} expected)`);
    plan.push({ name, fileDtype: dtype, shape: shape as number[], begin, end });
  }
  // The spec requires the tensors to tile the buffer: no holes, no overlaps, nothing after.
  const sorted = [...plan].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const p of sorted) {
    if (p.begin !== at) {
      throw new ArchiveError("BAD_HEADER", `${what}: tensor ${JSON.stringify(p.name)} starts at byte ${p.begin} but the previous data ends at ${at}; tensors must cover the buffer without ${p.begin < at ? "overlaps" : "holes"}.`);
    }
    at = p.end;
  }
  if (at !== bufferLength) throw new ArchiveError("BAD_HEADER", `${what}: tensors cover ${at} bytes but the data buffer has ${bufferLength}; the file has trailing or missing bytes.`);
  return plan;
}

function copyTensor(bytes: Uint8Array, dataStart: number, p: Planned, what: string): TensorEntry {
  const spec = FILE_DTYPES[p.fileDtype];
  const count = (p.end - p.begin) / spec.bytes;
  const src = bytes.subarray(dataStart + p.begin, dataStart + p.end);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const data = allocTyped(spec.kiln, count);
  const direct = LITTLE_ENDIAN && spec.bytes === data.BYTES_PER_ELEMENT && p.fileDtype !== "BOOL" && p.fileDtype !== "U64";
  if (direct) {
    // A fresh, aligned array; copying bytes preserves NaN payloads and signed zeros exactly.
    new Uint8Array(data.buffer).set(src);
  } else {
    const read = reader(p.fileDtype, view);
    for (let i = 0; i < count; i++) {
      const v = read(i);
      if (v === undefined) {
        throw new ArchiveError("BAD_DTYPE", `${what}: tensor ${JSON.stringify(p.name)} (${p.fileDtype}) holds a value at index ${i} outside the range of ${spec.kiln}; Kiln has no 64-bit integers. Cast it to I32 before saving.`);
      }
      data[i] = v;
    }
  }
  return { dtype: spec.kiln, shape: p.shape, data };
}

/** Reads element i as a number, or undefined when it does not fit the Kiln dtype. */
function reader(dtype: string, v: DataView): (i: number) => number | undefined {
  switch (dtype) {
    case "F64": return (i) => v.getFloat64(8 * i, true);
    case "F32": return (i) => v.getFloat32(4 * i, true);
    case "F16": return (i) => f16BitsToNumber(v.getUint16(2 * i, true));
    case "BF16": return (i) => { scratch.setUint32(0, v.getUint16(2 * i, true) << 16, true); return scratch.getFloat32(0, true); };
    case "I32": return (i) => v.getInt32(4 * i, true);
    case "U32": return (i) => v.getUint32(4 * i, true);
    case "I16": return (i) => v.getInt16(2 * i, true);
    case "U16": return (i) => v.getUint16(2 * i, true);
    case "I8": return (i) => v.getInt8(i);
    case "U8": return (i) => v.getUint8(i);
    case "BOOL": return (i) => (v.getUint8(i) ? 1 : 0);
    case "I64": return (i) => { const x = v.getBigInt64(8 * i, true); return x >= -(2n ** 31n) && x < 2n ** 31n ? Number(x) : undefined; };
    case "U64": return (i) => { const x = v.getBigUint64(8 * i, true); return x < 2n ** 32n ? Number(x) : undefined; };
    default: throw new Error(`internal: no reader for ${dtype}`);
  }
}

const scratch = new DataView(new ArrayBuffer(4));

// ---- binary16 <-> number (io may not import the backend's helpers) -----------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a number, rounded to nearest even through its float32 value. */
export function numberToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // inf, NaN (quiet)
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: rounds to zero
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++; // a carry into the exponent is correct
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | Math.min(half, 0x7c00);
}

/** The number a binary16 bit pattern denotes. */
export function f16BitsToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m === 0 ? s * Infinity : NaN;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}
