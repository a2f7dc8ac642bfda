/**
 * @file Kiln's benchmark adapter (run as a child process by bench/run.ts). Training steps are
 * pure functions: `jit` of a step that calls `valueAndGrad` and applies the SGD update, so the
 * whole step is one compiled program. The CNN is written functionally with
 * `lax.convGeneralDilated` and `lax.reduceWindow` in Keras' NHWC / HWIO layouts. With `--gpu`
 * it runs on the webgpu backend, where results are read with `await data()` (`dataSync()`
 * throws there); on CPU backends reads stay synchronous.
 */
import { readFileSync } from "node:fs";
import { type Array, getBackend, jit, lax, np, random, setBackend, tidy, treeMap, valueAndGrad } from "../src/index.js";
import { type AdapterNote, type GpuCalls, installCounters } from "./gpu.js";
import { type Library, type Readback, type Step, runChild } from "./harness.js";
import { type CnnInputs, type Dense, type MlpInputs, SGD_LR, parseOptions } from "./inputs.js";

const opts = parseOptions(process.argv.slice(2));
const arr = (data: Float32Array, shape: readonly number[]): Array => np.array(data, { shape: [...shape] });

/**
 * Computes `f` in a tidy scope and reads its result back: synchronously where the backend can
 * (CPU backends: the timing is what it always was), else with `await data()`.
 */
function readOut(f: () => Array): Readback | Promise<Readback> {
  if (getBackend().canReadSync) return tidy(() => f().dataSync() as Float32Array);
  const r = tidy(f);
  return r.data().then((d) => d as Float32Array).finally(() => r.dispose());
}

/** The webgpu backend's view of its adapter and its stream's counters (Kiln's own bookkeeping). */
type GpuBackend = { info?: { adapterName: string; isFallback: boolean }; stream?: { stats: Record<string, number> } };
let gpuCalls: GpuCalls | undefined;

const disposeTree = (t: unknown) => treeMap((a: Array) => a.dispose(), t as never);

type Layer = { w: Array; b: Array };
const toLayer = (d: Dense): Layer => ({ w: arr(d.w, d.shape), b: arr(d.b, [d.shape[1]]) });

/** Mean softmax cross-entropy against one-hot labels. */
function crossEntropy(logits: Array, y: Array): Array {
  const logp = logits.sub(np.logsumexp(logits, { axis: 1, keepdims: true }));
  return np.mean(np.sum(logp.mul(y), { axis: 1 })).neg();
}

function mlpLoss(p: Layer[], x: Array, y: Array): Array {
  let h = x;
  p.forEach((l, i) => {
    h = np.matmul(h, l.w).add(l.b);
    if (i < p.length - 1) h = np.maximum(h, 0);
  });
  return crossEntropy(h, y);
}

type Cnn = { c1: Layer; c2: Layer; d: Layer };
const NHWC = ["NHWC", "HWIO", "NHWC"] as const;

const convRelu = (x: Array, l: Layer) =>
  np.maximum(lax.convGeneralDilated(x, l.w, [1, 1], "VALID", { dimensionNumbers: NHWC }).add(l.b), 0);
const maxPool2 = (x: Array) => lax.reduceWindow(x, "max", [1, 2, 2, 1], [1, 2, 2, 1], "VALID");

function cnnLoss(p: Cnn, x: Array, y: Array, key: Array): Array {
  const h = maxPool2(convRelu(maxPool2(convRelu(x, p.c1)), p.c2));
  const flat = np.reshape(h, [h.shape[0], -1]);
  // Inverted dropout (rate 0.5), as Keras applies it in training.
  const keepMask = random.bernoulli(key, 0.5, flat.shape);
  const dropped = np.where(keepMask, flat.mul(2), 0);
  return crossEntropy(np.matmul(dropped, p.d.w).add(p.d.b), y);
}

/** A jitted training step: gradients and the SGD update in one program. */
function sgdStep<P, A extends unknown[]>(loss: (p: P, ...args: A) => Array) {
  const vg = valueAndGrad(loss as (...a: unknown[]) => Array);
  return jit((p: P, ...args: A) => {
    const [l, g] = vg(p, ...args) as [Array, P];
    return [treeMap((w: Array, gw: Array) => w.sub(gw.mul(SGD_LR)), p as never, g as never) as P, l] as const;
  });
}

/** Runs one training step, swapping in the new parameters and freeing the old ones. */
function trainer<P>(init: P, step: (p: P) => readonly [P, Array]): Step {
  let params = init;
  return {
    run() {
      const [next, l] = step(params);
      disposeTree(params);
      params = next;
      if (!getBackend().canReadSync) return l.data().then((d) => d[0]).finally(() => l.dispose());
      const loss = l.item() as number;
      l.dispose();
      return loss;
    },
    dispose: () => disposeTree(params),
  };
}

const version = (): string => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
};

const kiln: Library = {
  name: opts.gpu ? "kiln-webgpu" : "kiln",
  version: version(),
  jit: true,
  backend: () => getBackend().name,
  async init() {
    const backend = opts.gpu ? "webgpu" : opts.backend;
    if (backend) await setBackend(backend);
    // Kiln's Node path loads Dawn itself (no navigator.gpu here); its globals are installed now.
    if (opts.gpu) gpuCalls = installCounters();
  },
  adapter(): AdapterNote | undefined {
    const info = (getBackend() as GpuBackend).info;
    return info && { adapter: info.adapterName, fallback: info.isFallback };
  },
  counters() {
    const host = (getBackend() as GpuBackend).stream?.stats.hostSteps;
    return gpuCalls ? { ...gpuCalls, ...(host === undefined ? {} : { hostSteps: host }) } : {};
  },
  matmul(n, a, b) {
    const [x, y] = [arr(a, [n, n]), arr(b, [n, n])];
    return { run: () => readOut(() => np.matmul(x, y)), dispose: () => [x, y].forEach((t) => t.dispose()) };
  },
  dispatch(x0, y0, ops) {
    const [x, y] = [arr(x0, [x0.length]), arr(y0, [y0.length])];
    return {
      run: () => readOut(() => {
        let h = x;
        for (let i = 0; i < ops; i++) h = h.add(y);
        return h;
      }),
      dispose: () => [x, y].forEach((t) => t.dispose()),
    };
  },
  elementwise(data) {
    const x = arr(data, [data.length]);
    const f = jit((x: Array) => np.tanh(x.mul(0.5).add(1)).mul(x).add(np.exp(x.mul(x).neg())));
    return { run: () => readOut(() => f(x)), dispose: () => x.dispose() };
  },
  sumAxis1(data, rows, cols) {
    const x = arr(data, [rows, cols]);
    return { run: () => readOut(() => np.sum(x, { axis: 1 })), dispose: () => x.dispose() };
  },
  mlpStep(inp: MlpInputs) {
    const x = arr(inp.x, [inp.batch, 784]);
    const y = arr(inp.y, [inp.batch, 10]);
    const step = sgdStep(mlpLoss);
    const t = trainer(inp.layers.map(toLayer), (p) => step(p, x, y));
    return { run: t.run, dispose: () => [t.dispose?.(), x.dispose(), y.dispose()] };
  },
  cnnStep(inp: CnnInputs) {
    const x = arr(inp.x, [inp.batch, 28, 28, 1]);
    const y = arr(inp.y, [inp.batch, 10]);
    const key = random.key(0);
    const conv = (c: CnnInputs["conv1"]): Layer => ({ w: arr(c.w, c.shape), b: arr(c.b, [c.shape[3]]) });
    const step = sgdStep(cnnLoss);
    const t = trainer({ c1: conv(inp.conv1), c2: conv(inp.conv2), d: toLayer(inp.dense) }, (p) => step(p, x, y, key));
    return { run: t.run, dispose: () => [t.dispose?.(), x.dispose(), y.dispose(), key.dispose()] };
  },
};

await runChild(kiln);
