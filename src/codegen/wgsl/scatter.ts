/**
 * @file The scatter family in WGSL: one invocation per update element finds its destination (the
 * reference's reading of ScatterDimensionNumbers: start indices clamped in `clip` mode, whole
 * windows dropped in `fill` mode) and combines its update into the output, which starts as a
 * copy of the operand. Updates that meet at one element combine atomically: integer adds (and
 * bool or/and) with atomic ops, float adds, products, minima and maxima with compare-exchange
 * loops on the element's bits. Float sums therefore add in an unspecified order.
 *
 * `scatter` (replace) keeps the reference's rule that the last update in row-major order wins,
 * deterministically: a first pass records, per destination, the highest update index aiming at
 * it (atomicMax into a claims buffer), and the second pass lets only that update write.
 *
 * Bindings: 0 = indices (i32/u32), 1 = updates, 2 = output (atomic u32 words), 3 = claims
 * (replace only).
 */
import type { DType, ScatterDimensionNumbers } from "../../ir/index.js";
import { SPECIAL_VALUES, helperSource } from "./math.js";

export type ScatterKind = "replace" | "add" | "mul" | "min" | "max";

export interface ScatterShape {
  readonly kind: ScatterKind;
  readonly dtype: DType;
  readonly operandShape: readonly number[];
  readonly indicesShape: readonly number[];
  readonly indicesDtype: DType;
  readonly updatesShape: readonly number[];
  readonly dn: ScatterDimensionNumbers;
  readonly mode: "clip" | "fill" | "promise_in_bounds";
}

const stridesOf = (shape: readonly number[]) => {
  const s = new Array<number>(shape.length);
  for (let i = shape.length - 1, acc = 1; i >= 0; acc *= shape[i], i--) s[i] = acc;
  return s;
};
const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** WGSL for the destination of update `u` (a u32), or `-1` when the update is dropped. */
function destination(g: ScatterShape): string {
  const { dn, operandShape: xshape, updatesShape: ushape } = g;
  const xs = stridesOf(xshape);
  const us = stridesOf(ushape);
  const scatterDims = ushape.map((_, i) => i).filter((i) => !dn.updateWindowDims.includes(i));
  const windowOperandDims = xshape.map((_, i) => i).filter((i) => !dn.insertedWindowDims.includes(i));
  const windowSizes = xshape.map(() => 1);
  dn.updateWindowDims.forEach((u, k) => (windowSizes[windowOperandDims[k]] = ushape[u]));
  const batchStrides = stridesOf(g.indicesShape.slice(0, -1));
  const k = dn.scatterDimsToOperandDims.length;
  const lines: string[] = [];
  const coord = (d: number) => `((u / ${us[d]}u) % ${ushape[d]}u)`;
  lines.push(`  var batch = 0u;`);
  scatterDims.forEach((d, b) => lines.push(`  batch = batch + ${coord(d)} * ${batchStrides[b]}u;`));
  lines.push(`  var dst = 0i;`);
  dn.scatterDimsToOperandDims.forEach((d, j) => {
    const hi = xshape[d] - windowSizes[d];
    lines.push(`  let s${j} = i32(idx[batch * ${k}u + ${j}u]);`);
    if (g.mode === "fill") lines.push(`  if (s${j} < 0i || s${j} > ${hi}i) { return -1i; }`);
    else lines.push(`  let c${j} = clamp(s${j}, 0i, ${Math.max(hi, 0)}i);`);
    lines.push(`  dst = dst + ${g.mode === "fill" ? `s${j}` : `c${j}`} * ${xs[d]}i;`);
  });
  windowOperandDims.forEach((d, w) => lines.push(`  dst = dst + i32(${coord(dn.updateWindowDims[w])}) * ${xs[d]}i;`));
  lines.push(`  return dst;`);
  return `fn k_dst(u: u32) -> i32 {\n${lines.join("\n")}\n}`;
}

/** The combine step on the output word at `dst` with update value `v`. */
function combine(g: ScatterShape): string {
  const { kind, dtype } = g;
  if (dtype === "bool") {
    const op = kind === "add" || kind === "max" ? "atomicOr" : kind === "mul" || kind === "min" ? "atomicAnd" : "atomicStore";
    return `  ${op}(&out[dst], select(0u, 1u, v != 0u));`;
  }
  if (kind === "add" && dtype !== "float32") return "  atomicAdd(&out[dst], v);";
  const T = dtype === "float32" ? "f32" : dtype === "int32" ? "i32" : "u32";
  const val = (w: string) => (T === "u32" ? w : `bitcast<${T}>(${w})`);
  const bits = (x: string) => (T === "u32" ? x : `bitcast<u32>(${x})`);
  const next =
    kind === "add" ? `${val("old")} + ${val("v")}`
      : kind === "mul" ? `${val("old")} * ${val("v")}`
        : T === "f32" ? `k_f${kind}(${val("old")}, ${val("v")})` : `${kind}(${val("old")}, ${val("v")})`;
  return `  var old = atomicLoad(&out[dst]);
  loop {
    let r = atomicCompareExchangeWeak(&out[dst], old, ${bits(next)});
    if (r.exchanged) { break; }
    old = r.old_value;
  }`;
}

/**
 * The scatter shader (and, for `replace`, the claims pass `claim`), one invocation per update.
 *
 * @example scatterWgsl({ kind: "add", dtype: "float32", ... }).main
 */
export function scatterWgsl(g: ScatterShape): { main: string; claim: string | null } {
  const n = sizeOf(g.updatesShape);
  const head = `@group(0) @binding(0) var<storage, read> idx: array<${g.indicesDtype === "uint32" ? "u32" : "i32"}>;
@group(0) @binding(1) var<storage, read> upd: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<atomic<u32>>;
${SPECIAL_VALUES}
${g.dtype === "float32" && (g.kind === "min" || g.kind === "max") ? helperSource([g.kind === "min" ? "fmin" : "fmax"]) : ""}
${destination(g)}`;
  const entry = (body: string, claims: boolean) => `${claims ? "@group(0) @binding(3) var<storage, read_write> claims: array<atomic<u32>>;\n" : ""}@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let u = (wid.y * 65535u + wid.x) * 64u + lid.x;
  if (u >= ${n}u) { return; }
  let d = k_dst(u);
  if (d < 0i) { return; }
  let dst = u32(d);
${body}
}`;
  if (g.kind === "replace") {
    const claim = `${head.replace("var<storage, read_write> out: array<atomic<u32>>", "var<storage, read> out: array<u32>")}
${entry("  atomicMax(&claims[dst], u + 1u);", true)}`;
    const main = `${head}
${entry(`  if (atomicLoad(&claims[dst]) == u + 1u) { atomicStore(&out[dst], upd[u]); }`, true)}`;
    return { main, claim };
  }
  return { main: `${head}\n${entry(`  let v = upd[u];\n${combine(g)}`, false)}`, claim: null };
}
