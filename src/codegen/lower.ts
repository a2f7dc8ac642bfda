/**
 * @file Lowering a Program to kernels: fusion of elementwise chains, shape views (broadcast,
 * reshape, transpose, slice, pad, concatenate...) and reductions (with their elementwise
 * prologues, and epilogues that do not broadcast them) into kernel-IR kernels. Primitives that
 * are not fused (contractions, convolution, gather/scatter, sort, control flow...) stay as calls
 * that a backend runs with a dedicated implementation.
 *
 * Each value is either a buffer or a *lazy* value: a function from an output multi-index to the
 * kernel-IR node computing that element. A lazy value is materialized (stored by a kernel) when
 * the program returns it, a call needs it, or several consumers share it.
 *
 * It lives in codegen, not passes, because it needs only the IR and the kernel IR, and backends
 * (which may import codegen but never passes) lower the Programs they are asked to compile.
 */
import {
  type Atom, BINARY_PRIMS, COMPARE_PRIMS, type Eqn, Prim, type PrimParams, type Program, type ShapedArray, UNARY_PRIMS,
  Var,
} from "../ir/index.js";
import {
  type Kernel, type ParamArg, type ReduceKind, type UOp, kalu, kconst, kload, kparam, krange, kreduce, kstore, ksink,
} from "./kernel-ir.js";
import { flatIndex, iadd, idiv, imod, imul, isub, unflatIndex } from "./index-expr.js";

/**
 * What a contraction call applies to its result before storing it: `out = act(dot + bias)`,
 * where the bias (the call's last input, `[N]`) is added along the last axis. Only relu is
 * fused as an activation: its result is exact, so fusing it changes no value.
 */
export interface Epilogue {
  readonly bias: boolean;
  readonly activation: "none" | "relu";
}

/** One step of a lowered program. Buffer ids: 0..nIn-1 are the program's inputs (consts first). */
export type Step =
  | { readonly kind: "kernel"; readonly kernel: Kernel; readonly buffers: readonly number[] }
  | {
    readonly kind: "call"; readonly eqn: Eqn; readonly inputs: readonly number[]; readonly outputs: readonly number[];
    /** Only on float32 dot_general calls, and only when `LowerOptions.gemmEpilogues` allows it. */
    readonly epilogue?: Epilogue;
  };

export interface LowerOptions {
  /**
   * Fuse a bias add along the last axis and a relu that follow a float32 dot_general into the
   * call (`Step.epilogue`), for backends whose GEMM applies them while storing its result.
   */
  readonly gemmEpilogues?: boolean;
}

export interface Lowered {
  readonly steps: readonly Step[];
  /** Aval of every buffer id. */
  readonly buffers: readonly ShapedArray[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

interface Lazy {
  readonly aval: ShapedArray;
  /** Element at a multi-index; `bufs` collects the buffers it reads. */
  at(idx: readonly UOp[], reads: Map<number, UOp>): UOp;
  /** Whether it contains a reduction (so broadcasting it would recompute the reduction). */
  readonly reduces: boolean;
}

const ELEMENTWISE = new Set<Prim>([
  ...UNARY_PRIMS, ...BINARY_PRIMS, ...COMPARE_PRIMS, Prim.SelectN, Prim.Clamp, Prim.ConvertElementType,
  Prim.IntegerPow, Prim.Round, Prim.Copy, Prim.StopGradient,
]);
const VIEWS = new Set<Prim>([
  Prim.BroadcastInDim, Prim.Reshape, Prim.Transpose, Prim.Squeeze, Prim.ExpandDims, Prim.Rev, Prim.Slice, Prim.Pad,
  Prim.Concatenate, Prim.Iota,
]);
const REDUCES: Partial<Record<Prim, ReduceKind>> = {
  [Prim.ReduceSum]: "sum", [Prim.ReduceProd]: "prod", [Prim.ReduceMax]: "max", [Prim.ReduceMin]: "min",
  [Prim.ReduceAnd]: "and", [Prim.ReduceOr]: "or", [Prim.ReduceXor]: "xor",
};

/** Whether the lowering fuses this primitive into kernels. */
export const isFusible = (p: Prim): boolean => ELEMENTWISE.has(p) || VIEWS.has(p) || p in REDUCES;

/** A select that never evaluates an out-of-range index: the index itself is clamped first. */
const selectIdx = (ok: UOp, i: UOp): UOp => kalu(Prim.SelectN, "index", [ok, kconst(0), i]);
const and = (a: UOp | null, b: UOp): UOp => (a ? kalu(Prim.And, "bool", [a, b]) : b);

/** Higher-order primitives that only call their sub-program (evaluating them = evaluating it). */
const CALLS = new Set<Prim>([Prim.Pjit, Prim.CustomJvpCall, Prim.CustomVjpCall, Prim.Remat]);

/**
 * `program` with every nested call (pjit, customJvp/customVjp calls, remat) replaced by the
 * equations of its sub-program, so fusion sees across call boundaries. Inlined equations get
 * fresh output variables: one sub-program may be inlined several times.
 *
 * @example inlineCalls(makeJaxpr(jit(f))(x).program).eqns.some((e) => e.prim === Prim.Pjit) // false
 */
export function inlineCalls(program: Program): Program {
  if (!program.eqns.some((e) => CALLS.has(e.prim))) return program;
  const eqns: Eqn[] = [];
  const walk = (p: Program, env: Map<Var, Atom>): Atom[] => {
    const sub = (a: Atom): Atom => (a.kind === "var" ? env.get(a) ?? a : a);
    for (const e of p.eqns) {
      const inputs = e.inputs.map(sub);
      if (CALLS.has(e.prim)) {
        const inner = (e.params as PrimParams[Prim.Pjit]).program;
        const innerEnv = new Map<Var, Atom>();
        [...inner.constVars, ...inner.inVars].forEach((v, i) => innerEnv.set(v, inputs[i]));
        walk(inner, innerEnv).forEach((a, i) => env.set(e.outs[i], a));
        continue;
      }
      const outs = e.outs.map((v) => {
        const fresh = new Var(v.aval);
        env.set(v, fresh);
        return fresh;
      });
      eqns.push({ ...e, inputs, outs });
    }
    return p.outs.map(sub);
  };
  const outs = walk(program, new Map());
  return { constVars: program.constVars, inVars: program.inVars, eqns, outs };
}

/**
 * Lowers `program` to kernels and calls (nested calls are inlined first).
 *
 * @example lower(makeJaxpr(f)(x).program).steps.length // number of kernels + calls
 */
export function lower(original: Program, opts: LowerOptions = {}): Lowered {
  const program = inlineCalls(original);
  const buffers: ShapedArray[] = [];
  const newBuffer = (a: ShapedArray) => buffers.push(a) - 1;
  const steps: Step[] = [];
  const bufOf = new Map<Var, number>();
  const lazyOf = new Map<Var, Lazy>();
  let rangeId = 0;

  const inputs = [...program.constVars, ...program.inVars].map((v) => {
    const b = newBuffer(v.aval);
    bufOf.set(v, b);
    return b;
  });

  const uses = new Map<Var, number>();
  const use = (a: Eqn["inputs"][number]) => a.kind === "var" && uses.set(a, (uses.get(a) ?? 0) + 1);
  program.eqns.forEach((e) => e.inputs.forEach(use));
  const outputVars = new Set(program.outs.filter((o) => o.kind === "var") as Var[]);

  const bufferLazy = (b: number): Lazy => ({
    aval: buffers[b],
    reduces: false,
    at: (idx, reads) => {
      let p = reads.get(b);
      if (!p) reads.set(b, (p = kparam(b, buffers[b].dtype, buffers[b].size)));
      return kload(p, flatIndex(idx, buffers[b].shape));
    },
  });

  const lazy = (a: Eqn["inputs"][number]): Lazy => {
    if (a.kind === "lit") {
      const c = kconst(a.value, a.aval.dtype);
      return { aval: a.aval, reduces: false, at: () => c };
    }
    const b = bufOf.get(a);
    if (b !== undefined) return bufferLazy(b);
    return lazyOf.get(a)!;
  };

  /** Stores a lazy value into a new buffer with one kernel. */
  const materialize = (v: Var, l: Lazy, name: string): number => {
    const out = newBuffer(v.aval);
    const reads = new Map<number, UOp>();
    const ranges = v.aval.shape.map((d) => krange(rangeId++, d));
    const value = l.at(ranges, reads);
    const outParam = kparam(out, v.aval.dtype, v.aval.size, true);
    const store = kstore(outParam, flatIndex(ranges, v.aval.shape), value);
    const ids = [...reads.keys(), out];
    const params: ParamArg[] = ids.map((b, i) => ({ index: i, dtype: buffers[b].dtype, size: buffers[b].size, output: b === out }));
    // Renumber params densely: kernel param i is buffer ids[i].
    const renumber = new Map(ids.map((b, i) => [b, i]));
    const remap = (u: UOp): UOp => {
      const memo = new Map<UOp, UOp>();
      const go = (x: UOp): UOp => {
        let r = memo.get(x);
        if (r) return r;
        if (x.op === "param") {
          const arg = x.arg as ParamArg;
          r = kparam(renumber.get(arg.index)!, arg.dtype, arg.size, arg.output);
        } else r = x.replace({ src: x.src.map(go) });
        memo.set(x, r);
        return r;
      };
      return go(u);
    };
    steps.push({ kind: "kernel", kernel: { name, params, sink: remap(ksink([store])) }, buffers: ids });
    bufOf.set(v, out);
    return out;
  };

  const bufferFor = (a: Eqn["inputs"][number], name: string): number => {
    if (a.kind === "lit") return materialize(new Var(a.aval), lazy(a), name);
    const b = bufOf.get(a);
    return b ?? materialize(a, lazyOf.get(a)!, name);
  };

  const producer = new Map<Var, Eqn>();
  program.eqns.forEach((e) => e.outs.forEach((v) => producer.set(v, e)));
  /** Call steps by their single output buffer (for epilogue fusion). */
  const callOf = new Map<number, number>();
  const inputSet = new Set(inputs);

  /**
   * Folds `e` (a bias add or a relu) into the dot_general call that produces one of its
   * operands, when that operand is read nowhere else; true when it did.
   */
  const fuseEpilogue = (e: Eqn): boolean => {
    if (!opts.gemmEpilogues || (e.prim !== Prim.Add && e.prim !== Prim.Max) || e.outs[0].aval.dtype !== "float32") return false;
    for (const [i, a] of e.inputs.entries()) {
      const other = e.inputs[1 - i];
      if (a.kind !== "var" || outputVars.has(a) || uses.get(a) !== 1 || !a.aval.equals(e.outs[0].aval)) continue;
      const out = bufOf.get(a);
      const t = out === undefined ? undefined : callOf.get(out);
      if (t === undefined) continue;
      const step = steps[t] as Extract<Step, { kind: "call" }>;
      const ep = step.epilogue ?? { bias: false, activation: "none" };
      if (ep.activation !== "none") continue;
      let biasBuf: number | undefined;
      if (e.prim === Prim.Max) {
        if (other.kind !== "lit" || other.value !== 0) continue;
      } else {
        if (ep.bias || other.kind !== "var") continue;
        const b = producer.get(other);
        const shape = a.aval.shape;
        if (b?.prim !== Prim.BroadcastInDim || b.inputs[0].kind !== "var" || b.inputs[0].aval.dtype !== "float32") continue;
        const { broadcastDimensions } = b.params as PrimParams[Prim.BroadcastInDim];
        if (b.inputs[0].aval.ndim !== 1 || broadcastDimensions[0] !== shape.length - 1 || b.inputs[0].aval.shape[0] !== shape[shape.length - 1]) continue;
        // The bias must exist before the call runs: a program input or an earlier step's result.
        biasBuf = bufOf.get(b.inputs[0]);
        if (biasBuf === undefined || !(inputSet.has(biasBuf) || steps.slice(0, t).some((s) => (s.kind === "call" ? s.outputs : s.buffers).includes(biasBuf!)))) continue;
      }
      steps[t] = {
        ...step,
        inputs: biasBuf === undefined ? step.inputs : [...step.inputs, biasBuf],
        epilogue: { bias: ep.bias || biasBuf !== undefined, activation: e.prim === Prim.Max ? "relu" : "none" },
      };
      bufOf.set(e.outs[0], out!);
      return true;
    }
    return false;
  };

  for (const e of program.eqns) {
    if (fuseEpilogue(e)) continue;
    if (!isFusible(e.prim)) {
      const ins = e.inputs.map((a) => bufferFor(a, `${e.prim}_input`));
      const outs = e.outs.map((v) => {
        const b = newBuffer(v.aval);
        bufOf.set(v, b);
        return b;
      });
      steps.push({ kind: "call", eqn: e, inputs: ins, outputs: outs });
      if (e.prim === Prim.DotGeneral && outs.length === 1 && e.inputs.every((a) => a.aval.dtype === "float32")) callOf.set(outs[0], steps.length - 1);
      continue;
    }
    const ins = e.inputs.map((a) => {
      const l = lazy(a);
      // Broadcasting a reduction would recompute it per element: store it first.
      if (l.reduces && e.prim === Prim.BroadcastInDim && a.kind === "var") return bufferLazy(bufferFor(a, "reduce"));
      return l;
    });
    const out = e.outs[0];
    const l = fuse(e, ins, () => rangeId++);
    lazyOf.set(out, l);
    if (outputVars.has(out) || (uses.get(out) ?? 0) > 1) materialize(out, l, kernelName(e));
  }

  const outputs = program.outs.map((o) => bufferFor(o, "output"));
  return { steps, buffers, inputs, outputs };
}

const kernelName = (e: Eqn) => `fused_${e.prim}`;

/** The lazy value of a fusible equation from its operands' lazy values. */
function fuse(e: Eqn, ins: readonly Lazy[], nextRange: () => number): Lazy {
  const aval = e.outs[0].aval;
  const reduces = ins.some((l) => l.reduces);
  const make = (at: Lazy["at"], r = reduces): Lazy => ({ aval, reduces: r, at });
  const p = e.prim;
  if (ELEMENTWISE.has(p)) {
    if (p === Prim.Copy || p === Prim.StopGradient) return ins[0];
    // Rank-0 operands broadcast against full-rank ones (the only broadcasting primitives allow).
    return make((idx, reads) => {
      const src = ins.map((l) => l.at(l.aval.ndim === 0 ? [] : idx, reads));
      return kalu(p, aval.dtype, src, e.params as object);
    });
  }
  const [x] = ins;
  switch (p) {
    case Prim.BroadcastInDim: {
      const { broadcastDimensions: bd } = e.params as PrimParams[Prim.BroadcastInDim];
      return make((idx, reads) => x.at(bd.map((d, i) => (x.aval.shape[i] === 1 ? kconst(0) : idx[d])), reads));
    }
    case Prim.Reshape:
    case Prim.Squeeze:
    case Prim.ExpandDims:
      return make((idx, reads) => x.at(unflatIndex(flatIndex(idx, aval.shape), x.aval.shape), reads));
    case Prim.Transpose: {
      const { permutation } = e.params as PrimParams[Prim.Transpose];
      return make((idx, reads) => {
        const src = new Array<UOp>(idx.length);
        permutation.forEach((pp, i) => (src[pp] = idx[i]));
        return x.at(src, reads);
      });
    }
    case Prim.Rev: {
      const { dimensions } = e.params as PrimParams[Prim.Rev];
      return make((idx, reads) => x.at(idx.map((i, d) => (dimensions.includes(d) ? isub(kconst(aval.shape[d] - 1), i) : i)), reads));
    }
    case Prim.Slice: {
      const { startIndices, strides } = e.params as PrimParams[Prim.Slice];
      return make((idx, reads) => x.at(idx.map((i, d) => iadd(imul(i, kconst(strides ? strides[d] : 1)), kconst(startIndices[d]))), reads));
    }
    case Prim.Pad: {
      const { paddingConfig } = e.params as PrimParams[Prim.Pad];
      const v = ins[1];
      return make((idx, reads) => {
        let ok: UOp | null = null;
        const src = idx.map((i, d) => {
          const [lo, , interior] = paddingConfig[d];
          const n = x.aval.shape[d];
          if (lo === 0 && interior === 0 && aval.shape[d] === n) return i;
          // position p = i - lo must be >= 0, a multiple of (interior + 1), and inside the operand
          const pShift = iadd(i, kconst(-lo));
          const step = interior + 1;
          const q = idiv(pShift, step);
          const conds = [
            kalu(Prim.Ge, "bool", [pShift, kconst(0)]),
            kalu(Prim.Lt, "bool", [q, kconst(n)]),
            ...(step > 1 ? [kalu(Prim.Eq, "bool", [imod(pShift, step), kconst(0)])] : []),
          ];
          for (const c of conds) ok = and(ok, c);
          return q;
        });
        if (!ok) return x.at(src, reads);
        // Only padded axes need a safe index (unpadded ones are always in range), so a read stays
        // contiguous along an unpadded innermost axis and vectorizes.
        const safe = src.map((s, d) => (s === idx[d] ? s : selectIdx(ok!, s)));
        return kalu(Prim.SelectN, aval.dtype, [ok, v.at([], reads), x.at(safe, reads)]);
      });
    }
    case Prim.Concatenate: {
      const { dimension } = e.params as PrimParams[Prim.Concatenate];
      return make((idx, reads) => {
        let offset = 0;
        let value: UOp | null = null;
        for (const l of ins) {
          const n = l.aval.shape[dimension];
          const lo = offset;
          offset += n;
          const local = isub(idx[dimension], kconst(lo));
          const inside = and(kalu(Prim.Ge, "bool", [idx[dimension], kconst(lo)]), kalu(Prim.Lt, "bool", [idx[dimension], kconst(lo + n)]));
          const src = idx.map((i, d) => (d === dimension ? selectIdx(inside, local) : i));
          const here = l.at(src, reads);
          value = value ? kalu(Prim.SelectN, aval.dtype, [inside, value, here]) : here;
        }
        return value!;
      });
    }
    case Prim.Iota: {
      const { dimension, dtype } = e.params as PrimParams[Prim.Iota];
      return make((idx) => kalu(Prim.ConvertElementType, dtype, [idx[dimension]], { newDtype: dtype, weakType: false }), false);
    }
    default: {
      const kind = REDUCES[p];
      if (!kind) throw new Error(`internal: '${p}' is not fusible`);
      const { axes } = e.params as PrimParams[Prim.ReduceSum];
      // One reduction per output index expression, however often a consumer reads it.
      const memos = new WeakMap<Map<number, UOp>, Map<string, UOp>>();
      return make((idx, reads) => {
        let memo = memos.get(reads);
        if (!memo) memos.set(reads, (memo = new Map()));
        const key = idx.map((i) => i.id).join(",");
        const hit = memo.get(key);
        if (hit) return hit;
        let k = 0;
        const rs = axes.map((a) => krange(nextRange(), x.aval.shape[a], "reduce"));
        const src = x.aval.shape.map((_, d) => (axes.includes(d) ? rs[axes.indexOf(d)] : idx[k++]));
        const r = kreduce(kind, x.at(src, reads), rs);
        memo.set(key, r);
        return r;
      }, true);
    }
  }
}

