/**
 * @file Strict JSON for untrusted model files: the typed `ArchiveError` shared by the safetensors
 * reader, the archive reader and this module, a `JsonValue` type, and a config parser that bounds
 * depth, sizes and key counts and refuses content that looks like code.
 *
 * Loading never evaluates anything: text goes through `JSON.parse` only, so a config holds data,
 * never functions. The code guard below is defence in depth and, above all, a clear message for
 * someone who tries to ship a Keras `Lambda` or a JS function in a config: Kiln rebuilds custom
 * classes only from an explicit registry (the model layer refuses unregistered class names).
 */

/** What went wrong, for callers that branch on it (the message says how to fix it). */
export type ArchiveErrorCode =
  | "TRUNCATED" // the bytes end before a declared length
  | "TOO_LARGE" // a size, count or depth exceeds a limit
  | "BAD_HEADER" // a malformed safetensors header or tensor entry
  | "BAD_DTYPE" // a dtype Kiln cannot represent
  | "BAD_JSON" // text that is not JSON, or JSON of the wrong shape
  | "BAD_ZIP" // bytes that are not a readable zip
  | "BAD_CHECKSUM" // an archive entry whose bytes do not match metadata.json
  | "DUPLICATE_KEY" // a JSON object or zip listing that names a key twice
  | "UNKNOWN_ENTRY" // a zip entry this format version does not define
  | "MISSING_ENTRY" // a required zip entry is absent
  | "BAD_VERSION" // not a Kiln model archive, or a version this Kiln cannot read
  | "CODE_IN_CONFIG"; // a config value that looks like a function or a serialized lambda

/** The one error type of untrusted-file parsing; never another type escapes the readers. */
export class ArchiveError extends Error {
  override name = "ArchiveError";
  constructor(
    readonly code: ArchiveErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON value as `JSON.parse` produces it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Bounds on a parsed config; every default is far above what a real Keras config needs. */
export interface JsonLimits {
  /** Longest accepted text, in UTF-16 code units (default 64 Mi). */
  readonly maxBytes?: number;
  /** Deepest nesting of arrays and objects (default 64). */
  readonly maxDepth?: number;
  /** Longest string, key or value (default 1 Mi). */
  readonly maxStringLength?: number;
  /** Most keys in one object (default 10,000). */
  readonly maxKeys?: number;
  /** Most values in total, containers included (default 1,000,000). */
  readonly maxNodes?: number;
}

const DEFAULTS: Required<JsonLimits> = {
  maxBytes: 64 * 2 ** 20,
  maxDepth: 64,
  maxStringLength: 2 ** 20,
  maxKeys: 10_000,
  maxNodes: 1_000_000,
};

/** Keys that would reach `Object.prototype` if a consumer ever spreads or assigns the config. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

// Function, arrow and class sources; Keras lambdas serialize as `__lambda__` or with function_type.
const CODE_PATTERNS = [
  /^\s*(async\s+)?function\b\s*\*?\s*[\w$]*\s*\(/,
  /^\s*(async\s*)?(\([^()]*\)|[A-Za-z_$][\w$]*)\s*=>/,
  /^\s*class\s+[\w$]*\s*(extends\s[^{]*)?\{/,
];

/**
 * Parses untrusted config text: `JSON.parse`, then duplicate-key detection and `validateConfig`.
 *
 * @example parseConfigJson('{"class_name": "Dense", "config": {"units": 4}}')
 */
export function parseConfigJson(text: string, limits: JsonLimits = {}, what = "config.json"): JsonValue {
  const lim = { ...DEFAULTS, ...limits };
  if (typeof text !== "string") throw new ArchiveError("BAD_JSON", `${what}: expected text, received ${typeof text}.`);
  if (text.length > lim.maxBytes) {
    throw new ArchiveError("TOO_LARGE", `${what}: ${text.length} characters exceeds the limit of ${lim.maxBytes}; raise limits.maxBytes if the file is trusted.`);
  }
  const value = parseJson(text, what);
  validateConfig(value, lim, what); // first: it bounds depth and size before the key scan
  const dup = findDuplicateKey(text);
  if (dup !== undefined) {
    throw new ArchiveError("DUPLICATE_KEY", `${what}: key ${JSON.stringify(dup)} appears twice in one object; JSON readers disagree on which wins, so Kiln refuses it. Remove one.`);
  }
  return value;
}

/** `JSON.parse` whose failures are `ArchiveError`s (a very deep text can overflow the stack). */
export function parseJson(text: string, what: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new ArchiveError("BAD_JSON", `${what}: not valid JSON (${(e as Error).message}); the file is corrupt or not a Kiln file.`);
  }
}

/**
 * Checks that a value is plain JSON data within the limits: finite numbers, bounded strings,
 * depth and key counts, no prototype keys, nothing that looks like code. Returns it unchanged.
 *
 * @example validateConfig({ units: 4, activation: "relu" }) // ok
 */
export function validateConfig(value: unknown, limits: JsonLimits = {}, what = "config"): JsonValue {
  const lim = { ...DEFAULTS, ...limits };
  let nodes = 0;
  const visit = (v: unknown, path: string, depth: number): void => {
    if (++nodes > lim.maxNodes) throw new ArchiveError("TOO_LARGE", `${what}: more than ${lim.maxNodes} values; raise limits.maxNodes if the file is trusted.`);
    if (v === null || typeof v === "boolean") return;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new ArchiveError("BAD_JSON", `${what}: ${path} is ${v}; JSON numbers must be finite.`);
      return;
    }
    if (typeof v === "string") {
      checkString(v, path);
      return;
    }
    if (typeof v !== "object") {
      throw new ArchiveError("CODE_IN_CONFIG", `${what}: ${path} is a ${typeof v}; configs hold only JSON data (null, booleans, numbers, strings, arrays, objects).`);
    }
    if (depth >= lim.maxDepth) throw new ArchiveError("TOO_LARGE", `${what}: nesting deeper than ${lim.maxDepth} at ${path}; raise limits.maxDepth if the file is trusted.`);
    if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, `${path}[${i}]`, depth + 1));
      return;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      throw new ArchiveError("CODE_IN_CONFIG", `${what}: ${path} is a class instance; configs hold only plain JSON objects.`);
    }
    const keys = Object.keys(v);
    if (keys.length > lim.maxKeys) throw new ArchiveError("TOO_LARGE", `${what}: ${path} has ${keys.length} keys, more than ${lim.maxKeys}; raise limits.maxKeys if the file is trusted.`);
    const obj = v as Record<string, unknown>;
    if (obj.class_name === "__lambda__" || obj.function_type === "lambda" || (obj.module === "builtins" && obj.class_name === "function")) {
      throw new ArchiveError("CODE_IN_CONFIG", `${what}: ${path} is a serialized lambda; Kiln never loads code from files. Write a Layer subclass and register it instead.`);
    }
    for (const k of keys) {
      if (FORBIDDEN_KEYS.has(k)) throw new ArchiveError("BAD_JSON", `${what}: ${path} has the key "${k}", which could reach Object.prototype; rename it.`);
      checkString(k, `${path} key`);
      visit(obj[k], `${path}.${k}`, depth + 1);
    }
  };
  const checkString = (s: string, path: string): void => {
    if (s.length > lim.maxStringLength) {
      throw new ArchiveError("TOO_LARGE", `${what}: ${path} is a string of ${s.length} characters, more than ${lim.maxStringLength}; raise limits.maxStringLength if the file is trusted.`);
    }
    if (s.length < 4096 && CODE_PATTERNS.some((re) => re.test(s))) {
      throw new ArchiveError("CODE_IN_CONFIG", `${what}: ${path} looks like JavaScript source (${JSON.stringify(s.slice(0, 40))}); Kiln never evaluates config text. Register a class and refer to it by name instead.`);
    }
  };
  visit(value, "$", 0);
  return value as JsonValue;
}

/**
 * The first key that appears twice in one object of a valid JSON text, if any. `JSON.parse`
 * keeps the last duplicate silently; a single linear scan finds them (strings are skipped
 * whole, so braces inside strings do not count).
 */
export function findDuplicateKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = []; // a Set per open object, null per open array
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      if (j >= text.length) return undefined; // unterminated: not JSON, which JSON.parse reports
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
      }
      expectKey = false;
      i = j;
    } else if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] != null;
    }
  }
  return undefined;
}

/** Narrows a JSON value to an object, or throws `ArchiveError` naming the file. */
export function expectObject(v: JsonValue, what: string): JsonObject {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new ArchiveError("BAD_JSON", `${what}: expected a JSON object, received ${v === null ? "null" : Array.isArray(v) ? "an array" : typeof v}.`);
  }
  return v;
}
