/**
 * @file Structural primitives as wasm kernels: every output element reads one operand element
 * (or the pad value) at an index computed from its own, so broadcast_in_dim, transpose, rev,
 * slice and pad are one store over the output's ranges. Reshapes and copies need no kernel (the
 * backend copies bytes). The renderer vectorizes the innermost range where the read is
 * contiguous in it (broadcasts along leading axes, slices with unit stride, pads).
 */
import { Prim, type PrimParams } from "../../ir/index.js";
import { type Kernel, type UOp, kalu, kconst, kload, kparam, krange, kstore, ksink } from "../../codegen/kernel-ir.js";
import { flatIndex, iadd, idiv, imod, imul, isub } from "../../codegen/index-expr.js";
import type { KernelOperand } from "./dispatch.js";

/** Primitives whose output is the operand's bytes unchanged. */
export const COPY_PRIMS: ReadonlySet<Prim> = new Set<Prim>([Prim.Reshape, Prim.Squeeze, Prim.ExpandDims, Prim.Copy, Prim.StopGradient]);

export const STRUCTURAL_PRIMS: ReadonlySet<Prim> = new Set<Prim>([Prim.BroadcastInDim, Prim.Transpose, Prim.Rev, Prim.Slice, Prim.Pad]);

const and = (a: UOp | null, b: UOp): UOp => (a ? kalu(Prim.And, "bool", [a, b]) : b);

/**
 * The kernel computing `prim` (one of STRUCTURAL_PRIMS) from `ins` into `out`.
 *
 * @example structuralKernel(Prim.Transpose, [x], { permutation: [1, 0] }, out).name // "wasm_transpose"
 */
export function structuralKernel(prim: Prim, ins: readonly KernelOperand[], params: object, out: KernelOperand): Kernel {
  const [x] = ins;
  const rs = out.shape.map((d, i) => krange(i, d));
  const xp = kparam(0, x.dtype, x.size);
  const at = (idx: readonly UOp[]) => kload(xp, flatIndex(idx, x.shape));
  let value: UOp;
  switch (prim) {
    case Prim.BroadcastInDim: {
      const { broadcastDimensions: bd } = params as PrimParams[Prim.BroadcastInDim];
      value = at(bd.map((d, i) => (x.shape[i] === 1 ? kconst(0) : rs[d])));
      break;
    }
    case Prim.Transpose: {
      const { permutation } = params as PrimParams[Prim.Transpose];
      const src = new Array<UOp>(rs.length);
      permutation.forEach((p, i) => (src[p] = rs[i]));
      value = at(src);
      break;
    }
    case Prim.Rev: {
      const { dimensions } = params as PrimParams[Prim.Rev];
      value = at(rs.map((r, d) => (dimensions.includes(d) ? isub(kconst(out.shape[d] - 1), r) : r)));
      break;
    }
    case Prim.Slice: {
      const { startIndices, strides } = params as PrimParams[Prim.Slice];
      value = at(rs.map((r, d) => iadd(imul(r, kconst(strides ? strides[d] : 1)), kconst(startIndices[d]))));
      break;
    }
    case Prim.Pad: {
      const { paddingConfig } = params as PrimParams[Prim.Pad];
      let inside: UOp | null = null;
      const src = rs.map((r, d) => {
        const [lo, , interior] = paddingConfig[d];
        if (lo === 0 && interior === 0 && out.shape[d] === x.shape[d]) return r;
        // The operand element at p = r - lo: p >= 0, on the interior grid, and below the size.
        const p = iadd(r, kconst(-lo));
        const step = interior + 1;
        const q = idiv(p, step);
        inside = and(inside, kalu(Prim.Ge, "bool", [p, kconst(0)]));
        inside = and(inside, kalu(Prim.Lt, "bool", [q, kconst(x.shape[d])]));
        if (step > 1) inside = and(inside, kalu(Prim.Eq, "bool", [imod(p, step), kconst(0)]));
        return q;
      });
      const padValue = kload(kparam(1, ins[1].dtype, 1), kconst(0));
      const ok = inside as UOp | null;
      value = ok
        ? kalu(Prim.SelectN, out.dtype, [ok, padValue, at(src.map((s, d) => (s === rs[d] ? s : kalu(Prim.SelectN, "index", [ok, kconst(0), s]))))])
        : at(src);
      break;
    }
    default:
      throw new Error(`internal: '${prim}' is not a structural kernel primitive`);
  }
  const outP = kparam(ins.length, out.dtype, out.size, true);
  const params_ = [...ins.map((o, i) => ({ index: i, dtype: o.dtype, size: o.size, output: false })), { index: ins.length, dtype: out.dtype, size: out.size, output: true }];
  return { name: `wasm_${prim}`, params: params_, sink: ksink([kstore(outP, flatIndex(rs, out.shape), value)]) };
}

/**
 * iota: the output index along `dimension`, converted to the dtype (float16 and bool stay with
 * the reference impl).
 *
 * @example iotaKernel({ dtype: "int32", shape: [4], dimension: 0 }, out).name // "wasm_iota"
 */
export function iotaKernel(p: PrimParams[Prim.Iota], out: KernelOperand): Kernel | null {
  if (p.dtype === "float16" || p.dtype === "bool") return null;
  const rs = out.shape.map((d, i) => krange(i, d));
  const value = kalu(Prim.ConvertElementType, out.dtype, [rs[p.dimension]], { newDtype: out.dtype, weakType: false });
  const outP = kparam(0, out.dtype, out.size, true);
  return { name: "wasm_iota", params: [{ index: 0, dtype: out.dtype, size: out.size, output: true }], sink: ksink([kstore(outP, flatIndex(rs, out.shape), value)]) };
}

/**
 * concatenate: one store per operand, each over the operand's own ranges into its slab of the
 * output (contiguous along the last axis, so it vectorizes).
 *
 * @example concatenateKernel([a, b], { dimension: 0 }, out).params.length // 3
 */
export function concatenateKernel(ins: readonly KernelOperand[], { dimension }: PrimParams[Prim.Concatenate], out: KernelOperand): Kernel {
  const outP = kparam(ins.length, out.dtype, out.size, true);
  let offset = 0;
  const stores = ins.map((x, k) => {
    const rs = x.shape.map((d, i) => krange(k * x.shape.length + i, d));
    const dst = rs.map((r, d) => (d === dimension ? iadd(r, kconst(offset)) : r));
    offset += x.shape[dimension];
    return kstore(outP, flatIndex(dst, out.shape), kload(kparam(k, x.dtype, x.size), flatIndex(rs, x.shape)));
  });
  const params = [...ins.map((o, i) => ({ index: i, dtype: o.dtype, size: o.size, output: false })), { index: ins.length, dtype: out.dtype, size: out.size, output: true }];
  return { name: "wasm_concatenate", params, sink: ksink(stores) };
}
