/**
 * @file vmap: automatic batching (Autodidax part 2, JAX's `batching.py`).
 *
 * A BatchTracer holds a value of the level below that has one extra axis, `bdim`, running over
 * the examples (or `bdim === null` when the value is the same for every example). Each primitive
 * applied to batch tracers runs its rule from `vmapRules`, which computes the whole batch at once
 * with ordinary primitives: a function vmapped over a batch records no per-example loop.
 */
import { Prim, type PrimParams, ShapedArray, ShapeError, TreeMismatchError } from "../ir/index.js";
import { type PureValue, type Scalar, Trace, Tracer, bind, bind1, fullRaise, newMain } from "../trace/core.js";
import { scalarType } from "../trace/array.js";
import { type PyTree, type TreeDef, treeFlatten, treeUnflatten } from "../trace/pytree.js";
import { type BatchDim, bdimTo } from "./vmap-rules-common.js";
import { vmapRules } from "./vmap-rules.js";

/** A value inside vmap: `val` carries the batch at axis `bdim` (null: not batched). */
export class BatchTracer extends Tracer {
  constructor(
    readonly trace: BatchTrace,
    readonly val: Tracer | PureValue,
    readonly bdim: BatchDim,
  ) {
    super();
  }

  get aval(): ShapedArray {
    const v = this.val;
    if (!(v instanceof Tracer)) {
      const { dtype, weak } = scalarType(v);
      return new ShapedArray([], dtype, weak);
    }
    if (this.bdim === null) return v.aval;
    return v.aval.withShape(v.shape.filter((_, i) => i !== this.bdim));
  }

  /** Unbatched values need no batch tracer: they drop to the level below. */
  override fullLower(): Tracer {
    return this.bdim === null && this.val instanceof Tracer ? this.val.fullLower() : this;
  }
}

/** A JS scalar as a (weakly typed) scalar of the level below. */
const materialize = (x: Tracer | PureValue): Tracer => {
  if (x instanceof Tracer) return x;
  const { dtype, weak } = scalarType(x);
  return bind1(Prim.ConvertElementType, [x], { newDtype: dtype, weakType: weak });
};

type AnyRule = (vals: readonly Tracer[], dims: readonly BatchDim[], params: unknown) => [Tracer[], BatchDim[]];

export class BatchTrace extends Trace {
  pure(x: PureValue): Tracer {
    return new BatchTracer(this, x, null);
  }

  lift(x: Tracer): Tracer {
    return new BatchTracer(this, x, null);
  }

  processPrimitive<P extends Prim>(prim: P, tracers: readonly Tracer[], params: PrimParams[P]): Tracer[] {
    const ts = tracers as readonly BatchTracer[];
    const dims = ts.map((t) => t.bdim);
    // Nothing batched: the primitive is the same for every example.
    if (dims.every((d) => d === null)) {
      return bind(prim, ts.map((t) => t.val), params).map((o) => new BatchTracer(this, o, null));
    }
    const vals = ts.map((t) => materialize(t.val));
    const [outs, outDims] = (vmapRules[prim] as unknown as AnyRule)(vals, dims, params);
    vals.forEach((v, i) => {
      if (v !== ts[i].val && !outs.includes(v)) v.dispose();
    });
    return outs.map((o, i) => new BatchTracer(this, o, outDims[i]));
  }
}

/**
 * Runs flat `f` under vmap at a fresh level: `vals[i]` is batched at `inDims[i]` with `axisSize`
 * examples. Values with a null dim are passed to `f` as they are (they may be any JS value).
 * Returns the raw outputs and where their batch axes are.
 *
 * @example const [[y], [d]] = vmapFlat((x) => [np.sin(x)], 3, [x], [0]); // d === 0
 */
export function vmapFlat(
  f: (...xs: any[]) => readonly unknown[],
  axisSize: number,
  vals: readonly unknown[],
  inDims: readonly BatchDim[],
): [Tracer[], BatchDim[]] {
  using main = newMain(BatchTrace, { axisSize });
  const trace = new BatchTrace(main);
  const ins = vals.map((v, i) => (inDims[i] === null ? v : new BatchTracer(trace, v as Tracer, inDims[i])));
  const outs = f(...ins).map((o) => fullRaise(trace, o as Tracer | Scalar) as BatchTracer);
  return [outs.map((o) => materialize(o.val)), outs.map((o) => o.bdim)];
}

/** A vmap axis spec: an axis or null for a whole subtree, or a pytree of them (a prefix). */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };

export interface VmapOptions {
  /**
   * Which axis of each argument to map over: one number (or null) for all arguments, or an array
   * with one entry per positional argument, each a number, null or a pytree prefix of that
   * argument. Default 0. Negative axes count from the end.
   */
  readonly inAxes?: number | null | readonly AxisSpec[];
  /** Where the mapped axis goes in each output: a number, or a pytree prefix of the outputs. Default 0. */
  readonly outAxes?: AxisSpec;
  /** The batch size; required when no argument is mapped. */
  readonly axisSize?: number;
}

const isAxisLeaf = (x: unknown): boolean => x === null || typeof x === "number";

/** Expands an axis spec that is a prefix of `tree` to one axis per leaf of `tree`. */
function expandPrefix(what: string, spec: unknown, tree: TreeDef): BatchDim[] {
  const [specLeaves, specTree] = treeFlatten(spec, isAxisLeaf);
  for (const a of specLeaves) {
    if (!(a === null || Number.isInteger(a))) {
      throw new TypeError(`vmap: ${what} entries must be integers or null, received ${String(a)}.`);
    }
  }
  const out: BatchDim[] = [];
  let k = 0;
  const walk = (s: TreeDef, t: TreeDef): void => {
    if (s.node.kind === "leaf") {
      const a = specLeaves[k++] as BatchDim;
      for (let i = 0; i < t.numLeaves; i++) out.push(a);
      return;
    }
    const [sn, tn] = [s.node, t.node];
    const sameKeys = sn.kind !== "object" || (tn.kind === "object" && sn.keys.join("\0") === tn.keys.join("\0"));
    const sameCls = sn.kind !== "custom" || (tn.kind === "custom" && sn.cls === tn.cls);
    if (sn.kind !== tn.kind || !sameKeys || !sameCls || s.children.length !== t.children.length) {
      throw new TreeMismatchError(
        `vmap: ${what} must be a number, null, or a pytree prefix of the values it describes; ` +
          `${specTree} does not match ${tree}. Give one axis per subtree (or one number for all).`,
      );
    }
    s.children.forEach((c, i) => walk(c, t.children[i]));
  };
  walk(specTree, tree);
  return out;
}

/** Names leaf `j` of a tree whose top level is `top`, e.g. "argument 1 (leaf 0)". */
function leafName(top: TreeDef, j: number, noun: string): string {
  let start = 0;
  for (let i = 0; i < top.children.length; i++) {
    const c = top.children[i];
    if (j < start + c.numLeaves) return c.node.kind === "leaf" ? `${noun} ${i}` : `${noun} ${i} (leaf ${j - start})`;
    start += c.numLeaves;
  }
  return `${noun} leaf ${j}`;
}

/** Checks `axis` against a rank and makes it non-negative. */
function normalizeAxis(axis: number, rank: number, what: string, shape: readonly number[]): number {
  if (axis < -rank || axis >= rank) {
    throw new RangeError(
      `vmap: ${what} asks for axis ${axis}, out of range for shape [${shape.join(", ")}] ` +
        `(valid axes: -${rank} to ${rank - 1}). Use an axis in range, or null to leave it unmapped.`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Vectorizes `f` over a batch axis: `vmap(f)(xs)` equals stacking `f(x)` for each slice `x` of
 * `xs`, computed without a loop. Composes with grad, jit and itself.
 *
 * @example
 *   const dots = vmap((a, b) => np.dot(a, b))(as, bs); // as, bs: [B, n] -> dots: [B]
 *   vmap((x, w) => np.matmul(w, x), { inAxes: [1, null] })(xs, w);
 */
export function vmap(f: (...args: any[]) => unknown, opts: VmapOptions = {}): (...args: any[]) => any {
  const inSpec = opts.inAxes === undefined ? 0 : opts.inAxes;
  const outSpec = opts.outAxes === undefined ? 0 : opts.outAxes;
  return (...args: unknown[]) => {
    if (!isAxisLeaf(inSpec) && (!Array.isArray(inSpec) || inSpec.length !== args.length)) {
      throw new TypeError(
        `vmap: inAxes must be a number, null, or an array with one entry per positional argument ` +
          `(${args.length}); received ${JSON.stringify(inSpec)}.`,
      );
    }
    const [leaves, inTree] = treeFlatten(args as PyTree);
    const axes = expandPrefix("inAxes", isAxisLeaf(inSpec) ? args.map(() => inSpec) : inSpec, inTree);
    const dims: BatchDim[] = [];
    const sizes: [string, number, number][] = [];
    leaves.forEach((x, j) => {
      const a = axes[j];
      if (a === null) return dims.push(null);
      const name = leafName(inTree, j, "argument");
      if (!(x instanceof Tracer)) {
        throw new TypeError(
          `vmap: ${name} is ${typeof x} ${String(x)}, which has no axis ${a} to map over; ` +
            `give it inAxes null, or pass an Array.`,
        );
      }
      const d = normalizeAxis(a, x.ndim, `inAxes for ${name}`, x.shape);
      dims.push(d);
      sizes.push([name, x.shape[d], d]);
    });
    const size = batchSizeOf(sizes, opts.axisSize);
    let outTree: TreeDef | null = null;
    const flatF = (...xs: unknown[]) => {
      const out = f(...(treeUnflatten(inTree, xs) as unknown[]));
      const [outLeaves, tree] = treeFlatten(out as PyTree);
      outTree = tree;
      return outLeaves;
    };
    const [outs, outDims] = vmapFlat(flatF, size, leaves, dims);
    const want = expandPrefix("outAxes", outSpec, outTree!);
    const single = outTree!.node.kind === "leaf";
    const results = outs.map((o, k) => {
      const name = single ? "the output" : `output leaf ${k}`;
      if (want[k] === null) {
        if (outDims[k] !== null) {
          throw new ShapeError(
            `vmap: outAxes is null for ${name}, but it depends on the mapped inputs (it differs per ` +
              `example). Give it an axis in outAxes, or compute it from unmapped inputs only.`,
          );
        }
        return o;
      }
      const rank = o.ndim + (outDims[k] === null ? 1 : 0);
      const shape = outDims[k] === null ? [size, ...o.shape] : [...o.shape];
      return bdimTo(o, outDims[k], normalizeAxis(want[k]!, rank, `outAxes for ${name}`, shape), size);
    });
    return treeUnflatten(outTree!, results);
  };
}

/** The common size of the mapped axes; a clear error when they disagree or nothing is mapped. */
function batchSizeOf(sizes: readonly [string, number, number][], axisSize: number | undefined): number {
  if (axisSize !== undefined && !(Number.isInteger(axisSize) && axisSize >= 0)) {
    throw new RangeError(`vmap: axisSize must be a non-negative integer, received ${axisSize}.`);
  }
  if (sizes.length === 0) {
    if (axisSize === undefined) {
      throw new ShapeError(
        "vmap: no argument is mapped (every inAxes entry is null), so the batch size is unknown; " +
          "pass { axisSize } to say how many examples to produce.",
      );
    }
    return axisSize;
  }
  const size = axisSize ?? sizes[0][1];
  if (sizes.some(([, s]) => s !== size)) {
    const list = sizes.map(([name, s, d]) => `${name} has size ${s} on axis ${d}`).join(", ");
    throw new ShapeError(
      `vmap got inconsistent sizes for the mapped axis: ${list}` +
        (axisSize !== undefined ? `, and axisSize is ${axisSize}` : "") +
        `. Every mapped argument needs the same size along its mapped axis (see inAxes).`,
    );
  }
  return size;
}
