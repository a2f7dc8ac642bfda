/**
 * @file Shapes, strides, axis normalization and NumPy broadcasting.
 */

export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar). */
export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/** Row-major (C order) strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export const shapeEqual = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export const shapeStr = (s: Shape): string => `(${s.join(", ")}${s.length === 1 ? "," : ""})`;

/** True when `d` is a valid dimension: a non-negative safe integer. */
export const isDim = (d: unknown): d is number => typeof d === "number" && Number.isSafeInteger(d) && d >= 0;

/** Validates a user-given shape, naming the op on failure. */
export function checkShape(op: string, shape: unknown): Shape {
  if (!Array.isArray(shape) || !shape.every(isDim)) {
    throw new TypeError(
      `${op}: shape must be an array of non-negative integers; received ${JSON.stringify(shape)}.`,
    );
  }
  return shape as Shape;
}

/**
 * Resolves a possibly negative axis against rank `ndim`.
 *
 * @example normalizeAxis("sum", -1, 3) // => 2
 */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (!(Number.isInteger(axis) && axis >= -ndim && axis < ndim)) {
    throw new RangeError(
      `${op}: axis ${axis} is out of bounds for an array of rank ${ndim}; ` +
        (ndim === 0
          ? "a scalar has no axes."
          : `expected an integer in [${-ndim}, ${ndim - 1}].`),
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Normalizes a list of axes, rejecting duplicates. */
export function normalizeAxes(op: string, axes: readonly number[], ndim: number): number[] {
  const out = axes.map((a) => normalizeAxis(op, a, ndim));
  if (new Set(out).size !== out.length) {
    throw new RangeError(`${op}: repeated axis in ${JSON.stringify(axes)}.`);
  }
  return out;
}

/**
 * NumPy broadcasting of several shapes.
 *
 * @example broadcastShapes("add", [3, 1], [4]) // => [3, 4]
 */
export function broadcastShapes(op: string, ...shapes: readonly Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    const off = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i];
      const o = out[off + i];
      if (d === o || d === 1) continue;
      if (o === 1) out[off + i] = d;
      else {
        throw new RangeError(
          `${op}: shapes ${shapes.map(shapeStr).join(", ")} cannot be broadcast together: ` +
            `dimension ${off + i - rank} is ${o} in one and ${d} in another. ` +
            `Each aligned dimension must be equal or 1; reshape or expand the inputs to fit.`,
        );
      }
    }
  }
  return out;
}
