/**
 * @file Variable substitution in equations, shared by the rewriting passes.
 */
import type { Atom, Eqn, Var } from "../ir/index.js";

/** Follows replacement chains (a -> b -> c) to the final atom. */
export function resolve(a: Atom, replace: ReadonlyMap<Var, Atom>): Atom {
  let cur = a;
  while (cur.kind === "var" && replace.has(cur)) cur = replace.get(cur)!;
  return cur;
}

/** `e` with its inputs replaced (the same object when nothing changes). */
export function substitute(e: Eqn, replace: ReadonlyMap<Var, Atom>): Eqn {
  if (replace.size === 0) return e;
  const inputs = e.inputs.map((a) => resolve(a, replace));
  return inputs.every((a, i) => a === e.inputs[i]) ? e : { ...e, inputs };
}
