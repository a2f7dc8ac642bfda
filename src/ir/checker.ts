/**
 * @file Type-checks a Program: single assignment, defined-before-use, and every equation's
 * output avals equal to what abstract evaluation says.
 */
import { abstractEval } from "./shape-rules.js";
import type { Atom, Program, Var } from "./program.js";
import { printProgram } from "./printer.js";

/** A Program that breaks an IR invariant; always a Kiln bug or a hand-built bad Program. */
export class ProgramTypeError extends TypeError {
  override name = "ProgramTypeError";
}

/**
 * Checks `p`, throwing a ProgramTypeError that shows the program on failure.
 *
 * @example typecheckProgram(makeJaxpr(f)(x).program) // throws if a pass broke the program
 */
export function typecheckProgram(p: Program): void {
  const env = new Set<Var>();
  const fail = (msg: string): never => {
    throw new ProgramTypeError(`${msg}\nin program:\n${printProgram(p)}`);
  };
  const define = (v: Var) => {
    if (env.has(v)) fail(`variable assigned twice (${v.aval.str()})`);
    env.add(v);
  };
  const use = (a: Atom) => {
    if (a.kind === "var" && !env.has(a)) fail(`variable used before assignment (${a.aval.str()})`);
  };
  p.constVars.forEach(define);
  p.inVars.forEach(define);
  for (const e of p.eqns) {
    e.inputs.forEach(use);
    const want = abstractEval(e.prim, e.inputs.map((a) => a.aval), e.params);
    if (want.length !== e.outs.length || want.some((a, i) => !a.equals(e.outs[i].aval))) {
      fail(
        `equation ${e.prim} declares outputs ${e.outs.map((v) => v.aval.str()).join(", ")} but ` +
          `abstract evaluation gives ${want.map((a) => a.str()).join(", ")}`,
      );
    }
    e.outs.forEach(define);
  }
  p.outs.forEach(use);
}
