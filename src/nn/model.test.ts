import { beforeEach, describe, expect, it } from "vitest";
import { np, random, memory, tidy, type Tracer } from "../index.js";
import { Input } from "./input-layer.js";
import { Layer } from "./layer.js";
import * as layers from "./layers/index.js";
import { Model } from "./model.js";
import { Sequential } from "./sequential.js";
import { clearSession } from "./variable.js";
import { setRandomSeed } from "./call-context.js";
import * as optimizers from "../optim/keras-optimizers.js";

beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});

describe("Layer basics", () => {
  it("names layers like Keras and builds weights with Keras shapes", () => {
    const d = new layers.Dense(3);
    expect(d.name).toBe("dense");
    expect(new layers.Dense(2).name).toBe("dense_1");
    const y = d.apply(np.ones([2, 4]));
    expect(y.shape).toEqual([2, 3]);
    expect(d.weights.map((w) => [w.name, w.shape])).toEqual([["kernel", [4, 3]], ["bias", [3]]]);
    expect(d.countParams()).toBe(15);
  });

  it("statelessCall uses the given params and never touches the variables", () => {
    const d = new layers.Dense(2, { useBias: false });
    d.apply(np.ones([1, 2]));
    const before = d.kernel.toArray();
    const [y] = d.statelessCall({ kernel: np.array([[1, 2], [3, 4]]) }, {}, np.array([[1, 1]]));
    expect(y.toArray()).toEqual([[4, 6]]);
    expect(d.kernel.toArray()).toEqual(before);
  });

  it("statelessCall reports missing params by path", () => {
    const d = new layers.Dense(2);
    d.apply(np.ones([1, 2]));
    expect(() => d.statelessCall({ kernel: np.ones([2, 2]) }, {}, np.ones([1, 2]))).toThrow(/missing params\['bias'\]/);
  });

  it("dropout is active only in training and is reproducible from the key", () => {
    const drop = new layers.Dropout(0.5);
    const x = np.ones([1000]);
    expect(drop.apply(x).toArray()).toEqual(x.toArray());
    const a = drop.apply(x, { training: true, key: random.key(1) });
    const b = drop.apply(x, { training: true, key: random.key(1) });
    expect(a.toArray()).toEqual(b.toArray());
    const kept = (a.toArray() as number[]).filter((v) => v !== 0);
    expect(kept.every((v) => v === 2)).toBe(true);
    expect(kept.length).toBeGreaterThan(400);
    expect(kept.length).toBeLessThan(600);
  });
});

describe("functional and sequential models", () => {
  it("infers symbolic shapes with a free batch dimension", () => {
    const inputs = Input({ shape: [28, 28, 1] });
    const flat = new layers.Flatten().apply(inputs);
    expect(flat.shape).toEqual([null, 784]);
    const out = new layers.Dense(10).apply(flat);
    const model = new Model({ inputs, outputs: out });
    expect(model.layers.map((l) => l.className)).toEqual(["InputLayer", "Flatten", "Dense"]);
    expect(model.apply(np.ones([3, 28, 28, 1])).shape).toEqual([3, 10]);
  });

  it("shares a layer between two branches (one set of weights)", () => {
    const a = Input({ shape: [4] });
    const b = Input({ shape: [4] });
    const shared = new layers.Dense(2);
    const model = new Model({ inputs: [a, b], outputs: [shared.apply(a), shared.apply(b)] });
    expect(model.weights.length).toBe(2);
    const [ya, yb] = model.apply([np.ones([1, 4]), np.ones([1, 4])]);
    expect(ya.toArray()).toEqual(yb.toArray());
  });

  it("Sequential builds eagerly from an Input and names weight paths by layer", () => {
    const model = new Sequential([Input({ shape: [3] }), new layers.Dense(4, { activation: "relu" }), new layers.Dense(1)]);
    expect(model.built).toBe(true);
    expect(model.variableEntries().map((e) => e.path)).toEqual(["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]);
    expect(model.countParams()).toBe(3 * 4 + 4 + 4 + 1);
  });

  it("Sequential without an input shape builds at the first call", () => {
    const model = new Sequential([new layers.Dense(4), new layers.Dense(2)]);
    expect(model.built).toBe(false);
    expect(model.apply(np.ones([5, 3])).shape).toEqual([5, 2]);
    expect(model.countParams()).toBe(3 * 4 + 4 + 4 * 2 + 2);
  });

  it("subclassed models track sublayers from properties and pass training down", () => {
    class Net extends Model {
      d1 = new layers.Dense(8, { activation: "relu" });
      drop = new layers.Dropout(0.5);
      d2 = new layers.Dense(1);
      override call(x: Tracer) {
        return this.d2.apply(this.drop.apply(this.d1.apply(x)));
      }
    }
    const net = new Net();
    const x = np.ones([4, 3]);
    const y1 = net.apply(x);
    expect(y1.shape).toEqual([4, 1]);
    expect(net.layers.map((l) => l.name)).toEqual(["dense", "dropout", "dense_1"]);
    expect(net.apply(x).toArray()).toEqual(y1.toArray());
    const t1 = net.apply(x, { training: true, key: random.key(3) });
    expect(t1.toArray()).not.toEqual(y1.toArray());
  });

  it("custom layers with addWeight", () => {
    class Scale extends Layer {
      w!: ReturnType<Layer["addWeight"]>;
      override build(shape: (number | null)[]) {
        this.w = this.addWeight("w", [shape.at(-1)!], { initializer: "ones" });
      }
      call(x: Tracer) {
        return x.mul(this.w.value);
      }
    }
    const s = new Scale();
    expect(s.apply(np.array([[1, 2]])).toArray()).toEqual([[1, 2]]);
    expect(s.name).toBe("scale");
  });
});

describe("training", () => {
  it("fits a linear regression with one jitted step and keeps memory flat", async () => {
    // Data and model made inside tidy: no garbage from earlier work skews the buffer count.
    const [x, y] = tidy(() => {
      const x = random.normal(random.key(0), [256, 3]);
      return [x, np.matmul(x, np.array([[1], [-2], [0.5]])).add(0.3)];
    });
    const model = tidy(() => new Sequential([Input({ shape: [3] }), new layers.Dense(1)]));
    model.compile({ optimizer: new optimizers.SGD(0.1), loss: "mse", metrics: ["mae"] });
    const h1 = await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, seed: 1 });
    const before = memory().buffers;
    const h = await model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0, seed: 1 });
    expect(memory().buffers).toBeLessThanOrEqual(before); // exact flatness: training-memory.test.ts
    expect(h.history.loss.length).toBe(20);
    expect(h.history.loss[19]).toBeLessThan(1e-3);
    expect(h1.history.mae[0]).toBeGreaterThan(h.history.mae[19]);
    const w = model.getWeights();
    const k = w[0].toArray() as number[][];
    expect(k[0][0]).toBeCloseTo(1, 1);
    expect(k[1][0]).toBeCloseTo(-2, 1);
    expect((w[1].toArray() as number[])[0]).toBeCloseTo(0.3, 1);
    const ev = model.evaluate(x, y, { verbose: 0 }) as number[];
    expect(ev[0]).toBeLessThan(1e-3);
    expect(model.predict(x).shape).toEqual([256, 1]);
  });

  it("classifies with sparse categorical crossentropy, validationSplit and accuracy", async () => {
    const n = 300;
    const x = random.normal(random.key(5), [n, 2]);
    const labels = tidy(() => np.greater(np.sum(x, { axis: 1 }), 0).astype("int32"));
    const model = new Sequential([Input({ shape: [2] }), new layers.Dense(16, { activation: "relu" }), new layers.Dense(2, { activation: "softmax" })]);
    model.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
    const h = await model.fit(x, labels, { epochs: 15, batchSize: 32, validationSplit: 0.2, verbose: 0, seed: 2 });
    expect(Object.keys(h.history).sort()).toEqual(["accuracy", "loss", "val_accuracy", "val_loss"]);
    expect(h.history.val_accuracy.at(-1)).toBeGreaterThan(0.9);
    const [, acc] = model.evaluate(x, labels) as number[]; // [loss, accuracy], Keras' order
    expect(acc).toBeGreaterThan(0.9);
  });
});
