/**
 * @file jit: traces a function once per input signature, optimizes the Program, caches it, and
 * runs it as one `pjit` call. The signature is the pytree structure of the arguments, each
 * leaf's shape, dtype and weak type, and the values of static arguments.
 */
import { Prim, type Program, ShapedArray } from "../ir/index.js";
import { Tracer, bind } from "../trace/core.js";
import { ConcreteArray, keep, scalarType } from "../trace/array.js";
import { withDonation } from "../trace/eval-control.js";
import { devicePutSync } from "../trace/device-put.js";
import { ClosedJaxpr, makeJaxpr as makeJaxprRaw, traceFlat } from "../trace/jaxpr-trace.js";
import { type PyTree, type TreeDef, treeFlatten, treeUnflatten } from "../trace/pytree.js";
import { dce } from "./dce.js";
import { optimize } from "./pipeline.js";

export interface JitOptions {
  /** Positional arguments that are compile-time constants (JS values): a new trace per value. */
  readonly staticArgnums?: number | readonly number[];
  /**
   * Positional arguments whose buffers the call may consume: after the call those Arrays are
   * disposed (JAX's donation), so a training step can update parameters in place.
   */
  readonly donateArgnums?: number | readonly number[];
  /** Name shown in printed programs (defaults to the function's name). */
  readonly name?: string;
}

interface Compiled {
  readonly program: Program;
  readonly consts: readonly Tracer[];
  readonly outTree: TreeDef;
  /** The constants copied to other backends the function was called on, by backend name. */
  readonly constsOn: Map<string, readonly Tracer[]>;
}

/**
 * The constants for a call whose array arguments live on another backend than the constants
 * (the function was traced before `setBackend`): copied there once and cached.
 */
function constsFor(compiled: Compiled, leaves: readonly unknown[]): readonly Tracer[] {
  const arg = leaves.find((l) => l instanceof ConcreteArray) as ConcreteArray | undefined;
  const c0 = compiled.consts.find((c) => c instanceof ConcreteArray) as ConcreteArray | undefined;
  if (!arg || !c0 || arg.backend === c0.backend) return compiled.consts;
  const name = arg.backend.name;
  let moved = compiled.constsOn.get(name);
  if (!moved) compiled.constsOn.set(name, (moved = compiled.consts.map((c) => keepConst(devicePutSync(c, name)))));
  return moved;
}

/** Cached constants outlive any `tidy` scope the first call ran in. */
const keepConst = (c: Tracer): Tracer => (c instanceof ConcreteArray ? keep(c) : c);

const asList = (x: number | readonly number[] | undefined): number[] => (x === undefined ? [] : typeof x === "number" ? [x] : [...x]);

/** Identity keys for static values that JSON cannot describe (functions, class instances). */
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;
function staticKey(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === "function" || (x && typeof x === "object" && Object.getPrototypeOf(x) !== Object.prototype && !Array.isArray(x))) {
      if (!objectIds.has(x)) objectIds.set(x, nextObjectId++);
      return `#obj${objectIds.get(x)}`;
    }
    return typeof x === "number" && !Number.isFinite(x) ? String(x) : x;
  });
}

function leafAval(x: unknown, i: number, name: string): ShapedArray {
  if (x instanceof Tracer) return x.aval;
  if (typeof x === "number" || typeof x === "boolean") {
    const { dtype, weak } = scalarType(x);
    return new ShapedArray([], dtype, weak);
  }
  throw new TypeError(
    `jit(${name}): argument leaf ${i} is ${x === null ? "null" : typeof x}; dynamic arguments must be Arrays, ` +
      `JS numbers or pytrees of them. Mark JS configuration values with staticArgnums.`,
  );
}

/** A jitted function: call it like the original; `cacheSize` tells how many traces it holds. */
export interface Jitted<F extends (...args: any[]) => any> {
  (...args: Parameters<F>): ReturnType<F>;
  readonly cacheSize: number;
  /** The optimized program for these arguments (traces if needed). */
  lower(...args: Parameters<F>): ClosedJaxpr;
}

/**
 * Compiles `f` for each new input signature and reuses the compiled program afterwards.
 *
 * @example
 *   const step = jit((params, x) => loss(params, x));
 *   step(params, batch); // traces once, then runs the cached program
 */
export function jit<F extends (...args: any[]) => any>(f: F, opts: JitOptions = {}): Jitted<F> {
  const statics = asList(opts.staticArgnums);
  const donate = asList(opts.donateArgnums);
  const name = opts.name ?? (f.name || "fn");
  const cache = new Map<string, Compiled>();

  const prepare = (args: unknown[]) => {
    for (const s of statics) {
      if (!Number.isInteger(s) || s < 0 || s >= args.length) {
        throw new RangeError(`jit(${name}): staticArgnums ${s} is out of range for ${args.length} argument(s).`);
      }
    }
    const dynamic = args.map((a, i) => (statics.includes(i) ? null : a));
    const [leaves, inTree] = treeFlatten(dynamic as PyTree);
    const avals = leaves.map((x, i) => leafAval(x, i, name));
    const key = `${inTree}|${avals.map((a) => `${a.str()}${a.weakType ? "w" : ""}`).join(",")}|${statics.map((s) => staticKey(args[s])).join(",")}`;
    let compiled = cache.get(key);
    if (!compiled) {
      let outTree: TreeDef | null = null;
      const hoisted = traceFlat((...xs) => {
        const dyn = treeUnflatten(inTree, xs) as unknown[];
        const full = args.map((a, i) => (statics.includes(i) ? a : dyn[i]));
        const [outs, tree] = treeFlatten(f(...full) as PyTree);
        outTree = tree;
        return outs;
      }, avals);
      // The cache owns its constants: the caller may dispose the arrays it closed over.
      compiled = {
        program: optimize(hoisted.program), consts: hoisted.consts.map((c) => keepConst(c.retain())), outTree: outTree!, constsOn: new Map(),
      };
      cache.set(key, compiled);
    }
    return { compiled, leaves };
  };

  const jitted = ((...args: unknown[]) => {
    const { compiled, leaves } = prepare(args);
    const donated = donate.flatMap((d) => treeFlatten(args[d] as PyTree)[0].filter((l): l is Tracer => l instanceof Tracer));
    // The executable may overwrite donated buffers (in place updates of parameters).
    const outs = withDonation(donated, () =>
      bind(Prim.Pjit, [...constsFor(compiled, leaves), ...(leaves as (Tracer | number | boolean)[])], { program: compiled.program, name }),
    );
    // An output that is a donated input passed straight through is the same Array: keep it.
    const returned = new Set<unknown>(outs);
    for (const leaf of donated) if (!returned.has(leaf)) leaf.dispose();
    return treeUnflatten(compiled.outTree, outs);
  }) as unknown as Jitted<F>;
  Object.defineProperty(jitted, "cacheSize", { get: () => cache.size });
  Object.defineProperty(jitted, "lower", {
    value: (...args: unknown[]) => {
      const { compiled } = prepare(args);
      return makeJaxprRaw((...xs: Tracer[]) => bind(Prim.Pjit, [...compiled.consts, ...xs], { program: compiled.program, name }))(
        ...treeFlatten(args.filter((_, i) => !statics.includes(i)) as PyTree)[0],
      );
    },
  });
  return jitted;
}

/**
 * Stages `f` and returns its Program with dead code (and unused constants) removed, printable
 * like a JAX jaxpr.
 *
 * @example console.log(makeJaxpr(grad(f))(x).toString())
 */
export function makeJaxpr(f: (...args: any[]) => unknown) {
  return (...args: unknown[]): ClosedJaxpr => {
    const raw = makeJaxprRaw(f)(...args);
    const live = dce(raw.program);
    const used = new Set<unknown>();
    for (const e of live.eqns) for (const a of e.inputs) used.add(a);
    for (const o of live.outs) used.add(o);
    const keep = live.constVars.map((v) => used.has(v));
    const program = { ...live, constVars: live.constVars.filter((_, i) => keep[i]) };
    return new ClosedJaxpr(program, raw.consts.filter((_, i) => keep[i]), raw.inTree, raw.outTree);
  };
}
