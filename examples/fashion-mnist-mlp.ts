/**
 * Fashion-MNIST with a two-layer MLP, written functionally: parameters are a pytree, the loss is
 * a pure function, `valueAndGrad` differentiates it, `jit` stages the gradient once, and SGD with
 * momentum updates the pytree.
 *
 * Run: npm run example            (options: EPOCHS=10 HIDDEN=256 BATCH=128 LR=0.05 KILN_BACKEND=reference)
 */
import { np, random, tidy, valueAndGrad, jit, treeMap, memory, setBackend, type Array } from "../src/index.js";
import { loadFashionMnistRaw } from "../src/io/index.js";

const BACKEND = process.env.KILN_BACKEND ?? "wasm";
setBackend(BACKEND);
const EPOCHS = Number(process.env.EPOCHS ?? 10);
const HIDDEN = Number(process.env.HIDDEN ?? 256);
const BATCH = Number(process.env.BATCH ?? 128);
const LR = Number(process.env.LR ?? 0.05);
const MOMENTUM = 0.9;
const CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

type Params = { w1: Array; b1: Array; w2: Array; b2: Array };

/** Pixels scaled to [0, 1], one row per image. */
function toFloat(images: Uint8Array, from: number, count: number): Float32Array {
  const out = new Float32Array(count * 784);
  for (let i = 0; i < out.length; i++) out[i] = images[from * 784 + i] / 255;
  return out;
}

function init(key: Array): Params {
  const [k1, k2] = random.split(key);
  // He-normal initialization for the ReLU layer, Glorot-style scale for the output layer.
  return {
    w1: random.normal(k1, [784, HIDDEN]).mul(Math.sqrt(2 / 784)),
    b1: np.zeros([HIDDEN]),
    w2: random.normal(k2, [HIDDEN, 10]).mul(Math.sqrt(1 / HIDDEN)),
    b2: np.zeros([10]),
  };
}

const logits = (p: Params, x: Array) => np.matmul(np.maximum(np.matmul(x, p.w1).add(p.b1), 0), p.w2).add(p.b2);

/** Mean softmax cross-entropy of integer labels. */
function loss(p: Params, x: Array, yOneHot: Array): Array {
  const z = logits(p, x);
  const logp = z.sub(np.logsumexp(z, { axis: 1, keepdims: true }));
  return np.mean(np.sum(logp.mul(yOneHot), { axis: 1 })).neg();
}

const oneHot = (labels: Uint8Array, from: number, count: number) => {
  const out = new Float32Array(count * 10);
  for (let i = 0; i < count; i++) out[i * 10 + labels[from + i]] = 1;
  return np.array(out, { shape: [count, 10] });
};

function accuracy(p: Params, images: Uint8Array, labels: Uint8Array, count: number): number {
  let correct = 0;
  for (let s = 0; s < count; s += 1000) {
    const n = Math.min(1000, count - s);
    const pred = tidy(() => np.argmax(logits(p, np.array(toFloat(images, s, n), { shape: [n, 784] })), { axis: 1 }).dataSync());
    for (let i = 0; i < n; i++) if (pred[i] === labels[s + i]) correct++;
  }
  return correct / count;
}

const { train, test } = loadFashionMnistRaw();
console.log(`Fashion-MNIST: ${train.count} training and ${test.count} test images; MLP 784-${HIDDEN}-10, batch ${BATCH}, ${EPOCHS} epoch(s), ${BACKEND} backend`);

let params = init(random.key(0));
let velocity = treeMap((w: Array) => np.zerosLike(w), params) as Params;
// One traced program per input signature; every batch reuses it.
const step = jit(valueAndGrad(loss));

for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  const t0 = performance.now();
  let total = 0;
  const steps = Math.floor(train.count / BATCH);
  for (let s = 0; s < steps; s++) {
    const from = s * BATCH;
    const next = tidy(() => {
      const x = np.array(toFloat(train.images, from, BATCH), { shape: [BATCH, 784] });
      const [l, g] = step(params, x, oneHot(train.labels, from, BATCH));
      const v = treeMap((vi: Array, gi: Array) => vi.mul(MOMENTUM).add(gi), velocity, g) as Params;
      const p = treeMap((w: Array, vi: Array) => w.sub(vi.mul(LR)), params, v) as Params;
      return { p, v, l: l.item() as number };
    });
    treeMap((a: Array) => a.dispose(), params);
    treeMap((a: Array) => a.dispose(), velocity);
    params = next.p;
    velocity = next.v;
    total += next.l;
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`epoch ${epoch}: loss ${(total / steps).toFixed(4)}, ${secs.toFixed(1)} s (${((secs * 1000) / steps).toFixed(1)} ms/step), live buffers ${memory().buffers}`);
}

const acc = accuracy(params, test.images, test.labels, test.count);
console.log(`test accuracy: ${acc.toFixed(4)}`);
const sample = tidy(() => np.argmax(logits(params, np.array(toFloat(test.images, 0, 5), { shape: [5, 784] })), { axis: 1 }).dataSync());
console.log(`first test images: predicted ${[...sample].map((c) => CLASSES[c]).join(", ")}; true ${[...test.labels.subarray(0, 5)].map((c) => CLASSES[c]).join(", ")}`);
