import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { type DType, Prim, type TypedArray, BINARY_PRIMS, COMPARE_PRIMS, UNARY_PRIMS } from "../../ir/index.js";
import { type Kernel, type ParamArg, type UOp, kalu, kconst, kload, kparam, krange, kreduce, kstore, ksink } from "../kernel-ir.js";
import { flatIndex } from "../index-expr.js";
import { allocParams, runKernel } from "../../backend/reference/kernel-interpreter.js";
import { digamma, erf, erfc, erfinv, lgamma } from "../../backend/reference/special.js";
import { lower } from "../../passes/lower.js";
import { lax, np } from "../../index.js";
import { makeJaxpr } from "../../trace/jaxpr-trace.js";
import type { ConcreteArray } from "../../trace/array.js";
import { propertyRuns } from "../../../tests/helpers/assert.js";
import { DEFAULT_HOST_MATH, type HostMath, renderWasm, wasmApi } from "./compile-cache.js";
import { runWasmKernel } from "./run-kernel.js";

const HOST: HostMath = { ...DEFAULT_HOST_MATH, erf, erfc, erf_inv: erfinv, lgamma, digamma };

const TRANSCENDENTAL = new Set<string>([
  Prim.Exp, Prim.Exp2, Prim.Log, Prim.Log1p, Prim.Expm1, Prim.Cbrt, Prim.Sin, Prim.Cos, Prim.Tan, Prim.Asin, Prim.Acos,
  Prim.Atan, Prim.Sinh, Prim.Cosh, Prim.Tanh, Prim.Asinh, Prim.Acosh, Prim.Atanh, Prim.Logistic, Prim.Erf, Prim.Erfc,
  Prim.ErfInv, Prim.Atan2, Prim.Pow, Prim.Rsqrt, Prim.IntegerPow, Prim.Lgamma, Prim.Digamma,
]);

/** Fills the kernel's inputs with `fill`, runs the interpreter and the wasm kernel, and compares every output. */
function compare(kernel: Kernel, fill: (p: ParamArg, i: number) => ArrayLike<number>, tol: { rtol: number; atol: number } = { rtol: 0, atol: 0 }) {
  const want = allocParams(kernel);
  const got = allocParams(kernel);
  kernel.params.forEach((p, i) => {
    if (p.output) return;
    want[i].set(fill(p, i));
    got[i].set(want[i]);
  });
  runKernel(kernel, want);
  runWasmKernel(kernel, got, HOST);
  kernel.params.forEach((p, i) => {
    if (!p.output) return;
    for (let k = 0; k < p.size; k++) {
      const [g, w] = [got[i][k], want[i][k]];
      const ok = Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)) || Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w);
      if (!ok) throw new Error(`${kernel.name}: output ${i}[${k}] = ${g}, interpreter ${w} (inputs ${kernel.params.map((_, j) => want[j][k]).join(", ")})\n${kernel.sink}`);
    }
  });
}

const FLOATS = [0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3, -7.25, 100, 1e-30, 1e10, 3.4e38, 2 ** -149, NaN, Infinity, -Infinity, 0.75];
const VALUES: Record<DType, number[]> = {
  float32: FLOATS,
  float64: [...FLOATS, 0.1, 1 / 3, 1e300, -1e-300],
  int32: [0, 1, -1, 2, -2, 7, -7, 31, 32, 33, 2147483647, -2147483648, 100000, -100000, 65536],
  uint32: [0, 1, 2, 7, 31, 32, 33, 0xffffffff, 0x80000000, 100000],
  bool: [0, 1],
  float16: [],
};

/** out[i] = prim(a[i], b[i], ...) over every combination of edge values (n is not a multiple of 4: SIMD body + tail). */
function aluKernel(prim: Prim, dtypes: DType[], outDtype: DType, params?: object): { kernel: Kernel; cols: number[][] } {
  const combos: number[][] = [[]];
  for (const d of dtypes) {
    const next: number[][] = [];
    for (const c of combos) for (const v of VALUES[d]) next.push([...c, v]);
    combos.splice(0, combos.length, ...next);
  }
  while (combos.length % 4 !== 3) combos.push(combos[0]);
  const n = combos.length;
  const i = krange(0, n);
  const ins = dtypes.map((d, k) => kparam(k, d, n));
  const out = kparam(dtypes.length, outDtype, n, true);
  const sink = ksink([kstore(out, i, kalu(prim, outDtype, ins.map((p) => kload(p, i)), params))]);
  return { kernel: { name: `${prim}:${dtypes.join(",")}`, params: [...ins, out].map((p) => p.arg as ParamArg), sink }, cols: dtypes.map((_, k) => combos.map((c) => c[k])) };
}

function checkAlu(prim: Prim, dtypes: DType[], outDtype: DType, params?: object) {
  const { kernel, cols } = aluKernel(prim, dtypes, outDtype, params);
  const f32Approx = TRANSCENDENTAL.has(prim) && outDtype === "float32";
  const tol = f32Approx ? { rtol: 6e-7, atol: 1e-37 } : prim === Prim.IntegerPow && outDtype === "float64" ? { rtol: 1e-15, atol: 0 } : undefined;
  compare(kernel, (_p, k) => cols[k], tol);
}

const FLOAT_ONLY = new Set<string>([...TRANSCENDENTAL, Prim.Sqrt, Prim.IsFinite, Prim.Floor, Prim.Ceil, Prim.Nextafter, Prim.Rem]);
const NUMERIC: DType[] = ["float32", "float64", "int32", "uint32"];

describe("wasm alu rendering equals the kernel interpreter", () => {
  for (const prim of UNARY_PRIMS) {
    const dts: DType[] = prim === Prim.Not ? ["bool", "int32", "uint32"] : FLOAT_ONLY.has(prim) ? ["float32", "float64"] : NUMERIC;
    it(`${prim} on ${dts.join(", ")}`, () => {
      for (const d of dts) checkAlu(prim, [d], prim === Prim.IsFinite ? "bool" : d);
    });
  }
  for (const prim of BINARY_PRIMS) {
    const bitwise = [Prim.And, Prim.Or, Prim.Xor].includes(prim as never);
    const shift = String(prim).startsWith("shift");
    const dts: DType[] = bitwise ? ["bool", "int32", "uint32"] : shift ? ["int32", "uint32"]
      : [Prim.Atan2, Prim.Nextafter].includes(prim as never) ? ["float32", "float64"]
      : [Prim.Add, Prim.Mul, Prim.Max, Prim.Min, Prim.Sub].includes(prim as never) ? [...NUMERIC, "bool"] : NUMERIC;
    it(`${prim} on ${dts.join(", ")}`, () => {
      for (const d of dts) checkAlu(prim, [d, d], d);
    });
  }
  for (const prim of COMPARE_PRIMS) {
    it(`${prim} on every dtype`, () => {
      for (const d of [...NUMERIC, "bool"] as DType[]) checkAlu(prim, [d, d], "bool");
    });
  }
  it("select_n with a bool or int32 selector, clamp", () => {
    for (const d of ["float32", "int32", "float64", "bool"] as DType[]) {
      checkAlu(Prim.SelectN, ["bool", d, d], d);
      checkAlu(Prim.SelectN, ["int32", d, d, d].slice(0, 3) as DType[], d);
    }
    for (const d of ["float32", "int32", "uint32", "float64"] as DType[]) checkAlu(Prim.Clamp, [d, d, d], d);
  });
  it("convert_element_type between every pair of dtypes (saturating, NaN -> 0)", () => {
    for (const from of [...NUMERIC, "bool"] as DType[])
      for (const to of [...NUMERIC, "bool"] as DType[]) checkAlu(Prim.ConvertElementType, [from], to, { newDtype: to, weakType: false });
  });
  it("round both ways, integer_pow", () => {
    for (const d of ["float32", "float64"] as DType[])
      for (const method of ["away_from_zero", "to_nearest_even"]) checkAlu(Prim.Round, [d], d, { method });
    for (const y of [0, 1, 2, 3, 5, -1, -2]) {
      checkAlu(Prim.IntegerPow, ["float32"], "float32", { y });
      checkAlu(Prim.IntegerPow, ["float64"], "float64", { y });
    }
    // Integer powers wrap; the interpreter's float64 `**` is exact only below 2^53, so small bases.
    const i = krange(0, 11);
    for (const y of [0, 1, 2, 3]) {
      const x = kparam(0, "int32", 11);
      const out = kparam(1, "int32", 11, true);
      const k: Kernel = { name: "ipow", params: [x.arg as ParamArg, out.arg as ParamArg], sink: ksink([kstore(out, i, kalu(Prim.IntegerPow, "int32", [kload(x, i)], { y }))]) };
      compare(k, () => [0, 1, -1, 2, -3, 1000, -1000, 46341, 7, 65536, 12345]);
    }
  });
});

describe("wasm kernels from lowered programs equal the kernel interpreter", () => {
  /** Runs every kernel of lower(f) on random inputs with both engines. */
  function checkProgram(f: (...xs: any[]) => any, args: ConcreteArray[], seed: number, reduceLen = 1) {
    const l = lower(makeJaxpr(f)(...args).program);
    let s = seed;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 4 - 2;
    for (const step of l.steps) {
      if (step.kind !== "kernel") continue;
      const fill = (p: ParamArg) =>
        Array.from({ length: p.size }, () => (p.dtype === "bool" ? +(rand() > 0) : p.dtype.startsWith("float") ? rand() : Math.round(rand() * 50)));
      compare(step.kernel, fill, { rtol: 4e-6 * reduceLen, atol: 4e-6 * reduceLen });
    }
    return l;
  }

  it("elementwise chains, broadcasting, where, integer and bool kernels (property)", () => {
    const unary = [np.sin, np.exp, np.tanh, np.abs, np.floor, (x: any) => x.mul(x), (x: any) => x.neg(), (x: any) => np.maximum(x, 0.25),
      (x: any) => np.where(np.greater(x, 0), x, x.mul(0.1)), (x: any) => x.astype("int32").mul(3).astype("float32"), (x: any) => lax.logistic(x)];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 13 }), fc.array(fc.nat(unary.length - 1), { minLength: 1, maxLength: 5 }), fc.nat(), (r, c, ops, seed) => {
        const x = np.zeros([r, c]) as ConcreteArray;
        const b = np.zeros([c]) as ConcreteArray;
        checkProgram((a: any, bias: any) => {
          let v = a.add(bias);
          for (const o of ops) v = unary[o](v);
          return [v, np.less(v, 0.5), v.astype("int32")];
        }, [x, b], seed);
      }),
      { numRuns: propertyRuns(40) },
    );
  });

  it("reductions over every axis with prologues and epilogues (property)", () => {
    const reducers = [np.sum, np.max, np.min, (x: any, o: any) => np.prod(x.mul(0.1).add(1), o)];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 19 }), fc.nat(reducers.length - 1), fc.integer({ min: -1, max: 1 }), fc.nat(), (r, c, ri, axis, seed) => {
        const x = np.zeros([r, c]) as ConcreteArray;
        checkProgram((a: any) => np.sqrt(np.abs(reducers[ri](np.exp(a.mul(0.3)), axis < 0 ? {} : { axis }))).add(1), [x], seed, r * c);
      }),
      { numRuns: propertyRuns(40) },
    );
  });

  it("views: transpose, reshape, slice with steps, rev, pad with interior/negative padding, concatenate, iota", () => {
    const x = np.zeros([2, 3, 8]) as ConcreteArray;
    checkProgram((a: any) => a.transpose([2, 0, 1]).reshape([8, 6]).add(1), [x], 1);
    checkProgram((a: any) => lax.slice(a, [0, 1, 0], [2, 3, 8], [1, 1, 2]).mul(2), [x], 2);
    checkProgram((a: any) => lax.rev(a, [0, 2]).sub(1), [x], 3);
    checkProgram((a: any) => lax.pad(a, -1, [[1, -1, 1], [0, 2, 0], [-1, 1, 2]]).add(0.5), [x], 4);
    checkProgram((a: any) => np.concatenate([a, a.mul(2), a.index(":", "0:1")], 1).neg(), [x], 5);
    checkProgram((a: any) => lax.iota("int32", [3, 9], 1).add(np.ones([3, 9], { dtype: "int32" })), [x], 6);
    checkProgram((a: any) => np.sum(a.reshape([6, 8]), { axis: 0 }), [x], 7, 6);
  });

  it("hand-built: a column sum vectorizes across columns, nested reductions, two stores", () => {
    const [R, C] = [37, 23];
    const i = krange(0, C);
    const k = krange(1, R, "reduce");
    const x = kparam(0, "float32", R * C);
    const y = kparam(1, "float32", C, true);
    const m = kparam(2, "int32", 1, true);
    const k2 = krange(2, R, "reduce");
    const j2 = krange(3, C, "reduce");
    const colsum = kreduce("sum", kload(x, flatIndex([k, i], [R, C])), [k]);
    const inner = kreduce("max", kalu(Prim.ConvertElementType, "int32", [kload(x, flatIndex([k2, j2], [R, C]))], { newDtype: "int32", weakType: false }), [j2]);
    const nested = kreduce("sum", inner, [k2]);
    const kernel: Kernel = { name: "two", params: [x, y, m].map((p) => p.arg as ParamArg), sink: ksink([kstore(y, i, colsum), kstore(m, kconst(0), nested)]) };
    compare(kernel, () => Array.from({ length: R * C }, (_, t) => Math.sin(t) * 10), { rtol: 1e-5, atol: 1e-5 });
  });
});

describe("wasm module", () => {
  it("validates, imports only env.memory (plus math.* host functions where needed) and exports kernel", () => {
    const { kernel } = aluKernel(Prim.Tanh, ["float32"], "float32");
    const bytes = renderWasm(kernel);
    expect(wasmApi().validate(bytes)).toBe(true);
    const mod = new (wasmApi().Module)(bytes);
    expect(wasmApi().Module.imports(mod).map((i) => `${i.module}.${i.name}`)).toEqual(["env.memory"]);
    const lg = renderWasm(aluKernel(Prim.Lgamma, ["float64"], "float64").kernel);
    expect(wasmApi().Module.imports(new (wasmApi().Module)(lg)).map((i) => `${i.module}.${i.name}`)).toEqual(["env.memory", "math.lgamma"]);
    expect(wasmApi().validate(renderWasm(kernel, { shared: true }))).toBe(true);
  });

  it("rejects float16 kernels with a clear error", () => {
    const i = krange(0, 8);
    const x = kparam(0, "float16", 8);
    const y = kparam(1, "float16", 8, true);
    const kernel: Kernel = { name: "h", params: [x.arg as ParamArg, y.arg as ParamArg], sink: ksink([kstore(y, i, kalu(Prim.Neg, "float16", [kload(x, i)]))]) };
    expect(() => renderWasm(kernel)).toThrow(/float16/);
  });
});

export type { TypedArray, UOp };
