/**
 * @file User-defined derivatives and rematerialization: customJvp, customVjp and checkpoint.
 * Each stages the function once into a program held by a higher-order primitive, so the user's
 * rule applies at the right level of any stack of transformations (jit, vmap, grad...).
 */
import { Prim, isFloat } from "../ir/index.js";
import { type ArrayLike, Tracer, bind } from "../trace/core.js";
import { scalarType } from "../trace/array.js";
import { traceFlat } from "../trace/jaxpr-trace.js";
import { type PyTree, type TreeDef, assertSameStructure, treeFlatten, treeUnflatten } from "../trace/pytree.js";
import * as lax from "../numpy/lax-core.js";

type Fn = (...args: any[]) => any;

/** Flattens call arguments to tracers (JS scalars become weakly typed scalars). */
function flatArgs(op: string, args: readonly unknown[]): [Tracer[], TreeDef] {
  const [leaves, tree] = treeFlatten(args as PyTree);
  const ts = leaves.map((x, i) => {
    if (x instanceof Tracer) return x;
    if (typeof x === "number" || typeof x === "boolean") {
      const { dtype, weak } = scalarType(x);
      return lax.convertElementType(x, dtype, weak);
    }
    throw new TypeError(`${op}: argument leaf ${i} is ${typeof x}; expected Arrays, JS numbers or pytrees of them.`);
  });
  return [ts, tree];
}

/** Stages `f` on the avals of `xs`; returns the hoisted program and the output tree. */
function stage(f: Fn, xs: readonly Tracer[], inTree: TreeDef) {
  let outTree: TreeDef | null = null;
  const hoisted = traceFlat((...ys) => {
    const [outs, t] = treeFlatten(f(...(treeUnflatten(inTree, ys) as unknown[])) as PyTree);
    outTree = t;
    return outs;
  }, xs.map((x) => x.aval));
  return { hoisted, outTree: outTree! };
}

const leavesOf = (op: string, what: string, x: unknown, want: TreeDef): Tracer[] => {
  const [ls, t] = treeFlatten(x as PyTree);
  assertSameStructure(`${op}: ${what}`, want, t);
  return ls.map((l) => (l instanceof Tracer ? l : lax.convertElementType(l as ArrayLike, "float32")));
};

/** A function with a custom JVP rule; call `defjvp` to set the rule. */
export interface CustomJvpFunction<F extends Fn> {
  (...args: Parameters<F>): ReturnType<F>;
  /** rule(primals, tangents) => [primalOut, tangentOut], over the same pytrees as the function. */
  defjvp(rule: (primals: Parameters<F>, tangents: Parameters<F>) => [ReturnType<F>, ReturnType<F>]): CustomJvpFunction<F>;
}

/**
 * Gives `f` a hand-written JVP (and so a gradient), e.g. for numerical stability.
 *
 * @example
 *   const softplus = customJvp((x) => np.log1p(np.exp(x)));
 *   softplus.defjvp(([x], [t]) => [softplus(x), t.mul(lax.logistic(x))]);
 */
export function customJvp<F extends Fn>(f: F, rule?: (primals: any, tangents: any) => [any, any]): CustomJvpFunction<F> {
  let jvpRule = rule;
  const name = f.name || "fn";
  const wrapped = ((...args: unknown[]) => {
    if (!jvpRule) throw new Error(`customJvp(${name}): no JVP rule; call .defjvp(rule) before calling the function.`);
    const userRule = jvpRule;
    const [xs, inTree] = flatArgs(`customJvp(${name})`, args);
    const { hoisted, outTree } = stage(f, xs, inTree);
    const jvp = (primals: readonly unknown[], tangents: readonly unknown[]): [unknown[], unknown[]] => {
      const p = treeUnflatten(inTree, primals as Tracer[]);
      const t = treeUnflatten(inTree, tangents as Tracer[]);
      const res = userRule(p, t);
      if (!Array.isArray(res) || res.length !== 2) {
        throw new TypeError(`customJvp(${name}): the JVP rule must return [primalOut, tangentOut].`);
      }
      const po = leavesOf(`customJvp(${name})`, "the rule's primal output and the function's output", res[0], outTree);
      const to = leavesOf(`customJvp(${name})`, "the rule's tangent output and the function's output", res[1], outTree);
      to.forEach((tt, i) => {
        if (tt.shape.join() !== po[i].shape.join()) {
          throw new TypeError(`customJvp(${name}): tangent output ${i} has shape [${tt.shape}] but the primal output has [${po[i].shape}].`);
        }
      });
      return [po, to.map((tt, i) => (tt.dtype === po[i].dtype || !isFloat(po[i].dtype) ? tt : lax.convertElementType(tt, po[i].dtype)))];
    };
    const outs = bind(Prim.CustomJvpCall, [...hoisted.consts, ...xs], {
      program: hoisted.program,
      jvp,
      numConsts: hoisted.consts.length,
      name,
    });
    return treeUnflatten(outTree, outs);
  }) as unknown as CustomJvpFunction<F>;
  wrapped.defjvp = (r) => {
    jvpRule = r as typeof jvpRule;
    return wrapped;
  };
  return wrapped;
}

/** A function with custom forward and backward passes; call `defvjp` to set them. */
export interface CustomVjpFunction<F extends Fn> {
  (...args: Parameters<F>): ReturnType<F>;
  /**
   * fwd(...args) => [output, residuals]; bwd(residuals, ct) => one cotangent per argument
   * (a list, null for arguments without one).
   */
  defvjp(fwd: (...args: Parameters<F>) => [ReturnType<F>, unknown], bwd: (residuals: any, ct: any) => unknown[]): CustomVjpFunction<F>;
}

/**
 * Gives `f` a hand-written reverse-mode derivative (forward pass saving residuals, backward pass).
 *
 * @example
 *   const clipGrad = customVjp((x) => x);
 *   clipGrad.defvjp((x) => [x, null], (_, ct) => [np.clip(ct, -1, 1)]);
 */
export function customVjp<F extends Fn>(f: F): CustomVjpFunction<F> {
  let rules: { fwd: Fn; bwd: (res: any, ct: any) => unknown[] } | null = null;
  const name = f.name || "fn";
  const wrapped = ((...args: unknown[]) => {
    if (!rules) throw new Error(`customVjp(${name}): call .defvjp(fwd, bwd) before calling the function.`);
    const { fwd: userFwd, bwd: userBwd } = rules;
    const [xs, inTree] = flatArgs(`customVjp(${name})`, args);
    const { hoisted, outTree } = stage(f, xs, inTree);
    let resTree: TreeDef | null = null;
    const fwd = (primals: readonly unknown[]): [unknown[], unknown[]] => {
      const out = userFwd(...(treeUnflatten(inTree, primals as Tracer[]) as unknown[]));
      if (!Array.isArray(out) || out.length !== 2) throw new TypeError(`customVjp(${name}): fwd must return [output, residuals].`);
      const po = leavesOf(`customVjp(${name})`, "fwd's output and the function's output", out[0], outTree);
      const [res, rt] = treeFlatten(out[1] as PyTree);
      resTree = rt;
      return [po, res.map((r) => (r instanceof Tracer ? r : lax.convertElementType(r as ArrayLike, "float32")))];
    };
    const bwd = (residuals: readonly unknown[], cts: readonly unknown[]): unknown[] => {
      const res = treeUnflatten(resTree!, residuals as Tracer[]);
      const ct = treeUnflatten(outTree, cts as Tracer[]);
      const grads = userBwd(res, ct);
      if (!Array.isArray(grads) || grads.length !== args.length) {
        throw new TypeError(`customVjp(${name}): bwd must return a list with one cotangent per argument (${args.length}), or null for none.`);
      }
      const leaves: unknown[] = [];
      grads.forEach((g, i) => {
        const [argLeaves, argTree] = treeFlatten(args[i] as PyTree);
        if (g === null || g === undefined) leaves.push(...argLeaves.map(() => null));
        else leaves.push(...leavesOf(`customVjp(${name})`, `bwd's cotangent ${i} and argument ${i}`, g, argTree));
      });
      return leaves;
    };
    const outs = bind(Prim.CustomVjpCall, [...hoisted.consts, ...xs], {
      program: hoisted.program,
      fwd,
      bwd,
      numConsts: hoisted.consts.length,
      name,
    });
    return treeUnflatten(outTree, outs);
  }) as unknown as CustomVjpFunction<F>;
  wrapped.defvjp = (fwd, bwd) => {
    rules = { fwd, bwd };
    return wrapped;
  };
  return wrapped;
}

/**
 * Rematerialization: under reverse mode, `f`'s intermediates are recomputed during the backward
 * pass instead of being stored, trading compute for memory.
 *
 * @example const block = checkpoint((x) => np.tanh(np.matmul(x, w)));
 */
export function checkpoint<F extends Fn>(f: F, opts: { readonly name?: string } = {}): F {
  const name = opts.name ?? (f.name || "fn");
  return ((...args: unknown[]) => {
    const [xs, inTree] = flatArgs(`checkpoint(${name})`, args);
    const { hoisted, outTree } = stage(f, xs, inTree);
    const outs = bind(Prim.Remat, [...hoisted.consts, ...xs], { program: hoisted.program, name });
    return treeUnflatten(outTree, outs);
  }) as F;
}

/** JAX's name for checkpoint. */
export const remat = checkpoint;
