/**
 * @file The code a Rust-kernel worker thread runs, as JavaScript source text. Workers start with
 * `new Worker(WORKER_SOURCE, { eval: true })`, which works the same under tsx, vitest and the
 * compiled dist/ (a .ts worker file would not load under all three). The job runner
 * (`JOB_SOURCE`) is also compiled on the main thread with `new Function`, so the main thread's
 * share of a split kernel runs the very same code as the workers' shares.
 *
 * A split call is a list of pieces that the threads take in turn from a shared counter (so a
 * thread the OS descheduled holds up one piece, not a fixed share). A piece reads its operand
 * slices from a SharedArrayBuffer staging area, copies them into the thread's own instance of
 * the Rust kernels (the caller's build, relaxed or plain; its memory is not shared: no atomics),
 * calls one export, and writes its slice of the result back to the staging area. Offsets and
 * lengths are in floats.
 */

/** Int32 words per worker in the control array, and what each holds. */
export const SLOT = 5;
/** The last job number posted to the worker (the main thread bumps it, then notifies). */
export const REQ = 0;
/** The last job number the worker finished (it stores it, then notifies). */
export const DONE = 1;
/** That job's status: 0, a kernel's non-zero status, or `JOB_ERROR` (message on the port). */
export const STATUS = 2;
/** `BOOTING`, `READY` or `DEAD`. */
export const STATE = 3;
/**
 * The last job number claimed, by the worker or by the main thread: whoever moves it from n - 1
 * to n (compareExchange) owns job n. The worker then takes pieces; the main thread claims the
 * jobs of workers that have not woken by the time every piece is taken, so that it never waits
 * for a thread that would find no work (on a busy machine, one the OS has not scheduled yet).
 */
export const CLAIM = 4;
export const BOOTING = 0;
export const READY = 1;
export const DEAD = 2;
/** Status of a job that threw; the worker posts `{ error }` on its port. */
export const JOB_ERROR = -1000;

/** One GEMM piece: batches [b0, b1), rows [m0, m1) of op(A), columns [n0, n1) of op(B). */
export interface GemmPiece {
  readonly kind: "gemm";
  readonly aOff: number; readonly bOff: number; readonly cOff: number;
  readonly M: number; readonly N: number; readonly K: number;
  readonly transA: boolean; readonly transB: boolean;
  readonly b0: number; readonly b1: number; readonly m0: number; readonly m1: number; readonly n0: number; readonly n1: number;
}

export type ConvExport = "conv2d_nhwc_f32" | "conv2d_nhwc_grad_input_f32" | "conv2d_nhwc_grad_weight_f32";

/**
 * One conv piece: `desc` (its batch already the piece's) over contiguous slices of the staging
 * area. With `partial`, the result is added into the running thread's own `yLen` floats at
 * `yOff + slot * yLen` (weight-gradient partial sums, zeroed by the caller).
 */
export interface ConvPiece {
  readonly kind: "conv";
  readonly fn: ConvExport;
  readonly desc: readonly number[];
  readonly aOff: number; readonly aLen: number;
  readonly bOff: number; readonly bLen: number;
  readonly yOff: number; readonly yLen: number;
  readonly partial: boolean;
}

export type Piece = GemmPiece | ConvPiece;

/** One split call as a thread sees it: the pieces (taken in turn from a shared counter) and its partial-sum slot. */
export interface Job {
  readonly sab: SharedArrayBuffer;
  readonly pieces: readonly Piece[];
  readonly slot: number;
}

/**
 * `function runJob(ex, job, next)`: runs pieces `next()` until it returns an index past the
 * end; returns 0 or the first non-zero kernel status; throws on JS errors and traps. Scratch
 * blocks in the module's heap live for the whole job, so an operand that several pieces share
 * (op(B) when splitting rows, conv weights) is copied in once per thread.
 */
export const JOB_SOURCE = String.raw`
function kilnBlock(ex, st, name, floats) {
  const old = st.blocks[name];
  if (old && old.floats >= floats) return old.ptr;
  if (old) ex.kiln_free(old.ptr);
  delete st.blocks[name];
  if (name === "b") st.bKey = null;
  const ptr = ex.kiln_alloc(Math.max(floats * 4, 4));
  if (ptr === 0) throw new RangeError("wasm backend: a kernel thread could not allocate " + floats * 4 + " bytes");
  st.blocks[name] = { ptr, floats };
  return ptr;
}
function gemmPiece(ex, st, f32, j) {
  const { M, N, K, transA, transB, m0, m1, n0, n1 } = j;
  const mS = m1 - m0, nS = n1 - n0;
  const pa = kilnBlock(ex, st, "a", mS * K), pb = kilnBlock(ex, st, "b", K * nS), pc = kilnBlock(ex, st, "c", mS * nS);
  for (let b = j.b0; b < j.b1; b++) {
    // Made after every call: a kernel may grow its memory, which detaches older views.
    const mem = new Float32Array(ex.memory.buffer);
    const A = j.aOff + b * M * K, B = j.bOff + b * K * N, C = j.cOff + b * M * N;
    if (!transA) mem.set(f32.subarray(A + m0 * K, A + m1 * K), pa >> 2);
    else if (mS === M) mem.set(f32.subarray(A, A + K * M), pa >> 2);
    else for (let k = 0; k < K; k++) mem.set(f32.subarray(A + k * M + m0, A + k * M + m1), (pa >> 2) + k * mS);
    const bKey = B + ":" + n0 + ":" + n1;
    if (st.bKey !== bKey) {
      if (transB) mem.set(f32.subarray(B + n0 * K, B + n1 * K), pb >> 2);
      else if (nS === N) mem.set(f32.subarray(B, B + K * N), pb >> 2);
      else for (let k = 0; k < K; k++) mem.set(f32.subarray(B + k * N + n0, B + k * N + n1), (pb >> 2) + k * nS);
      st.bKey = bKey;
    }
    const status = ex.gemm_f32(mS, nS, K, pa, transA ? mS : K, pb, transB ? K : nS, pc, nS, 1, 0, +transA, +transB);
    if (status !== 0) return status;
    const c = new Float32Array(ex.memory.buffer, pc, mS * nS);
    if (nS === N) f32.set(c, C + m0 * N);
    else for (let i = 0; i < mS; i++) f32.set(c.subarray(i * nS, (i + 1) * nS), C + (m0 + i) * N + n0);
  }
  return 0;
}
function convPiece(ex, st, f32, j, slot) {
  const pd = kilnBlock(ex, st, "d", 16), pa = kilnBlock(ex, st, "a", j.aLen), pb = kilnBlock(ex, st, "b", j.bLen), py = kilnBlock(ex, st, "c", j.yLen);
  new Uint32Array(ex.memory.buffer, pd, 16).set(j.desc);
  const mem = new Float32Array(ex.memory.buffer);
  mem.set(f32.subarray(j.aOff, j.aOff + j.aLen), pa >> 2);
  const bKey = "conv:" + j.bOff + ":" + j.bLen;
  if (st.bKey !== bKey) {
    mem.set(f32.subarray(j.bOff, j.bOff + j.bLen), pb >> 2);
    st.bKey = bKey;
  }
  mem.fill(0, py >> 2, (py >> 2) + j.yLen);
  const status = j.fn === "conv2d_nhwc_f32" ? ex.conv2d_nhwc_f32(pd, pa, pb, 0, 0, py) : ex[j.fn](pd, pa, pb, py);
  if (status !== 0) return status;
  const y = new Float32Array(ex.memory.buffer, py, j.yLen);
  if (!j.partial) {
    f32.set(y, j.yOff);
    return 0;
  }
  const dst = j.yOff + slot * j.yLen;
  for (let i = 0; i < j.yLen; i++) f32[dst + i] += y[i];
  return 0;
}
function runJob(ex, job, next) {
  const st = { blocks: {}, bKey: null };
  const f32 = new Float32Array(job.sab);
  try {
    for (let i = next(); i < job.pieces.length; i = next()) {
      const p = job.pieces[i];
      const status = p.kind === "gemm" ? gemmPiece(ex, st, f32, p) : convPiece(ex, st, f32, p, job.slot);
      if (status !== 0) return status;
    }
    return 0;
  } finally {
    for (const name in st.blocks) ex.kiln_free(st.blocks[name].ptr);
  }
}
`;

/**
 * The worker's whole program (CommonJS, as `eval: true` workers run). workerData: `module` (the
 * compiled WebAssembly.Module of the caller's kernel build), `ctl` (the control SharedArrayBuffer), `index` (its
 * slot), `next` (the index of the shared piece counter in `ctl`) and `port` (a MessagePort: jobs
 * in, error messages out). It sleeps in `Atomics.wait`
 * between jobs, in bounded slices so that terminating the thread never waits on it.
 */
export const WORKER_SOURCE = String.raw`"use strict";
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { module, index, port, next } = workerData;
const ctl = new Int32Array(workerData.ctl);
const base = index * ${SLOT};
${JOB_SOURCE}
function finish(job, status) {
  Atomics.store(ctl, base + ${STATUS}, status);
  Atomics.store(ctl, base + ${DONE}, job);
  Atomics.notify(ctl, base + ${DONE});
}
function die() {
  Atomics.store(ctl, base + ${STATE}, ${DEAD});
  Atomics.notify(ctl, base + ${DONE});
  Atomics.notify(ctl, base + ${STATE});
}
process.on("exit", die);
let ex;
try {
  ex = new WebAssembly.Instance(module, {}).exports;
  Atomics.store(ctl, base + ${STATE}, ${READY});
  Atomics.notify(ctl, base + ${STATE});
} catch (e) {
  port.postMessage({ error: "could not instantiate the kernels in a worker: " + String(e && e.stack || e) });
  die();
  throw e;
}
// Jobs are taken one at a time, in order, even when several were posted while this thread slept.
let seen = 0;
for (;;) {
  if (Atomics.load(ctl, base + ${REQ}) === seen) {
    Atomics.wait(ctl, base + ${REQ}, seen, 1000);
    continue;
  }
  const job = ++seen;
  let msg = receiveMessageOnPort(port);
  for (let spins = 0; msg === undefined && spins < 1000; spins++) {
    Atomics.wait(ctl, base + ${REQ}, -1, 1);
    msg = receiveMessageOnPort(port);
  }
  if (Atomics.compareExchange(ctl, base + ${CLAIM}, job - 1, job) !== job - 1) {
    Atomics.store(ctl, base + ${DONE}, job); // the main thread closed it: every piece was taken
    continue;
  }
  try {
    if (msg === undefined) throw new Error("job " + job + " was signalled but never arrived");
    finish(job, runJob(ex, msg.message, () => Atomics.add(ctl, next, 1)));
  } catch (e) {
    Atomics.store(ctl, next, 1 << 30); // the call has failed: no one needs to take more pieces
    port.postMessage({ error: String(e && e.stack || e) });
    finish(job, ${JOB_ERROR});
  }
}
`;
