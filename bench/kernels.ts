/**
 * @file Micro-benchmark of the Rust SIMD GEMM (kiln_kernels.wasm), single threaded: GFLOP/s of an
 * f32 n x n x n matmul for n = 256, 512, 1024, with the operands resident in wasm memory (the
 * kernel alone) and through the copying `Kernels.gemm` helper. Not a test: prints a table.
 * The best run estimates the uncontended speed on a shared machine; the median is printed too.
 *
 * Run: npx tsx bench/kernels.ts [sizes...]
 */
import { loadKernels } from "../src/backend/wasm/kernels.js";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const k = await loadKernels();
const ex = k.exports;

function time(run: () => void, flops: number): { best: number; median: number } {
  const budgetMs = 1500;
  for (let i = 0; i < 3; i++) run(); // let V8 tier the kernel up from Liftoff to TurboFan
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 5 || (performance.now() - start < budgetMs && times.length < 200)) {
    const t = performance.now();
    run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const gflops = (ms: number) => flops / ms / 1e6;
  return { best: gflops(times[0]), median: gflops(times[times.length >> 1]) };
}

console.log("n      resident best / median GFLOP/s   with copies best / median GFLOP/s");
for (const n of sizes.length ? sizes : [256, 512, 1024]) {
  const a = new Float32Array(n * n).map(() => Math.random() - 0.5);
  const b = new Float32Array(n * n).map(() => Math.random() - 0.5);
  const [pa, pb, pc] = [0, 1, 2].map(() => ex.kiln_alloc(n * n * 4));
  new Float32Array(ex.memory.buffer, pa, n * n).set(a);
  new Float32Array(ex.memory.buffer, pb, n * n).set(b);
  const flops = 2 * n ** 3;
  const resident = time(() => {
    if (ex.gemm_f32(n, n, n, pa, n, pb, n, pc, n, 1, 0, 0, 0) !== 0) throw new Error("gemm_f32 failed");
  }, flops);
  const out = new Float32Array(n * n);
  const copied = time(() => void k.gemm(a, b, n, n, n, { out }), flops);
  [pa, pb, pc].forEach((p) => ex.kiln_free(p));
  const f = (x: number) => x.toFixed(1).padStart(5);
  console.log(`${String(n).padEnd(6)} ${f(resident.best)} / ${f(resident.median)}                  ${f(copied.best)} / ${f(copied.median)}`);
}
