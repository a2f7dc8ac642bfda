import { describe, expect, it } from "vitest";
import { ALL_PRIMS, type FirstOrderPrim, Prim, ShapedArray, isHigherOrder } from "../../ir/index.js";
import { ReferenceBackend } from "./reference-backend.js";
import { referenceImpls } from "./impls.js";
import { runRef, h } from "../../../tests/property/ref-run.js";

describe("ReferenceBackend buffers", () => {
  it("alloc copies data (or zeros) and counts buffers and bytes", () => {
    const b = new ReferenceBackend();
    expect(b.memory()).toEqual({ buffers: 0, bytes: 0 });
    const src = new Float32Array([1, 2, 3]);
    const id = b.alloc("float32", 3, src);
    src[0] = 99;
    expect(Array.from(b.readSync(id))).toEqual([1, 2, 3]);
    const z = b.alloc("float64", 2, null);
    expect(Array.from(b.readSync(z))).toEqual([0, 0]);
    b.alloc("bool", 5, null);
    b.alloc("float16", 4, null);
    expect(b.memory()).toEqual({ buffers: 4, bytes: 12 + 16 + 5 + 8 });
  });
  it("reference counts: retain keeps a buffer alive across one release", () => {
    const b = new ReferenceBackend();
    const id = b.alloc("int32", 2, new Int32Array([5, 6]));
    b.retain(id);
    b.release(id);
    expect(Array.from(b.readSync(id))).toEqual([5, 6]);
    b.release(id);
    expect(b.memory()).toEqual({ buffers: 0, bytes: 0 });
    expect(() => b.release(id)).toThrow(/internal: reference buffer \d+ does not exist \(freed twice\?\)/);
    expect(() => b.readSync(id)).toThrow(/does not exist/);
  });
  it("readSync and read return copies", async () => {
    const b = new ReferenceBackend();
    const id = b.alloc("float32", 2, new Float32Array([1, 2]));
    const a = b.readSync(id);
    a[0] = 42;
    expect(Array.from(await b.read(id))).toEqual([1, 2]);
    expect(b.view(id)[0]).toBe(1);
    expect(b.canReadSync).toBe(true);
    expect(b.name).toBe("reference");
  });
  it("float16 buffers are rounded on alloc", () => {
    const b = new ReferenceBackend();
    const id = b.alloc("float16", 3, new Float32Array([0.1, 65520, 1 + 2 ** -11]));
    expect(Array.from(b.readSync(id))).toEqual([0.0999755859375, Infinity, 1]);
  });
  it("execute makes fresh buffers with a count of one, leaving inputs alone", () => {
    const b = new ReferenceBackend();
    const x = b.alloc("float32", 2, new Float32Array([1, 2]));
    const aval = new ShapedArray([2], "float32");
    const [y] = b.execute(Prim.Neg, [{ buffer: x, aval }], {}, [aval]);
    expect(y).not.toBe(x);
    expect(Array.from(b.readSync(y))).toEqual([-1, -2]);
    expect(Array.from(b.readSync(x))).toEqual([1, 2]);
    expect(b.memory().buffers).toBe(2);
    b.release(y);
    b.release(x);
    expect(b.memory().buffers).toBe(0);
  });
  it("execute rounds float16 outputs after every op", () => {
    const [r] = runRef(Prim.Mul, [h([0.1], "float16"), h([3], "float16")], {});
    // f16(0.1) * 3 = 0.2999267578125 exactly, halfway between two float16 values: ties to even.
    expect(r.data).toEqual([0.2998046875]);
    const [s] = runRef(Prim.Add, [h([2048], "float16"), h([1], "float16")], {});
    expect(s.data).toEqual([2048]);
  });
  it("runRef leaves no buffers behind", () => {
    const b = new ReferenceBackend();
    runRef(Prim.Add, [h([1]), h([2])], {}, b);
    runRef(Prim.TopK, [h([3, 1, 2])], { k: 2 }, b);
    expect(b.memory()).toEqual({ buffers: 0, bytes: 0 });
  });
});

describe("the impl table", () => {
  it("has a function for every first-order primitive", () => {
    const firstOrder = ALL_PRIMS.filter((p): p is FirstOrderPrim => !isHigherOrder(p));
    for (const p of firstOrder) expect(typeof referenceImpls[p], p).toBe("function");
  });
});
