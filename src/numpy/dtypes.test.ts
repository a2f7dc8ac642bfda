import { describe, expect, it } from "vitest";
import { np } from "../index.js";
import { DTypeError } from "../ir/index.js";

describe("finfo and iinfo", () => {
  it("float32 limits match NumPy", () => {
    const f = np.finfo("float32");
    expect(f.bits).toBe(32);
    expect(f.eps).toBe(2 ** -23);
    expect(f.epsneg).toBe(2 ** -24);
    expect(f.max).toBe(3.4028234663852886e38);
    expect(f.min).toBe(-3.4028234663852886e38);
    expect(f.tiny).toBe(1.1754943508222875e-38);
    expect(f.smallestNormal).toBe(f.tiny);
    expect(f.smallestSubnormal).toBe(2 ** -149);
    expect(f.resolution).toBe(1e-6);
    expect([f.precision, f.nmant, f.nexp, f.minexp, f.maxexp]).toEqual([6, 23, 8, -126, 128]);
    expect(Math.fround(f.max)).toBe(f.max);
  });
  it("float16 and float64 limits match NumPy", () => {
    const h = np.finfo("float16");
    expect([h.bits, h.eps, h.max, h.tiny, h.smallestSubnormal, h.resolution]).toEqual([16, 0.0009765625, 65504, 6.103515625e-5, 2 ** -24, 0.001]);
    expect([h.minexp, h.maxexp]).toEqual([-14, 16]);
    const d = np.finfo("float64");
    expect([d.bits, d.eps, d.max, d.tiny, d.smallestSubnormal, d.resolution]).toEqual([
      64, Number.EPSILON, Number.MAX_VALUE, 2.2250738585072014e-308, Number.MIN_VALUE, 1e-15,
    ]);
    expect(np.finfo(np.zeros([2], { dtype: "float16" })).max).toBe(65504);
  });
  it("iinfo for int32, uint32 and bool", () => {
    expect(np.iinfo("int32")).toMatchObject({ bits: 32, min: -2147483648, max: 2147483647 });
    expect(np.iinfo("uint32")).toMatchObject({ bits: 32, min: 0, max: 4294967295 });
    expect(np.iinfo("bool")).toMatchObject({ bits: 8, min: 0, max: 1 });
    expect(np.iinfo(np.array([1], { dtype: "int32" })).max).toBe(2147483647);
  });
  it("rejects the wrong kind and unknown names", () => {
    expect(() => np.finfo("int32")).toThrow(/np\.finfo: int32 is not a floating dtype; use np\.iinfo/);
    expect(() => np.iinfo("float32")).toThrow(DTypeError);
    expect(() => np.finfo("float8" as never)).toThrow(/np\.finfo: expected a dtype name/);
  });
});

describe("promotion", () => {
  it("promoteTypes follows JAX's lattice, not NumPy's", () => {
    expect(np.promoteTypes("int32", "float16")).toBe("float16");
    expect(np.promoteTypes("int32", "float32")).toBe("float32");
    expect(np.promoteTypes("bool", "uint32")).toBe("uint32");
    expect(np.promoteTypes("uint32", "int32")).toBe("int32"); // int64 canonicalized without x64
    expect(np.promoteTypes("float16", "float64")).toBe("float64");
    expect(np.promoteTypes("bool", "bool")).toBe("bool");
  });
  it("resultType treats JS numbers as weak", () => {
    const i = np.array([1], { dtype: "int32" });
    const h = np.array([1], { dtype: "float16" });
    expect(np.resultType(i, 1)).toBe("int32");
    expect(np.resultType(i, 1.5)).toBe("float32");
    expect(np.resultType(h, 1.5)).toBe("float16");
    expect(np.resultType(h, "float32")).toBe("float32");
    expect(np.resultType(1)).toBe("int32");
    expect(np.resultType(true, 2)).toBe("int32");
    expect(np.resultType("uint32", 3)).toBe("uint32");
    expect(() => np.resultType()).toThrow(/at least one/);
  });
  it("agrees with the dtype np.add produces", () => {
    const all = ["bool", "int32", "uint32", "float16", "float32"] as const;
    for (const a of all) for (const b of all) {
      const out = np.add(np.zeros([1], { dtype: a }), np.zeros([1], { dtype: b }));
      expect(np.promoteTypes(a, b), `${a}+${b}`).toBe(out.dtype);
    }
  });
});

describe("canCast", () => {
  it("safe casts keep every value", () => {
    expect(np.canCast("int32", "float64")).toBe(true);
    expect(np.canCast("int32", "float32")).toBe(false);
    expect(np.canCast("uint32", "int32")).toBe(false);
    expect(np.canCast("bool", "float16")).toBe(true);
    expect(np.canCast("float16", "float32")).toBe(true);
    expect(np.canCast("float64", "float32")).toBe(false);
  });
  it("same_kind allows narrowing within a kind and up the kind order only", () => {
    expect(np.canCast("float64", "float16", "same_kind")).toBe(true);
    expect(np.canCast("uint32", "int32", "same_kind")).toBe(true);
    expect(np.canCast("int32", "uint32", "same_kind")).toBe(false);
    expect(np.canCast("float32", "int32", "same_kind")).toBe(false);
    expect(np.canCast("int32", "float16", "same_kind")).toBe(true);
  });
  it("unsafe, no and equiv", () => {
    expect(np.canCast("float64", "bool", "unsafe")).toBe(true);
    expect(np.canCast("int32", "int32", "no")).toBe(true);
    expect(np.canCast("bool", "int32", "equiv")).toBe(false);
    expect(() => np.canCast("int32", "int32", "sometimes" as never)).toThrow(/np\.canCast: casting must be/);
  });
});

describe("isdtype and issubdtype", () => {
  it("isdtype kinds", () => {
    expect(np.isdtype("uint32", "integral")).toBe(true);
    expect(np.isdtype("uint32", "signed integer")).toBe(false);
    expect(np.isdtype("bool", "numeric")).toBe(false);
    expect(np.isdtype("float16", "real floating")).toBe(true);
    expect(np.isdtype("float32", "complex floating")).toBe(false);
    expect(np.isdtype("int32", ["bool", "signed integer"])).toBe(true);
    expect(np.isdtype(np.zeros([1]), "float32")).toBe(true);
    expect(() => np.isdtype("int32", "integer" as never)).toThrow(/np\.isdtype: unknown kind "integer"/);
  });
  it("issubdtype follows NumPy's hierarchy", () => {
    expect(np.issubdtype("float16", "floating")).toBe(true);
    expect(np.issubdtype("float32", "inexact")).toBe(true);
    expect(np.issubdtype("int32", "number")).toBe(true);
    expect(np.issubdtype("bool", "number")).toBe(false);
    expect(np.issubdtype("bool", "generic")).toBe(true);
    expect(np.issubdtype("uint32", "signedinteger")).toBe(false);
    expect(np.issubdtype("float32", "float64")).toBe(false);
    expect(np.issubdtype("float32", "float32")).toBe(true);
    expect(np.issubdtype("floating", "inexact")).toBe(true);
    expect(np.issubdtype("inexact", "floating")).toBe(false);
    expect(np.issubdtype(np.zeros([1], { dtype: "int32" }), "integer")).toBe(true);
  });
});
