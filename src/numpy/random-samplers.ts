/**
 * @file Samplers built on `uniform` and `bits`: truncatedNormal, bernoulli, rademacher,
 * exponential, gumbel, laplace, logistic, categorical, permutation and choice. Each follows the
 * algorithm of its jax.random namesake (jax 0.4.30) step for step, so that results agree with
 * JAX's default threefry PRNG.
 */
import { type DType, DTypeError, ShapeError, broadcastShapes, isFloat, isInt, sizeOf } from "../ir/index.js";
import { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { type ArrayInput, asLike, broadcastTo, cast, promoteArgsInexact, typeOf } from "./util.js";
import { constant, takeIndices } from "./sort-util.js";
import { argsort, searchsorted } from "./sorting.js";
import { argmax } from "./reductions.js";
import {
  type FloatOpts, type Key, bits, checkKey, concreteInt, floatDtype, mantissaBits, randint, shapeOf, split,
  uniform,
} from "./random-core.js";

type Shape = readonly number[] | number;

const asTracer = (op: string, x: ArrayInput): Tracer => {
  const t = asLike(`random.${op}`, x);
  return t instanceof Tracer ? t : cast(t, typeOf(t));
};

const tiny = (d: DType) => (d === "float64" ? 2 ** -1022 : d === "float16" ? 2 ** -14 : 2 ** -126);
const eps = (d: DType) => 2 ** -mantissaBits(d);

/**
 * Standard normal samples truncated to (lower, upper), by inverting the normal CDF on a
 * uniform sample between the bounds' CDF values. `shape` defaults to the bounds' broadcast shape.
 *
 * @example random.truncatedNormal(random.key(0), -2, 2, [3])
 */
export function truncatedNormal(k: Key, lower: ArrayInput, upper: ArrayInput, shape?: Shape, opts: FloatOpts = {}): Tracer {
  checkKey("truncatedNormal", k);
  const dtype = floatDtype("truncatedNormal", opts.dtype);
  const spec = { dtype, weak: false };
  const lo = typeof lower === "number" ? constant(lower, dtype) : cast(asTracer("truncatedNormal", lower), spec);
  const hi = typeof upper === "number" ? constant(upper, dtype) : cast(asTracer("truncatedNormal", upper), spec);
  const s = shape === undefined ? broadcastShapes("random.truncatedNormal", lo.shape, hi.shape) : shapeOf("truncatedNormal", shape);
  const sqrt2 = constant(Math.SQRT2, dtype);
  const a = lax.erf(lax.div(lo, sqrt2));
  const b = lax.erf(lax.div(hi, sqrt2));
  const u = uniform(k, s, { dtype, minval: a, maxval: b });
  const out = lax.mul(sqrt2, lax.erfInv(u));
  // Clamp into the open interval: rounding (or u landing on a) could reach a bound.
  const loOpen = broadcastTo("random.truncatedNormal", lax.nextafter(lo, constant(Infinity, dtype)), s);
  const hiOpen = broadcastTo("random.truncatedNormal", lax.nextafter(hi, constant(-Infinity, dtype)), s);
  return lax.min(hiOpen, lax.max(loOpen, out));
}

/**
 * Booleans that are true with probability `p` (default 0.5); `shape` defaults to p's shape.
 *
 * @example random.bernoulli(random.key(0), 0.3, [5])
 */
export function bernoulli(k: Key, p: ArrayInput = 0.5, shape?: Shape): Tracer {
  checkKey("bernoulli", k);
  const pt = typeof p === "number" ? constant(p, "float32") : asTracer("bernoulli", p);
  if (!isFloat(pt.dtype)) throw new DTypeError(`random.bernoulli: p must be a float, received ${pt.dtype}.`);
  const s = shape === undefined ? [...pt.shape] : shapeOf("bernoulli", shape);
  return lax.lt(uniform(k, s, { dtype: pt.dtype }), broadcastTo("random.bernoulli", pt, s));
}

/**
 * Uniform random signs, -1 or +1 (int32 by default).
 *
 * @example random.rademacher(random.key(0), [4])
 */
export function rademacher(k: Key, shape: Shape = [], opts: { readonly dtype?: DType } = {}): Tracer {
  const dtype = opts.dtype ?? "int32";
  const b = lax.convertElementType(bernoulli(k, 0.5, shape), dtype);
  return lax.sub(lax.mul(constant(2, dtype), b), constant(1, dtype));
}

/** Exponential(1) samples, `-log1p(-u)`. @example random.exponential(random.key(0), [3]) */
export function exponential(k: Key, shape: Shape = [], opts: FloatOpts = {}): Tracer {
  const u = uniform(k, shape, { dtype: floatDtype("exponential", opts.dtype) });
  return lax.neg(lax.log1p(lax.neg(u)));
}

/** Standard Gumbel samples, `-log(-log(u))`. @example random.gumbel(random.key(0), [3]) */
export function gumbel(k: Key, shape: Shape = [], opts: FloatOpts = {}): Tracer {
  const dtype = floatDtype("gumbel", opts.dtype);
  const u = uniform(k, shape, { dtype, minval: tiny(dtype), maxval: 1 });
  return lax.neg(lax.log(lax.neg(lax.log(u))));
}

/** Standard Laplace samples. @example random.laplace(random.key(0), [3]) */
export function laplace(k: Key, shape: Shape = [], opts: FloatOpts = {}): Tracer {
  const dtype = floatDtype("laplace", opts.dtype);
  const u = uniform(k, shape, { dtype, minval: -1 + eps(dtype) / 2, maxval: 1 });
  return lax.mul(lax.sign(u), lax.log1p(lax.neg(lax.abs(u))));
}

/** Standard logistic samples, `log(u / (1 - u))`. @example random.logistic(random.key(0), [3]) */
export function logistic(k: Key, shape: Shape = [], opts: FloatOpts = {}): Tracer {
  const dtype = floatDtype("logistic", opts.dtype);
  const u = uniform(k, shape, { dtype, minval: eps(dtype), maxval: 1 });
  return lax.log(lax.div(u, lax.sub(constant(1, dtype), u)));
}

/**
 * Category indices (int32) drawn from unnormalized log-probabilities along `axis` (default -1),
 * by the Gumbel-max trick. `shape` defaults to the logits' shape without `axis`; it may add
 * leading batch dimensions.
 *
 * @example random.categorical(random.key(0), np.log(np.array([0.2, 0.8])), { shape: [5] })
 */
export function categorical(k: Key, logits: ArrayInput, opts: { readonly axis?: number; readonly shape?: Shape } = {}): Tracer {
  checkKey("categorical", k);
  const lg = asTracer("categorical", logits);
  if (lg.ndim === 0) throw new ShapeError("random.categorical: logits must be at least 1-D.");
  const nd = lg.ndim;
  const axis0 = opts.axis ?? -1;
  if (!Number.isInteger(axis0) || axis0 < -nd || axis0 >= nd) {
    throw new RangeError(`random.categorical: axis ${axis0} is out of bounds for logits of rank ${nd}.`);
  }
  const axis = axis0 < 0 ? axis0 + nd : axis0;
  const batch = lg.shape.filter((_, i) => i !== axis);
  const s = opts.shape === undefined ? batch : shapeOf("categorical", opts.shape);
  const tail = s.slice(s.length - batch.length);
  if (s.length < batch.length || !tail.every((d, i) => d === batch[i] || batch[i] === 1)) {
    throw new ShapeError(`random.categorical: shape [${s}] must end with the batch shape [${batch}] of the logits.`);
  }
  const prefix = s.slice(0, s.length - batch.length);
  const gShape = [...prefix, ...tail];
  gShape.splice(prefix.length + axis, 0, lg.shape[axis]);
  const dtype = isFloat(lg.dtype) ? lg.dtype : "float32";
  const g = gumbel(k, gShape, { dtype });
  const lb = broadcastTo("random.categorical", cast(lg, { dtype, weak: false }), gShape);
  return argmax(lax.add(g, lb), { axis: prefix.length + axis });
}

/**
 * JAX's `_shuffle`: rounds of stable sorts by fresh random 32-bit keys (enough rounds that key
 * collisions are negligible). `keyShape` lets permutation sort a whole array by one key per row.
 */
function shuffle(k: Key, x: Tracer, axis: number, countSize: number, keyShape?: number[]): Tracer {
  const rounds = Math.ceil((3 * Math.log(Math.max(1, countSize))) / Math.log(0xffffffff));
  let cur = k;
  let out = x;
  for (let r = 0; r < rounds; r++) {
    const [next, sub] = split(cur);
    cur = next;
    const sortKeys = keyShape
      ? lax.broadcastInDim(bits(sub, keyShape), x.shape, [axis])
      : bits(sub, x.shape);
    out = lax.sort([sortKeys, out], axis, true, 1)[1];
  }
  return out;
}

/**
 * A random permutation of `range(n)` (for a number) or of an array along `axis` (default 0);
 * `independent: true` shuffles each slice along `axis` independently.
 *
 * @example random.permutation(random.key(0), 5)
 */
export function permutation(
  k: Key,
  x: number | ArrayInput,
  opts: { readonly axis?: number; readonly independent?: boolean } = {},
): Tracer {
  checkKey("permutation", k);
  if (typeof x === "number") {
    if (!Number.isInteger(x) || x < 0) throw new TypeError(`random.permutation: x must be a non-negative integer or an array, received ${x}.`);
    return shuffle(k, lax.iota("int32", [x]), 0, x);
  }
  const t = asTracer("permutation", x);
  if (t.ndim === 0) {
    if (!isInt(t.dtype)) throw new TypeError("random.permutation: x must be an integer or at least 1-D.");
    const n = concreteInt("permutation", t);
    return shuffle(k, lax.iota("int32", [n]), 0, n);
  }
  const a = opts.axis ?? 0;
  if (!Number.isInteger(a) || a < -t.ndim || a >= t.ndim) {
    throw new RangeError(`random.permutation: axis ${a} is out of bounds for an array of rank ${t.ndim}.`);
  }
  const axis = a < 0 ? a + t.ndim : a;
  if (opts.independent || t.ndim === 1) return shuffle(k, t, axis, t.size);
  // JAX permutes range(n) and takes rows; sorting the whole array by the same per-row keys is
  // the identical permutation without a gather.
  const n = t.shape[axis];
  return shuffle(k, t, axis, n, [n]);
}

/** Options of `choice`. */
export interface ChoiceOpts {
  readonly shape?: Shape;
  readonly replace?: boolean;
  readonly p?: ArrayInput;
  readonly axis?: number;
}

/**
 * Random samples from `a` (an array, or `range(a)` for a number), with or without replacement,
 * optionally weighted by probabilities `p`.
 *
 * @example random.choice(random.key(0), 5, { shape: [3], replace: false })
 */
export function choice(k: Key, a: number | ArrayInput, opts: ChoiceOpts = {}): Tracer {
  checkKey("choice", k);
  const s = shapeOf("choice", opts.shape);
  const replace = opts.replace ?? true;
  const arr = typeof a === "number" ? null : asTracer("choice", a);
  if (arr && arr.ndim === 0) return choice(k, concreteInt("choice", arr), opts);
  const axis = arr ? normAxis(opts.axis ?? 0, arr.ndim) : 0;
  const nInputs = arr ? arr.shape[axis] : (a as number);
  if (!arr && (!Number.isInteger(nInputs) || nInputs < 0)) throw new TypeError(`random.choice: a must be a non-negative integer or an array, received ${nInputs}.`);
  const nDraws = sizeOf(s);
  const outShape = arr ? [...arr.shape.slice(0, axis), ...s, ...arr.shape.slice(axis + 1)] : s;
  const outDtype = arr ? arr.dtype : "int32";
  if (nDraws === 0) return lax.broadcastInDim(constant(0, outDtype), outShape, []);
  if (nInputs <= 0) throw new RangeError("random.choice: a must be non-empty unless no samples are taken.");
  if (!replace && nDraws > nInputs) {
    throw new RangeError(`random.choice: cannot take ${nDraws} samples from ${nInputs} without replacement; pass replace: true or fewer samples.`);
  }
  const pick = (ind: Tracer) => (arr ? takeIndices(arr, ind, axis) : ind);
  if (opts.p === undefined) {
    if (replace) return pick(randint(k, s, 0, nInputs));
    const perm = permutation(k, arr ?? nInputs, { axis });
    const lim = perm.shape.map((d, i) => (i === axis ? nDraws : d));
    return lax.reshape(lax.slice(perm, perm.shape.map(() => 0), lim), outShape);
  }
  const [p] = promoteArgsInexact("random.choice", opts.p);
  if (p.ndim !== 1 || p.shape[0] !== nInputs) {
    throw new ShapeError(`random.choice: p must have shape [${nInputs}] to match a, received [${p.shape}].`);
  }
  if (replace) {
    const cum = lax.cumsum(p, 0);
    const total = lax.reshape(lax.slice(cum, [nInputs - 1], [nInputs]), []);
    const u = uniform(k, s, { dtype: p.dtype });
    const r = lax.mul(lax.broadcastInDim(total, s, []), lax.sub(constant(1, p.dtype), u));
    return pick(searchsorted(cum, r));
  }
  // Gumbel top-k: the nDraws smallest of -gumbel - log p are a weighted sample without replacement.
  const g = lax.sub(lax.neg(gumbel(k, [nInputs], { dtype: p.dtype })), lax.log(p));
  const ind = lax.reshape(lax.slice(argsort(g), [0], [nDraws]), s);
  return pick(ind);
}

function normAxis(a: number, nd: number): number {
  if (!Number.isInteger(a) || a < -nd || a >= nd) throw new RangeError(`random.choice: axis ${a} is out of bounds for rank ${nd}.`);
  return a < 0 ? a + nd : a;
}

