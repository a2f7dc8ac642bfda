/**
 * @file Algebraic simplification: local rewrites (tinygrad-style pattern lists) that remove
 * identities (x*1, x+0, same-shape reshapes and broadcasts, identity transposes, same-type
 * conversions), fold chains (reshape of reshape, transpose of transpose, broadcast of broadcast,
 * neg of neg) and fold scalar constants.
 */
import {
  type Atom, type Eqn, Prim, type PrimParams, type Program, type Var, isHigherOrder, shapeEqual,
} from "../ir/index.js";
import { mapSubPrograms } from "./sub-programs.js";
import { resolve, substitute } from "./substitute.js";

/** A rewrite: the atom that replaces the equation's single output, a new equation, or null. */
type Pattern = (e: Eqn, defOf: (a: Atom) => Eqn | undefined) => Atom | Eqn | null;

const isLit = (a: Atom, v: number): boolean => a.kind === "lit" && a.value === v;
const sameAval = (a: Atom, out: Var): boolean => a.aval.equals(out.aval) && a.aval.weakType === out.aval.weakType;

/** x op c -> x when c is the identity and nothing about x's type changes. */
const identity = (prim: Prim, unit: number, sides: "both" | "right"): Pattern => (e) => {
  if (e.prim !== prim) return null;
  const [a, b] = e.inputs;
  const out = e.outs[0];
  if (isLit(b, unit) && sameAval(a, out)) return a;
  if (sides === "both" && isLit(a, unit) && sameAval(b, out)) return b;
  return null;
};

/** Matrix-free rewrites, keyed by what they remove. */
export const pmIdentities: readonly Pattern[] = [
  identity(Prim.Mul, 1, "both"),
  identity(Prim.Add, 0, "both"),
  identity(Prim.Sub, 0, "right"),
  identity(Prim.Div, 1, "right"),
  (e) => (e.prim === Prim.Reshape && sameAval(e.inputs[0], e.outs[0]) ? e.inputs[0] : null),
  (e) =>
    e.prim === Prim.BroadcastInDim && sameAval(e.inputs[0], e.outs[0]) &&
    (e.params as PrimParams[Prim.BroadcastInDim]).broadcastDimensions.every((d, i) => d === i)
      ? e.inputs[0]
      : null,
  (e) =>
    e.prim === Prim.Transpose && (e.params as PrimParams[Prim.Transpose]).permutation.every((p, i) => p === i)
      ? e.inputs[0]
      : null,
  (e) => (e.prim === Prim.ConvertElementType && sameAval(e.inputs[0], e.outs[0]) ? e.inputs[0] : null),
  (e) => (e.prim === Prim.Squeeze && (e.params as PrimParams[Prim.Squeeze]).dimensions.length === 0 ? e.inputs[0] : null),
];

/** Chains of shape ops collapse into one. */
export const pmChains: readonly Pattern[] = [
  // neg(neg(x)) -> x
  (e, defOf) => {
    if (e.prim !== Prim.Neg) return null;
    const d = defOf(e.inputs[0]);
    return d?.prim === Prim.Neg ? d.inputs[0] : null;
  },
  // reshape(reshape(x)) -> reshape(x)
  (e, defOf) => {
    if (e.prim !== Prim.Reshape) return null;
    const d = defOf(e.inputs[0]);
    if (d?.prim !== Prim.Reshape) return null;
    return shapeEqual(d.inputs[0].aval.shape, e.outs[0].aval.shape) ? d.inputs[0] : { ...e, inputs: [d.inputs[0]] };
  },
  // transpose(transpose(x, p), q) -> transpose(x, p o q)
  (e, defOf) => {
    if (e.prim !== Prim.Transpose) return null;
    const d = defOf(e.inputs[0]);
    if (d?.prim !== Prim.Transpose) return null;
    const p = (d.params as PrimParams[Prim.Transpose]).permutation;
    const q = (e.params as PrimParams[Prim.Transpose]).permutation;
    const permutation = q.map((i) => p[i]);
    return permutation.every((v, i) => v === i) ? d.inputs[0] : { ...e, inputs: [d.inputs[0]], params: { permutation } as never };
  },
  // broadcast_in_dim(broadcast_in_dim(x, s1, d1), s2, d2) -> broadcast_in_dim(x, s2, d2 o d1)
  (e, defOf) => {
    if (e.prim !== Prim.BroadcastInDim) return null;
    const d = defOf(e.inputs[0]);
    if (d?.prim !== Prim.BroadcastInDim) return null;
    const inner = (d.params as PrimParams[Prim.BroadcastInDim]).broadcastDimensions;
    const outer = e.params as PrimParams[Prim.BroadcastInDim];
    const dims = inner.map((i) => outer.broadcastDimensions[i]);
    return { ...e, inputs: [d.inputs[0]], params: { shape: outer.shape, broadcastDimensions: dims } as never };
  },
  // convert(convert(x)) -> x when the round trip is exact (float32 -> float64 -> float32, etc.)
  (e, defOf) => {
    if (e.prim !== Prim.ConvertElementType) return null;
    const d = defOf(e.inputs[0]);
    if (d?.prim !== Prim.ConvertElementType) return null;
    const src = d.inputs[0];
    const widening: Record<string, string[]> = { float16: ["float32", "float64"], float32: ["float64"], int32: ["float64"] };
    const mid = d.outs[0].aval.dtype;
    return sameAval(src, e.outs[0]) && widening[src.aval.dtype]?.includes(mid) ? src : null;
  },
];

/** The patterns in the order they are tried. */
export const pmSimplify: readonly Pattern[] = [...pmIdentities, ...pmChains];

/**
 * Applies the simplification patterns until nothing changes.
 *
 * @example simplify(program) // `mul a 1.0` disappears
 */
export function simplify(p: Program, patterns: readonly Pattern[] = pmSimplify): Program {
  const replace = new Map<Var, Atom>();
  const defs = new Map<Var, Eqn>();
  const defOf = (a: Atom) => (a.kind === "var" ? defs.get(a) : undefined);
  const eqns: Eqn[] = [];
  let changed = false;
  for (const e0 of p.eqns) {
    let e = substitute(e0, replace);
    if (isHigherOrder(e.prim)) e = mapSubPrograms(e, (q) => simplify(q, patterns));
    let rewritten = true;
    while (rewritten && e.outs.length === 1) {
      rewritten = false;
      for (const pat of patterns) {
        const r = pat(e, defOf);
        if (r === null) continue;
        if ("kind" in r) {
          replace.set(e.outs[0], r);
          e = null as never;
        } else e = r;
        rewritten = true;
        break;
      }
      if (e === null) break;
    }
    if (e === null) {
      changed = true;
      continue;
    }
    if (e !== e0) changed = true;
    e.outs.forEach((v) => defs.set(v, e));
    eqns.push(e);
  }
  if (!changed) return p;
  return { ...p, eqns, outs: p.outs.map((o) => resolve(o, replace)) };
}


