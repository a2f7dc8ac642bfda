/**
 * @file JVP rules: for each primitive, the primal outputs and their tangents given input tangents.
 *
 * The math of each rule sits beside it. Rules receive symbolic `Zero` tangents for inputs that
 * carry no derivative; combinators handle the common shapes of rule (linear, unary with a
 * derivative, bilinear), as JAX's `defjvp` / `deflinear` / `defbilinear` do.
 */
import { BINARY_PRIMS, COMPARE_PRIMS, Prim, type PrimParams, UNARY_PRIMS } from "../ir/index.js";
import { type Tracer, bind } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import { type Tangent, Zero, addTangents, instantiate, isZero } from "./zero.js";
import { indexingJvpRules } from "./jvp-rules-indexing.js";
import { controlJvpRules } from "./jvp-rules-control.js";
import { cumulativeJvpRules } from "./jvp-rules-cumulative.js";
import { sortJvpRules } from "./jvp-rules-sort.js";
import { windowJvpRules } from "./jvp-rules-window.js";

export type JvpRule<P extends Prim> = (
  primals: readonly Tracer[],
  tangents: readonly Tangent[],
  params: PrimParams[P],
) => [Tracer[], Tangent[]];

type Table = { [P in Prim]: JvpRule<P> };

const apply = <P extends Prim>(prim: P, xs: readonly Tracer[], params: PrimParams[P]) => bind(prim, xs, params);

/** Jointly linear primitives: the tangent is the primitive applied to the tangents. */
export const linearJvp =
  <P extends Prim>(prim: P): JvpRule<P> =>
  (primals, tangents, params) => {
    const out = apply(prim, primals, params);
    if (tangents.every(isZero)) return [out, out.map((o) => Zero.like(o))];
    return [out, apply(prim, tangents.map(instantiate), params)];
  };

/** Unary primitives: tangent = t * f'(x, y), with y the primal output. */
const unaryJvp =
  <P extends Prim>(prim: P, deriv: (x: Tracer, y: Tracer) => Tracer): JvpRule<P> =>
  ([x], [t], params) => {
    const [y] = apply(prim, [x], params);
    return [[y], [isZero(t) ? Zero.like(y) : lax.mul(t, deriv(x, y))]];
  };

/** Primitives with zero derivative everywhere (rounding, comparisons, integer ops). */
const zeroJvp =
  <P extends Prim>(prim: P): JvpRule<P> =>
  (primals, _t, params) => {
    const out = apply(prim, primals, params);
    return [out, out.map((o) => Zero.like(o))];
  };

/** Scales a tangent: t * f (Zero stays Zero). */
const scale = (t: Tangent, f: () => Tracer): Tangent => (isZero(t) ? t : lax.mul(t, f()));

/** Sums tangent contributions, each possibly Zero, falling back to Zero like `out`. */
const sumT = (out: Tracer, ...ts: Tangent[]): Tangent => ts.reduce<Tangent>((a, b) => addTangents(a, b), Zero.like(out));

/** Broadcasts a rank-0 operand's tangent to the output shape when the other operand is full rank. */
const fit = (t: Tangent, out: Tracer): Tangent =>
  isZero(t) || t.ndim === out.ndim ? t : lax.broadcastInDim(t, out.shape, []);

const unaryRules: { [P in (typeof UNARY_PRIMS)[number]]: JvpRule<P> } = {
  [Prim.Neg]: linearJvp(Prim.Neg),
  [Prim.Sign]: zeroJvp(Prim.Sign),
  [Prim.Floor]: zeroJvp(Prim.Floor),
  [Prim.Ceil]: zeroJvp(Prim.Ceil),
  [Prim.Abs]: unaryJvp(Prim.Abs, (x) => lax.sign(x)), // d|x| = sign(x) dx
  [Prim.Exp]: unaryJvp(Prim.Exp, (_x, y) => y), // d e^x = e^x dx
  [Prim.Exp2]: unaryJvp(Prim.Exp2, (_x, y) => lax.mul(y, Math.LN2)), // d 2^x = 2^x ln2 dx
  [Prim.Log]: unaryJvp(Prim.Log, (x) => lax.div(1, x)), // d log x = dx / x
  [Prim.Log1p]: unaryJvp(Prim.Log1p, (x) => lax.div(1, lax.add(x, 1))),
  [Prim.Expm1]: unaryJvp(Prim.Expm1, (_x, y) => lax.add(y, 1)),
  [Prim.Sqrt]: unaryJvp(Prim.Sqrt, (_x, y) => lax.div(0.5, y)), // d sqrt x = dx / (2 sqrt x)
  [Prim.Rsqrt]: unaryJvp(Prim.Rsqrt, (x, y) => lax.mul(lax.div(y, x), -0.5)), // d x^-1/2 = -1/2 x^-3/2
  [Prim.Cbrt]: unaryJvp(Prim.Cbrt, (_x, y) => lax.div(1, lax.mul(lax.square(y), 3))),
  [Prim.Sin]: unaryJvp(Prim.Sin, (x) => lax.cos(x)),
  [Prim.Cos]: unaryJvp(Prim.Cos, (x) => lax.neg(lax.sin(x))),
  [Prim.Tan]: unaryJvp(Prim.Tan, (_x, y) => lax.add(1, lax.square(y))), // sec^2 = 1 + tan^2
  [Prim.Asin]: unaryJvp(Prim.Asin, (x) => lax.rsqrt(lax.sub(1, lax.square(x)))),
  [Prim.Acos]: unaryJvp(Prim.Acos, (x) => lax.neg(lax.rsqrt(lax.sub(1, lax.square(x))))),
  [Prim.Atan]: unaryJvp(Prim.Atan, (x) => lax.div(1, lax.add(1, lax.square(x)))),
  [Prim.Sinh]: unaryJvp(Prim.Sinh, (x) => lax.cosh(x)),
  [Prim.Cosh]: unaryJvp(Prim.Cosh, (x) => lax.sinh(x)),
  [Prim.Tanh]: unaryJvp(Prim.Tanh, (_x, y) => lax.sub(1, lax.square(y))), // 1 - tanh^2
  [Prim.Asinh]: unaryJvp(Prim.Asinh, (x) => lax.rsqrt(lax.add(lax.square(x), 1))),
  // 1 / sqrt((x - 1)(x + 1)) avoids cancellation in x^2 - 1 near 1.
  [Prim.Acosh]: unaryJvp(Prim.Acosh, (x) => lax.rsqrt(lax.mul(lax.sub(x, 1), lax.add(x, 1)))),
  [Prim.Atanh]: unaryJvp(Prim.Atanh, (x) => lax.div(1, lax.sub(1, lax.square(x)))),
  [Prim.Logistic]: unaryJvp(Prim.Logistic, (_x, y) => lax.mul(y, lax.sub(1, y))), // s (1 - s)
  [Prim.Erf]: unaryJvp(Prim.Erf, (x) => lax.mul(lax.exp(lax.neg(lax.square(x))), 2 / Math.sqrt(Math.PI))),
  [Prim.Erfc]: unaryJvp(Prim.Erfc, (x) => lax.mul(lax.exp(lax.neg(lax.square(x))), -2 / Math.sqrt(Math.PI))),
  // erfinv' (x) = sqrt(pi)/2 * exp(erfinv(x)^2)
  [Prim.ErfInv]: unaryJvp(Prim.ErfInv, (_x, y) => lax.mul(lax.exp(lax.square(y)), Math.sqrt(Math.PI) / 2)),
  [Prim.Lgamma]: unaryJvp(Prim.Lgamma, (x) => lax.digamma(x)),
  [Prim.Digamma]: () => {
    throw new Error(
      "jvp of digamma needs the trigamma function (polygamma of order 1), which Kiln does not have yet; " +
        "differentiate through lgamma instead, or wrap the call in stopGradient.",
    );
  },
  [Prim.Square]: unaryJvp(Prim.Square, (x) => lax.mul(x, 2)),
  [Prim.IsFinite]: zeroJvp(Prim.IsFinite),
  [Prim.Not]: zeroJvp(Prim.Not),
};

/** max/min: the tangent of the winner; ties split evenly, as JAX does (balanced). */
const extremumJvp =
  <P extends Prim.Max | Prim.Min>(prim: P): JvpRule<P> =>
  ([a, b], [ta, tb], params) => {
    const [y] = apply(prim, [a, b], params);
    const cast = (s: Tracer) => lax.convertElementType(s, y.dtype);
    // share = [x == y] * (1 - [other == y] / 2)
    const share = (x: Tracer, other: Tracer) =>
      lax.mul(cast(lax.eq(x, y)), lax.sub(1, lax.mul(cast(lax.eq(other, y)), 0.5)));
    return [[y], [sumT(y, fit(scale(ta, () => share(a, b)), y), fit(scale(tb, () => share(b, a)), y))]];
  };

const binaryRules: { [P in (typeof BINARY_PRIMS)[number]]: JvpRule<P> } = {
  [Prim.Add]: ([a, b], [ta, tb]) => {
    const y = lax.add(a, b);
    return [[y], [sumT(y, fit(ta, y), fit(tb, y))]];
  },
  [Prim.Sub]: ([a, b], [ta, tb]) => {
    const y = lax.sub(a, b);
    return [[y], [sumT(y, fit(ta, y), fit(isZero(tb) ? tb : lax.neg(tb), y))]];
  },
  // d(ab) = da b + a db
  [Prim.Mul]: ([a, b], [ta, tb]) => {
    const y = lax.mul(a, b);
    return [[y], [sumT(y, fit(scale(ta, () => b), y), fit(scale(tb, () => a), y))]];
  },
  // d(a/b) = da / b - db a / b^2
  [Prim.Div]: ([a, b], [ta, tb]) => {
    const y = lax.div(a, b);
    const da = isZero(ta) ? ta : lax.div(ta, b);
    const db = isZero(tb) ? tb : lax.neg(lax.mul(tb, lax.div(y, b)));
    return [[y], [sumT(y, fit(da, y), fit(db, y))]];
  },
  // rem(a, b) = a - b trunc(a/b): d = da - db trunc(a/b)
  [Prim.Rem]: ([a, b], [ta, tb]) => {
    const y = lax.rem(a, b);
    const q = () => {
      const d = lax.div(a, b);
      return lax.mul(lax.sign(d), lax.floor(lax.abs(d)));
    };
    const db = isZero(tb) ? tb : lax.neg(lax.mul(tb, q()));
    return [[y], [sumT(y, fit(ta, y), fit(db, y))]];
  },
  // d(a^b) = b a^(b-1) da + log(a) a^b db; the log term is 0 where a == 0 (JAX's convention).
  [Prim.Pow]: ([a, b], [ta, tb]) => {
    const y = lax.pow(a, b);
    const da = scale(ta, () => lax.mul(b, lax.pow(a, lax.sub(b, 1))));
    const db = scale(tb, () => lax.select(lax.eq(a, 0), 0, lax.mul(lax.log(a), y)) as Tracer);
    return [[y], [sumT(y, fit(da, y), fit(db, y))]];
  },
  [Prim.Max]: extremumJvp(Prim.Max),
  [Prim.Min]: extremumJvp(Prim.Min),
  // d atan2(a, b) = (b da - a db) / (a^2 + b^2)
  [Prim.Atan2]: ([a, b], [ta, tb]) => {
    const y = lax.atan2(a, b);
    const den = () => lax.add(lax.square(a), lax.square(b));
    const da = scale(ta, () => lax.div(b, den()));
    const db = scale(tb, () => lax.neg(lax.div(a, den())));
    return [[y], [sumT(y, fit(da, y), fit(db, y))]];
  },
  [Prim.Nextafter]: zeroJvp(Prim.Nextafter),
  [Prim.And]: zeroJvp(Prim.And),
  [Prim.Or]: zeroJvp(Prim.Or),
  [Prim.Xor]: zeroJvp(Prim.Xor),
  [Prim.ShiftLeft]: zeroJvp(Prim.ShiftLeft),
  [Prim.ShiftRightLogical]: zeroJvp(Prim.ShiftRightLogical),
  [Prim.ShiftRightArithmetic]: zeroJvp(Prim.ShiftRightArithmetic),
};

const compareRules = Object.fromEntries(COMPARE_PRIMS.map((p) => [p, zeroJvp(p)])) as unknown as {
  [P in (typeof COMPARE_PRIMS)[number]]: JvpRule<P>;
};

/** Reductions by max/min: the tangent at the (evenly shared) arg-extremum positions. */
const reduceExtremumJvp =
  <P extends Prim.ReduceMax | Prim.ReduceMin>(prim: P): JvpRule<P> =>
  ([x], [t], params) => {
    const { axes } = params as PrimParams[Prim.ReduceMax];
    const [y] = apply(prim, [x], params);
    if (isZero(t)) return [[y], [Zero.like(y)]];
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const yb = lax.broadcastInDim(y, x.shape, kept);
    const mask = lax.convertElementType(lax.eq(x, yb), x.dtype);
    const count = lax.reduceSum(mask, axes);
    return [[y], [lax.div(lax.reduceSum(lax.mul(t, mask), axes), count)]];
  };

/**
 * reduce_prod: d prod = sum_i t_i prod_{j != i} x_j, computed with exclusive products from both
 * sides so zeros in x are handled exactly (no division).
 */
const reduceProdJvp: JvpRule<Prim.ReduceProd> = ([x], [t], params) => {
  const [y] = apply(Prim.ReduceProd, [x], params);
  if (isZero(t)) return [[y], [Zero.like(y)]];
  const { axes } = params;
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const n = axes.reduce((a, i) => a * x.shape[i], 1);
  const flatShape = [...kept.map((i) => x.shape[i]), n];
  const xf = lax.reshape(lax.transpose(x, perm), flatShape);
  const tf = lax.reshape(lax.transpose(t, perm), flatShape);
  const last = flatShape.length - 1;
  const exclusive = (v: Tracer, reverse: boolean) => {
    const inc = lax.cumprod(v, last, reverse);
    // Shift by one along the last axis, filling with 1.
    const cfg = flatShape.map((): [number, number, number] => [0, 0, 0]);
    cfg[last] = reverse ? [-1, 1, 0] : [1, -1, 0];
    return lax.pad(inc, lax.convertElementType(1, v.dtype), cfg);
  };
  const others = lax.mul(exclusive(xf, false), exclusive(xf, true));
  return [[y], [lax.reduceSum(lax.mul(tf, others), [last])]];
};

export const jvpRules: Table = {
  ...unaryRules,
  ...binaryRules,
  ...compareRules,
  [Prim.Round]: zeroJvp(Prim.Round),
  // d x^n = n x^(n-1) dx
  [Prim.IntegerPow]: ([x], [t], params) => {
    const [y] = apply(Prim.IntegerPow, [x], params);
    const { y: n } = params;
    const d = () => (n === 0 ? lax.mul(x, 0) : n === 1 ? lax.add(lax.mul(x, 0), 1) : lax.mul(lax.integerPow(x, n - 1), n));
    return [[y], [scale(t, d)]];
  },
  // select_n is linear in the cases; the selector has no derivative.
  [Prim.SelectN]: ([which, ...cases], [, ...tcases], params) => {
    const [y] = apply(Prim.SelectN, [which, ...cases], params);
    if (tcases.every(isZero)) return [[y], [Zero.like(y)]];
    const ts = tcases.map((t, i) => (isZero(t) ? instantiate(Zero.like(cases[i])) : t));
    return [[y], [lax.selectN(which, ...ts)]];
  },
  // clamp(lo, x, hi): the tangent of whichever bound is active, else of x.
  [Prim.Clamp]: ([lo, x, hi], [tlo, tx, thi]) => {
    const y = lax.clamp(lo, x, hi);
    const pick = (t: Tangent, cond: () => Tracer): Tangent =>
      isZero(t) ? t : lax.select(cond(), fit(t, y) as Tracer, lax.mul(fit(t, y) as Tracer, 0));
    const tl = pick(tlo, () => lax.lt(x, lo));
    const th = pick(thi, () => lax.gt(x, hi));
    const tm = pick(tx, () => lax.bitwiseAnd(lax.ge(x, lo), lax.le(x, hi)));
    return [[y], [sumT(y, tl, th, tm)]];
  },
  [Prim.ConvertElementType]: ([x], [t], params) => {
    const [y] = apply(Prim.ConvertElementType, [x], params);
    const floatToFloat = ["float16", "float32", "float64"].includes(params.newDtype) && !isZero(t);
    return [[y], [floatToFloat ? lax.convertElementType(t as Tracer, params.newDtype) : Zero.like(y)]];
  },
  [Prim.BitcastConvertType]: zeroJvp(Prim.BitcastConvertType),
  [Prim.BroadcastInDim]: linearJvp(Prim.BroadcastInDim),
  [Prim.Reshape]: linearJvp(Prim.Reshape),
  [Prim.Transpose]: linearJvp(Prim.Transpose),
  [Prim.Squeeze]: linearJvp(Prim.Squeeze),
  [Prim.ExpandDims]: linearJvp(Prim.ExpandDims),
  [Prim.Rev]: linearJvp(Prim.Rev),
  [Prim.Pad]: linearJvp(Prim.Pad),
  [Prim.Concatenate]: linearJvp(Prim.Concatenate),
  [Prim.Slice]: linearJvp(Prim.Slice),
  ...indexingJvpRules,
  [Prim.Iota]: zeroJvp(Prim.Iota),
  [Prim.Copy]: linearJvp(Prim.Copy),
  [Prim.ReduceSum]: linearJvp(Prim.ReduceSum),
  [Prim.ReduceMax]: reduceExtremumJvp(Prim.ReduceMax),
  [Prim.ReduceMin]: reduceExtremumJvp(Prim.ReduceMin),
  [Prim.ReduceProd]: reduceProdJvp,
  [Prim.ReduceAnd]: zeroJvp(Prim.ReduceAnd),
  [Prim.ReduceOr]: zeroJvp(Prim.ReduceOr),
  [Prim.ReduceXor]: zeroJvp(Prim.ReduceXor),
  [Prim.Argmax]: zeroJvp(Prim.Argmax),
  [Prim.Argmin]: zeroJvp(Prim.Argmin),
  [Prim.Cumsum]: linearJvp(Prim.Cumsum),
  ...cumulativeJvpRules,
  ...sortJvpRules,
  // d(a . b) = da . b + a . db
  [Prim.DotGeneral]: ([a, b], [ta, tb], params) => {
    const [y] = apply(Prim.DotGeneral, [a, b], params);
    const da = isZero(ta) ? ta : apply(Prim.DotGeneral, [ta, b], params)[0];
    const db = isZero(tb) ? tb : apply(Prim.DotGeneral, [a, tb], params)[0];
    return [[y], [sumT(y, da, db)]];
  },
  [Prim.ConvGeneralDilated]: ([a, b], [ta, tb], params) => {
    const [y] = apply(Prim.ConvGeneralDilated, [a, b], params);
    const da = isZero(ta) ? ta : apply(Prim.ConvGeneralDilated, [ta, b], params)[0];
    const db = isZero(tb) ? tb : apply(Prim.ConvGeneralDilated, [a, tb], params)[0];
    return [[y], [sumT(y, da, db)]];
  },
  [Prim.ReduceWindowSum]: linearJvp(Prim.ReduceWindowSum),
  ...windowJvpRules,
  // Linear in the scattered source; the operand only chooses positions.
  [Prim.SelectAndScatterAdd]: ([source, operand], [ts], params) => {
    const [y] = apply(Prim.SelectAndScatterAdd, [source, operand], params);
    return [[y], [isZero(ts) ? Zero.like(y) : apply(Prim.SelectAndScatterAdd, [ts, operand], params)[0]]];
  },
  [Prim.Threefry2x32]: zeroJvp(Prim.Threefry2x32),
  // stop_gradient: the primal passes through, the derivative is cut.
  [Prim.StopGradient]: zeroJvp(Prim.StopGradient),
  ...controlJvpRules,
};
