/**
 * @file Index arithmetic on kernel-IR nodes with constant folding, so views (broadcasts,
 * transposes, reshapes, slices) compose into the simplest address expressions.
 */
import { Prim } from "../ir/index.js";
import { KOp, type RangeArg, type UOp, kalu, kconst } from "./kernel-ir.js";

const isConst = (u: UOp, v?: number) => u.op === KOp.Const && (v === undefined || u.arg === v);
const cv = (u: UOp) => u.arg as number;

/** Whether an index expression is never negative (ranges and non-negative constants, closed under + * / %). */
function nonneg(u: UOp): boolean {
  if (u.op === KOp.Const) return cv(u) >= 0;
  if (u.op === KOp.Range) return true;
  if (u.op !== KOp.Alu || u.dtype !== "index") return false;
  let v = nonnegMemo.get(u);
  if (v === undefined) {
    const p = (u.arg as { prim: Prim }).prim;
    v = (p === Prim.Add || p === Prim.Mul || p === Prim.Div || p === Prim.Rem) && u.src.every(nonneg);
    nonnegMemo.set(u, v);
  }
  return v;
}
// Nodes are immutable and interned, so facts about them can be remembered.
const nonnegMemo = new WeakMap<UOp, boolean>();

const primOf = (u: UOp): Prim | null => (u.op === KOp.Alu && u.dtype === "index" ? (u.arg as { prim: Prim }).prim : null);

/** Upper bound (exclusive) of an index expression, when it can be derived (non-negative expressions only). */
export function bound(u: UOp): number | null {
  if (u.op === KOp.Const) return cv(u) + 1;
  if (u.op === KOp.Range) return (u.arg as RangeArg).size;
  let v = boundMemo.get(u);
  if (v === undefined) boundMemo.set(u, (v = boundOf(u)));
  return v;
}
const boundMemo = new WeakMap<UOp, number | null>();

function boundOf(u: UOp): number | null {
  const p = primOf(u);
  if (p === null || !nonneg(u)) return null;
  const [a, b] = u.src.map(bound);
  if (a === null || b === null) return p === Prim.Rem && b !== null ? b - 1 : null;
  if (p === Prim.Add) return a + b - 1;
  if (p === Prim.Mul) return (a - 1) * (b - 1) + 1;
  if (p === Prim.Div) return u.src[1].op === KOp.Const && cv(u.src[1]) > 0 ? Math.floor((a - 1) / cv(u.src[1])) + 1 : null;
  return Math.min(a, b - 1); // Rem by a constant c: b = c + 1
}

/** The terms of a sum. */
const terms = (u: UOp): UOp[] => (primOf(u) === Prim.Add ? [...terms(u.src[0]), ...terms(u.src[1])] : [u]);

/** `u / c` when `u` is a multiple of `c` by construction (`y * (k c)` or a constant), else null. */
function divExact(u: UOp, c: number): UOp | null {
  if (isConst(u)) return cv(u) % c === 0 ? kconst(cv(u) / c) : null;
  if (primOf(u) === Prim.Mul && isConst(u.src[1]) && cv(u.src[1]) % c === 0) return imul(u.src[0], kconst(cv(u.src[1]) / c));
  if (primOf(u) === Prim.Mul && isConst(u.src[0]) && cv(u.src[0]) % c === 0) return imul(kconst(cv(u.src[0]) / c), u.src[1]);
  return null;
}

/**
 * Splits a non-negative sum into its multiples of `c` (divided by `c`) and the rest, so
 * `(y c + r) / c = y + r / c` and `(y c + r) % c = r % c`; null when nothing splits off.
 */
function splitMultiples(a: UOp, c: number): { q: UOp; rest: UOp } | null {
  if (c <= 1 || !nonneg(a)) return null;
  let q = kconst(0);
  let rest = kconst(0);
  let split = false;
  for (const t of terms(a)) {
    const d = divExact(t, c);
    if (d) {
      q = iadd(q, d);
      split = true;
    } else rest = iadd(rest, t);
  }
  return split ? { q, rest } : null;
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
  const s = splitMultiples(a, b);
  if (s) return iadd(s.q, idiv(s.rest, b));
  return kalu(Prim.Div, "index", [a, kconst(b)]);
};

export const imod = (a: UOp, b: number): UOp => {
  if (b === 1) return kconst(0);
  if (isConst(a)) return kconst(cv(a) % b);
  const ub = bound(a);
  if (ub !== null && ub <= b) return a;
  const s = splitMultiples(a, b);
  if (s) return imod(s.rest, b);
  return kalu(Prim.Rem, "index", [a, kconst(b)]);
};

/** `u` as digit `(x / d) % n` of some `x` (n null: no modulus, the top digit). */
function digitOf(u: UOp): { x: UOp; d: number; n: number | null } {
  const p = primOf(u);
  if (p === Prim.Rem && isConst(u.src[1])) {
    const inner = u.src[0];
    if (primOf(inner) === Prim.Div && isConst(inner.src[1])) return { x: inner.src[0], d: cv(inner.src[1]), n: cv(u.src[1]) };
    return { x: inner, d: 1, n: cv(u.src[1]) };
  }
  if (p === Prim.Div && isConst(u.src[1])) return { x: u.src[0], d: cv(u.src[1]), n: null };
  return { x: u, d: 1, n: null };
}

/**
 * Row-major flat index of a multi-index. Runs of axes holding the digits of one expression `x`
 * (as `unflatIndex` makes them: `x % n`, `(x / d) % n`, ..., `x / d`) fold back into `x`, so a
 * reshape between row-major layouts reads `x` itself and stays contiguous.
 */
export function flatIndex(idx: readonly UOp[], shape: readonly number[]): UOp {
  let f = kconst(0);
  // The open run: digits of x from divisor 1 up to `next`, at axes whose stride is c times the divisor.
  let run: { x: UOp; c: number; next: number; top: boolean } | null = null;
  const flush = () => {
    if (run) f = iadd(imul(run.top ? run.x : imod(run.x, run.next), kconst(run.c)), f);
    run = null;
  };
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const g = digitOf(idx[i]);
    const r = run as { x: UOp; c: number; next: number; top: boolean } | null;
    if (r && !r.top && g.x === r.x && g.d === r.next && stride === g.d * r.c && nonneg(g.x)) {
      if (g.n === null) r.top = true;
      else r.next *= g.n;
    } else {
      flush();
      if (g.d === 1 && nonneg(g.x)) run = { x: g.x, c: stride, next: g.n ?? 0, top: g.n === null };
      else f = iadd(imul(idx[i], kconst(stride)), f);
    }
    stride *= shape[i];
  }
  flush();
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
