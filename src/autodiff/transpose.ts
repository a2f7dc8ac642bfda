/**
 * @file Transposition of linear programs (Autodidax part 4, `backward_pass`): given cotangents of
 * the outputs, accumulate cotangents of the linear inputs by running the equations backwards
 * through `transposeRules`. Equations whose inputs are all known are evaluated forward first.
 */
import { type Atom, type Program, ShapedArray, type Var } from "../ir/index.js";
import { type Scalar, Tracer, bind } from "../trace/core.js";
import { transposeRules } from "./transpose-rules.js";
import { controlTransposeRules } from "./transpose-rules-control.js";
import { type Tangent, Zero, addTangents, isZero } from "./zero.js";

/** Marks an input of a linear primitive whose cotangent the transpose rule must produce. */
export class UndefPrimal {
  readonly isUndefPrimal = true;
  constructor(readonly aval: ShapedArray) {}
}

export const isUndef = (x: unknown): x is UndefPrimal => x instanceof UndefPrimal;

/** A primal value during transposition: known, or the undefined linear input. */
export type PrimalOrUndef = Tracer | Scalar | UndefPrimal;

/**
 * Runs `program` backwards. `args` holds one value per constVar then inVar: known values, or
 * UndefPrimal for the linear inputs. Returns the cotangents of the UndefPrimal inputs, in order.
 */
export function backwardPass(program: Program, args: readonly PrimalOrUndef[], cts: readonly Tangent[]): Tangent[] {
  const primal = new Map<Var, PrimalOrUndef>();
  const binders = [...program.constVars, ...program.inVars];
  binders.forEach((v, i) => primal.set(v, args[i]));
  const read = (a: Atom): PrimalOrUndef => (a.kind === "lit" ? a.value : primal.get(a)!);

  // Forward: evaluate non-linear equations (all inputs known); mark the rest linear.
  const linear = [];
  for (const e of program.eqns) {
    const ins = e.inputs.map(read);
    if (ins.some(isUndef)) {
      e.outs.forEach((v) => primal.set(v, new UndefPrimal(v.aval)));
      linear.push(e);
    } else {
      const outs = bind(e.prim, ins as (Tracer | Scalar)[], e.params);
      e.outs.forEach((v, i) => primal.set(v, outs[i]));
    }
  }

  const ctEnv = new Map<Var, Tangent>();
  const addCt = (a: Atom, ct: Tangent | null) => {
    if (a.kind === "lit" || ct === null || isZero(ct)) return;
    const prev = ctEnv.get(a);
    ctEnv.set(a, prev ? addTangents(prev, ct) : ct);
  };
  const readCt = (v: Var): Tangent => ctEnv.get(v) ?? new Zero(v.aval);
  program.outs.forEach((o, i) => addCt(o, cts[i]));

  for (let k = linear.length - 1; k >= 0; k--) {
    const e = linear[k];
    const ctsOut = e.outs.map(readCt);
    if (ctsOut.every(isZero)) continue;
    const rule = (transposeRules[e.prim] ?? controlTransposeRules[e.prim as keyof typeof controlTransposeRules]) as
      | TransposeRuleAny
      | undefined;
    if (!rule) {
      throw new Error(
        `Reverse-mode differentiation is not implemented for primitive '${e.prim}': it has no transpose ` +
          `rule. Use forward mode (jvp, jacfwd) for this function, or report the missing rule.`,
      );
    }
    const ctsIn = rule(ctsOut, e.inputs.map(read), e.params);
    e.inputs.forEach((a, i) => {
      if (isUndef(read(a))) addCt(a, ctsIn[i]);
    });
  }
  return binders.filter((_, i) => isUndef(args[i])).map(readCt);
}

type TransposeRuleAny = (cts: readonly Tangent[], inputs: readonly PrimalOrUndef[], params: unknown) => (Tangent | null)[];
