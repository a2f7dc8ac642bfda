/**
 * @file A worker pool that splits the Rust GEMM and conv2d kernels across CPU cores, in Node
 * (worker_threads). Browsers keep the single-thread path: the main thread of a page may not block
 * in `Atomics.wait`, so threading there needs Kiln itself to run in a worker (a future change).
 *
 * The Rust module has its own, non-shared memory (it is built without atomics), so each worker
 * instantiates its own copy: of the very WebAssembly.Module the calling thread's exports come
 * from, so that every share runs the same build (relaxed-SIMD FMA or plain SIMD, kernels.ts). The operands are staged once in a
 * SharedArrayBuffer (instead of the copy into the Rust memory the single-thread path makes). A
 * call is cut into pieces (about PIECES_PER_THREAD per thread) that the threads, the calling one
 * included, take in turn from a shared counter: each copies its piece's slice into its module,
 * computes, and writes its slice of the result back. The caller then waits with `Atomics.wait`,
 * so `execute` stays synchronous. GEMM splits by batch, else by rows of M, else by columns of N;
 * convolutions split by batch, the weight gradient into per-thread partial sums the caller adds.
 *
 * Workers start lazily on the first call big enough to split (that call still runs on one
 * thread), are `unref`'d so they never keep a process alive, and sleep in `Atomics.wait`.
 */
import type { KernelExports } from "./kernels.js";
import {
  CLAIM, type ConvExport, type ConvPiece, DEAD, DONE, type GemmPiece, JOB_ERROR, JOB_SOURCE, type Job, type Piece, READY, REQ, SLOT, STATE,
  STATUS,
  WORKER_SOURCE,
} from "./thread-worker.js";

interface NodePort { postMessage(value: unknown): void; close(): void; unref?(): void }
interface NodeWorker { unref(): void; terminate(): Promise<number>; on(event: string, fn: (arg: unknown) => void): void }
interface WorkerThreads {
  Worker: new (code: string, opts: object) => NodeWorker;
  MessageChannel: new () => { port1: NodePort; port2: NodePort };
  receiveMessageOnPort(port: NodePort): { message: unknown } | undefined;
}
interface NodeOs { availableParallelism?(): number; cpus(): unknown[] }

type Proc = { getBuiltinModule?: (id: string) => unknown; env?: Record<string, string | undefined> };
const proc = (globalThis as { process?: Proc }).process;
/** A Node builtin, without a static import, so this module still loads in browsers. */
const builtin = <T>(id: string): T | undefined => {
  try {
    return proc?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
};

/** Below this many floating-point operations per share, the start-up cost of a share outweighs its gain. */
export const MIN_SHARE_FLOPS = 4e6;
/** Pieces per thread a split call is cut into: threads take them in turn, so an unlucky thread delays one piece. */
export const PIECES_PER_THREAD = 4;
/** The default pool size is the number of cores, at most this. */
export const MAX_DEFAULT_THREADS = 8;

let minShareFlopsSetting = MIN_SHARE_FLOPS;
let callerTakesPieces = true;
let requested: number | undefined;
let kernelModule: object | null = null;
let pool: Pool | undefined;
/** The compiled module each instance of the Rust kernels (its exports object) comes from. */
const moduleOf = new WeakMap<KernelExports, object>();

/**
 * Records the compiled Rust module that `ex` is an instance of; the pool's workers instantiate
 * the module recorded last (dispatch.ts calls it for every instance it makes).
 */
export function setKernelModule(module: object, ex: KernelExports): void {
  moduleOf.set(ex, module);
  if (module !== kernelModule && pool) shutDown(); // its workers run another build
  kernelModule = module;
}

/**
 * Sets how many threads (the calling one included) the Rust GEMM and conv kernels use; 1 turns
 * threading off. The default is the core count (at most 8), or the KILN_THREADS environment variable.
 * @example
 * setThreads(1); // single-threaded kernels
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new RangeError(`setThreads: expected an integer from 1 to 256 (1 turns threading off), received ${n}`);
  }
  requested = n;
  if (pool && pool.size !== threadCount()) shutDown();
}

/**
 * The number of threads the kernels will use: 1 where threads are unavailable (browsers,
 * runtimes without worker_threads or SharedArrayBuffer).
 * @example
 * threadCount(); // 2 on a 2-core machine
 */
export function threadCount(): number {
  if (typeof SharedArrayBuffer === "undefined" || !builtin<WorkerThreads>("node:worker_threads")) return 1;
  if (requested !== undefined) return requested;
  const env = Number(proc?.env?.KILN_THREADS);
  if (Number.isInteger(env) && env >= 1) return env; // anything else is ignored, as if unset
  const os = builtin<NodeOs>("node:os");
  const cores = os?.availableParallelism?.() ?? os?.cpus().length ?? 1;
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, cores));
}

/** The smallest share worth a thread now (`MIN_SHARE_FLOPS` unless `setMinShareFlops` changed it). */
export const minShareFlops = (): number => minShareFlopsSetting;

/**
 * Sets the smallest share worth a thread (tests lower it to split small shapes); returns the old value.
 * @example
 * const old = setMinShareFlops(0); // split everything with at least one row per thread
 */
export function setMinShareFlops(flops: number): number {
  const old = minShareFlopsSetting;
  minShareFlopsSetting = flops;
  return old;
}

/**
 * Whether the calling thread takes pieces too (the default) or only waits, so that every piece
 * runs on a worker (tests use it to check the workers' results); returns the old setting.
 * @example
 * setCallerTakesPieces(false);
 */
export function setCallerTakesPieces(on: boolean): boolean {
  const old = callerTakesPieces;
  callerTakesPieces = on;
  return old;
}

/**
 * Starts the pool now (instead of on the first big kernel call) and waits up to `timeoutMs` for
 * its workers to load the kernels; returns how many threads can take a share (1 when off).
 * @example
 * warmThreads(); // 2
 */
export function warmThreads(timeoutMs = 10_000): number {
  const p = getPool();
  return p ? p.waitReady(timeoutMs) + 1 : 1;
}

/** Stops the workers (they are recreated on the next big call). */
export function shutDown(): void {
  pool?.destroy();
  pool = undefined;
}

function getPool(): Pool | undefined {
  const size = threadCount();
  if (pool && (pool.size !== size || pool.broken)) shutDown();
  const wt = builtin<WorkerThreads>("node:worker_threads");
  if (size < 2 || !wt || !kernelModule) return undefined;
  pool ??= new Pool(wt, kernelModule, size);
  return pool;
}

const stats = { calls: 0, workerJoined: 0, workerSkipped: 0 };

/**
 * Split calls so far, worker jobs that took part in them, and worker jobs closed unrun because
 * every piece was taken before the worker woke.
 * @example
 * threadStats().calls; // 0 before the first big GEMM
 */
export const threadStats = (): { calls: number; workerJoined: number; workerSkipped: number } => ({ ...stats });

let mainRunJob: ((ex: KernelExports, job: Job, next: () => number) => number) | undefined;

/** Threads and their jobs' control words; one job per call per thread. */
class Pool {
  readonly size: number;
  /** The compiled Rust module every worker instantiated. */
  readonly module: object;
  broken = false;
  readonly #wt: WorkerThreads;
  readonly #ctl: Int32Array;
  /** Index in #ctl of the counter the threads take piece numbers from. */
  readonly #next: number;
  readonly #workers: { worker: NodeWorker; port: NodePort; seq: number }[] = [];
  #sab: SharedArrayBuffer | null = null;

  constructor(wt: WorkerThreads, module: object, size: number) {
    this.#wt = wt;
    this.size = size;
    this.module = module;
    this.#next = (size - 1) * SLOT;
    this.#ctl = new Int32Array(new SharedArrayBuffer((this.#next + 1) * 4));
    for (let index = 0; index < size - 1; index++) {
      const { port1, port2 } = new wt.MessageChannel();
      const workerData = { module, ctl: this.#ctl.buffer, index, next: this.#next, port: port2 };
      const worker = new wt.Worker(WORKER_SOURCE, { eval: true, workerData, transferList: [port2] });
      worker.unref();
      port1.unref?.();
      // Without listeners a worker's failure would be an uncaught error on the main thread.
      worker.on("error", () => void (this.broken = true));
      worker.on("exit", () => void (this.broken = true));
      this.#workers.push({ worker, port: port1, seq: 0 });
    }
  }

  /** Workers that have loaded the kernels. */
  ready(): number[] {
    return this.#workers.map((_, i) => i).filter((i) => Atomics.load(this.#ctl, i * SLOT + STATE) === READY);
  }

  waitReady(timeoutMs: number): number {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < this.#workers.length; i++) {
      while (Atomics.load(this.#ctl, i * SLOT + STATE) === 0 && Date.now() < deadline) {
        Atomics.wait(this.#ctl, i * SLOT + STATE, 0, Math.max(1, deadline - Date.now()));
      }
    }
    return this.ready().length;
  }

  /** A staging area of at least `floats` floats (kept and grown geometrically). */
  staging(floats: number): Float32Array {
    if (!this.#sab || this.#sab.byteLength < floats * 4) {
      const grown = Math.max(floats, ((this.#sab?.byteLength ?? 0) / 4) * 1.5);
      this.#sab = new SharedArrayBuffer(Math.ceil(grown / 16) * 64);
    }
    return new Float32Array(this.#sab);
  }

  /**
   * Runs `pieces` on this thread (slot 0) and on `workers` (slots 1...), each taking the next
   * piece from a shared counter; returns every thread's status.
   */
  run(ex: KernelExports, sab: SharedArrayBuffer, pieces: readonly Piece[], workers: readonly number[], callerWorks = callerTakesPieces): number[] {
    if (moduleOf.get(ex) !== this.module) {
      // `ex` is another build (or instance of an unknown module) than the workers': run every
      // piece here so the whole result comes from one build; the next pool will be for `ex`'s.
      const module = moduleOf.get(ex);
      if (module) setKernelModule(module, ex);
      [workers, callerWorks] = [[], true];
    }
    Atomics.store(this.#ctl, this.#next, 0);
    workers.forEach((w, i) => {
      const slot = this.#workers[w];
      slot.port.postMessage({ sab, pieces, slot: i + 1 } satisfies Job);
      Atomics.store(this.#ctl, w * SLOT + REQ, ++slot.seq);
      Atomics.notify(this.#ctl, w * SLOT + REQ);
    });
    stats.calls++;
    const t0 = Date.now();
    let mine = 0;
    let failure: unknown;
    try {
      mainRunJob ??= new Function(`${JOB_SOURCE}\nreturn runJob;`)() as typeof mainRunJob;
      if (callerWorks) mine = mainRunJob!(ex, { sab, pieces, slot: 0 }, () => Atomics.add(this.#ctl, this.#next, 1));
    } catch (e) {
      failure = e;
      Atomics.store(this.#ctl, this.#next, 1 << 30);
    }
    // Waited for even when this thread failed: nothing may still write to the staging area.
    const deadline = Date.now() + 60_000 + 100 * (Date.now() - t0);
    const statuses = [mine];
    for (const w of workers) {
      try {
        const seq = this.#workers[w].seq;
        const skipped = callerWorks && Atomics.compareExchange(this.#ctl, w * SLOT + CLAIM, seq - 1, seq) === seq - 1;
        statuses.push(skipped ? 0 : this.#wait(w, deadline));
        stats[skipped ? "workerSkipped" : "workerJoined"]++;
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure !== undefined) {
      shutDown();
      throw failure;
    }
    return statuses;
  }

  #wait(w: number, deadline: number): number {
    const { seq, port } = this.#workers[w];
    const base = w * SLOT;
    for (let done = Atomics.load(this.#ctl, base + DONE); done !== seq; done = Atomics.load(this.#ctl, base + DONE)) {
      if (Atomics.load(this.#ctl, base + STATE) === DEAD) {
        throw new Error(`wasm backend: kernel thread ${w + 1} exited during a job${this.#message(port)}; the pool restarts on the next call`);
      }
      if (Date.now() > deadline) throw new Error(`wasm backend: kernel thread ${w + 1} did not finish its share in time; setThreads(1) runs the kernels on one thread`);
      Atomics.wait(this.#ctl, base + DONE, done, 50);
    }
    const status = Atomics.load(this.#ctl, base + STATUS);
    if (status === JOB_ERROR) throw new Error(`wasm backend: a kernel thread failed${this.#message(port)}`);
    return status;
  }

  #message(port: NodePort): string {
    const m = this.#wt.receiveMessageOnPort(port)?.message as { error?: string } | undefined;
    return m?.error ? `: ${m.error}` : "";
  }

  destroy(): void {
    for (const { worker, port } of this.#workers) {
      void worker.terminate().catch(() => undefined);
      port.close();
    }
    this.broken = true;
  }
}

/**
 * Runs hand-made pieces on the ready workers, and on this thread unless `callerWorks` is false,
 * and returns each thread's status (a low-level entry for tests of the pool itself).
 * @example
 * runJobs(ex, sab, [piece0, piece1]); // [0, 0]
 */
export function runJobs(ex: KernelExports, sab: SharedArrayBuffer, pieces: readonly Piece[], callerWorks = callerTakesPieces): number[] {
  const p = getPool();
  if (!p || p.ready().length === 0) throw new RangeError("runJobs: no worker is ready; call setThreads(2) and warmThreads() first");
  return p.run(ex, sab, pieces, p.ready(), callerWorks);
}

/**
 * A pool and the workers to use when `flops` of work (in at most `maxPieces` pieces) is worth
 * splitting: `threads` (the caller included) and how many pieces to cut it into.
 */
function plan(flops: number, maxPieces: number): { p: Pool; workers: number[]; threads: number; pieces: number } | null {
  if (threadCount() < 2 || flops < 2 * minShareFlopsSetting || maxPieces < 2) return null;
  const p = getPool();
  if (!p) return null;
  const ready = p.ready();
  const perThread = (minFlops: number) => (minFlops > 0 ? Math.floor(flops / minFlops) : Infinity);
  const threads = Math.min(ready.length + 1, perThread(minShareFlopsSetting), maxPieces);
  if (threads < 2) return null;
  const pieces = Math.min(maxPieces, PIECES_PER_THREAD * threads, Math.max(threads, perThread(minShareFlopsSetting / PIECES_PER_THREAD)));
  return { p, workers: ready.slice(0, threads - 1), threads, pieces };
}

/** [lo, hi) pieces of [0, total), at most `parts`, with boundaries on multiples of `align`. */
export function ranges(total: number, parts: number, align: number): [number, number][] {
  const step = Math.max(align, Math.ceil(Math.ceil(total / parts) / align) * align);
  const out: [number, number][] = [];
  for (let lo = 0; lo < total; lo += step) out.push([lo, Math.min(total, lo + step)]);
  return out;
}

/**
 * Where a split call writes its result: an array, or (for results in a wasm memory that the
 * call itself may grow, detaching earlier views) its length and a function making a fresh view.
 */
export type ResultView = Float32Array | { readonly length: number; view(): Float32Array };
const resultView = (r: ResultView): Float32Array => (r instanceof Float32Array ? r : r.view());

export interface GemmShape {
  readonly B: number; readonly M: number; readonly N: number; readonly K: number;
  readonly transA: boolean; readonly transB: boolean;
}

/**
 * `out = a @ b` for B packed batches (op(A) M x K, op(B) K x N, as gemmDot canonicalizes them)
 * split across the pool; false when the call is too small to split or threads are off.
 * @example
 * threadedGemm(ex, a, b, { B: 1, M: 512, N: 512, K: 512, transA: false, transB: false }, out); // true
 */
export function threadedGemm(ex: KernelExports, a: Float32Array, b: Float32Array, g: GemmShape, out: ResultView): boolean {
  const { B, M, N, K } = g;
  // Rows and columns are cut on micro-tile boundaries (MR = 4, NR = 8 in microkernel.rs).
  const pl = plan(2 * B * M * N * K, Math.max(B, Math.floor(M / 4), Math.floor(N / 8)));
  if (!pl) return false;
  const { threads, pieces: n } = pl;
  let cuts: [number, number, number, number, number, number][];
  if (B >= n) cuts = ranges(B, n, 1).map(([lo, hi]) => [lo, hi, 0, M, 0, N]);
  else if (M >= 4 * threads) cuts = ranges(M, n, 4).map(([lo, hi]) => [0, B, lo, hi, 0, N]);
  else if (N >= 8 * threads) cuts = ranges(N, n, 8).map(([lo, hi]) => [0, B, 0, M, lo, hi]);
  else cuts = ranges(B, n, 1).map(([lo, hi]) => [lo, hi, 0, M, 0, N]);
  if (cuts.length < 2) return false;
  const f32 = pl.p.staging(a.length + b.length + B * M * N);
  f32.set(a, 0);
  f32.set(b, a.length);
  const cOff = a.length + b.length;
  const pieces: GemmPiece[] = cuts.map(([b0, b1, m0, m1, n0, n1]) => ({
    kind: "gemm", aOff: 0, bOff: a.length, cOff, M, N, K, transA: g.transA, transB: g.transB, b0, b1, m0, m1, n0, n1,
  }));
  const statuses = pl.p.run(ex, f32.buffer as SharedArrayBuffer, pieces, pl.workers.slice(0, pieces.length - 1));
  const bad = statuses.find((s) => s !== 0);
  if (bad !== undefined) throw new Error(`internal: gemm_f32 failed with status ${bad}`);
  resultView(out).set(f32.subarray(cOff, cOff + B * M * N));
  return true;
}

/**
 * One Rust conv export over the 16-u32 descriptor (field order: kernels.ts / conv.rs), split by
 * batch across the pool. null when not split (too small, one sample, threads off); else whether
 * every piece's kernel accepted its arguments (false: the caller falls back to the reference).
 * @example
 * threadedConv(ex, "conv2d_nhwc_f32", desc, x, w, y); // true
 */
export function threadedConv(
  ex: KernelExports, fn: ConvExport, desc: readonly number[], a: Float32Array, b: Float32Array, result: ResultView,
): boolean | null {
  const total = result.length;
  const [n, h, w, c, kh, kw, o, , , , , , , groups, oh, ow] = desc;
  const pl = plan((2 * n * oh * ow * o * kh * kw * c) / groups, n);
  if (!pl) return null;
  const image = h * w * c;
  const grads = oh * ow * o;
  // Per-sample lengths of the sliced operands (0: passed whole) and of the output (0: per-thread partial sums).
  const [aPer, bPer, yPer] = fn === "conv2d_nhwc_f32" ? [image, 0, grads] : fn === "conv2d_nhwc_grad_input_f32" ? [grads, 0, image] : [image, grads, 0];
  const cuts = ranges(n, pl.pieces, 1);
  const workers = pl.workers.slice(0, cuts.length - 1);
  const partial = yPer === 0;
  const yBase = a.length + b.length;
  const f32 = pl.p.staging(yBase + (partial ? total * (workers.length + 1) : total));
  f32.set(a, 0);
  f32.set(b, a.length);
  if (partial) f32.fill(0, yBase, yBase + total * (workers.length + 1));
  const pieces: ConvPiece[] = cuts.map(([lo, hi]) => ({
    kind: "conv", fn, desc: [hi - lo, ...desc.slice(1)], partial,
    aOff: lo * aPer, aLen: (hi - lo) * aPer,
    bOff: a.length + lo * bPer, bLen: bPer === 0 ? b.length : (hi - lo) * bPer,
    yOff: yBase + lo * yPer, yLen: partial ? total : (hi - lo) * yPer,
  }));
  const statuses = pl.p.run(ex, f32.buffer as SharedArrayBuffer, pieces, workers);
  if (statuses.some((s) => s !== 0)) return false;
  const out = resultView(result);
  out.set(f32.subarray(yBase, yBase + total));
  if (partial) {
    for (let t = 1; t <= workers.length; t++) {
      const part = f32.subarray(yBase + t * total, yBase + (t + 1) * out.length);
      for (let j = 0; j < out.length; j++) out[j] += part[j];
    }
  }
  return true;
}
