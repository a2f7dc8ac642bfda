/**
 * @file Partial-evaluation rules of loops and conditionals. Each splits its sub-programs into
 * known and unknown parts and binds two primitives: the known one runs now and also returns the
 * residuals, the unknown one is staged and consumes them. This is what makes `grad` of a scan a
 * forward scan plus a reverse scan, instead of an unrolled loop.
 */
import { Prim, type PrimParams, type Program, Var } from "../ir/index.js";
import { type PureValue, type Scalar, type Tracer, bind } from "../trace/core.js";
import { evalProgram } from "../trace/eval-program.js";
import { joinHoisted, traceFlat } from "../trace/jaxpr-trace.js";
import * as lax from "../numpy/lax-core.js";
import type { PartialEvalTrace, PartialEvalTracer } from "./partial-eval.js";
import { partialEvalProgram, type SplitProgram } from "./partial-eval-program.js";

export type PartialEvalRule = (trace: PartialEvalTrace, ts: readonly PartialEvalTracer[], params: unknown) => Tracer[];

const isUnknown = (t: PartialEvalTracer) => "unknown" in t.pval;
const knownVal = (t: PartialEvalTracer) => (t.pval as { known: Tracer | PureValue }).known;

/** Reorders a program's inputs; `order[i]` is the index of the old input placed at i. */
const permuteInputs = (p: Program, order: readonly number[]): Program => ({ ...p, inVars: order.map((i) => p.inVars[i]) });

/**
 * scan: find which carries are unknown (a fixpoint: a carry is unknown if its initial value or the
 * body's new value is), then run the known scan now, stacking residuals as extra ys, and stage
 * the unknown scan with the residuals as extra xs.
 */
const scanRule: PartialEvalRule = (trace, ts, raw) => {
  const params = raw as PrimParams[Prim.Scan];
  const { program, numConsts: nc, numCarry: nk, length, reverse } = params;
  const nx = ts.length - nc - nk;
  const unknown = ts.map(isUnknown);
  const carryU = unknown.slice(nc, nc + nk);
  let split: SplitProgram;
  for (;;) {
    const ins = [...unknown.slice(0, nc), ...carryU, ...unknown.slice(nc + nk)];
    const inst = [...carryU, ...program.outs.slice(nk).map(() => false)];
    split = partialEvalProgram(program, ins, inst);
    const grown = split.outUnknown.slice(0, nk).map((u, i) => u && !carryU[i]);
    if (!grown.some(Boolean)) break;
    grown.forEach((g, i) => g && (carryU[i] = true));
  }
  const constsU = unknown.slice(0, nc);
  const xsU = unknown.slice(nc + nk);
  const pick = <T>(xs: readonly T[], mask: readonly boolean[], want: boolean) => xs.filter((_, i) => mask[i] === want);
  const consts = ts.slice(0, nc);
  const carry = ts.slice(nc, nc + nk);
  const xs = ts.slice(nc + nk);

  // Known scan: body inputs [hoisted, known consts, known carry, known xs] -> [carry, ys, residuals].
  const h = split.known.consts.length;
  const knownOuts = bind(
    Prim.Scan,
    [...split.known.consts, ...pick(consts, constsU, false).map(knownVal), ...pick(carry, carryU, false).map(knownVal), ...pick(xs, xsU, false).map(knownVal)],
    {
      program: split.known.program,
      numConsts: h + constsU.filter((u) => !u).length,
      numCarry: carryU.filter((u) => !u).length,
      length,
      reverse,
    },
  );
  const nKnownCarry = carryU.filter((u) => !u).length;
  const ysU = split.outUnknown.slice(nk);
  const nKnownYs = ysU.filter((u) => !u).length;
  const knownCarryOut = knownOuts.slice(0, nKnownCarry);
  const knownYs = knownOuts.slice(nKnownCarry, nKnownCarry + nKnownYs);
  const residuals = knownOuts.slice(nKnownCarry + nKnownYs);
  const nr = residuals.length;

  // Unknown scan: program inputs are [residuals, unknown consts, unknown carry, unknown xs];
  // scan wants [consts | carry | xs], with residuals among the xs.
  const nuc = constsU.filter(Boolean).length;
  const nuk = carryU.filter(Boolean).length;
  const nux = xsU.filter(Boolean).length;
  const order = [
    ...range(nr, nuc),
    ...range(nr + nuc, nuk),
    ...range(0, nr),
    ...range(nr + nuc + nuk, nux),
  ];
  const resTracers = residuals.map((r) => trace.instantiateConst(trace.lift(r) as PartialEvalTracer));
  const staged = trace.stage(
    Prim.Scan,
    [...pick(consts, constsU, true), ...carry.filter((_, i) => carryU[i]), ...resTracers, ...pick(xs, xsU, true)],
    { program: permuteInputs(split.unknown, order), numConsts: nuc, numCarry: nuk, length, reverse },
  );
  const unknownCarryOut = staged.slice(0, nuk);
  const unknownYs = staged.slice(nuk);
  const wrap = (v: Tracer) => trace.lift(v);
  let kc = 0;
  let uc = 0;
  let ky = 0;
  let uy = 0;
  void nx;
  return [
    ...carryU.map((u) => (u ? unknownCarryOut[uc++] : wrap(knownCarryOut[kc++]))),
    ...ysU.map((u) => (u ? unknownYs[uy++] : wrap(knownYs[ky++]))),
  ];
};

const range = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i);

/**
 * cond: split every branch with the same unknown operands (outputs unknown in any branch are
 * unknown in all); the known cond returns every branch's residual slots (zeros for the branches
 * not taken), and the staged cond takes all slots and the index.
 */
const condRule: PartialEvalRule = (trace, ts, raw) => {
  const { branches } = raw as PrimParams[Prim.Cond];
  const [index, ...ops] = ts;
  if (isUnknown(index)) return trace.stage(Prim.Cond, ts, raw as PrimParams[Prim.Cond]);
  const opsU = ops.map(isUnknown);
  let outU = branches[0].outs.map(() => false);
  let splits: SplitProgram[];
  for (;;) {
    splits = branches.map((b) => partialEvalProgram(b, opsU, outU));
    const next = outU.map((u, i) => u || splits.some((s) => s.outUnknown[i]));
    if (next.every((u, i) => u === outU[i])) break;
    outU = next;
  }
  const knownOps = ops.filter((_, i) => !opsU[i]).map(knownVal);
  const knownOpAvals = ops.filter((_, i) => !opsU[i]).map((t) => t.aval);
  const nKnownOut = outU.filter((u) => !u).length;
  const resAvals = splits.map((s) => s.residualAvals);
  // Each known branch returns [known outs, slot_0, ..., slot_n] with zeros in the other slots.
  const wrapped = splits.map((s, bi) =>
    traceFlat((...kv) => {
      const outs = evalProgram(s.known.program, [...s.known.consts, ...kv]);
      const slots = resAvals.flatMap((avals, j) =>
        j === bi ? outs.slice(nKnownOut) : avals.map((a) => lax.broadcastInDim(lax.convertElementType(0, a.dtype), a.shape, [])),
      );
      return [...outs.slice(0, nKnownOut), ...slots];
    }, knownOpAvals),
  );
  const joined = joinHoisted(wrapped);
  const knownOuts = bind(Prim.Cond, [knownVal(index), ...joined.consts, ...knownOps], { branches: joined.programs });
  const residuals = knownOuts.slice(nKnownOut);
  // Staged branches take [all slots, unknown ops]; branch i reads only its own slot.
  const unknownBranches = splits.map((s, bi): Program => {
    const before = resAvals.slice(0, bi).flat().map((a) => new Var(a));
    const after = resAvals.slice(bi + 1).flat().map((a) => new Var(a));
    const own = s.unknown.inVars.slice(0, s.residualAvals.length);
    const rest = s.unknown.inVars.slice(s.residualAvals.length);
    return { ...s.unknown, inVars: [...before, ...own, ...after, ...rest] };
  });
  const resTracers = residuals.map((r) => trace.instantiateConst(trace.lift(r) as PartialEvalTracer));
  const staged = trace.stage(Prim.Cond, [trace.instantiateConst(index), ...resTracers, ...ops.filter((_, i) => opsU[i])], {
    branches: unknownBranches,
  });
  let k = 0;
  let u = 0;
  return outU.map((isU) => (isU ? staged[u++] : trace.lift(knownOuts[k++])));
};

/**
 * whileLoop: the known carries are computed by a loop over the known part of the body (when the
 * condition depends only on known values); the unknown carries by staging the whole loop, which
 * recomputes the known part. Forward mode works through this; transposing the staged loop
 * raises the error that explains why reverse mode cannot.
 */
const whileRule: PartialEvalRule = (trace, ts, raw) => {
  const params = raw as PrimParams[Prim.While];
  const { condProgram, bodyProgram, condNconsts: ncc, bodyNconsts: nbc } = params;
  const unknown = ts.map(isUnknown);
  const ccU = unknown.slice(0, ncc);
  const bcU = unknown.slice(ncc, ncc + nbc);
  const carryU = unknown.slice(ncc + nbc);
  let body: SplitProgram;
  for (;;) {
    body = partialEvalProgram(bodyProgram, [...bcU, ...carryU], carryU);
    const grown = body.outUnknown.map((u, i) => u && !carryU[i]);
    if (!grown.some(Boolean)) break;
    grown.forEach((g, i) => g && (carryU[i] = true));
  }
  const cond = partialEvalProgram(condProgram, [...ccU, ...carryU], [false]);
  const stageAll = () => trace.stage(Prim.While, ts, params);
  if (cond.outUnknown[0] || carryU.every(Boolean)) return stageAll();
  const nKnown = carryU.filter((u) => !u).length;
  const trim = (p: Program, n: number): Program => ({ ...p, outs: p.outs.slice(0, n) });
  const knownTs = (xs: readonly PartialEvalTracer[], mask: readonly boolean[]) => xs.filter((_, i) => !mask[i]).map(knownVal);
  const known = bind(
    Prim.While,
    [
      ...cond.known.consts, ...knownTs(ts.slice(0, ncc), ccU),
      ...body.known.consts, ...knownTs(ts.slice(ncc, ncc + nbc), bcU),
      ...knownTs(ts.slice(ncc + nbc), carryU),
    ],
    {
      condProgram: trim(cond.known.program, 1),
      bodyProgram: trim(body.known.program, nKnown),
      condNconsts: cond.known.consts.length + ccU.filter((u) => !u).length,
      bodyNconsts: body.known.consts.length + bcU.filter((u) => !u).length,
    },
  );
  const staged = stageAll();
  let k = 0;
  return carryU.map((u, i) => (u ? staged[i] : trace.lift(known[k++])));
};

/**
 * checkpoint: the known outputs are computed now without keeping residuals; the unknown ones are
 * staged as a checkpoint of the whole program (taking the primal inputs, not intermediates), so
 * the backward pass recomputes what it needs.
 */
const rematRule: PartialEvalRule = (trace, ts, raw) => {
  const { program, name } = raw as PrimParams[Prim.Remat];
  const unknown = ts.map(isUnknown);
  const split = partialEvalProgram(program, unknown, program.outs.map(() => false));
  const nKnownOut = split.outUnknown.filter((u) => !u).length;
  const knownProgram = { ...split.known.program, outs: split.known.program.outs.slice(0, nKnownOut) };
  const knownOuts = evalProgram(knownProgram, [...split.known.consts, ...ts.filter((_, i) => !unknown[i]).map(knownVal)]);
  const unknownProgram = { ...program, outs: program.outs.filter((_, i) => split.outUnknown[i]) };
  const staged = trace.stage(Prim.Remat, ts, { program: unknownProgram, name });
  let k = 0;
  let u = 0;
  return split.outUnknown.map((isU) => (isU ? staged[u++] : trace.lift(knownOuts[k++])));
};

export const partialEvalRules: { [P in Prim.Scan | Prim.Cond | Prim.While | Prim.Remat]: PartialEvalRule } = {
  [Prim.Remat]: rematRule,
  [Prim.Scan]: scanRule,
  [Prim.Cond]: condRule,
  [Prim.While]: whileRule,
};
