/**
 * End-to-end tests of the options of `fit`, `evaluate`, `predict` and the `*OnBatch` methods, as
 * a Keras user relies on them: sample and class weights, validation data, shuffling, initial
 * epoch, validation frequency (every N epochs or a list), partial last batches without
 * retracing, the verbose output of fit, evaluate and predict, their callbacks' hooks, stopping
 * from a callback, regularization and constraints, and the errors for misuse.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { np, random, tidy, type Tracer } from "../index.js";
import * as nn from "./index.js";

const { Sequential, Input, layers, optimizers, callbacks, regularizers, constraints } = nn;

beforeEach(() => {
  nn.clearSession();
  nn.setRandomSeed(0);
});

/** Regression data: y = x @ [1, -2, 0.5] + 0.3, n samples. */
function regression(n: number, seed = 0): [Tracer, Tracer] {
  return tidy(() => {
    const x = random.normal(random.key(seed), [n, 3]);
    return [x, np.matmul(x, np.array([[1], [-2], [0.5]])).add(0.3)];
  });
}

/** A small Dense model with fixed initial weights (so two models can start from the same point). */
function dense(opts: { units?: number; act?: string; seed?: number } = {}): nn.Sequential {
  const units = opts.units ?? 1;
  const model = new Sequential([Input({ shape: [3] }), new layers.Dense(4, { activation: "tanh" }), new layers.Dense(units, { activation: opts.act })]);
  const key = random.key(opts.seed ?? 7);
  model.setWeights(model.weights.map((w, i) => random.normal(random.foldIn(key, i), w.shape).mul(0.5)));
  return model;
}

const flat = (xs: Tracer[]): number[] => xs.flatMap((w) => Array.from(w.dataSync() as Float32Array));
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

/** A ProgbarLogger writing into an array. */
function capture(interactive = false): { lines: string[]; logger: nn.callbacks.ProgbarLogger } {
  const lines: string[] = [];
  return { lines, logger: new callbacks.ProgbarLogger({ interactive, write: (s) => void lines.push(s) }) };
}

describe("sample and class weights", () => {
  it("classWeight {1: 0} trains exactly like sampleWeight 0 on the rows of class 1", async () => {
    const [x] = regression(24);
    const labels = tidy(() => np.greater(np.sum(x, { axis: 1 }), 0).astype("int32"));
    const zeroOnes = tidy(() => np.equal(labels, 0).astype("float32"));
    const a = dense({ units: 2 });
    const b = dense({ units: 2 });
    for (const m of [a, b]) m.compile({ optimizer: new optimizers.SGD(0.5), loss: new nn.losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    const ha = await a.fit(x, labels, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, classWeight: { 0: 1, 1: 0 } });
    const hb = await b.fit(x, labels, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, sampleWeight: zeroOnes });
    expect(maxDiff(flat(a.getWeights()), flat(b.getWeights()))).toBeLessThan(1e-6);
    expect(ha.history.loss[1]).toBeCloseTo(hb.history.loss[1], 6);
    // And it does change training compared with no weights.
    const c = dense({ units: 2 });
    c.compile({ optimizer: new optimizers.SGD(0.5), loss: new nn.losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    await c.fit(x, labels, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    expect(maxDiff(flat(a.getWeights()), flat(c.getWeights()))).toBeGreaterThan(1e-3);
  });

  it("sampleWeight 2 everywhere is SGD with twice the learning rate, and doubles the reported loss", async () => {
    const [x, y] = regression(16);
    const a = dense();
    const b = dense();
    a.compile({ optimizer: new optimizers.SGD(0.05), loss: "mse" });
    b.compile({ optimizer: new optimizers.SGD(0.1), loss: "mse" });
    const ha = await a.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0, sampleWeight: np.full([16], 2) });
    const hb = await b.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
    expect(maxDiff(flat(a.getWeights()), flat(b.getWeights()))).toBeLessThan(1e-6);
    expect(ha.history.loss[0]).toBeCloseTo(2 * hb.history.loss[0], 5);
  });
});

describe("validation", () => {
  it("validationData [x, y] and [x, y, sampleWeight] report what evaluate reports", async () => {
    const [x, y] = regression(20);
    const [vx, vy] = regression(10, 3);
    const vw = np.array([1, 0, 2, 1, 0, 1, 3, 1, 1, 0]);
    const model = dense();
    model.compile({ optimizer: new optimizers.SGD(0.05), loss: "mse", metrics: ["mae"] });
    const h2 = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, validationData: [vx, vy] });
    expect(Object.keys(h2.history)).toEqual(["loss", "mae", "val_loss", "val_mae"]);
    const ev = model.evaluate(vx, vy, { returnDict: true }) as nn.Logs;
    expect(h2.history.val_loss[1]).toBeCloseTo(ev.loss, 5);
    expect(h2.history.val_mae[1]).toBeCloseTo(ev.mae, 5);
    const h3 = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, validationData: [vx, vy, vw] });
    const evw = model.evaluate(vx, vy, { sampleWeight: vw, returnDict: true }) as nn.Logs;
    expect(h3.history.val_loss[0]).toBeCloseTo(evw.loss, 5);
    expect(h3.history.val_loss[0]).not.toBeCloseTo(ev.loss, 2);
  });

  it("validationFreq runs validation every N epochs only", async () => {
    const [x, y] = regression(12);
    const model = dense();
    model.compile({ optimizer: new optimizers.SGD(0.05), loss: "mse" });
    const seen: number[] = [];
    const cb = new callbacks.LambdaCallback({ onEpochEnd: (e, logs) => void (logs && "val_loss" in logs && seen.push(e)) });
    const h = await model.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, validationSplit: 0.25, validationFreq: 2, callbacks: [cb] });
    expect(seen).toEqual([1, 3]);
    expect(h.history.loss.length).toBe(5);
    expect(h.history.val_loss.length).toBe(2);
  });

  it("validationFreq as a list validates after those (1-based) epochs only", async () => {
    const [x, y] = regression(12);
    const model = dense();
    model.compile({ optimizer: new optimizers.SGD(0.05), loss: "mse" });
    const seen: number[] = [];
    const cb = new callbacks.LambdaCallback({ onEpochEnd: (e, logs) => void (logs && "val_loss" in logs && seen.push(e)) });
    const h = await model.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, validationSplit: 0.25, validationFreq: [1, 4, 9], callbacks: [cb] });
    expect(seen).toEqual([0, 3]);
    expect(h.history.val_loss.length).toBe(2);
    await expect(model.fit(x, y, { verbose: 0, validationFreq: [0, 2] })).rejects.toThrow(/validationFreq must be a positive integer or a list of 1-based epochs, received \[0,2\]/);
    await expect(model.fit(x, y, { verbose: 0, validationFreq: 0 })).rejects.toThrow(/validationFreq must be/);
  });
});

describe("batches and epochs", () => {
  it("shuffle: false gives the same batches whatever the seed; shuffle: true depends on it", async () => {
    const [x, y] = regression(20);
    const run = async (shuffle: boolean, seed: number) => {
      const m = dense();
      m.compile({ optimizer: new optimizers.SGD(0.1), loss: "mse" });
      const h = await m.fit(x, y, { epochs: 2, batchSize: 6, shuffle, seed, verbose: 0 });
      return [...flat(m.getWeights()), ...h.history.loss];
    };
    expect(await run(false, 1)).toEqual(await run(false, 2));
    expect(maxDiff(await run(true, 1), await run(true, 2))).toBeGreaterThan(1e-4);
    expect(await run(true, 5)).toEqual(await run(true, 5));
  });

  it("initialEpoch starts History.epoch (and the progress bar's count) there", async () => {
    const [x, y] = regression(8);
    const model = dense();
    model.compile({ optimizer: new optimizers.SGD(0.05), loss: "mse" });
    const { lines, logger } = capture();
    const h = await model.fit(x, y, { epochs: 5, initialEpoch: 3, batchSize: 8, verbose: 2, callbacks: [logger] });
    expect(h.epoch).toEqual([3, 4]);
    expect(h.history.loss.length).toBe(2);
    expect(lines.filter((l) => l.startsWith("Epoch"))).toEqual(["Epoch 4/5\n", "Epoch 5/5\n"]);
  });

  it("the last partial batch is trained on, and the step is traced at most twice over all epochs", async () => {
    let calls = 0;
    class Counted extends layers.Layer {
      call(x: Tracer) {
        calls++;
        return x;
      }
    }
    const model = new Sequential([Input({ shape: [3] }), new Counted(), new layers.Dense(1)]);
    model.compile({ optimizer: new optimizers.SGD(0), loss: "mse" });
    const [x, y] = regression(10);
    const seen: number[] = [];
    const cb = new callbacks.LambdaCallback({ onTrainBatchEnd: (b) => void seen.push(b) });
    calls = 0;
    const h = await model.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0, callbacks: [cb] });
    expect(seen).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(2);
    // With lr 0 the epoch loss is the mean over all 10 samples: batches count by their size (Keras).
    const full = model.evaluate(x, y, { batchSize: 10 }) as number;
    expect(h.history.loss[2]).toBeCloseTo(full, 5);
    expect(model.evaluate(x, y, { batchSize: 4 }) as number).toBeCloseTo(full, 5);
    const before = calls;
    await model.fit(x, y, { epochs: 2, batchSize: 4, shuffle: true, verbose: 0 });
    expect(calls).toBe(before); // a second fit reuses both compiled steps
  });

  it("predict with a batchSize that does not divide n equals one big batch", () => {
    const [x] = regression(11);
    const model = dense({ units: 2 });
    const big = model.predict(x, { batchSize: 11 }) as Tracer;
    const small = model.predict(x, { batchSize: 4 }) as Tracer;
    expect(small.shape).toEqual([11, 2]);
    expect(maxDiff(flat([small]), flat([big]))).toBeLessThan(1e-6);
    expect(maxDiff(flat([model.predictOnBatch(x)]), flat([big]))).toBeLessThan(1e-6);
  });
});

describe("evaluate and the *OnBatch methods", () => {
  it("evaluate returns [loss, ...metrics] in compile order, or a record with returnDict", () => {
    const [x, y] = regression(12);
    const model = dense();
    model.compile({ optimizer: "sgd", loss: "mse", metrics: ["mae", "mse"] });
    const list = model.evaluate(x, y) as number[];
    const dict = model.evaluate(x, y, { returnDict: true }) as nn.Logs;
    expect(Object.keys(dict)).toEqual(["loss", "mae", "mse"]);
    expect(list).toEqual([dict.loss, dict.mae, dict.mse]);
    expect(list[0]).toBeCloseTo(list[2], 6); // the loss is the mse
    const p = model.predict(x) as Tracer;
    const mae = np.mean(np.abs(p.sub(y))).item() as number;
    expect(list[1]).toBeCloseTo(mae, 5);
    model.compile({ optimizer: "sgd", loss: "mse" });
    expect(typeof model.evaluate(x, y)).toBe("number");
  });

  it("trainOnBatch reports the loss before its update, testOnBatch after it, predictOnBatch the outputs", () => {
    const [x, y] = regression(8);
    const model = dense();
    model.compile({ optimizer: new optimizers.SGD(0.05), loss: "mse", metrics: ["mae"] });
    const before = model.testOnBatch(x, y) as number[];
    const trained = model.trainOnBatch(x, y) as number[];
    expect(trained[0]).toBeCloseTo(before[0], 5);
    expect(trained[1]).toBeCloseTo(before[1], 5);
    const after = model.testOnBatch(x, y, { returnDict: true }) as nn.Logs;
    expect(after.loss).toBeLessThan(before[0]);
    const p = model.predictOnBatch(x) as Tracer;
    expect(after.loss).toBeCloseTo(np.mean(np.square(p.sub(y))).item() as number, 5);
  });
});

describe("callbacks, regularization and constraints", () => {
  it("a LambdaCallback that sets model.stopTraining ends fit after that batch", async () => {
    const [x, y] = regression(16);
    const model = dense();
    model.compile({ optimizer: new optimizers.SGD(0.05), loss: "mse" });
    const batches: string[] = [];
    const cb = new callbacks.LambdaCallback({
      onTrainBatchEnd: (b) => {
        batches.push(`${b}`);
        if (b === 1) model.stopTraining = true;
      },
    });
    const h = await model.fit(x, y, { epochs: 4, batchSize: 4, verbose: 0, callbacks: [cb] });
    expect(batches).toEqual(["0", "1"]);
    expect(h.epoch).toEqual([0]);
    const byEpoch = new callbacks.LambdaCallback({ onEpochEnd: (e) => void (e === 1 && (model.stopTraining = true)) });
    const h2 = await model.fit(x, y, { epochs: 4, batchSize: 4, verbose: 0, callbacks: [byEpoch] });
    expect(h2.epoch).toEqual([0, 1]);
  });

  it("an L2 kernel regularizer raises the reported loss by exactly the penalty (lr 0)", async () => {
    const [x, y] = regression(8);
    const model = new Sequential([Input({ shape: [3] }), new layers.Dense(2, { kernelRegularizer: new regularizers.L2(0.1) }), new layers.Dense(1)]);
    model.compile({ optimizer: new optimizers.SGD(0), loss: "mse" });
    const h = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const p = model.predict(x) as Tracer;
    const mse = np.mean(np.square(p.sub(y))).item() as number;
    const k = model.layers[0].weights[0].value;
    const penalty = 0.1 * (np.sum(np.square(k)).item() as number);
    expect(penalty).toBeGreaterThan(0.01);
    expect(h.history.loss[0]).toBeCloseTo(mse + penalty, 5);
    expect(model.evaluate(x, y) as number).toBeCloseTo(mse + penalty, 5);
  });

  it("constraints apply after each update: a NonNeg kernel stays >= 0 when the target wants negatives", async () => {
    const [x, y] = regression(32);
    const model = new Sequential([Input({ shape: [3] }), new layers.Dense(1, { kernelConstraint: new constraints.NonNeg() })]);
    model.compile({ optimizer: new optimizers.SGD(0.1), loss: "mse" });
    const mins: number[] = [];
    const cb = new callbacks.LambdaCallback({ onEpochEnd: () => void mins.push(Math.min(...flat([model.layers[0].weights[0].value]))) });
    await model.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0, callbacks: [cb] });
    expect(mins.every((m) => m >= 0)).toBe(true);
    const k = flat([model.layers[0].weights[0].value]);
    expect(Math.abs(k[1])).toBe(0); // the true weight is -2: the constraint clips it to 0 (NonNeg may leave -0, as Keras does)
    expect(k[0]).toBeGreaterThan(0.5);
  });
});

describe("verbose output", () => {
  let writes: string[];
  afterEach(() => vi.restoreAllMocks());

  const spyStdout = () => {
    writes = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
      writes.push(String(s));
      return true;
    });
  };

  it("verbose 0 prints nothing; verbose 2 prints one Keras 3 line per epoch", async () => {
    const [x, y] = regression(10);
    const model = dense();
    model.compile({ optimizer: new optimizers.SGD(0.05), loss: "mse", metrics: ["mae"] });
    spyStdout();
    await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    expect(writes).toEqual([]);
    const { lines, logger } = capture(true);
    await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 2, callbacks: [logger], validationData: [x, y] });
    expect(writes).toEqual([]); // the ProgbarLogger given replaces the default one
    // Keras 3's verbose-2 line: `N/N - <elapsed>s - <time per step> - loss: x - ...`.
    const line = /^3\/3 - \d+s - \d+(us|ms|s)\/step - loss: \d+\.\d{4} - mae: \d+\.\d{4} - val_loss: \d+\.\d{4} - val_mae: \d+\.\d{4}\n$/;
    expect(lines.length).toBe(4);
    expect(lines[0]).toBe("Epoch 1/2\n");
    expect(lines[1]).toMatch(line);
    expect(lines[2]).toBe("Epoch 2/2\n");
    expect(lines[3]).toMatch(line);
  });

  it("verbose 1 redraws the bar in place on a terminal and prints to stdout by default", async () => {
    const [x, y] = regression(10);
    const model = dense();
    model.compile({ optimizer: new optimizers.SGD(0.05), loss: "mse" });
    const { lines, logger } = capture(true);
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 1, callbacks: [logger] });
    expect(lines[0]).toBe("Epoch 1/1\n");
    const last = lines.at(-1)!;
    expect(last).toMatch(/^\r3\/3 ━{20} \d+s \d+(us|ms|s)\/step - loss: \d+\.\d{4}\x1b\[K\n$/);
    expect(lines.slice(1, -1).every((l) => /^\r[123]\/3 [━─]{20} /.test(l))).toBe(true);
    spyStdout();
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 1 });
    const out = writes.join("");
    expect(out).toContain("Epoch 1/1\n");
    expect(out).toMatch(/3\/3 ━{20} .* - loss: \d+\.\d{4}/);
  });
});

describe("evaluate and predict progress and callbacks", () => {
  /** Records every test / predict / train hook with its batch and log names. */
  class Recorder extends callbacks.Callback {
    readonly calls: string[] = [];
    override onTestBegin() { this.calls.push("testBegin"); }
    override onTestBatchBegin(b: number) { this.calls.push(`testBatchBegin ${b}`); }
    override onTestBatchEnd(b: number, logs?: nn.Logs) { this.calls.push(`testBatchEnd ${b} ${Object.keys(logs ?? {})}`); }
    override onTestEnd(logs?: nn.Logs) { this.calls.push(`testEnd ${Object.keys(logs ?? {})}`); }
    override onPredictBegin() { this.calls.push("predictBegin"); }
    override onPredictBatchBegin(b: number) { this.calls.push(`predictBatchBegin ${b}`); }
    override onPredictBatchEnd(b: number) { this.calls.push(`predictBatchEnd ${b}`); }
    override onPredictEnd() { this.calls.push("predictEnd"); }
  }

  it("evaluate and predict call the test / predict hooks of their callbacks, in Keras' order", () => {
    const [x, y] = regression(10);
    const model = dense();
    model.compile({ optimizer: "sgd", loss: "mse", metrics: ["mae"] });
    const rec = new Recorder();
    const ev = model.evaluate(x, y, { batchSize: 6, verbose: 0, callbacks: [rec] }) as number[];
    expect(rec.calls).toEqual(["testBegin", "testBatchBegin 0", "testBatchEnd 0 loss,mae", "testBatchBegin 1", "testBatchEnd 1 loss,mae", "testEnd loss,mae"]);
    expect(ev.length).toBe(2);
    const rec2 = new Recorder();
    model.predict(x, { batchSize: 4, verbose: 0, callbacks: [rec2] });
    expect(rec2.calls).toEqual([
      "predictBegin", "predictBatchBegin 0", "predictBatchEnd 0", "predictBatchBegin 1", "predictBatchEnd 1", "predictBatchBegin 2", "predictBatchEnd 2", "predictEnd",
    ]);
  });

  it("verbose 1 shows Keras 3's bar (no epoch header), verbose 2 one final line, verbose 0 nothing", () => {
    const [x, y] = regression(10);
    const model = dense();
    model.compile({ optimizer: "sgd", loss: "mse", metrics: ["mae"] });
    const bar = capture(true);
    model.evaluate(x, y, { batchSize: 4, verbose: 1, callbacks: [bar.logger] });
    expect(bar.lines.at(-1)).toMatch(/^\r3\/3 ━{20} \d+s \d+(us|ms|s)\/step - loss: \d+\.\d{4} - mae: \d+\.\d{4}\x1b\[K\n$/);
    expect(bar.lines.every((l) => l.startsWith("\r"))).toBe(true);
    const two = capture(false);
    model.evaluate(x, y, { batchSize: 4, verbose: 2, callbacks: [two.logger] });
    expect(two.lines).toHaveLength(1);
    expect(two.lines[0]).toMatch(/^3\/3 - \d+s - \d+(us|ms|s)\/step - loss: \d+\.\d{4} - mae: \d+\.\d{4}\n$/);
    const pred = capture(false);
    model.predict(x, { batchSize: 4, verbose: 1, callbacks: [pred.logger] });
    expect(pred.lines).toHaveLength(1);
    expect(pred.lines[0]).toMatch(/^3\/3 ━{20} \d+s \d+(us|ms|s)\/step\n$/);
    const quiet = capture(false);
    model.evaluate(x, y, { verbose: 0, callbacks: [quiet.logger] });
    model.predict(x, { verbose: 0, callbacks: [quiet.logger] });
    expect(quiet.lines).toEqual([]);
  });

  it("evaluate and predict print to stdout by default; fit's validation pass stays silent", async () => {
    const [x, y] = regression(10);
    const model = dense();
    model.compile({ optimizer: "sgd", loss: "mse" });
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
      writes.push(String(s));
      return true;
    });
    try {
      model.evaluate(x, y, { batchSize: 4 });
      expect(writes.join("")).toMatch(/3\/3 ━{20} .* - loss: \d+\.\d{4}/);
      writes.length = 0;
      model.predict(x);
      expect(writes.join("")).toMatch(/1\/1 ━{20} /);
    } finally {
      spy.mockRestore();
    }
    const { lines, logger } = capture(false);
    const rec = new Recorder();
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 1, validationData: [x, y], callbacks: [logger, rec] });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^3\/3 ━{20} .* - loss: \d+\.\d{4} - val_loss: \d+\.\d{4}\n$/);
    expect(rec.calls).toEqual([]);
  });
});

describe("errors", () => {
  it("fit before compile, mismatched sample counts and bad batch sizes say what to fix", async () => {
    const [x, y] = regression(8);
    const model = dense();
    await expect(model.fit(x, y)).rejects.toThrow(/call compile\(\{ optimizer, loss \}\) before fit\(\)/);
    expect(() => model.evaluate(x, y)).toThrow(/call compile/);
    model.compile({ optimizer: "sgd", loss: "mse" });
    await expect(model.fit(x, np.zeros([7, 1]), { verbose: 0 })).rejects.toThrow(/same number of samples.*x has 8 but y has 7/);
    await expect(model.fit(x, y, { verbose: 0, sampleWeight: np.ones([5]) })).rejects.toThrow(/sampleWeight has 5/);
    await expect(model.fit(x, y, { batchSize: 0, verbose: 0 })).rejects.toThrow(/batchSize must be a positive integer, received 0/);
    await expect(model.fit(x, y, { batchSize: 2.5, verbose: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    expect(() => model.evaluate(x, y, { batchSize: -1 })).toThrow(/batchSize must be a positive integer/);
    expect(() => model.predict(x, { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    await expect(model.fit(x, y, { verbose: 0, validationSplit: 1.5 })).rejects.toThrow(/validationSplit must be in \(0, 1\)/);
  });
});
