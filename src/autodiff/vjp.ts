/**
 * @file Reverse mode: vjp as the transpose of the linearized program, and grad / valueAndGrad
 * on top (with argnums and hasAux), over pytrees.
 */
import { isFloat } from "../ir/index.js";
import { Tracer, isEagerContext } from "../trace/core.js";
import { tidy } from "../trace/array.js";
import { type PyTree, type TreeDef, assertSameStructure, treeFlatten, treeUnflatten } from "../trace/pytree.js";
import * as lax from "../numpy/lax-core.js";
import { asTracerInput } from "./jvp.js";
import { linearizeFlat } from "./linearize.js";
import { UndefPrimal, backwardPass } from "./transpose.js";
import { type Tangent, instantiate } from "./zero.js";

/**
 * Evaluates `f` at `primals` and returns its outputs and a function mapping output cotangents to
 * input cotangents.
 *
 * @example
 *   const [y, back] = vjp((x) => np.sin(x), x);
 *   const [dx] = back(np.onesLike(y)); // cos(x)
 */
export function vjp(f: (...args: any[]) => unknown, ...primals: unknown[]): [any, (ct: unknown) => any[]] {
  const [outs, back] = vjpWithAux(f, false, primals);
  return [outs, back];
}

/**
 * vjp of `f`; with `hasAux`, `f` returns `[out, aux]` and aux comes back as plain values (lowered
 * out of the differentiation, never differentiated), as the third element.
 */
export function vjpWithAux(f: (...args: any[]) => unknown, hasAux: boolean, primals: readonly unknown[]): [any, (ct: unknown) => any[], unknown] {
  const [leaves, inTree] = treeFlatten(primals as PyTree);
  const xs = leaves.map((x) => asTracerInput("vjp", x));
  let outTree: TreeDef | null = null;
  let auxTree: TreeDef | null = null;
  // Aux leaves that are not Arrays (JS numbers, strings...) pass through untouched.
  let auxLeaves: unknown[] = [];
  let nAux = 0;
  const flatF = (...ts: Tracer[]) => {
    let out = f(...(treeUnflatten(inTree, ts) as unknown[]));
    if (hasAux) {
      if (!Array.isArray(out) || out.length !== 2) throw new TypeError("grad with hasAux: the function must return [value, aux].");
      [auxLeaves, auxTree] = treeFlatten(out[1] as PyTree);
      out = out[0];
    }
    const [outs, tree] = treeFlatten(out as PyTree);
    outTree = tree;
    const auxArrays = auxLeaves.filter((a): a is Tracer => a instanceof Tracer);
    nAux = auxArrays.length;
    return [...outs, ...auxArrays];
  };
  const lin0 = linearizeFlat(flatF, xs, () => nAux);
  const nMain = lin0.primalsOut.length - nAux;
  let aux: unknown = undefined;
  if (hasAux) {
    const lowered = lin0.primalsOut.slice(nMain);
    let k = 0;
    aux = treeUnflatten(auxTree!, auxLeaves.map((a) => (a instanceof Tracer ? lowered[k++] : a)));
  }
  const lin = { ...lin0, primalsOut: lin0.primalsOut.slice(0, nMain) };
  const outs = treeUnflatten(outTree!, lin.primalsOut);
  const back = (ct: unknown): any[] => {
    const [cts, ctTree] = treeFlatten(ct as PyTree);
    assertSameStructure("vjp: cotangent", outTree!, ctTree);
    const ctVals: Tangent[] = cts.map((c, i) => {
      const t = asTracerInput("vjp", c);
      const want = lin.primalsOut[i].aval;
      if (t.shape.join() !== want.shape.join()) {
        throw new TypeError(`vjp: cotangent ${i} has shape [${t.shape}] but the output has shape [${want.shape}].`);
      }
      return t;
    });
    const args = [...lin.consts, ...lin.tangentInAvals.map((a) => new UndefPrimal(a))];
    const ctsIn = backwardPass(lin.program, args, ctVals);
    const real = ctsIn.map((c, i) => castLike(instantiate(c), xs[i]));
    return treeUnflatten(inTree, real) as any[];
  };
  return [outs, back, aux];
}

/** Gradients have the input's dtype (float inputs) — JAX's convention. */
const castLike = (g: Tracer, x: Tracer): Tracer =>
  isFloat(x.dtype) && g.dtype !== x.dtype ? lax.convertElementType(g, x.dtype) : g;

export interface GradOptions {
  /** Which positional arguments to differentiate (default 0); an array gives a tuple of grads. */
  readonly argnums?: number | readonly number[];
  /** `f` returns `[value, aux]`; aux is returned beside the gradient, undifferentiated. */
  readonly hasAux?: boolean;
}

/**
 * Returns a function computing `[f(...args), gradient]` where f returns a scalar.
 *
 * @example const [loss, g] = valueAndGrad(lossFn)(params, batch);
 */
export function valueAndGrad(f: (...args: any[]) => unknown, opts: GradOptions = {}) {
  const argnums = opts.argnums ?? 0;
  const nums = typeof argnums === "number" ? [argnums] : [...argnums];
  return (...args: unknown[]): [any, any] => {
    for (const n of nums) {
      if (!Number.isInteger(n) || n < 0 || n >= args.length) {
        throw new RangeError(`grad: argnums ${JSON.stringify(argnums)} is out of range for ${args.length} argument(s).`);
      }
      for (const leaf of treeFlatten(args[n] as PyTree)[0]) {
        const t = leaf instanceof Tracer ? leaf : null;
        if (t && !isFloat(t.dtype)) {
          throw new TypeError(
            `grad requires real-valued (float) inputs for the arguments it differentiates; argument ${n} ` +
              `contains ${t.aval.str()}. Convert it with astype("float32"), or differentiate with respect ` +
              `to another argument (argnums).`,
          );
        }
      }
    }
    // Under an enclosing trace (jit), arrays made here may be that trace's captured constants:
    // only an eager call owns its intermediates.
    const scope = isEagerContext() ? tidy : <T>(fn: () => T): T => fn();
    return scope(() => {
      const g = (...diffArgs: unknown[]) => {
        const full = [...args];
        nums.forEach((n, i) => (full[n] = diffArgs[i]));
        return f(...full);
      };
      const [value, back, aux] = vjpWithAux(g, opts.hasAux === true, nums.map((n) => args[n]));
      if (!(value instanceof Tracer) || value.size !== 1 || !isFloat(value.dtype)) {
        const got = value instanceof Tracer ? value.aval.str() : typeof value;
        throw new TypeError(
          `grad requires a function that returns a scalar float (shape []), but it returned ${got}. ` +
            `Reduce the output (e.g. np.sum or np.mean), or use vjp/jacrev for non-scalar outputs.`,
        );
      }
      const one = instantiateOne(value);
      const grads = back(one);
      const gradOut = typeof argnums === "number" ? grads[0] : grads;
      return [opts.hasAux ? [value, aux] : value, gradOut] as [any, any];
    });
  };
}

/** A one of the output's dtype; a literal when staged, so grad programs stay clean. */
const instantiateOne = (v: Tracer): Tracer => lax.broadcastInDim(lax.convertElementType(1, v.dtype), v.shape, []);

/**
 * Returns a function computing the gradient of scalar-valued `f`.
 *
 * @example grad((x) => np.sum(np.square(x)))(x) // 2x
 */
export function grad(f: (...args: any[]) => unknown, opts: GradOptions = {}) {
  const vg = valueAndGrad(f, opts);
  return (...args: unknown[]): any => {
    const [value, g] = vg(...args);
    if (opts.hasAux) {
      const [v, aux] = value as [Tracer, unknown];
      v.dispose();
      return [g, aux];
    }
    (value as Tracer).dispose();
    return g;
  };
}

