/**
 * @file Jacobians and Hessians over pytrees: jacfwd (columns by forward mode), jacrev (rows by
 * reverse mode), hessian = jacfwd(jacrev(f)), and the public `linearize`.
 *
 * f is linearized once; the linear map (or its transpose) is then applied to all basis vectors
 * at once with vmap, so a staged Jacobian is one batched program, not a loop.
 * The result for output leaf o and input leaf i has shape [...o.shape, ...i.shape], nested as
 * output tree of input trees, like JAX's `jacfwd` / `jacrev`.
 */
import { isFloat } from "../ir/index.js";
import { Tracer } from "../trace/core.js";
import { evalProgram } from "../trace/eval-program.js";
import { type PyTree, type TreeDef, treeFlatten, treeUnflatten } from "../trace/pytree.js";
import * as lax from "../numpy/lax-core.js";
import { asTracerInput } from "./jvp.js";
import { linearizeFlat } from "./linearize.js";
import { UndefPrimal, backwardPass } from "./transpose.js";
import { instantiate } from "./zero.js";
import { vmapFlat } from "../passes/vmap.js";
import { bdimTo } from "../passes/vmap-rules-common.js";

export interface JacobianOptions {
  /** Which positional arguments to differentiate (default 0); an array gives a tuple. */
  readonly argnums?: number | readonly number[];
  /** `f` returns `[value, aux]`; aux is returned beside the Jacobian. */
  readonly hasAux?: boolean;
}

interface Setup {
  primalsIn: Tracer[];
  inTree: TreeDef;
  outTree: TreeDef;
  lin: ReturnType<typeof linearizeFlat>;
  aux: unknown;
  nums: number[];
  single: boolean;
  hasAuxResult?: boolean;
}

function setup(op: string, f: (...args: any[]) => unknown, args: unknown[], opts: JacobianOptions): Setup {
  const argnums = opts.argnums ?? 0;
  const nums = typeof argnums === "number" ? [argnums] : [...argnums];
  for (const n of nums) {
    if (!Number.isInteger(n) || n < 0 || n >= args.length) {
      throw new RangeError(`${op}: argnums ${JSON.stringify(argnums)} is out of range for ${args.length} argument(s).`);
    }
  }
  const diff = nums.map((n) => args[n]);
  const [leaves, inTree] = treeFlatten(diff as PyTree);
  const primalsIn = leaves.map((x) => asTracerInput(op, x));
  for (const p of primalsIn) {
    if (!isFloat(p.dtype)) {
      throw new TypeError(`${op} requires float inputs for the differentiated arguments; received ${p.aval.str()}. Convert with astype("float32").`);
    }
  }
  let outTree: TreeDef | null = null;
  let aux: unknown;
  const lin = linearizeFlat((...xs) => {
    const d = treeUnflatten(inTree, xs) as unknown[];
    const full = [...args];
    nums.forEach((n, i) => (full[n] = d[i]));
    let out = f(...full);
    if (opts.hasAux) {
      if (!Array.isArray(out) || out.length !== 2) throw new TypeError(`${op} with hasAux: the function must return [value, aux].`);
      aux = out[1];
      out = out[0];
    }
    const [ls, t] = treeFlatten(out as PyTree);
    outTree = t;
    return ls;
  }, primalsIn);
  return { primalsIn, inTree, outTree: outTree!, lin, aux, nums, single: typeof argnums === "number" };
}

/** One-hot basis vectors of an aval, as an array of shape [size, ...shape]. */
function basis(t: Tracer): Tracer {
  const n = t.size;
  const rows = lax.iota("int32", [n, n], 0);
  const cols = lax.iota("int32", [n, n], 1);
  const eye = lax.convertElementType(lax.eq(rows, cols), t.dtype);
  return lax.reshape(eye, [n, ...t.shape]);
}

const zerosLike = (t: Tracer): Tracer => lax.broadcastInDim(lax.convertElementType(0, t.dtype), t.shape, []);

/** Arranges per-(output leaf, input leaf) blocks into the nested result pytree. */
function assemble(s: Setup, blocks: Tracer[][]): unknown {
  const perOut = blocks.map((ins) => {
    const tree = treeUnflatten(s.inTree, ins) as unknown[];
    return s.single ? tree[0] : tree;
  });
  const jac = treeUnflatten(s.outTree, perOut);
  return s.hasAuxResult ? [jac, s.aux] : jac;
}

/**
 * Jacobian by forward mode: one linear-map application per input element. Best for
 * functions with few inputs and many outputs.
 *
 * @example jacfwd((x) => np.sin(x))(np.array([0, 1])) // diag(cos x)
 */
export function jacfwd(f: (...args: any[]) => unknown, opts: JacobianOptions = {}) {
  return (...args: unknown[]): any => {
    const s = setup("jacfwd", f, args, opts);
    s.hasAuxResult = opts.hasAux;
    const outs = s.lin.primalsOut;
    const blocks: Tracer[][] = outs.map(() => []);
    s.primalsIn.forEach((p, i) => {
      // Push every basis vector of input leaf i through the linear map at once, under vmap.
      const [cols, colDims] = vmapFlat(
        (t: Tracer) => evalProgram(s.lin.program, [...s.lin.consts, ...s.primalsIn.map((q, j) => (j === i ? t : zerosLike(q)))]),
        p.size,
        [basis(p)],
        [0],
      );
      outs.forEach((o, oi) => {
        // cols[oi]: [in.size, ...out.shape] -> [...out.shape, ...in.shape]
        const r = lax.reshape(bdimTo(cols[oi], colDims[oi], 0, p.size), [...p.shape, ...o.shape]);
        const perm = [...o.shape.map((_, d) => p.ndim + d), ...p.shape.map((_, d) => d)];
        blocks[oi].push(lax.transpose(r, perm));
      });
    });
    return assemble(s, blocks);
  };
}

/**
 * Jacobian by reverse mode: one transposed-linear-map application per output element. Best for
 * functions with many inputs and few outputs.
 *
 * @example jacrev((x) => x.mul(x))(np.array([1, 2])) // [[2, 0], [0, 4]]
 */
export function jacrev(f: (...args: any[]) => unknown, opts: JacobianOptions = {}) {
  return (...args: unknown[]): any => {
    const s = setup("jacrev", f, args, opts);
    s.hasAuxResult = opts.hasAux;
    const outs = s.lin.primalsOut;
    const blocks: Tracer[][] = outs.map((o) => {
      // Pull every basis vector of output leaf o back through the transposed map, under vmap.
      const [rows, rowDims] = vmapFlat(
        (ct: Tracer) => {
          const cts = outs.map((q) => (q === o ? ct : zerosLike(q)));
          const args2 = [...s.lin.consts, ...s.lin.tangentInAvals.map((a) => new UndefPrimal(a))];
          return backwardPass(s.lin.program, args2, cts).map(instantiate);
        },
        o.size,
        [basis(o)],
        [0],
      );
      return s.primalsIn.map((p, i) => lax.reshape(bdimTo(rows[i], rowDims[i], 0, o.size), [...o.shape, ...p.shape]));
    });
    return assemble(s, blocks);
  };
}

/**
 * Hessian of a scalar function: jacfwd of jacrev.
 *
 * @example hessian((x) => np.sum(x.mul(x).mul(x)))(np.array([1, 2])) // diag(6x)
 */
export function hessian(f: (...args: any[]) => unknown, opts: JacobianOptions = {}) {
  return jacfwd(jacrev(f, opts), { argnums: opts.argnums });
}

/**
 * Evaluates `f` at `primals` and returns its outputs and its linear map (the JVP at that point),
 * which can be applied to many tangents without re-evaluating f.
 *
 * @example const [y, fLin] = linearize(np.sin, x); fLin(t) // cos(x) * t
 */
export function linearize(f: (...args: any[]) => unknown, ...primals: unknown[]): [any, (...tangents: unknown[]) => any] {
  const [leaves, inTree] = treeFlatten(primals as PyTree);
  const xs = leaves.map((x) => asTracerInput("linearize", x));
  let outTree: TreeDef | null = null;
  const lin = linearizeFlat((...ts) => {
    const [ls, t] = treeFlatten(f(...(treeUnflatten(inTree, ts) as unknown[])) as PyTree);
    outTree = t;
    return ls;
  }, xs);
  const fLin = (...tangents: unknown[]) => {
    const [tl, tt] = treeFlatten(tangents as PyTree);
    if (!tt.equals(inTree)) throw new TypeError(`linearize: tangents must have the primals' structure ${inTree}, received ${tt}.`);
    const ts = tl.map((t) => asTracerInput("linearize", t));
    return treeUnflatten(outTree!, evalProgram(lin.program, [...lin.consts, ...ts]));
  };
  return [treeUnflatten(outTree!, lin.primalsOut), fLin];
}
