//! Fused GEMM epilogues: per-column bias and an activation, applied to f32x4 lanes while a
//! finished tile of C is still in registers, so no second pass over C is needed.
//!
//! The transcendental functions are float32 and exp based; their errors against a float64
//! reference are measured by the TypeScript tests (see README.md for the numbers):
//! - `exp`: Cody-Waite reduction x = n ln2 + r (|r| <= ln2/2), degree-6 polynomial, scale by 2^n.
//! - `sigmoid`: e = exp(-|x|) never overflows; 1/(1+e) for x >= 0 and e/(1+e) for x < 0 keeps the
//!   relative error small in both tails.
//! - `tanh`: odd polynomial x + x^3 P(x^2) for |x| < 0.625, where 1 - 2/(e^{2|x|}+1) would cancel;
//!   that formula beyond. Polynomials are least-squares fits in relative error (our own fit).

use core::arch::wasm32::*;

/// Activation codes shared with the JavaScript loader (`Activation` in kernels.ts).
pub const ACT_NONE: u32 = 0;
pub const ACT_RELU: u32 = 1;
pub const ACT_SIGMOID: u32 = 2;
pub const ACT_TANH: u32 = 3;
pub const ACT_COUNT: u32 = 4;

/// The epilogue of one GEMM call: `bias` points at n floats (null for none).
#[derive(Clone, Copy)]
pub struct Epilogue {
    pub bias: *const f32,
    pub act: u32,
}

impl Epilogue {
    pub const NONE: Epilogue = Epilogue { bias: core::ptr::null(), act: ACT_NONE };

    #[inline(always)]
    pub fn is_none(&self) -> bool {
        self.bias.is_null() && self.act == ACT_NONE
    }
}

#[inline(always)]
fn splat(x: f32) -> v128 {
    f32x4_splat(x)
}

/// e^x per lane. Inputs are clamped to [-87, 88.3] so that adding n to the exponent field always
/// gives a finite normal float; below -87 the result is flushed to 0 (e^-87 is 1.6e-38).
#[inline(always)]
pub fn exp(x_in: v128) -> v128 {
    let x = f32x4_pmax(f32x4_pmin(x_in, splat(88.3)), splat(-87.0));
    let n = f32x4_nearest(f32x4_mul(x, splat(core::f32::consts::LOG2_E)));
    // ln2 split in a part exact in 8 bits and a correction, so n*LN2_HI is exact.
    let r = f32x4_sub(x, f32x4_mul(n, splat(0.693_359_4)));
    let r = f32x4_sub(r, f32x4_mul(n, splat(-2.121_944_4e-4)));
    let mut q = splat(0.001_375_140_855_088_83);
    q = f32x4_add(f32x4_mul(q, r), splat(0.008_368_918_672_204_018));
    q = f32x4_add(f32x4_mul(q, r), splat(0.041_669_532_656_669_62));
    q = f32x4_add(f32x4_mul(q, r), splat(0.166_665_181_517_601));
    q = f32x4_add(f32x4_mul(q, r), splat(0.499_999_880_790_710_45));
    let p = f32x4_add(f32x4_add(splat(1.0), r), f32x4_mul(f32x4_mul(r, r), q));
    // Multiply by 2^n by adding n to the exponent field.
    let scale = i32x4_shl(i32x4_trunc_sat_f32x4(n), 23);
    v128_andnot(i32x4_add(p, scale), f32x4_lt(x_in, splat(-87.0)))
}

#[inline(always)]
pub fn sigmoid(x: v128) -> v128 {
    let e = exp(f32x4_neg(f32x4_abs(x)));
    let num = v128_bitselect(e, splat(1.0), f32x4_lt(x, splat(0.0)));
    f32x4_div(num, f32x4_add(splat(1.0), e))
}

#[inline(always)]
pub fn tanh(x: v128) -> v128 {
    let ax = f32x4_abs(x);
    let x2 = f32x4_mul(x, x);
    let mut p = splat(-0.005_797_633_901_238_441_5);
    p = f32x4_add(f32x4_mul(p, x2), splat(0.020_719_897_001_981_735));
    p = f32x4_add(f32x4_mul(p, x2), splat(-0.053_763_695_061_206_82));
    p = f32x4_add(f32x4_mul(p, x2), splat(0.133_317_172_527_313_23));
    p = f32x4_add(f32x4_mul(p, x2), splat(-0.333_332_926_034_927_37));
    let small = f32x4_add(x, f32x4_mul(f32x4_mul(x, x2), p));
    let e = exp(f32x4_add(ax, ax));
    let big = f32x4_sub(splat(1.0), f32x4_div(splat(2.0), f32x4_add(e, splat(1.0))));
    let sign = v128_and(x, splat(-0.0));
    let big = v128_or(big, sign);
    v128_bitselect(small, big, f32x4_lt(ax, splat(0.625)))
}

/// Applies the activation code to four lanes; NaN inputs stay NaN for every activation.
#[inline(always)]
pub fn activate(x: v128, act: u32) -> v128 {
    let y = match act {
        ACT_RELU => f32x4_pmax(x, splat(0.0)),
        ACT_SIGMOID => sigmoid(x),
        ACT_TANH => tanh(x),
        _ => return x,
    };
    // The clamps above are pmin/pmax, which the relaxed-SIMD build gets as relaxed_min/max (see
    // microkernel.rs): on x86-64 those return the other operand for NaN. Pass NaN lanes through.
    v128_bitselect(x, y, f32x4_ne(x, x))
}

/// Applies bias and activation in place to a row segment of `len` floats starting at column `col`.
/// Used where C is finished outside the micro-kernel (k == 0, and the conv2d output).
pub unsafe fn apply_row(row: *mut f32, len: usize, col: usize, ep: Epilogue) {
    let mut j = 0;
    while j < len {
        let w = (len - j).min(4);
        let mut lane = [0f32; 4];
        let mut bias = [0f32; 4];
        for t in 0..w {
            lane[t] = *row.add(j + t);
            if !ep.bias.is_null() {
                bias[t] = *ep.bias.add(col + j + t);
            }
        }
        let v = activate(f32x4_add(v128_load(lane.as_ptr() as *const v128), v128_load(bias.as_ptr() as *const v128)), ep.act);
        v128_store(lane.as_mut_ptr() as *mut v128, v);
        for t in 0..w {
            *row.add(j + t) = lane[t];
        }
        j += 4;
    }
}
