/**
 * @file Error classes shared by every layer. Subclasses of built-ins, so `instanceof TypeError`
 * keeps working for callers that do not know Kiln's classes.
 */

/** Shapes that do not fit an operation. */
export class ShapeError extends TypeError {
  override name = "ShapeError";
}

/** Dtypes that an operation does not accept. */
export class DTypeError extends TypeError {
  override name = "DTypeError";
}

/** Two pytrees whose structures differ where they must match. */
export class TreeMismatchError extends TypeError {
  override name = "TreeMismatchError";
}

/** A tracer used outside the transformation that created it, or a value a trace cannot handle. */
export class TracerError extends Error {
  override name = "TracerError";
}

/** An operation a backend cannot perform (e.g. synchronous reads on an async device). */
export class BackendError extends Error {
  override name = "BackendError";
}

/** Use of an array after `dispose()`. */
export class DisposedError extends Error {
  override name = "DisposedError";
}

/** Internal invariant check: failures are Kiln bugs, never user errors. */
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`internal: ${msg}`);
}
