/**
 * @file float32 conv_general_dilated in WGSL as an implicit GEMM: rows are output positions
 * (batch and spatial indices), columns output features, and the contraction runs over window
 * taps x input features. Each invocation computes a block of `bm` positions x `bn` features in
 * vector accumulators, reading the input through im2col index arithmetic and the weights in
 * place, like `gemmDirectWgsl` (no workgroup memory: software adapters run barriers slowly).
 *
 * General over the primitive's parameters, with exactly the reference's semantics
 * (src/backend/reference/conv.ts): any dimension numbers and number of spatial axes, window
 * strides, padding (negative too), base and window dilation, feature and batch groups. A tap
 * lands at `p = out * stride + k * windowDilation - padLo` of the dilated input; it is a real
 * element only when `p >= 0`, `p % baseDilation == 0` and `p / baseDilation < size`. Those checks
 * run once per tap and position (outside the input-feature loop), only on axes where some tap can
 * miss; a missed tap reads an in-bounds element and selects zero, so padding never reads out of
 * bounds and never turns an inf into a NaN. A block's features never straddle a group (the
 * grid counts feature blocks per group), so one input read serves all its features.
 *
 * Convolutions with few outputs and long contractions (the weight gradients JAX's transpose
 * rule stages: output = kernel-sized, contraction = batch x image) split the contraction over
 * `splits` invocations writing partial results, summed by a second shader. Shapes and params
 * are baked in as constants: one pipeline per conv signature.
 */
import type { Prim, PrimParams, Shape } from "../../ir/index.js";

/** The params of conv_general_dilated this generator reads (all but the result dtype). */
export type ConvParamsWgsl = Omit<PrimParams[Prim.ConvGeneralDilated], "preferredElementType">;

/** Register block and launch shape; chosen by `convBlocking` unless given. */
export interface ConvBlocking {
  /** Output positions per invocation. */
  readonly bm: number;
  /** Output features per invocation: 1, 2, 4 or 8. */
  readonly bn: number;
  /** Invocations per workgroup. */
  readonly wg: number;
  /** Parts the contraction is split into (1: none). */
  readonly splits: number;
  /** The blocks a workgroup's lanes take: consecutive position blocks, or feature blocks. */
  readonly lanes: "positions" | "features";
}

/** A shader and its launch grid. */
export interface WgslLaunch {
  readonly code: string;
  readonly workgroups: [number, number, number];
}

/**
 * The main shader (bindings 0 = lhs, 1 = rhs, 2 = out) and, when the contraction is split, the
 * reduction (bindings 0 = the `splits` partial outputs, 1 = out) run after it.
 */
export interface ConvWgsl {
  readonly main: WgslLaunch;
  readonly reduce: WgslLaunch | null;
  readonly splits: number;
}

const stridesOf = (shape: Shape): number[] => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
};
const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** A u32 literal. */
const u = (n: number) => `${n}u`;
/** An i32 literal. */
const i32 = (n: number) => `${n}i`;

/** Convolutions run through this generator's shaders (the webgpu backend counts them; tests read it). */
export const convWgslStats = { runs: 0 };

/** Invocations a launch aims for before it splits the contraction (measured on lavapipe). */
const TARGET_INVOCATIONS = 1024;
/** Fewest contraction terms (taps x input features) one split part keeps. */
const MIN_SPLIT_TERMS = 512;

/** The geometry shared by the blocking heuristic and the generator. */
function geometry(lhs: Shape, rhs: Shape, out: Shape, p: ConvParamsWgsl) {
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  const ns = lhs.length - 2;
  const groups = p.featureGroupCount * p.batchGroupCount;
  const outFeat = out[outSpec[1]];
  const positions = out[outSpec[0]] * prod(outSpec.slice(2).map((a) => out[a]));
  const window = rhsSpec.slice(2).map((a) => rhs[a]);
  const kIn = rhs[rhsSpec[1]];
  // The contraction axis that split parts divide: the longest window axis (the outer loops, so
  // the input-feature loop inside stays long), or the input features when the window is one tap.
  const extents = [...window, kIn];
  const longest = Math.max(1, ...window);
  const splitAxis = longest > 1 ? window.indexOf(longest) : ns;
  return { ns, groups, perGroup: outFeat / groups, positions, window, kIn, terms: kIn * prod(window), splitAxis, splitExtent: extents[splitAxis] };
}

/**
 * The register block, workgroup size and split of a conv, as measured on lavapipe (MNIST CNN
 * shapes): 8 features x 8-16 positions run 1.5-2x faster than 4 x 4 (fewer loads per product);
 * lanes on features speed padded convs up by ~20%; weight gradients gain ~2x from splitting
 * their contraction into a few parts (more parts than ~1024 invocations need lose again).
 *
 * @example convBlocking([1, 28, 28, 1], [3, 3, 1, 32], [1, 26, 26, 32], params) // { bm: 8, bn: 8, wg: 64, splits: 1, lanes: "positions" }
 */
export function convBlocking(lhs: Shape, rhs: Shape, out: Shape, p: ConvParamsWgsl): ConvBlocking {
  const g = geometry(lhs, rhs, out, p);
  const bn = g.perGroup >= 8 ? 8 : g.perGroup >= 4 ? 4 : g.perGroup >= 2 ? 2 : 1;
  const nfb = Math.ceil(g.perGroup / bn);
  // Lanes on features when they fill a SIMD row: the workgroup then shares its positions, so
  // padding checks branch the same way in every lane and input reads are uniform.
  const lanes = nfb >= 8 ? "features" : "positions";
  const bm = lanes === "features" ? 16 : Math.min(16, 64 / bn);
  const wg = lanes === "features" ? Math.min(64, 8 * Math.ceil(nfb / 8)) : 64;
  const invocations = Math.ceil(g.positions / bm) * nfb * g.groups;
  let splits = 1;
  if (invocations < TARGET_INVOCATIONS) {
    const want = Math.ceil(TARGET_INVOCATIONS / invocations);
    const most = Math.max(1, Math.floor(g.terms / MIN_SPLIT_TERMS));
    splits = Math.max(1, Math.min(want, most, g.splitExtent));
    // Equal parts of the split axis: no part left empty.
    splits = Math.ceil(g.splitExtent / Math.ceil(g.splitExtent / splits));
  }
  return { bm, bn, wg, splits, lanes };
}

/**
 * The WGSL of conv_general_dilated for float32 operands of these shapes and params (the output
 * shape as the shape rule gives it). `maxWorkgroups` is the device's per-dimension limit: larger
 * launches fold into a second grid dimension.
 *
 * @example convWgsl([8, 28, 28, 1], [3, 3, 1, 32], [8, 26, 26, 32], { windowStrides: [1, 1], padding: [[0, 0], [0, 0]], lhsDilation: [1, 1], rhsDilation: [1, 1], dimensionNumbers: { lhsSpec: [0, 3, 1, 2], rhsSpec: [3, 2, 0, 1], outSpec: [0, 3, 1, 2] }, featureGroupCount: 1, batchGroupCount: 1 }).main.code
 */
export function convWgsl(lhs: Shape, rhs: Shape, out: Shape, p: ConvParamsWgsl, blocking?: ConvBlocking, maxWorkgroups = 65535): ConvWgsl {
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  const g = geometry(lhs, rhs, out, p);
  const { ns, kIn, perGroup, window } = g;
  const { bm, bn, wg, splits, lanes } = blocking ?? convBlocking(lhs, rhs, out, p);
  const [ls, rs, os] = [stridesOf(lhs), stridesOf(rhs), stridesOf(out)];
  const batch = out[outSpec[0]];
  const outSize = prod(out);
  // Output positions: batch and spatial axes, enumerated with the one the input walks most
  // contiguously fastest, so a block's positions read neighbouring input elements.
  const posAxes = [
    { extent: batch, lhsStride: ls[lhsSpec[0]], outStride: os[outSpec[0]], s: -1 },
    ...range(ns).map((s) => ({ extent: out[outSpec[2 + s]], lhsStride: ls[lhsSpec[2 + s]] * p.windowStrides[s], outStride: os[outSpec[2 + s]], s })),
  ].sort((a, b) => a.lhsStride - b.lhsStride || a.outStride - b.outStride);
  const nfb = Math.ceil(perGroup / bn);
  const npb = Math.ceil(g.positions / bm);
  // The lanes of a workgroup take consecutive blocks along one axis; the other block index (and
  // the group and split part) is the workgroup's, so its loads are uniform: software adapters
  // then load once per workgroup row instead of once per lane.
  const laneBlocks = lanes === "positions" ? npb : nfb;
  const rows = Math.ceil(laneBlocks / wg);
  const wgTotal = rows * (lanes === "positions" ? nfb : npb) * g.groups * splits;
  const gridX = Math.min(wgTotal, maxWorkgroups);
  const gridY = Math.ceil(wgTotal / gridX);
  if (gridY > maxWorkgroups) throw new RangeError(`convWgsl: ${wgTotal} workgroups exceed the device's launch limit`);

  const vw = Math.min(bn, 4);
  const nv = Math.ceil(bn / vw);
  const vt = vw === 1 ? "f32" : `vec${vw}<f32>`;
  const L: string[] = [];
  const emit = (s: string) => L.push(s);
  const [laneIdx, wgIdx, wgCount] = lanes === "positions" ? ["pb", "fb", nfb] : ["fb", "pb", npb];
  emit(`@group(0) @binding(0) var<storage, read> L: array<f32>;
@group(0) @binding(1) var<storage, read> R: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let wgi = wid.y * ${u(gridX)} + wid.x;
  if (wgi >= ${u(wgTotal)}) { return; }
  let ${wgIdx} = wgi % ${u(wgCount)};
  var t = wgi / ${u(wgCount)};
  let ${laneIdx} = (t % ${u(rows)}) * ${u(wg)} + lid;
  if (${laneIdx} >= ${u(laneBlocks)}) { return; }
  t = t / ${u(rows)};
  let grp = t % ${u(g.groups)};
  let part = t / ${u(g.groups)};`);
  // Group offsets: a feature group reads its slice of input features, a batch group its slice of the batch.
  const lhsGroupStride = (p.featureGroupCount > 1 ? kIn * ls[lhsSpec[1]] : 0) + (p.batchGroupCount > 1 ? batch * ls[lhsSpec[0]] : 0);
  emit(`  let gOff = grp * ${u(lhsGroupStride)};`);
  // Features of the block (clamped to the group: extra lanes recompute the last and are not stored).
  for (let c = 0; c < bn; c++) emit(`  let w${c} = (grp * ${u(perGroup)} + min(fb * ${u(bn)} + ${u(c)}, ${u(perGroup - 1)})) * ${u(rs[rhsSpec[0]])};`);
  // Positions of the block: output offset, input base offset and tap origin per spatial axis.
  const needCheck = range(ns).map((s) => {
    const size = lhs[lhsSpec[2 + s]];
    const maxReach = (out[outSpec[2 + s]] - 1) * p.windowStrides[s] + (window[s] - 1) * p.rhsDilation[s];
    return !(p.lhsDilation[s] === 1 && p.padding[s][0] <= 0 && maxReach - p.padding[s][0] < size);
  });
  for (let j = 0; j < bm; j++) {
    emit(`  var r${j} = min(pb * ${u(bm)} + ${u(j)}, ${u(g.positions - 1)});`);
    const outTerms: string[] = [];
    const lhsTerms: string[] = ["gOff"];
    posAxes.forEach((a, k) => {
      const idx = `q${j}_${k}`;
      emit(`  let ${idx} = r${j} % ${u(a.extent)};`);
      if (k < posAxes.length - 1) emit(`  r${j} = r${j} / ${u(a.extent)};`);
      outTerms.push(`${idx} * ${u(a.outStride)}`);
      if (a.s < 0) lhsTerms.push(`${idx} * ${u(ls[lhsSpec[0]])}`);
      else emit(`  let o${j}_${a.s} = i32(${idx}) * ${i32(p.windowStrides[a.s])} - ${i32(p.padding[a.s][0])};`);
    });
    emit(`  let ob${j} = ${outTerms.join(" + ") || "0u"};`);
    emit(`  let lb${j} = ${lhsTerms.join(" + ")};`);
  }
  for (let j = 0; j < bm; j++) for (let v = 0; v < nv; v++) emit(`  var acc${j}_${v} = ${vt}(0.0);`);
  // Split parts divide one contraction axis (a window axis, or the input features at index ns).
  const bounds = (axis: number, extent: number): [string, string] => {
    if (splits === 1 || g.splitAxis !== axis) return [u(0), u(extent)];
    const chunk = Math.ceil(extent / splits);
    return [`part * ${u(chunk)}`, `min(part * ${u(chunk)} + ${u(chunk)}, ${u(extent)})`];
  };
  let indent = "  ";
  for (let s = 0; s < ns; s++) {
    const [lo, hi] = bounds(s, window[s]);
    emit(`${indent}for (var k${s} = ${lo}; k${s} < ${hi}; k${s} = k${s} + 1u) {`);
    indent += "  ";
    const size = lhs[lhsSpec[2 + s]];
    const bd = p.lhsDilation[s];
    const lStride = ls[lhsSpec[2 + s]];
    for (let j = 0; j < bm; j++) {
      const prevOff = s === 0 ? `lb${j}` : `a${j}_${s - 1}`;
      emit(`${indent}let p${j}_${s} = o${j}_${s} + i32(k${s}) * ${i32(p.rhsDilation[s])};`);
      const q = bd === 1 ? `u32(p${j}_${s})` : `u32(p${j}_${s}) / ${u(bd)}`;
      emit(`${indent}let a${j}_${s} = ${prevOff} + ${q} * ${u(lStride)};`);
      if (needCheck[s]) {
        // A negative position wraps to a huge u32: one compare checks both ends.
        let ok = bd === 1 ? `u32(p${j}_${s}) < ${u(size)}` : `u32(p${j}_${s}) < ${u(size * bd)} && u32(p${j}_${s}) % ${u(bd)} == 0u`;
        const prev = range(s).reverse().find((t) => needCheck[t]);
        if (prev !== undefined) ok = `v${j}_${prev} && ${ok}`;
        emit(`${indent}let v${j}_${s} = ${ok};`);
      }
    }
    emit(`${indent}let tap${s} = ${s === 0 ? "0u" : `tap${s - 1}`} + k${s} * ${u(rs[rhsSpec[2 + s]])};`);
  }
  const lastCheck = range(ns).reverse().find((s) => needCheck[s]);
  const lastOff = (j: number) => (ns === 0 ? `lb${j}` : `a${j}_${ns - 1}`);
  const tap = ns === 0 ? "0u" : `tap${ns - 1}`;
  const [iLo, iHi] = bounds(ns, kIn);
  const lF = ls[lhsSpec[1]];
  const rI = rs[rhsSpec[1]];
  const wLoad = (v: number, ptr: string) => {
    const lanes = range(vw).map((c) => `R[w${v * vw + c} + ${ptr}]`);
    return vw === 1 ? lanes[0] : `${vt}(${lanes.join(", ")})`;
  };
  const body = (checked: boolean) => {
    const lines = [`for (var i = ${iLo}; i < ${iHi}; i = i + 1u) {`, `  let wp = ${tap} + i * ${u(rI)};`];
    for (let v = 0; v < nv; v++) lines.push(`  let b${v} = ${wLoad(v, "wp")};`);
    for (let j = 0; j < bm; j++) {
      const load = `L[l${j} + i * ${u(lF)}]`;
      lines.push(`  let x${j} = ${checked ? `select(0.0, ${load}, v${j}_${lastCheck})` : load};`);
      for (let v = 0; v < nv; v++) lines.push(`  acc${j}_${v} = fma(${vt}(x${j}), b${v}, acc${j}_${v});`);
    }
    lines.push("}");
    return lines;
  };
  if (lastCheck === undefined) {
    for (let j = 0; j < bm; j++) emit(`${indent}let l${j} = ${lastOff(j)};`);
    body(false).forEach((l) => emit(indent + l));
  } else {
    // Missed taps read the group's first element (always in bounds) and select zero.
    for (let j = 0; j < bm; j++) emit(`${indent}let l${j} = select(gOff, ${lastOff(j)}, v${j}_${lastCheck});`);
    const all = range(bm).map((j) => `v${j}_${lastCheck}`);
    emit(`${indent}if (${all.join(" && ")}) {`);
    body(false).forEach((l) => emit(`${indent}  ${l}`));
    emit(`${indent}} else if (${all.join(" || ")}) {`);
    body(true).forEach((l) => emit(`${indent}  ${l}`));
    emit(`${indent}}`);
  }
  for (let s = ns - 1; s >= 0; s--) {
    indent = indent.slice(2);
    emit(`${indent}}`);
  }
  // Stores: positions past the end and features past the group are dropped.
  emit(`  let base = part * ${u(outSize)};`);
  for (let j = 0; j < bm; j++) {
    emit(`  if (pb * ${u(bm)} + ${u(j)} < ${u(g.positions)}) {`);
    for (let c = 0; c < bn; c++) {
      const v = Math.floor(c / vw);
      const lane = vw === 1 ? `acc${j}_${v}` : `acc${j}_${v}[${c % vw}]`;
      const f = `fb * ${u(bn)} + ${u(c)}`;
      emit(`    if (${f} < ${u(perGroup)}) { O[base + ob${j} + (grp * ${u(perGroup)} + ${f}) * ${u(os[outSpec[1]])}] = ${lane}; }`);
    }
    emit("  }");
  }
  emit("}");
  return { main: { code: `${L.join("\n")}\n`, workgroups: [gridX, gridY, 1] }, reduce: splits > 1 ? reduceWgsl(outSize, splits, maxWorkgroups) : null, splits };
}

/** `out[e] = sum over parts of partial[part * size + e]`. */
function reduceWgsl(size: number, parts: number, maxWorkgroups: number): WgslLaunch {
  const groups = Math.ceil(size / 64);
  const gridX = Math.min(groups, maxWorkgroups);
  const gridY = Math.ceil(groups / gridX);
  const code = `@group(0) @binding(0) var<storage, read> P: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.y * ${u(gridX * 64)} + gid.x;
  if (e >= ${u(size)}) { return; }
  var s = 0.0;
  for (var k = 0u; k < ${u(parts)}; k = k + 1u) { s = s + P[k * ${u(size)} + e]; }
  O[e] = s;
}
`;
  return { code, workgroups: [gridX, gridY, 1] };
}
