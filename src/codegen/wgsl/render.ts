/**
 * @file Kernel IR -> WGSL compute shaders: the second renderer of the kernels the wasm renderer
 * runs (src/codegen/wasm/render.ts), with the same semantics.
 *
 * Each store of a kernel becomes one shader, run with one invocation per element of its free
 * ranges (row-major by range id, workgroups of 64, the grid folded into two dimensions past
 * 65535 workgroups); stores run in order as separate dispatches, so a store may read what an
 * earlier one wrote. Reductions are loops inside the invocation folding into a local variable.
 * Nodes are emitted once as `let` bindings at the outermost loop where all their ranges are open
 * (loop-invariant code is hoisted), as the wasm renderer does.
 *
 * Buffers: params that the caller binds to the same buffer (`slots`) share one binding, so a
 * kernel may write its output over an input (the memory plan's in-place reuse) without binding a
 * buffer twice, which WebGPU forbids for writable storage.
 */
import type { DType } from "../../ir/index.js";
import { type AluArg, type KDType, KOp, type Kernel, type ParamArg, type RangeArg, type ReduceKind, type UOp, freeRangeSets } from "../kernel-ir.js";
import { SPECIAL_VALUES, helperSource } from "./math.js";
import { codeForOp, literal, storageType, wgslType } from "./ops.js";

/** Invocations per workgroup. */
export const WORKGROUP_SIZE = 64;
/** WebGPU's minimum guaranteed workgroups per grid dimension. */
export const MAX_GROUPS_PER_DIM = 65535;

/** One rendered store: its WGSL, the buffer slots it binds (binding k = slots[k]) and its grid. */
export interface WgslShader {
  readonly code: string;
  /** Buffer slot of each binding, in binding order. */
  readonly bindings: readonly number[];
  /** Which bindings are written (declared read_write). */
  readonly writable: readonly boolean[];
  readonly invocations: number;
}

export interface RenderOptions {
  /** Buffer slot per param index (default: the param index); equal slots share one binding. */
  readonly slots?: readonly number[];
}

/** float32 and float16 (which kernels compute in f32). */
const isFloatK = (d: KDType) => d === "float32" || d === "float16";

const INIT: Record<ReduceKind, (d: KDType) => number> = {
  sum: () => 0,
  prod: () => 1,
  max: (d) => (isFloatK(d) ? -Infinity : d === "int32" ? -0x80000000 : 0),
  min: (d) => (isFloatK(d) ? Infinity : d === "int32" ? 0x7fffffff : d === "bool" ? 1 : 0xffffffff),
  and: (d) => (d === "bool" ? 1 : -1),
  or: () => 0,
  xor: () => 0,
};

function combine(kind: ReduceKind, d: KDType, acc: string, x: string, need: (h: string) => void): string {
  const bool = d === "bool";
  switch (kind) {
    case "sum":
      return bool ? `${acc} | ${x}` : `${acc} + ${x}`;
    case "prod":
      return bool ? `${acc} & ${x}` : `${acc} * ${x}`;
    case "max":
      if (isFloatK(d)) return (need("fmax"), `k_fmax(${acc}, ${x})`);
      return bool ? `${acc} | ${x}` : `max(${acc}, ${x})`;
    case "min":
      if (isFloatK(d)) return (need("fmin"), `k_fmin(${acc}, ${x})`);
      return bool ? `${acc} & ${x}` : `min(${acc}, ${x})`;
    case "and":
      return `${acc} & ${x}`;
    case "or":
      return `${acc} | ${x}`;
    case "xor":
      return bool ? `${acc} != ${x}` : `${acc} ^ ${x}`;
  }
}

const rangeId = (r: UOp) => (r.arg as RangeArg).id;
const rangeSize = (r: UOp) => (r.arg as RangeArg).size;

/**
 * Renders every store of `kernel` as a WGSL compute shader (entry point `main`).
 *
 * @example renderWgsl(elementwiseKernel(Prim.Add, [x, y], {}, out))[0].code // "@compute @workgroup_size(64) fn main(...)"
 */
export function renderWgsl(kernel: Kernel, opts: RenderOptions = {}): WgslShader[] {
  const slots = opts.slots ?? kernel.params.map((p) => p.index);
  const deps = freeRangeSets(kernel.sink);
  return kernel.sink.src.map((store) => renderStore(kernel, store, slots, deps));
}

function renderStore(kernel: Kernel, store: UOp, slots: readonly number[], deps: Map<UOp, Set<UOp>>): WgslShader {
  const [outParam, outIndex, outValue] = store.src;
  const helpers = new Set<string>();
  const need = (h: string) => void helpers.add(h);
  // Bindings: one per distinct slot this store touches.
  const used = new Set<number>();
  for (const u of store.toposort()) if (u.op === KOp.Param) used.add((u.arg as ParamArg).index);
  const outSlot = slots[(outParam.arg as ParamArg).index];
  const bindingSlots: number[] = [];
  const bindingType: DType[] = [];
  const bindingOf = new Map<number, number>();
  for (const p of [...used].sort((a, b) => a - b)) {
    const s = slots[p];
    if (bindingOf.has(s)) continue;
    bindingOf.set(s, bindingSlots.length);
    bindingSlots.push(s);
    bindingType.push(kernel.params[p]?.dtype ?? (store.toposort().find((u) => u.op === KOp.Param && (u.arg as ParamArg).index === p)!.arg as ParamArg).dtype);
  }
  const writable = bindingSlots.map((s) => s === outSlot);
  const bufName = (param: UOp) => `b${bindingOf.get(slots[(param.arg as ParamArg).index])}`;

  const ranges = [...deps.get(store)!].sort((a, b) => rangeId(a) - rangeId(b));
  const invocations = ranges.reduce((n, r) => n * rangeSize(r), 1);
  if (invocations === 0) return { code: "", bindings: [], writable: [], invocations: 0 }; // nothing to store

  const body: string[] = [];
  let indent = "  ";
  const scopes: Map<UOp, string>[] = [new Map()];
  const open = new Set<UOp>(ranges);
  let nextName = 0;
  const lookup = (u: UOp) => {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const v = scopes[i].get(u);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const bind = (u: UOp, expr: string): string => {
    const name = `v${nextName++}`;
    body.push(`${indent}let ${name}: ${wgslType(u.dtype)} = ${expr};`);
    scopes[scopes.length - 1].set(u, name);
    return name;
  };

  // The invocation's flat index decomposed into the store's ranges, innermost fastest.
  body.push(`${indent}let flat = (wid.y * ${MAX_GROUPS_PER_DIM}u + wid.x) * ${WORKGROUP_SIZE}u + lid.x;`);
  body.push(`${indent}if (flat >= ${invocations}u) { return; }`);
  let stride = 1;
  for (let k = ranges.length - 1; k >= 0; k--) {
    const size = rangeSize(ranges[k]);
    const name = `r${rangeId(ranges[k])}`;
    const q = stride === 1 ? "flat" : `(flat / ${stride}u)`;
    body.push(`${indent}let ${name} = i32(${k === 0 ? q : `${q} % ${size}u`});`);
    scopes[0].set(ranges[k], name);
    stride *= size;
  }

  function value(u: UOp): string {
    const hit = lookup(u);
    if (hit !== undefined) return hit;
    switch (u.op) {
      case KOp.Const:
        return u.dtype === "float16" ? (need("roundHalf"), `k_round_half(${literal(u.arg as number, u.dtype)})`) : literal(u.arg as number, u.dtype);
      case KOp.Range:
        throw new Error(`internal: range r${rangeId(u)} used outside its loop`);
      case KOp.Load: {
        const [param, index] = u.src;
        const raw = `${bufName(param)}[${value(index)}]`;
        return bind(u, (param.arg as ParamArg).dtype === "bool" ? `(${raw} != 0u)` : raw);
      }
      case KOp.Alu: {
        const prim = (u.arg as AluArg).prim;
        const rule = codeForOp[prim];
        if (!rule) throw new RangeError(`wgsl renderer: no code for alu primitive '${prim}'`);
        const xs = u.src.map(value);
        const d = u.src[0]?.dtype ?? u.dtype;
        if (d === "index" && INDEX_OPS.has(prim)) return bind(u, indexOp(prim, xs));
        const expr = rule(xs, d === "index" ? "int32" : d, u, need);
        // float16 math runs in f32 and rounds every result to half precision, as the reference does.
        return bind(u, u.dtype === "float16" ? (need("roundHalf"), `k_round_half(${expr})`) : expr);
      }
      case KOp.Reduce:
        return reduce(u);
      default:
        throw new Error(`internal: cannot render kernel node '${u.op}' as a value`);
    }
  }

  /** Emits every not-yet-emitted node of `root` whose ranges are all open. */
  function hoist(root: UOp) {
    for (const u of root.toposort()) {
      if (u.op === KOp.Param || u.op === KOp.Range || u.op === KOp.Const || lookup(u) !== undefined) continue;
      if ([...deps.get(u)!].every((r) => open.has(r))) value(u);
    }
  }

  function reduce(u: UOp): string {
    const kind = u.arg as ReduceKind;
    const d = u.dtype;
    const acc = `v${nextName++}`;
    hoist(u.src[0]);
    body.push(`${indent}var ${acc}: ${wgslType(d)} = ${literal(INIT[kind](d), d)};`);
    const rs = u.src.slice(1);
    for (const r of rs) {
      const name = `r${rangeId(r)}`;
      body.push(`${indent}for (var ${name}: i32 = 0; ${name} < ${rangeSize(r)}; ${name}++) {`);
      indent += "  ";
      scopes.push(new Map([[r, name]]));
      open.add(r);
      hoist(u.src[0]);
    }
    const x = value(u.src[0]);
    body.push(`${indent}${acc} = ${combine(kind, d, acc, x, need)};`);
    for (const r of rs.slice().reverse()) {
      open.delete(r);
      scopes.pop();
      indent = indent.slice(2);
      body.push(`${indent}}`);
    }
    if (d === "float16") {
      // Accumulated in f32, the result rounded once, as the reference rounds its float64 sum.
      need("roundHalf");
      return bind(u, `k_round_half(${acc})`);
    }
    scopes[scopes.length - 1].set(u, acc);
    return acc;
  }

  const idx = value(outIndex);
  const v = value(outValue);
  const outDtype = (outParam.arg as ParamArg).dtype;
  body.push(`${indent}${bufName(outParam)}[${idx}] = ${outDtype === "bool" ? `select(0u, 1u, ${v})` : v};`);

  const decls = bindingSlots.map((_, k) =>
    `@group(0) @binding(${k}) var<storage, ${writable[k] ? "read_write" : "read"}> b${k}: array<${storageType(bindingType[k])}>;`);
  const code = [
    ...decls,
    SPECIAL_VALUES,
    helperSource(helpers),
    `@compute @workgroup_size(${WORKGROUP_SIZE})`,
    "fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {",
    ...body,
    "}",
    "",
  ].filter((l) => l !== "").join("\n");
  return { code, bindings: bindingSlots, writable, invocations };
}

const INDEX_OPS = new Set(["add", "sub", "mul", "div", "rem", "max", "min"]);

/** Index arithmetic: non-negative by construction (index-expr.ts), so plain i32 operators. */
function indexOp(prim: string, [a, b]: readonly string[]): string {
  switch (prim) {
    case "add":
      return `${a} + ${b}`;
    case "sub":
      return `${a} - ${b}`;
    case "mul":
      return `${a} * ${b}`;
    case "div":
      return `${a} / ${b}`;
    case "rem":
      return `${a} % ${b}`;
    case "max":
      return `max(${a}, ${b})`;
    case "min":
      return `min(${a}, ${b})`;
    default:
      throw new RangeError(`wgsl renderer: index arithmetic '${prim}'`);
  }
}

/** Workgroups to dispatch for `invocations`, as [x, y] (y > 1 only past 65535 workgroups). */
export function gridFor(invocations: number): [number, number] {
  const groups = Math.max(1, Math.ceil(invocations / WORKGROUP_SIZE));
  if (groups <= MAX_GROUPS_PER_DIM) return [groups, 1];
  return [MAX_GROUPS_PER_DIM, Math.ceil(groups / MAX_GROUPS_PER_DIM)];
}
