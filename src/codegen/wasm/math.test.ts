import { describe, expect, it } from "vitest";
import { Prim } from "../../ir/index.js";
import { type Kernel, type ParamArg, kalu, kload, kparam, krange, kstore, ksink } from "../kernel-ir.js";
import { iadd } from "../index-expr.js";
import { erf, erfc, erfinv } from "../../backend/reference/special.js";
import { runWasmKernel } from "./run-kernel.js";

/** out[i] = prim(in[i]...) over n float32s; `scalar` keeps the loop scalar (an inner range of size 1). */
function unaryKernel(prim: Prim, n: number, arity: number, scalar: boolean): Kernel {
  const ins = Array.from({ length: arity }, (_, k) => kparam(k, "float32", n));
  const out = kparam(arity, "float32", n, true);
  const i = krange(0, n);
  const idx = scalar ? iadd(i, krange(1, 1)) : i;
  const sink = ksink([kstore(out, idx, kalu(prim, "float32", ins.map((p) => kload(p, idx))))]);
  return { name: prim, params: [...ins, out].map((p) => p.arg as ParamArg), sink };
}

const f32 = Math.fround;
/** Spacing of float32 numbers at |t| (subnormal spacing below 2^-126). */
const ulp = (t: number) => (t === 0 ? 2 ** -149 : 2 ** Math.max(Math.floor(Math.log2(Math.abs(t))) - 23, -149));

function run(prim: Prim, xs: readonly Float32Array[], scalar: boolean): Float32Array {
  const n = xs[0].length;
  const out = new Float32Array(n);
  runWasmKernel(unaryKernel(prim, n, xs.length, scalar), [...xs, out]);
  return out;
}

/** Max error in ulps against `ref` (exact match required for NaN and infinities). */
function maxUlp(prim: Prim, ref: (...a: number[]) => number, xs: Float32Array[], minAbs = 2 ** -126): { ulps: number; at: number[] } {
  let worst = { ulps: 0, at: [] as number[] };
  for (const scalar of [false, true]) {
    const got = run(prim, xs, scalar);
    for (let i = 0; i < got.length; i++) {
      const args = xs.map((x) => x[i]);
      const t = ref(...args);
      const g = got[i];
      if (Number.isNaN(t) || !Number.isFinite(t) || Math.abs(t) > 3.4028234663852886e38) {
        const want = f32(t);
        if (!Object.is(g, want) && !(Number.isNaN(g) && Number.isNaN(want))) throw new Error(`${prim}(${args}) = ${g}, want ${want} (${scalar ? "scalar" : "simd"})`);
        continue;
      }
      const e = Math.abs(t) < minAbs ? Math.abs(g - t) / ulp(minAbs) : Math.abs(g - t) / ulp(t);
      if (!(e <= worst.ulps)) worst = { ulps: e, at: args };
    }
  }
  return worst;
}

const grid = (lo: number, hi: number, n: number, log = false) =>
  Float32Array.from({ length: n }, (_, i) => {
    const t = i / (n - 1);
    return log ? Math.sign(lo) * Math.exp(Math.log(Math.abs(lo)) + t * (Math.log(Math.abs(hi)) - Math.log(Math.abs(lo)))) : lo + t * (hi - lo);
  });
const cat = (...as: (Float32Array | number[])[]) => Float32Array.from(as.flatMap((a) => [...a]));
const EDGES = [0, -0, NaN, Infinity, -Infinity, 1, -1, 2 ** -149, -(2 ** -149), 2 ** -126, 3.4028234663852886e38, -3.4028234663852886e38, 0.5, -0.5];
const sym = (lo: number, hi: number, n: number) => cat(grid(lo, hi, n), grid(-lo, -hi, n));

/** Every pair (x, y) of the two grids plus every pair of edge values. */
function pairs(xs: Float32Array, ys: Float32Array = xs, edges: number[] = []): Float32Array[] {
  const a: number[] = [];
  const b: number[] = [];
  for (const x of xs) for (const y of ys) a.push(x), b.push(y);
  for (const x of edges) for (const y of edges) a.push(x), b.push(y);
  return [Float32Array.from(a), Float32Array.from(b)];
}

const logistic = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

// [prim, reference, inputs, max ulps, optional absolute-error floor (ulps measured at this magnitude below it)]
const SPECS: [Prim, (...a: number[]) => number, Float32Array[], number, number?][] = [
  [Prim.Exp, Math.exp, [cat(grid(-104, 89, 40001), EDGES)], 3],
  [Prim.Exp2, (x) => 2 ** x, [cat(grid(-150, 129, 40001), EDGES)], 3],
  [Prim.Expm1, Math.expm1, [cat(grid(-20, 89, 40001), sym(1e-8, 1, 10001), EDGES)], 3],
  [Prim.Log, Math.log, [cat(grid(1e-38, 3e38, 20001, true), grid(0.5, 2, 20001), EDGES)], 3],
  [Prim.Log1p, Math.log1p, [cat(grid(-0.999, 10, 40001), sym(1e-10, 1e-2, 10001), grid(10, 1e30, 5001, true), EDGES)], 3],
  [Prim.Sin, Math.sin, [cat(grid(-6000, 6000, 100001), sym(1e-7, 1, 5001), EDGES.slice(0, 10))], 3, 2 ** -24],
  [Prim.Cos, Math.cos, [cat(grid(-6000, 6000, 100001), sym(1e-7, 1, 5001), EDGES.slice(0, 10))], 3, 2 ** -24],
  [Prim.Tan, Math.tan, [cat(grid(-6000, 6000, 100001), sym(1e-7, 1, 5001), EDGES.slice(0, 10))], 3, 2 ** -24],
  [Prim.Atan, Math.atan, [cat(grid(-50, 50, 40001), sym(1e-8, 1e8, 5001), EDGES)], 3],
  [Prim.Asin, Math.asin, [cat(grid(-1.01, 1.01, 40001), sym(1e-8, 1, 5001), EDGES)], 3],
  [Prim.Acos, Math.acos, [cat(grid(-1.01, 1.01, 40001), EDGES)], 3],
  [Prim.Tanh, Math.tanh, [cat(grid(-12, 12, 40001), sym(1e-8, 1, 5001), EDGES)], 3],
  [Prim.Logistic, logistic, [cat(grid(-104, 20, 40001), EDGES)], 3],
  [Prim.Sinh, Math.sinh, [cat(grid(-90, 90, 40001), sym(1e-8, 1, 5001), EDGES)], 3],
  [Prim.Cosh, Math.cosh, [cat(grid(-90, 90, 40001), EDGES)], 3],
  [Prim.Asinh, Math.asinh, [cat(grid(-50, 50, 40001), sym(1e-8, 3e38, 5001), EDGES)], 3],
  [Prim.Acosh, Math.acosh, [cat(grid(0.9, 50, 40001), grid(1, 3e38, 5001, true), EDGES)], 3],
  [Prim.Atanh, Math.atanh, [cat(grid(-1.01, 1.01, 40001), sym(1e-8, 1, 5001), EDGES)], 3],
  [Prim.Cbrt, Math.cbrt, [cat(grid(-1000, 1000, 40001), sym(1e-44, 3e38, 5001), EDGES)], 2],
  [Prim.Erf, erf, [cat(grid(-6, 6, 40001), sym(1e-8, 1, 5001), EDGES)], 3],
  [Prim.Erfc, erfc, [cat(grid(-6, 10.05, 40001), EDGES)], 5],
  [Prim.ErfInv, erfinv, [cat(grid(-1, 1, 40001), sym(1e-8, 1 - 2 ** -24, 5001), EDGES)], 3],
  [Prim.Atan2, Math.atan2, pairs(cat(sym(1e-3, 1e3, 300), EDGES)), 3],
  [Prim.Pow, Math.pow, pairs(cat(grid(0, 20, 200), [-2, -3, -0.5, 1e-30, 1e30]), cat(grid(-40, 40, 200), [0.5, 2, 3, -3, 31, 1e9, -1e9]), EDGES), 1],
];

describe("float32 math helpers (scalar and SIMD) against float64 Math.*", () => {
  for (const [prim, ref, xs, tol, floor] of SPECS) {
    it(`${prim}: <= ${tol} ulp`, () => {
      const { ulps, at } = maxUlp(prim, ref, xs.map((x) => Float32Array.from(x, f32)), floor);
      expect(ulps, `worst at ${at}`).toBeLessThanOrEqual(tol);
    });
  }

  it("sin/cos/tan beyond |x| = 6000 (the float64 host path) mixed with small lanes", () => {
    const xs = Float32Array.from(cat(grid(6000, 1e30, 2001, true), grid(-1e6, -6000, 2001), [1, 2, 3]), f32);
    for (const [prim, ref] of [[Prim.Sin, Math.sin], [Prim.Cos, Math.cos], [Prim.Tan, Math.tan]] as const) {
      expect(maxUlp(prim, ref, [xs]).ulps).toBeLessThanOrEqual(3);
    }
  });
});
