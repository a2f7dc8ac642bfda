/**
 * @file Batching rules of the higher-order primitives. Sub-programs are batched by re-tracing
 * them under vmap (batched inputs at axis 0) into new programs, so a batched loop stays one loop.
 *
 * - pjit: a call of the batched program.
 * - cond: an unbatched index picks among batched branches; a batched index runs every branch
 *   and selects per example (JAX's `_cond_batching_rule`).
 * - while: with an unbatched predicate, a loop of the batched body; with a batched one, the loop
 *   runs while any example is still going, and finished examples keep their carry (a select).
 * - scan: the body batched; xs and ys carry the batch at axis 1, behind the scanned axis.
 * Loop carries must have one type across iterations, so a carry the body makes batched is batched
 * from the start (a fixpoint over which carries are batched, as JAX does).
 */
import { Prim, type Program, ShapedArray } from "../ir/index.js";
import { type Tracer, bind } from "../trace/core.js";
import { evalProgram } from "../trace/eval-program.js";
import { type HoistedProgram, joinHoisted, traceFlat } from "../trace/jaxpr-trace.js";
import * as lax from "../numpy/lax-core.js";
import { type BatchDim, type BatchRule, batchSize, bdimTo, moveaxis, toFront } from "./vmap-rules-common.js";
import { vmapFlat } from "./vmap.js";

/** The aval of a value batched at axis 0, or the unbatched one. */
const batchedAval = (a: ShapedArray, batched: boolean, size: number): ShapedArray =>
  batched ? new ShapedArray([size, ...a.shape], a.dtype, a.weakType) : a;

const dimsOf = (bs: readonly boolean[]): BatchDim[] => bs.map((b) => (b ? 0 : null));

/** Runs `program` on values batched at 0 (`batched`) under vmap; outputs batched at 0 where `force` or batched. */
function runBatched(
  program: Program,
  xs: readonly Tracer[],
  batched: readonly boolean[],
  size: number,
  force: readonly boolean[] | null,
): [Tracer[], boolean[]] {
  const [outs, dims] = vmapFlat((...ys) => evalProgram(program, ys), size, xs, dimsOf(batched));
  const outB = dims.map((d, i) => d !== null || (force?.[i] ?? false));
  return [outs.map((o, i) => (outB[i] ? bdimTo(o, dims[i], 0, size) : o)), outB];
}

/**
 * Batches a closed program whose inputs marked `batched` carry a leading batch axis. Returns the
 * batched program (hoisted) and which outputs it returns batched (at axis 0); `force` asks for
 * outputs to be batched even where they do not depend on the batch.
 */
export function vmapProgram(
  program: Program,
  size: number,
  batched: readonly boolean[],
  force: readonly boolean[] | null = null,
): { hoisted: HoistedProgram; outBatched: boolean[] } {
  let outBatched: boolean[] = [];
  const avals = program.inVars.map((v, i) => batchedAval(v.aval, batched[i], size));
  const hoisted = traceFlat((...xs) => {
    const [outs, outB] = runBatched(program, xs, batched, size, force);
    outBatched = outB;
    return outs;
  }, avals);
  return { hoisted, outBatched };
}

/** Moves every batched value's batch axis to the front. */
const fronted = (vals: readonly Tracer[], dims: readonly BatchDim[]): Tracer[] =>
  vals.map((v, i) => (dims[i] === null ? v : moveaxis(v, dims[i]!, 0)));

const isB = (dims: readonly BatchDim[]) => dims.map((d) => d !== null);

const pjitBatcher: BatchRule<Prim.Pjit> = (vals, dims, { program, name }) => {
  const size = batchSize(vals, dims);
  const { hoisted, outBatched } = vmapProgram(program, size, isB(dims));
  const outs = bind(Prim.Pjit, [...hoisted.consts, ...fronted(vals, dims)], { program: hoisted.program, name: `vmap(${name})` });
  return [outs, dimsOf(outBatched)];
};

const condBatcher: BatchRule<Prim.Cond> = ([index, ...ops], [di, ...dops], { branches }) => {
  const size = batchSize([index, ...ops], [di, ...dops]);
  const xs = fronted(ops, dops);
  const inB = isB(dops);
  if (di === null) {
    // Branches must agree on which outputs are batched: batch an output if any branch does.
    const first = branches.map((b) => vmapProgram(b, size, inB).outBatched);
    const force = first[0].map((_, k) => first.some((o) => o[k]));
    const { programs, consts } = joinHoisted(branches.map((b) => vmapProgram(b, size, inB, force).hoisted));
    return [bind(Prim.Cond, [index, ...consts, ...xs], { branches: programs }), dimsOf(force)];
  }
  // A per-example index: compute every branch and pick each example's result.
  const results = branches.map((b) => runBatched(b, xs, inB, size, b.outs.map(() => true))[0]);
  const idx = lax.clamp(0, toFront(index, di, size), branches.length - 1);
  const outs = results[0].map((r0, k) => {
    const which = lax.broadcastInDim(idx, r0.shape, [0]);
    const y = results.length === 1 ? r0 : lax.selectN(which, ...results.map((r) => r[k]));
    // cond's outputs are strongly typed, whichever way they were computed.
    return y.weakType ? lax.convertElementType(y, y.dtype, false) : y;
  });
  return [outs, outs.map(() => 0)];
};

/** Grows the set of batched carries until the body keeps it: batched in implies batched out. */
function carryFixpoint(init: readonly boolean[], outBatched: (carryB: boolean[]) => readonly boolean[]): boolean[] {
  let carryB = [...init];
  for (;;) {
    const out = outBatched(carryB);
    const next = carryB.map((b, i) => b || out[i]);
    if (next.every((b, i) => b === carryB[i])) return carryB;
    carryB = next;
  }
}

const whileBatcher: BatchRule<Prim.While> = (vals, dims, params) => {
  const { condProgram, bodyProgram, condNconsts: nc, bodyNconsts: nb } = params;
  const size = batchSize(vals, dims);
  const xs = fronted(vals, dims);
  const cc = xs.slice(0, nc);
  const bc = xs.slice(nc, nc + nb);
  const carry = xs.slice(nc + nb);
  const [ccB, bcB, carryB0] = [isB(dims.slice(0, nc)), isB(dims.slice(nc, nc + nb)), isB(dims.slice(nc + nb))];
  const carryB = carryFixpoint(carryB0, (cb) => vmapProgram(bodyProgram, size, [...bcB, ...cb]).outBatched);
  const condV = vmapProgram(condProgram, size, [...ccB, ...carryB]);
  if (!condV.outBatched[0]) {
    const body = vmapProgram(bodyProgram, size, [...bcB, ...carryB], carryB);
    const init = carry.map((c, i) => (carryB[i] && !carryB0[i] ? bdimTo(c, null, 0, size) : c));
    const outs = bind(Prim.While, [...condV.hoisted.consts, ...cc, ...body.hoisted.consts, ...bc, ...init], {
      condProgram: condV.hoisted.program,
      bodyProgram: body.hoisted.program,
      condNconsts: condV.hoisted.consts.length + nc,
      bodyNconsts: body.hoisted.consts.length + nb,
    });
    return [outs, dimsOf(carryB)];
  }
  // A per-example predicate: every carry is batched; loop while any example goes on, and let the
  // examples that are done keep their carry.
  const allB = carry.map(() => true);
  const carryAvals = carry.map((c, i) => batchedAval(c.aval, !carryB0[i], size));
  const predOf = (ccv: readonly Tracer[], cv: readonly Tracer[]) =>
    runBatched(condProgram, [...ccv, ...cv], [...ccB, ...allB], size, [true])[0][0];
  const condH = traceFlat(
    (...ys) => [lax.reduceOr(predOf(ys.slice(0, nc), ys.slice(nc)), [0])],
    [...cc.map((c) => c.aval), ...carryAvals],
  );
  const bodyH = traceFlat(
    (...ys) => {
      const [ccv, bcv, cv] = [ys.slice(0, nc), ys.slice(nc, nc + nb), ys.slice(nc + nb)];
      const pred = predOf(ccv, cv);
      const [next] = runBatched(bodyProgram, [...bcv, ...cv], [...bcB, ...allB], size, allB);
      return next.map((n, i) => lax.select(lax.broadcastInDim(pred, n.shape, [0]), n, cv[i]));
    },
    [...cc.map((c) => c.aval), ...bc.map((c) => c.aval), ...carryAvals],
  );
  const init = carry.map((c, i) => (carryB0[i] ? c : bdimTo(c, null, 0, size)));
  const outs = bind(Prim.While, [...condH.consts, ...cc, ...bodyH.consts, ...cc, ...bc, ...init], {
    condProgram: condH.program,
    bodyProgram: bodyH.program,
    condNconsts: condH.consts.length + nc,
    bodyNconsts: bodyH.consts.length + nc + nb,
  });
  return [outs, outs.map(() => 0)];
};

const scanBatcher: BatchRule<Prim.Scan> = (vals, dims, params) => {
  const { program, numConsts: nc, numCarry: nk, length, reverse } = params;
  const size = batchSize(vals, dims);
  // xs keep the scanned axis in front, so their batch axis goes second.
  const xsDims = dims.slice(nc + nk);
  const consts = fronted(vals.slice(0, nc), dims.slice(0, nc));
  const carry = fronted(vals.slice(nc, nc + nk), dims.slice(nc, nc + nk));
  const xs = vals.slice(nc + nk).map((x, i) => (xsDims[i] === null ? x : bdimTo(x, xsDims[i], 1, size)));
  const [constB, carryB0, xsB] = [isB(dims.slice(0, nc)), isB(dims.slice(nc, nc + nk)), isB(xsDims)];
  const carryB = carryFixpoint(carryB0, (cb) => vmapProgram(program, size, [...constB, ...cb, ...xsB]).outBatched);
  const nys = program.outs.length - nk;
  const body = vmapProgram(program, size, [...constB, ...carryB, ...xsB], [...carryB, ...new Array<boolean>(nys).fill(false)]);
  const init = carry.map((c, i) => (carryB[i] && !carryB0[i] ? bdimTo(c, null, 0, size) : c));
  const outs = bind(Prim.Scan, [...body.hoisted.consts, ...consts, ...init, ...xs], {
    program: body.hoisted.program,
    numConsts: body.hoisted.consts.length + nc,
    numCarry: nk,
    length,
    reverse,
  });
  const ysB = body.outBatched.slice(nk);
  return [outs, [...dimsOf(carryB), ...ysB.map((b) => (b ? 1 : null))]];
};

/** checkpoint and the custom-derivative primitives are in vmap-rules-custom.ts. */
export const controlVmapRules: { [P in Prim.Pjit | Prim.Cond | Prim.While | Prim.Scan]: BatchRule<P> } = {
  [Prim.Pjit]: pjitBatcher,
  [Prim.Cond]: condBatcher,
  [Prim.While]: whileBatcher,
  [Prim.Scan]: scanBatcher,
};
