import { beforeEach, describe, expect, it } from "vitest";
import { np, grad, jit, type Tracer } from "../../index.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import { type Arr, rand, toKiln, offsetOf, indices } from "../../../tests/helpers/loops.js";
import { Input } from "../input-layer.js";
import type { Layer } from "../layer.js";
import { clearSession } from "../variable.js";
import {
  AveragePooling1D, AveragePooling2D, AveragePooling3D, BasePooling, GlobalAveragePooling1D, GlobalAveragePooling2D,
  GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D,
} from "./pooling.js";

beforeEach(() => clearSession());


/** Channels-last pooling by loops; a "same" window averages only its in-bounds elements (Keras). */
function naivePool(x: Arr, pool: number[], s: number[], padding: "valid" | "same", mode: "max" | "average"): Arr {
  const sp = x.shape.slice(1, -1);
  const c = x.shape.at(-1)!;
  const geo = sp.map((n, i) => {
    if (padding === "valid") return [Math.floor((n - pool[i]) / s[i]) + 1, 0];
    const out = Math.ceil(n / s[i]);
    return [out, Math.floor(Math.max((out - 1) * s[i] + pool[i] - n, 0) / 2)];
  });
  const outShape = [x.shape[0], ...geo.map((g) => g[0]), c];
  const data: number[] = [];
  for (const [n, ...rest] of indices(outShape)) {
    const o = rest.slice(0, -1);
    const ch = rest.at(-1)!;
    const vals: number[] = [];
    for (const w of indices(pool)) {
      const p = o.map((v, a) => v * s[a] + w[a] - geo[a][1]);
      if (p.every((v, a) => v >= 0 && v < sp[a])) vals.push(x.data[offsetOf(x.shape, [n, ...p, ch])]);
    }
    data.push(mode === "max" ? Math.max(...vals) : vals.reduce((a, b) => a + b, 0) / vals.length);
  }
  return { data, shape: outShape };
}

const nested = (a: Arr) => toKiln(a).toArray() as number[];

describe("MaxPooling / AveragePooling against loops", () => {
  const cases: [string, () => BasePooling, number[], number[], number[], "valid" | "same", "max" | "average"][] = [
    ["MaxPooling2D default (2, strides = pool)", () => new MaxPooling2D(), [2, 6, 5, 3], [2, 2], [2, 2], "valid", "max"],
    ["MaxPooling2D 3, strides 1, same", () => new MaxPooling2D(3, { strides: 1, padding: "same" }), [1, 4, 5, 2], [3, 3], [1, 1], "same", "max"],
    ["AveragePooling2D 3, strides 2, same (edge counts)", () => new AveragePooling2D(3, { strides: 2, padding: "same" }), [2, 6, 5, 2], [3, 3], [2, 2], "same", "average"],
    ["AveragePooling2D [2, 3] valid", () => new AveragePooling2D([2, 3]), [1, 5, 7, 2], [2, 3], [2, 3], "valid", "average"],
    ["MaxPooling1D 3, strides 2", () => new MaxPooling1D(3, { strides: 2 }), [2, 9, 2], [3], [2], "valid", "max"],
    ["AveragePooling1D 2, same", () => new AveragePooling1D(2, { padding: "same" }), [2, 7, 3], [2], [2], "same", "average"],
    ["MaxPooling3D same", () => new MaxPooling3D(2, { padding: "same" }), [1, 3, 4, 5, 2], [2, 2, 2], [2, 2, 2], "same", "max"],
    ["AveragePooling3D same, strides 1", () => new AveragePooling3D([2, 3, 2], { strides: 1, padding: "same" }), [1, 3, 4, 3, 1], [2, 3, 2], [1, 1, 1], "same", "average"],
  ];
  for (const [label, make, xShape, pool, s, padding, mode] of cases) {
    it(label, () => {
      const x = rand(xShape, 3);
      expectArray(make().apply(toKiln(x)), nested(naivePool(x, pool, s, padding, mode)), { atol: 1e-6 });
    });
  }

  it("channels_first gives the channels_last result, transposed", () => {
    const x = toKiln(rand([2, 5, 6, 3], 4));
    const xf = np.transpose(x, [0, 3, 1, 2]);
    for (const [a, b] of [
      [new AveragePooling2D(3, { strides: 2, padding: "same" }), new AveragePooling2D(3, { strides: 2, padding: "same", dataFormat: "channels_first" })],
      [new MaxPooling2D(2, { strides: 1 }), new MaxPooling2D(2, { strides: 1, dataFormat: "channels_first" })],
    ]) {
      expectArray(b.apply(xf), np.transpose(a.apply(x), [0, 3, 1, 2]).toArray() as number[], { atol: 1e-6 });
    }
  });

  it("works under jit and infers symbolic shapes", () => {
    const x = toKiln(rand([2, 6, 6, 1], 5));
    const p = new AveragePooling2D(3, { padding: "same", strides: 2 });
    expectArray(jit((t: Tracer) => p.apply(t))(x), p.apply(x).toArray() as number[], { atol: 1e-6 });
    const inp = Input({ shape: [7, 8, 3] });
    expect(new MaxPooling2D(2).apply(inp).shape).toEqual([null, 3, 4, 3]);
    expect(new MaxPooling2D(2, { padding: "same" }).apply(inp).shape).toEqual([null, 4, 4, 3]);
    expect(new AveragePooling1D(4, { strides: 1 }).computeOutputShape([null, 10, 2])).toEqual([null, 7, 2]);
    expect(new MaxPooling3D(2, { dataFormat: "channels_first" }).computeOutputShape([null, 2, 4, 5, 6])).toEqual([null, 2, 2, 2, 3]);
  });

  it("gradients: max routes to the window maximum, average matches finite differences", () => {
    const xa = rand([1, 4, 4, 1], 6);
    const x = toKiln(xa);
    const gm = Array.from(grad((t: Tracer) => np.sum(new MaxPooling2D(2).apply(t)))(x).dataSync());
    const want = new Array<number>(16).fill(0);
    for (let bi = 0; bi < 2; bi++) {
      for (let bj = 0; bj < 2; bj++) {
        const cells = [0, 1].flatMap((i) => [0, 1].map((j) => (2 * bi + i) * 4 + 2 * bj + j));
        want[cells.reduce((a, b) => (xa.data[b] > xa.data[a] ? b : a))] = 1;
      }
    }
    expect(gm).toEqual(want);
    const avg = new AveragePooling2D(3, { strides: 2, padding: "same" });
    const f = (t: Tracer) => np.sum(np.square(avg.apply(t)));
    const ga = Array.from(grad(f)(x).dataSync());
    expect(ga.every(Number.isFinite)).toBe(true);
    const eps = 1e-2;
    for (const i of [0, 5, 15]) {
      const at = (d: number) => f(toKiln({ ...xa, data: xa.data.map((v, j) => (j === i ? v + d : v)) })).item() as number;
      expect(ga[i]).toBeCloseTo((at(eps) - at(-eps)) / (2 * eps), 2);
    }
  });

  it("config round trip and errors", () => {
    const a = new AveragePooling2D([3, 2], { strides: [1, 2], padding: "same", dataFormat: "channels_first" });
    const config = JSON.parse(JSON.stringify(a.getConfig()));
    expect(config).toMatchObject({ poolSize: [3, 2], strides: [1, 2], padding: "same", dataFormat: "channels_first" });
    const b = AveragePooling2D.fromConfig(config);
    expect(b).toBeInstanceOf(AveragePooling2D);
    const x = toKiln(rand([1, 2, 5, 6], 7));
    expectArray(b.apply(x), a.apply(x).toArray() as number[]);
    expect(new MaxPooling1D().getConfig()).toMatchObject({ poolSize: [2], strides: [2], padding: "valid" });
    expect(() => new MaxPooling2D(2, { padding: "full" as never })).toThrow(/padding must be one of "valid", "same"/);
    expect(() => new MaxPooling2D(0)).toThrow(/poolSize must be a positive integer/);
    expect(() => new MaxPooling2D().apply(np.ones([4, 4, 1]))).toThrow(/expected inputs of rank 4 \(batch, d1, d2, channels\)/);
  });
});

describe("global pooling", () => {
  const cases: [string, () => Layer, number[], number[], "max" | "average"][] = [
    ["GlobalAveragePooling1D", () => new GlobalAveragePooling1D(), [2, 5, 3], [1], "average"],
    ["GlobalMaxPooling1D", () => new GlobalMaxPooling1D(), [2, 5, 3], [1], "max"],
    ["GlobalAveragePooling2D", () => new GlobalAveragePooling2D(), [2, 3, 4, 3], [1, 2], "average"],
    ["GlobalMaxPooling2D", () => new GlobalMaxPooling2D(), [2, 3, 4, 3], [1, 2], "max"],
    ["GlobalAveragePooling3D", () => new GlobalAveragePooling3D(), [1, 2, 3, 2, 4], [1, 2, 3], "average"],
    ["GlobalMaxPooling3D", () => new GlobalMaxPooling3D(), [1, 2, 3, 2, 4], [1, 2, 3], "max"],
  ];
  for (const [label, make, shape, axes, mode] of cases) {
    it(label, () => {
      const x = rand(shape, 8);
      const c = shape.at(-1)!;
      const want: number[][] = [];
      for (let n = 0; n < shape[0]; n++) {
        const row: number[] = [];
        for (let ch = 0; ch < c; ch++) {
          const vals = indices(axes.map((a) => shape[a])).map((p) => x.data[offsetOf(shape, [n, ...p, ch])]);
          row.push(mode === "max" ? Math.max(...vals) : vals.reduce((a, b) => a + b, 0) / vals.length);
        }
        want.push(row);
      }
      expectArray(make().apply(toKiln(x)), want, { atol: 1e-6 });
    });
  }

  it("keepdims, channels_first, symbolic shapes and config", () => {
    const x = toKiln(rand([2, 3, 4, 5], 9));
    const k = new GlobalAveragePooling2D({ keepdims: true });
    expect(k.apply(x).shape).toEqual([2, 1, 1, 5]);
    const cf = new GlobalMaxPooling2D({ dataFormat: "channels_first" });
    expectArray(cf.apply(x), np.max(x, { axis: [2, 3] }).toArray() as number[]);
    expect(new GlobalMaxPooling3D({ keepdims: true, dataFormat: "channels_first" }).computeOutputShape([null, 4, 2, 3, 5])).toEqual([null, 4, 1, 1, 1]);
    expect(new GlobalAveragePooling1D().apply(Input({ shape: [7, 3] })).shape).toEqual([null, 3]);
    const config = JSON.parse(JSON.stringify(k.getConfig()));
    expect(config).toMatchObject({ keepdims: true, dataFormat: "channels_last" });
    const b = GlobalAveragePooling2D.fromConfig(config);
    expectArray(b.apply(x), k.apply(x).toArray() as number[]);
    expect(() => new GlobalAveragePooling2D().apply(np.ones([2, 3, 4]))).toThrow(/expected inputs of rank 4/);
  });
});
