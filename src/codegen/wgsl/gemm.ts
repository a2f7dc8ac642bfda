/**
 * @file A tiled float32 GEMM in WGSL: `C[b] = op(A[b]) op(B[b])` for row-major operands, where
 * op transposes an operand whose contracting axis comes first. Each workgroup of 16x16
 * invocations computes a 64x64 tile of C, each invocation a 4x4 block held in four vec4
 * accumulators; K advances in steps of 16 through tiles of A and B staged in workgroup memory
 * (8 KiB), so every operand element is read from storage once per tile row/column instead of
 * once per product. Edges are handled by zero-filling the staged tiles and masking the stores.
 * Shapes are baked into the shader as constants (a pipeline per GEMM shape).
 */

/** Output tile (rows and columns of C per workgroup), and the K step. */
export const GEMM_TILE = 64;
const TK = 16;

export interface GemmShape {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** A is stored [K, M] (its contracting axis first). */
  readonly transA: boolean;
  /** B is stored [N, K]. */
  readonly transB: boolean;
  /** Epilogue: add a bias of N floats (binding 3) along the rows, then apply relu. */
  readonly bias?: boolean;
  readonly relu?: boolean;
}

/** The four rows of an invocation's 4x4 block of C. */
const ACCUMULATORS = [0, 1, 2, 3].map((i) => `  var acc${i} = vec4<f32>(0.0);`).join("\n");

/** Stores an invocation's 4x4 block at rows r.., columns c.. (masked at the edges of C). */
const storeBlock = (g: GemmShape): string => `  let rows = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i = i + 1u) {
    if (r + i >= M) { break; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      ${storeC(g)}
    }
  }`;

/** The store of C's element (r + i, c + j), through the epilogue. */
function storeC(g: GemmShape): string {
  let v = "rows[i][j]";
  if (g.bias) v = `(${v} + bias[c + j])`;
  // relu as max(x, 0) in the reference: NaN stays NaN, -0 becomes 0.
  const value = g.relu ? `select(${v}, 0.0, ${v} <= 0.0)` : v;
  return `if (c + j < N) { C[cOff + (r + i) * N + c + j] = ${value}; }`;
}

const biasBinding = (g: GemmShape) => (g.bias ? "\n@group(0) @binding(3) var<storage, read> bias: array<f32>;" : "");

/**
 * The WGSL of a GEMM of `g`'s shape; bindings: 0 = A, 1 = B, 2 = C.
 *
 * @example gemmWgsl({ batch: 1, m: 256, n: 256, k: 256, transA: false, transB: false })
 */
export function gemmWgsl(g: GemmShape): string {
  const aAt = g.transA ? "gk * M + gm" : "gm * K + gk";
  const bAt = g.transB ? "gn * K + hk" : "hk * N + gn";
  // Staging order: consecutive invocations read consecutive storage elements.
  const aTile = g.transA ? ["e / TM", "e % TM"] : ["e % TK", "e / TK"]; // [k, m]
  const bTile = g.transB ? ["e % TK", "e / TK"] : ["e / TN", "e % TN"]; // [k, n]
  return `@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;${biasBinding(g)}
const M = ${g.m}u;
const N = ${g.n}u;
const K = ${g.k}u;
const TM = ${GEMM_TILE}u;
const TN = ${GEMM_TILE}u;
const TK = ${TK}u;
var<workgroup> As: array<f32, ${TK * GEMM_TILE}>;
var<workgroup> Bs: array<f32, ${TK * GEMM_TILE}>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let aOff = wid.z * M * K;
  let bOff = wid.z * K * N;
  let cOff = wid.z * M * N;
  let row0 = wid.y * TM;
  let col0 = wid.x * TN;
  let tid = lid.y * 16u + lid.x;
${ACCUMULATORS}
  for (var k0 = 0u; k0 < K; k0 = k0 + TK) {
    for (var i = 0u; i < 4u; i = i + 1u) {
      let e = tid + i * 256u;
      let tk = ${aTile[0]};
      let tm = ${aTile[1]};
      let gm = row0 + tm;
      let gk = k0 + tk;
      var v = 0.0;
      if (gm < M && gk < K) { v = A[aOff + ${aAt}]; }
      As[tk * TM + tm] = v;
      let uk = ${bTile[0]};
      let un = ${bTile[1]};
      let gn = col0 + un;
      let hk = k0 + uk;
      var w = 0.0;
      if (gn < N && hk < K) { w = B[bOff + ${bAt}]; }
      Bs[uk * TN + un] = w;
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k = k + 1u) {
      let a = vec4<f32>(As[k * TM + lid.y * 4u], As[k * TM + lid.y * 4u + 1u], As[k * TM + lid.y * 4u + 2u], As[k * TM + lid.y * 4u + 3u]);
      let b = vec4<f32>(Bs[k * TN + lid.x * 4u], Bs[k * TN + lid.x * 4u + 1u], Bs[k * TN + lid.x * 4u + 2u], Bs[k * TN + lid.x * 4u + 3u]);
      acc0 = acc0 + a.x * b;
      acc1 = acc1 + a.y * b;
      acc2 = acc2 + a.z * b;
      acc3 = acc3 + a.w * b;
    }
    workgroupBarrier();
  }
  let r = row0 + lid.y * 4u;
  let c = col0 + lid.x * 4u;
${storeBlock(g)}
}
`;
}

/** Workgroups for `g`: [columns of tiles, rows of tiles, batch]. */
export const gemmGrid = (g: GemmShape): [number, number, number] => [Math.ceil(g.n / GEMM_TILE), Math.ceil(g.m / GEMM_TILE), g.batch];

/**
 * A GEMM without workgroup memory: each invocation computes a 4x4 block of C straight from
 * storage. Software adapters (lavapipe, SwiftShader) run workgroup barriers by switching
 * between invocations on a CPU thread, which makes the tiled kernel 5-8x slower there than this
 * one, whose operand reuse the CPU caches provide. Same bindings as `gemmWgsl`; 8x8 workgroups.
 *
 * @example gemmDirectWgsl({ batch: 1, m: 256, n: 256, k: 256, transA: false, transB: false })
 */
export function gemmDirectWgsl(g: GemmShape): string {
  if (!g.transA && !g.transB && g.n % 4 === 0 && g.k % 4 === 0) return gemmDirectVec4(g);
  const aAt = (row: string) => (g.transA ? `k * M + ${row}` : `${row} * K + k`);
  const bAt = (col: string) => (g.transB ? `${col} * K + k` : `k * N + ${col}`);
  const lane = (i: number, what: "a" | "b") => {
    const idx = what === "a" ? `r + ${i}u` : `c + ${i}u`;
    const lim = what === "a" ? "M" : "N";
    return `select(0.0, ${what === "a" ? "A" : "B"}[${what === "a" ? "aOff" : "bOff"} + ${what === "a" ? aAt(`min(${idx}, M - 1u)`) : bAt(`min(${idx}, N - 1u)`)}], ${idx} < ${lim})`;
  };
  return `@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;${biasBinding(g)}
const M = ${g.m}u;
const N = ${g.n}u;
const K = ${g.k}u;
@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.y * 4u;
  let c = gid.x * 4u;
  if (r >= M || c >= N) { return; }
  let aOff = gid.z * M * K;
  let bOff = gid.z * K * N;
  let cOff = gid.z * M * N;
${ACCUMULATORS}
  for (var k = 0u; k < K; k = k + 1u) {
    let a = vec4<f32>(${[0, 1, 2, 3].map((i) => lane(i, "a")).join(", ")});
    let b = vec4<f32>(${[0, 1, 2, 3].map((i) => lane(i, "b")).join(", ")});
    acc0 = acc0 + a.x * b;
    acc1 = acc1 + a.y * b;
    acc2 = acc2 + a.z * b;
    acc3 = acc3 + a.w * b;
  }
${storeBlock(g)}
}
`;
}

/**
 * The direct GEMM with vec4 loads, for row-major A and B whose K and N are multiples of 4: each
 * step of K reads four vec4s of B and a vec4 of each of the four A rows (1.7x the scalar-load
 * form on lavapipe). Rows past M read the last row (in bounds) and are never stored.
 */
function gemmDirectVec4(g: GemmShape): string {
  const aRow = (i: number) => `A[aOff + min(r + ${i}u, M - 1u) * K4 + k4]`;
  const bRow = (i: number) => `B[bOff + (k + ${i}u) * N4 + c4]`;
  return `@group(0) @binding(0) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;${biasBinding(g)}
const M = ${g.m}u;
const N = ${g.n}u;
const K4 = ${g.k / 4}u;
const N4 = ${g.n / 4}u;
@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.y * 4u;
  let c4 = gid.x;
  let c = c4 * 4u;
  if (r >= M || c >= N) { return; }
  let aOff = gid.z * M * K4;
  let bOff = gid.z * K4 * 4u * N4;
  let cOff = gid.z * M * N;
${ACCUMULATORS}
  for (var k4 = 0u; k4 < K4; k4 = k4 + 1u) {
    let k = k4 * 4u;
    let b0 = ${bRow(0)};
    let b1 = ${bRow(1)};
    let b2 = ${bRow(2)};
    let b3 = ${bRow(3)};
${[0, 1, 2, 3].map((i) => `    let a${i} = ${aRow(i)};\n    acc${i} = acc${i} + a${i}.x * b0 + a${i}.y * b1 + a${i}.z * b2 + a${i}.w * b3;`).join("\n")}
  }
${storeBlock(g)}
}
`;
}

/** Workgroups of the direct GEMM for `g`. */
export const gemmDirectGrid = (g: GemmShape): [number, number, number] => [Math.ceil(g.n / 32), Math.ceil(g.m / 32), g.batch];
