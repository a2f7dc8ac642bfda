/**
 * @file Transpose rules of the linear primitives: given the output cotangent, the cotangent of
 * each linear input (`null` for inputs that are not linear / not being solved for). A rule for
 * a primitive linear in x satisfies <ct, f(x)> = <f^T(ct), x>, tested by the transpose identity.
 * Partial by design, as JAX's `ad.primitive_transposes`: only linear primitives have one.
 */
import { Prim, type PrimParams, ShapedArray } from "../ir/index.js";
import { type Scalar, Tracer } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import { type Tangent, Zero, instantiate, isZero } from "./zero.js";
import { type PrimalOrUndef, isUndef } from "./transpose.js";
import { indexingTransposeRules } from "./transpose-rules-indexing.js";
import { convTransposeRules } from "./transpose-rules-conv.js";

export type TransposeRule<P extends Prim> = (
  cts: readonly Tangent[],
  inputs: readonly PrimalOrUndef[],
  params: PrimParams[P],
) => (Tangent | null)[];

export const avalOfInput = (x: PrimalOrUndef): ShapedArray =>
  x instanceof Tracer ? x.aval : isUndef(x) ? x.aval : new ShapedArray([], typeof x === "boolean" ? "bool" : "float32", true);

/** Sums a cotangent down to a rank-0 operand (the only broadcasting elementwise ops allow). */
export function unbroadcast(ct: Tangent, to: ShapedArray): Tangent {
  if (isZero(ct)) return new Zero(to);
  let r = ct;
  if (to.ndim === 0 && r.ndim > 0) r = lax.reduceSum(r, r.shape.map((_, i) => i));
  return r.dtype !== to.dtype ? lax.convertElementType(r, to.dtype) : r;
}

const known = (x: PrimalOrUndef): Tracer | Scalar => {
  if (isUndef(x)) throw new Error("internal: transpose rule needs a known operand but got the linear input");
  return x;
};

const ct0 = (cts: readonly Tangent[]): Tracer => instantiate(cts[0]);

/** Primitives whose transpose is itself with other params (or an inverse shape op). */
const single =
  <P extends Prim>(f: (ct: Tracer, x: ShapedArray, params: PrimParams[P]) => Tracer): TransposeRule<P> =>
  (cts, [x], params) =>
    [f(ct0(cts), avalOfInput(x), params)];

const inversePermutation = (p: readonly number[]) => {
  const inv = new Array<number>(p.length);
  p.forEach((v, i) => (inv[v] = i));
  return inv;
};

type Rules = { [P in Prim]?: TransposeRule<P> };

export const transposeRules: Rules = {
  [Prim.Neg]: single((ct) => lax.neg(ct)),
  [Prim.Add]: (cts, [a, b]) => [
    isUndef(a) ? unbroadcast(cts[0], a.aval) : null,
    isUndef(b) ? unbroadcast(cts[0], b.aval) : null,
  ],
  [Prim.Sub]: (cts, [a, b]) => [
    isUndef(a) ? unbroadcast(cts[0], a.aval) : null,
    isUndef(b) ? unbroadcast(lax.neg(ct0(cts)), b.aval) : null,
  ],
  // Linear in whichever operand is undefined: ct_a = ct * b.
  [Prim.Mul]: (cts, [a, b]) => [
    isUndef(a) ? unbroadcast(lax.mul(ct0(cts), known(b)), a.aval) : null,
    isUndef(b) ? unbroadcast(lax.mul(known(a), ct0(cts)), b.aval) : null,
  ],
  // Linear in the numerator only.
  [Prim.Div]: (cts, [a, b]) => {
    if (isUndef(b)) throw new Error("internal: div is not linear in its denominator");
    return [isUndef(a) ? unbroadcast(lax.div(ct0(cts), known(b)), a.aval) : null, null];
  },
  [Prim.ConvertElementType]: single((ct, x) => lax.convertElementType(ct, x.dtype, x.weakType)),
  // The cotangent of a broadcast sums over the broadcast axes (and keeps size-1 axes).
  [Prim.BroadcastInDim]: single((ct, x, { shape, broadcastDimensions: bd }) => {
    const summed = shape.map((_, i) => i).filter((i) => !bd.includes(i) || (x.shape[bd.indexOf(i)] === 1 && shape[i] !== 1));
    const r = summed.length ? lax.reduceSum(ct, summed) : ct;
    return r.ndim === x.ndim ? r : lax.reshape(r, x.shape);
  }),
  [Prim.Reshape]: single((ct, x) => lax.reshape(ct, x.shape)),
  [Prim.Transpose]: single((ct, _x, { permutation }) => lax.transpose(ct, inversePermutation(permutation))),
  [Prim.Squeeze]: single((ct, x) => lax.reshape(ct, x.shape)),
  [Prim.ExpandDims]: single((ct, x) => lax.reshape(ct, x.shape)),
  [Prim.Rev]: single((ct, _x, { dimensions }) => lax.rev(ct, dimensions)),
  [Prim.Copy]: single((ct) => ct),
  [Prim.ReduceSum]: single((ct, x, { axes }) =>
    lax.broadcastInDim(ct, x.shape, x.shape.map((_, i) => i).filter((i) => !axes.includes(i))),
  ),
  [Prim.Cumsum]: single((ct, _x, { axis, reverse }) => lax.cumsum(ct, axis, !reverse)),
  /**
   * pad is linear in (operand, padding value) jointly. ct_operand un-pads: negate low/high
   * padding, then take every (interior+1)-th element; ct_value = sum(ct) - sum(ct_operand).
   */
  [Prim.Pad]: (cts, [x, v], { paddingConfig }) => {
    const ct = ct0(cts);
    const xa = avalOfInput(x);
    const unpadded = lax.pad(
      ct,
      lax.convertElementType(0, ct.dtype),
      paddingConfig.map(([lo, hi]) => [-lo, -hi, 0] as [number, number, number]),
    );
    const ctx = lax.slice(unpadded, xa.shape.map(() => 0), unpadded.shape, paddingConfig.map(([, , i]) => i + 1));
    const all = (t: Tracer) => lax.reduceSum(t, t.shape.map((_, i) => i));
    return [isUndef(x) ? ctx : null, isUndef(v) ? lax.sub(all(ct), all(ctx)) : null];
  },
  [Prim.Concatenate]: (cts, inputs, { dimension }) => {
    const ct = ct0(cts);
    let offset = 0;
    return inputs.map((x) => {
      const a = avalOfInput(x);
      const start = a.shape.map((_, i) => (i === dimension ? offset : 0));
      const limit = a.shape.map((d, i) => (i === dimension ? offset + d : ct.shape[i]));
      offset += a.shape[dimension];
      return isUndef(x) ? lax.slice(ct, start, limit) : null;
    });
  },
  // The cotangent of a slice is the slice's cotangent padded back into place with zeros.
  [Prim.Slice]: single((ct, x, { startIndices, strides }) => {
    const st = strides ?? x.shape.map(() => 1);
    const cfg = x.shape.map((d, i): [number, number, number] => {
      const realLimit = ct.shape[i] === 0 ? startIndices[i] : startIndices[i] + (ct.shape[i] - 1) * st[i] + 1;
      return [startIndices[i], d - realLimit, st[i] - 1];
    });
    return lax.pad(ct, lax.convertElementType(0, ct.dtype), cfg);
  }),
  // Linear in the cases: each undefined case receives ct where it was selected, zero elsewhere.
  [Prim.SelectN]: (cts, [which, ...cases]) => {
    const ct = ct0(cts);
    const zero = lax.mul(ct, 0);
    return [
      null,
      ...cases.map((c, i) => {
        if (!isUndef(c)) return null;
        const picks = cases.map((_, j) => (j === i ? ct : zero));
        return unbroadcast(lax.selectN(known(which), ...picks), c.aval);
      }),
    ];
  },
  [Prim.DotGeneral]: (cts, [a, b], params) => [
    isUndef(a) ? dotTransposeLhs(ct0(cts), a.aval, known(b) as Tracer, params) : null,
    isUndef(b) ? dotTransposeRhs(ct0(cts), known(a) as Tracer, b.aval, params) : null,
  ],
  ...indexingTransposeRules,
  ...convTransposeRules,
  /**
   * A while loop's trip count is a run-time value, so its iterations cannot be stored for the
   * backward pass: reverse mode stops here with the way out (JAX's while_loop message).
   */
  [Prim.While]: () => {
    throw new Error(
      "Reverse-mode differentiation (grad, vjp) does not work for lax.whileLoop, or lax.foriLoop with " +
        "traced bounds: the number of iterations is not known when the function is traced, so the loop " +
        "cannot be run backwards. Use lax.scan, or lax.foriLoop with JS-number bounds (which becomes a " +
        "scan); forward mode (jvp, jacfwd) does support whileLoop.",
    );
  },
};

/** Consecutive index ranges of the given lengths: [[0..n0), [n0..n0+n1), ...]. */
function rangesLike(...lens: number[]): number[][] {
  let start = 0;
  return lens.map((n) => {
    const r = Array.from({ length: n }, (_, i) => start + i);
    start += n;
    return r;
  });
}

const remaining = (n: number, ...taken: (readonly number[])[]) =>
  Array.from({ length: n }, (_, i) => i).filter((i) => !taken.some((t) => t.includes(i)));

const argsort = (xs: readonly number[]) => xs.map((_, i) => i).sort((i, j) => xs[i] - xs[j]);

/**
 * ct_lhs of out = dot_general(lhs, rhs): contract ct with rhs over rhs's kept axes, then permute
 * back to lhs's axis order. `swap` is set when called for the rhs (the output's free-axis groups
 * are then in the opposite order).
 */
function dotTransposeLhs(
  ct: Tracer,
  x: ShapedArray,
  y: Tracer | ShapedArray,
  { dimensionNumbers: [[xc, yc], [xb, yb]], preferredElementType }: PrimParams[Prim.DotGeneral],
  swap = false,
  yTracer?: Tracer,
): Tracer {
  const yNdim = y instanceof ShapedArray ? y.ndim : y.ndim;
  const xKept = remaining(x.ndim, xc, xb);
  const yKept = remaining(yNdim, yc, yb);
  const [ansBatch, ansY] = swap
    ? (() => {
        const [b, yk] = rangesLike(xb.length, yKept.length, xKept.length);
        return [b, yk];
      })()
    : (() => {
        const [b, , yk] = rangesLike(xb.length, xKept.length, yKept.length);
        return [b, yk];
      })();
  const yOperand = yTracer ?? (y as Tracer);
  const dims: PrimParams[Prim.DotGeneral]["dimensionNumbers"] = [[ansY, yKept], [ansBatch, yb]];
  const xcSortedByY = argsort(yc).map((i) => xc[i]);
  const outAxes = argsort([...xb, ...xKept, ...xcSortedByY]);
  const r = lax.dotGeneral(ct, yOperand, dims, preferredElementType);
  const t = lax.transpose(r, outAxes);
  return t.dtype !== x.dtype ? lax.convertElementType(t, x.dtype) : t;
}

function dotTransposeRhs(
  ct: Tracer,
  x: Tracer,
  y: ShapedArray,
  { dimensionNumbers: [[xc, yc], [xb, yb]], preferredElementType }: PrimParams[Prim.DotGeneral],
): Tracer {
  return dotTransposeLhs(ct, y, x, { dimensionNumbers: [[yc, xc], [yb, xb]], preferredElementType }, true, x);
}
