/**
 * @file Benchmark inputs and the workload catalogue, shared by the parent (bench/run.ts) and
 * every library's child process. Inputs come from one seeded JS PRNG, so each process builds
 * bit-identical arrays without passing data between processes.
 */

/** Command-line options understood by the parent and forwarded to each child. */
export interface BenchOptions {
  /** Fewer repeats and smaller sizes, for a smoke run. */
  quick: boolean;
  /** Workload ids (or id prefixes, e.g. "matmul") to run; empty means all. */
  only: string[];
  /** Seconds one workload may take in a child before the parent kills it. */
  limitS: number;
  /** Kiln backend to select with setBackend (default: Kiln's default backend). */
  backend?: string;
  /**
   * `--gpu`: in the parent, run only the webgpu table; in a child, run the library's webgpu
   * variant. `--cpu`: the parent runs only the CPU table. Neither: the parent runs both.
   */
  gpu: boolean;
  cpu: boolean;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const opts: BenchOptions = { quick: false, only: [], limitS: 0, gpu: false, cpu: false };
  for (const arg of argv) {
    if (arg === "--quick") opts.quick = true;
    else if (arg.startsWith("--only=")) opts.only = arg.slice(7).split(",").map((s) => s.trim()).filter(Boolean);
    else if (arg.startsWith("--limit=")) opts.limitS = Number(arg.slice(8));
    else if (arg.startsWith("--backend=")) opts.backend = arg.slice(10);
    else if (arg === "--gpu") opts.gpu = true;
    else if (arg === "--cpu") opts.cpu = true;
    else if (arg === "--help" || arg === "-h") {
      console.log(
        "usage: npm run bench -- [--quick] [--cpu | --gpu] [--only=matmul,mlp-step,...] [--limit=SECONDS] " +
          "[--libs=kiln,jax-js,tfjs,tfjs-wasm,kiln-webgpu,...] [--backend=KILN_BACKEND] [--json=FILE]",
      );
      process.exit(0);
    } else if (!["--libs=", "--json=", "--child"].some((p) => arg.startsWith(p))) {
      throw new RangeError(`bench: unknown option ${JSON.stringify(arg)}; expected --quick, --cpu, --gpu, --only=a,b, --limit=S, --libs=a,b, --backend=NAME or --json=FILE.`);
    }
  }
  if (!(opts.limitS > 0)) opts.limitS = opts.quick ? 60 : 150;
  return opts;
}

/** How a workload's median time is shown: a rate (higher is better), a duration, or a duration per op. */
export type Unit = "GFLOP/s" | "ms" | "µs/op";

export interface WorkloadSpec {
  readonly id: string;
  readonly title: string;
  readonly unit: Unit;
  /** Floating-point operations per run, for rate units. */
  readonly flops?: number;
  /** Operations per run, for the per-op unit. */
  readonly ops?: number;
  /** Whether libraries should agree on the checksum (false where randomness differs, e.g. dropout). */
  readonly comparable: boolean;
}

/** Sizes of every workload; `--quick` shrinks the slow ones. */
export interface Sizes {
  matmul: number[];
  elementwise: number;
  sumRows: number;
  sumCols: number;
  mlpBatch: number;
  cnnBatch: number;
  /** The dispatch-overhead row: this many elementwise ops on a vector of `dispatchSize`. */
  dispatchOps: number;
  dispatchSize: number;
}

export const sizesFor = (quick: boolean): Sizes => ({
  matmul: quick ? [256, 512] : [256, 512, 1024],
  elementwise: 1 << 20,
  sumRows: 1024,
  sumCols: 1024,
  mlpBatch: 128,
  cnnBatch: quick ? 16 : 128,
  dispatchOps: 200,
  // jax-js 0.1.25 (measured) computes arrays of up to 64 elements on the host, dispatching nothing;
  // at 1024 every library launches one kernel per op (counted in the webgpu table's notes).
  dispatchSize: 1024,
});

/**
 * The workloads measured inside a library's process, in run order: the CPU table's, or with
 * `gpu` the webgpu table's (matmul, per-op dispatch overhead, the training steps).
 */
export function workloads(s: Sizes, gpu = false): WorkloadSpec[] {
  const matmul = s.matmul.map((n) => ({ id: `matmul-${n}`, title: `matmul ${n}x${n} f32`, unit: "GFLOP/s" as const, flops: 2 * n ** 3, comparable: true }));
  const mlp: WorkloadSpec = { id: "mlp-step", title: `MLP 784-256-256-10 SGD step, batch ${s.mlpBatch}`, unit: "ms", comparable: true };
  const cnn: WorkloadSpec = { id: "cnn-step", title: `MNIST CNN train step, batch ${s.cnnBatch}`, unit: "ms", comparable: false };
  if (gpu) {
    const title = `dispatch: ${s.dispatchOps} eager x=x+y, ${s.dispatchSize} f32, 1 read`;
    return [...matmul, { id: "dispatch", title, unit: "µs/op", ops: s.dispatchOps, comparable: true }, mlp, cnn];
  }
  return [
    ...matmul,
    { id: "elementwise", title: `tanh(x*0.5+1)*x+exp(-x*x), ${s.elementwise >> 20}M f32`, unit: "ms", comparable: true },
    { id: "sum-axis1", title: `sum axis 1 of ${s.sumRows}x${s.sumCols}`, unit: "ms", comparable: true },
    mlp,
    cnn,
  ];
}

const JIT_COMPILE: WorkloadSpec = { id: "mlp-jit-compile", title: "MLP step: first call - steady call", unit: "ms", comparable: false };

/** Rows computed from other measurements or from separate processes. */
export const DERIVED: readonly WorkloadSpec[] = [
  JIT_COMPILE,
  { id: "cold-start", title: "cold start to first 256x256 matmul", unit: "ms", comparable: false },
];

/** The webgpu table's derived rows (its first MLP call includes compiling the WGSL pipelines). */
export const DERIVED_GPU: readonly WorkloadSpec[] = [JIT_COMPILE];

/** True when `id` is selected by `--only` (exact ids or prefixes such as "matmul"). */
export const selected = (id: string, only: readonly string[]): boolean =>
  only.length === 0 || only.some((o) => id.startsWith(o));

/** mulberry32: a tiny 32-bit PRNG, deterministic across processes and Node versions. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` uniform floats in [lo, hi) from `seed`. */
export function uniform(seed: number, n: number, lo = -1, hi = 1): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/** `n` normal floats scaled by `std` (Box-Muller). */
export function normal(seed: number, n: number, std = 1): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next())) * std;
    const th = 2 * Math.PI * next();
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

/** Row-major one-hot rows for labels drawn from `seed`. */
export function oneHot(seed: number, batch: number, classes = 10): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(batch * classes);
  for (let i = 0; i < batch; i++) out[i * classes + Math.floor(next() * classes)] = 1;
  return out;
}

export const SGD_LR = 0.01;

/** A dense layer's weights: `w` is [inputs, outputs] row-major, He-normal. */
export interface Dense { w: Float32Array; b: Float32Array; shape: [number, number] }

const dense = (seed: number, nIn: number, nOut: number): Dense => ({
  w: normal(seed, nIn * nOut, Math.sqrt(2 / nIn)), b: new Float32Array(nOut), shape: [nIn, nOut],
});

export interface MlpInputs { layers: Dense[]; x: Float32Array; y: Float32Array; batch: number }

/** 784-256-256-10 MLP weights and one batch: pixels in [0, 1), one-hot labels. */
export function mlpInputs(batch: number): MlpInputs {
  return {
    layers: [dense(11, 784, 256), dense(12, 256, 256), dense(13, 256, 10)],
    x: uniform(14, batch * 784, 0, 1),
    y: oneHot(15, batch),
    batch,
  };
}

/** A 3x3 convolution's weights in Keras layout: `w` is HWIO [3, 3, in, out] row-major. */
export interface Conv { w: Float32Array; b: Float32Array; shape: [number, number, number, number] }

export interface CnnInputs { conv1: Conv; conv2: Conv; dense: Dense; x: Float32Array; y: Float32Array; batch: number }

/**
 * Keras' MNIST convnet: Conv2D(32, 3x3, relu) -> MaxPool(2) -> Conv2D(64, 3x3, relu) ->
 * MaxPool(2) -> Flatten (NHWC order, as Keras) -> Dropout(0.5) -> Dense(10, softmax).
 * `x` is NHWC [batch, 28, 28, 1].
 */
export function cnnInputs(batch: number): CnnInputs {
  return {
    conv1: { w: normal(21, 9 * 32, Math.sqrt(2 / 9)), b: new Float32Array(32), shape: [3, 3, 1, 32] },
    conv2: { w: normal(22, 9 * 32 * 64, Math.sqrt(2 / 288)), b: new Float32Array(64), shape: [3, 3, 32, 64] },
    dense: dense(23, 1600, 10),
    x: uniform(24, batch * 784, 0, 1),
    y: oneHot(25, batch),
    batch,
  };
}

/** Sum of finite values: a cheap checksum to confirm that libraries computed the same thing. */
export function checksum(data: ArrayLike<number> | number): number {
  if (typeof data === "number") return data;
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i];
  return s;
}
