/**
 * @file Structured control flow as higher-order primitives: cond, switch, whileLoop, foriLoop and
 * scan. Each traces its function arguments once into sub-programs, so loops are never unrolled
 * into the caller's program, and every transformation can see (and differentiate) them.
 */
import { Prim, ShapedArray, ShapeError, TreeMismatchError } from "../ir/index.js";
import { type ArrayLike, Tracer, bind } from "../trace/core.js";
import { scalarType } from "../trace/array.js";
import { type HoistedProgram, joinHoisted, traceFlat } from "../trace/jaxpr-trace.js";
import { type PyTree, type TreeDef, treeFlatten, treeUnflatten } from "../trace/pytree.js";
import * as lax from "./lax-core.js";

/** Leaves as tracers: JS scalars become (weakly typed) scalars, as JAX treats Python numbers. */
function leavesOf(op: string, tree: PyTree): [Tracer[], TreeDef] {
  const [leaves, def] = treeFlatten(tree);
  const ts = leaves.map((x, i) => {
    if (x instanceof Tracer) return x;
    if (typeof x === "number" || typeof x === "boolean") {
      const { dtype, weak } = scalarType(x);
      return lax.convertElementType(x, dtype, weak);
    }
    throw new TypeError(`${op}: leaf ${i} of the operands is ${typeof x}; expected Arrays or JS numbers.`);
  });
  return [ts, def];
}

/** Traces `f` on flat avals with the given input structure; returns the program and output tree. */
function traceTree(
  f: (...args: any[]) => unknown,
  avals: readonly ShapedArray[],
  inTree: TreeDef,
  spread: boolean,
): { hoisted: HoistedProgram; outTree: TreeDef } {
  let outTree: TreeDef | null = null;
  const hoisted = traceFlat((...xs) => {
    const args = treeUnflatten(inTree, xs);
    const out = spread ? f(...(args as unknown[])) : f(args);
    const [leaves, def] = treeFlatten(out as PyTree);
    outTree = def;
    return leaves;
  }, avals);
  return { hoisted, outTree: outTree! };
}

const avalsOf = (ts: readonly Tracer[]) => ts.map((t) => t.aval);

function sameTree(op: string, what: string, a: TreeDef, b: TreeDef): void {
  if (!a.equals(b)) throw new TreeMismatchError(`${op}: ${what} differ in structure:\n  ${a}\n  ${b}`);
}

/**
 * Runs `branches[index]` on `operands` (index clamped into range, as XLA does).
 *
 * @example lax.switch(i, [(x) => x.add(1), (x) => x.mul(2)], x)
 */
export function switchCase(index: ArrayLike, branches: readonly ((...args: any[]) => unknown)[], ...operands: unknown[]): any {
  if (branches.length === 0) throw new RangeError("lax.switch: needs at least one branch.");
  const idx = index instanceof Tracer && index.dtype === "int32" && !index.weakType ? index : lax.convertElementType(index, "int32");
  if (idx.ndim !== 0) throw new ShapeError(`lax.switch: the index must be a scalar, received ${idx.aval.str()}.`);
  const [ops, inTree] = leavesOf("lax.switch", operands);
  const traced = branches.map((b) => traceTree(b, avalsOf(ops), inTree, true));
  traced.forEach((t, i) => sameTree("lax.switch", `the outputs of branch 0 and branch ${i}`, traced[0].outTree, t.outTree));
  const { programs, consts } = joinHoisted(traced.map((t) => t.hoisted));
  const outs = bind(Prim.Cond, [idx, ...consts, ...ops], { branches: programs });
  return treeUnflatten(traced[0].outTree, outs);
}
export { switchCase as switch };

/**
 * `pred ? trueFn(...operands) : falseFn(...operands)`, staged as one `cond` primitive.
 *
 * @example lax.cond(x.sum().greater(0), (x) => x, (x) => x.neg(), x)
 */
export function cond(pred: ArrayLike, trueFn: (...args: any[]) => unknown, falseFn: (...args: any[]) => unknown, ...operands: unknown[]): any {
  const p = pred instanceof Tracer ? pred : lax.convertElementType(pred, "bool");
  if (p.ndim !== 0) throw new ShapeError(`lax.cond: the predicate must be a scalar, received ${p.aval.str()}.`);
  const index = p.dtype === "bool" ? lax.convertElementType(p, "int32") : lax.convertElementType(lax.ne(p, 0), "int32");
  return switchCase(index, [falseFn, trueFn], ...operands);
}

/**
 * Repeats `body` while `condFn` holds: `while (cond(c)) c = body(c)`; returns the final carry.
 * Forward-differentiable (jvp); reverse mode needs a static trip count (use foriLoop or scan).
 *
 * @example lax.whileLoop((c) => c.less(10), (c) => c.add(1), 0)
 */
export function whileLoop(condFn: (carry: any) => unknown, body: (carry: any) => unknown, init: unknown): any {
  const [carry, tree] = leavesOf("lax.whileLoop", init as PyTree);
  const avals = avalsOf(carry);
  const c = traceTree(condFn, avals, tree, false);
  const b = traceTree(body, avals, tree, false);
  sameTree("lax.whileLoop", "the body's output and the initial carry", tree, b.outTree);
  const outs = bind(Prim.While, [...c.hoisted.consts, ...b.hoisted.consts, ...carry], {
    condProgram: c.hoisted.program,
    bodyProgram: b.hoisted.program,
    condNconsts: c.hoisted.consts.length,
    bodyNconsts: b.hoisted.consts.length,
  });
  return treeUnflatten(tree, outs);
}

/**
 * `for (i = lower; i < upper; i++) val = body(i, val)`. With JS-number bounds it is a scan
 * (reverse-differentiable); with traced bounds, a whileLoop.
 *
 * @example lax.foriLoop(0, 5, (i, acc) => acc.add(i), np.array(0))
 */
export function foriLoop(lower: ArrayLike, upper: ArrayLike, body: (i: Tracer, val: any) => unknown, init: unknown): any {
  if (typeof lower === "number" && typeof upper === "number") {
    const n = Math.max(0, upper - lower);
    const [carry] = scan(
      ([i, val]: [Tracer, unknown]) => [[lax.add(i, 1), body(i, val)], null],
      [lax.convertElementType(lower, "int32"), init],
      null,
      { length: n },
    ) as [[Tracer, unknown], unknown];
    return carry[1];
  }
  const [, val] = whileLoop(
    ([i]: [Tracer, unknown]) => lax.lt(i, lax.convertElementType(upper, "int32")),
    ([i, v]: [Tracer, unknown]) => [lax.add(i, 1), body(i, v)],
    [lax.convertElementType(lower, "int32"), init],
  ) as [Tracer, unknown];
  return val;
}

/**
 * Scans `f(carry, x) -> [carry, y]` over the leading axis of `xs`, returning `[carry, ys]`
 * with ys stacked. `xs` may be null when `length` is given.
 *
 * @example lax.scan((c, x) => [c.add(x), c], 0, np.arange(5)) // [10, [0, 0, 1, 3, 6]]
 */
export function scan(
  f: (carry: any, x: any) => unknown,
  init: unknown,
  xs: unknown,
  opts: { readonly length?: number; readonly reverse?: boolean } = {},
): [any, any] {
  const [carry, carryTree] = leavesOf("lax.scan", init as PyTree);
  const [xLeaves, xTree] = xs === null || xs === undefined ? [[], treeFlatten(null)[1]] : leavesOf("lax.scan", xs as PyTree);
  const lengths = new Set(xLeaves.map((x) => (x.ndim === 0 ? -1 : x.shape[0])));
  if (lengths.has(-1)) throw new ShapeError("lax.scan: every leaf of xs must have a leading axis to scan over.");
  if (opts.length !== undefined) lengths.add(opts.length);
  if (lengths.size !== 1) {
    throw new ShapeError(
      `lax.scan: the leading axis lengths of xs${opts.length !== undefined ? " and the length option" : ""} ` +
        `disagree (${[...lengths].join(", ")}), or no length could be inferred; pass { length } when xs is null.`,
    );
  }
  const length = [...lengths][0];
  const xAvals = xLeaves.map((x) => new ShapedArray(x.shape.slice(1), x.dtype, x.weakType));
  const nCarry = carry.length;
  let carryOutTree: TreeDef | null = null;
  let yTree: TreeDef | null = null;
  const body = traceFlat((...vals) => {
    const c = treeUnflatten(carryTree, vals.slice(0, nCarry));
    const x = treeUnflatten(xTree, vals.slice(nCarry));
    const out = f(c, x);
    if (!Array.isArray(out) || out.length !== 2) {
      throw new TypeError("lax.scan: the scanned function must return [carry, y].");
    }
    const [cl, ct] = treeFlatten(out[0] as PyTree);
    const [yl, yt] = treeFlatten(out[1] as PyTree);
    carryOutTree = ct;
    yTree = yt;
    // A carry may change weak type across iterations; keep the initial dtype.
    const keep = (v: unknown, i: number) =>
      v instanceof Tracer && v.dtype === carry[i].dtype && v.weakType === carry[i].weakType
        ? v
        : lax.convertElementType(v as ArrayLike, carry[i].dtype, carry[i].weakType);
    return [...cl.map(keep), ...yl];
  }, [...avalsOf(carry), ...xAvals]);
  sameTree("lax.scan", "the carry returned by the function and the initial carry", carryTree, carryOutTree!);
  const outs = bind(Prim.Scan, [...body.consts, ...carry, ...xLeaves], {
    program: body.program,
    numConsts: body.consts.length,
    numCarry: nCarry,
    length,
    reverse: opts.reverse ?? false,
  });
  return [treeUnflatten(carryTree, outs.slice(0, nCarry)), treeUnflatten(yTree!, outs.slice(nCarry))];
}

