/**
 * @file TensorFlow.js adapter: `@tensorflow/tfjs-core` on `@tensorflow/tfjs-backend-wasm`
 * (XNNPACK), loading its .wasm from node_modules. tfjs has no jit: every workload runs op by op.
 * Training uses `tf.train.sgd(...).minimize`, tfjs' own gradient path. The CNN is attempted
 * as written; the wasm backend has no filter-gradient kernel for conv2d, so it is reported
 * with the error tfjs gives. With `--gpu` it runs on `@tensorflow/tfjs-backend-webgpu`, which
 * registers itself only if `navigator.gpu` exists when it is imported: bench/gpu.ts installs
 * Dawn's first, then the backend is imported. Reads are `await data()` there.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { type AdapterNote, type GpuCalls, describeAdapter, installCounters, installNavigatorGpu } from "./gpu.js";
import { type Library, type Readback, type Step, Unsupported, packageVersion, runChild } from "./harness.js";
import { type CnnInputs, type MlpInputs, SGD_LR, parseOptions } from "./inputs.js";

const opts = parseOptions(process.argv.slice(2));
let adapter: AdapterNote | undefined;
let gpuCalls: GpuCalls | undefined;

/**
 * tfjs-core's Node bundle leaves out the gradient registrations (the @tensorflow/tfjs union
 * package bundles them). tsx's require hook compiles tfjs-core's own ES module sources for
 * them, and they register into tfjs' process-global gradient registry. Loaded only by the
 * training workloads, as it takes a while.
 */
const registerGradients = (() => {
  let done = false;
  return () => {
    if (!done) createRequire(import.meta.url)("@tensorflow/tfjs-core/dist/register_all_gradients.js");
    done = true;
  };
})();

type Layer = { w: tf.Variable; b: tf.Variable };

/**
 * Computes `f` in a tidy scope and reads the result back outside it: `tf.tidy` walks its
 * return value looking for tensors, which for a returned TypedArray costs a visit per element.
 */
function readBack(f: () => tf.Tensor): Readback | Promise<Readback> {
  const t = tf.tidy(f);
  if (opts.gpu) return t.data().then((d) => d as Float32Array).finally(() => t.dispose());
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return data;
}

function crossEntropy(logits: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), y), 1))) as tf.Scalar;
}

const variable = (data: Float32Array, shape: number[]) => tf.variable(tf.tensor(data, shape));

/** One SGD step through `optimizer.minimize`; reads back the loss. */
function trainer(vars: tf.Variable[], loss: () => tf.Scalar, extra: tf.Tensor[]): Step {
  registerGradients();
  const opt = tf.train.sgd(SGD_LR);
  return {
    async run() {
      const l = opt.minimize(loss, true, vars) as tf.Scalar;
      const v = (await l.data())[0];
      l.dispose();
      return v;
    },
    dispose: () => [opt.dispose(), ...vars.map((v) => v.dispose()), ...extra.map((t) => t.dispose())],
  };
}

/** Starts tfjs' webgpu backend on Dawn. */
async function initWebGpu(): Promise<void> {
  const gpu = await installNavigatorGpu();
  adapter = await describeAdapter(gpu);
  await import("@tensorflow/tfjs-backend-webgpu");
  if (!tf.findBackendFactory("webgpu")) throw new Error("tfjs-backend-webgpu registered no backend (it found no navigator.gpu)");
  if (!(await tf.setBackend("webgpu"))) throw new Error("tfjs: the webgpu backend failed to initialize");
  await tf.ready();
  gpuCalls = installCounters();
}

const tfjs: Library = {
  name: opts.gpu ? "tfjs-webgpu" : "tfjs-wasm",
  version: packageVersion(opts.gpu ? "@tensorflow/tfjs-backend-webgpu" : "@tensorflow/tfjs-backend-wasm"),
  jit: false,
  adapter: () => adapter,
  counters: () => ({ ...gpuCalls }),
  backend: () => {
    if (opts.gpu) return tf.getBackend();
    const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "SIMD" : "no SIMD";
    const threads = tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") ? "threads" : "1 thread";
    return `${tf.getBackend()} (${simd}, ${threads})`;
  },
  async init() {
    if (opts.gpu) return initWebGpu();
    const dist = dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"));
    setWasmPaths(`${dist}/`);
    if (!(await tf.setBackend("wasm"))) throw new Error("tfjs: the wasm backend failed to initialize");
    await tf.ready();
  },
  matmul(n, a, b) {
    const [x, y] = [tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])];
    return {
      run: () => readBack(() => tf.matMul(x, y)),
      dispose: () => [x.dispose(), y.dispose()],
    };
  },
  dispatch(x0, y0, ops) {
    const [x, y] = [tf.tensor1d(x0), tf.tensor1d(y0)];
    const f = () => {
      let h: tf.Tensor = x;
      for (let i = 0; i < ops; i++) h = tf.add(h, y);
      return h;
    };
    return { run: () => readBack(f), dispose: () => [x.dispose(), y.dispose()] };
  },
  elementwise(data) {
    const x = tf.tensor1d(data);
    const f = () => tf.add(tf.mul(tf.tanh(tf.add(tf.mul(x, 0.5), 1)), x), tf.exp(tf.neg(tf.mul(x, x))));
    return { run: () => readBack(f), dispose: () => x.dispose() };
  },
  sumAxis1(data, rows, cols) {
    const x = tf.tensor2d(data, [rows, cols]);
    return { run: () => readBack(() => tf.sum(x, 1)), dispose: () => x.dispose() };
  },
  mlpStep(inp: MlpInputs) {
    const x = tf.tensor2d(inp.x, [inp.batch, 784]);
    const y = tf.tensor2d(inp.y, [inp.batch, 10]);
    const layers: Layer[] = inp.layers.map((d) => ({ w: variable(d.w, d.shape), b: variable(d.b, [d.shape[1]]) }));
    const loss = () => {
      let h: tf.Tensor = x;
      layers.forEach((l, i) => {
        h = tf.add(tf.matMul(h, l.w), l.b);
        if (i < layers.length - 1) h = tf.relu(h);
      });
      return crossEntropy(h, y);
    };
    return trainer(layers.flatMap((l) => [l.w, l.b]), loss, [x, y]);
  },
  cnnStep(inp: CnnInputs) {
    const x = tf.tensor4d(inp.x, [inp.batch, 28, 28, 1]);
    const y = tf.tensor2d(inp.y, [inp.batch, 10]);
    const conv = (c: CnnInputs["conv1"]): Layer => ({ w: variable(c.w, c.shape), b: variable(c.b, [c.shape[3]]) });
    const [c1, c2] = [conv(inp.conv1), conv(inp.conv2)];
    const d: Layer = { w: variable(inp.dense.w, inp.dense.shape), b: variable(inp.dense.b, [10]) };
    const convRelu = (h: tf.Tensor4D, l: Layer) => tf.relu(tf.add(tf.conv2d(h, l.w as tf.Tensor4D, 1, "valid"), l.b)) as tf.Tensor4D;
    const pool = (h: tf.Tensor4D) => tf.maxPool(h, 2, 2, "valid");
    const loss = () => {
      const h = pool(convRelu(pool(convRelu(x, c1)), c2));
      const flat = tf.dropout(tf.reshape(h, [inp.batch, -1]), 0.5);
      return crossEntropy(tf.add(tf.matMul(flat, d.w), d.b), y);
    };
    const t = trainer([c1.w, c1.b, c2.w, c2.b, d.w, d.b], loss, [x, y]);
    return {
      async run() {
        try {
          return await t.run();
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          if (/not registered/.test(msg)) throw new Unsupported(`cannot train convolutions: ${msg}`);
          throw e;
        }
      },
      dispose: t.dispose,
    };
  },
};

await runChild(tfjs);
