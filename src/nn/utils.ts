/**
 * @file Keras' data utilities (`keras.utils`): one-hot labels (`toCategorical`), vector
 * normalization (`normalize`) and padding of ragged sequences (`padSequences`, Keras'
 * `keras.utils.pad_sequences`), with Keras' defaults and edge cases.
 */
import { np, ConcreteArray, DTypeError, type DType, type Tracer } from "../index.js";
import { type ActivationInput, floating } from "./activations.js";
import { oneHot } from "./functions.js";

/** Integer labels: an Array, a (nested) JS array or a typed array. */
export type LabelInput = ActivationInput;

/**
 * One-hot encodes integer class labels as float32: shape `[...y.shape, numClasses]`, except
 * that a trailing axis of size 1 (labels shaped [n, 1]) is replaced, as Keras does.
 * `numClasses` defaults to `max(y) + 1`, which reads the labels, so inside a trace it must be
 * given. Concrete labels must be integers in `[0, numClasses)`; traced ones outside that range
 * give a row of zeros.
 *
 * @example toCategorical([0, 2, 1], 3) // [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
 */
export function toCategorical(y: LabelInput, numClasses?: number): Tracer {
  const op = "utils.toCategorical";
  let labels = np.asarray(y);
  if (labels.ndim > 1 && labels.shape[labels.ndim - 1] === 1) labels = np.reshape(labels, labels.shape.slice(0, -1));
  if (numClasses !== undefined && (!Number.isInteger(numClasses) || numClasses < 1)) {
    throw new RangeError(`${op}: numClasses must be an integer >= 1; received ${String(numClasses)}.`);
  }
  if (labels instanceof ConcreteArray) {
    const values = Array.from(labels.dataSync() as ArrayLike<number>, Number);
    const bad = values.find((v) => !Number.isInteger(v) || v < 0);
    if (bad !== undefined) throw new RangeError(`${op}: labels must be integers >= 0; found ${bad}.`);
    const n = numClasses ?? values.reduce((m, v) => Math.max(m, v + 1), 0);
    const over = values.find((v) => v >= n);
    if (over !== undefined) {
      throw new RangeError(`${op}: label ${over} is out of range for ${n} classes; pass numClasses > ${over} (or omit it).`);
    }
    return oneHot(labels.astype("int32"), n);
  }
  if (numClasses === undefined) {
    throw new TypeError(`${op}: inside a trace the number of classes cannot be read from the labels; pass numClasses.`);
  }
  return oneHot(labels.dtype === "int32" ? labels : labels.astype("int32"), numClasses);
}

/** Options of `normalize`. */
export interface NormalizeOptions {
  /** Axis along which the vectors lie. Default -1. */
  readonly axis?: number;
  /** Norm order: 2 (default), 1, Infinity, or any p. */
  readonly order?: number;
}

/**
 * Divides each vector along `axis` by its `order`-norm (default the L2 norm over the last
 * axis); zero vectors are left as they are, as Keras does.
 *
 * @example normalize([[3, 4], [0, 0]]) // [[0.6, 0.8], [0, 0]]
 */
export function normalize(x: ActivationInput, opts: NormalizeOptions = {}): Tracer {
  const a = floating(x);
  const axis = opts.axis ?? -1;
  if (!Number.isInteger(axis) || axis < -a.ndim || axis >= a.ndim) {
    throw new RangeError(`utils.normalize: axis ${String(axis)} is out of range for an array of rank ${a.ndim}; use an axis in [-${a.ndim}, ${a.ndim - 1}].`);
  }
  const norm = np.linalg.norm(a, { ord: opts.order ?? 2, axis, keepdims: true });
  return a.div(np.where(norm.equal(0), 1, norm));
}

/** Options of `padSequences` (Keras' `pad_sequences`). */
export interface PadSequencesOptions {
  /** Length of the output rows; default the longest sequence. */
  readonly maxlen?: number;
  /** Default "int32" (Keras' default); "float32" keeps fractional values. */
  readonly dtype?: DType;
  /** Pad before ("pre", default) or after ("post") each sequence. */
  readonly padding?: "pre" | "post";
  /** Drop values from the start ("pre", default) or the end ("post") of long sequences. */
  readonly truncating?: "pre" | "post";
  /** The padding value. Default 0. */
  readonly value?: number;
}

type Element = number | readonly Element[];

function shapeAndValues(e: Element, out: number[]): number[] {
  if (typeof e === "number") {
    out.push(e);
    return [];
  }
  const inner = e.map((x) => shapeAndValues(x, out));
  const first = inner[0] ?? [];
  if (!inner.every((s) => s.length === first.length && s.every((d, i) => d === first[i]))) {
    throw new RangeError("utils.padSequences: the elements of a sequence must all have the same shape.");
  }
  return [e.length, ...first];
}

/**
 * Pads (and truncates) a list of sequences to one Array `[numSequences, maxlen, ...]`, as
 * Keras' `pad_sequences`: by default padding and truncation happen at the start, so the last
 * values of every sequence line up at the end. Elements may be numbers or equally shaped
 * arrays (their shape is kept after the time axis).
 *
 * @example padSequences([[1], [2, 3], [4, 5, 6]]) // [[0, 0, 1], [0, 2, 3], [4, 5, 6]] (int32)
 * @example padSequences([[1, 2, 3]], { maxlen: 2, padding: "post", truncating: "post" }) // [[1, 2]]
 */
export function padSequences(sequences: readonly (readonly Element[])[], opts: PadSequencesOptions = {}): Tracer {
  const op = "utils.padSequences";
  const padding = opts.padding ?? "pre";
  const truncating = opts.truncating ?? "pre";
  if (padding !== "pre" && padding !== "post") throw new RangeError(`${op}: padding must be "pre" or "post"; received ${JSON.stringify(padding)}.`);
  if (truncating !== "pre" && truncating !== "post") {
    throw new RangeError(`${op}: truncating must be "pre" or "post"; received ${JSON.stringify(truncating)}.`);
  }
  const dtype = opts.dtype ?? "int32";
  if (dtype !== "int32" && dtype !== "float32" && dtype !== "float64") {
    throw new DTypeError(`${op}: dtype must be int32, float32 or float64; received ${dtype}.`);
  }
  if (!Array.isArray(sequences) || !sequences.every((s) => Array.isArray(s))) {
    throw new TypeError(`${op}: expected an array of sequences (arrays); received ${typeof sequences}.`);
  }
  if (opts.maxlen !== undefined && (!Number.isInteger(opts.maxlen) || opts.maxlen < 0)) {
    throw new RangeError(`${op}: maxlen must be an integer >= 0; received ${String(opts.maxlen)}.`);
  }
  const maxlen = opts.maxlen ?? sequences.reduce((m, s) => Math.max(m, s.length), 0);
  // Per sequence: its element shape and its values, flat.
  const parsed = sequences.map((s) => {
    const values: number[] = [];
    const shape = shapeAndValues(s as Element, values);
    return { len: s.length, sample: shape.slice(1), values };
  });
  const sample = parsed.find((p) => p.len > 0)?.sample ?? [];
  const per = sample.reduce((a, b) => a * b, 1);
  const Typed = dtype === "int32" ? Int32Array : dtype === "float32" ? Float32Array : Float64Array;
  const out = new Typed(sequences.length * maxlen * per).fill(opts.value ?? 0);
  parsed.forEach((p, i) => {
    if (p.len === 0) return;
    if (p.sample.length !== sample.length || p.sample.some((d, k) => d !== sample[k])) {
      throw new RangeError(`${op}: sequence ${i} has elements of shape [${p.sample}], expected [${sample}] like the first non-empty sequence.`);
    }
    const keep = Math.min(p.len, maxlen);
    const from = truncating === "pre" ? p.len - keep : 0;
    const to = padding === "pre" ? maxlen - keep : 0;
    out.set(p.values.slice(from * per, (from + keep) * per), (i * maxlen + to) * per);
  });
  return np.array(out, { shape: [sequences.length, maxlen, ...sample] });
}
