/**
 * @file The browser example's model and training loop, written against Kiln's public API only and
 * handed the Kiln module as an argument: the page passes the built package (dist/), and
 * tests/browser/browser-example.test.ts passes src/ on the reference backend to check that the
 * browser computed the same losses. No DOM here; the page draws what `onStep` reports.
 *
 * The problem is linear regression, y = X w + b, on a fixed synthetic dataset with a little
 * noise, so the loss settles near the noise variance (well above float32 rounding, so backends
 * can be compared step by step) and the least-squares solution is known in closed form.
 */
import { uniform } from "./random.js";

/** Sizes and hyperparameters; the test repeats the run with the same ones. */
export const CONFIG = Object.freeze({ samples: 64, features: 3, steps: 80, learningRate: 0.3, seed: 1234 });
/** The weights the data was generated from (the least-squares fit is near them, not equal). */
export const TRUE_W = Object.freeze([2, -3, 0.5]);
export const TRUE_B = 1;

/**
 * The dataset as plain Float32Arrays: x is samples x features in [-1, 1), y = x w + b + noise,
 * noise uniform in [-0.1, 0.1).
 *
 * @example const { x, y } = makeData(); // x.length === 64 * 3
 */
export function makeData(config = CONFIG) {
  const next = uniform(config.seed);
  const x = new Float32Array(config.samples * config.features);
  const y = new Float32Array(config.samples);
  for (let i = 0; i < config.samples; i++) {
    let target = TRUE_B;
    for (let j = 0; j < config.features; j++) {
      const v = next() * 2 - 1;
      x[i * config.features + j] = v;
      target += TRUE_W[j] * v;
    }
    y[i] = target + (next() * 2 - 1) * 0.1;
  }
  return { x, y };
}

/**
 * Trains on the current default backend with full-batch SGD: one jitted call per step computes
 * the loss and the updated parameters; the loss is read with `await loss.data()` (the only read
 * WebGPU allows). Resolves to the losses and the final parameters as plain numbers.
 *
 * @example const { losses } = await train(kiln, { onStep: (i, loss) => console.log(i, loss) });
 */
export async function train(kiln, { config = CONFIG, onStep } = {}) {
  const { np, jit, valueAndGrad, treeMap } = kiln;
  const { x: xs, y: ys } = makeData(config);
  const x = np.array(xs, { shape: [config.samples, config.features] });
  const y = np.array(ys, { shape: [config.samples] });
  let params = { w: np.zeros([config.features]), b: np.zeros([]) };

  const loss = (p, xb, yb) => np.mean(np.square(np.matmul(xb, p.w).add(p.b).sub(yb)));
  // Staged once on the first call; every later step reuses the compiled program. Donating the
  // parameters (argument 0) lets the step overwrite them and disposes the old ones.
  const step = jit(
    (p, xb, yb) => {
      const [l, g] = valueAndGrad(loss)(p, xb, yb);
      return [l, treeMap((w, gw) => w.sub(gw.mul(config.learningRate)), p, g)];
    },
    { donateArgnums: 0 },
  );

  const losses = [];
  for (let i = 0; i < config.steps; i++) {
    const [l, next] = step(params, x, y);
    params = next;
    const value = (await l.data())[0];
    l.dispose();
    losses.push(value);
    if (onStep) await onStep(i, value);
  }
  const finalParams = { w: Array.from(await params.w.data()), b: (await params.b.data())[0] };
  treeMap((a) => a.dispose(), params);
  x.dispose();
  y.dispose();
  return { losses, finalParams };
}
