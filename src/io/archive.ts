/**
 * @file The `.kiln` model archive (docs/model-format.md): a zip holding `metadata.json`,
 * `config.json`, `model.weights.safetensors` and, when asked, `optimizer.weights.safetensors`
 * and `optimizer.json`. Zip work is fflate's; this module decides what goes in and checks,
 * before inflating anything, that what comes out is bounded and expected.
 *
 * Reading treats the archive as hostile: sizes are checked against limits and against the
 * deflate ratio from the central directory before inflation, lengths again after it, each entry
 * against the CRC-32 in metadata.json, and every JSON through json-config's strict parser. Only
 * `ArchiveError` escapes `readArchive`. Nothing read is ever evaluated.
 */
import { unzipSync, zipSync, type Zippable } from "fflate";
import { ArchiveError, expectObject, parseConfigJson, type JsonLimits, type JsonObject, type JsonValue } from "./json-config.js";
import { readSafetensors, writeSafetensors, type SafetensorsFile, type SafetensorsLimits, type TensorEntry } from "./safetensors.js";

export const ARCHIVE_FORMAT = "kiln-model";
export const ARCHIVE_VERSION = 1;
/** Written into metadata.json; kept in step with package.json's version. */
export const KILN_VERSION = "0.1.0";

export const ENTRY = {
  metadata: "metadata.json",
  config: "config.json",
  weights: "model.weights.safetensors",
  optimizerWeights: "optimizer.weights.safetensors",
  optimizerConfig: "optimizer.json",
} as const;
const KNOWN = new Set<string>(Object.values(ENTRY));
const JSON_ENTRIES = new Set<string>([ENTRY.metadata, ENTRY.config, ENTRY.optimizerConfig]);

/** metadata.json: what the archive is, and a size and CRC-32 per entry it vouches for. */
export interface ArchiveMetadata {
  readonly format: typeof ARCHIVE_FORMAT;
  readonly version: number;
  readonly kilnVersion: string;
  readonly createdAt?: string;
  readonly entries: Record<string, { readonly size: number; readonly crc32: number }>;
}

export type Tensors = Record<string, TensorEntry> | Map<string, TensorEntry>;

/** What `writeArchive` stores. `config` is opaque here; the model layer defines it. */
export interface ArchiveContents {
  readonly config: JsonValue;
  readonly weights: Tensors;
  readonly optimizer?: Tensors;
  readonly optimizerConfig?: JsonValue;
  /** An ISO date for metadata.json; omitted by default so that equal models give equal bytes. */
  readonly createdAt?: string;
}

/** What `readArchive` returns: everything validated, tensors on the host. */
export interface ArchiveData {
  readonly metadata: ArchiveMetadata;
  readonly config: JsonValue;
  readonly weights: SafetensorsFile;
  readonly optimizer?: SafetensorsFile;
  readonly optimizerConfig?: JsonValue;
}

export interface ArchiveLimits {
  /** Largest archive file (default 4 GiB). */
  readonly maxArchiveBytes?: number;
  /** Largest uncompressed entry (default 4 GiB). */
  readonly maxEntryBytes?: number;
  /** Largest sum of uncompressed entries (default 8 GiB). */
  readonly maxTotalBytes?: number;
  /** Most zip entries (default 16; version 1 defines 5). */
  readonly maxEntries?: number;
  /** Limits for metadata.json, config.json and optimizer.json (their maxBytes caps the entry). */
  readonly json?: JsonLimits;
  readonly safetensors?: SafetensorsLimits;
}

const DEFAULTS = { maxArchiveBytes: 2 ** 32, maxEntryBytes: 2 ** 32, maxTotalBytes: 2 ** 33, maxEntries: 16, jsonBytes: 64 * 2 ** 20 };
// Deflate cannot expand more than ~1032:1 (258-byte matches coded in 2 bits); more is a lie.
const MAX_DEFLATE_RATIO = 1032;
// DOS timestamps start in 1980; a fixed, local-time date keeps the bytes reproducible.
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/**
 * Builds the archive bytes. Deterministic for equal contents (fixed timestamps, sorted tensors).
 *
 * @example writeArchive({ config: model.toJSON(), weights: { "dense/kernel": kernelEntry } })
 */
export function writeArchive(contents: ArchiveContents): Uint8Array {
  const enc = new TextEncoder();
  const files: [string, Uint8Array, number][] = [
    [ENTRY.config, enc.encode(JSON.stringify(contents.config)), 6],
    [ENTRY.weights, writeSafetensors(contents.weights), 0], // floats barely compress; store them
  ];
  if (contents.optimizer) files.push([ENTRY.optimizerWeights, writeSafetensors(contents.optimizer), 0]);
  if (contents.optimizerConfig !== undefined) files.push([ENTRY.optimizerConfig, enc.encode(JSON.stringify(contents.optimizerConfig)), 6]);
  const metadata: ArchiveMetadata = {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    kilnVersion: KILN_VERSION,
    ...(contents.createdAt ? { createdAt: contents.createdAt } : {}),
    entries: Object.fromEntries(files.map(([name, data]) => [name, { size: data.length, crc32: crc32(data) }])),
  };
  const zippable: Zippable = { [ENTRY.metadata]: [enc.encode(JSON.stringify(metadata, null, 2)), { level: 6 }] };
  for (const [name, data, level] of files) zippable[name] = [data, { level: level as 0 | 6 }];
  return zipSync(zippable, { mtime: FIXED_MTIME });
}

/**
 * Reads and validates archive bytes. Throws `ArchiveError` (only that) when anything is wrong.
 *
 * @example const { config, weights } = readArchive(bytes); weights.tensors.get("dense/kernel")
 */
export function readArchive(bytes: Uint8Array, limits: ArchiveLimits = {}): ArchiveData {
  const files = unzipChecked(bytes, limits);
  const text = (name: string): string => {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(files[name]);
    } catch {
      throw new ArchiveError("BAD_JSON", `${name}: not valid UTF-8 text; the archive is corrupt.`);
    }
  };
  const metadata = readMetadata(parseConfigJson(text(ENTRY.metadata), limits.json, ENTRY.metadata));
  for (const name of Object.keys(files)) {
    const want = metadata.entries[name];
    if (!want) continue; // not vouched for: hand-edited entries stay loadable (docs/model-format.md)
    if (files[name].length !== want.size || crc32(files[name]) !== want.crc32) {
      throw new ArchiveError("BAD_CHECKSUM", `${name}: its bytes do not match the size and CRC-32 in metadata.json; the archive is corrupt. (If you edited the entry on purpose, delete its line from metadata.json "entries".)`);
    }
  }
  for (const name of Object.keys(metadata.entries)) {
    if (!files[name]) throw new ArchiveError("MISSING_ENTRY", `metadata.json lists "${name}" but the archive has no such entry; the archive is incomplete.`);
  }
  const config = parseConfigJson(text(ENTRY.config), limits.json, ENTRY.config);
  const weights = readSafetensors(files[ENTRY.weights], limits.safetensors, ENTRY.weights);
  const optimizer = files[ENTRY.optimizerWeights] ? readSafetensors(files[ENTRY.optimizerWeights], limits.safetensors, ENTRY.optimizerWeights) : undefined;
  const optimizerConfig = files[ENTRY.optimizerConfig] ? parseConfigJson(text(ENTRY.optimizerConfig), limits.json, ENTRY.optimizerConfig) : undefined;
  return { metadata, config, weights, ...(optimizer ? { optimizer } : {}), ...(optimizerConfig !== undefined ? { optimizerConfig } : {}) };
}

/** Unzips with every size checked from the central directory before inflation. */
function unzipChecked(bytes: Uint8Array, limits: ArchiveLimits): Record<string, Uint8Array> {
  const maxArchive = limits.maxArchiveBytes ?? DEFAULTS.maxArchiveBytes;
  const maxEntry = limits.maxEntryBytes ?? DEFAULTS.maxEntryBytes;
  const maxTotal = limits.maxTotalBytes ?? DEFAULTS.maxTotalBytes;
  const maxEntries = limits.maxEntries ?? DEFAULTS.maxEntries;
  const maxJson = limits.json?.maxBytes ?? DEFAULTS.jsonBytes;
  if (!(bytes instanceof Uint8Array)) throw new ArchiveError("BAD_ZIP", `readArchive: expected a Uint8Array, received ${typeof bytes}.`);
  if (bytes.length > maxArchive) throw new ArchiveError("TOO_LARGE", `readArchive: ${bytes.length} bytes exceeds limits.maxArchiveBytes (${maxArchive}); raise it if the file is trusted.`);
  if (bytes.length < 22) throw new ArchiveError("TRUNCATED", `readArchive: ${bytes.length} bytes is too short for a zip file; the archive is truncated or not a .kiln file.`);
  const declared = new Map<string, number>();
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: ({ name, size, originalSize, compression }) => {
        if (declared.size >= maxEntries) throw new ArchiveError("TOO_LARGE", `readArchive: more than ${maxEntries} zip entries; a .kiln archive has at most 5.`);
        if (!KNOWN.has(name)) {
          throw new ArchiveError("UNKNOWN_ENTRY", `readArchive: unexpected entry ${JSON.stringify(name.slice(0, 200))}; format version ${ARCHIVE_VERSION} holds only ${[...KNOWN].join(", ")}. Remove it from the zip.`);
        }
        if (declared.has(name)) throw new ArchiveError("DUPLICATE_KEY", `readArchive: the zip holds "${name}" twice; the archive is corrupt.`);
        const cap = JSON_ENTRIES.has(name) ? Math.min(maxJson, maxEntry) : maxEntry;
        if (originalSize > cap) throw new ArchiveError("TOO_LARGE", `readArchive: "${name}" declares ${originalSize} uncompressed bytes, more than the limit of ${cap}; raise the limit if the file is trusted.`);
        if (compression !== 0 && compression !== 8) throw new ArchiveError("BAD_ZIP", `readArchive: "${name}" uses zip compression method ${compression}; only stored (0) and deflate (8) are read.`);
        if ((compression === 0 && originalSize !== size) || (compression === 8 && originalSize > size * MAX_DEFLATE_RATIO + 1024)) {
          throw new ArchiveError("BAD_ZIP", `readArchive: "${name}" declares ${originalSize} bytes from ${size} compressed bytes, which its compression cannot produce; the archive is corrupt.`);
        }
        total += originalSize;
        if (total > maxTotal) throw new ArchiveError("TOO_LARGE", `readArchive: entries declare more than limits.maxTotalBytes (${maxTotal}) uncompressed bytes in total.`);
        declared.set(name, originalSize);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    throw new ArchiveError("BAD_ZIP", `readArchive: not a readable zip (${(e as Error)?.message ?? String(e)}); the archive is corrupt or not a .kiln file.`);
  }
  for (const [name, size] of declared) {
    // fflate inflates into a buffer of the declared size: a short result means the header lied.
    if (files[name]?.length !== size) throw new ArchiveError("TRUNCATED", `readArchive: "${name}" holds ${files[name]?.length ?? 0} bytes but declares ${size}; the archive is truncated or corrupt.`);
  }
  for (const name of [ENTRY.metadata, ENTRY.config, ENTRY.weights]) {
    if (!declared.has(name)) {
      throw new ArchiveError("MISSING_ENTRY", `readArchive: the archive has no "${name}"${declared.size === 0 ? " (it is empty)" : ""}; a .kiln archive needs ${ENTRY.metadata}, ${ENTRY.config} and ${ENTRY.weights}. Save it again with model.save().`);
    }
  }
  return Object.fromEntries([...declared.keys()].map((n) => [n, files[n]]));
}

function readMetadata(v: JsonValue): ArchiveMetadata {
  const m = expectObject(v, ENTRY.metadata);
  if (m.format !== ARCHIVE_FORMAT) {
    throw new ArchiveError("BAD_VERSION", `metadata.json: format is ${JSON.stringify(m.format)}, expected "${ARCHIVE_FORMAT}"; this is not a Kiln model archive (Keras .keras files are not read directly).`);
  }
  if (typeof m.version !== "number" || !Number.isInteger(m.version) || m.version < 1) {
    throw new ArchiveError("BAD_VERSION", `metadata.json: version is ${JSON.stringify(m.version)}, expected a positive integer; the archive is corrupt.`);
  }
  if (m.version > ARCHIVE_VERSION) {
    throw new ArchiveError("BAD_VERSION", `metadata.json: format version ${m.version} was written by Kiln ${JSON.stringify(m.kilnVersion)}; this Kiln (${KILN_VERSION}) reads version ${ARCHIVE_VERSION}. Upgrade kiln to load it.`);
  }
  const entries: Record<string, { size: number; crc32: number }> = {};
  const raw = m.entries === undefined ? {} : expectObject(m.entries, "metadata.json entries");
  for (const [name, e] of Object.entries(raw)) {
    const o = expectObject(e, `metadata.json entries.${name}`) as JsonObject;
    if (!KNOWN.has(name) || name === ENTRY.metadata || !isSize(o.size) || !isSize(o.crc32)) {
      throw new ArchiveError("BAD_JSON", `metadata.json: entries.${name} must name a data entry and hold integer size and crc32; the archive is corrupt.`);
    }
    entries[name] = { size: o.size as number, crc32: o.crc32 as number };
  }
  return {
    format: ARCHIVE_FORMAT,
    version: m.version,
    kilnVersion: typeof m.kilnVersion === "string" ? m.kilnVersion : "unknown",
    ...(typeof m.createdAt === "string" ? { createdAt: m.createdAt } : {}),
    entries,
  };
}

const isSize = (x: JsonValue | undefined): boolean => typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= 2 ** 53;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zip and PNG use it) of the bytes. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

type NodeFs = typeof import("node:fs");

/** node:fs, loaded lazily so this module stays importable in browsers. */
function nodeFs(fn: string): NodeFs {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.("node:fs") as NodeFs | undefined;
  if (!fs) throw new Error(`${fn}: needs Node.js >= 20.16 (process.getBuiltinModule); in a browser, use ${fn === "readArchiveFile" ? "readArchive(bytes)" : "writeArchive(contents)"} instead.`);
  return fs;
}

/**
 * Writes an archive to a file, atomically (a temporary file renamed over the target), so a
 * checkpoint interrupted mid-write never leaves a half-written model behind.
 *
 * @example writeArchiveFile("model.kiln", { config, weights })
 */
export function writeArchiveFile(path: string, contents: ArchiveContents): void {
  const fs = nodeFs("writeArchiveFile");
  const tmp = `${path}.tmp-${(globalThis as { process?: { pid?: number } }).process?.pid ?? 0}-${Date.now()}`;
  fs.writeFileSync(tmp, writeArchive(contents));
  try {
    fs.renameSync(tmp, path);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Reads an archive file; the file size is checked before it is read. File-system errors
 * (missing file, permissions) surface as Node's own errors; content errors as `ArchiveError`.
 *
 * @example const { config, weights } = readArchiveFile("model.kiln")
 */
export function readArchiveFile(path: string, limits: ArchiveLimits = {}): ArchiveData {
  const fs = nodeFs("readArchiveFile");
  const max = limits.maxArchiveBytes ?? DEFAULTS.maxArchiveBytes;
  const size = fs.statSync(path).size;
  if (size > max) throw new ArchiveError("TOO_LARGE", `readArchiveFile: ${path} has ${size} bytes, more than limits.maxArchiveBytes (${max}); raise it if the file is trusted.`);
  return readArchive(fs.readFileSync(path), limits);
}
