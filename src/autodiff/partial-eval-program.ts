/**
 * @file Partial evaluation of a whole Program (JAX's `partial_eval_jaxpr_nounits`): splits it into
 * a *known* program, computing the outputs that depend only on known inputs plus the residuals
 * the rest needs, and an *unknown* program computing the remaining outputs from residuals and
 * unknown inputs. Loops and conditionals use it to stay single primitives under reverse mode.
 */
import type { Program, ShapedArray } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import { evalProgram } from "../trace/eval-program.js";
import { type HoistedProgram, traceFlat } from "../trace/jaxpr-trace.js";
import { type PartialVal, partialEvalFlat } from "./partial-eval.js";

export interface SplitProgram {
  /** Inputs: [...known.consts, ...known inputs]; outputs: [...known outputs, ...residuals]. */
  readonly known: HoistedProgram;
  /** Inputs: [...residuals, ...unknown inputs]; outputs: the unknown outputs. */
  readonly unknown: Program;
  readonly outUnknown: readonly boolean[];
  readonly residualAvals: readonly ShapedArray[];
}

/**
 * Splits `program` given which inputs are unknown; outputs in `instantiate` are made unknown
 * even when they could be computed from known inputs (loops need a fixed carry split).
 */
export function partialEvalProgram(
  program: Program,
  unknownIns: readonly boolean[],
  instantiate: readonly boolean[],
): SplitProgram {
  const avals = program.inVars.map((v) => v.aval);
  let inner: ReturnType<typeof partialEvalFlat> | null = null;
  const known = traceFlat((...kv) => {
    let k = 0;
    const pvals: PartialVal[] = avals.map((a, i) => (unknownIns[i] ? { unknown: a } : { known: kv[k++] }));
    inner = partialEvalFlat((...xs) => evalProgram(program, xs), pvals, (i) => instantiate[i] ?? false);
    const knownOuts = inner.pvalsOut.filter((p) => "known" in p).map((p) => (p as { known: Tracer }).known);
    return [...knownOuts, ...inner.consts];
  }, avals.filter((_, i) => !unknownIns[i]));
  const r = inner!;
  const unknown: Program = {
    constVars: [],
    inVars: [...r.program.constVars, ...r.program.inVars],
    eqns: r.program.eqns,
    outs: r.program.outs,
  };
  return {
    known,
    unknown,
    outUnknown: r.pvalsOut.map((p) => "unknown" in p),
    residualAvals: r.program.constVars.map((v) => v.aval),
  };
}
