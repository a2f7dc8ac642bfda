/**
 * @file Parsing of NumPy index expressions for `np.index` and `np.at`: numbers, slice strings
 * (`"1:5:2"`, `":"`, `"::-1"`), `null` (new axis), `"..."` and integer or boolean arrays.
 *
 * The result is one item per axis of the array after new axes are inserted, with every slice
 * resolved against the axis size by Python's `slice.indices` rules (so slices never go out of bounds).
 */
import { ShapeError, type Shape, shapeStr } from "../ir/index.js";
import { Tracer } from "../trace/core.js";
import { ConcreteArray } from "../trace/array.js";
import { asTracer, concreteData, toIndexArray } from "./indexing-core.js";
import type { NestedArray } from "./util.js";

/** One index of an index expression. */
export type IndexSpec = number | string | null | Tracer | readonly NestedArray[] | Int32Array | Uint32Array | Uint8Array;

/** A resolved index for one axis. */
export type Item =
  | { readonly kind: "slice"; readonly start: number; readonly step: number; readonly length: number }
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "array"; readonly array: Tracer };

type Raw =
  | { kind: "ellipsis" }
  | { kind: "new" }
  | { kind: "slice"; start?: number; stop?: number; step?: number }
  | { kind: "int"; value: number }
  | { kind: "array"; array: Tracer }
  | { kind: "mask"; mask: Tracer };

const SLICE_RE = /^\s*([+-]?\d+)?\s*:\s*([+-]?\d+)?\s*(?::\s*([+-]?\d+)?\s*)?$/;

const isBoolNested = (x: unknown): boolean =>
  Array.isArray(x) && x.length > 0 && (x as unknown[]).flat(Infinity).every((v) => typeof v === "boolean");

function classify(op: string, s: unknown): Raw {
  if (s === null) return { kind: "new" };
  if (typeof s === "number") {
    if (!Number.isInteger(s)) throw new TypeError(`${op}: index ${s} is not an integer; indices must be integers.`);
    return { kind: "int", value: s };
  }
  if (typeof s === "string") {
    if (s.trim() === "...") return { kind: "ellipsis" };
    const m = SLICE_RE.exec(s);
    if (!m) {
      throw new TypeError(
        `${op}: cannot parse the index string ${JSON.stringify(s)}; expected a slice like "1:5", "::2", ` +
          `"::-1" or ":", or "..." for an ellipsis.`,
      );
    }
    const num = (g: string | undefined) => (g === undefined ? undefined : Number(g));
    const step = num(m[3]);
    if (step === 0) throw new RangeError(`${op}: slice ${JSON.stringify(s)} has step 0; the step cannot be zero.`);
    return { kind: "slice", start: num(m[1]), stop: num(m[2]), step };
  }
  if (s instanceof Tracer) return s.dtype === "bool" ? { kind: "mask", mask: s } : { kind: "array", array: toIndexArray(op, s) };
  if (isBoolNested(s) || s instanceof Uint8Array) return { kind: "mask", mask: asTracer(op, s as NestedArray) };
  if (Array.isArray(s) || ArrayBuffer.isView(s)) return { kind: "array", array: toIndexArray(op, s as NestedArray) };
  throw new TypeError(
    `${op}: unsupported index ${typeof s === "boolean" ? String(s) : typeof s}; use numbers, slice strings ` +
      `(":", "1:3", "::-1"), null, "...", or integer/boolean arrays.`,
  );
}

/** Python's `slice(start, stop, step).indices(n)`, returning the start and the length. */
export function resolveSlice(n: number, start?: number, stop?: number, step = 1): { start: number; length: number } {
  const lower = step < 0 ? -1 : 0;
  const upper = step < 0 ? n - 1 : n;
  const fit = (v: number | undefined, dflt: number) => {
    if (v === undefined) return dflt;
    const w = v < 0 ? v + n : v;
    return Math.min(Math.max(w, lower), upper);
  };
  const b = fit(start, step < 0 ? upper : lower);
  const e = fit(stop, step < 0 ? lower : upper);
  const length = step > 0 ? Math.max(0, Math.ceil((e - b) / step)) : Math.max(0, Math.ceil((b - e) / -step));
  return { start: b, length };
}

/** Turns a boolean mask over `dims` into one int32 index array per masked axis (eager only). */
function maskToArrays(op: string, mask: Tracer, dims: Shape): Tracer[] {
  if (mask.ndim === 0) throw new TypeError(`${op}: scalar boolean indices are not supported; use null to add an axis.`);
  if (mask.shape.some((d, i) => d !== dims[i])) {
    throw new ShapeError(
      `${op}: boolean index of shape ${shapeStr(mask.shape)} does not match the indexed axes ${shapeStr(dims.slice(0, mask.ndim))}.`,
    );
  }
  const data = concreteData(op + " with a boolean mask", mask);
  const cols: number[][] = mask.shape.map(() => []);
  const idx = new Array<number>(mask.ndim).fill(0);
  for (let f = 0; f < data.length; f++) {
    let r = f;
    for (let i = mask.ndim - 1; i >= 0; i--) {
      idx[i] = r % mask.shape[i];
      r = Math.floor(r / mask.shape[i]);
    }
    if (data[f]) idx.forEach((v, i) => cols[i].push(v));
  }
  return cols.map((c) => ConcreteArray.fromData(Int32Array.from(c), [c.length], "int32"));
}

/**
 * Resolves an index expression against `shape`. Returns one item per axis of the array with new
 * axes inserted, and the positions of those new axes.
 */
export function parseSpecs(op: string, shape: Shape, specs: readonly unknown[]): { items: Item[]; newAxes: number[] } {
  const raws = specs.map((s) => classify(op, s));
  const ellipses = raws.filter((r) => r.kind === "ellipsis").length;
  if (ellipses > 1) throw new TypeError(`${op}: an index can only have a single ellipsis ("..."); received ${ellipses}.`);
  const consumed = raws.reduce(
    (n, r) => n + (r.kind === "mask" ? r.mask.ndim : r.kind === "new" || r.kind === "ellipsis" ? 0 : 1),
    0,
  );
  if (consumed > shape.length) {
    throw new RangeError(
      `${op}: too many indices for an array of shape ${shapeStr(shape)}: ${consumed} axes are indexed but ` +
        `the array has ${shape.length}.`,
    );
  }
  const fillers = (): Raw[] => Array.from({ length: shape.length - consumed }, () => ({ kind: "slice" }) as Raw);
  const full = ellipses ? raws.flatMap((r) => (r.kind === "ellipsis" ? fillers() : [r])) : [...raws, ...fillers()];
  const items: Item[] = [];
  const newAxes: number[] = [];
  let d = 0;
  for (const r of full) {
    if (r.kind === "new") {
      newAxes.push(items.length);
      items.push({ kind: "slice", start: 0, step: 1, length: 1 });
    } else if (r.kind === "slice") {
      const step = r.step ?? 1;
      items.push({ kind: "slice", step, ...resolveSlice(shape[d++], r.start, r.stop, step) });
    } else if (r.kind === "int") {
      items.push(r);
      d++;
    } else if (r.kind === "array") {
      items.push(r);
      d++;
    } else if (r.kind === "mask") {
      for (const array of maskToArrays(op, r.mask, shape.slice(d))) items.push({ kind: "array", array });
      d += r.mask.ndim;
    }
  }
  return { items, newAxes };
}
