/**
 * @file A small WebAssembly binary encoder of our own: LEB128, the value types, opcode tables
 * (core, saturating conversions behind 0xFC, SIMD128 behind 0xFD), a `Code` buffer with
 * symbolic calls that are resolved when the module is assembled, and `assembleModule`, which
 * writes the type, import, function, export and code sections.
 *
 * Encoding follows the WebAssembly 2.0 binary format (https://webassembly.github.io/spec/core/binary/).
 */

export enum ValType {
  I32 = 0x7f,
  I64 = 0x7e,
  F32 = 0x7d,
  F64 = 0x7c,
  V128 = 0x7b,
}

/** Unsigned LEB128. */
export function uleb(n: number, out: number[] = []): number[] {
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit or 64-bit integer. */
export function sleb(n: number | bigint, out: number[] = []): number[] {
  let v = BigInt(n);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && !(b & 0x40)) || (v === -1n && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const f32buf = new DataView(new ArrayBuffer(8));

/** Core opcodes used by the renderer (one byte each). */
export const Op = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f, call: 0x10,
  drop: 0x1a, select: 0x1b, localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, i64Load: 0x29, f32Load: 0x2a, f64Load: 0x2b, i32Load8U: 0x2d,
  i32Store: 0x36, i64Store: 0x37, f32Store: 0x38, f64Store: 0x39, i32Store8: 0x3a,
  i32Const: 0x41, i64Const: 0x42, f32Const: 0x43, f64Const: 0x44,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtS: 0x48, i32LtU: 0x49, i32GtS: 0x4a, i32GtU: 0x4b,
  i32LeS: 0x4c, i32LeU: 0x4d, i32GeS: 0x4e, i32GeU: 0x4f,
  i64Eqz: 0x50, i64Eq: 0x51, i64Ne: 0x52, i64LtS: 0x53,
  f32Eq: 0x5b, f32Ne: 0x5c, f32Lt: 0x5d, f32Gt: 0x5e, f32Le: 0x5f, f32Ge: 0x60,
  f64Eq: 0x61, f64Ne: 0x62, f64Lt: 0x63, f64Gt: 0x64, f64Le: 0x65, f64Ge: 0x66,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32DivS: 0x6d, i32DivU: 0x6e, i32RemS: 0x6f, i32RemU: 0x70,
  i32And: 0x71, i32Or: 0x72, i32Xor: 0x73, i32Shl: 0x74, i32ShrS: 0x75, i32ShrU: 0x76,
  i64Add: 0x7c, i64Sub: 0x7d, i64And: 0x83, i64Or: 0x84, i64Xor: 0x85, i64ShrU: 0x88,
  f32Abs: 0x8b, f32Neg: 0x8c, f32Ceil: 0x8d, f32Floor: 0x8e, f32Trunc: 0x8f, f32Nearest: 0x90, f32Sqrt: 0x91,
  f32Add: 0x92, f32Sub: 0x93, f32Mul: 0x94, f32Div: 0x95, f32Min: 0x96, f32Max: 0x97, f32Copysign: 0x98,
  f64Abs: 0x99, f64Neg: 0x9a, f64Ceil: 0x9b, f64Floor: 0x9c, f64Trunc: 0x9d, f64Nearest: 0x9e, f64Sqrt: 0x9f,
  f64Add: 0xa0, f64Sub: 0xa1, f64Mul: 0xa2, f64Div: 0xa3, f64Min: 0xa4, f64Max: 0xa5, f64Copysign: 0xa6,
  i32TruncF32S: 0xa8, i64ExtendI32S: 0xac, i64ExtendI32U: 0xad,
  f32ConvertI32S: 0xb2, f32ConvertI32U: 0xb3, f32DemoteF64: 0xb6,
  f64ConvertI32S: 0xb7, f64ConvertI32U: 0xb8, f64PromoteF32: 0xbb,
  i32ReinterpretF32: 0xbc, i64ReinterpretF64: 0xbd, f32ReinterpretI32: 0xbe, f64ReinterpretI64: 0xbf,
} as const;

/** Saturating float -> int conversions (0xFC prefix). */
export const Sat = { i32F32S: 0, i32F32U: 1, i32F64S: 2, i32F64U: 3 } as const;

/** SIMD128 opcodes (0xFD prefix). */
export const Simd = {
  load: 0x00, store: 0x0b, const: 0x0c, i32x4Splat: 0x11, f32x4Splat: 0x13,
  i32x4Extract: 0x1b, i32x4Replace: 0x1c, f32x4Extract: 0x1f, f32x4Replace: 0x20,
  i32x4Eq: 0x37, i32x4Ne: 0x38, i32x4LtS: 0x39, i32x4LtU: 0x3a, i32x4GtS: 0x3b, i32x4GtU: 0x3c,
  i32x4LeS: 0x3d, i32x4LeU: 0x3e, i32x4GeS: 0x3f, i32x4GeU: 0x40,
  f32x4Eq: 0x41, f32x4Ne: 0x42, f32x4Lt: 0x43, f32x4Gt: 0x44, f32x4Le: 0x45, f32x4Ge: 0x46,
  not: 0x4d, and: 0x4e, andnot: 0x4f, or: 0x50, xor: 0x51, bitselect: 0x52, anyTrue: 0x53,
  f32x4Ceil: 0x67, f32x4Floor: 0x68, f32x4Trunc: 0x69, f32x4Nearest: 0x6a,
  i32x4Abs: 0xa0, i32x4Neg: 0xa1, i32x4Shl: 0xab, i32x4ShrS: 0xac, i32x4ShrU: 0xad, i32x4Add: 0xae,
  i32x4Sub: 0xb1, i32x4Mul: 0xb5, i32x4MinS: 0xb6, i32x4MinU: 0xb7, i32x4MaxS: 0xb8, i32x4MaxU: 0xb9,
  f32x4Abs: 0xe0, f32x4Neg: 0xe1, f32x4Sqrt: 0xe3, f32x4Add: 0xe4, f32x4Sub: 0xe5, f32x4Mul: 0xe6,
  f32x4Div: 0xe7, f32x4Min: 0xe8, f32x4Max: 0xe9, f32x4Pmin: 0xea, f32x4Pmax: 0xeb,
  i32x4TruncSatF32x4S: 0xf8, f32x4ConvertI32x4S: 0xfa, f32x4ConvertI32x4U: 0xfb,
} as const;

/**
 * A function body under construction. Calls name their callee symbolically (`call("exp:f32")`),
 * so helper functions and imports can be added while the body is written.
 */
/** Appends `src[from, to)` to `out` (a loop: spreading a big array into push overflows the stack). */
function append(out: number[], src: readonly number[], from: number, to: number): void {
  for (let i = from; i < to; i++) out.push(src[i]);
}

export class Code {
  readonly bytes: number[] = [];
  readonly calls: { at: number; sym: string }[] = [];

  op(...ops: number[]): this {
    this.bytes.push(...ops);
    return this;
  }
  u(n: number): this {
    uleb(n, this.bytes);
    return this;
  }
  get(l: number): this {
    return this.op(Op.localGet).u(l);
  }
  set(l: number): this {
    return this.op(Op.localSet).u(l);
  }
  tee(l: number): this {
    return this.op(Op.localTee).u(l);
  }
  i32(n: number): this {
    this.bytes.push(Op.i32Const);
    sleb(n | 0, this.bytes);
    return this;
  }
  f32(x: number): this {
    f32buf.setFloat32(0, x, true);
    return this.op(Op.f32Const, ...new Uint8Array(f32buf.buffer, 0, 4));
  }
  f64(x: number): this {
    f32buf.setFloat64(0, x, true);
    return this.op(Op.f64Const, ...new Uint8Array(f32buf.buffer, 0, 8));
  }
  simd(opcode: number, ...imm: number[]): this {
    this.bytes.push(0xfd);
    uleb(opcode, this.bytes);
    this.bytes.push(...imm);
    return this;
  }
  sat(opcode: number): this {
    return this.op(0xfc).u(opcode);
  }
  /** A memory access with a natural-alignment hint `align` (log2 bytes) and a constant offset. */
  mem(opcode: number, align: number, offset = 0): this {
    return this.op(opcode).u(align).u(offset);
  }
  simdMem(opcode: number, align: number, offset = 0): this {
    return this.simd(opcode).u(align).u(offset);
  }
  call(sym: string): this {
    this.bytes.push(Op.call);
    this.calls.push({ at: this.bytes.length, sym });
    return this;
  }
  /** The bytes with every symbolic call replaced by the callee's index. */
  resolve(indexOf: (sym: string) => number): number[] {
    const out: number[] = [];
    let from = 0;
    for (const c of this.calls) {
      append(out, this.bytes, from, c.at);
      uleb(indexOf(c.sym), out);
      from = c.at;
    }
    append(out, this.bytes, from, this.bytes.length);
    return out;
  }
}

export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

export interface FuncDef {
  readonly name: string;
  readonly type: FuncType;
  /** Types of the locals after the params. */
  readonly locals: readonly ValType[];
  readonly code: Code;
  readonly export?: boolean;
}

export interface ModuleDef {
  /** Imported functions, `module.name`, referenced by symbol `name`. */
  readonly imports: readonly { module: string; name: string; type: FuncType }[];
  /** The memory imported as `env.memory`. */
  readonly memory: { readonly shared: boolean };
  readonly funcs: readonly FuncDef[];
}

const vec = <T>(items: readonly T[], enc: (x: T, out: number[]) => void): number[] => {
  const out = uleb(items.length);
  for (const x of items) enc(x, out);
  return out;
};
const name = (s: string, out: number[]) => {
  const b = new TextEncoder().encode(s);
  uleb(b.length, out);
  out.push(...b);
};
const section = (id: number, body: number[], out: number[]) => {
  out.push(id);
  uleb(body.length, out);
  append(out, body, 0, body.length);
};

/** Encodes a whole module. */
export function assembleModule(m: ModuleDef): Uint8Array {
  const types: string[] = [];
  const typeIndex = (t: FuncType) => {
    const key = `${t.params.join(",")}>${t.results.join(",")}`;
    let i = types.indexOf(key);
    if (i < 0) i = types.push(key) - 1;
    return i;
  };
  const importTypes = m.imports.map((i) => typeIndex(i.type));
  const funcTypes = m.funcs.map((f) => typeIndex(f.type));
  const index = new Map<string, number>();
  m.imports.forEach((im, i) => index.set(im.name, i));
  m.funcs.forEach((f, i) => index.set(f.name, m.imports.length + i));
  const indexOf = (s: string) => {
    const i = index.get(s);
    if (i === undefined) throw new Error(`internal: wasm call to unknown function '${s}'`);
    return i;
  };

  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  section(1, vec(types, (key, o) => {
    const [ps, rs] = key.split(">").map((s) => (s ? s.split(",").map(Number) : []));
    o.push(0x60, ...uleb(ps.length), ...ps, ...uleb(rs.length), ...rs);
  }), out);
  const imports: number[] = uleb(m.imports.length + 1);
  name("env", imports);
  name("memory", imports);
  // Shared memories must declare a maximum; 65536 pages (4 GiB) admits any memory.
  imports.push(0x02, ...(m.memory.shared ? [0x03, 0x01, ...uleb(65536)] : [0x00, 0x00]));
  m.imports.forEach((im, i) => {
    name(im.module, imports);
    name(im.name, imports);
    imports.push(0x00, ...uleb(importTypes[i]));
  });
  section(2, imports, out);
  section(3, vec(funcTypes, (t, o) => uleb(t, o)), out);
  const exps = m.funcs.filter((f) => f.export);
  section(7, vec(exps, (f, o) => {
    name(f.name, o);
    o.push(0x00, ...uleb(indexOf(f.name)));
  }), out);
  section(10, vec(m.funcs, (f, o) => {
    const body: number[] = [];
    // Locals as runs of equal types.
    const runs: [number, ValType][] = [];
    for (const t of f.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(runs.length, body);
    for (const [n, t] of runs) body.push(...uleb(n), t);
    const code = f.code.resolve(indexOf);
    append(body, code, 0, code.length);
    body.push(Op.end);
    uleb(body.length, o);
    append(o, body, 0, body.length);
  }), out);
  return new Uint8Array(out);
}
