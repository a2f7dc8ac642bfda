/**
 * @file Transpose rules of linear loops and conditionals (what partial evaluation stages for the
 * tangent side). A linear scan transposes to a scan running the other way over the transposed
 * body; a linear cond transposes each branch. Known inputs (residuals, the index) pass through.
 */
import { Prim, type PrimParams, ShapedArray } from "../ir/index.js";
import { type Scalar, Tracer, bind } from "../trace/core.js";
import { joinHoisted, traceFlat } from "../trace/jaxpr-trace.js";
import * as lax from "../numpy/lax-core.js";
import { type PrimalOrUndef, UndefPrimal, backwardPass, isUndef } from "./transpose.js";
import { type Tangent, Zero, instantiate } from "./zero.js";

type Rule = (cts: readonly Tangent[], inputs: readonly PrimalOrUndef[], params: unknown) => (Tangent | null)[];

const avalOf = (x: PrimalOrUndef): ShapedArray =>
  isUndef(x) ? x.aval : x instanceof Tracer ? x.aval : new ShapedArray([], "float32", true);
const zeros = (a: ShapedArray) => lax.broadcastInDim(lax.convertElementType(0, a.dtype), a.shape, []);
const ctOf = (t: Tangent) => instantiate(t);

/**
 * scan, linear in its undefined consts, carries and xs. Running backwards, the transposed body
 * maps (ct of carry, ct of y_i) to (ct of the previous carry, ct of x_i) and accumulates the
 * consts' cotangent in an extra carry.
 */
const scanTranspose: Rule = (cts, inputs, raw) => {
  const { program, numConsts: nc, numCarry: nk, length, reverse } = raw as PrimParams[Prim.Scan];
  const consts = inputs.slice(0, nc);
  const carry = inputs.slice(nc, nc + nk);
  const xs = inputs.slice(nc + nk);
  // A known carry here is an instantiated zero tangent: the loop is still linear in it, so it is
  // transposed like the others and its cotangent dropped (as JAX does).
  const cU = consts.map(isUndef);
  const xU = xs.map(isUndef);
  const knownConsts = consts.filter((c) => !isUndef(c)) as (Tracer | Scalar)[];
  const knownXs = xs.filter((x) => !isUndef(x)) as Tracer[];
  const ctConstAvals = consts.filter(isUndef).map((c) => (c as UndefPrimal).aval);
  const carryAvals = carry.map(avalOf);
  const xSliceAval = (a: ShapedArray) => new ShapedArray(a.shape.slice(1), a.dtype, a.weakType);
  const knownXAvals = knownXs.map((x) => xSliceAval(x.aval));
  const ysAvals = program.outs.slice(nk).map((o) => o.aval);
  const undefXAvals = xs.filter(isUndef).map((x) => xSliceAval((x as UndefPrimal).aval));
  const kcAvals = knownConsts.map((c) => (c instanceof Tracer ? c.aval : new ShapedArray([], "float32", true)));

  // Transposed body: [known consts | ct consts acc, ct carry | known x_i, ct y_i] ->
  //                  [ct consts acc, ct carry | ct x_i]
  const body = traceFlat((...vals) => {
    let k = 0;
    const kc = vals.slice(k, (k += knownConsts.length));
    const acc = vals.slice(k, (k += ctConstAvals.length));
    const ctCarry = vals.slice(k, (k += nk));
    const kx = vals.slice(k, (k += knownXs.length));
    const ctY = vals.slice(k);
    let ikc = 0;
    let ikx = 0;
    const args: PrimalOrUndef[] = [
      ...consts.map((c) => (isUndef(c) ? new UndefPrimal(c.aval) : kc[ikc++])),
      ...carryAvals.map((a) => new UndefPrimal(a)),
      ...xs.map((x) => (isUndef(x) ? new UndefPrimal(xSliceAval(x.aval)) : kx[ikx++])),
    ];
    const res = backwardPass(program, args, [...ctCarry, ...ctY]).map(ctOf);
    const ctConsts = res.slice(0, ctConstAvals.length);
    const ctCarryPrev = res.slice(ctConstAvals.length, ctConstAvals.length + nk);
    const ctXs = res.slice(ctConstAvals.length + nk);
    return [...acc.map((a, i) => lax.add(a, ctConsts[i])), ...ctCarryPrev, ...ctXs];
  }, [...kcAvals, ...ctConstAvals, ...carryAvals, ...knownXAvals, ...ysAvals]);
  void undefXAvals;

  const ctCarryOut = cts.slice(0, nk).map((c, i) => (c instanceof Zero ? zeros(carryAvals[i]) : ctOf(c)));
  const ctYs = cts.slice(nk).map((c, i) =>
    c instanceof Zero ? zeros(new ShapedArray([length, ...ysAvals[i].shape], ysAvals[i].dtype)) : ctOf(c),
  );
  const outs = bind(
    Prim.Scan,
    [...body.consts, ...knownConsts, ...ctConstAvals.map(zeros), ...ctCarryOut, ...knownXs, ...ctYs],
    {
      program: body.program,
      numConsts: body.consts.length + knownConsts.length,
      numCarry: ctConstAvals.length + nk,
      length,
      reverse: !reverse,
    },
  );
  const ctConsts = outs.slice(0, ctConstAvals.length);
  const ctCarryIn = outs.slice(ctConstAvals.length, ctConstAvals.length + nk);
  const ctXs = outs.slice(ctConstAvals.length + nk);
  let ic = 0;
  let ix = 0;
  return [
    ...cU.map((u) => (u ? ctConsts[ic++] : null)),
    ...ctCarryIn.map((c, i) => (isUndef(carry[i]) ? c : null)),
    ...xU.map((u) => (u ? ctXs[ix++] : null)),
  ];
};

/** cond, linear in its undefined operands: transpose every branch, choose with the same index. */
const condTranspose: Rule = (cts, [index, ...ops], raw) => {
  const { branches } = raw as PrimParams[Prim.Cond];
  if (isUndef(index)) throw new Error("internal: cond index cannot be a linear input");
  const known = ops.filter((o) => !isUndef(o)) as (Tracer | Scalar)[];
  const knownAvals = ops.filter((o) => !isUndef(o)).map(avalOf);
  const outAvals = branches[0].outs.map((o) => o.aval);
  const transposed = branches.map((b) =>
    traceFlat((...vals) => {
      const kv = vals.slice(0, known.length);
      const ct = vals.slice(known.length);
      let k = 0;
      const args = ops.map((o) => (isUndef(o) ? new UndefPrimal(o.aval) : kv[k++]));
      return backwardPass(b, args, ct).map(ctOf);
    }, [...knownAvals, ...outAvals]),
  );
  const { programs, consts } = joinHoisted(transposed);
  const ctIns = cts.map((c, i) => (c instanceof Zero ? zeros(outAvals[i]) : ctOf(c)));
  const outs = bind(Prim.Cond, [index as Tracer, ...consts, ...known, ...ctIns], { branches: programs });
  let u = 0;
  return [null, ...ops.map((o) => (isUndef(o) ? outs[u++] : null))];
};

/** custom_lin: the user's backward pass maps output cotangents to argument cotangents. */
const customLinTranspose: Rule = (cts, inputs, raw) => {
  const { bwd, numResiduals, outAvals } = raw as PrimParams[Prim.CustomLin];
  const res = inputs.slice(0, numResiduals) as Tracer[];
  const ctIns = cts.map((c, i) => (c instanceof Zero ? zeros(outAvals[i]) : ctOf(c)));
  const grads = bwd(res, ctIns) as (Tracer | null)[];
  const args = inputs.slice(numResiduals);
  return [
    ...res.map(() => null),
    ...args.map((a, i) => {
      const g = grads[i];
      if (!isUndef(a) || g === null || g === undefined) return null;
      return g.dtype === a.aval.dtype ? g : lax.convertElementType(g, a.aval.dtype);
    }),
  ];
};

/** checkpoint: the transposed program recomputes the forward intermediates from the inputs. */
const rematTranspose: Rule = (cts, inputs, raw) => {
  const { program, name } = raw as PrimParams[Prim.Remat];
  const known = inputs.filter((x) => !isUndef(x)) as (Tracer | Scalar)[];
  const knownAvals = inputs.filter((x) => !isUndef(x)).map(avalOf);
  const outAvals = program.outs.map((o) => o.aval);
  const t = traceFlat((...vals) => {
    const kv = vals.slice(0, known.length);
    const ct = vals.slice(known.length);
    let k = 0;
    const args = inputs.map((x) => (isUndef(x) ? new UndefPrimal(x.aval) : kv[k++]));
    return backwardPass(program, args, ct).map(ctOf);
  }, [...knownAvals, ...outAvals]);
  const ctIns = cts.map((c, i) => (c instanceof Zero ? zeros(outAvals[i]) : ctOf(c)));
  const outs = bind(Prim.Remat, [...t.consts, ...known, ...ctIns], { program: t.program, name: `transpose(${name})` });
  let u = 0;
  return inputs.map((x) => (isUndef(x) ? outs[u++] : null));
};

/** whileLoop's rule (an explanatory error) lives in transpose-rules.ts. */
export const controlTransposeRules: { [P in Prim.Scan | Prim.Cond | Prim.CustomLin | Prim.Remat]: Rule } = {
  [Prim.Scan]: scanTranspose,
  [Prim.Cond]: condTranspose,
  [Prim.CustomLin]: customLinTranspose,
  [Prim.Remat]: rematTranspose,
};
