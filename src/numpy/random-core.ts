/**
 * @file The core of `random`: JAX's default PRNG (threefry2x32, non-partitionable "original" mode) with
 * raw keys: a key is a uint32 array of shape [2]. Randomness is explicit: every sampler takes a
 * key, the same key gives the same numbers, and `split` / `foldIn` derive new keys.
 *
 * The bit-level algorithms follow jax 0.4.30 (jax/_src/prng.py, jax/_src/random.py), so keys,
 * bits, uniform, randint, bernoulli and permutation reproduce JAX's values bit for bit where
 * tested; samplers that go through transcendental functions (normal via erf_inv, gumbel via
 * log, ...) agree with JAX to float rounding. Only `lax` ops are used, so all of it traces.
 */
import { type DType, DTypeError, ShapeError, TracerError, checkShape, isFloat, isInt, sizeOf } from "../ir/index.js";
import { Tracer } from "../trace/core.js";
import { ConcreteArray } from "../trace/array.js";
import * as lax from "./lax-core.js";
import { type ArrayInput, asLike, broadcastTo, cast, checkDtype, typeOf } from "./util.js";
import { constant } from "./sort-util.js";

/** A PRNG key: uint32[2] (JAX's raw, "legacy" key layout). */
export type Key = Tracer;

/** Checks that `key` is a single raw key. */
export function checkKey(op: string, key: unknown): Tracer {
  if (!(key instanceof Tracer) || key.dtype !== "uint32" || key.ndim !== 1 || key.shape[0] !== 2) {
    const got = key instanceof Tracer ? key.aval.str() : typeof key;
    throw new TypeError(
      `random.${op}: expected a key (a uint32 array of shape [2] from random.key(seed) or random.split), ` +
        `received ${got}. Batches of keys are not accepted: map over them with vmap or a loop.`,
    );
  }
  return key;
}

const u32 = (values: readonly number[]): Tracer => ConcreteArray.fromData(new Uint32Array(values), [values.length], "uint32");

const word = (key: Tracer, i: number) => lax.reshape(lax.slice(key, [i], [i + 1]), []);

/**
 * JAX's `threefry_2x32(key, count)` on a flat uint32 vector: the counts are split into halves
 * (after padding an odd length with a zero), hashed as (x0, x1) pairs, and concatenated back.
 */
export function threefryHash(key: Tracer, counts: Tracer): Tracer {
  const n = counts.size;
  if (n === 0) return counts;
  const padded = n % 2 ? lax.concatenate([counts, u32([0])], 0) : counts;
  const h = padded.size / 2;
  const k = (i: number) => lax.broadcastInDim(word(key, i), [h], []);
  const [y0, y1] = lax.threefry2x32(k(0), k(1), lax.slice(padded, [0], [h]), lax.slice(padded, [h], [2 * h]));
  const out = lax.concatenate([y0, y1], 0);
  return n % 2 ? lax.slice(out, [0], [n]) : out;
}

const counter = (n: number) => {
  if (n >= 0xffffffff) throw new RangeError(`random: ${n} 32-bit words exceed threefry's single-block counter; draw fewer at once.`);
  return lax.iota("uint32", [n]);
};

/**
 * A key from an integer seed, as `jax.random.key` / `PRNGKey` with 64-bit ints disabled: the
 * seed is taken modulo 2^32 as the low word, the high word is 0.
 *
 * @example random.key(42) // uint32 [0, 42]
 */
export function key(seed: number | Tracer): Key {
  if (seed instanceof Tracer) {
    if (!isInt(seed.dtype) || seed.ndim !== 0) {
      throw new TypeError(`random.key: a traced seed must be an integer scalar, received ${seed.aval.str()}.`);
    }
    return lax.concatenate([u32([0]), lax.reshape(lax.convertElementType(seed, "uint32"), [1])], 0);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new TypeError(`random.key: the seed must be a safe integer, received ${String(seed)}. Round it first.`);
  }
  return u32([0, Number(BigInt.asUintN(32, BigInt(seed)))]);
}

/** JAX's legacy name for `key`. @example random.PRNGKey(0) */
export const PRNGKey = key;

/** `num` keys stacked as uint32[num, 2] (JAX's `split` result), e.g. for vmap. */
export function splitKeys(k: Key, num = 2): Tracer {
  checkKey("splitKeys", k);
  if (!Number.isInteger(num) || num < 0) throw new RangeError(`random.splitKeys: num must be a non-negative integer, received ${num}.`);
  return lax.reshape(threefryHash(k, counter(2 * num)), [num, 2]);
}

/**
 * `num` new independent keys (default 2), as a JS array so it destructures. The values are
 * the rows of `jax.random.split(key, num)`.
 *
 * @example const [k1, k2] = random.split(random.key(0));
 */
export function split(k: Key, num = 2): Key[] {
  checkKey("split", k);
  const stacked = splitKeys(k, num);
  return Array.from({ length: num }, (_, i) => lax.reshape(lax.slice(stacked, [i, 0], [i + 1, 2]), [2]));
}

/**
 * A key derived from `key` and an integer (e.g. a step number), as `jax.random.fold_in`.
 *
 * @example random.foldIn(random.key(0), 1) // uint32 [2441914641, 1384938218]
 */
export function foldIn(k: Key, data: number | Tracer): Key {
  checkKey("foldIn", k);
  let d: Tracer;
  if (data instanceof Tracer) {
    if (!isInt(data.dtype) || data.ndim !== 0) throw new TypeError(`random.foldIn: data must be an integer scalar, received ${data.aval.str()}.`);
    d = lax.reshape(lax.convertElementType(data, "uint32"), [1]);
  } else {
    if (!Number.isSafeInteger(data)) throw new TypeError(`random.foldIn: data must be a safe integer, received ${String(data)}.`);
    d = u32([Number(BigInt.asUintN(32, BigInt(data)))]);
  }
  return threefryHash(k, lax.concatenate([u32([0]), d], 0));
}

/** Normalizes a shape option. */
export function shapeOf(op: string, shape: readonly number[] | number | undefined): number[] {
  return [...checkShape(`random.${op}`, typeof shape === "number" ? [shape] : (shape ?? []))];
}

/**
 * Uniform random uint32 words of `shape` (`jax.random.bits`).
 *
 * @example random.bits(random.key(0), [3])
 */
export function bits(k: Key, shape: readonly number[] | number = []): Tracer {
  checkKey("bits", k);
  const s = shapeOf("bits", shape);
  return lax.reshape(threefryHash(k, counter(sizeOf(s))), s);
}

/** Options of float samplers. */
export interface FloatOpts {
  readonly dtype?: DType;
}

/** Validates a float dtype option (float32 by default). */
export function floatDtype(op: string, d: DType | undefined): DType {
  const dtype = d === undefined ? "float32" : checkDtype(`random.${op}`, d);
  if (!isFloat(dtype)) throw new DTypeError(`random.${op}: dtype must be a float dtype, received ${dtype}.`);
  return dtype;
}

/** Uniform floats in [0, 1) with the precision of `dtype`, from the mantissa bits. */
function unitFloats(k: Key, s: number[], dtype: DType): Tracer {
  const n = sizeOf(s);
  if (dtype === "float32") {
    // 23 random mantissa bits under the exponent of 1.0 give [1, 2); subtract 1.
    const b = bits(k, s);
    const one = lax.bitwiseOr(lax.shiftRightLogical(b, constant(9, "uint32")), constant(0x3f800000, "uint32"));
    return lax.sub(lax.bitcastConvertType(one, "float32"), constant(1, "float32"));
  }
  if (dtype === "float64") {
    // 64 random bits per value: hi words are the first half of the stream, lo words the second.
    // (hi:lo) >> 12 as a fraction of 2^52, built exactly in float64 instead of a 64-bit bitcast.
    const w = threefryHash(k, counter(2 * n));
    const hi = lax.convertElementType(lax.slice(w, [0], [n]), "float64");
    const lo = lax.convertElementType(lax.shiftRightLogical(lax.slice(w, [n], [2 * n]), constant(12, "uint32")), "float64");
    return lax.reshape(lax.add(lax.mul(hi, constant(2 ** -32, "float64")), lax.mul(lo, constant(2 ** -52, "float64"))), s);
  }
  // float16: 16-bit words, two per uint32 (low half first), 10 mantissa bits each.
  const m = Math.ceil(n / 2);
  const w = threefryHash(k, counter(m));
  const lo = lax.bitwiseAnd(w, constant(0xffff, "uint32"));
  const hi = lax.shiftRightLogical(w, constant(16, "uint32"));
  const pairs = lax.reshape(lax.concatenate([lax.reshape(lo, [m, 1]), lax.reshape(hi, [m, 1])], 1), [2 * m]);
  const h = lax.shiftRightLogical(lax.slice(pairs, [0], [n]), constant(6, "uint32"));
  const f = lax.mul(lax.convertElementType(h, "float32"), constant(2 ** -10, "float32"));
  return lax.reshape(lax.convertElementType(f, "float16"), s);
}

/** A bound as an array of `dtype` broadcast to `s`. */
function bound(op: string, v: ArrayInput, dtype: DType, s: number[]): Tracer {
  const t = typeof v === "number" ? constant(v, dtype) : cast(asLike(`random.${op}`, v), { dtype, weak: false });
  if (t.ndim > s.length) {
    throw new ShapeError(`random.${op}: a bound of shape [${t.shape}] does not broadcast to the sample shape [${s}].`);
  }
  return broadcastTo(`random.${op}`, t, s);
}

/** Options of `uniform`. */
export interface UniformOpts extends FloatOpts {
  readonly minval?: ArrayInput;
  readonly maxval?: ArrayInput;
}

/**
 * Uniform floats in [minval, maxval) (default [0, 1)), as `jax.random.uniform`.
 *
 * @example random.uniform(random.key(0)) // 0.41845703
 */
export function uniform(k: Key, shape: readonly number[] | number = [], opts: UniformOpts = {}): Tracer {
  checkKey("uniform", k);
  const dtype = floatDtype("uniform", opts.dtype);
  const s = shapeOf("uniform", shape);
  const lo = bound("uniform", opts.minval ?? 0, dtype, s);
  const hi = bound("uniform", opts.maxval ?? 1, dtype, s);
  const f = unitFloats(k, s, dtype);
  return lax.max(lo, lax.add(lax.mul(f, lax.sub(hi, lo)), lo));
}

/** Options of `randint`. */
export interface IntOpts {
  readonly dtype?: DType;
}

/**
 * Uniform integers in [minval, maxval), as `jax.random.randint` (two words per value, folded
 * modulo the span, so the bias is tiny for every span).
 *
 * @example random.randint(random.key(0), [3], 0, 10)
 */
export function randint(k: Key, shape: readonly number[] | number, minval: ArrayInput, maxval: ArrayInput, opts: IntOpts = {}): Tracer {
  checkKey("randint", k);
  const dtype = opts.dtype ?? "int32";
  if (dtype !== "int32" && dtype !== "uint32") throw new DTypeError(`random.randint: dtype must be int32 or uint32, received ${dtype}.`);
  const s = shapeOf("randint", shape);
  const max = dtype === "int32" ? 2147483647 : 4294967295;
  const min = dtype === "int32" ? -2147483648 : 0;
  // A JS maxval above the dtype's range means "up to and including max" (one wider span).
  const outOfRange = typeof maxval === "number" && maxval > max;
  const clip = (v: ArrayInput) =>
    typeof v === "number" ? constant(Math.min(Math.max(Math.trunc(v), min), max), dtype) : intBound(v, dtype);
  const lo = broadcastTo("random.randint", clip(minval), s);
  const hi = broadcastTo("random.randint", clip(maxval), s);
  const [k1, k2] = split(k);
  const higher = bits(k1, s);
  const lower = bits(k2, s);
  const one = constant(1, "uint32");
  let span = lax.convertElementType(lax.sub(hi, lo), "uint32");
  span = lax.select(lax.le(hi, lo), lax.broadcastInDim(one, s, []), span);
  if (outOfRange) span = lax.select(lax.gt(hi, lo), lax.add(span, one), span);
  // (higher * 2^32 + lower) mod span, without 64-bit ints: 2^32 mod span = (2^16 mod span)^2 mod span.
  let mult = lax.rem(lax.broadcastInDim(constant(65536, "uint32"), s, []), span);
  mult = lax.rem(lax.mul(mult, mult), span);
  let offset = lax.add(lax.mul(lax.rem(higher, span), mult), lax.rem(lower, span));
  offset = lax.rem(offset, span);
  return lax.add(lo, lax.convertElementType(offset, dtype));
}

function intBound(v: ArrayInput, dtype: DType): Tracer {
  const t = asLike("random.randint", v);
  const tt = t instanceof Tracer ? t : cast(t, typeOf(t));
  if (isFloat(tt.dtype)) return lax.convertElementType(lax.convertElementType(tt, "int32"), dtype);
  return tt.dtype === dtype ? tt : lax.convertElementType(tt, dtype);
}

/** Standard normal samples, `sqrt(2) * erf_inv(u)` for u uniform in (-1, 1) as JAX does. */
export function normal(k: Key, shape: readonly number[] | number = [], opts: FloatOpts = {}): Tracer {
  checkKey("normal", k);
  const dtype = floatDtype("normal", opts.dtype);
  const lo = -1 + 2 ** -(mantissaBits(dtype) + 1); // nextafter(-1, 0) in dtype
  const u = uniform(k, shape, { dtype, minval: lo, maxval: 1 });
  return lax.mul(constant(Math.SQRT2, dtype), lax.erfInv(u));
}

/** Explicit mantissa bits of a float dtype. */
export const mantissaBits = (d: DType): number => (d === "float64" ? 52 : d === "float16" ? 10 : 23);

/** Throws when a function that needs concrete input receives a tracer. */
export function concreteInt(op: string, x: Tracer): number {
  if (!(x instanceof ConcreteArray)) {
    throw new TracerError(`random.${op}: this argument sets an output shape, so it must be a JS number or concrete array, not a traced ${x.aval.str()}.`);
  }
  return Number(x.item());
}

