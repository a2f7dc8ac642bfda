/**
 * @file Symbolic zero tangents and cotangents: they cost nothing until something needs them,
 * so inputs that do not influence an output (or integer inputs) add no work to derivatives.
 */
import { ShapedArray, isFloat } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";

/** A tangent or cotangent known to be zero, with the aval it stands for. */
export class Zero {
  /** Brand: keeps Tracer (which also has an aval) from matching Zero structurally. */
  readonly isSymbolicZero = true;
  constructor(readonly aval: ShapedArray) {}
  static like(x: Tracer | ShapedArray): Zero {
    const aval = x instanceof ShapedArray ? x : x.aval;
    return new Zero(tangentAval(aval));
  }
}

/** A tangent: a real value or a symbolic zero. */
export type Tangent = Tracer | Zero;

/** Tangents of float arrays share their aval (strongly typed); others get float32 zeros (JAX's float0). */
export const tangentAval = (a: ShapedArray): ShapedArray =>
  isFloat(a.dtype) ? new ShapedArray(a.shape, a.dtype, false) : new ShapedArray(a.shape, "float32", false);

export const isZero = (t: unknown): t is Zero => t instanceof Zero;

/** A real array of zeros for a symbolic zero (inside traces this stages a broadcast). */
export function instantiate(t: Tangent): Tracer {
  if (!(t instanceof Zero)) return t;
  return lax.broadcastInDim(lax.convertElementType(0, t.aval.dtype), t.aval.shape, []);
}

/** Adds tangents, keeping symbolic zeros symbolic. */
export function addTangents(a: Tangent, b: Tangent): Tangent {
  if (a instanceof Zero) return b;
  if (b instanceof Zero) return a;
  return lax.add(a, b);
}
