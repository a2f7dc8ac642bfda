/**
 * @file Index arithmetic on kernel-IR nodes with constant folding, so views (broadcasts,
 * transposes, reshapes, slices) compose into the simplest address expressions.
 */
import { Prim } from "../ir/index.js";
import { KOp, type RangeArg, type UOp, kalu, kconst } from "./kernel-ir.js";

const isConst = (u: UOp, v?: number) => u.op === KOp.Const && (v === undefined || u.arg === v);
const cv = (u: UOp) => u.arg as number;

/** Upper bound (exclusive) of an index expression, when it can be derived. */
export function bound(u: UOp): number | null {
  if (u.op === KOp.Const) return cv(u) + 1;
  if (u.op === KOp.Range) return (u.arg as RangeArg).size;
  return null;
}

export const iadd = (a: UOp, b: UOp): UOp => {
  if (isConst(a) && isConst(b)) return kconst(cv(a) + cv(b));
  if (isConst(a, 0)) return b;
  if (isConst(b, 0)) return a;
  return kalu(Prim.Add, "index", [a, b]);
};

export const imul = (a: UOp, b: UOp): UOp => {
  if (isConst(a) && isConst(b)) return kconst(cv(a) * cv(b));
  if (isConst(a, 0) || isConst(b, 0)) return kconst(0);
  if (isConst(a, 1)) return b;
  if (isConst(b, 1)) return a;
  return kalu(Prim.Mul, "index", [a, b]);
};

export const isub = (a: UOp, b: UOp): UOp => {
  if (isConst(a) && isConst(b)) return kconst(cv(a) - cv(b));
  if (isConst(b, 0)) return a;
  return kalu(Prim.Sub, "index", [a, b]);
};

/** Non-negative integer division (indices are never negative where it is used). */
export const idiv = (a: UOp, b: number): UOp => {
  if (b === 1) return a;
  if (isConst(a)) return kconst(Math.floor(cv(a) / b));
  const ub = bound(a);
  if (ub !== null && ub <= b) return kconst(0);
  return kalu(Prim.Div, "index", [a, kconst(b)]);
};

export const imod = (a: UOp, b: number): UOp => {
  if (b === 1) return kconst(0);
  if (isConst(a)) return kconst(cv(a) % b);
  const ub = bound(a);
  if (ub !== null && ub <= b) return a;
  return kalu(Prim.Rem, "index", [a, kconst(b)]);
};

/** Row-major flat index of a multi-index. */
export function flatIndex(idx: readonly UOp[], shape: readonly number[]): UOp {
  let f = kconst(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    f = iadd(imul(idx[i], kconst(stride)), f);
    stride *= shape[i];
  }
  return f;
}

/** The multi-index of a flat index for `shape`. */
export function unflatIndex(flat: UOp, shape: readonly number[]): UOp[] {
  const out = new Array<UOp>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = imod(idiv(flat, stride), shape[i]);
    stride *= shape[i];
  }
  return out;
}
