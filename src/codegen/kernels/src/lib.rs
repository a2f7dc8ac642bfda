//! Kiln's WebAssembly SIMD128 kernels: GEMM with fused bias/activation epilogues and NHWC conv2d
//! (forward, input gradient, weight gradient), plus the allocator JavaScript uses to place data in
//! the module's linear memory. Every export takes byte addresses into that memory; matrices are
//! row-major f32 with explicit leading dimensions. Status codes: 0 ok, -1 out of memory,
//! -2 bad argument. The loader is src/backend/wasm/kernels.ts.
#![no_std]

mod alloc;
mod conv;
mod epilogue;
mod gemm;
mod microkernel;

use epilogue::{Epilogue, ACT_COUNT};
use gemm::{Mat, BAD_ARGUMENT};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Allocates `bytes` bytes, 16-byte aligned, in linear memory; 0 when memory cannot grow.
#[no_mangle]
pub unsafe extern "C" fn kiln_alloc(bytes: usize) -> usize {
    alloc::alloc(bytes)
}

/// Frees a block returned by `kiln_alloc` (0 is ignored).
#[no_mangle]
pub unsafe extern "C" fn kiln_free(ptr: usize) {
    alloc::free(ptr)
}

/// Payload bytes of all live blocks.
#[no_mangle]
pub unsafe extern "C" fn kiln_heap_in_use() -> usize {
    alloc::bytes_in_use()
}

/// ABI version of this module's exports; the loader refuses a module with another version.
#[no_mangle]
pub extern "C" fn kiln_abi_version() -> u32 {
    1
}

/// C = alpha op(A) op(B) + beta C, with op(A) m x k, op(B) k x n and C m x n. `trans_a`/`trans_b`
/// non-zero read A as k x m (row stride lda) / B as n x k. C is not read when beta == 0.
#[no_mangle]
pub unsafe extern "C" fn gemm_f32(
    m: usize, n: usize, k: usize,
    a: *const f32, lda: usize, b: *const f32, ldb: usize, c: *mut f32, ldc: usize,
    alpha: f32, beta: f32, trans_a: u32, trans_b: u32,
) -> i32 {
    gemm_bias_act_f32(m, n, k, a, lda, b, ldb, c, ldc, alpha, beta, trans_a, trans_b, core::ptr::null(), 0)
}

/// `gemm_f32` followed, while each tile is still in registers, by C[i][j] = act(C[i][j] + bias[j]).
/// `bias` is n floats or 0 for none; `act`: 0 none, 1 relu, 2 sigmoid, 3 tanh.
#[no_mangle]
pub unsafe extern "C" fn gemm_bias_act_f32(
    m: usize, n: usize, k: usize,
    a: *const f32, lda: usize, b: *const f32, ldb: usize, c: *mut f32, ldc: usize,
    alpha: f32, beta: f32, trans_a: u32, trans_b: u32, bias: *const f32, act: u32,
) -> i32 {
    let (ta, tb) = (trans_a != 0, trans_b != 0);
    let bad_ld = lda < if ta { m } else { k } || ldb < if tb { k } else { n } || ldc < n;
    if act >= ACT_COUNT || bad_ld {
        return BAD_ARGUMENT;
    }
    let a = Mat { ptr: a, ld: lda, trans: ta };
    let b = Mat { ptr: b, ld: ldb, trans: tb };
    gemm::gemm(m, n, k, a, b, c, ldc, alpha, beta, Epilogue { bias, act })
}

/// NHWC conv2d forward with HWIO weights and a fused bias/activation epilogue.
/// `desc` points at a `ConvDesc` (16 u32, layout in conv.rs); `bias` is O floats or 0.
#[no_mangle]
pub unsafe extern "C" fn conv2d_nhwc_f32(desc: *const u32, x: *const f32, w: *const f32, bias: *const f32, act: u32, y: *mut f32) -> i32 {
    if act >= ACT_COUNT {
        return BAD_ARGUMENT;
    }
    conv::forward(desc, x, w, Epilogue { bias, act }, y)
}

/// Input gradient of `conv2d_nhwc_f32` (without epilogue): dx = conv2d_transpose(dy, w). Overwrites dx.
#[no_mangle]
pub unsafe extern "C" fn conv2d_nhwc_grad_input_f32(desc: *const u32, dy: *const f32, w: *const f32, dx: *mut f32) -> i32 {
    conv::grad_input(desc, dy, w, dx)
}

/// Weight gradient of `conv2d_nhwc_f32` (without epilogue): dw = sum over batch of x (*) dy. Overwrites dw.
#[no_mangle]
pub unsafe extern "C" fn conv2d_nhwc_grad_weight_f32(desc: *const u32, x: *const f32, dy: *const f32, dw: *mut f32) -> i32 {
    conv::grad_weight(desc, x, dy, dw)
}
