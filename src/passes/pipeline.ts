/**
 * @file The optimization pipeline a jitted Program goes through, as a named list of passes so
 * `KILN_DEBUG=2` can print the program after each stage.
 */
import { type Program, printProgram } from "../ir/index.js";
import { cse } from "./cse.js";
import { dce } from "./dce.js";
import { simplify } from "./simplify.js";

export interface Pass {
  readonly name: string;
  readonly run: (p: Program) => Program;
}

/** The default pipeline: simplify, merge duplicates, drop dead code. */
export const optimizePipeline: readonly Pass[] = [
  { name: "simplify", run: (p) => simplify(p) },
  { name: "cse", run: cse },
  { name: "simplify", run: (p) => simplify(p) },
  { name: "dce", run: dce },
];

const debugLevel = (): number => Number(globalThis.process?.env?.KILN_DEBUG ?? 0);

/**
 * Runs `passes` over `p` in order.
 *
 * @example optimize(program).eqns.length
 */
export function optimize(p: Program, passes: readonly Pass[] = optimizePipeline): Program {
  let cur = p;
  for (const pass of passes) {
    cur = pass.run(cur);
    if (debugLevel() >= 2) console.log(`[kiln] after ${pass.name}:\n${printProgram(cur)}`);
  }
  return cur;
}
