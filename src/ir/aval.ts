/**
 * @file Abstract values: what tracing knows about an array (shape, dtype, weak type).
 */
import { type DType, shortName } from "./dtype.js";
import { type Shape, sizeOf, shapeEqual } from "./shape.js";

/** The abstract value of an array: its shape, dtype and whether its dtype is weak. */
export class ShapedArray {
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    readonly weakType: boolean = false,
  ) {
    Object.freeze(shape);
  }

  get ndim(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  /** Same shape and dtype (weak type ignored). */
  equals(other: ShapedArray): boolean {
    return this.dtype === other.dtype && shapeEqual(this.shape, other.shape);
  }

  /** Same shape, dtype and weak type: the key used by caches. */
  strictEquals(other: ShapedArray): boolean {
    return this.equals(other) && this.weakType === other.weakType;
  }

  withShape(shape: Shape): ShapedArray {
    return new ShapedArray(shape, this.dtype, this.weakType);
  }

  withDtype(dtype: DType, weakType = false): ShapedArray {
    return new ShapedArray(this.shape, dtype, weakType);
  }

  strongly(): ShapedArray {
    return this.weakType ? new ShapedArray(this.shape, this.dtype, false) : this;
  }

  /** Printed form, e.g. `f32[3,4]`. */
  str(): string {
    return `${shortName(this.dtype)}[${this.shape.join(",")}]`;
  }

  toString(): string {
    return this.str();
  }
}
