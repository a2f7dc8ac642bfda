/**
 * @file The Keras example's data, model and `fit` call, written against `kiln/nn` only and handed
 * the modules as arguments: keras.js passes the built package (dist/) in the browser, and
 * tests/browser/browser-example.test.ts passes src/ on the reference backend to check that the
 * browser's history matches. No DOM here; keras.js draws what `onEpoch` reports.
 *
 * The problem: 3 classes of 2-D points around 3 centres, classified by a small MLP
 * (Input -> Dense(16, relu) -> Dense(3, softmax)) trained with Adam on minibatches. Weights and
 * shuffling are seeded, so every backend starts from the same model and sees the same batches.
 */
import { uniform } from "./random.js";

/** Sizes and hyperparameters; the test repeats the run with the same ones. */
export const KERAS_CONFIG = Object.freeze({ samples: 96, classes: 3, hidden: 16, epochs: 5, batchSize: 16, learningRate: 0.05, seed: 7 });
/** The class centres; points lie within 0.7 of theirs along each axis. */
export const CENTRES = Object.freeze([[-1, -1], [1, -1], [0, 1.2]]);

/**
 * The dataset as plain typed arrays: x is samples x 2, y the class (0..2) of each point;
 * classes take turns so every batch holds all three.
 *
 * @example const { x, y } = makeClusters(); // x.length === 96 * 2, y[0] === 0
 */
export function makeClusters(config = KERAS_CONFIG) {
  const next = uniform(config.seed);
  const x = new Float32Array(config.samples * 2);
  const y = new Int32Array(config.samples);
  for (let i = 0; i < config.samples; i++) {
    const c = i % config.classes;
    y[i] = c;
    x[2 * i] = CENTRES[c][0] + (next() * 2 - 1) * 0.7;
    x[2 * i + 1] = CENTRES[c][1] + (next() * 2 - 1) * 0.7;
  }
  return { x, y };
}

/** Glorot-uniform with a fixed seed, so the model starts the same on every backend. */
const seeded = (seed) => ({ className: "GlorotUniform", config: { seed } });

/**
 * Builds, compiles and fits the model on the current default backend; resolves to the
 * history (`loss` and `accuracy` per epoch) and the final `[loss, accuracy]` from
 * `evaluateAsync` (the read that works on webgpu too).
 *
 * @example const { history } = await trainKeras(kiln, nn); // history.loss.length === 5
 */
export async function trainKeras(kiln, nn, { config = KERAS_CONFIG, onEpoch } = {}) {
  const { Sequential, Input, layers, optimizers, callbacks } = nn;
  const { x: xs, y: ys } = makeClusters(config);
  const x = kiln.np.array(xs, { shape: [config.samples, 2] });
  const y = kiln.np.array(ys, { shape: [config.samples], dtype: "int32" });

  const model = new Sequential([
    Input({ shape: [2] }),
    new layers.Dense(config.hidden, { activation: "relu", kernelInitializer: seeded(1) }),
    new layers.Dense(config.classes, { activation: "softmax", kernelInitializer: seeded(2) }),
  ]);
  model.compile({ optimizer: new optimizers.Adam(config.learningRate), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
  const live = onEpoch ? [new callbacks.LambdaCallback({ onEpochEnd: (epoch, logs) => onEpoch(epoch, logs) })] : [];
  const history = await model.fit(x, y, {
    epochs: config.epochs, batchSize: config.batchSize, seed: config.seed, verbose: 0, callbacks: live,
  });
  const [loss, accuracy] = await model.evaluateAsync(x, y, { verbose: 0 });
  x.dispose();
  y.dispose();
  return { history: history.history, final: { loss, accuracy } };
}
