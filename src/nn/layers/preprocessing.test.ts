import { beforeEach, describe, expect, it } from "vitest";
import { np, jit, random, type Tracer } from "../../index.js";
import { Input, Sequential, optimizers, setRandomSeed, clearSession, type Layer } from "../index.js";
import { Dense, Flatten } from "./core.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import {
  CategoryEncoding, GaussianDropout, GaussianNoise, Normalization, RandomFlip, RandomRotation, RandomTranslation, Rescaling,
} from "./preprocessing.js";
import { type FillMode, transformImages } from "./preprocessing-image.js";

beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});

type N2 = number[][];
type N4 = number[][][][];

function roundTrip(layer: Layer, from: (c: Record<string, unknown>) => Layer, x: Tracer): void {
  const y = layer.apply(x);
  const copy = from(JSON.parse(JSON.stringify({ ...layer.getConfig(), name: `${layer.name}_copy` })));
  copy.apply(x);
  copy.setWeights(layer.getWeights());
  expect(copy.getConfig()).toEqual({ ...layer.getConfig(), name: `${layer.name}_copy` });
  expectArray(copy.apply(x), y.toArray() as N2, { rtol: 1e-6, atol: 1e-6 });
}

describe("Normalization", () => {
  const data = [[1, 10], [3, 20], [5, 60]];

  it("adapt computes per-feature mean and variance into non-trainable weights", () => {
    const norm = new Normalization();
    norm.adapt(data);
    expect(norm.weights.map((w) => [w.name, w.shape, w.trainable])).toEqual([["mean", [2], false], ["variance", [2], false]]);
    expectArray(norm.adaptMean!.value, [3, 30]);
    expectArray(norm.adaptVariance!.value, [8 / 3, 1400 / 3], { rtol: 1e-6 });
    const y = norm.apply(np.array(data));
    expectArray(np.mean(y, { axis: 0 }), [0, 0], { atol: 1e-6 });
    expectArray(np.var(y, { axis: 0 }), [1, 1], { rtol: 1e-5 });
    roundTrip(norm, Normalization.fromConfig, np.array(data));
  });

  it("uses given statistics, inverts, and treats axis null as one global statistic", () => {
    const norm = new Normalization({ mean: [1, 2], variance: [4, 0] });
    expectArray(norm.apply(np.array([[3, 2]])), [[1, 0]]);
    expect(norm.weights).toEqual([]);
    expectArray(new Normalization({ mean: 3, variance: 4, invert: true }).apply(np.array([[1, -1]])), [[5, 1]]);
    const g = new Normalization({ axis: null });
    g.adapt(np.array([[0, 2], [4, 6]]));
    expectArray(g.apply(np.array([[3]])), [[0]]);
    roundTrip(new Normalization({ mean: [1, 2], variance: [4, 1], invert: true }), Normalization.fromConfig, np.array([[3, 2]]));
  });

  it("keeps statistics per channel of images (axis -1 of 4-D data)", () => {
    const x = random.normal(random.key(1), [4, 3, 3, 2]).mul(np.array([2, 5])).add(np.array([1, -7]));
    const norm = new Normalization();
    norm.adapt(x);
    expect(norm.adaptMean!.shape).toEqual([2]);
    expectArray(np.mean(norm.apply(x), { axis: [0, 1, 2] }), [0, 0], { atol: 1e-5 });
    expect(norm.apply(Input({ shape: [3, 3, 2] })).shape).toEqual([null, 3, 3, 2]);
  });

  it("explains misuse", () => {
    expect(() => new Normalization({ mean: [1] })).toThrow(/both mean and variance/);
    expect(() => new Normalization({ mean: 0, variance: 1 }).adapt([[1]])).toThrow(/fixed mean and variance/);
    expect(() => new Normalization({ axis: 0 }).adapt([[1]])).toThrow(/axis 0 is the batch axis/);
    const n = new Normalization();
    n.adapt([[1, 2]]);
    expect(() => n.adapt([[1, 2, 3]])).toThrow(/does not match the layer's statistics of shape \[2\]/);
  });

  it("an adapted layer in a model trains and keeps its statistics", async () => {
    const x = random.normal(random.key(2), [128, 2]).mul(100).add(50);
    const y = x.sub(50).div(100).sum({ axis: 1, keepdims: true });
    const norm = new Normalization();
    norm.adapt(x);
    const model = new Sequential([Input({ shape: [2] }), norm, new Dense(1)]);
    model.compile({ optimizer: new optimizers.SGD(0.1), loss: "mse" });
    const before = norm.adaptMean!.toArray();
    const h = await model.fit(x, y, { epochs: 10, batchSize: 32, verbose: 0 });
    expect(h.history.loss.at(-1)).toBeLessThan(1e-2);
    expect(norm.adaptMean!.toArray()).toEqual(before);
  });
});

describe("Rescaling", () => {
  it("scales and offsets, turning integers into floats", () => {
    const r = new Rescaling(1 / 127.5, { offset: -1 });
    expectArray(r.apply(np.array([0, 255, 127.5])), [-1, 1, 0], { atol: 1e-6 });
    expect(r.apply(np.array([0, 255], { dtype: "int32" })).dtype).toBe("float32");
    expectArray(new Rescaling([1, 2]).apply(np.array([[1, 1]])), [[1, 2]]);
    roundTrip(r, Rescaling.fromConfig, np.array([[3, 4]]));
  });
});

describe("CategoryEncoding", () => {
  const ids = [[0, 1], [0, 0], [1, 2], [3, 1]];
  it("one_hot, multi_hot and count match Keras' documented outputs", () => {
    expectArray(new CategoryEncoding(4, { outputMode: "one_hot" }).apply([3, 2, 0, 1]), [[0, 0, 0, 1], [0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]]);
    expectArray(new CategoryEncoding(4).apply(ids), [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]]);
    expectArray(new CategoryEncoding(4, { outputMode: "count" }).apply(ids), [[1, 1, 0, 0], [2, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]]);
    expectArray(new CategoryEncoding(3, { outputMode: "one_hot" }).apply([[2], [0]]), [[0, 0, 1], [1, 0, 0]]);
    expectArray(new CategoryEncoding(3).apply([2, 2, 0]), [1, 0, 1]);
  });

  it("gives symbolic shapes and rejects out-of-range ids and ranks above 2", () => {
    expect(new CategoryEncoding(5).apply(Input({ shape: [3], dtype: "int32" })).shape).toEqual([null, 5]);
    expect(() => new CategoryEncoding(4).apply([[0, 4]])).toThrow(/integers in \[0, 4\).*received values in \[0, 4\]/);
    expect(() => new CategoryEncoding(4).apply([[-1]])).toThrow(/integers in \[0, 4\)/);
    expect(() => new CategoryEncoding(4, { outputMode: "one_hot" }).apply([[0, 1]])).toThrow(/rank <= 2.*rank 3/);
    expect(() => new CategoryEncoding(4, { outputMode: "int" as never })).toThrow(/outputMode must be/);
    roundTrip(new CategoryEncoding(4, { outputMode: "count" }), CategoryEncoding.fromConfig, np.array(ids, { dtype: "int32" }));
  });
});

describe("noise layers", () => {
  it("GaussianNoise adds N(0, stddev²) only in training, reproducibly from the key", () => {
    const layer = new GaussianNoise(0.5);
    const x = np.ones([20000]);
    expectArray(layer.apply(x), x.toArray() as number[]);
    const y = layer.apply(x, { training: true, key: random.key(3) });
    expect(y.toArray()).toEqual(layer.apply(x, { training: true, key: random.key(3) }).toArray());
    expect(np.mean(y).item()).toBeCloseTo(1, 1);
    expect(np.std(y).item()).toBeCloseTo(0.5, 1);
    expect(() => new GaussianNoise(-1)).toThrow(/stddev must be >= 0/);
    roundTrip(layer, GaussianNoise.fromConfig, np.ones([1, 2]));
  });

  it("GaussianDropout multiplies by N(1, rate / (1 - rate)) only in training", () => {
    const layer = new GaussianDropout(0.2);
    const x = np.full([20000], 2);
    expectArray(layer.apply(x), x.toArray() as number[]);
    const y = layer.apply(x, { training: true, key: random.key(4) });
    expect(np.mean(y).item()).toBeCloseTo(2, 1);
    expect(np.std(y).item()).toBeCloseTo(2 * Math.sqrt(0.25), 1);
    expect(() => new GaussianDropout(1)).toThrow(/rate must be in \[0, 1\)/);
    roundTrip(layer, GaussianDropout.fromConfig, np.ones([1, 2]));
  });
});

/** Naive resampler: one tap at a time, as the doc of each fill mode says. */
function naiveTransform(img: N4, t: number[], mode: FillMode, bilinear: boolean, fill: number): N4 {
  const [h, w] = [img[0].length, img[0][0].length];
  const fix = (i: number, n: number): number | null => {
    if (mode === "constant") return i < 0 || i >= n ? null : i;
    if (mode === "nearest") return Math.min(Math.max(i, 0), n - 1);
    if (mode === "wrap") return ((i % n) + n) % n;
    const m = ((i % (2 * n)) + 2 * n) % (2 * n);
    return m >= n ? 2 * n - 1 - m : m;
  };
  const px = (b: number, y: number, x: number, c: number) => {
    const [yy, xx] = [fix(y, h), fix(x, w)];
    return yy === null || xx === null ? fill : img[b][yy][xx][c];
  };
  return img.map((im, b) =>
    im.map((row, y) =>
      row.map((pix, x) =>
        pix.map((_, c) => {
          const sx = t[0] * x + t[1] * y + t[2];
          const sy = t[3] * x + t[4] * y + t[5];
          if (!bilinear) return px(b, Math.round(sy), Math.round(sx), c);
          const [x0, y0] = [Math.floor(sx), Math.floor(sy)];
          const [fx, fy] = [sx - x0, sy - y0];
          return (
            (1 - fy) * ((1 - fx) * px(b, y0, x0, c) + fx * px(b, y0, x0 + 1, c)) +
            fy * ((1 - fx) * px(b, y0 + 1, x0, c) + fx * px(b, y0 + 1, x0 + 1, c))
          );
        }),
      ),
    ),
  );
}

describe("image transforms", () => {
  const img = random.uniform(random.key(5), [2, 4, 5, 2]);
  const t = [0.9, 0.2, 1.37, -0.3, 1.1, -2.63]; // no tap lands on a rounding tie (x.5) or an integer
  for (const mode of ["constant", "nearest", "reflect", "wrap"] as const) {
    it(`resample like a per-tap loop with fillMode "${mode}"`, () => {
      const tt = np.array([t, t]);
      const want = naiveTransform(img.toArray() as N4, t, mode, true, 0.5);
      expectArray(transformImages(img, tt, { fillMode: mode, fillValue: 0.5 }), want, { atol: 1e-5 });
      const near = naiveTransform(img.toArray() as N4, t, mode, false, 0);
      expectArray(transformImages(img, tt, { fillMode: mode, interpolation: "nearest" }), near, { atol: 1e-6 });
    });
  }
});

describe("RandomFlip", () => {
  const img = np.arange(2 * 2 * 3).reshape([1, 2, 3, 2]);
  const variants = (x: Tracer) => ({ h: np.flip(x, { axis: 2 }).toArray(), v: np.flip(x, { axis: 1 }).toArray() });

  it("is the identity at inference and flips each image in training", () => {
    const layer = new RandomFlip("horizontal");
    expect(layer.apply(img).toArray()).toEqual(img.toArray());
    const seen = new Set<string>();
    for (let s = 0; s < 12; s++) seen.add(JSON.stringify(layer.apply(img, { training: true, key: random.key(s) }).toArray()));
    expect(seen).toEqual(new Set([JSON.stringify(img.toArray()), JSON.stringify(variants(img).h)]));
    const both = new Set<string>();
    const flip2 = new RandomFlip();
    for (let s = 0; s < 24; s++) both.add(JSON.stringify(flip2.apply(img, { training: true, key: random.key(s) }).toArray()));
    expect(both.size).toBe(4);
  });

  it("handles single images and channels_first, and checks its arguments", () => {
    const one = np.arange(6).reshape([2, 3, 1]);
    const out = new RandomFlip("vertical").apply(one, { training: true, key: random.key(1) });
    expect([one.toArray(), np.flip(one, { axis: 0 }).toArray()]).toContainEqual(out.toArray());
    const cf = np.arange(6).reshape([1, 1, 2, 3]);
    const y = new RandomFlip("horizontal", { dataFormat: "channels_first" }).apply(cf, { training: true, key: random.key(0) });
    expect([cf.toArray(), np.flip(cf, { axis: 3 }).toArray()]).toContainEqual(y.toArray());
    expect(() => new RandomFlip("diagonal" as never)).toThrow(/mode must be/);
    expect(() => new RandomFlip().apply(np.ones([2, 2]), { training: true })).toThrow(/expected images of rank 4/);
    roundTrip(new RandomFlip("vertical"), RandomFlip.fromConfig, np.ones([1, 2, 2, 1]));
  });
});

describe("RandomTranslation and RandomRotation", () => {
  const img = np.arange(16).reshape([1, 4, 4, 1]).add(1);
  const plane = (x: Tracer) => (x.toArray() as N4)[0].map((r) => r.map((p) => p[0]));

  it("translates by the sampled fraction with constant and nearest fill", () => {
    const down = new RandomTranslation([0.5, 0.5], 0, { fillMode: "constant", fillValue: -1 });
    expectArray(down.apply(img), img.toArray() as N4);
    expect(plane(down.apply(img, { training: true }))).toEqual([[-1, -1, -1, -1], [-1, -1, -1, -1], [1, 2, 3, 4], [5, 6, 7, 8]]);
    const left = new RandomTranslation(0, [-0.25, -0.25], { fillMode: "nearest" });
    expect(plane(left.apply(img, { training: true }))).toEqual([[2, 3, 4, 4], [6, 7, 8, 8], [10, 11, 12, 12], [14, 15, 16, 16]]);
    expect(() => new RandomTranslation(1.5, 0)).toThrow(/heightFactor must be/);
    expect(() => new RandomTranslation(0, [0.3, 0.1])).toThrow(/widthFactor must be/);
    expect(() => new RandomTranslation(0, 0, { fillMode: "mirror" as never })).toThrow(/fillMode must be one of/);
    roundTrip(new RandomTranslation(0.2, [-0.1, 0.3], { fillMode: "wrap" }), RandomTranslation.fromConfig, np.ones([1, 2, 2, 1]));
  });

  it("rotates a quarter turn counter-clockwise for factor 0.25", () => {
    const rot = new RandomRotation([0.25, 0.25], { interpolation: "nearest" });
    const want = np.flip(np.transpose(img.reshape([4, 4])), { axis: 0 }).toArray(); // np.rot90
    expect(plane(rot.apply(img, { training: true }))).toEqual(want);
    const bil = new RandomRotation([0.25, 0.25]).apply(img, { training: true });
    expectArray(bil.reshape([4, 4]), want as N2, { atol: 1e-4 });
    expect(() => new RandomRotation([0.2, 0.1])).toThrow(/factor must be/);
    roundTrip(new RandomRotation(0.1, { fillMode: "constant" }), RandomRotation.fromConfig, np.ones([1, 2, 2, 1]));
  });

  it("augmentation layers run inside jit and a training step", async () => {
    const step = jit((x: Tracer, key: Tracer) => new RandomRotation(0.1).apply(x, { training: true, key }));
    expect(step(img, random.key(0)).shape).toEqual([1, 4, 4, 1]);
    const x = random.uniform(random.key(6), [32, 4, 4, 1]);
    const y = np.mean(x, { axis: [1, 2] });
    const model = new Sequential([
      Input({ shape: [4, 4, 1] }), new RandomFlip(), new RandomTranslation(0.1, 0.1), new RandomRotation(0.05),
      new GaussianNoise(0.01), new Flatten(), new Dense(1),
    ]);
    model.compile({ optimizer: new optimizers.SGD(0.05), loss: "mse" });
    const h = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    expect(model.predict(x).shape).toEqual([32, 1]);
  });
});
