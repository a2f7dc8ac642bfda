import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { np, random, type Tracer } from "../index.js";
import "./index.js";
import { setRandomSeed } from "./call-context.js";
import { Callback, LambdaCallback, type Logs } from "./callbacks.js";
import {
  CSVLogger, EarlyStopping, LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN, formatFilepath,
} from "./callbacks-builtin.js";
import { Input } from "./input-layer.js";
import { Layer, type LayerConfig } from "./layer.js";
import { registerLayer } from "./registry.js";
import * as layers from "./layers/index.js";
import * as optimizers from "../optim/keras-optimizers.js";
import { loadModel } from "./saving.js";
import { Sequential } from "./sequential.js";
import { clearSession } from "./variable.js";

const dir = mkdtempSync(join(tmpdir(), "kiln-callbacks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});

/** Counts traces: `call` runs only while a step is traced (and twice when the model is built). */
class CountCalls extends Layer {
  static calls = 0;
  call(x: Tracer): Tracer {
    CountCalls.calls++;
    return x;
  }
  static fromConfig(c: LayerConfig): CountCalls {
    return new CountCalls(c);
  }
}
registerLayer(CountCalls);

const data = () => {
  const x = random.normal(random.key(0), [16, 2]);
  return { x, y: np.sum(x, { axis: 1, keepdims: true }) };
};
const model = (lr = 0.1) => {
  const m = new Sequential([Input({ shape: [2] }), new CountCalls(), new layers.Dense(1)]);
  m.compile({ optimizer: new optimizers.SGD(lr), loss: "mse" });
  return m;
};
/** Overwrites a log with a scripted value per epoch (placed before the callback under test). */
const script = (key: string, values: number[]) =>
  new LambdaCallback({
    onEpochEnd: (e, logs) => {
      logs![key] = values[e];
    },
  });
const fit = (m: Sequential, epochs: number, callbacks: Callback[]) => {
  const { x, y } = data();
  return m.fit(x, y, { epochs, batchSize: 8, verbose: 0, shuffle: false, validationData: [x, y], callbacks });
};
const weightsOf = (m: Sequential) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe("EarlyStopping", () => {
  it("stops once patience runs out (Keras rules) and restores the best epoch's weights", async () => {
    const m = model();
    const snapshots: number[][][] = [];
    const record = new LambdaCallback({ onEpochEnd: () => void snapshots.push(weightsOf(m)) });
    const es = new EarlyStopping({ monitor: "val_loss", patience: 2, restoreBestWeights: true });
    const h = await fit(m, 20, [script("val_loss", [1, 0.9, 0.95, 0.96, 0.97, 0.5]), record, es]);
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    expect(es.stoppedEpoch).toBe(3);
    expect(es.bestEpoch).toBe(1);
    expect(weightsOf(m)).toEqual(snapshots[1]);
    expect(weightsOf(m)).not.toEqual(snapshots[3]);
  });

  it("minDelta, mode max, baseline and startFromEpoch", async () => {
    const run = async (opts: ConstructorParameters<typeof EarlyStopping>[0], seq: number[]) => {
      const es = new EarlyStopping(opts);
      const h = await fit(model(), seq.length, [script("val_acc", seq), es]);
      return h.epoch.length;
    };
    // Gains of 0.005 < minDelta count as no improvement.
    expect(await run({ monitor: "val_acc", minDelta: 0.01, patience: 1 }, [0.5, 0.505, 0.51, 0.515, 0.6])).toBe(2);
    expect(await run({ monitor: "val_acc", patience: 1 }, [0.5, 0.505, 0.51, 0.515, 0.6])).toBe(5);
    // Improvements below the baseline do not reset the wait (but an improving epoch never stops).
    expect(await run({ monitor: "val_acc", patience: 2, baseline: 0.9 }, [0.5, 0.6, 0.55, 0.55, 0.95])).toBe(3);
    expect(await run({ monitor: "val_acc", patience: 2 }, [0.5, 0.6, 0.55, 0.55, 0.95])).toBe(4);
    expect(await run({ monitor: "val_acc", mode: "min", patience: 0 }, [0.5, 0.6, 0.7])).toBe(2);
    expect(await run({ monitor: "val_acc", patience: 0, startFromEpoch: 2 }, [0.9, 0.1, 0.2, 0.1, 0.05])).toBe(4);
  });
});

describe("learning-rate callbacks", () => {
  it("ReduceLROnPlateau lowers the rate in the optimizer state without a new trace", async () => {
    const m = model(0.1);
    await fit(m, 1, []);
    const traced = CountCalls.calls;
    const lrs: number[] = [];
    const rl = new ReduceLROnPlateau({ monitor: "val_loss", factor: 0.5, patience: 2, cooldown: 1, minLr: 0.02 });
    const h = await fit(m, 8, [script("val_loss", [1, 1, 1, 1, 1, 1, 1, 1]), rl, new LambdaCallback({ onEpochEnd: () => void lrs.push(m.trainer.getLearningRate()) })]);
    // Plateau from epoch 0: reduce after epochs 2, 4 (the cooldown epoch resets wait, then counts) and 6 (floored at minLr).
    expect(lrs.map((v) => +v.toFixed(6))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02]);
    expect(h.history.learning_rate.map((v) => +v.toFixed(6))).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02]);
    expect(CountCalls.calls).toBe(traced);
    expect(() => new ReduceLROnPlateau({ factor: 1 })).toThrow(/factor must be < 1/);
  });

  it("LearningRateScheduler sets the rate each epoch; rate 0 freezes the weights", async () => {
    const m = model(0.1);
    const seen: number[][][] = [];
    const sched = new LearningRateScheduler((epoch, lr) => (epoch >= 2 ? 0 : lr / 2));
    const h = await fit(m, 4, [sched, new LambdaCallback({ onEpochEnd: () => void seen.push(weightsOf(m)) })]);
    expect(h.history.learning_rate.map((v) => +v.toFixed(6))).toEqual([0.05, 0.025, 0, 0]);
    expect(seen[3]).toEqual(seen[1]);
    expect(seen[1]).not.toEqual(seen[0]);
  });
});

describe("CSVLogger, ModelCheckpoint, TerminateOnNaN", () => {
  it("CSVLogger writes a header and one row per epoch, and appends", async () => {
    const file = join(dir, "log.csv");
    const m = model();
    const h = await fit(m, 2, [new CSVLogger(file)]);
    const rows = readFileSync(file, "utf8").trim().split("\n");
    expect(rows[0]).toBe("epoch,loss,val_loss");
    expect(rows.slice(1)).toEqual([0, 1].map((e) => `${e},${h.history.loss[e]},${h.history.val_loss[e]}`));
    await fit(m, 1, [new CSVLogger(file, { append: true, separator: ";" })]);
    const again = readFileSync(file, "utf8").trim().split("\n");
    expect(again.length).toBe(4);
    expect(again[3]).toMatch(/^0;[\d.e-]+;[\d.e-]+$/);
  });

  it("formats Keras file path templates", () => {
    expect(formatFilepath("m-{epoch:02d}-{val_loss:.2f}.kiln", 4, { val_loss: 0.51234 })).toBe("m-05-0.51.kiln");
    expect(formatFilepath("m-{epoch}-{loss:.1e}.kiln", 0, { loss: 0.00123 })).toBe("m-1-1.2e-03.kiln");
    expect(() => formatFilepath("m-{acc}.kiln", 0, {})).toThrow(/not in the logs/);
  });

  it("ModelCheckpoint saves every epoch, or only improvements, as models or weights", async () => {
    const m = model();
    const all = new ModelCheckpoint(join(dir, "all-{epoch:02d}.kiln"));
    const best = new ModelCheckpoint(join(dir, "best", "w-{epoch}-{val_loss:.2f}.weights.safetensors"), { saveBestOnly: true, saveWeightsOnly: true });
    let last: number[][] = [];
    await fit(m, 4, [script("val_loss", [0.5, 0.7, 0.4, 0.45]), all, best, new LambdaCallback({ onEpochEnd: () => void (last = weightsOf(m)) })]);
    expect(all.saved.map((p) => p.slice(dir.length + 1))).toEqual(["all-01.kiln", "all-02.kiln", "all-03.kiln", "all-04.kiln"]);
    expect(best.saved.map((p) => p.slice(dir.length + 1))).toEqual(["best/w-1-0.50.weights.safetensors", "best/w-3-0.40.weights.safetensors"]);
    expect(best.saved.every((p) => existsSync(p))).toBe(true);
    expect(weightsOf(loadModel(all.saved[3]) as Sequential)).toEqual(last);
    expect(() => new ModelCheckpoint(join(dir, "x.kiln"), { saveWeightsOnly: true })).toThrow(/must end in "\.weights\.safetensors"/);
  });

  it("TerminateOnNaN stops at the batch whose loss is not finite", async () => {
    const m = model();
    const batches: number[] = [];
    const poison = new LambdaCallback({
      onTrainBatchEnd: (b, logs) => {
        if (b === 1) (logs as Logs).loss = NaN;
      },
    });
    const count = new LambdaCallback({ onTrainBatchEnd: (b) => void batches.push(b) });
    const h = await fit(m, 5, [poison, new TerminateOnNaN(), count]);
    expect(batches).toEqual([0, 1]);
    expect(h.epoch).toEqual([0]);
  });
});

it("CSVLogger refuses nothing silently: an unwritable path is Node's error", async () => {
  writeFileSync(join(dir, "file"), "");
  await expect(fit(model(), 1, [new CSVLogger(join(dir, "file", "log.csv"))])).rejects.toThrow();
});
