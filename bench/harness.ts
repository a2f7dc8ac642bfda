/**
 * @file The child-process side of the benchmark: a library adapter (bench/lib-*.ts) describes
 * how to build each workload; this module times it (warm-up, then the median of repeated runs,
 * each ending once the result has been read back to JS) and reports one JSON line per result
 * on stdout for bench/run.ts. The same code times every library, so the figures compare.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { AdapterNote } from "./gpu.js";
import {
  type BenchOptions, type CnnInputs, type MlpInputs, checksum, cnnInputs, mlpInputs, parseOptions, selected,
  sizesFor, uniform, workloads,
} from "./inputs.js";

/** Prefix of the lines that the parent parses; anything else a library prints is ignored. */
export const LINE_PREFIX = "@@bench ";

/** Thrown by an adapter for a workload its library cannot run; the message is the reason. */
export class Unsupported extends Error {}

/** What a run hands back once its result is on the host: the data, or a scalar (a loss). */
export type Readback = ArrayLike<number> | number;

/** One prepared workload: `run` computes and reads back; `dispose` frees what setup made. */
export interface Step {
  run(): Promise<Readback> | Readback;
  dispose?(): void;
}

/** How a library runs each workload. Setup (array upload, tracing closures) is not timed. */
export interface Library {
  readonly name: string;
  readonly version: string;
  /** Whether the library compiles whole functions (the elementwise chain and training steps use it). */
  readonly jit: boolean;
  /** Called after `init`, e.g. "wasm (SIMD, 1 thread)". */
  backend(): string;
  /** Throws (with the reason) when the library's backend cannot start; nothing is timed then. */
  init(): Promise<void>;
  /** On webgpu, after `init`: the adapter the library got. */
  adapter?(): AdapterNote | undefined;
  /** On webgpu, after `init`: running counts of GPU work (dispatches, submits, ...). */
  counters?(): Record<string, number>;
  matmul(n: number, a: Float32Array, b: Float32Array): Step;
  /** From the same `x` every run: `ops` eager `x = x + y` (no jit: one kernel each), then one read. */
  dispatch(x: Float32Array, y: Float32Array, ops: number): Step;
  elementwise(x: Float32Array): Step;
  sumAxis1(x: Float32Array, rows: number, cols: number): Step;
  /** One SGD step that updates the adapter's own parameters; reads back the loss. */
  mlpStep(inputs: MlpInputs): Step;
  cnnStep(inputs: CnnInputs): Step;
}

export type Message =
  | { kind: "meta"; lib: string; version: string; backend: string; jit: boolean; adapter?: string; fallback?: boolean }
  | { kind: "start"; lib: string; id: string }
  | {
    kind: "result"; lib: string; id: string; status: "ok" | "n/a" | "error"; reason?: string;
    firstMs?: number; medianMs?: number; timesMs?: number[]; check?: number; importMs?: number;
    /** GPU work per timed run (mean over the timed runs), where the library counts it. */
    perRun?: Record<string, number>;
  };

const emit = (m: Message) => process.stdout.write(`${LINE_PREFIX}${JSON.stringify(m)}\n`);

/** The installed version of an npm package (its exports may hide package.json). */
export function packageVersion(name: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version: string };
      if (pkg.name === name) return pkg.version;
    }
    if (dirname(dir) === dir) return "?";
    dir = dirname(dir);
  }
}

/** Repeat policy: a slow workload (a timed run over 5 s) gets a single timed run. */
interface Policy { minRuns: number; maxRuns: number; budgetMs: number; slowMs: number }
const policyFor = (quick: boolean): Policy =>
  quick ? { minRuns: 2, maxRuns: 5, budgetMs: 500, slowMs: 5000 } : { minRuns: 3, maxRuns: 30, budgetMs: 2500, slowMs: 5000 };

async function timeOnce(step: Step): Promise<[number, Readback]> {
  const t0 = performance.now();
  const out = await step.run();
  return [performance.now() - t0, out];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function measure(step: Step, p: Policy, counters?: () => Record<string, number>) {
  const [firstMs, firstOut] = await timeOnce(step);
  // The first call pays for compilation; one more untimed call settles caches and JIT tiers.
  if (firstMs < 1000) await timeOnce(step);
  const timesMs: number[] = [];
  let last: Readback = firstOut;
  let spent = 0;
  const before = counters?.();
  while (timesMs.length < p.minRuns || (timesMs.length < p.maxRuns && spent < p.budgetMs)) {
    const [ms, out] = await timeOnce(step);
    timesMs.push(ms);
    spent += ms;
    last = out;
    // Judged on a timed run, not the first call: a long compile alone should not cost the repeats.
    if (ms > p.slowMs) break;
  }
  const after = counters?.();
  const perRun = before && after && Object.keys(after).length > 0
    ? Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] - (before[k] ?? 0)) / timesMs.length]))
    : undefined;
  // The MLP and CNN checksums are the first step's loss: later steps start from updated weights.
  return { firstMs, medianMs: median(timesMs), timesMs, check: checksum(firstOut), lastCheck: checksum(last), perRun };
}

function describe(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0].slice(0, 200);
}

async function runOne(lib: Library, id: string, build: () => Step, p: Policy): Promise<void> {
  emit({ kind: "start", lib: lib.name, id });
  let step: Step | undefined;
  try {
    step = build();
    const m = await measure(step, p, lib.counters?.bind(lib));
    const check = id.startsWith("mlp") || id.startsWith("cnn") ? m.check : m.lastCheck;
    emit({
      kind: "result", lib: lib.name, id, status: "ok", firstMs: m.firstMs, medianMs: m.medianMs, timesMs: m.timesMs, check,
      perRun: m.perRun,
    });
  } catch (e) {
    const status = e instanceof Unsupported ? "n/a" : "error";
    emit({ kind: "result", lib: lib.name, id, status, reason: describe(e) });
  } finally {
    step?.dispose?.();
  }
}

/**
 * Entry point of a library's child process: runs the workloads selected by `--only` (with
 * `--gpu`, the webgpu table's). When the backend cannot start, every workload reports n/a with
 * the reason instead of the process crashing.
 */
export async function runChild(lib: Library): Promise<void> {
  const opts: BenchOptions = parseOptions(process.argv.slice(2));
  await runWorkloads(lib, opts);
  // Dawn's instance keeps the event loop alive; stdout is a pipe, written synchronously on Linux.
  if (opts.gpu) process.exit(0);
}

async function runWorkloads(lib: Library, opts: BenchOptions): Promise<void> {
  const sizes = sizesFor(opts.quick);
  const chosen = workloads(sizes, opts.gpu).filter((w) => selected(w.id, opts.only));
  try {
    await lib.init();
  } catch (e) {
    emit({ kind: "meta", lib: lib.name, version: lib.version, backend: "did not start", jit: lib.jit });
    const reason = `${opts.gpu ? "webgpu backend" : "backend"} did not start in Node: ${describe(e)}`;
    for (const w of chosen) emit({ kind: "result", lib: lib.name, id: w.id, status: "n/a", reason });
    return;
  }
  const adapter = lib.adapter?.();
  emit({ kind: "meta", lib: lib.name, version: lib.version, backend: lib.backend(), jit: lib.jit, ...adapter });
  const p = policyFor(opts.quick);
  for (const w of chosen) {
    if (w.id.startsWith("matmul-")) {
      const n = Number(w.id.slice(7));
      await runOne(lib, w.id, () => lib.matmul(n, uniform(1, n * n), uniform(2, n * n)), p);
    } else if (w.id === "dispatch") {
      await runOne(lib, w.id, () => lib.dispatch(uniform(5, sizes.dispatchSize), uniform(6, sizes.dispatchSize, 0, 1e-3), sizes.dispatchOps), p);
    } else if (w.id === "elementwise") {
      await runOne(lib, w.id, () => lib.elementwise(uniform(3, sizes.elementwise, -2, 2)), p);
    } else if (w.id === "sum-axis1") {
      await runOne(lib, w.id, () => lib.sumAxis1(uniform(4, sizes.sumRows * sizes.sumCols), sizes.sumRows, sizes.sumCols), p);
    } else if (w.id === "mlp-step") {
      await runOne(lib, w.id, () => lib.mlpStep(mlpInputs(sizes.mlpBatch)), p);
    } else if (w.id === "cnn-step") {
      await runOne(lib, w.id, () => lib.cnnStep(cnnInputs(sizes.cnnBatch)), p);
    }
  }
}
