/**
 * @file jax-js (`@jax-js/jax`) benchmark adapter, on its wasm device. jax-js frees arrays by
 * move semantics: every operation consumes its inputs, so a value used twice is passed as
 * `x.ref` first. Training steps mirror Kiln's: `jit` of `valueAndGrad` plus the SGD update.
 * jax-js convolutions are NCHW / OIHW, so the CNN transposes the Keras-layout inputs once in
 * setup and transposes back to NHWC before Flatten, keeping Keras' flatten order. With `--gpu`
 * it runs on jax-js' `webgpu` device, which finds the GPU through `navigator.gpu` (installed
 * from Dawn's Node bindings by bench/gpu.ts).
 */
import { type Array, defaultDevice, init, jit, lax, nn, numpy as np, random, tree, valueAndGrad } from "@jax-js/jax";
import { type AdapterNote, type GpuCalls, describeAdapter, installCounters, installNavigatorGpu } from "./gpu.js";
import { type Library, type Step, packageVersion, runChild } from "./harness.js";
import { type CnnInputs, type Dense, type MlpInputs, SGD_LR, parseOptions } from "./inputs.js";

const opts = parseOptions(process.argv.slice(2));
const device = opts.gpu ? "webgpu" : "wasm";
let adapter: AdapterNote | undefined;
let gpuCalls: GpuCalls | undefined;

const arr = (data: Float32Array, shape: number[]): Array => np.array(data, { shape });
type Layer = { w: Array; b: Array };
const toLayer = (d: Dense): Layer => ({ w: arr(d.w, d.shape), b: arr(d.b, [d.shape[1]]) });

function crossEntropy(logits: Array, y: Array): Array {
  return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(y), 1)).neg();
}

function mlpLoss(p: Layer[], x: Array, y: Array): Array {
  let h = x;
  p.forEach((l, i) => {
    h = np.matmul(h, l.w).add(l.b);
    if (i < p.length - 1) h = nn.relu(h);
  });
  return crossEntropy(h, y);
}

type Cnn = { c1: Layer; c2: Layer; d: Layer };

const convRelu = (x: Array, l: Layer) =>
  nn.relu(lax.convGeneralDilated(x, l.w, [1, 1], "VALID").add(l.b.reshape([-1, 1, 1])));
const maxPool2 = (x: Array) => lax.reduceWindow(x, (w: Array) => np.max(w), [2, 2], [2, 2]);

function cnnLoss(p: Cnn, x: Array, y: Array, key: Array): Array {
  const h = maxPool2(convRelu(maxPool2(convRelu(x, p.c1)), p.c2));
  const flat = h.transpose([0, 2, 3, 1]).reshape([h.shape[0], -1]);
  const keep = random.bernoulli(key, 0.5, flat.shape);
  return crossEntropy(np.matmul(np.where(keep, flat.mul(2), 0), p.d.w).add(p.d.b), y);
}

function sgdStep<P>(loss: (p: P, ...args: Array[]) => Array) {
  const vg = valueAndGrad(loss);
  const step = jit((p: P, ...args: Array[]) => {
    const [l, g] = (vg as (...a: unknown[]) => unknown)(tree.ref(p as never), ...args) as [Array, P];
    return [tree.map((w: Array, gw: Array) => w.sub(gw.mul(SGD_LR)), p as never, g as never), l];
  });
  const call = step as unknown as (...a: unknown[]) => [P, Array];
  return (p: P, ...args: Array[]) => call(p, ...args);
}

function trainer<P>(init: P, step: (p: P) => readonly [P, Array], extra: Array[]): Step {
  let params = init;
  return {
    async run() {
      const [next, l] = step(params); // consumes the old parameters
      params = next;
      return (await l.data())[0];
    },
    dispose: () => [tree.dispose(params as never), ...extra.map((a) => a.dispose())],
  };
}

const jaxjs: Library = {
  name: opts.gpu ? "jax-js-webgpu" : "jax-js",
  version: packageVersion("@jax-js/jax"),
  jit: true,
  backend: () => (opts.gpu ? defaultDevice() : `${defaultDevice()} (1 thread)`),
  async init() {
    if (opts.gpu) {
      const gpu = await installNavigatorGpu();
      adapter = await describeAdapter(gpu);
      gpuCalls = installCounters();
    }
    const got = await init(device);
    if (!got.includes(device)) {
      throw new Error(`jax-js: the ${device} device did not initialize (init("${device}") returned ${got.join(", ")})`);
    }
    defaultDevice(device);
  },
  adapter: () => adapter,
  counters: () => ({ ...gpuCalls }),
  matmul(n, a, b) {
    const [x, y] = [arr(a, [n, n]), arr(b, [n, n])];
    return { run: () => np.matmul(x.ref, y.ref).data(), dispose: () => [x.dispose(), y.dispose()] };
  },
  dispatch(x0, y0, ops) {
    const [x, y] = [arr(x0, [x0.length]), arr(y0, [y0.length])];
    return {
      run() {
        let h = x.ref;
        for (let i = 0; i < ops; i++) h = h.add(y.ref);
        return h.data();
      },
      dispose: () => [x.dispose(), y.dispose()],
    };
  },
  elementwise(data) {
    const x = arr(data, [data.length]);
    const f = jit((x: Array) => np.tanh(x.ref.mul(0.5).add(1)).mul(x.ref).add(np.exp(x.ref.mul(x).neg())));
    return { run: () => f(x.ref).data(), dispose: () => [x.dispose(), f.dispose()] };
  },
  sumAxis1(data, rows, cols) {
    const x = arr(data, [rows, cols]);
    return { run: () => np.sum(x.ref, 1).data(), dispose: () => x.dispose() };
  },
  mlpStep(inp: MlpInputs) {
    const x = arr(inp.x, [inp.batch, 784]);
    const y = arr(inp.y, [inp.batch, 10]);
    const step = sgdStep(mlpLoss);
    return trainer(inp.layers.map(toLayer), (p) => step(p, x.ref, y.ref), [x, y]);
  },
  cnnStep(inp: CnnInputs) {
    // NHWC [B, 28, 28, 1] has the same memory order as NCHW [B, 1, 28, 28].
    const x = arr(inp.x, [inp.batch, 1, 28, 28]);
    const y = arr(inp.y, [inp.batch, 10]);
    const key = random.key(0);
    const conv = (c: CnnInputs["conv1"]): Layer => ({
      w: arr(c.w, c.shape).transpose([3, 2, 0, 1]), // HWIO -> OIHW
      b: arr(c.b, [c.shape[3]]),
    });
    const step = sgdStep(cnnLoss);
    const params: Cnn = { c1: conv(inp.conv1), c2: conv(inp.conv2), d: toLayer(inp.dense) };
    return trainer(params, (p) => step(p, x.ref, y.ref, key.ref), [x, y, key]);
  },
};

await runChild(jaxjs);
