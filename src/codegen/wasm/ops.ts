/**
 * @file Typed value emission over one WebAssembly function, the same API for scalars and SIMD
 * vectors. An `Ops` is either scalar (f32/f64/i32 values) or vector (f32x4/i32x4 values); the
 * math library and the renderer's `codeForOp` table are written once against it. Every value
 * lives in a local. Booleans are masks: 0/1 in scalar code, 0/-1 lanes in vector code, so
 * compares, selects and logic need no conversion. An operation without a SIMD instruction
 * (integer division, float64, calls to scalar-only helpers) runs lane by lane.
 */
import { Code, Op, Sat, Simd, ValType } from "./binary-emitter.js";

export type Ty = "f32" | "f64" | "i32";

/** A value held in local `l`; `vec` values are 4 lanes of `t` in a v128. */
export interface Val {
  readonly l: number;
  readonly t: Ty;
  readonly vec: boolean;
}

/** A function under construction: its params, locals and body. */
export class Fn {
  readonly code = new Code();
  readonly locals: ValType[] = [];
  constructor(readonly params: readonly ValType[]) {}
  local(t: ValType): number {
    return this.params.length + this.locals.push(t) - 1;
  }
}

/** The module being built: helper functions and host imports, requested by name. */
export interface ModuleCtx {
  /** Symbol of the scalar helper function `name`. */
  helper(name: string): string;
  /** The body of math function `name` (for inlining), and whether it has a SIMD form. */
  math(name: string): { readonly vec: boolean; readonly body: (o: Ops, xs: Val[]) => Val };
  /** Symbol of a float64 host import taking `arity` arguments. */
  host(name: string, arity: number): string;
}

export const valType = (t: Ty, vec: boolean): ValType =>
  vec ? ValType.V128 : t === "f32" ? ValType.F32 : t === "f64" ? ValType.F64 : ValType.I32;

export type BinName =
  | "add" | "sub" | "mul" | "div" | "min" | "max" | "copysign" | "and" | "or" | "xor" | "andnot"
  | "divS" | "divU" | "remS" | "remU" | "minU" | "maxU" | "shl" | "shrS" | "shrU" | "pmin" | "pmax";
export type CmpName = "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "ltU" | "leU" | "gtU" | "geU";
export type UnName = "abs" | "neg" | "sqrt" | "floor" | "ceil" | "trunc" | "nearest";

// Scalar opcodes by type; f64 opcodes are the f32 ones shifted (the core table is laid out in parallel).
const F32: Record<string, number> = {
  add: Op.f32Add, sub: Op.f32Sub, mul: Op.f32Mul, div: Op.f32Div, min: Op.f32Min, max: Op.f32Max,
  copysign: Op.f32Copysign, abs: Op.f32Abs, neg: Op.f32Neg, sqrt: Op.f32Sqrt, floor: Op.f32Floor,
  ceil: Op.f32Ceil, trunc: Op.f32Trunc, nearest: Op.f32Nearest,
  eq: Op.f32Eq, ne: Op.f32Ne, lt: Op.f32Lt, le: Op.f32Le, gt: Op.f32Gt, ge: Op.f32Ge,
};
const F64: Record<string, number> = Object.fromEntries(
  Object.entries(F32).map(([k, v]) => [k, v >= Op.f32Abs ? v + (Op.f64Abs - Op.f32Abs) : v + (Op.f64Eq - Op.f32Eq)]),
);
const I32: Record<string, number> = {
  add: Op.i32Add, sub: Op.i32Sub, mul: Op.i32Mul, and: Op.i32And, or: Op.i32Or, xor: Op.i32Xor,
  divS: Op.i32DivS, divU: Op.i32DivU, remS: Op.i32RemS, remU: Op.i32RemU, shl: Op.i32Shl, shrS: Op.i32ShrS,
  shrU: Op.i32ShrU, eq: Op.i32Eq, ne: Op.i32Ne, lt: Op.i32LtS, le: Op.i32LeS, gt: Op.i32GtS, ge: Op.i32GeS,
  ltU: Op.i32LtU, leU: Op.i32LeU, gtU: Op.i32GtU, geU: Op.i32GeU,
};
const F32X4: Record<string, number> = {
  add: Simd.f32x4Add, sub: Simd.f32x4Sub, mul: Simd.f32x4Mul, div: Simd.f32x4Div, min: Simd.f32x4Min,
  max: Simd.f32x4Max, pmin: Simd.f32x4Pmin, pmax: Simd.f32x4Pmax, abs: Simd.f32x4Abs, neg: Simd.f32x4Neg, sqrt: Simd.f32x4Sqrt, floor: Simd.f32x4Floor,
  ceil: Simd.f32x4Ceil, trunc: Simd.f32x4Trunc, nearest: Simd.f32x4Nearest,
  eq: Simd.f32x4Eq, ne: Simd.f32x4Ne, lt: Simd.f32x4Lt, le: Simd.f32x4Le, gt: Simd.f32x4Gt, ge: Simd.f32x4Ge,
};
const I32X4: Record<string, number> = {
  add: Simd.i32x4Add, sub: Simd.i32x4Sub, mul: Simd.i32x4Mul, and: Simd.and, or: Simd.or, xor: Simd.xor,
  andnot: Simd.andnot, min: Simd.i32x4MinS, max: Simd.i32x4MaxS, minU: Simd.i32x4MinU, maxU: Simd.i32x4MaxU,
  abs: Simd.i32x4Abs, neg: Simd.i32x4Neg,
  eq: Simd.i32x4Eq, ne: Simd.i32x4Ne, lt: Simd.i32x4LtS, le: Simd.i32x4LeS, gt: Simd.i32x4GtS, ge: Simd.i32x4GeS,
  ltU: Simd.i32x4LtU, leU: Simd.i32x4LeU, gtU: Simd.i32x4GtU, geU: Simd.i32x4GeU,
};
const CMP = new Set(["eq", "ne", "lt", "le", "gt", "ge", "ltU", "leU", "gtU", "geU"]);

const v128Bytes = (t: Ty, x: number): number[] => {
  const b = new DataView(new ArrayBuffer(16));
  for (let i = 0; i < 4; i++) {
    if (t === "f32") b.setFloat32(4 * i, x, true);
    else b.setInt32(4 * i, x | 0, true);
  }
  return [...new Uint8Array(b.buffer)];
};

/** Emits typed operations into `fn`; `vec` selects 4-lane SIMD values. */
export class Ops {
  readonly code: Code;
  #scalar: Ops | null = null;
  constructor(readonly fn: Fn, readonly vec: boolean, readonly mod: ModuleCtx) {
    this.code = fn.code;
  }

  /** The scalar companion writing into the same function. */
  get s(): Ops {
    return this.vec ? (this.#scalar ??= new Ops(this.fn, false, this.mod)) : this;
  }

  tmp(t: Ty, vec = this.vec): Val {
    return { l: this.fn.local(valType(t, vec)), t, vec };
  }
  /** Pops the stack top into a fresh local. */
  pop(t: Ty, vec = this.vec): Val {
    const v = this.tmp(t, vec);
    this.code.set(v.l);
    return v;
  }
  private get(...vs: Val[]): Code {
    for (const v of vs) this.code.get(v.l);
    return this.code;
  }

  /** A float32 (or float64 with `t`) constant, splatted in vector code. */
  f(x: number, t: Ty = "f32"): Val {
    if (this.vec) this.code.simd(Simd.const, ...v128Bytes(t, x));
    else if (t === "f32") this.code.f32(x);
    else if (t === "f64") this.code.f64(x);
    else this.code.i32(x);
    return this.pop(t);
  }
  i(x: number): Val {
    return this.f(x, "i32");
  }
  /** A scalar value broadcast to all lanes (the value itself in scalar code). */
  splat(v: Val): Val {
    if (!this.vec || v.vec) return v;
    if (v.t === "f64") throw new Error("internal: float64 values have no vector form");
    this.get(v).simd(v.t === "f32" ? Simd.f32x4Splat : Simd.i32x4Splat);
    return this.pop(v.t);
  }

  bin(name: BinName | CmpName, a: Val, b: Val): Val {
    a = this.splat(a);
    b = this.splat(b);
    const rt: Ty = CMP.has(name) ? "i32" : a.t;
    if (this.vec) {
      if (name === "copysign" && a.t === "f32") {
        // (b & sign) | (a & ~sign)
        const sign = this.i(-0x80000000);
        this.get(b, a, sign).simd(Simd.bitselect);
        return this.pop("f32");
      }
      const tab = a.t === "f32" ? F32X4 : a.t === "i32" ? I32X4 : null;
      const bitwise = name === "and" || name === "or" || name === "xor" || name === "andnot";
      const opc = bitwise ? I32X4[name] : tab?.[name];
      if (opc !== undefined && !(a.t === "i32" && name.startsWith("sh"))) {
        this.get(a, b).simd(opc);
        return this.pop(bitwise ? a.t : rt);
      }
      return this.lanes([a, b], rt, ([x, y]) => this.s.bin(name, x, y));
    }
    const tab = a.t === "f32" ? F32 : a.t === "f64" ? F64 : I32;
    if (tab[name] !== undefined) {
      this.get(a, b).op(tab[name]);
      return this.pop(rt);
    }
    if (name === "andnot") return this.bin("and", a, this.bin("xor", b, this.i(-1)));
    // pmin/pmax: b < a ? b : a and a < b ? b : a; a NaN `a` passes through. Much cheaper than the
    // NaN-propagating min/max in V8's SIMD lowering.
    if (name === "pmin") return this.sel(this.bin("lt", b, a), b, a);
    if (name === "pmax") return this.sel(this.bin("lt", a, b), b, a);
    if (a.t === "i32" && (name === "min" || name === "max" || name === "minU" || name === "maxU")) {
      const lt = this.bin(name.endsWith("U") ? "ltU" : "lt", a, b);
      return name.startsWith("min") ? this.sel(lt, a, b) : this.sel(lt, b, a);
    }
    throw new Error(`internal: no wasm ${name} for ${a.t}`);
  }

  un(name: UnName, a: Val): Val {
    if (this.vec) {
      const opc = (a.t === "f32" ? F32X4 : I32X4)[name];
      if (opc !== undefined) {
        this.get(a).simd(opc);
        return this.pop(a.t);
      }
      return this.lanes([a], a.t, ([x]) => this.s.un(name, x));
    }
    if (a.t === "i32") {
      if (name === "neg") return this.bin("sub", this.i(0), a);
      if (name === "abs") return this.sel(this.bin("lt", a, this.i(0)), this.un("neg", a), a);
      return a; // floor/ceil/trunc/nearest of an integer
    }
    this.get(a).op((a.t === "f32" ? F32 : F64)[name]);
    return this.pop(a.t);
  }

  /** Shift by a constant count (SIMD shifts take a scalar count). */
  shift(name: "shl" | "shrS" | "shrU", a: Val, n: number): Val {
    if (!this.vec) return this.bin(name, a, this.i(n));
    this.get(a).i32(n).simd(name === "shl" ? Simd.i32x4Shl : name === "shrS" ? Simd.i32x4ShrS : Simd.i32x4ShrU);
    return this.pop("i32");
  }

  /** m ? a : b, lane-wise. */
  sel(m: Val, a: Val, b: Val): Val {
    [m, a, b] = [this.splat(m), this.splat(a), this.splat(b)];
    if (this.vec) this.get(a, b, m).simd(Simd.bitselect);
    else this.get(a, b, m).op(Op.select);
    return this.pop(a.t);
  }

  /**
   * Runs `then` when `m` holds (in any lane, for vectors) and `els` otherwise: a real branch,
   * for rare slow paths that must not cost the common case.
   */
  cond(m: Val, t: Ty, then: () => Val, els: () => Val): Val {
    this.get(m);
    if (this.vec) this.code.simd(Simd.anyTrue);
    this.code.op(Op.if, valType(t, this.vec));
    this.get(then()).op(Op.else);
    this.get(els()).op(Op.end);
    return this.pop(t);
  }

  /** Reinterprets float bits as int bits (or back with `toFloat`). */
  bits(a: Val, toFloat = false): Val {
    const t: Ty = toFloat ? "f32" : "i32";
    if (this.vec) return { ...a, t };
    this.get(a).op(toFloat ? Op.f32ReinterpretI32 : Op.i32ReinterpretF32);
    return this.pop(t);
  }

  /** Numeric conversion between f32, f64 and i32 (`unsigned` for u32). Float -> int truncates and saturates. */
  cvt(a: Val, to: Ty, unsigned = false): Val {
    if (a.t === to) return a;
    if (this.vec) {
      if (a.t === "i32" && to === "f32") this.get(a).simd(unsigned ? Simd.f32x4ConvertI32x4U : Simd.f32x4ConvertI32x4S);
      else if (a.t === "f32" && to === "i32" && !unsigned) this.get(a).simd(Simd.i32x4TruncSatF32x4S);
      else return this.lanes([a], to, ([x]) => this.s.cvt(x, to, unsigned));
      return this.pop(to);
    }
    const c = this.get(a);
    if (to === "i32") c.sat(a.t === "f32" ? (unsigned ? Sat.i32F32U : Sat.i32F32S) : unsigned ? Sat.i32F64U : Sat.i32F64S);
    else if (to === "f32") c.op(a.t === "f64" ? Op.f32DemoteF64 : unsigned ? Op.f32ConvertI32U : Op.f32ConvertI32S);
    else c.op(a.t === "f32" ? Op.f64PromoteF32 : unsigned ? Op.f64ConvertI32U : Op.f64ConvertI32S);
    return this.pop(to);
  }

  /**
   * A math function: inlined in SIMD code (hot loops; V8 spills every vector register around a
   * call), a helper call in scalar code, lane by lane when it has no SIMD form.
   */
  call(name: string, args: readonly Val[], rt: Ty = args[0].t): Val {
    if (this.vec) {
      const h = this.mod.math(name);
      return h.vec ? h.body(this, args.map((a) => this.splat(a))) : this.lanes(args, rt, (xs) => this.s.call(name, xs, rt));
    }
    this.get(...args).call(this.mod.helper(name));
    return this.pop(rt);
  }

  /** Calls a float64 host function, converting float32 arguments and result. */
  host(name: string, args: readonly Val[], unsigned = false): Val {
    if (this.vec) return this.lanes(args, args[0].t, (xs) => this.s.host(name, xs, unsigned));
    const t = args[0].t;
    const xs = args.map((a) => this.cvt(a, "f64", unsigned));
    for (const x of xs) this.code.get(x.l);
    this.code.call(this.mod.host(name, args.length));
    return this.cvt(this.pop("f64"), t, unsigned);
  }

  /** Runs a scalar computation on each lane of vector arguments and gathers the results. */
  lanes(args: readonly Val[], rt: Ty, f: (xs: Val[]) => Val): Val {
    const s = this.s;
    const out = this.tmp(rt, true);
    for (let lane = 0; lane < 4; lane++) {
      const xs = args.map((a) => {
        if (!a.vec) return a;
        this.get(a).simd(a.t === "f32" ? Simd.f32x4Extract : Simd.i32x4Extract, lane);
        return s.pop(a.t);
      });
      const r = f(xs);
      if (lane === 0) this.get(r).simd(rt === "f32" ? Simd.f32x4Splat : Simd.i32x4Splat);
      else this.get(out, r).simd(rt === "f32" ? Simd.f32x4Replace : Simd.i32x4Replace, lane);
      this.code.set(out.l);
    }
    return out;
  }
}
