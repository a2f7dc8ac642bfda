/**
 * @file Prints a Program the way JAX prints a jaxpr:
 * `{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }`.
 */
import type { Atom, Program, Var } from "./program.js";

/** Variable names in order: a..z, ba..bz, ... as JAX does. */
function nameOf(i: number): string {
  let s = "";
  let n = i;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
}

function formatLit(value: number, dtype: string): string {
  if (dtype === "bool") return value ? "True" : "False";
  if (dtype.startsWith("float")) {
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    return Number.isInteger(value) ? `${value}.0` : String(value);
  }
  return String(value);
}

/** Formats one param value: arrays as tuples, nested programs indented. */
function formatParam(v: unknown, indent: string, names: Namer): string {
  if (Array.isArray(v)) {
    const parts = v.map((x) => formatParam(x, indent, names));
    return `(${parts.join(", ")}${parts.length === 1 ? "," : ""})`;
  }
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "function") return `<fn ${v.name || "anonymous"}>`;
  if (typeof v === "object" && v !== null && "eqns" in v && "inVars" in v) {
    return printProgram(v as Program, indent + "  ", names.child());
  }
  if (typeof v === "object" && v !== null && "program" in v && "consts" in v) {
    return printProgram((v as { program: Program }).program, indent + "  ", names.child());
  }
  if (typeof v === "object") {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}=${formatParam(x, indent, names)}`)
      .join(", ")}}`;
  }
  return String(v);
}

class Namer {
  #names = new Map<Var, string>();
  #next = 0;
  child(): Namer {
    return new Namer();
  }
  name(v: Var): string {
    let n = this.#names.get(v);
    if (n === undefined) {
      n = nameOf(this.#next++);
      this.#names.set(v, n);
    }
    return n;
  }
  atom(a: Atom): string {
    return a.kind === "lit" ? formatLit(a.value, a.aval.dtype) : this.name(a);
  }
  binder(v: Var): string {
    return `${this.name(v)}:${v.aval.str()}`;
  }
}

const toSnake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Pretty-prints a Program.
 *
 * @example printProgram(makeJaxpr(np.sin)(x).program)
 *   // { lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }
 */
export function printProgram(p: Program, indent = "", names: Namer = new Namer()): string {
  const consts = p.constVars.map((v) => names.binder(v)).join(" ");
  const ins = p.inVars.map((v) => names.binder(v)).join(" ");
  const lines = p.eqns.map((e) => {
    const outs = e.outs.map((v) => names.binder(v)).join(" ");
    const entries = Object.entries(e.params as object);
    const params = entries.length
      ? `[${entries.map(([k, v]) => `${toSnake(k)}=${formatParam(v, indent + "    ", names)}`).join(" ")}]`
      : "";
    const args = e.inputs.map((a) => names.atom(a)).join(" ");
    return `${indent}    ${outs} = ${e.prim}${params}${args ? " " + args : ""}`;
  });
  const outs = p.outs.map((a) => names.atom(a));
  const outStr = `(${outs.join(", ")}${outs.length === 1 ? "," : ""})`;
  if (lines.length === 0) return `{ lambda ${consts}; ${ins}. let  in ${outStr} }`;
  return `{ lambda ${consts}; ${ins}. let\n${lines.join("\n")}\n${indent}  in ${outStr} }`;
}
