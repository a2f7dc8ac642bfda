import { beforeEach, describe, expect, it } from "vitest";
import { np, grad, jit, type Tracer } from "../../index.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import { rand, toKiln, offsetOf, indices } from "../../../tests/helpers/loops.js";
import { Input } from "../input-layer.js";
import { clearSession } from "../variable.js";
import {
  Cropping1D, Cropping2D, Cropping3D, UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
} from "./reshaping.js";

beforeEach(() => clearSession());

/** An array whose value at each output index is `f(index)`. */
function build(shape: number[], f: (idx: number[]) => number): number[] {
  return np.array(indices(shape).map(f)).reshape(shape).toArray() as number[];
}

describe("UpSampling", () => {
  it("UpSampling1D repeats steps", () => {
    const x = np.array([[[1, 2], [3, 4]]]);
    expectArray(new UpSampling1D(3).apply(x), [[[1, 2], [1, 2], [1, 2], [3, 4], [3, 4], [3, 4]]]);
  });

  it("UpSampling2D nearest repeats rows and columns, in both data formats", () => {
    const x = rand([2, 3, 2, 3], 1);
    const y = new UpSampling2D([2, 3]).apply(toKiln(x));
    expectArray(y, build([2, 6, 6, 3], ([n, i, j, c]) => x.data[offsetOf(x.shape, [n, Math.floor(i / 2), Math.floor(j / 3), c])]));
    const xf = np.transpose(toKiln(x), [0, 3, 1, 2]);
    const yf = new UpSampling2D([2, 3], { dataFormat: "channels_first" }).apply(xf);
    expectArray(yf, np.transpose(y, [0, 3, 1, 2]).toArray() as number[]);
  });

  it("UpSampling2D bilinear: half-pixel centers, edges clamped (jax.image.resize)", () => {
    // f(i, j) = 2i + j is linear, so bilinear reproduces it at the clamped sample positions.
    const x = np.array([[[[0], [1]], [[2], [3]]]]);
    const a = [0, 0.25, 0.75, 1];
    expectArray(new UpSampling2D(2, { interpolation: "bilinear" }).apply(x), build([1, 4, 4, 1], ([, r, c]) => 2 * a[r] + a[c]));
    // A random image, factors (3, 2), against the interpolation written out per output pixel.
    const xr = rand([1, 3, 4, 2], 2);
    const pos = (o: number, f: number, n: number): [number, number, number] => {
      const p = (o + 0.5) / f - 0.5;
      const i = Math.floor(p);
      return [Math.min(Math.max(i, 0), n - 1), Math.min(i + 1, n - 1), p - i];
    };
    const want = build([1, 9, 8, 2], ([n, r, c, ch]) => {
      const [r0, r1, wr] = pos(r, 3, 3);
      const [c0, c1, wc] = pos(c, 2, 4);
      const v = (i: number, j: number) => xr.data[offsetOf(xr.shape, [n, i, j, ch])];
      return (1 - wr) * ((1 - wc) * v(r0, c0) + wc * v(r0, c1)) + wr * ((1 - wc) * v(r1, c0) + wc * v(r1, c1));
    });
    expectArray(new UpSampling2D([3, 2], { interpolation: "bilinear" }).apply(toKiln(xr)), want, { atol: 1e-6 });
  });

  it("UpSampling3D repeats voxels", () => {
    const x = rand([1, 2, 2, 1, 2], 3);
    expectArray(
      new UpSampling3D([1, 2, 3]).apply(toKiln(x)),
      build([1, 2, 4, 3, 2], ([n, d, h, w, c]) => x.data[offsetOf(x.shape, [n, d, Math.floor(h / 2), Math.floor(w / 3), c])]),
    );
  });

  it("symbolic shapes, config round trip, gradients and errors", () => {
    expect(new UpSampling2D([2, 3]).apply(Input({ shape: [4, 5, 3] })).shape).toEqual([null, 8, 15, 3]);
    expect(new UpSampling1D().computeOutputShape([null, 5, 2])).toEqual([null, 10, 2]);
    expect(new UpSampling3D(2, { dataFormat: "channels_first" }).computeOutputShape([null, 3, 1, 2, 3])).toEqual([null, 3, 2, 4, 6]);
    const a = new UpSampling2D([2, 1], { interpolation: "bilinear" });
    const config = JSON.parse(JSON.stringify(a.getConfig()));
    expect(config).toMatchObject({ size: [2, 1], interpolation: "bilinear", dataFormat: "channels_last" });
    const x = toKiln(rand([1, 3, 3, 1], 4));
    expectArray(UpSampling2D.fromConfig(config).apply(x), a.apply(x).toArray() as number[]);
    expect(UpSampling1D.fromConfig(new UpSampling1D(4).getConfig()).size).toEqual([4]);
    // Bilinear is linear: d sum(y * w) / dx is the interpolation's transpose, checked by finite differences.
    const w = toKiln(rand([1, 6, 3, 1], 5));
    const f = (t: Tracer) => np.sum(a.apply(t).mul(w));
    const g = Array.from(grad(f)(x).dataSync());
    const x0 = Array.from(x.dataSync());
    for (const i of [0, 4, 8]) {
      const at = (d: number) => f(np.array(x0.map((v, j) => (j === i ? v + d : v))).reshape([1, 3, 3, 1])).item() as number;
      expect(g[i]).toBeCloseTo((at(0.1) - at(-0.1)) / 0.2, 3);
    }
    expect(() => new UpSampling3D(2, { interpolation: "bilinear" } as never)).toThrow(/interpolation must be "nearest"/);
    expect(() => new UpSampling2D(2, { interpolation: "bicubic" as never })).toThrow(/"nearest" or "bilinear"/);
    expect(() => new UpSampling2D([2, 0])).toThrow(/size must be a positive integer/);
    expect(() => new UpSampling2D().apply(np.ones([2, 2, 1]))).toThrow(/expected inputs of rank 4/);
  });
});

describe("ZeroPadding and Cropping", () => {
  it("ZeroPadding1D/2D/3D put zeros around the spatial axes only", () => {
    const x1 = rand([2, 3, 2], 6);
    expectArray(new ZeroPadding1D([1, 2]).apply(toKiln(x1)), build([2, 6, 2], ([n, t, c]) => (t >= 1 && t < 4 ? x1.data[offsetOf(x1.shape, [n, t - 1, c])] : 0)));
    const x2 = rand([1, 2, 3, 2], 7);
    expectArray(
      new ZeroPadding2D([[1, 0], [2, 1]]).apply(toKiln(x2)),
      build([1, 3, 6, 2], ([n, i, j, c]) => (i >= 1 && j >= 2 && j < 5 ? x2.data[offsetOf(x2.shape, [n, i - 1, j - 2, c])] : 0)),
    );
    const xf = np.transpose(toKiln(x2), [0, 3, 1, 2]);
    const yf = new ZeroPadding2D(1, { dataFormat: "channels_first" }).apply(xf);
    expectArray(yf, np.transpose(new ZeroPadding2D().apply(toKiln(x2)), [0, 3, 1, 2]).toArray() as number[]);
    const x3 = rand([1, 1, 2, 1, 1], 8);
    expect(new ZeroPadding3D([1, 0, 2]).apply(toKiln(x3)).shape).toEqual([1, 3, 2, 5, 1]);
  });

  it("Cropping1D/2D/3D remove borders", () => {
    const x1 = rand([1, 6, 2], 9);
    expectArray(new Cropping1D([2, 1]).apply(toKiln(x1)), build([1, 3, 2], ([n, t, c]) => x1.data[offsetOf(x1.shape, [n, t + 2, c])]));
    const x2 = rand([2, 5, 6, 1], 10);
    expectArray(
      new Cropping2D([[1, 2], [0, 3]]).apply(toKiln(x2)),
      build([2, 2, 3, 1], ([n, i, j, c]) => x2.data[offsetOf(x2.shape, [n, i + 1, j, c])]),
    );
    expectArray(new Cropping2D(1, { dataFormat: "channels_first" }).apply(np.transpose(toKiln(x2), [0, 3, 1, 2])),
      np.transpose(new Cropping2D([1, 1]).apply(toKiln(x2)), [0, 3, 1, 2]).toArray() as number[]);
    const x3 = rand([1, 3, 4, 5, 2], 11);
    expectArray(
      new Cropping3D().apply(toKiln(x3)),
      build([1, 1, 2, 3, 2], ([n, d, h, w, c]) => x3.data[offsetOf(x3.shape, [n, d + 1, h + 1, w + 1, c])]),
    );
  });

  it("symbolic shapes, config round trip, gradients and errors", () => {
    const inp = Input({ shape: [6, 7, 2] });
    expect(new ZeroPadding2D([1, 2]).apply(inp).shape).toEqual([null, 8, 11, 2]);
    expect(new Cropping2D([[1, 1], [2, 0]]).apply(inp).shape).toEqual([null, 4, 5, 2]);
    expect(new Cropping1D().computeOutputShape([null, 5, 3])).toEqual([null, 3, 3]);
    expect(new ZeroPadding1D(2).getConfig()).toMatchObject({ padding: [2, 2] });
    const a = new Cropping2D([[1, 0], [0, 2]], { dataFormat: "channels_first" });
    const config = JSON.parse(JSON.stringify(a.getConfig()));
    expect(config).toMatchObject({ cropping: [[1, 0], [0, 2]], dataFormat: "channels_first" });
    const x = toKiln(rand([1, 2, 4, 5], 12));
    expectArray(Cropping2D.fromConfig(config).apply(x), a.apply(x).toArray() as number[]);
    const z = ZeroPadding3D.fromConfig(JSON.parse(JSON.stringify(new ZeroPadding3D([[1, 0], [0, 1], [2, 2]]).getConfig())));
    expect(z.pairs).toEqual([[1, 0], [0, 1], [2, 2]]);
    const g = grad((t: Tracer) => np.sum(np.square(new ZeroPadding1D(1).apply(new Cropping1D([1, 0]).apply(t)))))(np.ones([1, 4, 1]));
    expectArray(g, [[[0], [2], [2], [2]]]);
    expect(() => new Cropping2D([[2, 2], [0, 0]]).apply(np.ones([1, 4, 4, 1]))).toThrow(/cropping \[2,2\] removes all of axis 1 \(size 4\)/);
    expect(() => new ZeroPadding2D([1, 2, 3])).toThrow(/padding must be a non-negative integer, a list of 2 integers or of 2 \[before, after\] pairs/);
    expect(() => new ZeroPadding1D(-1)).toThrow(/padding must be a non-negative integer/);
    expect(() => new Cropping1D().apply(np.ones([4, 2]))).toThrow(/expected inputs of rank 3 \(batch, steps, features\)/);
  });
});

it("reshaping layers under jit give the eager results", () => {
  const x = toKiln(rand([1, 4, 5, 2], 13));
  for (const layer of [new UpSampling2D(2, { interpolation: "bilinear" }), new UpSampling2D([1, 2]), new ZeroPadding2D([[1, 0], [0, 2]]), new Cropping2D([[1, 1], [2, 0]])]) {
    expectArray(jit((t: Tracer) => layer.apply(t))(x), layer.apply(x).toArray() as number[], { atol: 1e-6 });
  }
});
