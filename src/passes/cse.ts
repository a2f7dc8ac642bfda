/**
 * @file Common-subexpression elimination: two equations with the same primitive, params and
 * inputs compute the same values (all primitives are pure), so the second is replaced by the
 * first's outputs.
 */
import { type Atom, type Eqn, type Program, type Var, isHigherOrder } from "../ir/index.js";
import { mapSubPrograms } from "./sub-programs.js";
import { resolve, substitute } from "./substitute.js";

/** Stable text for params; sub-programs compare by identity. */
function paramsKey(params: unknown, ids: Map<object, number>): string {
  return JSON.stringify(params, (_k, v) => {
    if (typeof v === "function" || (v && typeof v === "object" && "eqns" in v && "inVars" in v)) {
      if (!ids.has(v)) ids.set(v, ids.size);
      return `#program${ids.get(v)}`;
    }
    return typeof v === "number" && !Number.isFinite(v) ? String(v) : v;
  });
}

/**
 * Merges duplicate equations.
 *
 * @example cse(program) // `sin a` computed twice becomes once
 */
export function cse(p: Program): Program {
  const varIds = new Map<Var, number>();
  const idOf = (a: Atom) => {
    if (a.kind === "lit") return `lit:${a.value}:${a.aval.str()}${a.aval.weakType ? "w" : ""}`;
    if (!varIds.has(a)) varIds.set(a, varIds.size);
    return `v${varIds.get(a)}`;
  };
  const progIds = new Map<object, number>();
  const seen = new Map<string, readonly Var[]>();
  const replace = new Map<Var, Atom>();
  const eqns: Eqn[] = [];
  for (const e0 of p.eqns) {
    const e1 = substitute(e0, replace);
    const e = isHigherOrder(e1.prim) ? mapSubPrograms(e1, cse) : e1;
    const key = `${e.prim}|${paramsKey(e.params, progIds)}|${e.inputs.map(idOf).join(",")}`;
    const prev = seen.get(key);
    if (prev) {
      e.outs.forEach((v, i) => replace.set(v, prev[i]));
      continue;
    }
    seen.set(key, e.outs);
    eqns.push(e);
  }
  if (replace.size === 0 && eqns.every((e, i) => e === p.eqns[i])) return p;
  return { ...p, eqns, outs: p.outs.map((o) => resolve(o, replace)) };
}
