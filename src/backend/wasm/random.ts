/**
 * @file threefry2x32 as a kernel-IR kernel: the 20-round hash of src/backend/reference/threefry.ts
 * (bit-exact with JAX) written with uint32 add, xor, or and constant shifts, which every target
 * has as 32-bit lane ops (wasm: i32x4; WGSL: u32). Both output words are stores of the same hash;
 * renderers that do not share values across stores compute it twice, which still beats the
 * scalar reference loop by far.
 */
import { Prim } from "../../ir/index.js";
import { type Kernel, type ParamArg, type UOp, kalu, kconst, kload, kparam, krange, kstore, ksink } from "../../codegen/kernel-ir.js";
import type { KernelOperand } from "./dispatch.js";
import type { KernelBuilder } from "./window.js";

const ROTATIONS = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
] as const;

/** Skein's key-schedule parity constant. */
const PARITY = 0x1bd11bda;

const u32 = (v: number): UOp => kconst(v, "uint32");
const add = (a: UOp, b: UOp): UOp => kalu(Prim.Add, "uint32", [a, b]);
const xor = (a: UOp, b: UOp): UOp => kalu(Prim.Xor, "uint32", [a, b]);
const rotl = (x: UOp, r: number): UOp =>
  kalu(Prim.Or, "uint32", [kalu(Prim.ShiftLeft, "uint32", [x, u32(r)]), kalu(Prim.ShiftRightLogical, "uint32", [x, u32(32 - r)])]);

/**
 * The two output words of threefry2x32 for key (k0, k1) and counters (c0, c1), as kernel-IR
 * expressions (Salmon et al. 2011; JAX's `_threefry2x32_lowering` round structure).
 *
 * @example threefryExpr(k0, k1, c0, c1).length // 2
 */
export function threefryExpr(k0: UOp, k1: UOp, c0: UOp, c1: UOp): [UOp, UOp] {
  const ks = [k0, k1, xor(xor(k0, k1), u32(PARITY))];
  let x0 = add(c0, ks[0]);
  let x1 = add(c1, ks[1]);
  for (let block = 0; block < 5; block++) {
    for (const r of ROTATIONS[block % 2]) {
      x0 = add(x0, x1);
      x1 = xor(rotl(x1, r), x0);
    }
    x0 = add(x0, ks[(block + 1) % 3]);
    x1 = add(add(x1, ks[(block + 2) % 3]), u32(block + 1));
  }
  return [x0, x1];
}

/**
 * `(y0[i], y1[i]) = threefry2x32(k0[i], k1[i], x0[i], x1[i])` over one flat range: four uint32
 * inputs of one size and two outputs.
 *
 * @example threefryKernel(n).params.length // 6
 */
export function threefryKernel(size: number): Kernel {
  const r = krange(0, size);
  const params: ParamArg[] = Array.from({ length: 6 }, (_, i) => ({ index: i, dtype: "uint32", size, output: i >= 4 }));
  const [k0, k1, c0, c1] = params.slice(0, 4).map((p) => kload(kparam(p.index, "uint32", size), r));
  const [y0, y1] = threefryExpr(k0, k1, c0, c1);
  return {
    name: "wasm_threefry2x32",
    params,
    sink: ksink([kstore(kparam(4, "uint32", size, true), r, y0), kstore(kparam(5, "uint32", size, true), r, y1)]),
  };
}

/** Kernel builders for the random-bit primitives, keyed by primitive. */
export const RANDOM_KERNELS: Partial<Record<Prim, KernelBuilder>> = {
  [Prim.Threefry2x32]: (ins: readonly KernelOperand[], _p, outs) =>
    ins.every((x) => x.dtype === "uint32" && x.size === outs[0].size) ? threefryKernel(outs[0].size) : null,
};
