//! Packed, cache-blocked single-precision GEMM: C = act(alpha op(A) op(B) + beta C + bias).
//!
//! Loop nest (Goto/BLIS order): columns of C in blocks of NC; k in blocks of KC, for which a
//! KC x NC slab of op(B) is packed into NR-wide panels; rows in blocks of MC, for which an MC x KC
//! slab of op(A) is packed into MR-tall panels; then every NR x MR micro-tile. A B micro-panel
//! (KC x NR, 12 KiB) stays in L1 while the packed A block (MC x KC, 128 KiB) streams from L2.
//! Packing pads edge panels with zeros, so the micro-kernel always runs a full tile; edge tiles
//! are finished through a small buffer. Transposes are absorbed by the packing routines.

use crate::alloc::Scratch;
use crate::epilogue::{activate, apply_row, Epilogue};
use crate::microkernel::{tile, MR, NR, NV};
use core::arch::wasm32::*;

/// Rows of A packed per block (a multiple of MR).
pub const MC: usize = 128;
/// Depth of one packed block.
pub const KC: usize = 512;
/// Columns of B packed per block (a multiple of NR).
pub const NC: usize = 3072;

/// A strided, optionally transposed f32 matrix operand: element (i, j) of op(M).
#[derive(Clone, Copy)]
pub struct Mat {
    pub ptr: *const f32,
    pub ld: usize,
    pub trans: bool,
}

/// Status codes returned to JavaScript.
pub const OK: i32 = 0;
pub const OUT_OF_MEMORY: i32 = -1;
pub const BAD_ARGUMENT: i32 = -2;

#[inline(always)]
fn round_up(x: usize, to: usize) -> usize {
    (x + to - 1) / to * to
}

/// Packs rows [i0, i0+mc) x depth [p0, p0+kc) of op(A) as MR-row panels, k-major within a panel.
unsafe fn pack_a(a: Mat, i0: usize, mc: usize, p0: usize, kc: usize, dst: *mut f32) {
    let mut ir = 0;
    while ir < mc {
        let rows = (mc - ir).min(MR);
        let d = dst.add(ir * kc);
        if a.trans {
            // op(A)(i, p) = A[p][i]: each k step reads MR neighbouring floats.
            for p in 0..kc {
                let src = a.ptr.add((p0 + p) * a.ld + i0 + ir);
                for r in 0..MR {
                    *d.add(p * MR + r) = if r < rows { *src.add(r) } else { 0.0 };
                }
            }
        } else {
            for r in 0..MR {
                if r < rows {
                    let src = a.ptr.add((i0 + ir + r) * a.ld + p0);
                    for p in 0..kc {
                        *d.add(p * MR + r) = *src.add(p);
                    }
                } else {
                    for p in 0..kc {
                        *d.add(p * MR + r) = 0.0;
                    }
                }
            }
        }
        ir += MR;
    }
}

/// Packs depth [p0, p0+kc) x columns [j0, j0+nc) of op(B) as NR-column panels, k-major.
unsafe fn pack_b(b: Mat, p0: usize, kc: usize, j0: usize, nc: usize, dst: *mut f32) {
    let mut jr = 0;
    while jr < nc {
        let cols = (nc - jr).min(NR);
        let d = dst.add(jr * kc);
        if b.trans {
            // op(B)(p, j) = B[j][p]: walk each source row contiguously.
            for c in 0..NR {
                if c < cols {
                    let src = b.ptr.add((j0 + jr + c) * b.ld + p0);
                    for p in 0..kc {
                        *d.add(p * NR + c) = *src.add(p);
                    }
                } else {
                    for p in 0..kc {
                        *d.add(p * NR + c) = 0.0;
                    }
                }
            }
        } else if cols == NR {
            for p in 0..kc {
                let src = b.ptr.add((p0 + p) * b.ld + j0 + jr);
                for v in 0..NV {
                    v128_store(d.add(p * NR + 4 * v) as *mut v128, v128_load(src.add(4 * v) as *const v128));
                }
            }
        } else {
            for p in 0..kc {
                let src = b.ptr.add((p0 + p) * b.ld + j0 + jr);
                for c in 0..NR {
                    *d.add(p * NR + c) = if c < cols { *src.add(c) } else { 0.0 };
                }
            }
        }
        jr += NR;
    }
}

/// How a finished tile is combined with C.
#[derive(Clone, Copy)]
struct Store {
    alpha: f32,
    beta: f32,           // beta for the first k block, 1 for later ones
    ep: Option<Epilogue>, // only on the last k block
}

/// Writes alpha*acc + beta*C (+ bias, activation) to a full MR x NR tile at `c`.
/// `bias` is already offset to the tile's first column (null for none). C is not read when beta is 0.
#[inline(always)]
unsafe fn finish(acc: &[[v128; NV]; MR], c: *mut f32, ldc: usize, bias: *const f32, s: Store) {
    let alpha = f32x4_splat(s.alpha);
    let beta = f32x4_splat(s.beta);
    for r in 0..MR {
        for v in 0..NV {
            let cp = c.add(r * ldc + 4 * v) as *mut v128;
            let mut x = f32x4_mul(acc[r][v], alpha);
            if s.beta == 1.0 {
                x = f32x4_add(x, v128_load(cp));
            } else if s.beta != 0.0 {
                x = f32x4_add(x, f32x4_mul(v128_load(cp), beta));
            }
            if let Some(ep) = s.ep {
                if !bias.is_null() {
                    x = f32x4_add(x, v128_load(bias.add(4 * v) as *const v128));
                }
                x = activate(x, ep.act);
            }
            v128_store(cp, x);
        }
    }
}

/// Finishes a tile that lies partly outside C (rows x cols valid) through a stack buffer, so edge
/// tiles get exactly the same arithmetic as full ones.
#[inline(never)]
unsafe fn finish_edge(acc: &[[v128; NV]; MR], c: *mut f32, ldc: usize, rows: usize, cols: usize, col0: usize, s: Store) {
    let mut buf = [[0f32; NR]; MR];
    let mut bias = [0f32; NR];
    if s.beta != 0.0 {
        for r in 0..rows {
            for j in 0..cols {
                buf[r][j] = *c.add(r * ldc + j);
            }
        }
    }
    let mut bias_ptr = core::ptr::null();
    if let Some(ep) = s.ep {
        if !ep.bias.is_null() {
            for j in 0..cols {
                bias[j] = *ep.bias.add(col0 + j);
            }
            bias_ptr = bias.as_ptr();
        }
    }
    finish(acc, buf.as_mut_ptr() as *mut f32, NR, bias_ptr, s);
    for r in 0..rows {
        for j in 0..cols {
            *c.add(r * ldc + j) = buf[r][j];
        }
    }
}

/// C (m x n, row stride ldc) = act(alpha op(A) op(B) + beta C + bias). Returns a status code.
pub unsafe fn gemm(m: usize, n: usize, k: usize, a: Mat, b: Mat, c: *mut f32, ldc: usize, alpha: f32, beta: f32, ep: Epilogue) -> i32 {
    if m == 0 || n == 0 {
        return OK;
    }
    if k == 0 {
        for i in 0..m {
            let row = c.add(i * ldc);
            for j in 0..n {
                *row.add(j) = if beta == 0.0 { 0.0 } else { beta * *row.add(j) };
            }
            if !ep.is_none() {
                apply_row(row, n, 0, ep);
            }
        }
        return OK;
    }
    let kc_max = k.min(KC);
    let pa = match Scratch::new(round_up(m, MR).min(MC) * kc_max) {
        Some(s) => s,
        None => return OUT_OF_MEMORY,
    };
    let pb = match Scratch::new(round_up(n, NR).min(NC) * kc_max) {
        Some(s) => s,
        None => return OUT_OF_MEMORY,
    };
    let mut jc = 0;
    while jc < n {
        let nc = (n - jc).min(NC);
        let mut pc = 0;
        while pc < k {
            let kc = (k - pc).min(KC);
            let s = Store {
                alpha,
                beta: if pc == 0 { beta } else { 1.0 },
                ep: if pc + kc == k && !ep.is_none() { Some(ep) } else { None },
            };
            pack_b(b, pc, kc, jc, nc, pb.ptr);
            let mut ic = 0;
            while ic < m {
                let mc = (m - ic).min(MC);
                pack_a(a, ic, mc, pc, kc, pa.ptr);
                let mut jr = 0;
                while jr < nc {
                    let cols = (nc - jr).min(NR);
                    let col0 = jc + jr;
                    let bias = if ep.bias.is_null() { ep.bias } else { ep.bias.add(col0) };
                    let bp = pb.ptr.add(jr * kc);
                    let mut ir = 0;
                    while ir < mc {
                        let rows = (mc - ir).min(MR);
                        let acc = tile(kc, pa.ptr.add(ir * kc), bp);
                        let cp = c.add((ic + ir) * ldc + col0);
                        if rows == MR && cols == NR {
                            finish(&acc, cp, ldc, bias, s);
                        } else {
                            finish_edge(&acc, cp, ldc, rows, cols, col0, s);
                        }
                        ir += MR;
                    }
                    jr += NR;
                }
                ic += MC;
            }
            pc += KC;
        }
        jc += NC;
    }
    OK
}
