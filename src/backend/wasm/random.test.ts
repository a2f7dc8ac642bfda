import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Prim, ShapedArray } from "../../ir/index.js";
import { type Kernel, type ParamArg, kalu, kconst, kload, kparam, krange, kstore, ksink } from "../../codegen/kernel-ir.js";
import { flatIndex } from "../../codegen/index-expr.js";
import { runWasmKernel } from "../../codegen/wasm/run-kernel.js";
import { referenceImpls } from "../reference/impls.js";
import { threefry2x32Pair } from "../reference/threefry.js";
import { setBackend } from "../registry.js";
import { random, tidy } from "../../index.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { threefryKernel } from "./random.js";
import { WasmBackend } from "./wasm-backend.js";

/** Runs the threefry kernel over four uint32 columns and returns both output words. */
function hash(k0: number[], k1: number[], c0: number[], c1: number[]): [Uint32Array, Uint32Array] {
  const n = k0.length;
  const bufs = [k0, k1, c0, c1].map((v) => Uint32Array.from(v));
  const [y0, y1] = [new Uint32Array(n), new Uint32Array(n)];
  runWasmKernel(threefryKernel(n), [...bufs, y0, y1]);
  return [y0, y1];
}

describe("threefryKernel", () => {
  it("hashes the zero key and counter to JAX's known words", () => {
    // threefry_2x32((0, 0), (0, 0)) in JAX is [0x6b200159, 0x99ba4efe] (Random123 known-answer test).
    const [y0, y1] = hash([0], [0], [0], [0]);
    expect([y0[0], y1[0]]).toEqual([0x6b200159, 0x99ba4efe]);
  });

  it("equals the reference hash bit for bit (SIMD body and scalar tail)", () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const cols = fc.integer({ min: 1, max: 11 }).chain((n) => fc.tuple(...[0, 1, 2, 3].map(() => fc.array(u32, { minLength: n, maxLength: n }))));
    fc.assert(
      fc.property(cols, ([k0, k1, c0, c1]) => {
        const [y0, y1] = hash(k0, k1, c0, c1);
        k0.forEach((_, i) => expect([y0[i], y1[i]]).toEqual(threefry2x32Pair(k0[i], k1[i], c0[i], c1[i])));
      }),
      { numRuns: propertyRuns() },
    );
  });
});

describe("random bits on the wasm backend", () => {
  afterEach(() => {
    setBackend("reference");
    vi.restoreAllMocks();
  });

  it("runs threefry2x32, iota and concatenate as kernels, equal to the reference impls", () => {
    const backend = new WasmBackend();
    const spies = [vi.spyOn(referenceImpls, Prim.Threefry2x32), vi.spyOn(referenceImpls, Prim.Iota), vi.spyOn(referenceImpls, Prim.Concatenate)];
    const n = 37;
    const cols = [0, 1, 2, 3].map((j) => Uint32Array.from({ length: n }, (_, i) => (i * 2654435761 + j * 40503) >>> 0));
    const aval = new ShapedArray([n], "uint32");
    const ins = cols.map((c) => ({ buffer: backend.alloc("uint32", n, c), aval }));
    const [y0, y1] = backend.execute(Prim.Threefry2x32, ins, {}, [aval, aval]).map((id) => backend.readSync(id));
    cols[0].forEach((_, i) => expect([y0[i], y1[i]]).toEqual(threefry2x32Pair(cols[0][i], cols[1][i], cols[2][i], cols[3][i])));
    const [iota] = backend.execute(Prim.Iota, [], { dtype: "float32", shape: [3, 4], dimension: 1 }, [new ShapedArray([3, 4], "float32")]);
    expect([...backend.readSync(iota)]).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
    const parts = [[2, 3], [2, 5]].map((s, k) => ({ buffer: backend.alloc("int32", s[0] * s[1], Int32Array.from({ length: s[0] * s[1] }, (_, i) => 100 * k + i)), aval: new ShapedArray(s, "int32") }));
    const [cat] = backend.execute(Prim.Concatenate, parts, { dimension: 1 }, [new ShapedArray([2, 8], "int32")]);
    expect([...backend.readSync(cat)]).toEqual([0, 1, 2, 100, 101, 102, 103, 104, 3, 4, 5, 105, 106, 107, 108, 109]);
    for (const s of spies) expect(s).not.toHaveBeenCalled();
    expect(backend.kernelStats().refused).toEqual([]);
  });

  it("random.bits, uniform and bernoulli draw the same numbers on wasm as on the reference backend", () => {
    const draw = (name: string) => {
      setBackend(name);
      return tidy(() => {
        const [a, b] = random.split(random.key(42));
        return [...random.bits(a, [3, 5]).dataSync(), ...random.uniform(b, [13]).dataSync(), ...random.bernoulli(a, 0.3, [5, 7]).dataSync()];
      });
    };
    expect(draw("wasm")).toEqual(draw("reference"));
  });
});

describe("renderer paths the random and window kernels rely on", () => {
  const run = (kernel: Kernel, input: Uint32Array | Int32Array, outSize: number) => {
    const out = new (input.constructor as Uint32ArrayConstructor)(outSize);
    runWasmKernel(kernel, [input, out]);
    return [...out];
  };

  it("splats a stored value that does not vary along the vector range (broadcast of a scalar)", () => {
    const [i, j] = [krange(0, 3), krange(1, 9)];
    const [x, y] = [kparam(0, "int32", 1), kparam(1, "int32", 27, true)];
    const kernel: Kernel = { name: "splat", params: [x, y].map((p) => p.arg as ParamArg), sink: ksink([kstore(y, flatIndex([i, j], [3, 9]), kload(x, kconst(0)))]) };
    expect(run(kernel, Int32Array.of(-7), 27)).toEqual(new Array(27).fill(-7));
  });

  it("shifts by constant counts (one SIMD shift per vector) with the scalar results", () => {
    const i = krange(0, 11);
    const [x, y] = [kparam(0, "uint32", 11), kparam(1, "uint32", 11, true)];
    const v = kload(x, i);
    const rotl13 = kalu(Prim.Or, "uint32", [kalu(Prim.ShiftLeft, "uint32", [v, kconst(13, "uint32")]), kalu(Prim.ShiftRightLogical, "uint32", [v, kconst(19, "uint32")])]);
    const kernel: Kernel = { name: "rotl", params: [x, y].map((p) => p.arg as ParamArg), sink: ksink([kstore(y, i, rotl13)]) };
    const xs = Uint32Array.of(0, 1, 0xffffffff, 0x80000000, 0x12345678, 0xdeadbeef, 7, 31, 32, 0x7fffffff, 99);
    expect(run(kernel, xs, 11)).toEqual([...xs].map((a) => ((a << 13) | (a >>> 19)) >>> 0));
  });
});
