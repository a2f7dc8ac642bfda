/**
 * @file JVP rules of the higher-order primitives. Each differentiates its sub-programs (the JVP
 * of a program is staged as a new program) and binds the same primitive on primals and tangents,
 * so loops stay loops and calls stay calls. Tangents of float loop carries are always
 * instantiated, which keeps the carry's type fixed across iterations.
 */
import { type HigherOrderPrim, Prim, type Program, Var, isFloat } from "../ir/index.js";
import { type Tracer, bind } from "../trace/core.js";
import { evalProgram } from "../trace/eval-program.js";
import { type HoistedProgram, joinHoisted, traceFlat } from "../trace/jaxpr-trace.js";
import { jvpFlat } from "./jvp.js";
import type { JvpRule } from "./jvp-rules.js";
import { type Tangent, Zero, instantiate, isZero, tangentAval } from "./zero.js";

/**
 * The JVP of `program` as a program with inputs [...primals, ...tangents of `withTangent`]
 * and outputs [...primal outs, ...tangents of the float outs].
 */
export function jvpProgram(program: Program, withTangent: readonly boolean[]): HoistedProgram {
  const inAvals = program.inVars.map((v) => v.aval);
  const tanAvals = inAvals.filter((_, i) => withTangent[i]).map(tangentAval);
  return traceFlat((...xs) => {
    const primals = xs.slice(0, inAvals.length);
    let k = inAvals.length;
    const tangents = inAvals.map((a, i): Tangent => (withTangent[i] ? xs[k++] : Zero.like(a)));
    const [po, to] = jvpFlat((...ps) => evalProgram(program, ps), primals, tangents);
    const floatOuts = to.filter((_, i) => isFloat(po[i].dtype)).map(instantiate);
    return [...po, ...floatOuts];
  }, [...inAvals, ...tanAvals]);
}

const hasFloat = (x: Tracer) => isFloat(x.dtype);

/** Splits outputs [...primals, ...float tangents] back into per-output tangents. */
function splitOuts(outs: readonly Tracer[], nPrimal: number): [Tracer[], Tangent[]] {
  const primals = outs.slice(0, nPrimal);
  let k = nPrimal;
  const tangents = primals.map((p): Tangent => (hasFloat(p) ? outs[k++] : Zero.like(p)));
  return [primals, tangents];
}

const pjitJvp: JvpRule<Prim.Pjit> = (primals, tangents, { program, name }) => {
  const withT = primals.map((p, i) => hasFloat(p) && !isZero(tangents[i]));
  const j = jvpProgram(program, withT);
  const ts = tangents.filter((_, i) => withT[i]) as Tracer[];
  const outs = bind(Prim.Pjit, [...j.consts, ...primals, ...ts], { program: j.program, name: `jvp(${name})` });
  return splitOuts(outs, program.outs.length);
};

const condJvp: JvpRule<Prim.Cond> = ([index, ...ops], [, ...tangents], { branches }) => {
  const withT = ops.map((o, i) => hasFloat(o) && !isZero(tangents[i]));
  const jvps = branches.map((b) => jvpProgram(b, withT));
  const { programs, consts } = joinHoisted(jvps);
  const ts = tangents.filter((_, i) => withT[i]) as Tracer[];
  const outs = bind(Prim.Cond, [index, ...consts, ...ops, ...ts], { branches: programs });
  return splitOuts(outs, branches[0].outs.length);
};

/** Adds unused inputs (for `extra`'s avals) at position `at`. */
const withIgnoredInputs = (p: Program, extra: readonly Tracer[], at: number): Program => ({
  ...p,
  inVars: [...p.inVars.slice(0, at), ...extra.map((e) => new Var(e.aval)), ...p.inVars.slice(at)],
});

const whileJvp: JvpRule<Prim.While> = (args, tangents, params) => {
  const { condProgram, bodyProgram, condNconsts, bodyNconsts } = params;
  const cc = args.slice(0, condNconsts);
  const bc = args.slice(condNconsts, condNconsts + bodyNconsts);
  const carry = args.slice(condNconsts + bodyNconsts);
  const bcT = tangents.slice(condNconsts, condNconsts + bodyNconsts);
  const carryT = tangents.slice(condNconsts + bodyNconsts);
  const constWith = bc.map((c, i) => hasFloat(c) && !isZero(bcT[i]));
  const carryWith = carry.map(hasFloat);
  // Body inputs: [consts, carry]; its JVP wants tangents in that order, then we regroup.
  const j = jvpProgram(bodyProgram, [...constWith, ...carryWith]);
  const nc = bc.length;
  const nk = carry.length;
  const nct = constWith.filter(Boolean).length;
  const p = j.program;
  // jvp program inputs: [hoisted, consts, carry, constTangents, carryTangents]; the loop needs
  // [hoisted, consts, constTangents] as constants and [carry, carryTangents] as the carry.
  const h = j.consts.length;
  const ins = p.inVars;
  const reordered: Program = {
    ...p,
    inVars: [
      ...ins.slice(0, h + nc),
      ...ins.slice(h + nc + nk, h + nc + nk + nct),
      ...ins.slice(h + nc, h + nc + nk),
      ...ins.slice(h + nc + nk + nct),
    ],
  };
  const carryTs = carry
    .map((c, i) => (carryWith[i] ? instantiate(isZero(carryT[i]) ? Zero.like(c) : carryT[i]) : null))
    .filter((t): t is Tracer => t !== null);
  const condWithTangents = withIgnoredInputs(condProgram, carryTs, condProgram.inVars.length);
  const newCarry = [...carry, ...carryTs];
  const outs = bind(Prim.While, [...cc, ...j.consts, ...bc, ...(bcT.filter((_, i) => constWith[i]) as Tracer[]), ...newCarry], {
    condProgram: condWithTangents,
    bodyProgram: reordered,
    condNconsts,
    bodyNconsts: h + nc + nct,
  });
  return splitOuts(outs, carry.length);
};

const scanJvp: JvpRule<Prim.Scan> = (args, tangents, params) => {
  const { program, numConsts, numCarry, length, reverse } = params;
  const consts = args.slice(0, numConsts);
  const carry = args.slice(numConsts, numConsts + numCarry);
  const xs = args.slice(numConsts + numCarry);
  const cT = tangents.slice(0, numConsts);
  const kT = tangents.slice(numConsts, numConsts + numCarry);
  const xT = tangents.slice(numConsts + numCarry);
  const constWith = consts.map((c, i) => hasFloat(c) && !isZero(cT[i]));
  const carryWith = carry.map(hasFloat);
  const xsWith = xs.map((x, i) => hasFloat(x) && !isZero(xT[i]));
  const j = jvpProgram(program, [...constWith, ...carryWith, ...xsWith]);
  const h = j.consts.length;
  const [nc, nk, nx] = [consts.length, carry.length, xs.length];
  const [tc, tk, tx] = [constWith, carryWith, xsWith].map((w) => w.filter(Boolean).length);
  const ins = j.program.inVars;
  const at = (from: number, n: number) => ins.slice(from, from + n);
  const base = h + nc + nk + nx;
  // jvp inputs: [hoisted, consts, carry, xs, constT, carryT, xsT] -> scan groups
  // consts: [hoisted, consts, constT]; carry: [carry, carryT]; xs: [xs, xsT].
  const reordered: Program = {
    ...j.program,
    inVars: [
      ...at(0, h + nc), ...at(base, tc),
      ...at(h + nc, nk), ...at(base + tc, tk),
      ...at(h + nc + nk, nx), ...at(base + tc + tk, tx),
    ],
    // outputs: [carry, ys, carryT, ysT(float)] -> [carry, carryT, ys, ysT]
    outs: reorderScanOuts(j.program, program, numCarry),
  };
  const pick = (vals: readonly Tangent[], w: readonly boolean[], prim: readonly Tracer[]) =>
    vals.map((t, i) => (w[i] ? instantiate(isZero(t) ? Zero.like(prim[i]) : t) : null)).filter((t): t is Tracer => t !== null);
  const outs = bind(
    Prim.Scan,
    [...j.consts, ...consts, ...pick(cT, constWith, consts), ...carry, ...pick(kT, carryWith, carry), ...xs, ...pick(xT, xsWith, xs)],
    { program: reordered, numConsts: h + nc + tc, numCarry: nk + tk, length, reverse },
  );
  // outs: [carry, carryT, ys, ysT]
  const carryOut = outs.slice(0, nk);
  const carryTOut = outs.slice(nk, nk + tk);
  const ysAll = outs.slice(nk + tk);
  const nys = program.outs.length - numCarry;
  const ys = ysAll.slice(0, nys);
  const ysT = ysAll.slice(nys);
  let a = 0;
  let b = 0;
  const carryTangents = carryOut.map((c, i): Tangent => (carryWith[i] ? carryTOut[a++] : Zero.like(c)));
  const ysTangents = ys.map((y): Tangent => (hasFloat(y) ? ysT[b++] : Zero.like(y)));
  return [[...carryOut, ...ys], [...carryTangents, ...ysTangents]];
};

function reorderScanOuts(jvp: Program, body: Program, numCarry: number): Program["outs"] {
  const nOut = body.outs.length;
  const primal = jvp.outs.slice(0, nOut);
  const tans = jvp.outs.slice(nOut);
  const floatOut = body.outs.map((o) => isFloat(o.aval.dtype));
  const carryTanCount = floatOut.slice(0, numCarry).filter(Boolean).length;
  return [
    ...primal.slice(0, numCarry),
    ...tans.slice(0, carryTanCount),
    ...primal.slice(numCarry),
    ...tans.slice(carryTanCount),
  ];
}

/** Closed-over values cannot carry tangents into a user rule: it only sees the arguments. */
function checkConstTangents(name: string, what: string, tangents: readonly Tangent[], nc: number): void {
  if (tangents.slice(0, nc).some((t) => !isZero(t))) {
    throw new Error(
      `${what}(${name}): the function closes over a value that is being differentiated, which its rule ` +
        `cannot see. Pass that value to the function as an argument instead.`,
    );
  }
}

const argTangents = (args: readonly Tracer[], ts: readonly Tangent[]) =>
  ts.map((t, i) => instantiate(isZero(t) ? Zero.like(args[i]) : t));

// The user's rule computes the output tangents from the arguments' primals and tangents.
const customJvpJvp: JvpRule<Prim.CustomJvpCall> = (primals, tangents, { jvp, numConsts, name }) => {
  checkConstTangents(name, "customJvp", tangents, numConsts);
  const args = primals.slice(numConsts);
  const [po, to] = jvp(args, argTangents(args, tangents.slice(numConsts))) as [Tracer[], Tracer[]];
  return [po, to];
};

// Forward pass now; the tangent map is custom_lin, whose transpose is the user's backward pass.
const customVjpJvp: JvpRule<Prim.CustomVjpCall> = (primals, tangents, { fwd, bwd, numConsts, name }) => {
  checkConstTangents(name, "customVjp", tangents, numConsts);
  const args = primals.slice(numConsts);
  const [outs, res] = fwd(args) as [Tracer[], Tracer[]];
  const touts = bind(Prim.CustomLin, [...res, ...argTangents(args, tangents.slice(numConsts))], {
    bwd,
    numResiduals: res.length,
    outAvals: outs.map((o) => tangentAval(o.aval)),
    name,
  });
  return [outs, touts];
};

const customLinJvp: JvpRule<Prim.CustomLin> = (_p, _t, { name }) => {
  throw new Error(`Higher-order forward-mode differentiation of the customVjp function '${name}' is not supported.`);
};

const rematJvp: JvpRule<Prim.Remat> = (primals, tangents, { program, name }) => {
  const withT = primals.map((p, i) => hasFloat(p) && !isZero(tangents[i]));
  const j = jvpProgram(program, withT);
  const ts = tangents.filter((_, i) => withT[i]) as Tracer[];
  const outs = bind(Prim.Remat, [...j.consts, ...primals, ...ts], { program: j.program, name });
  return splitOuts(outs, program.outs.length);
};

export const controlJvpRules: { [P in HigherOrderPrim]: JvpRule<P> } = {
  [Prim.Pjit]: pjitJvp,
  [Prim.CustomJvpCall]: customJvpJvp,
  [Prim.CustomVjpCall]: customVjpJvp,
  [Prim.CustomLin]: customLinJvp,
  [Prim.Remat]: rematJvp,
  [Prim.Cond]: condJvp,
  [Prim.While]: whileJvp,
  [Prim.Scan]: scanJvp,
};

