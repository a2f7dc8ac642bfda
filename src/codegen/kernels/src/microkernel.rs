//! The register-blocked inner kernel: an MR x NR tile of C held in f32x4 accumulators while one
//! packed panel of A (MR floats per k) and one of B (NR floats per k) stream through.
//!
//! V8 on x86-64 has 15 allocatable xmm registers and, without FMA, each multiply-add needs a
//! temporary. 4 rows x 2 vectors (4x8: 8 accumulators, 2 B vectors, a broadcast A value and a
//! product) and 2x16 measured alike and about twice as fast as 5x8, 6x8, 3x12 or 4x12, whose
//! accumulators spill (see README.md for the numbers). 4x8 wastes less on narrow matrices.
//! Every multiply-add of GEMM (and so of conv2d, which runs on it) goes through `madd`, the one
//! place the relaxed-SIMD build differs from the plain one.

use core::arch::wasm32::*;

/// Rows of C per micro-tile.
pub const MR: usize = 4;
/// f32x4 vectors per micro-tile row; NR = 4 * NV columns.
pub const NV: usize = 2;
pub const NR: usize = 4 * NV;

/// acc + a * b. Built with `-C target-feature=+relaxed-simd` (kiln_kernels_relaxed.wasm) this is
/// `f32x4.relaxed_madd`, which x86-64 (FMA3) and arm64 engines run as one fused multiply-add: one
/// rounding, and no temporary register; an engine may also run it as mul + add.
///
/// The feature is module-wide (WebAssembly has no per-function features: LLVM gives every function
/// the union), and with it LLVM also emits `relaxed_min`/`relaxed_max` for `f32x4_pmin`/`pmax`,
/// whose NaN results are up to the engine; epilogue.rs therefore restores NaN lanes explicitly.
#[cfg(target_feature = "relaxed-simd")]
#[inline(always)]
fn madd(acc: v128, a: v128, b: v128) -> v128 {
    f32x4_relaxed_madd(a, b, acc)
}

/// acc + a * b, rounded twice (plain SIMD128: kiln_kernels.wasm).
#[cfg(not(target_feature = "relaxed-simd"))]
#[inline(always)]
fn madd(acc: v128, a: v128, b: v128) -> v128 {
    f32x4_add(acc, f32x4_mul(a, b))
}

/// Accumulates `kc` rank-1 updates of packed panels `a` (kc x MR) and `b` (kc x NR) into a fresh tile.
#[inline(always)]
pub unsafe fn tile(kc: usize, mut a: *const f32, mut b: *const f32) -> [[v128; NV]; MR] {
    let mut acc = [[f32x4_splat(0.0); NV]; MR];
    let mut p = 0;
    while p < kc {
        let mut bv = [f32x4_splat(0.0); NV];
        for v in 0..NV {
            bv[v] = v128_load(b.add(4 * v) as *const v128);
        }
        for r in 0..MR {
            let av = v128_load32_splat(a.add(r) as *const u32);
            for v in 0..NV {
                acc[r][v] = madd(acc[r][v], av, bv[v]);
            }
        }
        a = a.add(MR);
        b = b.add(NR);
        p += 1;
    }
    acc
}
