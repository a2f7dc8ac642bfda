/**
 * @file Feeding arrays to training: checks that inputs, targets and sample weights agree on the
 * number of samples, splits off validation data, and cuts batches (shuffled or in order) by
 * gathering rows, so an epoch never copies the whole data set.
 */
import { ConcreteArray, np, type PyTree, Tracer, treeFlatten, treeUnflatten, withDefaultBackend } from "../index.js";

/** Inputs, targets and per-sample weights, each a pytree of Arrays with samples along axis 0. */
export interface ArrayData {
  readonly x: PyTree;
  readonly y: PyTree | null;
  /** One weight array, or (multi-output models) one per output, as an array or record. */
  readonly sampleWeight: PyTree | null;
  readonly size: number;
}

const leavesOf = (what: string, t: PyTree | null): Tracer[] => {
  if (t === null || t === undefined) return [];
  const leaves = treeFlatten(t)[0];
  for (const l of leaves) {
    if (!(l instanceof Tracer)) {
      throw new TypeError(
        `${what}: expected Arrays (np.array(...)) with samples along the first axis, received ${l === null ? "null" : typeof l}. ` +
          `Convert typed arrays with np.array(data).reshape([n, ...]).`,
      );
    }
    if (l.ndim === 0) throw new RangeError(`${what}: an Array of rank 0 has no sample axis; expected shape [n, ...].`);
  }
  return leaves as Tracer[];
};

/**
 * Validates and bundles `x`, `y` and `sampleWeight`.
 *
 * @example const data = arrayData(xTrain, yTrain, null)
 */
export function arrayData(x: PyTree, y: PyTree | null, sampleWeight: PyTree | null, op = "fit"): ArrayData {
  const all = [
    ...leavesOf(`${op}: x`, x).map((a) => ["x", a] as const),
    ...leavesOf(`${op}: y`, y).map((a) => ["y", a] as const),
    ...leavesOf(`${op}: sampleWeight`, sampleWeight).map((a) => ["sampleWeight", a] as const),
  ];
  if (all.length === 0) throw new TypeError(`${op}: no input data given.`);
  const n = all[0][1].shape[0];
  for (const [name, a] of all) {
    if (a.shape[0] !== n) {
      throw new RangeError(
        `${op}: all arrays must have the same number of samples (first dimension); ${all[0][0]} has ${n} but ${name} has ${a.shape[0]} (shape [${a.shape}]).`,
      );
    }
  }
  for (const [name, a] of all) {
    if (name === "sampleWeight" && a.ndim !== 1) throw new RangeError(`${op}: sampleWeight must have shape [n], received [${a.shape}].`);
  }
  return { x, y, sampleWeight, size: n };
}

const mapData = (d: ArrayData, f: (a: Tracer) => Tracer): ArrayData => {
  const m = (t: PyTree | null) => {
    if (t === null) return null;
    const [ls, tree] = treeFlatten(t);
    return treeUnflatten(tree, (ls as Tracer[]).map(f));
  };
  const sw = m(d.sampleWeight);
  const x = m(d.x)!;
  return { x, y: m(d.y), sampleWeight: sw, size: (treeFlatten(x)[0][0] as Tracer).shape[0] };
};

/** Runs `f` with the backend of `a` as the default, so the index arrays it makes live beside `a`. */
const besides = <T>(a: Tracer, f: () => T): T => (a instanceof ConcreteArray ? withDefaultBackend(a.backend.name, f) : f());

/** Rows `[start, end)` of every array. */
export const sliceData = (d: ArrayData, start: number, end: number): ArrayData =>
  mapData(d, (a) => besides(a, () => np.take(a, np.arange(start, end, 1, { dtype: "int32" }), { axis: 0 })));

/** The rows listed in `idx`, in that order. */
export function takeRows(d: ArrayData, idx: Int32Array): ArrayData {
  return mapData(d, (a) =>
    besides(a, () => {
      const i = np.array(idx, { dtype: "int32" });
      try {
        return np.take(a, i, { axis: 0 });
      } finally {
        i.dispose();
      }
    }));
}

/** Splits off the last `fraction` of the samples for validation, as Keras does (before shuffling). */
export function splitValidation(d: ArrayData, fraction: number): [ArrayData, ArrayData] {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`fit: validationSplit must be in (0, 1), received ${fraction}.`);
  const at = Math.floor(d.size * (1 - fraction));
  if (at === 0 || at === d.size) {
    throw new RangeError(`fit: validationSplit ${fraction} of ${d.size} samples leaves an empty training or validation set.`);
  }
  return [sliceData(d, 0, at), sliceData(d, at, d.size)];
}

/** Releases the arrays of a data bundle made by slicing or gathering. */
export function disposeData(d: ArrayData): void {
  for (const t of [d.x, d.y, d.sampleWeight]) if (t !== null) for (const l of treeFlatten(t)[0]) (l as Tracer).dispose();
}

/** A small seeded PRNG (mulberry32) for shuffling sample order reproducibly. */
export function shuffleRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Batches of sample indices for one epoch: shuffled (Fisher-Yates) or in order. */
export function epochBatches(n: number, batchSize: number, shuffle: boolean, rand: () => number): Int32Array[] {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (shuffle) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
  const out: Int32Array[] = [];
  for (let s = 0; s < n; s += batchSize) out.push(order.subarray(s, Math.min(n, s + batchSize)));
  return out;
}
