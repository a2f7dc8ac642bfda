/**
 * End-to-end tests of functional models as Keras users build them: several inputs and outputs
 * with per-output losses, loss weights, metrics and their log names, targets given by output
 * name, shared layers, functional models nested in other models, subclassed models trained with
 * fit, getLayer, the summary of a nested model, and sample weights per output.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { grad, np, random, tidy, type Tracer } from "../index.js";
import * as nn from "./index.js";
import { roundTrip } from "./saving-testkit.js";

const { Sequential, Model, Input, layers, optimizers } = nn;

beforeEach(() => {
  nn.clearSession();
  nn.setRandomSeed(0);
});

const flat = (xs: Tracer[]): number[] => xs.flatMap((w) => Array.from(w.dataSync() as Float32Array));
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

/** Two inputs (a: [4], b: [3]), a shared trunk, and two named outputs: score (regression) and klass (3 classes). */
function twoHeads(): nn.Model {
  const a = Input({ shape: [4], name: "a" });
  const b = Input({ shape: [3], name: "b" });
  const h = new layers.Dense(8, { activation: "tanh", name: "trunk" }).apply(layers.concatenate([a, b]));
  const score = new layers.Dense(1, { name: "score" }).apply(h);
  const klass = new layers.Dense(3, { activation: "softmax", name: "klass" }).apply(h);
  return new Model({ inputs: [a, b], outputs: [score, klass], name: "two_heads" });
}

/** Data for twoHeads: xa [n, 4], xb [n, 3], a regression target and class labels. */
function twoHeadData(n: number): { xa: Tracer; xb: Tracer; yScore: Tracer; yClass: Tracer } {
  return tidy(() => {
    const xa = random.normal(random.key(1), [n, 4]);
    const xb = random.normal(random.key(2), [n, 3]);
    const s = np.sum(xa, { axis: 1, keepdims: true }).sub(np.sum(xb, { axis: 1, keepdims: true }));
    const yClass = np.digitize(np.reshape(s, [n]), np.array([-1, 1])).astype("int32");
    return { xa, xb, yScore: s.mul(0.5), yClass };
  });
}

const mse = (p: Tracer, y: Tracer) => np.mean(np.square(p.sub(y))).item() as number;
const sparseCe = (p: Tracer, labels: Tracer) =>
  -(np.mean(np.log(np.takeAlongAxis(p, labels.reshape([-1, 1]).astype("int32"), 1))).item() as number);

describe("multiple inputs and outputs", () => {
  it("per-output losses (array), loss weights, metrics and Keras' log names", async () => {
    const model = twoHeads();
    const { xa, xb, yScore, yClass } = twoHeadData(24);
    model.compile({
      optimizer: new optimizers.SGD(0.05),
      loss: ["mse", "sparse_categorical_crossentropy"],
      lossWeights: [2, 0.5],
      metrics: [["mae"], ["accuracy"]],
    });
    const ev = model.evaluate([xa, xb], [yScore, yClass], { returnDict: true }) as nn.Logs;
    // Keras 3's order: the loss, the compiled metrics, then each output's (weighted) loss.
    expect(Object.keys(ev)).toEqual(["loss", "score_mae", "klass_accuracy", "score_loss", "klass_loss"]);
    const [pScore, pClass] = model.predict([xa, xb]) as Tracer[];
    expect(ev.score_loss).toBeCloseTo(2 * mse(pScore, yScore), 5);
    expect(ev.klass_loss).toBeCloseTo(0.5 * sparseCe(pClass, yClass), 5);
    expect(ev.loss).toBeCloseTo(ev.score_loss + ev.klass_loss, 5);
    expect(ev.score_mae).toBeCloseTo(np.mean(np.abs(pScore.sub(yScore))).item() as number, 5);
    const acc = np.mean(np.equal(np.argmax(pClass, { axis: 1 }), yClass).astype("float32")).item() as number;
    expect(ev.klass_accuracy).toBeCloseTo(acc, 6);
    // The list form follows the same order.
    expect(model.evaluate([xa, xb], [yScore, yClass])).toEqual(Object.values(ev));
    const h = await model.fit([xa, xb], [yScore, yClass], { epochs: 8, batchSize: 8, verbose: 0, validationSplit: 0.25 });
    expect(Object.keys(h.history)).toEqual([
      "loss", "score_mae", "klass_accuracy", "score_loss", "klass_loss",
      "val_loss", "val_score_mae", "val_klass_accuracy", "val_score_loss", "val_klass_loss",
    ]);
    expect(h.history.loss[7]).toBeLessThan(h.history.loss[0]);
    expect(h.history.score_loss[7]).toBeLessThan(h.history.score_loss[0]);
  });

  it("losses, loss weights, metrics and targets by output name equal the array forms", () => {
    const { xa, xb, yScore, yClass } = twoHeadData(16);
    const m1 = twoHeads();
    const m2 = twoHeads();
    m2.setWeights(m1.getWeights());
    m1.compile({ optimizer: "sgd", loss: ["mse", "sparse_categorical_crossentropy"], lossWeights: [1, 3], metrics: [["mae"], ["accuracy"]] });
    m2.compile({
      optimizer: "sgd",
      loss: { klass: "sparse_categorical_crossentropy", score: "mse" },
      lossWeights: { klass: 3, score: 1 },
      metrics: { klass: ["accuracy"], score: ["mae"] },
    });
    const e1 = m1.evaluate([xa, xb], [yScore, yClass], { returnDict: true }) as nn.Logs;
    // Targets as a record whose keys do not sort in output order (klass < score).
    const e2 = m2.evaluate([xa, xb], { klass: yClass, score: yScore }, { returnDict: true }) as nn.Logs;
    expect(Object.keys(e2).sort()).toEqual(Object.keys(e1).sort());
    for (const k of Object.keys(e1)) expect(e2[k]).toBeCloseTo(e1[k], 5);
    const t1 = m1.trainOnBatch([xa, xb], [yScore, yClass], { returnDict: true }) as nn.Logs;
    const t2 = m2.trainOnBatch([xa, xb], { score: yScore, klass: yClass }, { returnDict: true }) as nn.Logs;
    for (const k of Object.keys(t1)) expect(t2[k]).toBeCloseTo(t1[k], 5);
    expect(maxDiff(flat(m1.getWeights()), flat(m2.getWeights()))).toBeLessThan(1e-6);
  });

  it("record outputs are named by their keys; bad names say which outputs exist", () => {
    const x = Input({ shape: [2] });
    const h = new layers.Dense(4).apply(x);
    const model = new Model({ inputs: x, outputs: { up: new layers.Dense(1).apply(h), down: new layers.Dense(1).apply(h) } });
    model.compile({ optimizer: "sgd", loss: { up: "mse", down: "mae" } });
    const xs = np.ones([4, 2]);
    const out = model.predict(xs) as Record<string, Tracer>;
    expect(Object.keys(out).sort()).toEqual(["down", "up"]);
    const ev = model.evaluate(xs, { up: np.zeros([4, 1]), down: np.ones([4, 1]) }, { returnDict: true }) as nn.Logs;
    expect(Object.keys(ev)).toEqual(["loss", "down_loss", "up_loss"]);
    expect(ev.up_loss).toBeCloseTo(mse(out.up, np.zeros([4, 1])), 5);
    expect(() => model.compile({ optimizer: "sgd", loss: { up: "mse", sideways: "mae" } })).toThrow(/names output 'sideways', but the outputs are down, up/);
    expect(() => model.evaluate(xs, { up: np.zeros([4, 1]) })).toThrow(/lacks 'down'/);
  });

  it("one loss for every output, and a wrong number of targets is an error", () => {
    const model = twoHeads();
    const { xa, xb, yScore, yClass } = twoHeadData(8);
    model.compile({ optimizer: "sgd", loss: "mse" });
    expect(() => model.compile({ optimizer: "sgd", loss: ["mse"] })).toThrow(/loss has 1 entries but the model has 2 output\(s\) \(score, klass\)/);
    expect(() => model.evaluate([xa, xb], [yScore])).toThrow(/2 output\(s\) but 1 target array\(s\)/);
    const oneHot = nn.utils.toCategorical(yClass, 3);
    const ev = model.evaluate([xa, xb], [yScore, oneHot], { returnDict: true }) as nn.Logs;
    expect(ev.loss).toBeCloseTo(ev.score_loss + ev.klass_loss, 5);
  });
});

describe("shared layers", () => {
  it("a layer used twice has one set of weights that gets the gradient of both uses", async () => {
    const a = Input({ shape: [3] });
    const b = Input({ shape: [3] });
    const shared = new layers.Dense(1, { useBias: false, name: "shared" });
    const model = new Model({ inputs: [a, b], outputs: layers.add([shared.apply(a), shared.apply(b)]) });
    expect(model.weights.length).toBe(1);
    const xa = np.array([[1, 2, 3], [0, 1, 0]]);
    const xb = np.array([[1, 0, 0], [2, 2, 2]]);
    const [params, state] = model.paramsAndState();
    const g = grad((p: Record<string, Tracer>) => np.sum(model.statelessCall(p, state, [xa, xb])[0]))(params) as Record<string, Tracer>;
    expect(Object.keys(g)).toEqual(["shared/kernel"]);
    expect(flat([g["shared/kernel"]])).toEqual([4, 5, 5]); // column sums of xa + xb
    model.compile({ optimizer: new optimizers.SGD(0.01), loss: "mse" });
    const h = await model.fit([xa, xb], np.array([[1], [-1]]), { epochs: 20, batchSize: 2, verbose: 0 });
    expect(h.history.loss[19]).toBeLessThan(h.history.loss[0]);
    const [ya, yb] = [shared.apply(xa), shared.apply(xb)];
    expect(maxDiff(flat([model.predict([xa, xb]) as Tracer]), flat([ya.add(yb)]))).toBeLessThan(1e-6);
  });
});

describe("nested models", () => {
  const inner = () => {
    const x = Input({ shape: [4] });
    const h = new layers.Dense(5, { activation: "relu", name: "inner_hidden" }).apply(x);
    return new Model({ inputs: x, outputs: new layers.Dense(2, { name: "inner_out" }).apply(h), name: "encoder" });
  };
  const data = () => tidy(() => [random.normal(random.key(3), [32, 4]), random.normal(random.key(4), [32, 1])]);

  it("a functional model used as a layer of another functional model trains its weights", async () => {
    const enc = inner();
    const x = Input({ shape: [4] });
    const y = new layers.Dense(1, { name: "head" }).apply(enc.apply(x));
    const model = new Model({ inputs: x, outputs: y, name: "outer" });
    expect(model.layers.map((l) => l.name)).toEqual([model.layers[0].name, "encoder", "head"]);
    expect(model.getLayer("encoder")).toBe(enc);
    expect(model.variableEntries().map((e) => e.path)).toEqual([
      "encoder/inner_hidden/kernel", "encoder/inner_hidden/bias", "encoder/inner_out/kernel", "encoder/inner_out/bias", "head/kernel", "head/bias",
    ]);
    const [xs, ys] = data();
    const manual = model.getLayer("head").apply(enc.predict(xs) as Tracer);
    expect(maxDiff(flat([model.predict(xs) as Tracer]), flat([manual]))).toBeLessThan(1e-6);
    const before = flat(enc.getWeights());
    model.compile({ optimizer: new optimizers.SGD(0.05), loss: "mse" });
    const h = await model.fit(xs, ys, { epochs: 5, batchSize: 8, verbose: 0 });
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    expect(maxDiff(flat(enc.getWeights()), before)).toBeGreaterThan(1e-4); // the nested model's weights moved
    roundTrip(model, xs);
  });

  it("a functional model inside a Sequential, and the summary shows it as one row", async () => {
    const enc = inner();
    const model = new Sequential([Input({ shape: [4] }), enc, new layers.Dense(1, { name: "head" })], { name: "seq" });
    expect(model.countParams()).toBe(4 * 5 + 5 + 5 * 2 + 2 + 2 + 1);
    const [xs, ys] = data();
    model.compile({ optimizer: new optimizers.SGD(0.05), loss: "mse" });
    const h = await model.fit(xs, ys, { epochs: 5, batchSize: 8, verbose: 0 });
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
    const lines: string[] = [];
    model.summary({ printFn: (l) => lines.push(l) });
    const text = lines.join("\n");
    expect(text).toContain('Model: "seq"');
    expect(text).toMatch(/│ encoder \(Functional\) +│ \(None, 2\) +│ +37 │/);
    expect(text).toMatch(/│ head \(Dense\) +│ \(None, 1\) +│ +3 │/);
    expect(text).toContain(" Total params: 40 (160.00 B)");
    roundTrip(model, xs);
  });

  it("a Sequential nested in a functional model, and a model nested two levels deep", () => {
    const enc = inner();
    const block = new Sequential([enc, new layers.Dense(3, { name: "block_out" })], { name: "block" });
    const x = Input({ shape: [4] });
    const model = new Model({ inputs: x, outputs: new layers.Dense(1, { name: "head" }).apply(block.apply(x)) });
    const [xs] = data();
    const manual = model.getLayer("head").apply(block.getLayer("block_out").apply(enc.apply(xs)));
    expect(maxDiff(flat([model.predict(xs) as Tracer]), flat([manual]))).toBeLessThan(1e-6);
    expect(model.variableEntries().map((e) => e.path)[0]).toBe("block/encoder/inner_hidden/kernel");
    const lines: string[] = [];
    model.summary({ printFn: (l) => lines.push(l) });
    expect(lines.join("\n")).toMatch(/│ block \(Sequential\) +│ \(None, 3\) +│ +46 │/);
  });
});

describe("inputs by name and frozen submodels", () => {
  it("inputs given as a record are matched by name, whatever the order of the keys", async () => {
    const a = Input({ shape: [2], name: "a" });
    const b = Input({ shape: [3], name: "b" });
    const y = new layers.Dense(1, { name: "out" }).apply(layers.concatenate([a, b]));
    const model = new Model({ inputs: { a, b }, outputs: y });
    const xa = np.array([[1, 2], [3, 4]]);
    const xb = np.array([[0, 1, 0], [1, 0, 1]]);
    const p1 = model.predict({ b: xb, a: xa }) as Tracer;
    const p2 = model.predict({ a: xa, b: xb }) as Tracer;
    expect(flat([p1])).toEqual(flat([p2]));
    const manual = model.getLayer("out").apply(np.concatenate([xa, xb], 1));
    expect(maxDiff(flat([p1]), flat([manual]))).toBeLessThan(1e-6);
    model.compile({ optimizer: new optimizers.SGD(0.01), loss: "mse" });
    const h = await model.fit({ b: xb, a: xa }, np.array([[1], [0]]), { epochs: 3, verbose: 0 });
    expect(h.history.loss.length).toBe(3);
  });

  it("a nested model frozen before compile keeps its weights; the rest trains", async () => {
    const x = Input({ shape: [4] });
    const enc = new Model({ inputs: x, outputs: new layers.Dense(3, { name: "enc_dense" }).apply(x), name: "frozen_enc" });
    const x2 = Input({ shape: [4] });
    const model = new Model({ inputs: x2, outputs: new layers.Dense(1, { name: "head" }).apply(enc.apply(x2)) });
    enc.trainable = false;
    expect(model.trainableWeights.length).toBe(2);
    expect(model.nonTrainableWeights.length).toBe(2);
    const before = flat(enc.getWeights());
    const headBefore = flat(model.getLayer("head").getWeights());
    model.compile({ optimizer: new optimizers.SGD(0.1), loss: "mse" });
    const xs = tidy(() => random.normal(random.key(9), [16, 4]));
    await model.fit(xs, np.ones([16, 1]), { epochs: 2, batchSize: 4, verbose: 0 });
    expect(flat(enc.getWeights())).toEqual(before);
    expect(maxDiff(flat(model.getLayer("head").getWeights()), headBefore)).toBeGreaterThan(1e-3);
  });
});

describe("subclassed models and getLayer", () => {
  it("a subclassed model trains with fit, evaluates and predicts", async () => {
    class TwoLayer extends Model {
      hidden = new layers.Dense(16, { activation: "relu" });
      drop = new layers.Dropout(0.1);
      out = new layers.Dense(2);
      override call(x: Tracer) {
        return this.out.apply(this.drop.apply(this.hidden.apply(x)));
      }
    }
    const net = new TwoLayer({ name: "two_layer" });
    const x = tidy(() => random.normal(random.key(5), [64, 2]));
    const labels = tidy(() => np.greater(np.prod(x, { axis: 1 }), 0).astype("int32"));
    net.compile({ optimizer: new optimizers.Adam(0.02), loss: new nn.losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ["accuracy"] });
    const h = await net.fit(x, labels, { epochs: 30, batchSize: 16, verbose: 0, seed: 1 });
    expect(Object.keys(h.history)).toEqual(["loss", "accuracy"]);
    expect(h.history.loss[29]).toBeLessThan(h.history.loss[0] * 0.7);
    expect(h.history.accuracy[29]).toBeGreaterThan(0.75);
    expect((net.predict(x) as Tracer).shape).toEqual([64, 2]);
    expect(net.getLayer(net.out.name)).toBe(net.out);
    expect(net.countParams()).toBe(2 * 16 + 16 + 16 * 2 + 2);
  });

  it("getLayer finds layers by name and lists the names when one is missing", () => {
    const model = twoHeads();
    expect(model.getLayer("trunk")).toBeInstanceOf(layers.Dense);
    expect(model.getLayer("a")).toBeInstanceOf(layers.InputLayer);
    expect(() => model.getLayer("nope")).toThrow(/no layer named 'nope'. Layers: a, b, concatenate, trunk, score, klass/);
  });
});

/** Sample weights as evaluate takes them. */
type SW = NonNullable<nn.EvaluateOptions["sampleWeight"]>;

describe("per-output sample weights", () => {
  const compiled = () => {
    const model = twoHeads();
    model.compile({ optimizer: new optimizers.SGD(0.05), loss: ["mse", "sparse_categorical_crossentropy"], metrics: [["mae"], ["accuracy"]] });
    return model;
  };

  it("an array (output order) or a record (by name) weighs each output's loss and metrics; one array weighs all", () => {
    const model = compiled();
    const { xa, xb, yScore, yClass } = twoHeadData(12);
    const w = np.array([2, 0, 1, 1, 0, 3, 1, 1, 2, 0, 1, 1]);
    const ev = (sampleWeight?: SW) =>
      model.evaluate([xa, xb], [yScore, yClass], { returnDict: true, verbose: 0, sampleWeight }) as nn.Logs;
    const plain = ev();
    const all = ev(w);
    const first = ev([w, np.ones([12])]);
    // Keras: sum(w * loss) / n per output.
    const [pScore] = model.predict([xa, xb], { verbose: 0 }) as Tracer[];
    const wmse = (np.sum(np.square(pScore.sub(yScore)).reshape([12]).mul(w)).item() as number) / 12;
    expect(first.score_loss).toBeCloseTo(wmse, 5);
    expect(first.klass_loss).toBeCloseTo(plain.klass_loss, 6);
    expect(first.klass_accuracy).toBeCloseTo(plain.klass_accuracy, 6);
    expect(first.score_mae).toBeCloseTo(all.score_mae, 6);
    expect(first.score_mae).not.toBeCloseTo(plain.score_mae, 3);
    expect(all.klass_loss).not.toBeCloseTo(plain.klass_loss, 3);
    // A record by output name; a missing output is unweighted.
    expect(ev({ score: w })).toEqual(first);
    expect(ev({ klass: w, score: w })).toEqual(all);
    expect(ev([w, w])).toEqual(all);
  });

  it("fit: a zero weight on one output trains like a zero loss weight on it", async () => {
    const { xa, xb, yScore, yClass } = twoHeadData(16);
    const a = twoHeads();
    const b = twoHeads();
    b.setWeights(a.getWeights());
    a.compile({ optimizer: new optimizers.SGD(0.1), loss: ["mse", "sparse_categorical_crossentropy"] });
    b.compile({ optimizer: new optimizers.SGD(0.1), loss: ["mse", "sparse_categorical_crossentropy"], lossWeights: [1, 0] });
    await a.fit([xa, xb], [yScore, yClass], { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, sampleWeight: { klass: np.zeros([16]) } });
    await b.fit([xa, xb], [yScore, yClass], { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    expect(maxDiff(flat(a.getWeights()), flat(b.getWeights()))).toBeLessThan(1e-6);
  });

  it("wrong counts, names, lengths or kinds say what to fix", async () => {
    const model = compiled();
    const { xa, xb, yScore, yClass } = twoHeadData(8);
    const ev = (sampleWeight: unknown) => () => model.evaluate([xa, xb], [yScore, yClass], { verbose: 0, sampleWeight: sampleWeight as SW });
    expect(ev([np.ones([8])])).toThrow(/evaluate: sampleWeight has 1 array\(s\) but the model has 2 output\(s\) \(score, klass\)/);
    expect(ev({ nope: np.ones([8]) })).toThrow(/sampleWeight names unknown output\(s\) 'nope'; the outputs are score, klass/);
    expect(ev([np.ones([8]), np.ones([5])])).toThrow(/same number of samples.*sampleWeight has 5/);
    expect(ev([np.ones([8]), [1, 2]])).toThrow(/sampleWeight for output 'klass' must be an Array/);
    await expect(model.fit([xa, xb], [yScore, yClass], { verbose: 0, sampleWeight: [np.ones([8])] })).rejects.toThrow(/fit: sampleWeight has 1 array/);
  });
});
