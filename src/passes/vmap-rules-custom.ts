/**
 * @file Batching rules of checkpoint and the custom-derivative primitives. The held program is
 * batched like a jit call's, and the user's rules are wrapped so they run under the same vmap:
 * every output of a batched custom call is batched at axis 0, which keeps the program and the
 * rules in agreement whatever the rules do.
 */
import { Prim, type PrimParams } from "../ir/index.js";
import { Tracer, bind } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";
import { type BatchDim, type BatchRule, batchSize, bdimTo, moveaxis } from "./vmap-rules-common.js";
import { vmapProgram } from "./vmap-rules-control.js";
import { vmapFlat } from "./vmap.js";

const fronted = (vals: readonly Tracer[], dims: readonly BatchDim[]): Tracer[] =>
  vals.map((v, i) => (dims[i] === null ? v : moveaxis(v, dims[i]!, 0)));
const isB = (dims: readonly BatchDim[]) => dims.map((d) => d !== null);

/** The batch dim of a value given its example rank: leading axis when it has one extra. */
const dimByRank = (x: unknown, exampleRank: number): BatchDim =>
  x instanceof Tracer && x.ndim === exampleRank + 1 ? 0 : null;

/** Runs a flat user rule under vmap and returns every output batched at axis 0. */
function runRule(
  rule: (...xs: Tracer[]) => Tracer[],
  size: number,
  xs: readonly Tracer[],
  dims: readonly BatchDim[],
): Tracer[] {
  const [outs, outDims] = vmapFlat((...ys) => rule(...ys), size, xs, dims);
  return outs.map((o, i) => bdimTo(o, outDims[i], 0, size));
}

const rematBatcher: BatchRule<Prim.Remat> = (vals, dims, { program, name }) => {
  const size = batchSize(vals, dims);
  const { hoisted, outBatched } = vmapProgram(program, size, isB(dims));
  const outs = bind(Prim.Remat, [...hoisted.consts, ...fronted(vals, dims)], { program: hoisted.program, name });
  return [outs, outBatched.map((b) => (b ? 0 : null))];
};

const customJvpBatcher: BatchRule<Prim.CustomJvpCall> = (vals, dims, { program, jvp, numConsts, name }) => {
  const size = batchSize(vals, dims);
  const all = program.outs.map(() => true);
  const { hoisted } = vmapProgram(program, size, isB(dims), all);
  const exampleRanks = program.inVars.slice(numConsts).map((v) => v.aval.ndim);
  const batchedJvp = (primals: readonly unknown[], tangents: readonly unknown[]): [unknown[], unknown[]] => {
    const n = primals.length;
    const xs = [...primals, ...tangents] as Tracer[];
    const ds = xs.map((x, i) => dimByRank(x, exampleRanks[i % n]));
    const outs = runRule(
      (...ys) => {
        const [po, to] = jvp(ys.slice(0, n), ys.slice(n)) as [Tracer[], Tracer[]];
        return [...po, ...to];
      },
      size,
      xs,
      ds,
    );
    return [outs.slice(0, outs.length / 2), outs.slice(outs.length / 2)];
  };
  const outs = bind(Prim.CustomJvpCall, [...hoisted.consts, ...fronted(vals, dims)], {
    program: hoisted.program,
    jvp: batchedJvp,
    numConsts: hoisted.consts.length + numConsts,
    name,
  });
  return [outs, outs.map(() => 0)];
};

const customVjpBatcher: BatchRule<Prim.CustomVjpCall> = (vals, dims, params) => {
  const { program, fwd, bwd, numConsts, name } = params as PrimParams[Prim.CustomVjpCall];
  const size = batchSize(vals, dims);
  const all = program.outs.map(() => true);
  const { hoisted } = vmapProgram(program, size, isB(dims), all);
  const argAvals = program.inVars.slice(numConsts).map((v) => v.aval);
  let numRes = 0;
  let resRanks: number[] = [];
  const batchedFwd = (primals: readonly unknown[]): [unknown[], unknown[]] => {
    const xs = primals as Tracer[];
    const outs = runRule(
      (...ys) => {
        const [o, r] = fwd(ys) as [Tracer[], Tracer[]];
        numRes = r.length;
        resRanks = r.map((t) => t.ndim);
        return [...o, ...r];
      },
      size,
      xs,
      xs.map((x, i) => dimByRank(x, argAvals[i].ndim)),
    );
    return [outs.slice(0, outs.length - numRes), outs.slice(outs.length - numRes)];
  };
  const outRanks = program.outs.map((o) => o.aval.ndim);
  const batchedBwd = (residuals: readonly unknown[], cts: readonly unknown[]): unknown[] => {
    const xs = [...residuals, ...cts] as Tracer[];
    const ds = xs.map((x, i) => dimByRank(x, i < residuals.length ? resRanks[i] : outRanks[i - residuals.length]));
    return runRule(
      (...ys) =>
        (bwd(ys.slice(0, residuals.length), ys.slice(residuals.length)) as (Tracer | null)[]).map((g, i) =>
          g ?? lax.broadcastInDim(lax.convertElementType(0, "float32"), argAvals[i].shape, []),
        ),
      size,
      xs,
      ds,
    );
  };
  const outs = bind(Prim.CustomVjpCall, [...hoisted.consts, ...fronted(vals, dims)], {
    program: hoisted.program,
    fwd: batchedFwd,
    bwd: batchedBwd,
    numConsts: hoisted.consts.length + numConsts,
    name,
  });
  return [outs, outs.map(() => 0)];
};

const customLinBatcher: BatchRule<Prim.CustomLin> = (_v, _d, { name }) => {
  throw new Error(
    `vmap of the linearized customVjp function '${name}' is not supported; apply vmap outside the ` +
      `differentiation (vmap(grad(f))) instead.`,
  );
};

export const customVmapRules: { [P in Prim.Remat | Prim.CustomJvpCall | Prim.CustomVjpCall | Prim.CustomLin]: BatchRule<P> } = {
  [Prim.Remat]: rematBatcher,
  [Prim.CustomJvpCall]: customJvpBatcher,
  [Prim.CustomVjpCall]: customVjpBatcher,
  [Prim.CustomLin]: customLinBatcher,
};

