//! A small first-fit heap over the module's single linear memory.
//!
//! JavaScript places tensors with `kiln_alloc`/`kiln_free`, and the kernels take their packing and
//! im2col scratch from the same heap. Blocks sit back to back from `__heap_base` up to `top`, each
//! behind a 16-byte header, so every payload is 16-byte aligned. Adjacent free blocks merge lazily
//! during the allocation walk; freeing the topmost block gives its bytes back to the bump pointer.
//! Memory only grows (WebAssembly cannot shrink a memory), and the module is single threaded.

use core::arch::wasm32::{memory_grow, memory_size};

const HDR: usize = 16;
const PAGE: usize = 65536;
const USED: u32 = 0x4b49_4c55; // "KILU": marks a live block, so a bad free is ignored
const FREE: u32 = 0x4b49_4c46; // "KILF"

#[repr(C)]
struct Header {
    size: u32, // payload bytes, a multiple of 16
    prev: u32, // header address of the previous block, 0 for the first
    state: u32,
    _pad: u32,
}

extern "C" {
    static __heap_base: u8;
}

struct Heap {
    start: usize,
    top: usize,
    last: usize, // header address of the topmost block, 0 when the heap is empty
}

static mut HEAP: Heap = Heap { start: 0, top: 0, last: 0 };

#[inline(always)]
unsafe fn hdr(at: usize) -> &'static mut Header {
    &mut *(at as *mut Header)
}

#[inline(always)]
fn round16(x: usize) -> usize {
    (x + 15) & !15
}

/// Makes sure `[0, end)` is backed by memory; false when the engine refuses to grow it.
unsafe fn ensure(end: usize) -> bool {
    let have = memory_size(0) * PAGE;
    if end <= have {
        return true;
    }
    let pages = (end - have + PAGE - 1) / PAGE;
    memory_grow(0, pages) != usize::MAX
}

unsafe fn heap() -> &'static mut Heap {
    let h = &mut *core::ptr::addr_of_mut!(HEAP);
    if h.start == 0 {
        h.start = round16(core::ptr::addr_of!(__heap_base) as usize);
        h.top = h.start;
    }
    h
}

/// Returns a 16-byte aligned block of at least `bytes` bytes, or 0 when memory cannot grow.
pub unsafe fn alloc(bytes: usize) -> usize {
    if bytes > (u32::MAX as usize) - 64 {
        return 0;
    }
    let size = round16(bytes.max(1));
    let h = heap();
    let mut at = h.start;
    while at < h.top {
        let b = hdr(at);
        if b.state == FREE {
            // Merge the free blocks that follow, so fragments coalesce before they are judged too small.
            loop {
                let next = at + HDR + b.size as usize;
                if next >= h.top || hdr(next).state != FREE {
                    break;
                }
                b.size += HDR as u32 + hdr(next).size;
                if h.last == next {
                    h.last = at;
                } else {
                    hdr(at + HDR + b.size as usize).prev = at as u32;
                }
            }
            if b.size as usize >= size {
                let rest = b.size as usize - size;
                if rest >= HDR + 16 {
                    let split = at + HDR + size;
                    *hdr(split) = Header { size: (rest - HDR) as u32, prev: at as u32, state: FREE, _pad: 0 };
                    if h.last == at {
                        h.last = split;
                    } else {
                        hdr(split + HDR + rest - HDR).prev = split as u32;
                    }
                    b.size = size as u32;
                }
                b.state = USED;
                return at + HDR;
            }
        }
        at += HDR + b.size as usize;
    }
    // No fit: extend a free topmost block in place, or open a new block at the top.
    if h.last != 0 && hdr(h.last).state == FREE {
        let last = h.last;
        if !ensure(last + HDR + size) {
            return 0;
        }
        hdr(last).size = size as u32;
        hdr(last).state = USED;
        h.top = last + HDR + size;
        return last + HDR;
    }
    let at = h.top;
    if !ensure(at + HDR + size) {
        return 0;
    }
    *hdr(at) = Header { size: size as u32, prev: h.last as u32, state: USED, _pad: 0 };
    h.last = at;
    h.top = at + HDR + size;
    at + HDR
}

/// Releases a block from `alloc`. Null and pointers that are not live blocks are ignored.
pub unsafe fn free(ptr: usize) {
    let h = heap();
    if ptr < h.start + HDR || ptr > h.top || ptr & 15 != 0 {
        return;
    }
    let at = ptr - HDR;
    if hdr(at).state != USED {
        return;
    }
    hdr(at).state = FREE;
    // Give free blocks at the top back to the bump pointer.
    while h.last != 0 && hdr(h.last).state == FREE {
        h.top = h.last;
        h.last = hdr(h.last).prev as usize;
    }
}

/// Bytes held by live blocks (payloads only); lets tests check that kernels free their scratch.
pub unsafe fn bytes_in_use() -> usize {
    let h = heap();
    let (mut at, mut sum) = (h.start, 0usize);
    while at < h.top {
        let b = hdr(at);
        if b.state == USED {
            sum += b.size as usize;
        }
        at += HDR + b.size as usize;
    }
    sum
}

/// Scratch owned by a kernel for the duration of one call; freed on drop.
pub struct Scratch {
    pub ptr: *mut f32,
}

impl Scratch {
    /// `floats` f32 slots, or None when memory is exhausted.
    pub unsafe fn new(floats: usize) -> Option<Scratch> {
        let p = alloc(floats.checked_mul(4)?);
        if p == 0 {
            None
        } else {
            Some(Scratch { ptr: p as *mut f32 })
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        unsafe { free(self.ptr as usize) }
    }
}
