/**
 * @file The Program: Kiln's jaxpr, a typed single-assignment IR.
 *
 * A Program binds input variables (and constant variables, whose values live beside it in a
 * ClosedProgram), lists equations in order, and names its outputs. Values are immutable and every
 * variable is assigned exactly once, so passes are plain functions Program -> Program.
 */
import type { ShapedArray } from "./aval.js";
import type { Prim, PrimParams } from "./primitives.js";

/** A variable; identity is the object itself, names are given only when printing. */
export class Var {
  readonly kind = "var";
  constructor(readonly aval: ShapedArray) {}
}

/** A scalar literal inlined into an equation. */
export class Lit {
  readonly kind = "lit";
  constructor(
    readonly value: number,
    readonly aval: ShapedArray,
  ) {}
}

export type Atom = Var | Lit;

/** One equation: `outs = prim[params] inputs`. */
export interface Eqn<P extends Prim = Prim> {
  readonly prim: P;
  readonly inputs: readonly Atom[];
  readonly params: PrimParams[P];
  readonly outs: readonly Var[];
}

/** A typed SSA program. */
export interface Program {
  readonly constVars: readonly Var[];
  readonly inVars: readonly Var[];
  readonly eqns: readonly Eqn[];
  readonly outs: readonly Atom[];
}

/** A Program together with the values of its constant variables. */
export interface ClosedProgram<C = unknown> {
  readonly program: Program;
  readonly consts: readonly C[];
}

/** Builds an equation with a precise params type. */
export const eqn = <P extends Prim>(
  prim: P,
  inputs: readonly Atom[],
  params: PrimParams[P],
  outs: readonly Var[],
): Eqn<P> => ({ prim, inputs, params, outs });

/** Input avals of a program (constants first, as the executor binds them). */
export const inAvals = (p: Program): ShapedArray[] => p.inVars.map((v) => v.aval);
export const outAvals = (p: Program): ShapedArray[] => p.outs.map((v) => v.aval);
