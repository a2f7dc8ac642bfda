//! NHWC conv2d with HWIO weights, lowered to GEMM through im2col.
//!
//! Per group g, the rows of the lowered problem are the output pixels (n, oy, ox) and the depth is
//! (ky, kx, ci) in HWIO order, so W_g is simply the (KH*KW*Cg) x Og submatrix of the weights at
//! column g*Og with row stride O, and Y_g the submatrix of y at column g*Og; no weight repacking.
//! - forward:     Y_g  = col_g W_g                 (bias/activation fused into the GEMM)
//! - grad input:  dX  += col2im(dY_g W_g^T)
//! - grad weight: dW_g  = col_g^T dY_g
//! The im2col buffer holds a chunk of at most CHUNK floats (4 MiB), so scratch stays bounded for
//! any batch. 1x1 / stride 1 / no padding convolutions skip im2col and use the input directly.

use crate::alloc::Scratch;
use crate::epilogue::Epilogue;
use crate::gemm::{gemm, Mat, BAD_ARGUMENT, OK, OUT_OF_MEMORY};
use crate::microkernel::MR;
use core::arch::wasm32::*;

const CHUNK: usize = 1 << 20;

/// Shape and geometry of one convolution, passed as 16 consecutive u32 (the order is the ABI):
/// input [n, h, w, c]; kernel [kh, kw, c/groups, o]; output [n, oh, ow, o];
/// iy = oy*stride_h - pad_top + ky*dil_h (likewise for x). Taps outside the input read zero, so
/// the bottom/right padding is implied by the output size the caller chooses.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ConvDesc {
    n: u32, h: u32, w: u32, c: u32,
    kh: u32, kw: u32, o: u32,
    stride_h: u32, stride_w: u32, pad_top: u32, pad_left: u32,
    dil_h: u32, dil_w: u32, groups: u32, oh: u32, ow: u32,
}

/// The descriptor with derived sizes, all as usize.
struct Geo {
    d: ConvDesc,
    rows: usize, // n * oh * ow
    cg: usize,
    og: usize,
    kk: usize, // kh * kw * cg
    direct: bool, // im2col is the identity (up to the group's channel offset)
}

unsafe fn geometry(desc: *const u32) -> Option<Geo> {
    let d = *(desc as *const ConvDesc);
    let positive = [d.h, d.w, d.c, d.kh, d.kw, d.o, d.stride_h, d.stride_w, d.dil_h, d.dil_w, d.groups];
    if positive.iter().any(|&v| v == 0) || d.c % d.groups != 0 || d.o % d.groups != 0 {
        return None;
    }
    let cg = (d.c / d.groups) as usize;
    let direct = d.kh == 1 && d.kw == 1 && d.stride_h == 1 && d.stride_w == 1
        && d.pad_top == 0 && d.pad_left == 0 && d.oh == d.h && d.ow == d.w;
    Some(Geo {
        d,
        rows: d.n as usize * d.oh as usize * d.ow as usize,
        cg,
        og: (d.o / d.groups) as usize,
        kk: d.kh as usize * d.kw as usize * cg,
        direct,
    })
}

impl Geo {
    /// Rows per im2col chunk: as many as fit in CHUNK floats, at least one micro-tile.
    fn chunk(&self) -> usize {
        (CHUNK / self.kk).max(MR).min(self.rows).max(1)
    }

    /// Calls `visit(col_offset, input_offset, count)` for every run of `count` floats of the patch
    /// rows [r0, r0+len) of group g: `input_offset` is None where the run falls in the padding.
    /// Output coordinates advance incrementally, so there is no division per tap.
    #[inline(always)]
    unsafe fn walk(&self, g: usize, r0: usize, len: usize, mut visit: impl FnMut(usize, Option<usize>, usize)) {
        let d = &self.d;
        let (h, w, c, cg) = (d.h as isize, d.w as isize, d.c as usize, self.cg);
        let (ow, oh) = (d.ow as usize, d.oh as usize);
        let (mut ox, mut oy, mut b) = (r0 % ow, (r0 / ow) % oh, r0 / (ow * oh));
        for i in 0..len {
            let mut at = i * self.kk;
            let y0 = (oy * d.stride_h as usize) as isize - d.pad_top as isize;
            let x0 = (ox * d.stride_w as usize) as isize - d.pad_left as isize;
            for ky in 0..d.kh as isize {
                let iy = y0 + ky * d.dil_h as isize;
                if iy < 0 || iy >= h {
                    visit(at, None, d.kw as usize * cg);
                    at += d.kw as usize * cg;
                    continue;
                }
                let row = (b * d.h as usize + iy as usize) * d.w as usize;
                for kx in 0..d.kw as isize {
                    let ix = x0 + kx * d.dil_w as isize;
                    let inside = ix >= 0 && ix < w;
                    visit(at, if inside { Some((row + ix as usize) * c + g * cg) } else { None }, cg);
                    at += cg;
                }
            }
            ox += 1;
            if ox == ow {
                ox = 0;
                oy += 1;
                if oy == oh {
                    oy = 0;
                    b += 1;
                }
            }
        }
    }

    /// Fills `col` (len x kk) with the group-g patches of output rows [r0, r0+len).
    unsafe fn im2col(&self, x: *const f32, g: usize, r0: usize, len: usize, col: *mut f32) {
        self.walk(g, r0, len, |at, src, count| match src {
            Some(off) => copy(x.add(off), col.add(at), count),
            None => zero(col.add(at), count),
        });
    }

    /// Adds the patches in `col` (len x kk) back onto dx: the adjoint of `im2col`.
    unsafe fn col2im(&self, col: *const f32, g: usize, r0: usize, len: usize, dx: *mut f32) {
        self.walk(g, r0, len, |at, dst, count| {
            if let Some(off) = dst {
                accumulate(col.add(at), dx.add(off), count);
            }
        });
    }
}

// Explicit f32x4 loops: LLVM would turn plain copy loops into calls to a byte-wise memcpy.
#[inline(always)]
unsafe fn copy(src: *const f32, dst: *mut f32, n: usize) {
    let mut i = 0;
    while i + 4 <= n {
        v128_store(dst.add(i) as *mut v128, v128_load(src.add(i) as *const v128));
        i += 4;
    }
    while i < n {
        *dst.add(i) = *src.add(i);
        i += 1;
    }
}

#[inline(always)]
unsafe fn zero(dst: *mut f32, n: usize) {
    let mut i = 0;
    while i + 4 <= n {
        v128_store(dst.add(i) as *mut v128, f32x4_splat(0.0));
        i += 4;
    }
    while i < n {
        *dst.add(i) = 0.0;
        i += 1;
    }
}

#[inline(always)]
unsafe fn accumulate(src: *const f32, dst: *mut f32, n: usize) {
    let mut i = 0;
    while i + 4 <= n {
        let d = dst.add(i) as *mut v128;
        v128_store(d, f32x4_add(v128_load(d), v128_load(src.add(i) as *const v128)));
        i += 4;
    }
    while i < n {
        *dst.add(i) += *src.add(i);
        i += 1;
    }
}

/// Runs `body(g, r0, len, col)` over groups and row chunks; `col` is scratch (null when direct).
unsafe fn for_chunks(geo: &Geo, mut body: impl FnMut(usize, usize, usize, *mut f32) -> i32) -> i32 {
    let step = if geo.direct { geo.rows.max(1) } else { geo.chunk() };
    let scratch = if geo.direct {
        None
    } else {
        match Scratch::new(step * geo.kk) {
            Some(s) => Some(s),
            None => return OUT_OF_MEMORY,
        }
    };
    let col = scratch.as_ref().map_or(core::ptr::null_mut(), |s| s.ptr);
    for g in 0..geo.d.groups as usize {
        let mut r0 = 0;
        while r0 < geo.rows {
            let len = (geo.rows - r0).min(step);
            let status = body(g, r0, len, col);
            if status != OK {
                return status;
            }
            r0 += len;
        }
    }
    OK
}

pub unsafe fn forward(desc: *const u32, x: *const f32, w: *const f32, ep: Epilogue, y: *mut f32) -> i32 {
    let geo = match geometry(desc) {
        Some(g) => g,
        None => return BAD_ARGUMENT,
    };
    let (o, c, kk, og, cg) = (geo.d.o as usize, geo.d.c as usize, geo.kk, geo.og, geo.cg);
    for_chunks(&geo, |g, r0, len, col| {
        let a = if geo.direct {
            Mat { ptr: x.add(r0 * c + g * cg), ld: c, trans: false }
        } else {
            geo.im2col(x, g, r0, len, col);
            Mat { ptr: col, ld: kk, trans: false }
        };
        let b = Mat { ptr: w.add(g * og), ld: o, trans: false };
        let bias = if ep.bias.is_null() { ep.bias } else { ep.bias.add(g * og) };
        gemm(len, og, kk, a, b, y.add(r0 * o + g * og), o, 1.0, 0.0, Epilogue { bias, act: ep.act })
    })
}

pub unsafe fn grad_input(desc: *const u32, dy: *const f32, w: *const f32, dx: *mut f32) -> i32 {
    let geo = match geometry(desc) {
        Some(g) => g,
        None => return BAD_ARGUMENT,
    };
    let (d, o, c, kk, og, cg) = (geo.d, geo.d.o as usize, geo.d.c as usize, geo.kk, geo.og, geo.cg);
    if !geo.direct {
        core::ptr::write_bytes(dx, 0, d.n as usize * d.h as usize * d.w as usize * c);
    }
    for_chunks(&geo, |g, r0, len, col| {
        let a = Mat { ptr: dy.add(r0 * o + g * og), ld: o, trans: false };
        let b = Mat { ptr: w.add(g * og), ld: o, trans: true };
        if geo.direct {
            // Each input pixel feeds exactly one output pixel: write dx in place.
            return gemm(len, cg, og, a, b, dx.add(r0 * c + g * cg), c, 1.0, 0.0, Epilogue::NONE);
        }
        let status = gemm(len, kk, og, a, b, col, kk, 1.0, 0.0, Epilogue::NONE);
        geo.col2im(col, g, r0, len, dx);
        status
    })
}

pub unsafe fn grad_weight(desc: *const u32, x: *const f32, dy: *const f32, dw: *mut f32) -> i32 {
    let geo = match geometry(desc) {
        Some(g) => g,
        None => return BAD_ARGUMENT,
    };
    let (o, c, kk, og, cg) = (geo.d.o as usize, geo.d.c as usize, geo.kk, geo.og, geo.cg);
    // An empty batch still defines dw: all zeros.
    core::ptr::write_bytes(dw, 0, kk * o);
    for_chunks(&geo, |g, r0, len, col| {
        let a = if geo.direct {
            Mat { ptr: x.add(r0 * c + g * cg), ld: c, trans: true }
        } else {
            geo.im2col(x, g, r0, len, col);
            Mat { ptr: col, ld: kk, trans: true }
        };
        let b = Mat { ptr: dy.add(r0 * o + g * og), ld: o, trans: false };
        gemm(kk, og, len, a, b, dw.add(g * og), o, 1.0, 1.0, Epilogue::NONE)
    })
}
