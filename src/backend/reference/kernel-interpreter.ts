/**
 * @file The reference interpreter of the kernel IR: the oracle that every renderer (WASM, WGSL)
 * is tested against. It runs each store once per value of its free ranges, evaluating the
 * value graph with the reference backend's scalar functions, so a kernel and the primitives it
 * was lowered from agree by construction.
 */
import { type DType, Prim, type PrimParams, type TypedArray, allocTyped } from "../../ir/index.js";
import { type AluArg, type Kernel, KOp, type ParamArg, type RangeArg, type ReduceKind, type UOp } from "../../codegen/kernel-ir.js";
import { BINARY_FNS, UNARY_FNS, convertValue, integerPowValue, roundAway, roundEven } from "./elementwise.js";
import { fitValue } from "./float-bits.js";

const INIT: Record<ReduceKind, (d: DType) => number> = {
  sum: () => 0,
  prod: () => 1,
  max: (d) => (d === "int32" ? -2147483648 : d === "uint32" || d === "bool" ? 0 : -Infinity),
  min: (d) => (d === "int32" ? 2147483647 : d === "uint32" ? 4294967295 : d === "bool" ? 1 : Infinity),
  and: (d) => (d === "bool" ? 1 : -1),
  or: () => 0,
  xor: () => 0,
};

const nanMax = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));
const nanMin = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));
const isIntType = (d: string) => d === "int32" || d === "uint32" || d === "index";

const COMBINE: Record<ReduceKind, (a: number, b: number, d: DType) => number> = {
  sum: (a, b, d) => (d === "bool" ? a | b : a + b),
  prod: (a, b, d) => (isIntType(d) ? Math.imul(a, b) : a * b),
  max: nanMax,
  min: nanMin,
  and: (a, b) => a & b,
  or: (a, b) => a | b,
  xor: (a, b) => a ^ b,
};

function alu(u: UOp, xs: number[]): number {
  const { prim, params } = u.arg as AluArg;
  const d0 = (u.src[0]?.dtype ?? u.dtype) as DType;
  if (prim === Prim.SelectN) {
    const k = Math.min(Math.max(xs[0], 0), xs.length - 2);
    return xs[1 + k];
  }
  if (prim === Prim.Clamp) return Number.isNaN(xs[1]) ? xs[1] : Math.min(Math.max(xs[1], xs[0]), xs[2]);
  if (prim === Prim.ConvertElementType) return convertValue(xs[0], d0, (params as PrimParams[Prim.ConvertElementType]).newDtype);
  if (prim === Prim.IntegerPow) return integerPowValue(xs[0], (params as PrimParams[Prim.IntegerPow]).y, isIntType(d0));
  if (prim === Prim.Round) {
    return ((params as PrimParams[Prim.Round]).method === "to_nearest_even" ? roundEven : roundAway)(xs[0]);
  }
  const dt = (d0 === ("index" as DType) ? "int32" : d0) as DType;
  if (xs.length === 1 && UNARY_FNS[prim]) return UNARY_FNS[prim](xs[0], dt);
  if (xs.length === 2 && BINARY_FNS[prim]) return BINARY_FNS[prim](xs[0], xs[1], dt);
  throw new Error(`internal: the kernel interpreter has no ALU op '${prim}' with ${xs.length} operands`);
}

/**
 * Runs `kernel` over `buffers` (one per param, outputs written in place).
 *
 * @example runKernel(kernel, [input, output])
 */
export function runKernel(kernel: Kernel, buffers: readonly TypedArray[]): void {
  kernel.params.forEach((p, i) => {
    if (buffers[i].length < p.size) throw new Error(`internal: buffer ${i} holds ${buffers[i].length} < ${p.size} elements`);
  });
  const env = new Map<UOp, number>();
  const evalNode = (u: UOp): number => {
    switch (u.op) {
      case KOp.Const:
        return u.arg as number;
      case KOp.Range: {
        const v = env.get(u);
        if (v === undefined) throw new Error(`internal: range r${(u.arg as RangeArg).id} used outside its loop`);
        return v;
      }
      case KOp.Load: {
        const buf = buffers[(u.src[0].arg as ParamArg).index];
        const i = evalNode(u.src[1]);
        if (!(i >= 0 && i < buf.length)) throw new Error(`internal: kernel load out of bounds (${i} of ${buf.length})`);
        return buf[i];
      }
      case KOp.Alu:
        return fitValue(alu(u, u.src.map(evalNode)), u.dtype);
      case KOp.Reduce: {
        const kind = u.arg as ReduceKind;
        const ranges = u.src.slice(1);
        let acc = INIT[kind](u.dtype as DType);
        // Floats accumulate in float64 and round once, like the reference reductions; ints wrap.
        const accType = u.dtype === "float32" || u.dtype === "float16" ? "float64" : u.dtype;
        loop(ranges, () => {
          acc = fitValue(COMBINE[kind](acc, evalNode(u.src[0]), u.dtype as DType), accType);
        });
        return fitValue(acc, u.dtype);
      }
      default:
        throw new Error(`internal: cannot evaluate kernel node '${u.op}' as a value`);
    }
  };
  const loop = (ranges: readonly UOp[], body: () => void, k = 0): void => {
    if (k === ranges.length) {
      body();
      return;
    }
    const r = ranges[k];
    const n = (r.arg as RangeArg).size;
    for (let i = 0; i < n; i++) {
      env.set(r, i);
      loop(ranges, body, k + 1);
    }
    env.delete(r);
  };
  for (const store of kernel.sink.src) {
    if (store.op !== KOp.Store) throw new Error(`internal: kernel sink holds a '${store.op}', not a store`);
    const [param, index, value] = store.src;
    const buf = buffers[(param.arg as ParamArg).index];
    loop(store.freeRanges(), () => {
      const i = evalNode(index);
      if (!(i >= 0 && i < buf.length)) throw new Error(`internal: kernel store out of bounds (${i} of ${buf.length})`);
      buf[i] = evalNode(value);
    });
  }
}

/** Allocates the kernel's buffers for its params (helper for tests and the backend). */
export const allocParams = (kernel: Kernel): TypedArray[] => kernel.params.map((p) => allocTyped(p.dtype, p.size));
