/**
 * @file `np.pad`: NumPy's padding modes over static widths. Constant padding with one value is a
 * single `pad` primitive; every other mode pads axis by axis (axis 0 first, like NumPy, so later
 * axes fill the corners) by concatenating blocks built from static slices and reductions.
 */
import { ShapeError, isFloat } from "../ir/index.js";
import { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { asTracer, sliceAxis, takeStatic } from "./take-static.js";
import type { ArrayInput } from "./util.js";

/** The padding modes: NumPy's names. */
export type PadMode = "constant" | "edge" | "reflect" | "symmetric" | "wrap" | "linear_ramp" | "maximum" | "minimum" | "mean";

/** Widths or values per side: one number, [before, after], or one pair (or [n]) per axis. */
export type PadWidth = number | readonly number[] | readonly (readonly number[])[];

export interface PadOpts {
  readonly mode?: PadMode;
  /** Fill for "constant" (default 0): a scalar (or rank-0 Array), or per-side / per-axis numbers. */
  readonly constantValues?: PadWidth | Tracer;
  /** Ramp ends for "linear_ramp" (default 0), in the same forms as the widths. */
  readonly endValues?: PadWidth;
  /** Only "even" (NumPy's default) is supported for reflect/symmetric. */
  readonly reflectType?: "even";
}

const MODES: readonly PadMode[] = ["constant", "edge", "reflect", "symmetric", "wrap", "linear_ramp", "maximum", "minimum", "mean"];

/** Normalizes NumPy's pad_width / constant_values forms to one [before, after] pair per axis. */
function perAxis(op: string, what: string, w: PadWidth, ndim: number): [number, number][] {
  const bad = () =>
    new ShapeError(
      `${op}: ${what} ${JSON.stringify(w)} does not fit an array of rank ${ndim}; use a number, [before, after], ` +
        `or one [before, after] pair per axis.`,
    );
  const pair = (p: readonly number[]): [number, number] => {
    if (p.length === 1) return [p[0], p[0]];
    if (p.length === 2) return [p[0], p[1]];
    throw bad();
  };
  if (typeof w === "number") return Array.from({ length: ndim }, () => [w, w]);
  if (w.length > 0 && w.every((v) => typeof v === "number")) {
    const p = pair(w as readonly number[]);
    return Array.from({ length: ndim }, () => p);
  }
  const rows = w as readonly (readonly number[])[];
  if (!rows.every((r) => Array.isArray(r))) throw bad();
  if (rows.length === 1) return Array.from({ length: ndim }, () => pair(rows[0]));
  if (rows.length !== ndim) throw bad();
  return rows.map(pair);
}

/**
 * Pads an array. Widths take NumPy's forms: `2`, `[1, 2]` (every axis), `[[1, 2], [0, 3]]` (per axis).
 *
 * @example np.pad(np.array([1, 2, 3]), [1, 2]) // [0, 1, 2, 3, 0, 0]
 * @example np.pad(np.array([1, 2, 3]), 2, { mode: "reflect" }) // [3, 2, 1, 2, 3, 2, 1]
 */
export function pad(x: ArrayInput, padWidth: PadWidth, opts: PadOpts = {}): Tracer {
  const op = "np.pad";
  const t = asTracer(op, x);
  const mode = opts.mode ?? "constant";
  if (!MODES.includes(mode)) throw new RangeError(`${op}: unknown mode ${JSON.stringify(mode)}; expected one of ${MODES.join(", ")}.`);
  if (opts.reflectType !== undefined && opts.reflectType !== "even") {
    throw new RangeError(`${op}: reflectType ${JSON.stringify(opts.reflectType)} is not supported; only "even" is.`);
  }
  const widths = perAxis(op, "padWidth", padWidth, t.ndim);
  for (const [b, a] of widths) {
    if (!Number.isInteger(b) || !Number.isInteger(a) || b < 0 || a < 0) {
      throw new RangeError(`${op}: pad widths must be non-negative integers, got ${JSON.stringify(padWidth)}.`);
    }
  }
  if (mode === "constant") {
    const cv = opts.constantValues ?? 0;
    if (typeof cv === "number" || cv instanceof Tracer) {
      if (cv instanceof Tracer && cv.ndim !== 0) throw new ShapeError(`${op}: an Array constantValues must be a scalar, got shape [${cv.shape.join(", ")}].`);
      return lax.pad(t, lax.convertElementType(cv, t.dtype), widths.map(([b, a]) => [b, a, 0] as const));
    }
    const values = perAxis(op, "constantValues", cv, t.ndim);
    return padAxes(t, widths, (u, ax, side, w) => full(u, ax, w, lax.convertElementType(values[ax][side], t.dtype)));
  }
  if (mode === "linear_ramp") {
    const ends = perAxis(op, "endValues", opts.endValues ?? 0, t.ndim);
    return padAxes(t, widths, (u, ax, side, w) => ramp(u, ax, side, w, ends[ax][side]));
  }
  return padAxes(t, widths, (u, ax, side, w) => {
    const n = u.shape[ax];
    if (n === 0) throw new ShapeError(`${op}: cannot extend the empty axis ${ax} with mode "${mode}"; only "constant" pads empty axes.`);
    if (mode === "maximum" || mode === "minimum" || mode === "mean") return full(u, ax, w, stat(u, ax, mode));
    // Source index of each padded position p (before: p < 0, after: p >= n), as NumPy extends the axis.
    const pos = Array.from({ length: w }, (_, i) => (side === 0 ? i - w : n + i));
    const mod = (p: number, m: number) => ((p % m) + m) % m;
    const src = pos.map((p) => {
      if (mode === "edge") return p < 0 ? 0 : n - 1;
      if (mode === "wrap") return mod(p, n);
      if (mode === "symmetric") {
        const m = mod(p, 2 * n);
        return m < n ? m : 2 * n - 1 - m;
      }
      if (n === 1) return 0;
      const m = mod(p, 2 * (n - 1)); // reflect: a triangle wave that does not repeat the edge
      return m < n ? m : 2 * (n - 1) - m;
    });
    return takeStatic(u, ax, src);
  });
}

type Block = (u: Tracer, axis: number, side: 0 | 1, width: number) => Tracer;

function padAxes(t: Tracer, widths: readonly [number, number][], block: Block): Tracer {
  let u = t;
  widths.forEach(([b, a], ax) => {
    if (b === 0 && a === 0) return;
    const parts = [...(b > 0 ? [block(u, ax, 0, b)] : []), u, ...(a > 0 ? [block(u, ax, 1, a)] : [])];
    u = lax.concatenate(parts, ax);
  });
  return u;
}

/** A block of `width` along `axis` filled with `v`, which is a scalar or has size 1 on `axis`. */
function full(u: Tracer, axis: number, width: number, v: Tracer): Tracer {
  const shape = u.shape.map((d, i) => (i === axis ? width : d));
  if (v.ndim === 0) return lax.broadcastInDim(v, shape, []);
  return lax.broadcastInDim(lax.reshape(v, u.shape.filter((_, i) => i !== axis)), shape, shape.map((_, i) => i).filter((i) => i !== axis));
}

/** Max, min or mean along `axis` (size 1 kept); integer means round like NumPy's. */
function stat(u: Tracer, axis: number, mode: "maximum" | "minimum" | "mean"): Tracer {
  const keep = u.shape.map((d, i) => (i === axis ? 1 : d));
  if (mode !== "mean") return lax.reshape((mode === "maximum" ? lax.reduceMax : lax.reduceMin)(u, [axis]), keep);
  const f = isFloat(u.dtype) ? u : lax.convertElementType(u, "float32");
  const m = lax.div(lax.reduceSum(f, [axis]), u.shape[axis]);
  const r = isFloat(u.dtype) ? m : lax.convertElementType(lax.round(m, "to_nearest_even"), u.dtype);
  return lax.reshape(r, keep);
}

/** Linear ramp from `end` to the edge value (exclusive), NumPy's `linspace(..., endpoint=False)`. */
function ramp(u: Tracer, axis: number, side: 0 | 1, width: number, end: number): Tracer {
  const n = u.shape[axis];
  if (n === 0) throw new ShapeError(`np.pad: cannot extend the empty axis ${axis} with mode "linear_ramp".`);
  const edge = side === 0 ? sliceAxis(u, axis, 0, 1) : sliceAxis(u, axis, n - 1, n);
  const ft = isFloat(u.dtype) ? u.dtype : "float64";
  const shape = u.shape.map((d, i) => (i === axis ? width : d));
  const e = full(u, axis, width, lax.convertElementType(edge, ft));
  let frac = lax.div(lax.iota(ft, shape, axis), width);
  if (side === 1) frac = lax.rev(frac, [axis]);
  const v = lax.add(lax.mul(lax.sub(e, end), frac), end);
  // NumPy's integer linspace rounds towards -inf.
  return isFloat(u.dtype) ? v : lax.convertElementType(lax.floor(v), u.dtype);
}
