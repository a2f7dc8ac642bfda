import { describe, expect, it } from "vitest";
import * as np from "../numpy/index.js";
import { ConcreteArray, keep, memory, tidy } from "./array.js";
import { makeJaxpr } from "./jaxpr-trace.js";
import { DisposedError, TracerError } from "../ir/index.js";
import { scalarArray, scalarType } from "./array.js";
import { bind1 } from "./core.js";
import { Prim } from "../ir/index.js";

/** Live buffers now, for leak checks around a block. */
const live = () => memory().buffers;

describe("dispose and using", () => {
  it("dispose frees the buffer and is idempotent", () => {
    const before = live();
    const x = np.array([1, 2, 3]);
    expect(live()).toBe(before + 1);
    expect(x.isDisposed).toBe(false);
    x.dispose();
    x.dispose();
    expect(x.isDisposed).toBe(true);
    expect(live()).toBe(before);
  });
  it("using disposes at the end of the block", () => {
    const before = live();
    {
      using x = np.array([1, 1, 1, 1]);
      expect(x.shape).toEqual([4]);
      expect(live()).toBe(before + 1);
    }
    expect(live()).toBe(before);
  });
  it("use after dispose throws a DisposedError that explains the fix", () => {
    const x = np.array([[1, 2]]);
    x.dispose();
    expect(() => x.dataSync()).toThrow(DisposedError);
    expect(() => x.dataSync()).toThrow(
      "This Array (f32[1,2]) was disposed and cannot be used. Keep a reference alive by not disposing it, or return it from tidy() so that it is kept.",
    );
    expect(() => np.add(x, 1)).toThrow(DisposedError);
    expect(() => x.toArray()).toThrow(DisposedError);
    expect(String((x as unknown as { [k: symbol]: () => string })[Symbol.for("nodejs.util.inspect.custom")]())).toBe("Array(<disposed> f32[1,2])");
  });
  it("memory() reports bytes by dtype", () => {
    const before = memory();
    const a = np.array(new Float64Array(10));
    const b = np.array([true, false, true]);
    expect(memory().bytes - before.bytes).toBe(80 + 3);
    a.dispose();
    b.dispose();
    expect(memory()).toEqual(before);
  });
});

describe("tidy", () => {
  it("keeps the result and frees intermediates", () => {
    const x = np.array([1, 2, 3]);
    const before = live();
    const y = tidy(() => np.sum(np.square(np.add(x, 1))));
    expect(live()).toBe(before + 1);
    expect(y.item()).toBe(4 + 9 + 16);
    y.dispose();
    x.dispose();
  });
  it("keeps every Array inside a returned pytree and returns to the baseline", () => {
    const before = live();
    const out = tidy(() => {
      const a = np.ones([2]);
      const b = np.multiply(a, 3);
      np.add(b, 1); // dropped
      return { b, nested: [np.negative(a)], n: 7 };
    });
    expect(live()).toBe(before + 2);
    expect(out.b.toArray()).toEqual([3, 3]);
    expect(out.nested[0].toArray()).toEqual([-1, -1]);
    out.b.dispose();
    out.nested[0].dispose();
    expect(live()).toBe(before);
  });
  it("nested tidy hands kept results to the outer scope, and keep() escapes all scopes", () => {
    const before = live();
    let escaped: ConcreteArray | undefined;
    tidy(() => {
      const inner = tidy(() => np.ones([2]));
      escaped = keep(np.zeros([1]) as ConcreteArray);
      expect(inner.isDisposed).toBe(false);
      return null; // inner is freed here by the outer scope
    });
    expect(escaped!.isDisposed).toBe(false);
    expect(live()).toBe(before + 1);
    escaped!.dispose();
    expect(live()).toBe(before);
  });
  it("frees intermediates even when fn throws", () => {
    const before = live();
    expect(() =>
      tidy(() => {
        np.ones([3]);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    // The scope is popped; arrays made inside stay live until disposed or collected.
    expect(live()).toBeGreaterThanOrEqual(before);
    const after = live();
    tidy(() => np.ones([1]).dispose());
    expect(live()).toBe(after);
  });
  it("a loop of tidy steps keeps a flat buffer count", () => {
    let w = np.zeros([4]);
    const before = live();
    for (let i = 0; i < 50; i++) {
      const next = tidy(() => np.add(np.multiply(w, 0.5), 1));
      w.dispose();
      w = next;
    }
    expect(live()).toBe(before);
    expect(w.toArray()).toEqual(new Array(4).fill(2 - 2 ** -49).map(Math.fround));
    w.dispose();
  });
  it("scalar operands wrapped by bind are freed at once", () => {
    const x = np.array(new Int32Array([1, 2]));
    const before = live();
    // A JS integer is a weak int32 scalar, so bind takes it as is and frees it after the op.
    const y = bind1(Prim.Mul, [x, 3], {});
    expect(y.toArray()).toEqual([3, 6]);
    expect(live()).toBe(before + 1);
    y.dispose();
    x.dispose();
  });
});

describe("reading data", () => {
  it("dataSync returns a copy in the dtype's storage", () => {
    const x = np.array([1, 2], { dtype: "int32" });
    const d = x.dataSync();
    expect(d).toBeInstanceOf(Int32Array);
    d[0] = 99;
    expect(Array.from(x.dataSync())).toEqual([1, 2]);
  });
  it("data() resolves to the same values", async () => {
    expect(Array.from(await np.array([1.5]).data())).toEqual([1.5]);
  });
  it("toArray nests and gives booleans for bool arrays", () => {
    expect(np.array([[1, 2], [3, 4]]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(np.array([true, false]).toArray()).toEqual([true, false]);
    expect(np.array(5).toArray()).toBe(5);
    expect(np.zeros([2, 0]).toArray()).toEqual([[], []]);
    expect(JSON.stringify(np.array([[1], [2]]))).toBe("[[1],[2]]");
  });
  it("item() on size-1 arrays only", () => {
    expect(np.array([[7]]).item()).toBe(7);
    expect(np.array(true).item()).toBe(true);
    expect(() => np.array([1, 2]).item()).toThrow(
      "item(): the array has 2 elements (shape [2]); only size-1 arrays can be converted to a scalar.",
    );
  });
  it("toString and repr use the NumPy/JAX formats", () => {
    const x = np.array([[1, 2], [3, 4]]);
    expect(x.toString()).toBe("[[1. 2.]\n [3. 4.]]");
    expect(String(x)).toBe("[[1. 2.]\n [3. 4.]]");
    expect(x.repr()).toBe("Array([[1., 2.],\n       [3., 4.]], dtype=float32)");
    expect(np.add(np.arange(2), 1).repr()).toBe("Array([1, 2], dtype=int32)");
  });
  it("fromData validates the length", () => {
    expect(() => ConcreteArray.fromData([1, 2, 3], [2, 2], "float32")).toThrow(
      "ConcreteArray.fromData: 3 values do not fill shape [2, 2] (4).",
    );
  });
});

describe("scalars", () => {
  it("JS numbers are weak int32 or weak float32, booleans are bool", () => {
    expect(scalarType(3)).toEqual({ dtype: "int32", weak: true });
    expect(scalarType(-2147483647)).toEqual({ dtype: "int32", weak: true });
    expect(scalarType(2 ** 31)).toEqual({ dtype: "float32", weak: true });
    expect(scalarType(1.5)).toEqual({ dtype: "float32", weak: true });
    expect(scalarType(true)).toEqual({ dtype: "bool", weak: false });
    const s = scalarArray(2.5);
    expect([s.dtype, s.weakType, s.shape]).toEqual(["float32", true, []]);
    const t = scalarArray(2, "float64");
    expect([t.dtype, t.weakType]).toEqual(["float64", false]);
    s.dispose();
    t.dispose();
  });
});

describe("traced values cannot be read", () => {
  it("reading inside makeJaxpr throws a TracerError that explains why", () => {
    const read = (f: (x: ReturnType<typeof np.array>) => unknown) => () => makeJaxpr(f)(np.ones([2]));
    expect(read((x) => x.dataSync())).toThrow(TracerError);
    expect(read((x) => x.dataSync())).toThrow(/^dataSync\(\): this array \(f32\[2\]\) is traced, so its values are not known yet/);
    expect(read((x) => x.item())).toThrow(/^item\(\): .*np\.where or lax\.cond/);
    expect(read((x) => x.toArray())).toThrow(/^toArray\(\): /);
  });
  it("data() rejects, and repr shows the aval", async () => {
    let p: Promise<unknown> | undefined;
    let r = "";
    makeJaxpr((x: ReturnType<typeof np.array>) => {
      p = x.data();
      r = x.repr();
      return x;
    })(np.ones([3]));
    await expect(p).rejects.toThrow(TracerError);
    expect(r).toBe("Traced<f32[3]>");
  });
});
