/**
 * @file The order of GPU work: one command encoder at a time, submitted once per jitted call
 * (or once per batch of eager operations), and a chain of asynchronous steps (readbacks, host
 * computations) that everything later waits behind.
 *
 * Every write to a buffer — a dispatch, a copy, a clear, an upload — is either recorded in the
 * current encoder or queued by a chained step, and chained steps run in the order they were
 * asked for. So a buffer freed and handed out again is written only after every earlier reader
 * ran, and a readback sees exactly the work recorded before it was asked for. While no step is
 * pending, a flush submits at once; while one is, submits wait their turn in the chain.
 *
 * Errors: a device loss or a validation error seen asynchronously is kept and reported by the
 * next readback (and a lost device refuses new work at once).
 */

/** Bytes of a buffer allocation for `bytes` requested: size classes, so freed buffers are reused often. */
export function sizeClass(bytes: number): number {
  const b = Math.max(bytes, 16);
  if (b <= 256) return 256;
  if (b <= 1 << 22) return 2 ** Math.ceil(Math.log2(b));
  return Math.ceil(b / (1 << 20)) * (1 << 20);
}

/** Freed buffers kept for reuse, at most this many bytes in all; the rest are destroyed. */
const POOL_LIMIT_BYTES = 512 << 20;

const USAGE_STORAGE = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST
const USAGE_READBACK = 0x01 | 0x08; // MAP_READ | COPY_DST
const MAP_READ = 0x1;

export class GpuStream {
  readonly #device: GPUDevice;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #flushQueued = false;
  #pool = new Map<number, GPUBuffer[]>();
  #pooledBytes = 0;
  /** The first asynchronous error (validation, out of memory, a failed host step). */
  #error: Error | null = null;
  #lost: string | null = null;
  /** Submits and dispatches so far, for tests and benchmarks. */
  readonly stats = { submits: 0, dispatches: 0, hostSteps: 0 };

  constructor(device: GPUDevice) {
    this.#device = device;
    device.addEventListener?.("uncapturederror", (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.#error ??= new Error(`WebGPU reported an error: ${e.message}`);
    });
    void device.lost.then((info) => {
      this.#lost = `${info.reason ?? "unknown"}: ${info.message}`;
    });
  }

  /** Throws when the device was lost (the message says how to start again). */
  checkAlive(): void {
    if (this.#lost !== null) {
      throw new Error(
        `The WebGPU device was lost (${this.#lost}). Arrays that lived on it are gone; ` +
          `call 'await setBackend("webgpu")' to start a new device, and create the arrays again.`,
      );
    }
  }

  get lost(): boolean {
    return this.#lost !== null;
  }

  /** A storage buffer of at least `bytes`, from the pool when one is free. */
  acquire(bytes: number): GPUBuffer {
    this.checkAlive();
    const size = sizeClass(bytes);
    const free = this.#pool.get(size);
    const hit = free?.pop();
    if (hit) {
      this.#pooledBytes -= size;
      return hit;
    }
    return this.#device.createBuffer({ size, usage: USAGE_STORAGE });
  }

  /** Gives a buffer back to the pool (or destroys it, after all work queued so far, when the pool is full). */
  recycle(buf: GPUBuffer): void {
    if (this.#lost !== null) return;
    if (this.#pooledBytes + buf.size > POOL_LIMIT_BYTES) {
      this.enqueue(() => buf.destroy()).catch(() => undefined);
      return;
    }
    let list = this.#pool.get(buf.size);
    if (!list) this.#pool.set(buf.size, (list = []));
    list.push(buf);
    this.#pooledBytes += buf.size;
  }

  /** The compute pass to record a dispatch in (opened on demand). */
  pass(): GPUComputePassEncoder {
    this.checkAlive();
    if (!this.#pass) this.#pass = this.encoder().beginComputePass();
    this.stats.dispatches++;
    this.#scheduleFlush();
    return this.#pass;
  }

  /** The current encoder for copies and clears (ends an open compute pass). */
  encoder(): GPUCommandEncoder {
    this.checkAlive();
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
    this.#encoder ??= this.#device.createCommandEncoder();
    this.#scheduleFlush();
    return this.#encoder;
  }

  /**
   * A new storage buffer holding `data`, written through its mapping at creation: no staging
   * copy, and no ordering hazard, since no earlier command can refer to a buffer that did not
   * exist (pooled buffers are never written this way). It joins the pool when freed.
   */
  createWith(data: ArrayBufferView): GPUBuffer {
    this.checkAlive();
    const buf = this.#device.createBuffer({ size: sizeClass(data.byteLength), usage: USAGE_STORAGE, mappedAtCreation: true });
    new Uint8Array(buf.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    buf.unmap();
    return buf;
  }

  /** Submits what was recorded (now, or after the pending chained steps). */
  flush(): void {
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
    if (!this.#encoder) return;
    const cmd = this.#encoder.finish();
    this.#encoder = null;
    const submit = () => {
      if (this.#lost !== null) return;
      this.#device.queue.submit([cmd]);
      this.stats.submits++;
    };
    if (this.#pending === 0) submit();
    else this.#chain = this.#chain.then(submit);
  }

  /** Eager work recorded in one synchronous stretch of code is submitted together. */
  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.flush();
    });
  }

  /**
   * Runs `task` after all work recorded or queued so far; later work waits for it. Its own GPU
   * work must go straight to `device.queue` (through `this.device`), not through this stream.
   */
  enqueue<T>(task: () => T | Promise<T>): Promise<T> {
    this.flush();
    this.#pending++;
    const run = this.#chain.then(task);
    const done = run.finally(() => this.#pending--);
    this.#chain = done.then(() => undefined, () => undefined);
    return done;
  }

  get device(): GPUDevice {
    return this.#device;
  }

  /** Reads `bytes` of `src` once all earlier work is done; rejects with any error seen so far. */
  read(src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    this.checkAlive();
    return this.enqueue(async () => {
      this.#throwIfFailed();
      const size = Math.max(4, Math.ceil(bytes / 4) * 4);
      const staging = this.#device.createBuffer({ size, usage: USAGE_READBACK });
      try {
        const enc = this.#device.createCommandEncoder();
        enc.copyBufferToBuffer(src, 0, staging, 0, size);
        this.#device.queue.submit([enc.finish()]);
        this.stats.submits++;
        await staging.mapAsync(MAP_READ);
        const out = staging.getMappedRange().slice(0, bytes);
        staging.unmap();
        this.#throwIfFailed();
        return out;
      } finally {
        staging.destroy();
      }
    });
  }

  /** Reads several buffers with one submit (for host steps). */
  async readMany(srcs: readonly { buf: GPUBuffer; bytes: number }[]): Promise<ArrayBuffer[]> {
    const enc = this.#device.createCommandEncoder();
    const stagings = srcs.map(({ buf, bytes }) => {
      const size = Math.max(4, Math.ceil(bytes / 4) * 4);
      const s = this.#device.createBuffer({ size, usage: USAGE_READBACK });
      enc.copyBufferToBuffer(buf, 0, s, 0, size);
      return s;
    });
    this.#device.queue.submit([enc.finish()]);
    this.stats.submits++;
    try {
      await Promise.all(stagings.map((s) => s.mapAsync(MAP_READ)));
      return stagings.map((s, i) => s.getMappedRange().slice(0, srcs[i].bytes));
    } finally {
      for (const s of stagings) s.destroy();
    }
  }

  /** Records an asynchronous failure (a host step that threw), reported by the next readback. */
  fail(e: Error): void {
    this.#error ??= e;
  }

  #throwIfFailed(): void {
    this.checkAlive();
    const e = this.#error;
    if (e) {
      this.#error = null; // reported once: later work may succeed
      throw e;
    }
  }

  /** Resolves when all work recorded and queued so far is done. */
  async sync(): Promise<void> {
    await this.enqueue(() => this.#device.queue.onSubmittedWorkDone());
    this.#throwIfFailed();
  }
}
