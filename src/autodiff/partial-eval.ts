/**
 * @file Partial evaluation (Autodidax part 4): runs a function on inputs of which some are
 * known values and some are unknown; known work runs now (at the level below), unknown work is
 * recorded as a Program. `linearize` uses it to split a JVP into its primal computation (done
 * now) and its linear tangent program (kept for transposition).
 */
import {
  type Atom, Lit, type Eqn, Prim, type PrimParams, type Program, ShapedArray, Var, abstractEval,
} from "../ir/index.js";
import { type PureValue, type Scalar, Trace, Tracer, TypedScalar, bind, newMain } from "../trace/core.js";
import { scalarType } from "../trace/array.js";
import { evalProgram } from "../trace/eval-program.js";
import { type PartialEvalRule, partialEvalRules } from "./partial-eval-rules.js";

/** A partially known value: a known tracer/array, or only its aval. */
export type PartialVal = { readonly known: Tracer | PureValue } | { readonly unknown: ShapedArray };

type Recipe =
  | { readonly kind: "input" }
  | { readonly kind: "const"; readonly value: Tracer | PureValue }
  | { readonly kind: "eqn"; readonly eqn: EqnRecipe };

interface EqnRecipe {
  readonly prim: Prim;
  readonly inputs: readonly PartialEvalTracer[];
  readonly params: unknown;
  outs: readonly PartialEvalTracer[];
}

export class PartialEvalTracer extends Tracer {
  constructor(
    readonly trace: PartialEvalTrace,
    readonly pval: PartialVal,
    readonly recipe: Recipe | null,
  ) {
    super();
  }

  get aval(): ShapedArray {
    const p = this.pval;
    if ("unknown" in p) return p.unknown;
    const k = p.known;
    if (k instanceof Tracer) return k.aval;
    const { dtype, weak } = scalarType(k);
    return new ShapedArray([], dtype, weak);
  }

  /** Known values are lowered to the level below, so they never enter the recorded Program. */
  override fullLower(): Tracer {
    const p = this.pval;
    return "known" in p && p.known instanceof Tracer ? p.known.fullLower() : this;
  }
}

export class PartialEvalTrace extends Trace {
  newArg(pval: PartialVal): PartialEvalTracer {
    return "known" in pval ? new PartialEvalTracer(this, pval, null) : new PartialEvalTracer(this, pval, { kind: "input" });
  }

  pure(x: PureValue): Tracer {
    return new PartialEvalTracer(this, { known: x }, null);
  }

  lift(x: Tracer): Tracer {
    return new PartialEvalTracer(this, { known: x }, null);
  }

  /** Turns a known tracer into an unknown one whose value is a constant of the Program. */
  instantiateConst(t: PartialEvalTracer): PartialEvalTracer {
    if ("unknown" in t.pval) return t;
    return new PartialEvalTracer(this, { unknown: t.aval }, { kind: "const", value: t.pval.known });
  }

  processPrimitive<P extends Prim>(prim: P, tracers: readonly Tracer[], params: PrimParams[P]): Tracer[] {
    const ts = tracers as readonly PartialEvalTracer[];
    if (ts.every((t) => "known" in t.pval)) {
      const outs = bind(prim, ts.map((t) => (t.pval as { known: Tracer | PureValue }).known), params);
      return outs.map((o) => new PartialEvalTracer(this, { known: o }, null));
    }
    // A call with unknown inputs is inlined, so its known part runs now and only the rest is staged.
    if (prim === Prim.Pjit) return evalProgram((params as PrimParams[Prim.Pjit]).program, ts);
    const rule = partialEvalRules[prim as keyof typeof partialEvalRules] as PartialEvalRule | undefined;
    if (rule) return rule(this, ts, params);
    return this.stage(prim, ts, params);
  }

  /** Records `prim` as an unknown equation (known inputs become constants of the Program). */
  stage<P extends Prim>(prim: P, ts: readonly PartialEvalTracer[], params: PrimParams[P]): PartialEvalTracer[] {
    const ins = ts.map((t) => this.instantiateConst(t));
    const avals = abstractEval(prim, ins.map((t) => t.aval), params);
    const recipe: EqnRecipe = { prim, inputs: ins, params, outs: [] };
    const outs = avals.map((a) => new PartialEvalTracer(this, { unknown: a }, { kind: "eqn", eqn: recipe }));
    recipe.outs = outs;
    return outs;
  }
}

/**
 * Runs `f` with partially known inputs. Returns the outputs' partial values and the Program
 * (with its constants) that computes the unknown outputs from the unknown inputs.
 */
export function partialEvalFlat(
  f: (...xs: Tracer[]) => readonly unknown[],
  pvalsIn: readonly PartialVal[],
  /** Outputs to force into the Program even when known (as constants). */
  instantiate: (i: number) => boolean = () => false,
): { program: Program; consts: (Tracer | Scalar)[]; pvalsOut: PartialVal[] } {
  using main = newMain(PartialEvalTrace, null);
  const trace = new PartialEvalTrace(main);
  const ins = pvalsIn.map((p) => trace.newArg(p));
  const outs = f(...ins).map((o) => {
    if (o instanceof PartialEvalTracer && o.trace.main === main) return o;
    return (o instanceof Tracer ? trace.lift(o) : trace.pure(o as Scalar)) as PartialEvalTracer;
  }).map((o, i) => (instantiate(i) ? trace.instantiateConst(o) : o));
  const unknownIns = ins.filter((t) => "unknown" in t.pval);
  const unknownOuts = outs.filter((t) => "unknown" in t.pval);
  const { program, consts } = tracersToProgram(unknownIns, unknownOuts);
  return { program, consts, pvalsOut: outs.map((o) => o.pval) };
}

/** Builds a Program from recipes, walking back from the outputs (topological order). */
function tracersToProgram(
  ins: readonly PartialEvalTracer[],
  outs: readonly PartialEvalTracer[],
): { program: Program; consts: (Tracer | Scalar)[] } {
  const vars = new Map<PartialEvalTracer, Var>();
  const varOf = (t: PartialEvalTracer) => {
    let v = vars.get(t);
    if (!v) vars.set(t, (v = new Var(t.aval)));
    return v;
  };
  const constVars: Var[] = [];
  const consts: (Tracer | Scalar)[] = [];
  const lits = new Map<PartialEvalTracer, Lit>();
  const eqns: Eqn[] = [];
  const done = new Set<EqnRecipe>();
  const seen = new Set<PartialEvalTracer>();
  ins.forEach(varOf);

  // Iterative DFS (post-order), so long chains do not overflow the stack.
  const visit = (root: PartialEvalTracer) => {
    const stack: [PartialEvalTracer, boolean][] = [[root, false]];
    while (stack.length) {
      const [t, expanded] = stack.pop()!;
      const r = t.recipe;
      if (!r || r.kind === "input") continue;
      if (r.kind === "const") {
        if (seen.has(t)) continue;
        seen.add(t);
        const val = r.value;
        if (!(val instanceof Tracer)) lits.set(t, new Lit(val instanceof TypedScalar ? val.value : Number(val), t.aval));
        else {
          constVars.push(varOf(t));
          consts.push(val);
        }
        continue;
      }
      const e = r.eqn;
      if (done.has(e)) continue;
      if (expanded) {
        done.add(e);
        eqns.push({
          prim: e.prim,
          inputs: e.inputs.map((i): Atom => lits.get(i) ?? varOf(i)),
          params: e.params as never,
          outs: e.outs.map(varOf),
        });
        continue;
      }
      stack.push([t, true]);
      for (const i of e.inputs) stack.push([i, false]);
    }
  };
  outs.forEach(visit);
  const program: Program = {
    constVars,
    inVars: ins.map(varOf),
    eqns,
    outs: outs.map((o): Atom => lits.get(o) ?? varOf(o)),
  };
  return { program, consts };
}
