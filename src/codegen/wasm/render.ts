/**
 * @file Kernel IR -> the body of one WebAssembly function `kernel(ptr0, ptr1, ...)` taking the
 * byte offset of every param buffer. Each store runs its own loop nest over its free ranges
 * (row-major, by range id); reductions are inner loops folding into a local accumulator.
 * Nodes are emitted at the outermost loop where all their ranges are open (loop-invariant code
 * is hoisted) and memoized per loop scope.
 *
 * The innermost free range is vectorized (f32x4 / i32x4, scalar tail) when the store's index is
 * contiguous in it, its dtype is 32-bit and nothing that varies along it is float64: contiguous
 * loads become v128 loads, invariant operands are splatted once, other loads are gathered lane
 * by lane. Float32 sums accumulate in float32 in the order of the loops (the reference
 * interpreter accumulates in float64), so results differ by a rounding error that grows with
 * the reduction length. Elementwise semantics follow the reference interpreter
 * (src/backend/reference/kernel-interpreter.ts); integer_pow on ints and round(away_from_zero)
 * on float64 follow elementwise.ts (XLA) where the two differ.
 */
import { type DType, Prim, type PrimParams } from "../../ir/index.js";
import { type AluArg, type KDType, KOp, type Kernel, type ParamArg, type RangeArg, type ReduceKind, UOp, freeRangeSets } from "../kernel-ir.js";
import { Op, Simd, ValType } from "./binary-emitter.js";
import { Fn, type ModuleCtx, Ops, type Ty, type Val } from "./ops.js";

type Rule = (o: Ops, xs: Val[], d: KDType, u: UOp) => Val;

const tyOf = (d: KDType): Ty => {
  if (d === "float32") return "f32";
  if (d === "float64") return "f64";
  if (d === "int32" || d === "uint32" || d === "bool" || d === "index") return "i32";
  throw new Error(`wasm renderer: dtype '${d}' is not supported (float16 kernels run on other backends)`);
};
const isF = (d: KDType) => d === "float32" || d === "float64";
const isU = (d: KDType) => d === "uint32" || d === "bool";
const TRUE = (o: Ops) => o.i(o.vec ? -1 : 1);
/** A bool mask as the integers 0/1. */
const toInt = (o: Ops, m: Val) => (o.vec ? o.un("neg", m) : m);
const unsignedName = <N extends string>(n: N, d: KDType) => (isU(d) ? (`${n}U` as const) : n);

/** A float transcendental: a wasm helper for float32, a float64 host call otherwise. */
const math = (name: string, host = name): Rule => (o, xs, d) => (d === "float32" ? o.call(name, xs) : o.host(host, xs));
const host = (name: string): Rule => (o, xs) => o.host(name, xs);
const float = (f: Rule, int: Rule): Rule => (o, xs, d, u) => (isF(d) ? f(o, xs, d, u) : int(o, xs, d, u));
const bin = (name: Parameters<Ops["bin"]>[0]): Rule => (o, [a, b]) => o.bin(name, a, b);
const cmp = (name: "lt" | "le" | "gt" | "ge"): Rule => (o, [a, b], d) => o.bin(unsignedName(name, d), a, b);
const byLanes = (f: Rule): Rule => (o, xs, d, u) => (o.vec ? o.lanes(xs, xs[0].t, (ys) => f(o.s, ys, d, u)) : f(o, xs, d, u));

const intDiv: Rule = byLanes((o, [a, b], d) => {
  const zero = o.bin("eq", b, o.i(0));
  if (isU(d)) return o.sel(zero, o.i(-1), o.bin("divU", a, o.sel(zero, o.i(1), b)));
  // x/0 = -1 and INT_MIN/-1 = INT_MIN (as x/1) instead of trapping.
  const overflow = o.bin("and", o.bin("eq", a, o.i(-0x80000000)), o.bin("eq", b, o.i(-1)));
  return o.sel(zero, o.i(-1), o.bin("divS", a, o.sel(o.bin("or", zero, overflow), o.i(1), b)));
});
const intRem: Rule = byLanes((o, [a, b], d) => {
  const zero = o.bin("eq", b, o.i(0));
  return o.sel(zero, a, o.bin(isU(d) ? "remU" : "remS", a, o.sel(zero, o.i(1), b)));
});
const shift = (name: "shl" | "shrU" | "shrS"): Rule => (o, [a, b], _d, u) => {
  // A constant count in range is one SIMD shift; a varying count runs lane by lane.
  const n = u.src[1];
  if (n.op === KOp.Const && (n.arg as number) >= 0 && (n.arg as number) < 32) return o.shift(name, a, n.arg as number);
  const inRange = o.bin("ltU", b, o.i(32));
  return o.sel(inRange, o.bin(name, a, b), name === "shrS" ? o.shift("shrS", a, 31) : o.i(0));
};
const intPow = (o: Ops, x: Val, y: number, d: KDType): Val => {
  let acc: Val | null = null;
  let base = x;
  for (let n = Math.abs(y); n > 0; n >>= 1) {
    if (n & 1) acc = acc ? o.bin("mul", acc, base) : base;
    if (n > 1) base = o.bin("mul", base, base);
  }
  const one = x.t === "i32" ? o.i(1) : o.f(1, x.t);
  const p = acc ?? one;
  if (y >= 0) return p;
  if (isF(d)) return o.bin("div", one, p);
  // XLA: 1 / x^n truncated, and -1 where x^n is 0.
  const pm1 = o.bin("eq", p, o.i(-1));
  return o.sel(o.bin("eq", p, o.i(0)), o.i(-1), o.sel(o.bin("eq", p, o.i(1)), one, o.sel(pm1, p, o.i(0))));
};

function convert(o: Ops, x: Val, from: KDType, to: DType): Val {
  if (to === "bool") return from === "bool" ? x : o.bin("ne", x, isF(from) ? o.f(0, x.t) : o.i(0));
  const t = tyOf(to);
  if (from === "bool") return isF(to) ? o.cvt(toInt(o, x), t) : toInt(o, x);
  if (isF(from) && isF(to)) return o.cvt(x, t);
  if (isF(from)) return o.cvt(x, "i32", to === "uint32");
  return isF(to) ? o.cvt(x, t, from === "uint32") : x;
}

/** Code for every `alu` primitive, over scalar or vector `Ops`. `d` is the first operand's dtype. */
export const codeForOp: Record<string, Rule> = {
  [Prim.Neg]: (o, [x]) => o.un("neg", x),
  [Prim.Sign]: (o, [x], d) => {
    if (isF(d)) return o.sel(o.bin("gt", o.un("abs", x), o.f(0, x.t)), o.bin("copysign", o.f(1, x.t), x), x);
    if (isU(d)) return toInt(o, o.bin("ne", x, o.i(0)));
    return o.bin("sub", toInt(o, o.bin("gt", x, o.i(0))), toInt(o, o.bin("lt", x, o.i(0))));
  },
  [Prim.Floor]: (o, [x]) => o.un("floor", x),
  [Prim.Ceil]: (o, [x]) => o.un("ceil", x),
  [Prim.Round]: (o, [x], d, u) => {
    if (!isF(d)) return x;
    if ((arg(u).params as PrimParams[Prim.Round]).method === "to_nearest_even") return o.un("nearest", x);
    const t = o.un("trunc", x);
    const half = o.bin("ge", o.un("abs", o.bin("sub", x, t)), o.f(0.5, x.t));
    return o.bin("add", t, o.bin("copysign", o.sel(half, o.f(1, x.t), o.f(0, x.t)), x));
  },
  [Prim.Abs]: (o, [x], d) => (isU(d) ? x : o.un("abs", x)),
  [Prim.Exp]: math("exp"),
  [Prim.Exp2]: math("exp2"),
  [Prim.Log]: math("log"),
  [Prim.Log1p]: math("log1p"),
  [Prim.Expm1]: math("expm1"),
  [Prim.Sqrt]: (o, [x]) => o.un("sqrt", x),
  [Prim.Rsqrt]: (o, [x]) => o.bin("div", o.f(1, x.t), o.un("sqrt", x)),
  [Prim.Cbrt]: math("cbrt"),
  [Prim.Sin]: math("sin"),
  [Prim.Cos]: math("cos"),
  [Prim.Tan]: math("tan"),
  [Prim.Asin]: math("asin"),
  [Prim.Acos]: math("acos"),
  [Prim.Atan]: math("atan"),
  [Prim.Sinh]: math("sinh"),
  [Prim.Cosh]: math("cosh"),
  [Prim.Tanh]: math("tanh"),
  [Prim.Asinh]: math("asinh"),
  [Prim.Acosh]: math("acosh"),
  [Prim.Atanh]: math("atanh"),
  [Prim.Logistic]: math("logistic"),
  [Prim.Erf]: math("erf"),
  [Prim.Erfc]: math("erfc"),
  [Prim.ErfInv]: math("erf_inv"),
  [Prim.Lgamma]: host("lgamma"),
  [Prim.Digamma]: host("digamma"),
  [Prim.Square]: (o, [x]) => o.bin("mul", x, x),
  [Prim.IsFinite]: (o, [x], d) => (isF(d) ? o.bin("lt", o.un("abs", x), o.f(Infinity, x.t)) : TRUE(o)),
  [Prim.Not]: (o, [x], d) => o.bin("xor", x, d === "bool" ? TRUE(o) : o.i(-1)),
  [Prim.Add]: (o, [a, b], d) => o.bin(d === "bool" ? "or" : "add", a, b),
  [Prim.Sub]: (o, [a, b], d) => o.bin(d === "bool" ? "xor" : "sub", a, b),
  [Prim.Mul]: (o, [a, b], d) => o.bin(d === "bool" ? "and" : "mul", a, b),
  [Prim.Div]: float(bin("div"), intDiv),
  [Prim.Rem]: float(host("rem"), intRem),
  [Prim.Pow]: (o, xs, d) => (d === "float32" ? o.call("pow", xs) : o.host(d === "float64" ? "pow" : d === "uint32" ? "pow_u32" : "pow_i32", xs, d === "uint32")),
  [Prim.Max]: (o, [a, b], d) => o.bin(isF(d) ? "max" : unsignedName("max", d), a, b),
  [Prim.Min]: (o, [a, b], d) => o.bin(isF(d) ? "min" : unsignedName("min", d), a, b),
  [Prim.Atan2]: math("atan2"),
  [Prim.Nextafter]: (o, xs, d) => o.host(d === "float32" ? "nextafter_f32" : "nextafter", xs),
  [Prim.And]: bin("and"),
  [Prim.Or]: bin("or"),
  [Prim.Xor]: bin("xor"),
  [Prim.ShiftLeft]: shift("shl"),
  [Prim.ShiftRightLogical]: shift("shrU"),
  [Prim.ShiftRightArithmetic]: shift("shrS"),
  [Prim.Eq]: bin("eq"),
  [Prim.Ne]: bin("ne"),
  [Prim.Lt]: cmp("lt"),
  [Prim.Le]: cmp("le"),
  [Prim.Gt]: cmp("gt"),
  [Prim.Ge]: cmp("ge"),
  [Prim.SelectN]: (o, [which, ...cases], d) => {
    if (d === "bool") return o.sel(which, cases[1], cases[0]);
    let r = cases[0];
    for (let k = 1; k < cases.length; k++) r = o.sel(o.bin("ge", which, o.i(k)), cases[k], r);
    return r;
  },
  [Prim.Clamp]: (o, [lo, x, hi], d) =>
    o.bin(isF(d) ? "min" : unsignedName("min", d), o.bin(isF(d) ? "max" : unsignedName("max", d), x, lo), hi),
  [Prim.ConvertElementType]: (o, [x], d, u) => convert(o, x, d, (arg(u).params as PrimParams[Prim.ConvertElementType]).newDtype),
  [Prim.IntegerPow]: (o, [x], d, u) => intPow(o, x, (arg(u).params as PrimParams[Prim.IntegerPow]).y, d),
};

const arg = (u: UOp) => u.arg as AluArg;
const LOG2_SIZE: Record<string, number> = { f32: 2, f64: 3, i32: 2, bool: 0 };
const INIT: Record<ReduceKind, (d: KDType) => number> = {
  sum: () => 0,
  prod: () => 1,
  max: (d) => (isF(d) ? -Infinity : d === "int32" ? -0x80000000 : 0),
  min: (d) => (isF(d) ? Infinity : d === "int32" ? 0x7fffffff : d === "bool" ? 1 : -1),
  and: (d) => (d === "bool" ? 1 : -1),
  or: () => 0,
  xor: () => 0,
};
const COMBINE: Record<ReduceKind, (d: KDType) => Parameters<Ops["bin"]>[0]> = {
  sum: (d) => (d === "bool" ? "or" : "add"),
  prod: (d) => (d === "bool" ? "and" : "mul"),
  max: (d) => (isF(d) ? "max" : unsignedName("max", d)),
  min: (d) => (isF(d) ? "min" : unsignedName("min", d)),
  and: () => "and",
  or: () => "or",
  xor: () => "xor",
};

/** Whether `e` is `v + (something independent of v)`: a stride-1 index. */
function contiguous(e: UOp, v: UOp, dep: (u: UOp) => boolean): boolean {
  if (e === v) return true;
  if (e.op !== KOp.Alu || e.dtype !== "index") return false;
  const [a, b] = e.src;
  const p = arg(e).prim;
  if (p === Prim.Add) return dep(a) !== dep(b) && contiguous(dep(a) ? a : b, v, dep);
  if (p === Prim.Sub) return !dep(b) && contiguous(a, v, dep);
  return false;
}

/** Renders `kernel` as the function body; helpers and host imports are requested from `mod`. */
export function renderKernel(kernel: Kernel, mod: ModuleCtx): Fn {
  const fn = new Fn(kernel.params.map(() => ValType.I32));
  const code = fn.code;
  const S = new Ops(fn, false, mod);
  const V = new Ops(fn, true, mod);
  const deps = freeRangeSets(kernel.sink);
  const scopes: Map<string, Val>[] = [new Map()];
  const open = new Set<UOp>();
  let vrange: UOp | null = null; // the range vectorized in the current loop, if any
  const dependsOnV = (u: UOp) => vrange !== null && deps.get(u)!.has(vrange);
  const lookup = (k: string) => {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const v = scopes[i].get(k);
      if (v) return v;
    }
    return undefined;
  };
  const remember = (k: string, v: Val) => (scopes[scopes.length - 1].set(k, v), v);

  const address = (param: UOp, index: UOp) => {
    const p = param.arg as ParamArg;
    const idx = value(index, false);
    code.get(p.index).get(idx.l);
    const sh = LOG2_SIZE[p.dtype === "bool" ? "bool" : tyOf(p.dtype)];
    if (sh) code.i32(sh).op(Op.i32Shl);
    code.op(Op.i32Add);
  };
  const scalarLoad = (o: Ops, param: UOp, index: UOp): Val => {
    const d = (param.arg as ParamArg).dtype;
    address(param, index);
    const t = tyOf(d);
    code.mem(d === "bool" ? Op.i32Load8U : t === "f32" ? Op.f32Load : t === "f64" ? Op.f64Load : Op.i32Load, LOG2_SIZE[d === "bool" ? "bool" : t]);
    return o.pop(t, false);
  };

  /** The value of `u`, in vector form when `vec` and it varies along the vectorized range. */
  function value(u: UOp, vec: boolean): Val {
    if (vec && !dependsOnV(u)) {
      // An invariant operand of a vector node: splatted by Ops, except constants (v128.const)
      // and bools, which become masks.
      const hit = lookup(`${u.id}v`);
      if (hit) return hit;
      if (u.op === KOp.Const) return remember(`${u.id}v`, V.f(u.dtype === "bool" && u.arg ? -1 : (u.arg as number), tyOf(u.dtype)));
      if (u.dtype !== "bool") return value(u, false);
      return remember(`${u.id}v`, V.un("neg", V.splat(value(u, false))));
    }
    const key = `${u.id}${vec ? "v" : "s"}`;
    const hit = lookup(key);
    if (hit) return hit;
    const o = vec ? V : S;
    switch (u.op) {
      case KOp.Const:
        return remember(key, o.f(u.arg as number, tyOf(u.dtype)));
      case KOp.Range: {
        if (!vec) throw new Error(`internal: range r${(u.arg as RangeArg).id} used outside its loop`);
        // Only the vectorized range is reached here un-memoized: its lanes are i, i+1, i+2, i+3.
        const base = value(u, false);
        code.get(base.l).simd(Simd.i32x4Splat).simd(Simd.const, ...[0, 1, 2, 3].flatMap((k) => [k, 0, 0, 0])).simd(Simd.i32x4Add);
        return remember(key, V.pop("i32"));
      }
      case KOp.Load: {
        const [param, index] = u.src;
        if (!vec) return remember(key, scalarLoad(S, param, index));
        const d = (param.arg as ParamArg).dtype;
        if (d !== "bool" && contiguous(index, vrange!, dependsOnV)) {
          address(param, index);
          code.simdMem(Simd.load, 2);
          return remember(key, V.pop(tyOf(d)));
        }
        // A gather: lane by lane, with the index vector's lanes as scalar indices.
        const idx = value(index, true);
        const r = V.lanes([idx], tyOf(d), ([i]) => {
          const t = tyOf(d);
          code.get((param.arg as ParamArg).index).get(i.l);
          if (d !== "bool") code.i32(2).op(Op.i32Shl);
          code.op(Op.i32Add).mem(d === "bool" ? Op.i32Load8U : t === "f32" ? Op.f32Load : Op.i32Load, d === "bool" ? 0 : 2);
          return S.pop(t);
        });
        return remember(key, d === "bool" ? V.un("neg", r) : r);
      }
      case KOp.Alu: {
        const rule = codeForOp[arg(u).prim];
        if (!rule) throw new Error(`wasm renderer: no code for alu primitive '${arg(u).prim}'`);
        const xs = u.src.map((s) => value(s, vec));
        const d = u.src[0]?.dtype ?? u.dtype;
        return remember(key, rule(o, xs, d === "index" ? "int32" : d, u));
      }
      case KOp.Reduce:
        return remember(key, reduce(u, o));
      default:
        throw new Error(`internal: cannot render kernel node '${u.op}' as a value`);
    }
  }

  function reduce(u: UOp, o: Ops): Val {
    const kind = u.arg as ReduceKind;
    const d = u.dtype;
    const init = INIT[kind](d);
    const acc = d === "bool" && init !== 0 ? TRUE(o) : o.f(init, tyOf(d));
    loops(u.src.slice(1), [u.src[0]], () => {
      const x = value(u.src[0], o.vec);
      code.get(o.bin(COMBINE[kind](d), acc, x).l).set(acc.l);
    });
    return acc;
  }

  /** Emits every not-yet-emitted node of `roots` whose ranges are all open (hoisting). */
  function hoist(roots: readonly UOp[]) {
    for (const r of roots)
      for (const u of r.toposort()) {
        if (u.op === KOp.Param || u.op === KOp.Sink || u.op === KOp.Store || u.op === KOp.Range) continue;
        if (u.dtype === "index" && dependsOnV(u)) continue; // contiguous addresses stay scalar
        if ([...deps.get(u)!].every((x) => open.has(x))) value(u, dependsOnV(u));
      }
  }

  /** Counted loop over `r` from `from` to `to` in steps of `step`, around `body`. */
  function loop(r: UOp, from: number, to: number, step: number, body: () => void) {
    if (to <= from) return;
    const i = S.i(from);
    scopes.push(new Map([[`${r.id}s`, i]]));
    open.add(r);
    code.op(Op.block, 0x40, Op.loop, 0x40).get(i.l).i32(to).op(Op.i32GeS, Op.brIf, 1);
    body();
    code.get(i.l).i32(step).op(Op.i32Add).set(i.l).op(Op.br, 0, Op.end, Op.end);
    open.delete(r);
    scopes.pop();
  }
  function loops(ranges: readonly UOp[], roots: readonly UOp[], body: () => void, k = 0) {
    hoist(roots);
    if (k === ranges.length) return body();
    loop(ranges[k], 0, (ranges[k].arg as RangeArg).size, 1, () => loops(ranges, roots, body, k + 1));
  }

  const storeScalar = (param: UOp, index: UOp, val: UOp) => {
    const d = (param.arg as ParamArg).dtype;
    const x = value(val, false);
    address(param, index);
    code.get(x.l);
    const t = tyOf(d);
    code.mem(d === "bool" ? Op.i32Store8 : t === "f32" ? Op.f32Store : t === "f64" ? Op.f64Store : Op.i32Store, LOG2_SIZE[d === "bool" ? "bool" : t]);
  };

  for (const store of kernel.sink.src) {
    // A store may overwrite what an earlier one's hoisted loads read: nothing is shared across stores.
    scopes[0] = new Map();
    const [param, index, val] = store.src;
    const ranges = [...deps.get(store)!].sort((a, b) => (a.arg as RangeArg).id - (b.arg as RangeArg).id);
    const v = ranges[ranges.length - 1];
    const size = v ? (v.arg as RangeArg).size : 0;
    const vectorizable = v && size >= 4 && canVectorize(store, v, deps);
    if (!vectorizable) {
      loops(ranges, [index, val], () => storeScalar(param, index, val));
      continue;
    }
    loops(ranges.slice(0, -1), [index, val], () => {
      const n4 = size - (size % 4);
      vrange = v;
      // Invariant operands of vector nodes are splatted once, outside the vector loop.
      const pre = new Set(val.toposort().filter(dependsOnV).flatMap((u) => (u.op === KOp.Alu || u.op === KOp.Reduce ? u.src : [])));
      pre.add(val); // a stored value invariant along the vector range (a broadcast scalar) is splatted too
      for (const s of pre) {
        if (dependsOnV(s) || s.op === KOp.Const || s.dtype === "index" || ![...deps.get(s)!].every((x) => open.has(x))) continue;
        value(s, true);
        if (s.dtype !== "bool") remember(`${s.id}v`, V.splat(value(s, false)));
      }
      loop(v, 0, n4, 4, () => {
        hoist([index, val]);
        const x = value(val, true);
        address(param, index);
        code.get(x.l).simdMem(Simd.store, 2);
      });
      vrange = null;
      loop(v, n4, size, 1, () => {
        hoist([index, val]);
        storeScalar(param, index, val);
      });
    });
  }
  return fn;
}

/** Whether the store can run 4 lanes at a time along `v`. */
function canVectorize(store: UOp, v: UOp, deps: Map<UOp, Set<UOp>>): boolean {
  const [param, index, val] = store.src;
  const dep = (u: UOp) => deps.get(u)!.has(v);
  const d = (param.arg as ParamArg).dtype;
  if (!(d === "float32" || d === "int32" || d === "uint32") || !contiguous(index, v, dep)) return false;
  return val.toposort().every((u) => !dep(u) || (u.dtype !== "float64" && u.dtype !== "float16"));
}

export { UOp };
