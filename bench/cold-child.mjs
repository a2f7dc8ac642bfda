/**
 * @file Cold-start child, plain JavaScript so that plain `node` runs it with no loader: the
 * time from process start (`performance.now()` counts from it) to the first 256x256 matmul
 * result read back, including importing and initializing the library. bench/cold.ts spawns
 * it once per sample; Kiln is imported from a JavaScript build of src/ whose path is argv[3].
 *
 * Usage: node bench/cold-child.mjs kiln|jax-js|tfjs-wasm [kiln-index.js [kiln-backend]]
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";

const N = 256;
const [lib, kilnIndex, kilnBackend] = process.argv.slice(2);
// A plain loop: `Float32Array.from({ length }, fn)` takes the generic iterable path, which cost
// 14-19 ms here before any library code ran, and that time counted against every library.
const a = new Float32Array(N * N);
const b = new Float32Array(N * N);
for (let i = 0; i < N * N; i++) {
  a[i] = Math.sin(i);
  b[i] = Math.cos(i);
}

/** Each entry imports its library, initializes it and returns the first product, read back. */
const firstMatmul = {
  async kiln() {
    const { np, setBackend } = await import(pathToFileURL(kilnIndex).href);
    const t = performance.now();
    if (kilnBackend) setBackend(kilnBackend);
    return [t, np.matmul(np.array(a, { shape: [N, N] }), np.array(b, { shape: [N, N] })).dataSync()];
  },
  async "jax-js"() {
    const jax = await import("@jax-js/jax");
    const t = performance.now();
    await jax.init("wasm");
    jax.defaultDevice("wasm");
    const np = jax.numpy;
    return [t, await np.matmul(np.array(a, { shape: [N, N] }), np.array(b, { shape: [N, N] })).data()];
  },
  async "tfjs-wasm"() {
    const tf = await import("@tensorflow/tfjs-core");
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const t = performance.now();
    wasm.setWasmPaths(`${dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))}/`);
    await tf.setBackend("wasm");
    return [t, tf.matMul(tf.tensor2d(a, [N, N]), tf.tensor2d(b, [N, N])).dataSync()];
  },
};

const run = firstMatmul[lib];
if (!run) throw new RangeError(`cold-child: unknown library ${JSON.stringify(lib)}; expected ${Object.keys(firstMatmul).join(", ")}.`);
const [importMs, data] = await run();
const medianMs = performance.now();
const check = data.reduce((s, x) => s + x, 0);
const msg = { kind: "result", lib, id: "cold-start", status: "ok", medianMs, importMs, check };
process.stdout.write(`@@bench ${JSON.stringify(msg)}\n`);
