/**
 * @file The IR-building trace: stages every primitive into a Program instead of running it.
 *
 * `makeJaxpr(f)(...args)` pushes a JaxprTrace as the *dynamic* trace (JAX's omnistaging), so even
 * operations on constants are recorded. Values from outside the function (concrete Arrays, or
 * tracers of an enclosing transformation) become constant variables; scalar constants are
 * folded into literals.
 */
import {
  type Atom, type ClosedProgram, Lit, type Eqn, Prim, type PrimParams, type Program,
  ShapedArray, Var, abstractEval, printProgram,
} from "../ir/index.js";
import { type PureValue, Trace, Tracer, TypedScalar, newDynamic, newMain } from "./core.js";
import { convertValue } from "../backend/reference/elementwise.js";
import { fitValue } from "../backend/reference/float-bits.js";


import { getBackend } from "../backend/registry.js";
import { ConcreteArray, scalarType } from "./array.js";
import { type PyTree, type TreeDef, treeFlatten, treeUnflatten } from "./pytree.js";

/** A value being staged: it stands for a variable (or a literal) of the Program being built. */
export class JaxprTracer extends Tracer {
  constructor(
    readonly trace: JaxprTrace,
    readonly aval: ShapedArray,
    /** Set for literal scalars, which print inline and fold at trace time. */
    readonly literal: number | null = null,
  ) {
    super();
  }
}

/** Mutable state of one staging: equations, and which tracer stands for which variable. */
export class Builder {
  readonly eqns: Eqn[] = [];
  readonly vars = new Map<JaxprTracer, Var>();
  readonly constTracers = new Map<Tracer, JaxprTracer>();
  readonly inTracers: JaxprTracer[] = [];

  varOf(t: JaxprTracer): Var {
    let v = this.vars.get(t);
    if (!v) {
      v = new Var(t.aval);
      this.vars.set(t, v);
    }
    return v;
  }

  atomOf(t: JaxprTracer): Atom {
    return t.literal !== null ? new Lit(t.literal, t.aval) : this.varOf(t);
  }

  /** Assembles the Program whose outputs are `outs`. */
  build(outs: readonly JaxprTracer[]): ClosedProgram<Tracer> {
    const consts = [...this.constTracers.entries()];
    const program: Program = {
      constVars: consts.map(([, t]) => this.varOf(t)),
      inVars: this.inTracers.map((t) => this.varOf(t)),
      eqns: [...this.eqns],
      outs: outs.map((t) => this.atomOf(t)),
    };
    return { program, consts: consts.map(([c]) => c) };
  }
}

export class JaxprTrace extends Trace {
  get builder(): Builder {
    return this.main.globalData as Builder;
  }

  newArg(aval: ShapedArray): JaxprTracer {
    const t = new JaxprTracer(this, aval);
    this.builder.inTracers.push(t);
    return t;
  }

  pure(x: PureValue): Tracer {
    const { dtype, weak } = scalarType(x);
    // Typed scalars are rounded to their dtype now; plain JS numbers stay exact (weakly typed).
    const value = x instanceof TypedScalar ? fitValue(x.value, x.dtype) : Number(x);
    return new JaxprTracer(this, new ShapedArray([], dtype, weak), value);
  }

  lift(x: Tracer): Tracer {
    const b = this.builder;
    let t = b.constTracers.get(x);
    if (!t) {
      t = new JaxprTracer(this, x.aval);
      b.constTracers.set(x, t);
    }
    return t;
  }

  processPrimitive<P extends Prim>(prim: P, tracers: readonly Tracer[], params: PrimParams[P]): Tracer[] {
    const ts = tracers as readonly JaxprTracer[];
    const outAvals = abstractEval(prim, ts.map((t) => t.aval), params);
    const folded = foldScalar(this, prim, ts, params, outAvals);
    if (folded) return folded;
    const outs = outAvals.map((a) => new JaxprTracer(this, a));
    const b = this.builder;
    b.eqns.push({ prim, inputs: ts.map((t) => b.atomOf(t)), params, outs: outs.map((t) => b.varOf(t)) });
    return outs;
  }
}

/** Folds a primitive whose inputs are all literals and whose single output is a scalar. */
function foldScalar<P extends Prim>(
  trace: JaxprTrace,
  prim: P,
  ts: readonly JaxprTracer[],
  params: PrimParams[P],
  outAvals: readonly ShapedArray[],
): Tracer[] | null {
  if (ts.length === 0 || outAvals.length !== 1 || outAvals[0].ndim !== 0) return null;
  if (!ts.every((t) => t.literal !== null)) return null;
  // A conversion folds from the literal's exact value, so no bits are lost on the way to float64.
  if (prim === Prim.ConvertElementType) {
    const to = outAvals[0].dtype;
    return [new JaxprTracer(trace, outAvals[0], fitValue(convertValue(ts[0].literal!, ts[0].aval.dtype, to), to))];
  }
  // Folded on the reference backend, whatever the default: the same value on every backend, and
  // readable synchronously even when the default is a GPU.
  const inputs = ts.map((t) => ConcreteArray.fromData([t.literal!], [], t.aval.dtype, t.aval.weakType, getBackend("reference")));
  const [out] = bindEager(prim, inputs, params);
  const value = (out as ConcreteArray).dataSync()[0];
  inputs.forEach((a) => a.dispose());
  out.dispose();
  return [new JaxprTracer(trace, outAvals[0], value)];
}

/** Runs a primitive on concrete arrays at the eval level, whatever trace is dynamic. */
function bindEager<P extends Prim>(prim: P, inputs: readonly ConcreteArray[], params: PrimParams[P]): Tracer[] {
  return inputs[0].trace.processPrimitive(prim, inputs, params);
}

/** Argument avals for tracing: Arrays and tracers give their aval; ShapedArrays stand for themselves. */
export type AvalLike = Tracer | ShapedArray;

const avalOf = (x: unknown): ShapedArray => {
  if (x instanceof Tracer) return x.aval;
  if (x instanceof ShapedArray) return x;
  if (typeof x === "number" || typeof x === "boolean") {
    const { dtype, weak } = scalarType(x);
    return new ShapedArray([], dtype, weak);
  }
  throw new TypeError(`makeJaxpr: arguments must be Arrays, ShapedArrays or JS scalars, received ${typeof x}.`);
};

/** The result of staging a function: its closed Program and how to rebuild its outputs. */
export interface Traced {
  readonly closed: ClosedProgram<Tracer>;
  readonly outTree: TreeDef;
  readonly inTree: TreeDef;
}

/**
 * Stages `f` on flat abstract inputs, returning the Program and output tree.
 * Used by makeJaxpr, jit and the control-flow primitives.
 */
export function traceToProgram(
  f: (...args: PyTree[]) => PyTree,
  inAvals: readonly ShapedArray[],
  inTree: TreeDef,
): Traced {
  using main = newMain(JaxprTrace, new Builder());
  using _dyn = newDynamic(main);
  const trace = new JaxprTrace(main);
  const inTracers = inAvals.map((a) => trace.newArg(a));
  const args = treeUnflatten(inTree, inTracers) as PyTree[];
  const out = f(...args);
  const [outLeaves, outTree] = treeFlatten(out);
  const outTracers = outLeaves.map((x) => fullRaiseOut(trace, x));
  return { closed: trace.builder.build(outTracers), outTree, inTree };
}

function fullRaiseOut(trace: JaxprTrace, x: unknown): JaxprTracer {
  if (x instanceof JaxprTracer && x.trace.main === trace.main) return x;
  if (x instanceof Tracer) return trace.lift(x) as JaxprTracer;
  if (typeof x === "number" || typeof x === "boolean") return trace.pure(x) as JaxprTracer;
  throw new TypeError(
    `A traced function must return Arrays, JS numbers or pytrees of them; it returned ${typeof x}.`,
  );
}

/**
 * Returns a function that stages `f` and gives its Program, printable like a JAX jaxpr.
 *
 * @example
 *   makeJaxpr((x) => np.sin(x))(np.ones([3])).toString()
 *   // { lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }
 */
export function makeJaxpr(f: (...args: any[]) => unknown) {
  return (...args: unknown[]): ClosedJaxpr => {
    const [leaves, inTree] = treeFlatten(args as PyTree);
    const t = traceToProgram(f as (...a: PyTree[]) => PyTree, leaves.map(avalOf), inTree);
    return new ClosedJaxpr(t.closed.program, t.closed.consts, t.inTree, t.outTree);
  };
}

/** A staged program with its constants, as `makeJaxpr` returns it. */
export class ClosedJaxpr implements ClosedProgram<Tracer> {
  constructor(
    readonly program: Program,
    readonly consts: readonly Tracer[],
    readonly inTree: TreeDef,
    readonly outTree: TreeDef,
  ) {}

  toString(): string {
    return printProgram(this.program);
  }
}

/** A program with no constVars, plus the values to pass as its leading inputs. */
export interface HoistedProgram {
  readonly program: Program;
  readonly consts: readonly Tracer[];
}

/**
 * Stages a flat function on `avals` and hoists its constants into leading inputs, the form
 * higher-order primitives hold (their programs are closed over nothing).
 */
export function traceFlat(f: (...xs: Tracer[]) => readonly unknown[], avals: readonly ShapedArray[]): HoistedProgram {
  const [, inTree] = treeFlatten(avals.map(() => 0));
  const t = traceToProgram((...args) => f(...(args as Tracer[])) as PyTree, avals, inTree);
  return hoistConsts(t.closed.program, t.closed.consts);
}

/** Moves constVars to the front of inVars. */
export function hoistConsts(program: Program, consts: readonly Tracer[]): HoistedProgram {
  return {
    program: { constVars: [], inVars: [...program.constVars, ...program.inVars], eqns: program.eqns, outs: program.outs },
    consts,
  };
}

/**
 * Gives several hoisted programs (e.g. the branches of a cond) the union of all their constants
 * as leading inputs; each program ignores the others' constants.
 */
export function joinHoisted(hs: readonly HoistedProgram[]): { programs: Program[]; consts: Tracer[] } {
  const consts = hs.flatMap((h) => h.consts);
  let offset = 0;
  const programs = hs.map((h) => {
    const n = h.consts.length;
    const unused = (cs: readonly Tracer[]) => cs.map((c) => new Var(c.aval));
    const inVars = [
      ...unused(consts.slice(0, offset)),
      ...h.program.inVars.slice(0, n),
      ...unused(consts.slice(offset + n)),
      ...h.program.inVars.slice(n),
    ];
    offset += n;
    return { ...h.program, inVars };
  });
  return { programs, consts };
}
