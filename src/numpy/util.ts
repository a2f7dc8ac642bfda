/**
 * @file Shared machinery of the `np` layer: turning inputs into tracers, dtype promotion with
 * weak types, and NumPy broadcasting expressed as `broadcast_in_dim`.
 */
import {
  type DType, DTypeError, type Shape, ShapeError, type TypeSpec, broadcastShapes, isDType, isFloat,
  promoteTypes, shapeEqual, shapeStr,
} from "../ir/index.js";
import { type ArrayLike, Tracer, describe } from "../trace/core.js";
import { ConcreteArray, scalarType } from "../trace/array.js";
import * as lax from "./lax-core.js";

/** Nested JS arrays of numbers or booleans. */
export type NestedArray = number | boolean | readonly NestedArray[];

/** What `np` functions accept: arrays, tracers, JS scalars and nested JS arrays. */
export type ArrayInput = ArrayLike | readonly NestedArray[] | Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;

/** The dtype of a typed array's elements, by class. */
export function dtypeOfTyped(x: ArrayBufferView): DType {
  if (x instanceof Float32Array) return "float32";
  if (x instanceof Float64Array) return "float64";
  if (x instanceof Int32Array) return "int32";
  if (x instanceof Uint32Array) return "uint32";
  if (x instanceof Uint8Array) return "bool";
  throw new TypeError(`Unsupported typed array ${x.constructor.name}; use Float32Array, Float64Array, Int32Array, Uint32Array or Uint8Array (bool).`);
}

/** Shape of a rectangular nested JS array, with a clear error for ragged input. */
export function nestedShape(op: string, x: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = x;
  while (globalThis.Array.isArray(cur)) {
    shape.push(cur.length);
    cur = (cur as readonly NestedArray[])[0];
  }
  const check = (v: NestedArray, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof v !== "number" && typeof v !== "boolean") {
        throw new TypeError(`${op}: element ${path || "(root)"} is ${describe(v)}; expected a number or boolean.`);
      }
      return;
    }
    if (!globalThis.Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(
        `${op}: ragged nested array: expected ${shape[depth]} items at ${path || "(root)"}, found ` +
          `${globalThis.Array.isArray(v) ? v.length : describe(v)}. Every row must have the same length.`,
      );
    }
    v.forEach((c, i) => check(c, depth + 1, `${path}[${i}]`));
  };
  check(x, 0, "");
  return shape;
}

/** Validates a dtype option. */
export function checkDtype(op: string, d: unknown): DType {
  if (!isDType(d)) {
    throw new DTypeError(
      `${op}: unknown dtype ${JSON.stringify(d)}; expected one of float32, int32, uint32, bool, float16, float64.`,
    );
  }
  return d;
}

/**
 * Makes an Array from JS data (default dtype float32 for numbers, bool for booleans).
 * Tracers pass through (converted when `dtype` differs).
 */
export function toArray(op: string, x: ArrayInput, dtype?: DType, shape?: Shape): Tracer {
  if (x instanceof Tracer) return dtype && dtype !== x.dtype ? lax.convertElementType(x, dtype) : x;
  if (ArrayBuffer.isView(x)) {
    const d = dtypeOfTyped(x);
    const s = shape ?? [(x as Float32Array).length];
    const a = ConcreteArray.fromData(x as Float32Array, s, d);
    if (dtype && dtype !== d) {
      const c = lax.convertElementType(a, dtype);
      // Inside a trace `a` became a constant of the staged program and must stay alive.
      if (c instanceof ConcreteArray) a.dispose();
      return c;
    }
    return a;
  }
  const s = nestedShape(op, x as NestedArray);
  const flat = globalThis.Array.isArray(x) ? (x as unknown[]).flat(Infinity) as (number | boolean)[] : [x as number | boolean];
  const allBool = flat.length > 0 && flat.every((v) => typeof v === "boolean");
  const d = dtype ?? (allBool ? "bool" : "float32");
  return ConcreteArray.fromData(flat.map(Number), shape ?? s, d);
}

/** dtype and weak flag of an input (JS scalars are weak). */
export function typeOf(x: ArrayLike): TypeSpec {
  if (x instanceof Tracer) return { dtype: x.dtype, weak: x.weakType };
  return { ...scalarType(x), dtype: scalarType(x).dtype };
}

/** Inputs as tracers or scalars; nested arrays and typed arrays become Arrays. */
export function asLike(op: string, x: ArrayInput): ArrayLike {
  if (x instanceof Tracer || typeof x === "number" || typeof x === "boolean") return x;
  return toArray(op, x);
}

/**
 * A JS number as a scalar of `dtype`, rounded once from its exact value (JS numbers are kept
 * exact until they get a dtype, see TypedScalar in src/trace/core.ts).
 *
 * @example exactScalar(0.1, "float64") // 0.1 exactly, not 0.10000000149011612
 */
export const exactScalar = (x: number, dtype: DType, weak = false): Tracer => lax.convertElementType(x, dtype, weak);

/** Converts `x` to `spec` (a no-op when it already matches). JS scalars become typed scalars. */
export function cast(x: ArrayLike, spec: TypeSpec): Tracer {
  if (x instanceof Tracer && x.dtype === spec.dtype && x.weakType === spec.weak) return x;
  if (typeof x === "number") return exactScalar(x, spec.dtype, spec.weak);
  return lax.convertElementType(x, spec.dtype, spec.weak);
}

/**
 * Promotes inputs to their common dtype (JAX lattice, weak types honoured).
 *
 * @example promoteArgs("add", x_f32, 2) // [x_f32, 2 as f32 scalar]
 */
export function promoteArgs(op: string, ...xs: ArrayInput[]): Tracer[] {
  const likes = xs.map((x) => asLike(op, x));
  const spec = promoteTypes(...likes.map(typeOf));
  return likes.map((x) => cast(x, spec));
}

/** Like promoteArgs, then promotes integer/bool results to a float (for sqrt, exp, division...). */
export function promoteArgsInexact(op: string, ...xs: ArrayInput[]): Tracer[] {
  const likes = xs.map((x) => asLike(op, x));
  let spec = promoteTypes(...likes.map(typeOf));
  if (!isFloat(spec.dtype)) spec = { dtype: "float32", weak: spec.weak };
  return likes.map((x) => cast(x, spec));
}

/**
 * Broadcasts `x` to `shape` (NumPy rules), naming `op` in errors.
 *
 * @example broadcastTo("add", x /* [3,1] *\/, [2, 3, 4])
 */
export function broadcastTo(op: string, x: Tracer, shape: Shape): Tracer {
  if (shapeEqual(x.shape, shape)) return x;
  const out = broadcastShapes(op, x.shape, shape);
  if (!shapeEqual(out, shape)) {
    throw new ShapeError(`${op}: cannot broadcast shape ${shapeStr(x.shape)} to ${shapeStr(shape)}.`);
  }
  const off = shape.length - x.ndim;
  // Drop size-1 axes that expand, so broadcast_in_dim maps each remaining axis to an equal one.
  const keep = x.shape.map((d, i) => d === shape[off + i]);
  const squeezed = keep.every(Boolean) ? x : lax.reshape(x, x.shape.filter((_, i) => keep[i]));
  const dims = x.shape.map((_, i) => off + i).filter((_, i) => keep[i]);
  return lax.broadcastInDim(squeezed, shape, dims);
}

/** Broadcasts tracers against each other; rank-0 operands stay scalars (primitives accept them). */
export function broadcastArgs(op: string, xs: readonly Tracer[], keepScalars = true): Tracer[] {
  const shape = broadcastShapes(op, ...xs.map((x) => x.shape));
  return xs.map((x) => (keepScalars && x.ndim === 0 ? x : broadcastTo(op, x, shape)));
}

/** Applies a binary primitive wrapper with NumPy promotion and broadcasting. */
export function binary(op: string, f: (a: Tracer, b: Tracer) => Tracer, x: ArrayInput, y: ArrayInput, inexact = false): Tracer {
  const [a, b] = inexact ? promoteArgsInexact(op, x, y) : promoteArgs(op, x, y);
  const [ba, bb] = broadcastArgs(op, [a, b]);
  return f(ba, bb);
}

/** Applies a unary primitive that needs floats, promoting ints and bools first. */
export function unaryInexact(op: string, f: (a: Tracer) => Tracer, x: ArrayInput): Tracer {
  return f(promoteArgsInexact(op, x)[0]);
}

/** A unary op on any numeric input. */
export function unaryNumeric(op: string, f: (a: Tracer) => Tracer, x: ArrayInput): Tracer {
  const t = asLike(op, x);
  return f(t instanceof Tracer ? t : cast(t, typeOf(t)));
}

/** Normalizes an `axis` option (number, list, or null/undefined for all axes) to sorted axes. */
export function axesOf(op: string, axis: number | readonly number[] | null | undefined, ndim: number): number[] {
  if (axis === null || axis === undefined) return [...globalThis.Array(ndim).keys()];
  const list = typeof axis === "number" ? [axis] : [...axis];
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -ndim || a >= ndim) {
      throw new RangeError(
        `${op}: axis ${a} is out of bounds for an array of rank ${ndim}` +
          (ndim === 0 ? " (a scalar has no axes)." : `; expected an integer in [${-ndim}, ${ndim - 1}].`),
      );
    }
    return a < 0 ? a + ndim : a;
  });
  if (new Set(out).size !== out.length) throw new RangeError(`${op}: repeated axis in ${JSON.stringify(axis)}.`);
  return out.sort((a, b) => a - b);
}
