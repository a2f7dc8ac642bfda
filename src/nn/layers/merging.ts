/**
 * @file Merging layers: they take an array of inputs and combine them elementwise (Add,
 * Subtract, Multiply, Average, Maximum, Minimum), by concatenation, or by a per-sample dot
 * product (Dot). Shape checks and broadcasting follow Keras 3: the batch sizes must agree, and
 * an input of lower rank gets size-1 axes inserted after the batch axis before broadcasting.
 * The lower-case functions (`add([a, b])`) are Keras' functional shortcuts.
 */
import { np, lax, type Tracer } from "../../index.js";
import { Layer, type LayerConfig, type LayerOptions } from "../layer.js";
import { normAxis } from "./normalization.js";

const fmt = (shapes: readonly (readonly (number | null)[])[]): string => shapes.map((s) => `[${s.map(String)}]`).join(", ");

/** The inputs as an array of at least `min` Arrays, or an error that says what a merge layer takes. */
function inputList(layer: Layer, inputs: unknown, min: number): Tracer[] {
  if (!Array.isArray(inputs)) {
    throw new TypeError(
      `${layer.className} '${layer.name}': a merge layer takes an array of inputs, e.g. layer.apply([a, b]); received a single input.`,
    );
  }
  if (inputs.length < min) {
    throw new RangeError(`${layer.className} '${layer.name}': expected at least ${min} inputs, received ${inputs.length}.`);
  }
  return inputs as Tracer[];
}

/** Keras' shape check of elementwise merges: equal batch sizes; other axes right-aligned, equal or 1. */
function checkElementwise(layer: Layer, shapes: readonly (readonly number[])[]): void {
  if (shapes.some((s) => s.length === 0)) {
    throw new RangeError(`${layer.className} '${layer.name}': inputs need a batch axis; received shapes ${fmt(shapes)}.`);
  }
  if (new Set(shapes.map((s) => s[0])).size > 1) {
    throw new RangeError(
      `${layer.className} '${layer.name}': cannot merge tensors with different batch sizes; received shapes ${fmt(shapes)}.`,
    );
  }
  const rank = Math.max(...shapes.map((s) => s.length));
  for (let k = 1; k < rank; k++) {
    const dims = new Set(shapes.filter((s) => s.length - k >= 1).map((s) => s[s.length - k]).filter((d) => d !== 1));
    if (dims.size > 1) {
      throw new RangeError(
        `${layer.className} '${layer.name}': inputs have incompatible shapes ${fmt(shapes)}; apart from the batch axis, ` +
          `each dimension must be equal or 1 (counted from the last axis).`,
      );
    }
  }
}

/** Base of the elementwise merges: check shapes, lift lower ranks after the batch axis, reduce. */
abstract class ElementwiseMerge extends Layer {
  protected readonly minInputs: number = 1;
  protected abstract merge(xs: readonly Tracer[]): Tracer;

  constructor(opts: LayerOptions = {}) {
    super(opts);
  }

  call(inputs: Tracer[]): Tracer {
    const xs = inputList(this, inputs, this.minInputs);
    checkElementwise(this, xs.map((x) => x.shape));
    const rank = Math.max(...xs.map((x) => x.ndim));
    const lifted = xs.map((x) =>
      x.ndim === rank ? x : x.reshape([x.shape[0], ...Array(rank - x.ndim).fill(1), ...x.shape.slice(1)]),
    );
    return this.merge(lifted);
  }
}

/** Fold of a binary np function over the inputs. */
const fold = (xs: readonly Tracer[], f: (a: Tracer, b: Tracer) => Tracer): Tracer => xs.slice(1).reduce(f, xs[0]);

/** Sum of the inputs. @example new layers.Add().apply([a, b]) */
export class Add extends ElementwiseMerge {
  protected merge(xs: readonly Tracer[]): Tracer {
    return fold(xs, (a, b) => np.add(a, b));
  }
  static fromConfig(c: LayerConfig): Add {
    return new Add(c as LayerOptions);
  }
}

/** First input minus the second (exactly two inputs). @example new layers.Subtract().apply([a, b]) */
export class Subtract extends ElementwiseMerge {
  protected override readonly minInputs = 2;
  protected merge(xs: readonly Tracer[]): Tracer {
    if (xs.length !== 2) {
      throw new RangeError(`Subtract '${this.name}': expected exactly 2 inputs, received ${xs.length}. Subtract pairs, or Add negated inputs.`);
    }
    return np.subtract(xs[0], xs[1]);
  }
  static fromConfig(c: LayerConfig): Subtract {
    return new Subtract(c as LayerOptions);
  }
}

/** Product of the inputs. @example new layers.Multiply().apply([a, b]) */
export class Multiply extends ElementwiseMerge {
  protected merge(xs: readonly Tracer[]): Tracer {
    return fold(xs, (a, b) => np.multiply(a, b));
  }
  static fromConfig(c: LayerConfig): Multiply {
    return new Multiply(c as LayerOptions);
  }
}

/** Mean of the inputs. @example new layers.Average().apply([a, b]) */
export class Average extends ElementwiseMerge {
  protected merge(xs: readonly Tracer[]): Tracer {
    return np.divide(fold(xs, (a, b) => np.add(a, b)), xs.length);
  }
  static fromConfig(c: LayerConfig): Average {
    return new Average(c as LayerOptions);
  }
}

/** Elementwise maximum of the inputs. @example new layers.Maximum().apply([a, b]) */
export class Maximum extends ElementwiseMerge {
  protected merge(xs: readonly Tracer[]): Tracer {
    return fold(xs, (a, b) => np.maximum(a, b));
  }
  static fromConfig(c: LayerConfig): Maximum {
    return new Maximum(c as LayerOptions);
  }
}

/** Elementwise minimum of the inputs. @example new layers.Minimum().apply([a, b]) */
export class Minimum extends ElementwiseMerge {
  protected merge(xs: readonly Tracer[]): Tracer {
    return fold(xs, (a, b) => np.minimum(a, b));
  }
  static fromConfig(c: LayerConfig): Minimum {
    return new Minimum(c as LayerOptions);
  }
}

/**
 * Concatenates the inputs along `axis` (default -1); every other dimension must match.
 *
 * @example new layers.Concatenate().apply([a, b]) // [batch, da + db]
 */
export class Concatenate extends Layer {
  readonly axis: number;
  constructor(axis = -1, opts: LayerOptions = {}) {
    super(opts);
    if (!Number.isInteger(axis)) throw new RangeError(`Concatenate: axis must be an integer, received ${JSON.stringify(axis)}.`);
    this.axis = axis;
  }

  call(inputs: Tracer[]): Tracer {
    const xs = inputList(this, inputs, 1);
    const rank = xs[0].ndim;
    const a = normAxis(`Concatenate '${this.name}'`, this.axis, rank);
    const ok = xs.every((x) => x.ndim === rank && x.shape.every((d, i) => i === a || d === xs[0].shape[i]));
    if (!ok) {
      throw new RangeError(
        `Concatenate '${this.name}': inputs must have the same rank and equal dimensions except on the concatenation axis ${this.axis}; ` +
          `received shapes ${fmt(xs.map((x) => x.shape))}.`,
      );
    }
    return np.concatenate(xs, a);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axis: this.axis };
  }

  static fromConfig(c: LayerConfig): Concatenate {
    return new Concatenate((c.axis as number) ?? -1, c as LayerOptions);
  }
}

export interface DotOptions extends LayerOptions {
  /** L2-normalize both inputs along the contracted axes first, giving cosine similarities (default false). */
  readonly normalize?: boolean;
}

/** `x / sqrt(max(sum(x²), 1e-12))` along `axis`. */
const l2Normalize = (x: Tracer, axis: number): Tracer =>
  x.mul(lax.rsqrt(np.maximum(np.sum(x.mul(x), { axis, keepdims: true }), 1e-12)));

/**
 * Per-sample dot product of two inputs, contracting `axes` (one axis for both, or one per input;
 * never the batch axis 0). Two (batch, n) inputs give (batch, 1).
 *
 * @example new layers.Dot(1).apply([a, b]) // a: [b, n], b: [b, n] -> [b, 1]
 */
export class Dot extends Layer {
  readonly axes: number | readonly [number, number];
  readonly normalize: boolean;

  constructor(axes: number | readonly [number, number], opts: DotOptions = {}) {
    super(opts);
    const list: unknown[] = typeof axes === "number" ? [axes] : Array.isArray(axes) && axes.length === 2 ? axes : [NaN];
    if (list.some((a) => !Number.isInteger(a))) {
      throw new RangeError(`Dot: axes must be an integer or a pair of integers, received ${JSON.stringify(axes)}.`);
    }
    this.axes = typeof axes === "number" ? axes : [axes[0], axes[1]];
    this.normalize = opts.normalize ?? false;
  }

  call(inputs: Tracer[]): Tracer {
    const xs = inputList(this, inputs, 2);
    if (xs.length !== 2) throw new RangeError(`Dot '${this.name}': expected exactly 2 inputs, received ${xs.length}.`);
    let [x, y] = xs;
    if (x.ndim < 2 || y.ndim < 2) {
      throw new RangeError(`Dot '${this.name}': inputs need a batch axis and at least one more; received shapes ${fmt([x.shape, y.shape])}.`);
    }
    const [ax, ay] = typeof this.axes === "number" ? [this.axes, this.axes] : this.axes;
    // Keras takes negative axes modulo each input's rank.
    const a0 = ((ax % x.ndim) + x.ndim) % x.ndim;
    const a1 = ((ay % y.ndim) + y.ndim) % y.ndim;
    if (a0 === 0 || a1 === 0) {
      throw new RangeError(`Dot '${this.name}': cannot contract the batch axis 0 (axes ${JSON.stringify(this.axes)}); use axes >= 1.`);
    }
    if (x.shape[0] !== y.shape[0] || x.shape[a0] !== y.shape[a1]) {
      throw new RangeError(
        `Dot '${this.name}': incompatible shapes ${fmt([x.shape, y.shape])}: the batch sizes and the contracted axes ` +
          `(${a0} of the first, ${a1} of the second) must have equal sizes.`,
      );
    }
    if (this.normalize) {
      x = l2Normalize(x, a0);
      y = l2Normalize(y, a1);
    }
    const out = lax.dotGeneral(x, y, [[[a0], [a1]], [[0], [0]]]);
    return out.ndim === 1 ? out.reshape([out.shape[0], 1]) : out;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), axes: typeof this.axes === "number" ? this.axes : [...this.axes], normalize: this.normalize };
  }

  static fromConfig(c: LayerConfig): Dot {
    return new Dot(c.axes as number | [number, number], c as DotOptions);
  }
}

/** `new Add().apply(inputs)`. @example layers.add([a, b]) */
export const add = (inputs: readonly unknown[], opts?: LayerOptions) => new Add(opts).apply([...inputs]);
/** `new Subtract().apply(inputs)`. @example layers.subtract([a, b]) */
export const subtract = (inputs: readonly unknown[], opts?: LayerOptions) => new Subtract(opts).apply([...inputs]);
/** `new Multiply().apply(inputs)`. @example layers.multiply([a, b]) */
export const multiply = (inputs: readonly unknown[], opts?: LayerOptions) => new Multiply(opts).apply([...inputs]);
/** `new Average().apply(inputs)`. @example layers.average([a, b]) */
export const average = (inputs: readonly unknown[], opts?: LayerOptions) => new Average(opts).apply([...inputs]);
/** `new Maximum().apply(inputs)`. @example layers.maximum([a, b]) */
export const maximum = (inputs: readonly unknown[], opts?: LayerOptions) => new Maximum(opts).apply([...inputs]);
/** `new Minimum().apply(inputs)`. @example layers.minimum([a, b]) */
export const minimum = (inputs: readonly unknown[], opts?: LayerOptions) => new Minimum(opts).apply([...inputs]);
/** `new Concatenate(axis).apply(inputs)`. @example layers.concatenate([a, b], -1) */
export const concatenate = (inputs: readonly unknown[], axis = -1, opts?: LayerOptions) => new Concatenate(axis, opts).apply([...inputs]);
/** `new Dot(axes, opts).apply(inputs)`. @example layers.dot([a, b], 1) */
export const dot = (inputs: readonly unknown[], axes: number | readonly [number, number], opts?: DotOptions) =>
  new Dot(axes, opts).apply([...inputs]);
