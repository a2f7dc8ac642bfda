import { beforeEach, describe, expect, it } from "vitest";
import { np, grad, jit, type Tracer } from "../../index.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import { type Arr, rand, toKiln, sizeOf, offsetOf, indices } from "../../../tests/helpers/loops.js";
import { setRandomSeed } from "../call-context.js";
import { Input } from "../input-layer.js";
import type { Layer } from "../layer.js";
import { clearSession } from "../variable.js";
import {
  Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
} from "./conv-transpose.js";

beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});

const nested = (a: Arr) => toKiln(a).toArray() as number[];
const plusBias = (y: Arr, b: Arr): Arr => ({ data: y.data.map((v, i) => v + b.data[i % b.data.length]), shape: y.shape });

/**
 * Transposed convolution as the scatter it is: x[n, i, c] * k[j, f, c] lands at output
 * position i*s + j*d - crop. Sizes and crop follow TF/Keras: "same" is the gradient of a
 * forward "same" convolution (crop = its low padding), "valid" crops nothing.
 */
function naiveConvTranspose(x: Arr, k: Arr, s: number[], d: number[], padding: "valid" | "same", outPad: number[] | null): Arr {
  const r = x.shape.length - 2;
  const ks = k.shape.slice(0, r);
  const [f, c] = k.shape.slice(r);
  const sp = x.shape.slice(1, -1);
  const geo = sp.map((n, i) => {
    const kd = (ks[i] - 1) * d[i] + 1;
    const op = outPad?.[i];
    const out = padding === "valid"
      ? (n - 1) * s[i] + kd + (op ?? Math.max(kd, s[i]) - kd)
      : op === undefined ? n * s[i] : (n - 1) * s[i] + kd - 2 * Math.floor(kd / 2) + op;
    const crop = padding === "valid" ? 0 : Math.floor(Math.max((n - 1) * s[i] + kd - out, 0) / 2);
    return [out, crop];
  });
  const outShape = [x.shape[0], ...geo.map((g) => g[0]), f];
  const data = new Array<number>(sizeOf(outShape)).fill(0);
  for (const [n, ...pos] of indices(x.shape.slice(0, -1))) {
    for (const kk of indices(ks)) {
      const p = pos.map((i, a) => i * s[a] + kk[a] * d[a] - geo[a][1]);
      if (p.some((v, a) => v < 0 || v >= geo[a][0])) continue;
      for (let fo = 0; fo < f; fo++) {
        for (let ci = 0; ci < c; ci++) {
          data[offsetOf(outShape, [n, ...p, fo])] += x.data[offsetOf(x.shape, [n, ...pos, ci])] * k.data[offsetOf(k.shape, [...kk, fo, ci])];
        }
      }
    }
  }
  return { data, shape: outShape };
}

/** Depthwise convolution by loops: output channel c*M + m = channel c filtered by k[..., c, m]. */
function naiveDepthwise(x: Arr, k: Arr, s: number[], d: number[], padding: "valid" | "same"): Arr {
  const r = x.shape.length - 2;
  const ks = k.shape.slice(0, r);
  const [c, m] = k.shape.slice(r);
  const sp = x.shape.slice(1, -1);
  const geo = sp.map((n, i) => {
    const dk = (ks[i] - 1) * d[i] + 1;
    if (padding === "valid") return [Math.floor((n - dk) / s[i]) + 1, 0];
    const out = Math.ceil(n / s[i]);
    return [out, Math.floor(Math.max((out - 1) * s[i] + dk - n, 0) / 2)];
  });
  const outShape = [x.shape[0], ...geo.map((g) => g[0]), c * m];
  const data = new Array<number>(sizeOf(outShape)).fill(0);
  for (const [n, ...o] of indices(outShape.slice(0, -1))) {
    for (let ci = 0; ci < c; ci++) {
      for (let mi = 0; mi < m; mi++) {
        let acc = 0;
        for (const kk of indices(ks)) {
          const p = o.map((v, a) => v * s[a] + kk[a] * d[a] - geo[a][1]);
          if (p.some((v, a) => v < 0 || v >= sp[a])) continue;
          acc += x.data[offsetOf(x.shape, [n, ...p, ci])] * k.data[offsetOf(k.shape, [...kk, ci, mi])];
        }
        data[offsetOf(outShape, [n, ...o, ci * m + mi])] = acc;
      }
    }
  }
  return { data, shape: outShape };
}

/** Builds `layer` on `x`, gives every weight random values, returns [output, weights]. */
function runWithRandomWeights(layer: Layer, x: Arr, seed = 1): [Tracer, Arr[]] {
  layer.apply(toKiln(x));
  const ws = layer.weights.map((w, i) => rand([...w.shape], seed + i));
  layer.setWeights(ws.map(toKiln));
  return [layer.apply(toKiln(x)), ws];
}

describe("Conv1DTranspose / Conv2DTranspose / Conv3DTranspose", () => {
  const cases: [string, () => Layer, number[], number[], number[], "valid" | "same", number[] | null][] = [
    ["2-D valid, strides 2", () => new Conv2DTranspose(3, 3, { strides: 2 }), [2, 3, 4, 2], [2, 2], [1, 1], "valid", null],
    ["2-D same, strides 2", () => new Conv2DTranspose(2, 3, { strides: 2, padding: "same" }), [1, 3, 3, 3], [2, 2], [1, 1], "same", null],
    ["2-D same, kernel 4 strides [2, 3]", () => new Conv2DTranspose(2, [4, 2], { strides: [2, 3], padding: "same" }), [1, 3, 2, 2], [2, 3], [1, 1], "same", null],
    ["2-D valid, kernel 2 < stride 3", () => new Conv2DTranspose(2, 2, { strides: 3 }), [1, 2, 2, 1], [3, 3], [1, 1], "valid", null],
    ["2-D valid, outputPadding 1", () => new Conv2DTranspose(2, 3, { strides: 2, outputPadding: 1 }), [1, 3, 3, 2], [2, 2], [1, 1], "valid", [1, 1]],
    ["2-D same, outputPadding [1, 0]", () => new Conv2DTranspose(2, 3, { strides: 2, padding: "same", outputPadding: [1, 0] }), [1, 3, 3, 2], [2, 2], [1, 1], "same", [1, 0]],
    ["2-D same, dilation 2", () => new Conv2DTranspose(2, 3, { dilationRate: 2, padding: "same" }), [1, 5, 4, 2], [1, 1], [2, 2], "same", null],
    ["1-D same, strides 2", () => new Conv1DTranspose(3, 3, { strides: 2, padding: "same" }), [2, 5, 2], [2], [1], "same", null],
    ["3-D valid, strides [2, 1, 2]", () => new Conv3DTranspose(2, 2, { strides: [2, 1, 2] }), [1, 2, 3, 2, 2], [2, 1, 2], [1, 1, 1], "valid", null],
  ];
  for (const [label, make, xShape, s, d, padding, op] of cases) {
    it(label, () => {
      const x = rand(xShape, 3);
      const layer = make();
      const [y, [k, b]] = runWithRandomWeights(layer, x);
      expect(k.shape.slice(-2)).toEqual([b.shape[0], xShape.at(-1)]); // kernelSize + [filters, in]
      expectArray(y, nested(plusBias(naiveConvTranspose(x, k, s, d, padding, op), b)), { atol: 1e-5, rtol: 1e-5 });
    });
  }

  it("channels_first gives the channels_last result, transposed", () => {
    const x = rand([2, 3, 4, 3], 4);
    const last = new Conv2DTranspose(4, 3, { strides: 2, padding: "same" });
    const [yl] = runWithRandomWeights(last, x);
    const first = new Conv2DTranspose(4, 3, { strides: 2, padding: "same", dataFormat: "channels_first" });
    const xf = np.transpose(toKiln(x), [0, 3, 1, 2]);
    first.apply(xf);
    first.setWeights(last.getWeights());
    expectArray(first.apply(xf), np.transpose(yl, [0, 3, 1, 2]).toArray() as number[], { atol: 1e-5 });
  });

  it("symbolic shapes, config round trip and errors", () => {
    const inp = Input({ shape: [5, 6, 3] });
    expect(new Conv2DTranspose(4, 3, { strides: 2, padding: "same" }).apply(inp).shape).toEqual([null, 10, 12, 4]);
    expect(new Conv2DTranspose(4, 3, { strides: 2 }).apply(inp).shape).toEqual([null, 11, 13, 4]);
    expect(new Conv1DTranspose(2, 4, { strides: 3 }).computeOutputShape([null, 4, 1])).toEqual([null, 13, 2]);
    const x = toKiln(rand([1, 3, 3, 2], 5));
    const a = new Conv2DTranspose(2, 3, { strides: 2, outputPadding: 1, activation: "tanh" });
    const ya = a.apply(x);
    const config = JSON.parse(JSON.stringify(a.getConfig()));
    expect(config).toMatchObject({ filters: 2, kernelSize: [3, 3], strides: [2, 2], padding: "valid", outputPadding: [1, 1], activation: "tanh" });
    const b = Conv2DTranspose.fromConfig(config);
    b.apply(x);
    b.setWeights(a.getWeights());
    expectArray(b.apply(x), ya.toArray() as number[]);
    expect(() => new Conv2DTranspose(2, 3, { strides: 2, outputPadding: 2 })).toThrow(/outputPadding must be smaller than its stride/);
    expect(() => new Conv2DTranspose(2, 3, { padding: "causal" as never })).toThrow(/padding must be one of "valid", "same"/);
    expect(() => new Conv2DTranspose(2, 3).apply(np.ones([3, 3, 2]))).toThrow(/expected inputs of rank 4/);
  });
});

describe("DepthwiseConv1D / DepthwiseConv2D", () => {
  it("filters each channel with its own depthMultiplier kernels (Keras weights)", () => {
    const x = rand([2, 5, 6, 3], 6);
    const layer = new DepthwiseConv2D([3, 2], { depthMultiplier: 2, strides: 2, padding: "same" });
    const [y, [k, b]] = runWithRandomWeights(layer, x);
    expect(layer.weights.map((w) => [w.name, w.shape])).toEqual([["kernel", [3, 2, 3, 2]], ["bias", [6]]]);
    expectArray(y, nested(plusBias(naiveDepthwise(x, k, [2, 2], [1, 1], "same"), b)), { atol: 1e-5 });
  });

  it("dilation, 1-D, and channels_first", () => {
    const x = rand([1, 9, 2], 7);
    const l1 = new DepthwiseConv1D(3, { dilationRate: 3 });
    const [y1, [k1, b1]] = runWithRandomWeights(l1, x);
    expectArray(y1, nested(plusBias(naiveDepthwise(x, k1, [1], [3], "valid"), b1)), { atol: 1e-5 });
    const x2 = rand([1, 4, 4, 2], 8);
    const last = new DepthwiseConv2D(2, { depthMultiplier: 3 });
    const [yl] = runWithRandomWeights(last, x2);
    const first = new DepthwiseConv2D(2, { depthMultiplier: 3, dataFormat: "channels_first" });
    const xf = np.transpose(toKiln(x2), [0, 3, 1, 2]);
    first.apply(xf);
    first.setWeights(last.getWeights());
    expectArray(first.apply(xf), np.transpose(yl, [0, 3, 1, 2]).toArray() as number[], { atol: 1e-5 });
  });

  it("config round trip and errors", () => {
    const a = new DepthwiseConv2D(3, { depthMultiplier: 2, padding: "same", activation: "relu" });
    const x = toKiln(rand([1, 4, 4, 2], 9));
    const ya = a.apply(x);
    const config = JSON.parse(JSON.stringify(a.getConfig()));
    expect(config).toMatchObject({ depthMultiplier: 2, kernelSize: [3, 3], padding: "same", depthwiseInitializer: "glorot_uniform" });
    const b = DepthwiseConv2D.fromConfig(config);
    b.apply(x);
    b.setWeights(a.getWeights());
    expectArray(b.apply(x), ya.toArray() as number[]);
    expect(() => new DepthwiseConv2D(3, { depthMultiplier: 0 })).toThrow(/depthMultiplier must be a positive integer/);
    expect(() => a.apply(np.ones([1, 4, 4, 3]))).toThrow(/expected 2 input channels/);
  });
});

describe("SeparableConv1D / SeparableConv2D", () => {
  it("is a depthwise convolution then a pointwise one (Keras weights)", () => {
    const x = rand([2, 6, 5, 3], 10);
    const layer = new SeparableConv2D(4, 3, { depthMultiplier: 2, padding: "same", strides: [1, 2] });
    const [y, [dk, pk, b]] = runWithRandomWeights(layer, x);
    expect(layer.weights.map((w) => [w.name, w.shape])).toEqual([
      ["depthwise_kernel", [3, 3, 3, 2]], ["pointwise_kernel", [1, 1, 6, 4]], ["bias", [4]],
    ]);
    const d = naiveDepthwise(x, dk, [1, 2], [1, 1], "same");
    // Pointwise: out[..., f] = sum_c d[..., c] * pk[0, 0, c, f].
    const outShape = [...d.shape.slice(0, -1), 4];
    const data: number[] = [];
    for (const idx of indices(outShape)) {
      const f = idx.at(-1)!;
      let acc = b.data[f];
      for (let c = 0; c < 6; c++) acc += d.data[offsetOf(d.shape, [...idx.slice(0, -1), c])] * pk.data[c * 4 + f];
      data.push(acc);
    }
    expectArray(y, nested({ data, shape: outShape }), { atol: 1e-5 });
    expect(new SeparableConv1D(2, 3).computeOutputShape([null, 8, 5])).toEqual([null, 6, 2]);
  });

  it("gradients are finite and match finite differences; config round trip", () => {
    const x = toKiln(rand([1, 5, 5, 2], 11));
    const layer = new SeparableConv2D(2, 3, { activation: "tanh" });
    layer.apply(x);
    const [params] = layer.paramsAndState();
    const f = (p: Record<string, Tracer>) => np.sum(np.square(layer.statelessCall(p, {}, x)[0]));
    const g = grad(f)(params) as Record<string, Tracer>;
    for (const k of Object.keys(params)) expect(Array.from(g[k].dataSync()).every(Number.isFinite)).toBe(true);
    const d0 = Array.from(params.depthwise_kernel.dataSync());
    const gd = Array.from(g.depthwise_kernel.dataSync());
    const eps = 1e-2;
    for (const i of [0, 7, 17]) {
      const at = (dv: number) => {
        const v = d0.slice();
        v[i] += dv;
        return f({ ...params, depthwise_kernel: np.array(v).reshape(params.depthwise_kernel.shape) }).item() as number;
      };
      expect(gd[i]).toBeCloseTo((at(eps) - at(-eps)) / (2 * eps), 2);
    }
    const b = SeparableConv2D.fromConfig(JSON.parse(JSON.stringify(layer.getConfig())));
    b.apply(x);
    b.setWeights(layer.getWeights());
    expectArray(b.apply(x), layer.apply(x).toArray() as number[]);
  });

  it("transposed convolution gradients are finite", () => {
    const x = toKiln(rand([1, 3, 3, 2], 12));
    const layer = new Conv2DTranspose(2, 3, { strides: 2, padding: "same" });
    layer.apply(x);
    const [params] = layer.paramsAndState();
    const g = grad((p: Record<string, Tracer>) => np.sum(np.square(layer.statelessCall(p, {}, x)[0])))(params) as Record<string, Tracer>;
    expect(Array.from(g.kernel.dataSync()).every(Number.isFinite)).toBe(true);
    expect(Array.from(g.kernel.dataSync()).some((v) => v !== 0)).toBe(true);
  });

  it("jit gives the eager results", () => {
    const x = toKiln(rand([2, 4, 4, 2], 13));
    for (const layer of [new Conv2DTranspose(3, 3, { strides: 2, padding: "same" }), new DepthwiseConv2D(3, { depthMultiplier: 2 }), new SeparableConv2D(3, 2)]) {
      const eager = layer.apply(x);
      expectArray(jit((t: Tracer) => layer.apply(t))(x), eager.toArray() as number[], { atol: 1e-5 });
    }
  });
});
