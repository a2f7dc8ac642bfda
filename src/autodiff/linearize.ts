/**
 * @file linearize: evaluates f and returns its linear tangent map as a staged Program, by
 * partially evaluating the JVP with known primals and unknown tangents (Autodidax part 4).
 */
import type { Program, ShapedArray } from "../ir/index.js";
import type { Scalar, Tracer } from "../trace/core.js";
import { jvpFlat } from "./jvp.js";
import { partialEvalFlat } from "./partial-eval.js";
import { Zero, instantiate, isZero, tangentAval } from "./zero.js";
import { toArray } from "../numpy/util.js";

/** The linear part of a function at a point: a Program from input tangents to output tangents. */
export interface Linearized {
  readonly primalsOut: Tracer[];
  readonly program: Program;
  readonly consts: (Tracer | Scalar)[];
  readonly tangentInAvals: ShapedArray[];
}

/** Flat linearize: `f` maps flat tracers to flat outputs. */
export function linearizeFlat(
  f: (...xs: Tracer[]) => readonly unknown[],
  primals: readonly Tracer[],
  /** How many trailing outputs of `f` are auxiliary: returned as primals, never differentiated. */
  auxCount: () => number = () => 0,
): Linearized {
  const n = primals.length;
  const tangentInAvals = primals.map((p) => tangentAval(p.aval));
  let nOut = 0;
  const fJvp = (...xs: Tracer[]) => {
    const [po, to] = jvpFlat(f, xs.slice(0, n), xs.slice(n));
    nOut = po.length;
    const differentiated = to.slice(0, to.length - auxCount());
    return [...po, ...differentiated.map((t) => (isZero(t) ? zerosOf(t.aval) : t))];
  };
  const pvals = [...primals.map((p) => ({ known: p })), ...tangentInAvals.map((a) => ({ unknown: a }))];
  const { program, consts, pvalsOut } = partialEvalFlat(fJvp, pvals, (i) => i >= nOut);
  const primalsOut = pvalsOut.slice(0, nOut).map((p) => {
    if (!("known" in p)) {
      throw new Error("internal: a primal output of linearize depends on tangents");
    }
    // A constant output (a JS number) becomes an Array so callers see one type.
    return p.known instanceof Object ? (p.known as Tracer) : toArray("linearize", p.known as number);
  });
  return { primalsOut, program, consts, tangentInAvals };
}

const zerosOf = (a: ShapedArray) => instantiate(new Zero(a));
