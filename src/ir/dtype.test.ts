import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  type DType, type TypeSpec, DTYPES, allocTyped, isBool, isDType, isFloat, isInt, isUnsigned, itemSize,
  promoteTypes, resultType, shortName,
} from "./dtype.js";
import { ALL_TYPE_SPECS, typeSpec } from "../../tests/property/generators.js";
import { propertyRuns } from "../../tests/helpers/assert.js";

// JAX's documented promotion table (jax 0.4.30, x64 disabled) restricted to Kiln's dtypes.
// i* / f* are weak int32 / weak float32. int64 does not exist, so u32 + i32 -> i32.
const LABELS = ["b", "u32", "i32", "f16", "f32", "f64", "i*", "f*"] as const;
type Label = (typeof LABELS)[number];
const SPEC: Record<Label, TypeSpec> = {
  b: { dtype: "bool", weak: false },
  u32: { dtype: "uint32", weak: false },
  i32: { dtype: "int32", weak: false },
  f16: { dtype: "float16", weak: false },
  f32: { dtype: "float32", weak: false },
  f64: { dtype: "float64", weak: false },
  "i*": { dtype: "int32", weak: true },
  "f*": { dtype: "float32", weak: true },
};
// Row x column -> result; rows and columns in LABELS order.
const TABLE: Record<Label, readonly Label[]> = {
  b: ["b", "u32", "i32", "f16", "f32", "f64", "i*", "f*"],
  u32: ["u32", "u32", "i32", "f16", "f32", "f64", "u32", "f*"],
  i32: ["i32", "i32", "i32", "f16", "f32", "f64", "i32", "f*"],
  f16: ["f16", "f16", "f16", "f16", "f32", "f64", "f16", "f16"],
  f32: ["f32", "f32", "f32", "f32", "f32", "f64", "f32", "f32"],
  f64: ["f64", "f64", "f64", "f64", "f64", "f64", "f64", "f64"],
  "i*": ["i*", "u32", "i32", "f16", "f32", "f64", "i*", "f*"],
  "f*": ["f*", "f*", "f*", "f16", "f32", "f64", "f*", "f*"],
};

const label = (s: TypeSpec): string => `${s.dtype}${s.weak ? "*" : ""}`;

describe("promoteTypes: JAX's table", () => {
  for (const row of LABELS) {
    for (const [j, col] of LABELS.entries()) {
      const want = SPEC[TABLE[row][j]];
      it(`${row} + ${col} -> ${TABLE[row][j]}`, () => {
        expect(promoteTypes(SPEC[row], SPEC[col])).toEqual(want);
      });
    }
  }

  it("the table is symmetric (a sanity check of the table itself)", () => {
    for (const [i, r] of LABELS.entries()) for (const [j, c] of LABELS.entries()) expect(TABLE[r][j]).toBe(TABLE[c][i]);
  });

  it("documented examples", () => {
    // int32 array + 1.5 is a weak float32; bool + 1 is a weak int32; int32 + uint32 is int32 here.
    expect(promoteTypes(SPEC.i32, SPEC["f*"])).toEqual({ dtype: "float32", weak: true });
    expect(promoteTypes(SPEC.b, SPEC["i*"])).toEqual({ dtype: "int32", weak: true });
    expect(promoteTypes(SPEC.i32, SPEC.u32)).toEqual({ dtype: "int32", weak: false });
    expect(promoteTypes(SPEC.f16, SPEC["f*"])).toEqual({ dtype: "float16", weak: false });
    expect(resultType(SPEC.u32, SPEC["i*"])).toBe("uint32");
  });

  it("a single type promotes to itself, and three at once agree with folding", () => {
    for (const s of ALL_TYPE_SPECS) expect(promoteTypes(s)).toEqual(s);
    expect(promoteTypes(SPEC.b, SPEC["i*"], SPEC.u32)).toEqual(SPEC.u32);
    expect(promoteTypes(SPEC["i*"], SPEC["f*"], SPEC.f16)).toEqual(SPEC.f16);
  });

  it("rejects an empty list", () => {
    expect(() => promoteTypes()).toThrow(/promoteTypes: expected at least one type/);
  });
});

describe("promoteTypes: lattice properties", () => {
  it("is commutative", () => {
    fc.assert(fc.property(typeSpec(), typeSpec(), (a, b) => {
      expect(label(promoteTypes(a, b))).toBe(label(promoteTypes(b, a)));
    }), { numRuns: propertyRuns(200) });
  });
  it("is associative", () => {
    fc.assert(fc.property(typeSpec(), typeSpec(), typeSpec(), (a, b, c) => {
      const left = promoteTypes(promoteTypes(a, b), c);
      const right = promoteTypes(a, promoteTypes(b, c));
      expect(label(left)).toBe(label(right));
      expect(label(promoteTypes(a, b, c))).toBe(label(left));
    }), { numRuns: propertyRuns(300) });
  });
  it("is idempotent", () => {
    fc.assert(fc.property(typeSpec(), (a) => { expect(promoteTypes(a, a)).toEqual(a); }), { numRuns: propertyRuns(50) });
  });
  it("a strong type absorbs a weak one of its own kind", () => {
    for (const d of ["int32", "uint32", "float16", "float32", "float64"] as DType[]) {
      const weak = isFloat(d) ? SPEC["f*"] : SPEC["i*"];
      expect(promoteTypes({ dtype: d, weak: false }, weak)).toEqual({ dtype: d, weak: false });
    }
  });
});

describe("dtype predicates and storage", () => {
  it("classifies every dtype", () => {
    const rows = DTYPES.map((d) => [d, isFloat(d), isInt(d), isUnsigned(d), isBool(d), itemSize(d), shortName(d)]);
    expect(rows).toEqual([
      ["float32", true, false, false, false, 4, "f32"],
      ["int32", false, true, false, false, 4, "i32"],
      ["uint32", false, true, true, false, 4, "u32"],
      ["bool", false, false, false, true, 1, "bool"],
      ["float16", true, false, false, false, 2, "f16"],
      ["float64", true, false, false, false, 8, "f64"],
    ]);
  });
  it("isDType accepts only the six names", () => {
    expect(DTYPES.every(isDType)).toBe(true);
    for (const x of ["int64", "float", "Float32", "", 3, null, undefined]) expect(isDType(x)).toBe(false);
  });
  it("allocTyped picks the host storage class and zero-fills", () => {
    const cls = (d: DType) => allocTyped(d, 3).constructor.name;
    expect(DTYPES.map(cls)).toEqual(["Float32Array", "Int32Array", "Uint32Array", "Uint8Array", "Float32Array", "Float64Array"]);
    expect(Array.from(allocTyped("int32", 4))).toEqual([0, 0, 0, 0]);
  });
});
