/**
 * @file The kernel IR: a small, target-neutral graph of micro-operations (tinygrad's UOp shape:
 * `{op, dtype, src, arg}`), hash-consed so equal subexpressions are one object, which makes
 * CSE free and structural equality an identity test.
 *
 * A kernel computes stores into global buffers. Loop indices are `range` nodes: a store runs once
 * for every value of the ranges its index and value use (outside reductions); a `reduce` node
 * folds its value over the ranges it owns. Index arithmetic, loads, elementwise math (`alu`, whose
 * arg names the elementwise primitive, so every renderer implements exactly the primitive set of
 * the reference backend) and reductions are all the same kind of node. Tiling and vectorization
 * choices are expressed by rewriting ranges (split/unroll/vectorize kinds), not by new node types.
 */
import type { DType, Prim } from "../ir/index.js";

export enum KOp {
  /** A global buffer parameter. arg: {index, dtype, size, output} */
  Param = "param",
  /** A scalar constant. arg: number */
  Const = "const",
  /** A loop index in [0, size). arg: RangeArg */
  Range = "range",
  /** Elementwise math. arg: {prim, params}; src: operands */
  Alu = "alu",
  /** Read buffer[index]. src: [param, index] */
  Load = "load",
  /** Write buffer[index] = value. src: [param, index, value] */
  Store = "store",
  /** Fold value over the ranges in src[1..]. arg: ReduceKind */
  Reduce = "reduce",
  /** The kernel root. src: stores */
  Sink = "sink",
}

/**
 * How a range is run. `parallel` ranges may be split across threads or GPU invocations; `loop`
 * ranges are sequential; `reduce` ranges belong to a reduce node; `unroll`/`vector` are
 * renderer hints (unrolled in code, or the lanes of a SIMD vector).
 */
export type RangeKind = "parallel" | "loop" | "reduce" | "unroll" | "vector";

export interface RangeArg {
  /** Unique per kernel; distinguishes ranges of equal size. */
  readonly id: number;
  readonly size: number;
  readonly kind: RangeKind;
}

export type ReduceKind = "sum" | "prod" | "max" | "min" | "and" | "or" | "xor";

/** Element type of a node: an array dtype, or `index` for address arithmetic (int32). */
export type KDType = DType | "index" | "void";

export interface AluArg {
  readonly prim: Prim;
  readonly params?: object;
}

export interface ParamArg {
  readonly index: number;
  readonly dtype: DType;
  readonly size: number;
  readonly output: boolean;
}

// JSON writes NaN and ±Infinity as null and -0 as 0: spelled out, so such constants stay distinct nodes.
const stable = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    typeof x === "number" && (!Number.isFinite(x) || Object.is(x, -0)) ? `#num:${Object.is(x, -0) ? "-0" : x}`
      : x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x);

let nextId = 0;
const interned = new Map<string, UOp>();

/** A node of the kernel IR. Construct with `UOp.make`; nodes are immutable and interned. */
export class UOp {
  private constructor(
    readonly op: KOp,
    readonly dtype: KDType,
    readonly src: readonly UOp[],
    readonly arg: unknown,
    readonly id: number,
  ) {}

  /**
   * The unique node with these fields.
   *
   * @example UOp.make(KOp.Const, "float32", [], 1) === UOp.make(KOp.Const, "float32", [], 1) // true
   */
  static make(op: KOp, dtype: KDType, src: readonly UOp[], arg: unknown = null): UOp {
    const key = `${op}|${dtype}|${src.map((s) => s.id).join(",")}|${stable(arg)}`;
    let u = interned.get(key);
    if (!u) {
      u = new UOp(op, dtype, Object.freeze([...src]), arg, nextId++);
      interned.set(key, u);
    }
    return u;
  }

  /** This node with some fields changed (itself when nothing changes). */
  replace(fields: { op?: KOp; dtype?: KDType; src?: readonly UOp[]; arg?: unknown }): UOp {
    const op = fields.op ?? this.op;
    const dtype = fields.dtype ?? this.dtype;
    const src = fields.src ?? this.src;
    const arg = "arg" in fields ? fields.arg : this.arg;
    return UOp.make(op, dtype, src, arg);
  }

  /** Every node reachable from this one, dependencies first. */
  toposort(): UOp[] {
    const out: UOp[] = [];
    const seen = new Set<UOp>();
    const stack: [UOp, boolean][] = [[this, false]];
    while (stack.length) {
      const [u, done] = stack.pop()!;
      if (done) {
        out.push(u);
        continue;
      }
      if (seen.has(u)) continue;
      seen.add(u);
      stack.push([u, true]);
      for (let i = u.src.length - 1; i >= 0; i--) if (!seen.has(u.src[i])) stack.push([u.src[i], false]);
    }
    return out;
  }

  /** Ranges this node depends on that no reduce inside it owns (its loop nest). */
  freeRanges(): UOp[] {
    const memo = new Map<UOp, Set<UOp>>();
    const visit = (u: UOp): Set<UOp> => {
      const hit = memo.get(u);
      if (hit) return hit;
      let s: Set<UOp>;
      if (u.op === KOp.Range) s = new Set([u]);
      else {
        s = new Set();
        u.src.forEach((c, i) => {
          if (u.op === KOp.Reduce && i > 0) return;
          for (const r of visit(c)) s.add(r);
        });
        if (u.op === KOp.Reduce) for (const r of u.src.slice(1)) s.delete(r);
      }
      memo.set(u, s);
      return s;
    };
    return [...visit(this)].sort((a, b) => (a.arg as RangeArg).id - (b.arg as RangeArg).id);
  }

  toString(): string {
    return printKernelGraph(this);
  }
}

// ---- constructors, one line each -------------------------------------------------------------

export const kconst = (value: number, dtype: KDType = "index"): UOp => UOp.make(KOp.Const, dtype, [], value);
export const krange = (id: number, size: number, kind: RangeKind = "parallel"): UOp =>
  UOp.make(KOp.Range, "index", [], { id, size, kind } satisfies RangeArg);
export const kparam = (index: number, dtype: DType, size: number, output = false): UOp =>
  UOp.make(KOp.Param, dtype, [], { index, dtype, size, output } satisfies ParamArg);
export const kalu = (prim: Prim, dtype: KDType, src: readonly UOp[], params?: object): UOp =>
  UOp.make(KOp.Alu, dtype, src, params && Object.keys(params).length ? { prim, params } : { prim });
export const kload = (param: UOp, index: UOp): UOp => UOp.make(KOp.Load, param.dtype, [param, index]);
export const kstore = (param: UOp, index: UOp, value: UOp): UOp => UOp.make(KOp.Store, "void", [param, index, value]);
export const kreduce = (kind: ReduceKind, value: UOp, ranges: readonly UOp[]): UOp =>
  UOp.make(KOp.Reduce, value.dtype, [value, ...ranges], kind);
export const ksink = (stores: readonly UOp[]): UOp => UOp.make(KOp.Sink, "void", stores);

/**
 * The free ranges of every node under `root` (ranges owned by a reduce do not escape it): the
 * loop nest each node must be evaluated in, as renderers need it for all nodes at once.
 */
export function freeRangeSets(root: UOp): Map<UOp, Set<UOp>> {
  const m = new Map<UOp, Set<UOp>>();
  for (const u of root.toposort()) {
    const s = new Set<UOp>(u.op === KOp.Range ? [u] : []);
    u.src.forEach((c, i) => {
      if (u.op !== KOp.Reduce || i === 0) for (const r of m.get(c)!) s.add(r);
    });
    if (u.op === KOp.Reduce) for (const r of u.src.slice(1)) s.delete(r);
    m.set(u, s);
  }
  return m;
}

/** A compiled unit of work: buffer parameters and the sink of its stores. */
export interface Kernel {
  readonly name: string;
  readonly params: readonly ParamArg[];
  readonly sink: UOp;
}

/** Prints a node graph one node per line, tinygrad style: `%3 alu add f32 (%1, %2)`. */
export function printKernelGraph(root: UOp): string {
  const nodes = root.toposort();
  const names = new Map(nodes.map((u, i) => [u, `%${i}`]));
  return nodes
    .map((u) => {
      const arg =
        u.op === KOp.Alu ? (u.arg as AluArg).prim : u.op === KOp.Range ? `r${(u.arg as RangeArg).id}<${(u.arg as RangeArg).size} ${(u.arg as RangeArg).kind}` : u.op === KOp.Param ? `buf${(u.arg as ParamArg).index}` : u.arg === null ? "" : String(u.arg);
      const src = u.src.length ? ` (${u.src.map((s) => names.get(s)).join(", ")})` : "";
      return `${names.get(u)} ${u.op} ${arg} ${u.dtype}${src}`.replace(/ +/g, " ");
    })
    .join("\n");
}
