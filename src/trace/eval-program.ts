/**
 * @file Interprets a Program by binding each equation in the current trace (Autodidax's
 * `eval_jaxpr`). On concrete arrays this is eager execution; inside a transformation it re-traces
 * the program. Intermediates that are concrete arrays are disposed after their last use.
 */
import { type Atom, type DType, Prim, type Program, type Var } from "../ir/index.js";
import { type ArrayLike, type BindArg, Tracer, TypedScalar, bind, bind1, isEagerContext } from "./core.js";

/** A literal as a typed scalar in the current trace (folds back to a literal when staged). */
export const literal = (value: number, dtype: DType, weakType: boolean): Tracer =>
  bind1(Prim.ConvertElementType, [new TypedScalar(value, dtype, weakType)], { newDtype: dtype, weakType });

/**
 * Evaluates `program` on `args` (constants first, then inputs). Returns its outputs.
 *
 * @example evalProgram(makeJaxpr(f)(x).program, [...consts, x])
 */
export function evalProgram(program: Program, args: readonly BindArg[]): Tracer[] {
  const binders = [...program.constVars, ...program.inVars];
  if (args.length !== binders.length) {
    throw new Error(`internal: program expects ${binders.length} arguments, received ${args.length}`);
  }
  const env = new Map<Var, BindArg>();
  binders.forEach((v, i) => env.set(v, args[i]));
  // Remaining uses of each intermediate, so eager runs free buffers as soon as possible.
  const uses = new Map<Var, number>();
  const count = (a: Atom) => a.kind === "var" && uses.set(a, (uses.get(a) ?? 0) + 1);
  program.eqns.forEach((e) => e.inputs.forEach(count));
  program.outs.forEach(count);
  const owned = new Set<Var>();
  // Under a transformation, intermediates may be captured (e.g. as residuals): never free them.
  const eager = isEagerContext();
  for (const e of program.eqns) {
    const ins = e.inputs.map((a): BindArg => {
      if (a.kind === "var") return env.get(a)!;
      return new TypedScalar(a.value, a.aval.dtype, a.aval.weakType);
    });
    const outs = bind(e.prim, ins, e.params);
    e.outs.forEach((v, i) => {
      env.set(v, outs[i]);
      owned.add(v);
    });
    if (!eager) continue;
    for (const a of e.inputs) {
      if (a.kind !== "var" || !owned.has(a)) continue;
      const left = uses.get(a)! - 1;
      uses.set(a, left);
      if (left === 0) (env.get(a) as Tracer).dispose();
    }
    // Outputs nobody reads are dead on arrival.
    e.outs.forEach((v) => {
      if (!uses.has(v)) (env.get(v) as Tracer).dispose();
    });
  }
  const handedOut = new Set<Var>();
  return program.outs.map((o) => {
    if (o.kind === "lit") return literal(o.value, o.aval.dtype, o.aval.weakType);
    const v = env.get(o)!;
    if (!(v instanceof Tracer)) return literal(v instanceof TypedScalar ? v.value : Number(v), o.aval.dtype, o.aval.weakType);
    // Inputs and repeated outputs are shared: each returned Array must own its own reference.
    const shared = !owned.has(o) || handedOut.has(o);
    handedOut.add(o);
    return shared ? v.retain() : v;
  });
}
