import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { DType } from "../ir/dtype.js";
import { ArchiveError, type ArchiveErrorCode } from "./json-config.js";
import { f16BitsToNumber, numberToF16Bits, readSafetensors, writeSafetensors, type TensorEntry } from "./safetensors.js";
import { propertyRuns } from "../../tests/helpers/assert.js";

/** A file built by hand from a header string and data bytes, exactly as the spec lays it out. */
function rawFile(header: string, data: number[] | Uint8Array = []): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectCode(fn: () => unknown, code: ArchiveErrorCode): ArchiveError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ArchiveError);
    expect((e as ArchiveError).code).toBe(code);
    return e as ArchiveError;
  }
  throw new Error(`expected ArchiveError ${code}, but nothing was thrown`);
}

const f32 = (shape: number[], values: number[]): TensorEntry => ({ dtype: "float32", shape, data: Float32Array.from(values) });

describe("writeSafetensors: bytes as the spec lays them out", () => {
  it("writes the u64 header length, sorted names, space padding to 8 bytes, and LE data", () => {
    const bytes = writeSafetensors({ b: { dtype: "int32", shape: [1], data: Int32Array.of(-2) }, a: f32([2], [1, 0.5]) }, { k: "v" });
    const view = new DataView(bytes.buffer);
    const n = Number(view.getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    const json = '{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1],"data_offsets":[8,12]}}';
    expect(header).toBe(json + " ".repeat(n - json.length));
    expect(bytes.length).toBe(8 + n + 12);
    expect([...bytes.subarray(8 + n)]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0x3f, 0xfe, 0xff, 0xff, 0xff]);
  });

  it("is deterministic: insertion order does not matter", () => {
    const x = f32([1], [1]);
    const y: TensorEntry = { dtype: "bool", shape: [2], data: Uint8Array.of(1, 0) };
    expect(writeSafetensors({ x, y })).toEqual(writeSafetensors({ y, x }));
  });

  it("rejects data that does not match the shape, and reserved names", () => {
    expect(() => writeSafetensors({ w: f32([3], [1, 2]) })).toThrow(/3 elements\) but 2 data values/);
    expect(() => writeSafetensors({ __metadata__: f32([1], [1]) })).toThrow(TypeError);
    expect(() => writeSafetensors({ w: f32([-1], []) })).toThrow(/non-negative/);
  });
});

describe("readSafetensors", () => {
  it("reads a hand-built file (unsorted keys, no padding, offsets out of name order)", () => {
    const data = new Uint8Array(12);
    const dv = new DataView(data.buffer);
    dv.setFloat32(0, 3.5, true);
    dv.setUint16(4, 0x3c00, true); // f16 1.0
    dv.setUint16(6, 0xc100, true); // f16 -2.5
    dv.setInt32(8, 123456, true);
    const file = rawFile('{"z":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"h":{"data_offsets":[4,8],"shape":[2,1],"dtype":"F16"},"i":{"dtype":"I32","shape":[1],"data_offsets":[8,12]},"__metadata__":{"format":"pt"}}', data);
    const r = readSafetensors(file);
    expect(r.metadata).toEqual({ format: "pt" });
    expect(r.tensors.get("z")).toEqual({ dtype: "float32", shape: [], data: Float32Array.of(3.5) });
    expect(r.tensors.get("h")).toEqual({ dtype: "float16", shape: [2, 1], data: Float32Array.of(1, -2.5) });
    expect([...r.tensors.get("i")!.data]).toEqual([123456]);
  });

  it("round-trips every Kiln dtype, empty tensors, scalars and metadata", () => {
    const tensors: Record<string, TensorEntry> = {
      f64: { dtype: "float64", shape: [3], data: Float64Array.of(Math.PI, -0, 1e300) },
      f32: f32([2, 2], [1, -1, NaN, Infinity]),
      f16: { dtype: "float16", shape: [4], data: Float32Array.of(0.099975586, 65504, -Infinity, 2 ** -24) },
      i32: { dtype: "int32", shape: [2], data: Int32Array.of(-(2 ** 31), 2 ** 31 - 1) },
      u32: { dtype: "uint32", shape: [1], data: Uint32Array.of(2 ** 32 - 1) },
      bool: { dtype: "bool", shape: [3], data: Uint8Array.of(1, 0, 1) },
      empty: f32([2, 0, 3], []),
      scalar: { dtype: "int32", shape: [], data: Int32Array.of(7) },
    };
    const r = readSafetensors(writeSafetensors(tensors, { author: "kiln", note: "" }));
    expect(r.metadata).toEqual({ author: "kiln", note: "" });
    expect(new Map([...r.tensors].map(([k, v]) => [k, v]))).toEqual(new Map(Object.entries(tensors)));
    expect(Object.is(r.tensors.get("f64")!.data[1], -0)).toBe(true);
  });

  it("widens the other safetensors integer and bfloat16 dtypes exactly", () => {
    const data = Uint8Array.of(0xff, 0xff, 0xff, 0xfe, 0xff, 0x80, 0x3f, /* I64 -3 */ 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    const file = rawFile('{"a":{"dtype":"I8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"c":{"dtype":"I16","shape":[1],"data_offsets":[2,4]},"d":{"dtype":"U16","shape":[0,1000],"data_offsets":[4,4]},"e":{"dtype":"BF16","shape":[1],"data_offsets":[5,7]},"f":{"dtype":"BOOL","shape":[1],"data_offsets":[4,5]},"g":{"dtype":"I64","shape":[1],"data_offsets":[7,15]}}', data);
    const r = readSafetensors(file);
    const v = (k: string) => [r.tensors.get(k)!.dtype, ...r.tensors.get(k)!.data];
    expect(v("a")).toEqual(["int32", -1]);
    expect(v("b")).toEqual(["int32", 255]);
    expect(v("c")).toEqual(["int32", -257]);
    expect(v("d")).toEqual(["int32"]);
    expect(v("e")).toEqual(["float32", 1]);
    expect(v("f")).toEqual(["bool", 1]); // 0xff is normalized to true
    expect(v("g")).toEqual(["int32", -3]);
    expect(r.fileDtypes.get("a")).toBe("I8");
  });

  it("refuses 64-bit integers that do not fit and dtypes Kiln lacks", () => {
    const big = new Uint8Array(8);
    new DataView(big.buffer).setBigInt64(0, 2n ** 40n, true);
    expectCode(() => readSafetensors(rawFile('{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', big)), "BAD_DTYPE");
    expectCode(() => readSafetensors(rawFile('{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', [0])), "BAD_DTYPE");
    expectCode(() => readSafetensors(rawFile('{"a":{"dtype":"toString","shape":[1],"data_offsets":[0,1]}}', [0])), "BAD_DTYPE");
  });

  const cases: [string, string | Uint8Array, ArchiveErrorCode, number[]?][] = [
    ["too short for the length", Uint8Array.of(1, 2, 3), "TRUNCATED"],
    ["header longer than the file", Uint8Array.of(100, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d), "TRUNCATED"],
    ["header length of 2^64 - 1", Uint8Array.of(255, 255, 255, 255, 255, 255, 255, 255), "TOO_LARGE"],
    ["not JSON", "{nope", "BAD_JSON"],
    ["a JSON array", "[1,2]", "BAD_JSON"],
    ["an entry that is not an object", '{"a":3}', "BAD_HEADER"],
    ["a negative dimension", '{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}', "BAD_HEADER"],
    ["a fractional dimension", '{"a":{"dtype":"F32","shape":[0.5],"data_offsets":[0,0]}}', "BAD_HEADER"],
    ["a string dimension", '{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}', "BAD_HEADER", [0, 0, 0, 0]],
    ["a size that does not match the offsets", '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', "BAD_HEADER", [0, 0, 0, 0]],
    ["offsets past the buffer", '{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}', "BAD_HEADER", [1, 2]],
    ["reversed offsets", '{"a":{"dtype":"U8","shape":[0],"data_offsets":[2,1]}}', "BAD_HEADER", [1, 2]],
    ["a hole", '{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', "BAD_HEADER", [1, 2]],
    ["an overlap", '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', "BAD_HEADER", [1, 2]],
    ["trailing bytes", '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', "BAD_HEADER", [1, 2]],
    ["an empty name", '{"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', "BAD_HEADER", [1]],
    ["a duplicate name", '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', "DUPLICATE_KEY", [1]],
    ["non-string metadata", '{"__metadata__":{"n":1}}', "BAD_HEADER"],
    ["a [1e9, 1e9] shape", '{"a":{"dtype":"F64","shape":[1000000000,1000000000],"data_offsets":[0,8000000000000000000]}}', "BAD_HEADER"],
    ["a dimension past int32", '{"a":{"dtype":"U8","shape":[2147483648,0],"data_offsets":[0,0]}}', "BAD_HEADER"],
    ["a shape whose product overflows", '{"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647,0],"data_offsets":[0,0]}}', "BAD_HEADER"],
  ];
  for (const [what, input, code, data] of cases) {
    it(`rejects ${what} with ${code}`, () => {
      const bytes = typeof input === "string" ? rawFile(input, data) : input;
      const err = expectCode(() => readSafetensors(bytes), code);
      expect(err.message.length).toBeGreaterThan(20);
    });
  }

  it("applies the header-size and rank limits", () => {
    expectCode(() => readSafetensors(rawFile('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [1]), { maxHeaderBytes: 10 }), "TOO_LARGE");
    expectCode(() => readSafetensors(rawFile('{"a":{"dtype":"U8","shape":[1,1,1],"data_offsets":[0,1]}}', [1]), { maxRank: 2 }), "BAD_HEADER");
    expectCode(() => readSafetensors(rawFile('{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'), { maxTensors: 1 }), "TOO_LARGE");
  });

  it("copies data out: results do not alias the file and are aligned", () => {
    const file = writeSafetensors({ a: { dtype: "bool", shape: [1], data: Uint8Array.of(1) }, b: f32([1], [2]) });
    const r = readSafetensors(file.subarray(0)); // b starts at an odd offset in the buffer
    file.fill(0, 8 + Number(new DataView(file.buffer).getBigUint64(0, true)));
    expect([...r.tensors.get("b")!.data]).toEqual([2]);
  });
});

describe("float16 conversion", () => {
  it("matches IEEE binary16 bits (values checked against numpy.float16)", () => {
    const table: [number, number][] = [
      [1, 0x3c00], [-2.5, 0xc100], [0.1, 0x2e66], [1 / 3, 0x3555], [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00],
      [1e-8, 0], [3e-8, 1], [2 ** -25, 0], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [6.1e-5, 0x3ff],
      [2 ** -14 * 0.75 + 2 ** -26, 0x300], [-0, 0x8000], [Infinity, 0x7c00], [-Infinity, 0xfc00],
    ];
    for (const [x, bits] of table) expect([x, numberToF16Bits(x)]).toEqual([x, bits]);
    expect(numberToF16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(numberToF16Bits(NaN) & 0x3ff).not.toBe(0);
  });

  it("round-trips all 65536 bit patterns (NaNs stay NaN)", () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = f16BitsToNumber(h);
      if (Number.isNaN(x)) expect(Number.isNaN(f16BitsToNumber(numberToF16Bits(x)))).toBe(true);
      else if (numberToF16Bits(x) !== h) throw new Error(`f16 bits ${h.toString(16)} -> ${x} -> ${numberToF16Bits(x).toString(16)}`);
    }
  });
});

describe("fuzzing", () => {
  const dtypes: DType[] = ["float32", "float64", "float16", "int32", "uint32", "bool"];
  const tensor = fc.record({ dtype: fc.constantFrom(...dtypes), shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }) }).chain(({ dtype, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values =
      dtype === "bool" ? fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }) :
      dtype === "int32" ? fc.array(fc.integer(), { minLength: n, maxLength: n }) :
      dtype === "uint32" ? fc.array(fc.nat(), { minLength: n, maxLength: n }) :
      fc.array(fc.float({ noNaN: true }), { minLength: n, maxLength: n });
    return values.map((v) => {
      const data = { float32: Float32Array, float16: Float32Array, float64: Float64Array, int32: Int32Array, uint32: Uint32Array, bool: Uint8Array }[dtype].from(v);
      if (dtype === "float16") data.forEach((x, i) => (data[i] = f16BitsToNumber(numberToF16Bits(x))));
      return { dtype, shape, data } as TensorEntry;
    });
  });
  const files = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s !== "__metadata__"), tensor, { maxKeys: 4 });

  it("round-trips random tensors", () => {
    fc.assert(fc.property(files, (ts) => {
      const r = readSafetensors(writeSafetensors(ts));
      expect(Object.fromEntries(r.tensors)).toEqual(ts);
    }), { numRuns: propertyRuns(100) });
  });

  /** Parses or throws ArchiveError, and never returns more host memory than the file could hold. */
  const parsesSafely = (bytes: Uint8Array) => {
    try {
      const r = readSafetensors(bytes);
      const total = [...r.tensors.values()].reduce((a, t) => a + t.data.byteLength, 0);
      expect(total).toBeLessThanOrEqual(4 * bytes.length);
    } catch (e) {
      if (!(e instanceof ArchiveError)) throw e;
    }
  };

  it("mutated, truncated or extended files parse or throw ArchiveError", () => {
    const edit = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), byte: fc.constant(0) }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(fc.property(files, fc.array(edit, { minLength: 1, maxLength: 4 }), (ts, edits) => {
      let bytes = writeSafetensors(ts, { m: "x" });
      for (const { kind, at, byte } of edits) {
        const i = bytes.length ? at % bytes.length : 0;
        if (kind === "set" && bytes.length) bytes[i] = byte;
        else if (kind === "cut") bytes = bytes.slice(0, i);
        else bytes = Uint8Array.from([...bytes.subarray(0, i), byte, ...bytes.subarray(i)]);
      }
      parsesSafely(bytes);
    }), { numRuns: propertyRuns(300) });
  });

  it("hostile headers (random dtypes, shapes, offsets) parse or throw ArchiveError", () => {
    const dim = fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constantFrom(1e9, 2 ** 53, 2 ** 53 + 2, 1e300, 0.5, -0), fc.string({ maxLength: 2 }));
    const entry = fc.record({
      dtype: fc.oneof(fc.constantFrom("F32", "F16", "BF16", "I64", "U64", "BOOL", "F64", "U8", "F8_E5M2"), fc.string({ maxLength: 4 })),
      shape: fc.oneof(fc.array(dim, { maxLength: 3 }), fc.constant(null)),
      data_offsets: fc.oneof(fc.tuple(fc.integer({ min: -1, max: 40 }), fc.integer({ min: -1, max: 40 })), fc.array(fc.oneof(fc.nat(), fc.constant(1e20)), { maxLength: 3 })),
    }, { requiredKeys: [] });
    const header = fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(entry, fc.jsonValue({ maxDepth: 2 })), { maxKeys: 3 });
    fc.assert(fc.property(header, fc.uint8Array({ maxLength: 40 }), (h, data) => parsesSafely(rawFile(JSON.stringify(h), data))), { numRuns: propertyRuns(500) });
  });
});
