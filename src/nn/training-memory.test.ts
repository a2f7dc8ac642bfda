/**
 * 10,000 training steps keep the buffer count flat. In a file of its own, so that no garbage from
 * other tests (freed later by the garbage collector) moves the count.
 */
import { expect, it } from "vitest";
import { memory, np, random, tidy } from "../index.js";
import { Input } from "./input-layer.js";
import * as layers from "./layers/index.js";
import { Sequential } from "./sequential.js";
import { setRandomSeed } from "./call-context.js";

it("10,000 training steps of a small model keep memory() flat", async () => {
  setRandomSeed(0);
  const [x, y] = tidy(() => {
    const x = random.normal(random.key(0), [64, 4]);
    return [x, np.greater(np.sum(x, { axis: 1 }), 0).astype("int32")];
  });
  const model = tidy(
    () => new Sequential([Input({ shape: [4] }), new layers.Dense(8, { activation: "relu" }), new layers.Dropout(0.1), new layers.Dense(2, { activation: "softmax" })]),
  );
  model.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
  // 8 steps per epoch; the first epoch compiles the step and creates the optimizer state.
  await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, seed: 1 });
  const before = memory();
  const h = await model.fit(x, y, { epochs: 1250, batchSize: 8, verbose: 0, seed: 2 });
  expect(memory()).toEqual(before);
  expect(h.history.loss.length).toBe(1250);
  expect(h.history.accuracy.at(-1)).toBeGreaterThan(0.9);
}, 300_000);
