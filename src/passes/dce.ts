/**
 * @file Dead-code elimination: drops equations none of whose outputs are used. Every Kiln
 * primitive is pure, so liveness is the only criterion (JAX's `dce_jaxpr` with the default rule).
 * Sub-programs of higher-order primitives are cleaned too, keeping their interfaces.
 */
import { type Eqn, type Program, type Var, isHigherOrder } from "../ir/index.js";
import { mapSubPrograms } from "./sub-programs.js";

/**
 * Removes dead equations.
 *
 * @example dce(makeJaxprRaw(f)(x).program)
 */
export function dce(p: Program): Program {
  const live = new Set<Var>();
  for (const o of p.outs) if (o.kind === "var") live.add(o);
  const kept: Eqn[] = [];
  for (let i = p.eqns.length - 1; i >= 0; i--) {
    const e = p.eqns[i];
    if (!e.outs.some((v) => live.has(v))) continue;
    for (const a of e.inputs) if (a.kind === "var") live.add(a);
    kept.push(isHigherOrder(e.prim) ? mapSubPrograms(e, dce) : e);
  }
  kept.reverse();
  return kept.length === p.eqns.length && kept.every((e, i) => e === p.eqns[i]) ? p : { ...p, eqns: kept };
}
