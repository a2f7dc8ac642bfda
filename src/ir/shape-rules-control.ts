/**
 * @file Abstract evaluation of the higher-order primitives: a call's outputs are its program's
 * outputs, after checking that the operands match the program's inputs.
 */
import { ShapedArray } from "./aval.js";
import { Prim, type HigherOrderPrim } from "./primitives.js";
import type { Program } from "./program.js";
import { ShapeError } from "./errors.js";
import type { ShapeRule } from "./shape-rules.js";

const strs = (as: readonly ShapedArray[]) => `(${as.map((a) => a.str()).join(", ")})`;

/** Operands must equal the program's input avals (weak types may differ). */
function checkInputs(what: string, p: Program, avals: readonly ShapedArray[]): void {
  const want = p.inVars.map((v) => v.aval);
  if (p.constVars.length) throw new ShapeError(`internal: ${what} program must be closed (no constVars)`);
  if (want.length !== avals.length || want.some((a, i) => !a.equals(avals[i]))) {
    throw new ShapeError(`${what}: operands ${strs(avals)} do not match the program's inputs ${strs(want)}.`);
  }
}

const outAvals = (p: Program) => p.outs.map((o) => o.aval);

export const controlShapeRules: { [P in HigherOrderPrim]: ShapeRule<P> } = {
  [Prim.Pjit]: (avals, { program, name }) => {
    checkInputs(`pjit (${name})`, program, avals);
    return outAvals(program);
  },
  [Prim.Cond]: ([index, ...ops], { branches }) => {
    if (index.ndim !== 0 || index.dtype !== "int32") {
      throw new ShapeError(`cond: the branch index must be an int32 scalar, received ${index.str()}.`);
    }
    if (branches.length === 0) throw new ShapeError("cond: needs at least one branch.");
    const outs = outAvals(branches[0]);
    branches.forEach((b, i) => {
      checkInputs(`cond branch ${i}`, b, ops);
      const o = outAvals(b);
      if (o.length !== outs.length || o.some((a, k) => !a.equals(outs[k]))) {
        throw new ShapeError(
          `cond: every branch must return the same shapes and dtypes; branch 0 returns ${strs(outs)} ` +
            `but branch ${i} returns ${strs(o)}.`,
        );
      }
    });
    return outs.map((a) => a.strongly());
  },
  [Prim.While]: (avals, { condProgram, bodyProgram, condNconsts, bodyNconsts }) => {
    const carry = avals.slice(condNconsts + bodyNconsts);
    checkInputs("whileLoop cond", condProgram, [...avals.slice(0, condNconsts), ...carry]);
    checkInputs("whileLoop body", bodyProgram, [...avals.slice(condNconsts, condNconsts + bodyNconsts), ...carry]);
    const c = outAvals(condProgram);
    if (c.length !== 1 || c[0].ndim !== 0 || c[0].dtype !== "bool") {
      throw new ShapeError(`whileLoop: the condition must return one bool scalar, it returns ${strs(c)}.`);
    }
    const b = outAvals(bodyProgram);
    if (b.length !== carry.length || b.some((a, i) => !a.equals(carry[i]))) {
      throw new ShapeError(
        `whileLoop: the body must return the carry's shapes and dtypes ${strs(carry)}, it returns ${strs(b)}.`,
      );
    }
    return carry.map((a) => a.strongly());
  },
  [Prim.Scan]: (avals, { program, numConsts, numCarry, length }) => {
    const consts = avals.slice(0, numConsts);
    const carry = avals.slice(numConsts, numConsts + numCarry);
    const xs = avals.slice(numConsts + numCarry);
    for (const x of xs) {
      if (x.ndim === 0 || x.shape[0] !== length) {
        throw new ShapeError(`scan: every xs must have leading axis of length ${length}, received ${x.str()}.`);
      }
    }
    const slices = xs.map((x) => new ShapedArray(x.shape.slice(1), x.dtype, x.weakType));
    checkInputs("scan body", program, [...consts, ...carry, ...slices]);
    const outs = outAvals(program);
    const carryOut = outs.slice(0, numCarry);
    if (carryOut.some((a, i) => !a.equals(carry[i]))) {
      throw new ShapeError(
        `scan: the body must return a carry of the same shapes and dtypes as the initial carry ` +
          `${strs(carry)}; it returns ${strs(carryOut)}.`,
      );
    }
    const ys = outs.slice(numCarry).map((y) => new ShapedArray([length, ...y.shape], y.dtype));
    return [...carry.map((a) => a.strongly()), ...ys];
  },
  [Prim.CustomJvpCall]: (avals, { program, name }) => {
    checkInputs(`customJvp (${name})`, program, avals);
    return outAvals(program);
  },
  [Prim.CustomVjpCall]: (avals, { program, name }) => {
    checkInputs(`customVjp (${name})`, program, avals);
    return outAvals(program);
  },
  [Prim.CustomLin]: (avals, { numResiduals, outAvals: outs }) => {
    if (avals.length < numResiduals) throw new ShapeError(`custom_lin: expected at least ${numResiduals} residual operands.`);
    return [...outs];
  },
  [Prim.Remat]: (avals, { program, name }) => {
    checkInputs(`checkpoint (${name})`, program, avals);
    return outAvals(program);
  },
};
