/**
 * @file Applying a pass to the sub-programs held in a higher-order equation's params.
 */
import { type Eqn, Prim, type PrimParams, type Program } from "../ir/index.js";

/** Returns `e` with `f` applied to each sub-program (the same object when nothing changed). */
export function mapSubPrograms(e: Eqn, f: (p: Program) => Program): Eqn {
  switch (e.prim) {
    case Prim.Pjit:
    case Prim.Scan:
    case Prim.Remat:
    case Prim.CustomJvpCall:
    case Prim.CustomVjpCall: {
      const params = e.params as PrimParams[Prim.Pjit] | PrimParams[Prim.Scan];
      const program = f(params.program);
      return program === params.program ? e : { ...e, params: { ...params, program } as never };
    }
    case Prim.Cond: {
      const params = e.params as PrimParams[Prim.Cond];
      const branches = params.branches.map(f);
      return branches.every((b, i) => b === params.branches[i]) ? e : { ...e, params: { branches } as never };
    }
    case Prim.While: {
      const params = e.params as PrimParams[Prim.While];
      const condProgram = f(params.condProgram);
      const bodyProgram = f(params.bodyProgram);
      return condProgram === params.condProgram && bodyProgram === params.bodyProgram
        ? e
        : { ...e, params: { ...params, condProgram, bodyProgram } as never };
    }
    default:
      return e;
  }
}
