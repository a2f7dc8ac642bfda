/**
 * @file Splitting a long reduction into a two-level tree, for targets that run one invocation
 * per output element (WGSL): a kernel whose few outputs each fold a long range would leave all
 * but a handful of GPU threads idle. The rewrite turns `out[o] = f(reduce(v, r))` into
 *
 *   partial[o, p] = reduce over c of v[r := p * C + c]   (P partials per output, r < R masked)
 *   out[o]        = f(reduce over q of partial[o, q])
 *
 * so the first kernel runs outputs x P invocations. Target neutral: it rewrites kernel IR only.
 * Applies to single-store kernels whose value holds exactly one reduction (the longest of its
 * ranges is split) with no reduction nested inside it, on 32-bit dtypes (a float16 partial
 * would round twice).
 */
import { Prim } from "../ir/index.js";
import { KOp, type Kernel, type ParamArg, type RangeArg, type ReduceKind, UOp, kalu, kconst, kload, kparam, krange, kreduce, kstore, ksink } from "./kernel-ir.js";
import { iadd, imul } from "./index-expr.js";

/** The two kernels of a split reduction, and the partial buffer between them. */
export interface SplitReduce {
  /** Writes the partials: the original params, then the partial buffer (last). */
  readonly partials: Kernel;
  /** Folds them: the original params with the partial buffer appended (last, read-only). */
  readonly fold: Kernel;
  readonly partial: ParamArg;
}

export interface SplitOptions {
  /** Split only when the kernel has at most this many outputs... */
  readonly maxOutputs?: number;
  /** ...and the reduction folds at least this many elements. */
  readonly minLength?: number;
  /** Partials per output. */
  readonly parts?: number;
}

/** Identity of each fold (what a masked-out term contributes). */
const IDENTITY: Record<ReduceKind, (d: string) => number> = {
  sum: () => 0,
  prod: () => 1,
  max: (d) => (d === "float32" ? -Infinity : d === "int32" ? -2147483648 : 0),
  min: (d) => (d === "float32" ? Infinity : d === "int32" ? 2147483647 : d === "bool" ? 1 : 4294967295),
  and: (d) => (d === "bool" ? 1 : -1),
  or: () => 0,
  xor: () => 0,
};

/** `root` with every node in `map` replaced (the graph rebuilt bottom-up through UOp.make). */
function substitute(root: UOp, map: Map<UOp, UOp>): UOp {
  const done = new Map<UOp, UOp>(map);
  for (const u of root.toposort()) {
    if (done.has(u)) continue;
    const src = u.src.map((s) => done.get(s)!);
    done.set(u, src.every((s, i) => s === u.src[i]) ? u : UOp.make(u.op, u.dtype, src, u.arg));
  }
  return done.get(root)!;
}

const rangeArg = (r: UOp) => r.arg as RangeArg;

/**
 * The split of `kernel`, or null when it does not apply (see the file header).
 *
 * @example splitReduce(reduceKernel("sum", x, [0], out))?.partial.size // out.size * 256
 */
export function splitReduce(kernel: Kernel, opts: SplitOptions = {}): SplitReduce | null {
  const { maxOutputs = 2048, minLength = 4096, parts = 256 } = opts;
  if (kernel.sink.src.length !== 1) return null;
  const store = kernel.sink.src[0];
  const [outParam, outIndex, value] = store.src;
  const reduces = value.toposort().filter((u) => u.op === KOp.Reduce);
  if (reduces.length !== 1) return null;
  const red = reduces[0];
  const d = red.dtype;
  if (d !== "float32" && d !== "int32" && d !== "uint32") return null;
  const outRanges = store.freeRanges();
  const outputs = outRanges.reduce((n, r) => n * rangeArg(r).size, 1);
  const ranges = red.src.slice(1);
  if (ranges.length === 0) return null;
  const long = ranges.reduce((a, b) => (rangeArg(b).size > rangeArg(a).size ? b : a));
  const length = ranges.reduce((n, r) => n * rangeArg(r).size, 1);
  const R = rangeArg(long).size;
  if (outputs > maxOutputs || length < minLength || R < 2 * parts) return null;
  const P = parts;
  const C = Math.ceil(R / P);
  const kind = red.arg as ReduceKind;
  const ids = [...kernel.sink.toposort()].filter((u) => u.op === KOp.Range).map((r) => rangeArg(r).id);
  let next = Math.max(...ids) + 1;
  const p = krange(next++, P);
  const c = krange(next++, C, "reduce");
  const q = krange(next++, P, "reduce");
  const r = iadd(imul(p, kconst(C)), c);
  let term = substitute(red.src[0], new Map([[long, r]]));
  if (P * C !== R) term = kalu(Prim.SelectN, d, [kalu(Prim.Lt, "bool", [r, kconst(R)]), kconst(IDENTITY[kind](d), d), term]);
  const partialReduce = kreduce(kind, term, [...ranges.filter((x) => x !== long), c]);
  // Partials laid out [outputs, P], outputs in the store's range order.
  let o = kconst(0);
  for (const x of outRanges) o = iadd(imul(o, kconst(rangeArg(x).size)), x);
  const nParams = kernel.params.length;
  const partial: ParamArg = { index: nParams, dtype: d, size: outputs * P, output: true };
  const pp = kparam(nParams, d, outputs * P, true);
  const partials: Kernel = {
    name: `${kernel.name}_partials`,
    params: [...kernel.params.map((x) => ({ ...x, output: false })), partial],
    sink: ksink([kstore(pp, iadd(imul(o, kconst(P)), p), partialReduce)]),
  };
  const pr = kparam(nParams, d, outputs * P);
  const folded = kreduce(kind, kload(pr, iadd(imul(o, kconst(P)), q)), [q]);
  const fold: Kernel = {
    name: `${kernel.name}_fold`,
    params: [...kernel.params, { ...partial, output: false }],
    sink: ksink([kstore(outParam, outIndex, substitute(value, new Map([[red, folded]])))]),
  };
  return { partials, fold, partial };
}
