/**
 * Every class of the `layers` namespace, built in a tiny model with an input that suits it and
 * random weights, survives save -> load with identical predictions (issue 6's "every layer
 * round-trips through save/load"). The table below must name every exported layer class: a new
 * class without an entry (or a written reason to skip it) fails the test.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { random, type Tracer } from "../index.js";
import * as nn from "./index.js";
import { roundTrip } from "./saving-testkit.js";

const { Model, Input, layers: L } = nn;

beforeEach(() => {
  nn.clearSession();
  nn.setRandomSeed(0);
});

/** One input of a case: its shape without the batch, and integer inputs' exclusive upper bound. */
interface InputSpec {
  readonly shape: readonly number[];
  readonly intBelow?: number;
}

interface Case {
  readonly make: () => nn.Layer;
  readonly inputs: readonly InputSpec[];
}

const f = (...shape: number[]): InputSpec => ({ shape });
const ints = (below: number, ...shape: number[]): InputSpec => ({ shape, intBelow: below });

/** Constructor arguments and inputs for each class (Keras' positional args, then options). */
const CASES: Record<string, Case> = {
  // core
  Dense: { make: () => new L.Dense(3, { activation: "relu" }), inputs: [f(4)] },
  Activation: { make: () => new L.Activation("gelu"), inputs: [f(5)] },
  Dropout: { make: () => new L.Dropout(0.5), inputs: [f(4)] },
  SpatialDropout1D: { make: () => new L.SpatialDropout1D(0.5), inputs: [f(4, 3)] },
  SpatialDropout2D: { make: () => new L.SpatialDropout2D(0.5), inputs: [f(4, 4, 3)] },
  SpatialDropout3D: { make: () => new L.SpatialDropout3D(0.5), inputs: [f(3, 3, 3, 2)] },
  Flatten: { make: () => new L.Flatten(), inputs: [f(2, 3)] },
  Reshape: { make: () => new L.Reshape([3, 2]), inputs: [f(6)] },
  Permute: { make: () => new L.Permute([2, 1]), inputs: [f(2, 3)] },
  RepeatVector: { make: () => new L.RepeatVector(3), inputs: [f(4)] },
  Identity: { make: () => new L.Identity(), inputs: [f(3)] },
  // convolutions
  Conv1D: { make: () => new L.Conv1D(3, 2, { padding: "same" }), inputs: [f(6, 2)] },
  Conv2D: { make: () => new L.Conv2D(3, [2, 3], { strides: 2 }), inputs: [f(5, 5, 2)] },
  Conv3D: { make: () => new L.Conv3D(2, 2), inputs: [f(4, 4, 4, 2)] },
  Conv1DTranspose: { make: () => new L.Conv1DTranspose(3, 2), inputs: [f(5, 2)] },
  Conv2DTranspose: { make: () => new L.Conv2DTranspose(3, 2, { strides: 2 }), inputs: [f(3, 3, 2)] },
  Conv3DTranspose: { make: () => new L.Conv3DTranspose(2, 2), inputs: [f(3, 3, 3, 2)] },
  DepthwiseConv1D: { make: () => new L.DepthwiseConv1D(2, { depthMultiplier: 2 }), inputs: [f(6, 2)] },
  DepthwiseConv2D: { make: () => new L.DepthwiseConv2D(2, { depthMultiplier: 2 }), inputs: [f(5, 5, 2)] },
  SeparableConv1D: { make: () => new L.SeparableConv1D(3, 2), inputs: [f(6, 2)] },
  SeparableConv2D: { make: () => new L.SeparableConv2D(3, 2, { padding: "same" }), inputs: [f(5, 5, 2)] },
  // pooling
  MaxPooling1D: { make: () => new L.MaxPooling1D(), inputs: [f(6, 2)] },
  MaxPooling2D: { make: () => new L.MaxPooling2D([2, 2], { padding: "same" }), inputs: [f(5, 5, 2)] },
  MaxPooling3D: { make: () => new L.MaxPooling3D(), inputs: [f(4, 4, 4, 2)] },
  AveragePooling1D: { make: () => new L.AveragePooling1D(3), inputs: [f(6, 2)] },
  AveragePooling2D: { make: () => new L.AveragePooling2D([2, 2], { padding: "same" }), inputs: [f(5, 5, 2)] },
  AveragePooling3D: { make: () => new L.AveragePooling3D(), inputs: [f(4, 4, 4, 2)] },
  GlobalAveragePooling1D: { make: () => new L.GlobalAveragePooling1D(), inputs: [f(5, 3)] },
  GlobalAveragePooling2D: { make: () => new L.GlobalAveragePooling2D({ keepdims: true }), inputs: [f(4, 4, 3)] },
  GlobalAveragePooling3D: { make: () => new L.GlobalAveragePooling3D(), inputs: [f(3, 3, 3, 2)] },
  GlobalMaxPooling1D: { make: () => new L.GlobalMaxPooling1D(), inputs: [f(5, 3)] },
  GlobalMaxPooling2D: { make: () => new L.GlobalMaxPooling2D(), inputs: [f(4, 4, 3)] },
  GlobalMaxPooling3D: { make: () => new L.GlobalMaxPooling3D(), inputs: [f(3, 3, 3, 2)] },
  // reshaping
  UpSampling1D: { make: () => new L.UpSampling1D(2), inputs: [f(3, 2)] },
  UpSampling2D: { make: () => new L.UpSampling2D([2, 2], { interpolation: "bilinear" }), inputs: [f(3, 3, 2)] },
  UpSampling3D: { make: () => new L.UpSampling3D(), inputs: [f(2, 2, 2, 1)] },
  ZeroPadding1D: { make: () => new L.ZeroPadding1D(1), inputs: [f(3, 2)] },
  ZeroPadding2D: { make: () => new L.ZeroPadding2D([[1, 0], [0, 2]]), inputs: [f(3, 3, 2)] },
  ZeroPadding3D: { make: () => new L.ZeroPadding3D(), inputs: [f(2, 2, 2, 1)] },
  Cropping1D: { make: () => new L.Cropping1D([1, 2]), inputs: [f(6, 2)] },
  Cropping2D: { make: () => new L.Cropping2D([[1, 0], [0, 1]]), inputs: [f(5, 5, 2)] },
  Cropping3D: { make: () => new L.Cropping3D(), inputs: [f(4, 4, 4, 2)] },
  // merging (two inputs)
  Add: { make: () => new L.Add(), inputs: [f(4), f(4)] },
  Subtract: { make: () => new L.Subtract(), inputs: [f(4), f(4)] },
  Multiply: { make: () => new L.Multiply(), inputs: [f(4), f(4)] },
  Average: { make: () => new L.Average(), inputs: [f(4), f(4)] },
  Maximum: { make: () => new L.Maximum(), inputs: [f(4), f(4)] },
  Minimum: { make: () => new L.Minimum(), inputs: [f(4), f(4)] },
  Concatenate: { make: () => new L.Concatenate(1), inputs: [f(2, 3), f(4, 3)] },
  Dot: { make: () => new L.Dot(1, { normalize: true }), inputs: [f(4), f(4)] },
  // normalization
  BatchNormalization: { make: () => new L.BatchNormalization({ momentum: 0.9 }), inputs: [f(4)] },
  LayerNormalization: { make: () => new L.LayerNormalization({ axis: -1 }), inputs: [f(3, 4)] },
  GroupNormalization: { make: () => new L.GroupNormalization({ groups: 2 }), inputs: [f(3, 4)] },
  UnitNormalization: { make: () => new L.UnitNormalization(), inputs: [f(4)] },
  // activations
  Softmax: { make: () => new L.Softmax({ axis: -1 }), inputs: [f(5)] },
  ReLU: { make: () => new L.ReLU({ maxValue: 1, negativeSlope: 0.1 }), inputs: [f(5)] },
  LeakyReLU: { make: () => new L.LeakyReLU(0.2), inputs: [f(5)] },
  PReLU: { make: () => new L.PReLU(), inputs: [f(4)] },
  ELU: { make: () => new L.ELU(0.5), inputs: [f(5)] },
  // embedding
  Embedding: { make: () => new L.Embedding(10, 3), inputs: [ints(10, 4)] },
  // recurrent (cells run inside an RNN layer, the only way Keras uses them)
  SimpleRNNCell: { make: () => new L.RNN(new L.SimpleRNNCell(3)), inputs: [f(5, 2)] },
  LSTMCell: { make: () => new L.RNN(new L.LSTMCell(3), { returnSequences: true }), inputs: [f(5, 2)] },
  GRUCell: { make: () => new L.RNN(new L.GRUCell(3)), inputs: [f(5, 2)] },
  RNN: { make: () => new L.RNN(new L.SimpleRNNCell(2), { goBackwards: true }), inputs: [f(5, 2)] },
  SimpleRNN: { make: () => new L.SimpleRNN(3), inputs: [f(5, 2)] },
  LSTM: { make: () => new L.LSTM(3, { returnSequences: true }), inputs: [f(5, 2)] },
  GRU: { make: () => new L.GRU(3, { resetAfter: false }), inputs: [f(5, 2)] },
  Bidirectional: { make: () => new L.Bidirectional(new L.LSTM(2, { returnSequences: true })), inputs: [f(5, 2)] },
  TimeDistributed: { make: () => new L.TimeDistributed(new L.Dense(2)), inputs: [f(5, 3)] },
  // attention (query, value)
  MultiHeadAttention: { make: () => new L.MultiHeadAttention(2, 3), inputs: [f(3, 4), f(5, 4)] },
  Attention: { make: () => new L.Attention({ useScale: true }), inputs: [f(3, 4), f(5, 4)] },
  AdditiveAttention: { make: () => new L.AdditiveAttention(), inputs: [f(3, 4), f(5, 4)] },
  // preprocessing (the random ones are the identity at inference, as in Keras)
  Normalization: { make: () => new L.Normalization({ mean: [1, 2, 3], variance: [1, 4, 9] }), inputs: [f(3)] },
  Rescaling: { make: () => new L.Rescaling(1 / 255, { offset: -1 }), inputs: [f(4)] },
  CategoryEncoding: { make: () => new L.CategoryEncoding(5, { outputMode: "count" }), inputs: [ints(5, 3)] },
  GaussianNoise: { make: () => new L.GaussianNoise(0.1), inputs: [f(4)] },
  GaussianDropout: { make: () => new L.GaussianDropout(0.3), inputs: [f(4)] },
  RandomFlip: { make: () => new L.RandomFlip("horizontal"), inputs: [f(4, 4, 1)] },
  RandomTranslation: { make: () => new L.RandomTranslation(0.1, 0.2), inputs: [f(4, 4, 1)] },
  RandomRotation: { make: () => new L.RandomRotation(0.1), inputs: [f(4, 4, 1)] },
};

/** Exported classes that get no case of their own, and why. */
const SKIPPED: Record<string, string> = {
  Layer: "the abstract base class; custom subclasses round-trip through the registry (saving.test.ts)",
  InputLayer: "not a layer one adds: every case's model starts with one (Input), so every round trip covers it",
};

/** The Layer subclasses exported by the `layers` namespace, by name. */
const layerClasses = (): string[] =>
  Object.entries(nn.layers)
    .filter(([, v]) => typeof v === "function" && (v === nn.Layer || (v as { prototype?: unknown }).prototype instanceof nn.Layer))
    .map(([k]) => k)
    .sort();

/** A model around the case's layer, its float weights set to random values in [0.5, 1.5), and inputs. */
function build(name: string, c: Case): { model: nn.Model; x: Tracer | Tracer[] } {
  const ins = c.inputs.map((s, i) => Input({ shape: [...s.shape], dtype: s.intBelow ? "int32" : "float32", name: `in_${i}` }));
  const layer = c.make();
  const out = layer.apply(ins.length === 1 ? ins[0] : ins);
  const model = new Model({ inputs: ins.length === 1 ? ins[0] : ins, outputs: out, name: `rt_${name.toLowerCase()}` });
  const key = random.key(name.length);
  model.weights.forEach((w, i) => {
    if (w.dtype === "float32") w.assign(random.uniform(random.foldIn(key, i), [...w.shape], { minval: 0.5, maxval: 1.5 }));
  });
  const xs = c.inputs.map((s, i) => {
    const k = random.foldIn(key, 100 + i);
    return s.intBelow ? random.randint(k, [3, ...s.shape], 0, s.intBelow) : random.normal(k, [3, ...s.shape]);
  });
  return { model, x: xs.length === 1 ? xs[0] : xs };
}

describe("every layer round-trips through save/load", () => {
  it("the table covers every exported layer class, and there are at least 45 of them", () => {
    const names = layerClasses();
    const missing = names.filter((n) => !(n in CASES) && !(n in SKIPPED));
    expect(missing).toEqual([]);
    const stale = [...Object.keys(CASES), ...Object.keys(SKIPPED)].filter((n) => !names.includes(n));
    expect(stale).toEqual([]);
    const keras = names.filter((n) => n !== "Layer" && n !== "InputLayer");
    expect(keras.length).toBeGreaterThanOrEqual(45);
  });

  for (const [name, c] of Object.entries(CASES)) {
    it(`${name} gives identical predictions after loading`, () => {
      const { model, x } = build(name, c);
      const before = [model.apply(x)].flat() as Tracer[];
      for (const y of before) {
        const v = Array.from(y.dataSync() as ArrayLike<number>);
        expect(v.every(Number.isFinite), `${name}: outputs must be finite`).toBe(true);
      }
      const loaded = roundTrip(model, x);
      expect(loaded.weights.map((w) => w.shape)).toEqual(model.weights.map((w) => w.shape));
      const inner = loaded.layers.at(-1)!;
      expect(inner.className).toBe(model.layers.at(-1)!.className);
      expect(inner.getConfig()).toEqual(model.layers.at(-1)!.getConfig());
    });
  }

  it("state set by adapt and by training (Normalization, BatchNormalization moving stats) survives loading", async () => {
    const x = random.normal(random.key(11), [32, 3]).mul(3).add(2);
    const norm = new L.Normalization();
    norm.adapt(x);
    const inp = Input({ shape: [3] });
    const both = L.concatenate([norm.apply(inp), new L.BatchNormalization().apply(inp)]);
    const model = new Model({ inputs: inp, outputs: new L.Dense(1).apply(both) });
    model.compile({ optimizer: "sgd", loss: "mse" });
    await model.fit(x, random.normal(random.key(12), [32, 1]), { epochs: 2, batchSize: 8, verbose: 0 });
    const bn = model.layers.find((l) => l.className === "BatchNormalization")!;
    const movingMean = bn.weights.find((w) => w.name === "moving_mean")!;
    expect(Math.max(...Array.from(movingMean.value.dataSync() as Float32Array).map(Math.abs))).toBeGreaterThan(0.05); // moved towards the data's mean (2)
    const loaded = roundTrip(model, x);
    const norm2 = loaded.layers.find((l) => l.className === "Normalization")!;
    expect(Array.from(norm2.weights[0].value.dataSync() as Float32Array)).toEqual(Array.from(norm.weights[0].value.dataSync() as Float32Array));
  });
});
