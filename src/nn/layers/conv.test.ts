import { beforeEach, describe, expect, it } from "vitest";
import { np, grad, type Tracer } from "../../index.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import { type Arr, rand, toKiln, sizeOf, offsetOf, indices } from "../../../tests/helpers/loops.js";
import { setRandomSeed } from "../call-context.js";
import { Input } from "../input-layer.js";
import { Sequential } from "../sequential.js";
import { clearSession } from "../variable.js";
import { Dense, Flatten } from "./core.js";
import { BaseConv, Conv1D, Conv2D, Conv3D, type ConvOptions } from "./conv.js";
import { MaxPooling2D } from "./pooling.js";

beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});


/** Output size and low padding of one axis, by Keras' (TF's) formulas. */
function axisGeometry(n: number, k: number, s: number, d: number, padding: "valid" | "same"): [number, number] {
  const dk = (k - 1) * d + 1;
  if (padding === "valid") return [Math.floor((n - dk) / s) + 1, 0];
  const out = Math.ceil(n / s);
  return [out, Math.floor(Math.max((out - 1) * s + dk - n, 0) / 2)];
}

/** Channels-last grouped convolution by loops: y[n, o, f] = sum x[n, o*s + j*d - lo, g*cg + c] k[j, c, f]. */
function naiveConv(x: Arr, k: Arr, strides: number[], dil: number[], padding: "valid" | "same", groups = 1): Arr {
  const r = x.shape.length - 2;
  const sp = x.shape.slice(1, -1);
  const ks = k.shape.slice(0, r);
  const [cg, f] = k.shape.slice(r);
  const geo = sp.map((n, i) => axisGeometry(n, ks[i], strides[i], dil[i], padding));
  const outShape = [x.shape[0], ...geo.map((g) => g[0]), f];
  const data = new Array<number>(sizeOf(outShape)).fill(0);
  for (const [n, ...rest] of indices(outShape.slice(0, -1))) {
    for (let fo = 0; fo < f; fo++) {
      const g = Math.floor(fo / (f / groups));
      let acc = 0;
      for (const kk of indices(ks)) {
        const pos = rest.map((o, i) => o * strides[i] + kk[i] * dil[i] - geo[i][1]);
        if (pos.some((p, i) => p < 0 || p >= sp[i])) continue;
        for (let c = 0; c < cg; c++) {
          acc += x.data[offsetOf(x.shape, [n, ...pos, g * cg + c])] * k.data[offsetOf(k.shape, [...kk, c, fo])];
        }
      }
      data[offsetOf(outShape, [n, ...rest, fo])] = acc;
    }
  }
  return { data, shape: outShape };
}

const nested = (a: Arr) => toKiln(a).toArray() as number[];

/** Builds `layer` on `x`, sets random kernel and bias, returns [output, kernel, bias]. */
function runWithRandomWeights(layer: BaseConv, x: Arr, seed = 1): [Tracer, Arr, Arr] {
  layer.apply(toKiln(x));
  const k = rand([...layer.kernel.shape], seed);
  const b = rand([layer.filters], seed + 1);
  layer.setWeights([toKiln(k), toKiln(b)]);
  return [layer.apply(toKiln(x)), k, b];
}

const plusBias = (y: Arr, b: Arr): Arr => ({ data: y.data.map((v, i) => v + b.data[i % b.data.length]), shape: y.shape });

describe("Conv1D / Conv2D / Conv3D against loops", () => {
  const cases: [string, () => BaseConv, number[], (k: Arr, x: Arr) => Arr][] = [
    ["Conv2D valid", () => new Conv2D(3, 3), [2, 5, 6, 2], (k, x) => naiveConv(x, k, [1, 1], [1, 1], "valid")],
    ["Conv2D same, strides 2", () => new Conv2D(4, [3, 2], { strides: 2, padding: "same" }), [2, 8, 6, 3],
      (k, x) => naiveConv(x, k, [2, 2], [1, 1], "same")],
    ["Conv2D same, dilation 2", () => new Conv2D(2, 3, { dilationRate: 2, padding: "same" }), [1, 7, 7, 2],
      (k, x) => naiveConv(x, k, [1, 1], [2, 2], "same")],
    ["Conv2D groups 2, strides [1, 2]", () => new Conv2D(4, 2, { groups: 2, strides: [1, 2] }), [2, 5, 5, 6],
      (k, x) => naiveConv(x, k, [1, 2], [1, 1], "valid", 2)],
    ["Conv1D same, strides 2", () => new Conv1D(3, 3, { strides: 2, padding: "same" }), [2, 8, 2],
      (k, x) => naiveConv(x, k, [2], [1], "same")],
    ["Conv3D valid, strides [1, 2, 1]", () => new Conv3D(2, [2, 3, 2], { strides: [1, 2, 1] }), [1, 4, 5, 3, 2],
      (k, x) => naiveConv(x, k, [1, 2, 1], [1, 1, 1], "valid")],
  ];
  for (const [label, make, xShape, naive] of cases) {
    it(label, () => {
      const x = rand(xShape, 3);
      const layer = make();
      const [y, k, b] = runWithRandomWeights(layer, x);
      const want = plusBias(naive(k, x), b);
      expectArray(y, nested(want), { atol: 1e-5, rtol: 1e-5 });
    });
  }

  it("Conv1D causal padding: step t sees steps <= t only", () => {
    const x = rand([2, 7, 2], 4);
    const layer = new Conv1D(3, 3, { padding: "causal", dilationRate: 2 });
    const [y, k, b] = runWithRandomWeights(layer, x);
    // Causal = pad (k - 1) * d zeros in front, then a valid convolution.
    const left = 4;
    const padded: Arr = { shape: [2, 7 + left, 2], data: [] };
    for (const [n, t, c] of indices(padded.shape)) padded.data.push(t < left ? 0 : x.data[offsetOf(x.shape, [n, t - left, c])]);
    const want = plusBias(naiveConv(padded, k, [1], [2], "valid"), b);
    expect(y.shape).toEqual([2, 7, 3]);
    expectArray(y, nested(want), { atol: 1e-5 });
    // Changing the last step leaves every earlier output unchanged.
    const x2 = { ...x, data: x.data.map((v, i) => (Math.floor(i / 2) % 7 === 6 ? v + 5 : v)) };
    const y2 = (layer.apply(toKiln(x2)).toArray() as number[][][]).map((s) => s.slice(0, 6));
    expectArray(np.array(y2), (y.toArray() as number[][][]).map((s) => s.slice(0, 6)), { atol: 1e-6 });
  });

  it("channels_first gives the channels_last result, transposed", () => {
    const x = rand([2, 6, 5, 4], 5);
    const last = new Conv2D(6, 3, { strides: [2, 1], padding: "same", groups: 2 });
    const [yl] = runWithRandomWeights(last, x);
    const first = new Conv2D(6, 3, { strides: [2, 1], padding: "same", groups: 2, dataFormat: "channels_first" });
    const xf = np.transpose(toKiln(x), [0, 3, 1, 2]);
    first.apply(xf);
    expect(first.kernel.shape).toEqual([3, 3, 2, 6]); // Keras' layout whatever the data format
    first.setWeights(last.getWeights());
    expectArray(first.apply(xf), np.transpose(yl, [0, 3, 1, 2]).toArray() as number[], { atol: 1e-5 });
  });

  it("applies the activation after the bias, and useBias: false drops the bias", () => {
    const x = rand([1, 4, 4, 2], 6);
    const plain = new Conv2D(3, 2);
    const [y] = runWithRandomWeights(plain, x);
    const relu = new Conv2D(3, 2, { activation: "relu" });
    relu.apply(toKiln(x));
    relu.setWeights(plain.getWeights());
    expectArray(relu.apply(toKiln(x)), np.maximum(y, 0).toArray() as number[], { atol: 1e-6 });
    const nb = new Conv2D(3, 2, { useBias: false });
    nb.apply(toKiln(x));
    expect(nb.weights.map((w) => w.name)).toEqual(["kernel"]);
  });
});

describe("Conv shapes, weights and configs", () => {
  it("makes Keras weight shapes and counts", () => {
    const c = new Conv2D(8, 3, { groups: 2 });
    c.apply(np.ones([1, 5, 5, 4]));
    expect(c.weights.map((w) => [w.name, w.shape])).toEqual([["kernel", [3, 3, 2, 8]], ["bias", [8]]]);
    expect(c.countParams()).toBe(3 * 3 * 2 * 8 + 8);
    const c3 = new Conv3D(2, [1, 2, 3]);
    c3.apply(np.ones([1, 3, 3, 3, 5]));
    expect(c3.kernel.shape).toEqual([1, 2, 3, 5, 2]);
  });

  it("infers symbolic output shapes with a free batch", () => {
    const inp = Input({ shape: [9, 8, 3] });
    expect(new Conv2D(4, 3, { strides: 2, padding: "same" }).apply(inp).shape).toEqual([null, 5, 4, 4]);
    expect(new Conv2D(4, 3, { dilationRate: 2 }).apply(inp).shape).toEqual([null, 5, 4, 4]);
    expect(new Conv1D(5, 4, { padding: "causal" }).computeOutputShape([null, 10, 2])).toEqual([null, 10, 5]);
    expect(new Conv3D(1, 2, { dataFormat: "channels_first" }).computeOutputShape([null, 2, 4, 5, 6])).toEqual([null, 1, 3, 4, 5]);
  });

  it("gradients are finite and match finite differences", () => {
    const x = toKiln(rand([1, 4, 4, 2], 7));
    const layer = new Conv2D(2, 2, { activation: "tanh", padding: "same", strides: 2 });
    layer.apply(x);
    const [params] = layer.paramsAndState();
    const f = (p: Record<string, Tracer>) => np.sum(np.square(layer.statelessCall(p, {}, x)[0]));
    const g = grad(f)(params) as Record<string, Tracer>;
    const gk = Array.from(g.kernel.dataSync());
    expect(gk.every(Number.isFinite)).toBe(true);
    expect(Array.from(g.bias.dataSync()).every(Number.isFinite)).toBe(true);
    const k0 = Array.from(params.kernel.dataSync());
    const eps = 1e-2;
    for (const i of [0, 5, 11, 15]) {
      const at = (d: number) => {
        const k = k0.slice();
        k[i] += d;
        return f({ ...params, kernel: np.array(k).reshape(params.kernel.shape) }).item() as number;
      };
      expect(gk[i]).toBeCloseTo((at(eps) - at(-eps)) / (2 * eps), 2);
    }
  });

  it("getConfig -> fromConfig round trip gives the same outputs", () => {
    const x = toKiln(rand([2, 6, 6, 4], 8));
    const a = new Conv2D(4, [3, 2], { strides: 2, padding: "same", dilationRate: 1, groups: 2, activation: "relu", kernelInitializer: "he_normal" });
    const ya = a.apply(x);
    const config = JSON.parse(JSON.stringify(a.getConfig()));
    expect(config).toMatchObject({
      filters: 4, kernelSize: [3, 2], strides: [2, 2], padding: "same", dataFormat: "channels_last", dilationRate: [1, 1], groups: 2,
      activation: "relu", useBias: true, kernelInitializer: "he_normal", biasInitializer: "zeros",
    });
    const b = Conv2D.fromConfig(config);
    expect(b).toBeInstanceOf(Conv2D);
    b.apply(x);
    b.setWeights(a.getWeights());
    expectArray(b.apply(x), ya.toArray() as number[]);
    const c1 = Conv1D.fromConfig(new Conv1D(2, 3, { padding: "causal" }).getConfig());
    expect([c1.padding, c1.kernelSize]).toEqual(["causal", [3]]);
  });

  it("kernel and bias regularizers add their losses in statelessCall", () => {
    const sq = { call: (w: Tracer) => np.sum(np.square(w)) };
    const c = new Conv1D(2, 2, { kernelRegularizer: sq, biasRegularizer: sq, biasInitializer: "ones" });
    const x = np.ones([1, 4, 3]);
    c.apply(x);
    const [params, state] = c.paramsAndState();
    const [, , losses] = c.statelessCall(params, state, x, { training: true });
    const k = Array.from(c.kernel.value.dataSync());
    expect(losses.map((l) => l.item())).toEqual([
      expect.closeTo(k.reduce((a, v) => a + v * v, 0), 5), 2,
    ]);
  });

  it("reports bad arguments and inputs clearly", () => {
    expect(() => new Conv2D(3, 3, { groups: 2 })).toThrow(/groups must be a positive integer dividing filters/);
    expect(() => new Conv2D(4, 3, { strides: 2, dilationRate: 2 })).toThrow(/strides > 1 cannot be combined/);
    expect(() => new Conv2D(4, 3, { padding: "causal" })).toThrow(/padding must be one of "valid", "same"/);
    expect(() => new Conv2D(4, [3, 3, 3])).toThrow(/kernelSize must be a positive integer or a list of 2/);
    expect(() => new Conv2D(0, 3)).toThrow(/filters must be a positive integer/);
    expect(() => new Conv2D(4, 3, { dataFormat: "NHWC" as never })).toThrow(/dataFormat must be/);
    expect(() => new Conv2D(4, 3).apply(np.ones([5, 5, 3]))).toThrow(/expected inputs of rank 4 \(batch, d1, d2, channels\), received shape \[5,5,3\]/);
    expect(() => new Conv2D(4, 1, { groups: 4 }).apply(np.ones([1, 3, 3, 6]))).toThrow(/input channels \(6\) must be divisible by groups \(4\)/);
    const c = new Conv2D(2, 1);
    c.apply(np.ones([1, 3, 3, 2]));
    expect(() => c.apply(np.ones([1, 3, 3, 5]))).toThrow(/expected 2 input channels/);
  });
});

describe("training smoke test", () => {
  it("Conv2D -> MaxPooling2D -> Flatten -> Dense fits and the loss decreases", async () => {
    const n = 48;
    const xs = rand([n, 8, 8, 1], 9);
    // Label: which quadrant row (top or bottom half) has the larger sum, or class 2 when close.
    const labels = Array.from({ length: n }, (_, i) => {
      let top = 0;
      let bottom = 0;
      for (let p = 0; p < 64; p++) (p < 32 ? (top += xs.data[i * 64 + p]) : (bottom += xs.data[i * 64 + p]));
      return Math.abs(top - bottom) < 1 ? 2 : top > bottom ? 0 : 1;
    });
    const model = new Sequential([
      Input({ shape: [8, 8, 1] }), new Conv2D(4, 3, { activation: "relu" }), new MaxPooling2D(2), new Flatten(), new Dense(3, { activation: "softmax" }),
    ]);
    expect(model.layers.at(-1)!.computeOutputShape([null, 36])).toEqual([null, 3]);
    model.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy" });
    const x = toKiln(xs);
    const y = np.array(labels, { dtype: "int32" });
    const before = model.evaluate(x, y, { verbose: 0 }) as number;
    const h = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, seed: 1 });
    expect(h.history.loss.length).toBe(2);
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    const after = model.evaluate(x, y, { verbose: 0 }) as number;
    expect(after).toBeLessThan(before);
  });
});
