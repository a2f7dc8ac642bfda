import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { lax, makeJaxpr, np } from "../index.js";
import { ShapeError } from "../ir/index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";

const arr = (data: number[], shape: number[]) => np.array(data, { shape });
const range = (n: number) => [...Array(n).keys()];

describe("lax.convGeneralDilated: 1-D (NCW / OIW)", () => {
  const x = arr([1, 2, 3, 4, 5], [1, 1, 5]);
  const w = arr([1, 0, -1], [1, 1, 3]);

  it("cross-correlates with VALID padding", () => {
    // out[i] = x[i] - x[i + 2]
    expectArray(lax.convGeneralDilated(x, w, [1], "VALID"), [[[-2, -2, -2]]]);
  });

  it("pads SAME with stride 2 (ceil(5/2) = 3 outputs, pads (1, 1))", () => {
    // padded [0,1,2,3,4,5,0], windows start at 0, 2, 4
    expectArray(lax.convGeneralDilated(x, w, [2], "SAME"), [[[-2, -2, 4]]]);
  });

  it("puts odd SAME padding at the end and SAME_LOWER padding at the start", () => {
    const x4 = arr([1, 2, 3, 4], [1, 1, 4]);
    const w2 = arr([1, 10], [1, 1, 2]);
    expectArray(lax.convGeneralDilated(x4, w2, [1], "SAME"), [[[21, 32, 43, 4]]]);
    expectArray(lax.convGeneralDilated(x4, w2, [1], "SAME_LOWER"), [[[10, 21, 32, 43]]]);
    expectArray(lax.convGeneralDilated(x4, w2, [1], [[1, 0]]), [[[10, 21, 32, 43]]]);
  });

  it("accepts negative padding, which crops the input", () => {
    // cropped input [2, 3, 4], correlated with [1, 0, -1]
    expectArray(lax.convGeneralDilated(x, w, [1], [[-1, -1]]), [[[-2]]]);
  });

  it("dilates the kernel (atrous) and sizes SAME padding from the dilated kernel", () => {
    const w2 = arr([1, 1], [1, 1, 2]);
    // effective kernel [1, 0, 1]
    expectArray(lax.convGeneralDilated(x, w2, [1], "VALID", { rhsDilation: [2] }), [[[4, 6, 8]]]);
    expectArray(lax.convGeneralDilated(x, w2, [1], "SAME", { rhsDilation: [2] }), [[[2, 4, 6, 8, 4]]]);
  });

  it("dilates the input (transposed convolution)", () => {
    // dilated input [1, 0, 2, 0, 3]
    const x3 = arr([1, 2, 3], [1, 1, 3]);
    expectArray(lax.convGeneralDilated(x3, arr([1, 1], [1, 1, 2]), [1], "VALID", { lhsDilation: [2] }), [[[1, 2, 2, 3]]]);
  });

  it("computes depthwise convolution with featureGroupCount", () => {
    const xc = arr([1, 2, 3, 10, 20, 30], [1, 2, 3]);
    const wd = arr([1, 1, 1, -1], [2, 1, 2]);
    expectArray(lax.convGeneralDilated(xc, wd, [1], "VALID", { featureGroupCount: 2 }), [[[3, 5], [-10, -10]]]);
  });

  it("splits the batch into groups with batchGroupCount (group-major)", () => {
    // batch 0 -> output feature 0, batch 1 -> output feature 1
    const xb = arr([1, 2, 3, 4, 5, 6], [2, 1, 3]);
    const wb = arr([1, 1, 1, 0], [2, 1, 2]);
    expectArray(lax.convGeneralDilated(xb, wb, [1], "VALID", { batchGroupCount: 2 }), [[[3, 5], [4, 5]]]);
    // batch 4 in 2 groups of 2: output batch b, feature g reads input batch g * 2 + b
    const x4 = arr([1, 2, 3, 4], [4, 1, 1]);
    const w4 = arr([1, 10], [2, 1, 1]);
    expectArray(lax.convGeneralDilated(x4, w4, [1], "VALID", { batchGroupCount: 2 }), [[[1], [30]], [[2], [40]]]);
  });

  it("keeps int32 and honours preferredElementType", () => {
    const xi = np.array([1, 2, 3], { dtype: "int32", shape: [1, 1, 3] });
    const wi = np.array([2, 1], { dtype: "int32", shape: [1, 1, 2] });
    expectArray(lax.convGeneralDilated(xi, wi, [1], "VALID"), [[[4, 7]]], { dtype: "int32" });
    const xf = np.array([1, 2, 3], { dtype: "float32", shape: [1, 1, 3] });
    const wf = np.array([2, 1], { dtype: "float32", shape: [1, 1, 2] });
    expect(lax.convGeneralDilated(xf, wf, [1], "VALID", { preferredElementType: "float64" }).dtype).toBe("float64");
  });
});

describe("lax.convGeneralDilated: 2-D", () => {
  // x[h, w] = 4h + w in NHWC [1, 4, 4, 1]
  const x = arr(range(16), [1, 4, 4, 1]);

  it("pools 2x2 blocks with stride 2 in NHWC / HWIO, two output channels", () => {
    // channel 0: all-ones kernel; channel 1 picks the top-left element. HWIO = [2, 2, 1, 2].
    const w = arr([1, 1, 1, 0, 1, 0, 1, 0], [2, 2, 1, 2]);
    const y = lax.convGeneralDilated(x, w, [2, 2], "VALID", { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] });
    expectArray(y, [[[[10, 0], [18, 2]], [[42, 8], [50, 10]]]]);
  });

  it("counts neighbours with SAME padding", () => {
    const ones = np.ones([1, 1, 3, 3]);
    expectArray(lax.conv(ones, np.ones([1, 1, 3, 3]), [1, 1], "SAME"), [[[[4, 6, 4], [6, 9, 6], [4, 6, 4]]]]);
  });

  it("agrees between NCHW/OIHW and NHWC/HWIO layouts", () => {
    const w = arr([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3, 1, 1]);
    const nhwc = lax.convGeneralDilated(x, w, [1, 1], "SAME", { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] });
    const nchw = lax.convGeneralDilated(
      lax.transpose(x, [0, 3, 1, 2]), lax.transpose(w, [3, 2, 0, 1]), [1, 1], "SAME",
    );
    expectArray(lax.transpose(nchw, [0, 2, 3, 1]), nhwc.toArray() as number[]);
    // top-left output: x[0..1, 0..1] against w[1..2, 1..2]
    expect((nhwc.toArray() as number[][][][])[0][0][0][0]).toBe(0 * 5 + 1 * 6 + 4 * 8 + 5 * 9);
  });

  it("stages one conv_general_dilated equation under makeJaxpr", () => {
    const j = makeJaxpr((a: np.Array, b: np.Array) => lax.conv(a, b, [1, 1], "VALID"))(
      np.zeros([2, 3, 5, 5]), np.zeros([4, 3, 3, 3]),
    );
    expect(j.toString()).toContain("conv_general_dilated");
    expect(j.toString()).toContain("f32[2,4,3,3]");
  });

  it("names what fits when shapes disagree", () => {
    expect(() => lax.conv(np.zeros([1, 3, 5, 5]), np.zeros([4, 2, 3, 3]), [1, 1], "VALID")).toThrow(ShapeError);
    expect(() => lax.conv(np.zeros([1, 4, 5, 5]), np.zeros([4, 2, 3, 3]), [1, 1], "VALID")).toThrow(
      /lhs feature size 4 .* must equal the rhs input feature size 2; set featureGroupCount 2/,
    );
    expect(() => lax.conv(np.zeros([1, 3, 5, 5]), np.zeros([4, 3, 3]), [1, 1], "VALID")).toThrow(/same rank/);
    expect(() => lax.conv(np.zeros([1, 3, 5, 5]), np.zeros([4, 3, 3, 3]), [1], "VALID")).toThrow(/one window size and stride per windowed axis/);
    expect(() =>
      lax.convGeneralDilated(np.zeros([1, 5, 5, 3]), np.zeros([3, 3, 3, 4]), [1, 1], "VALID", {
        dimensionNumbers: ["NHWC", "HWOO", "NHWC"],
      }),
    ).toThrow(/dimensionNumbers\[1\] "HWOO" must contain 'O' and 'I' exactly once/);
    expect(() => lax.conv(np.zeros([1, 3, 5, 5]), np.zeros([4, 3, 3, 3]), [1, 1], "FULL" as "SAME")).toThrow(/unrecognized padding/);
  });
});

describe("lax.convDimensionNumbers and padtypeToPads", () => {
  it("orders lhs/out spatial axes by the rhs letters, as JAX does", () => {
    expect(lax.convDimensionNumbers([1, 5, 5, 3], [3, 3, 3, 8], ["NHWC", "HWIO", "NHWC"])).toEqual({
      lhsSpec: [0, 3, 1, 2], rhsSpec: [3, 2, 0, 1], outSpec: [0, 3, 1, 2],
    });
    expect(lax.convDimensionNumbers([1, 3, 5, 5], [8, 3, 3, 3], ["NCHW", "OIWH", "NCHW"])).toEqual({
      lhsSpec: [0, 1, 3, 2], rhsSpec: [0, 1, 2, 3], outSpec: [0, 1, 3, 2],
    });
  });

  it("computes SAME / SAME_LOWER / VALID pads", () => {
    expect(lax.padtypeToPads([5], [3], [2], "SAME")).toEqual([[1, 1]]);
    expect(lax.padtypeToPads([4, 4], [2, 4], [1, 1], "SAME")).toEqual([[0, 1], [1, 2]]);
    expect(lax.padtypeToPads([4, 4], [2, 4], [1, 1], "SAME_LOWER")).toEqual([[1, 0], [2, 1]]);
    expect(lax.padtypeToPads([6], [2], [3], "SAME")).toEqual([[0, 0]]);
    expect(lax.padtypeToPads([4], [3], [1], "valid" as "VALID")).toEqual([[0, 0]]);
  });
});

describe("lax.convTranspose", () => {
  it("upsamples with SAME padding to in * stride (NHWC / HWIO defaults)", () => {
    const y = lax.convTranspose(arr([1, 2], [1, 2, 1]), arr([1, 1, 1], [3, 1, 1]), [2], "SAME");
    // SAME: k=3, s=2: pad_len 3, s > k - 1 is false, lo = ceil(3/2) = 2, hi = 1 -> [0,0,1,0,2,0]
    expectArray(y, [[[1], [1], [3], [2]]]);
    const v = lax.convTranspose(arr([1, 2], [1, 2, 1]), arr([1, 1, 1], [3, 1, 1]), [2], "VALID");
    // VALID: pads (2, 2) -> [0,0,1,0,2,0,0]; out = 2 * 2 + max(3 - 2, 0) = 5
    expectArray(v, [[[1], [1], [3], [2], [2]]]);
  });

  it("with transposeKernel is the input gradient of a strided conv (adjoint identity)", () => {
    // <conv(x, w), g> = <x, convTranspose(g, w, transposeKernel)> for SAME with in divisible by stride
    const x = arr(range(8).map((i) => (i % 3) - 1), [1, 4, 2]);
    const w = arr(range(12).map((i) => (i % 5) - 2), [3, 2, 2]);
    const g = arr([1, -2, 3, 0.5], [1, 2, 2]);
    const dn = ["NWC", "WIO", "NWC"] as const;
    const y = lax.convGeneralDilated(x, w, [2], "SAME", { dimensionNumbers: dn });
    expect([...y.shape]).toEqual([1, 2, 2]);
    const gx = lax.convTranspose(g, w, [2], "SAME", { dimensionNumbers: dn, transposeKernel: true });
    expect([...gx.shape]).toEqual([1, 4, 2]);
    const lhs = np.sum(np.multiply(y, g)).item() as number;
    const rhs = np.sum(np.multiply(x, gx)).item() as number;
    expect(rhs).toBeCloseTo(lhs, 5);
  });
});

describe("lax.reduceWindow", () => {
  const x = arr([1, 5, 2, 0, 3, 4, 8, 1, 0, 2, 9, 7, 6, 1, 3, 3], [4, 4]);

  it("max-pools and sum-pools 2x2 windows with stride 2", () => {
    expectArray(lax.reduceWindow(x, "max", [2, 2], [2, 2], "VALID"), [[5, 8], [6, 9]]);
    expectArray(lax.reduceWindow(x, "sum", [2, 2], [2, 2], "VALID"), [[13, 11], [9, 22]]);
    expectArray(lax.reduceWindow(x, "min", [2, 2], [2, 2], "VALID"), [[1, 0], [0, 3]]);
  });

  it("pads with the identity: -inf for max, 0 for sum", () => {
    const n = arr([-1, -2, -3], [3]);
    expectArray(lax.reduceWindow(n, "max", [2], [1], [[1, 1]]), [-1, -1, -2, -3]);
    expectArray(lax.reduceWindow(n, "sum", [3], [1], "SAME"), [-3, -6, -5]);
    expectArray(lax.reduceWindow(n, "max", [3], [1], [[3, 0]]), [-Infinity, -1, -1, -1]);
  });

  it("dilates the window and the base", () => {
    const v = arr([1, 2, 3, 4, 5], [5]);
    expectArray(lax.reduceWindow(v, "sum", [2], [1], "VALID", { windowDilation: [2] }), [4, 6, 8]);
    // base dilation 2: [1, _, 2, _, 3] with holes as the identity 0
    expectArray(lax.reduceWindow(arr([1, 2, 3], [3]), "sum", [2], [1], "VALID", { baseDilation: [2] }), [1, 2, 2, 3]);
  });

  it("keeps integer dtypes, with integer identities", () => {
    const xi = np.array([-5, -7, 3], { dtype: "int32" });
    expectArray(lax.reduceWindow(xi, "max", [2], [1], [[1, 0]]), [-5, -5, 3], { dtype: "int32" });
  });

  it("names the mismatch", () => {
    expect(() => lax.reduceWindow(x, "max", [2], [2], "VALID")).toThrow(/one window size and stride per windowed axis/);
    expect(() => lax.reduceWindow(x, "max", [2, 2], [2, 0], [[0, 0], [0, 0]])).toThrow(/windowStrides must hold integers >= 1/);
    expect(() => lax.reduceWindow(x, "avg" as "sum", [2, 2], [2, 2], "VALID")).toThrow(/kind must be/);
  });
});

describe("lax.selectAndScatterAdd", () => {
  it("routes each window's gradient to its max on a 4x4 max-pool", () => {
    const x = arr([1, 5, 2, 0, 3, 4, 8, 1, 0, 2, 9, 7, 6, 1, 3, 3], [4, 4]);
    const g = arr([10, 20, 30, 40], [2, 2]);
    expectArray(lax.selectAndScatterAdd(g, x, [2, 2], [2, 2], "VALID"), [
      [0, 10, 0, 0],
      [0, 0, 20, 0],
      [0, 0, 40, 0],
      [30, 0, 0, 0],
    ]);
  });

  it("sends ties to the first max and sums overlapping windows", () => {
    const x = arr([3, 3, 1, 3], [4]);
    // windows of 2, stride 1: [3,3] -> 0, [3,1] -> 1, [1,3] -> 3
    expectArray(lax.selectAndScatterAdd(arr([1, 2, 4], [3]), x, [2], [1], "VALID"), [1, 2, 0, 4]);
    // overlapping windows selecting the same element add up
    const y = arr([0, 9, 0], [3]);
    expectArray(lax.selectAndScatterAdd(arr([1, 2], [2]), y, [2], [1], "VALID"), [0, 3, 0]);
  });

  it("never selects padding", () => {
    const x = arr([-4, -2], [2]);
    // SAME with window 3: windows [pad,-4,-2], [-4,-2,pad]
    expectArray(lax.selectAndScatterAdd(arr([1, 10], [2]), x, [3], [1], "SAME"), [0, 11]);
  });

  it("checks that source has the pooled shape", () => {
    const x = np.zeros([4, 4]);
    expect(() => lax.selectAndScatterAdd(np.zeros([3, 3]), x, [2, 2], [2, 2], "VALID")).toThrow(
      /source f32\[3,3\] must have the windowed output shape \[2,2\]/,
    );
  });
});

/** Naive NHWC / HWIO conv: explicitly dilate and pad the image, dilate the kernel, slide. */
function naiveConv2d(
  x: number[], [N, H, W, C]: number[], k: number[], [KH, KW, I, O]: number[], strides: number[],
  pads: [number, number][], lhsD: number[], rhsD: number[], groups: number,
): { shape: number[]; data: number[] } {
  const Hd = (H - 1) * lhsD[0] + 1 + pads[0][0] + pads[0][1];
  const Wd = (W - 1) * lhsD[1] + 1 + pads[1][0] + pads[1][1];
  const img = new Map<string, number>();
  for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) {
    const hh = h * lhsD[0] + pads[0][0];
    const ww = w * lhsD[1] + pads[1][0];
    if (hh >= 0 && hh < Hd && ww >= 0 && ww < Wd) img.set(`${n},${hh},${ww},${c}`, x[((n * H + h) * W + w) * C + c]);
  }
  const KHd = (KH - 1) * rhsD[0] + 1;
  const KWd = (KW - 1) * rhsD[1] + 1;
  const OH = Hd >= KHd ? Math.floor((Hd - KHd) / strides[0]) + 1 : 0;
  const OW = Wd >= KWd ? Math.floor((Wd - KWd) / strides[1]) + 1 : 0;
  const data: number[] = [];
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let o = 0; o < O; o++) {
    const g = Math.floor(o / (O / groups));
    let s = 0;
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) for (let i = 0; i < I; i++) {
      const v = img.get(`${n},${oh * strides[0] + kh * rhsD[0]},${ow * strides[1] + kw * rhsD[1]},${g * I + i}`) ?? 0;
      s += v * k[((kh * KW + kw) * I + i) * O + o];
    }
    data.push(s);
  }
  return { shape: [N, OH, OW, O], data };
}

describe("conv2d property", () => {
  it("matches a naive loop over random shapes, strides, paddings, dilations and groups", () => {
    const small = fc.integer({ min: 1, max: 3 });
    fc.assert(
      fc.property(
        fc.record({
          N: fc.integer({ min: 1, max: 2 }), H: fc.integer({ min: 1, max: 5 }), W: fc.integer({ min: 1, max: 5 }),
          G: fc.integer({ min: 1, max: 2 }), I: fc.integer({ min: 1, max: 2 }), Og: fc.integer({ min: 1, max: 2 }),
          KH: small, KW: small, sh: fc.integer({ min: 1, max: 2 }), sw: fc.integer({ min: 1, max: 2 }),
          lh: fc.integer({ min: 1, max: 2 }), lw: fc.integer({ min: 1, max: 2 }),
          rh: fc.integer({ min: 1, max: 2 }), rw: fc.integer({ min: 1, max: 2 }),
          pads: fc.array(fc.integer({ min: -1, max: 2 }), { minLength: 4, maxLength: 4 }),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        (r) => {
          const C = r.G * r.I;
          const O = r.G * r.Og;
          const xs = [r.N, r.H, r.W, C];
          const ks = [r.KH, r.KW, r.I, O];
          const val = (i: number) => ((i * 7 + r.seed) % 7) - 3;
          const xd = range(xs.reduce((a, b) => a * b)).map(val);
          const kd = range(ks.reduce((a, b) => a * b)).map((i) => val(i + 3));
          const pads: [number, number][] = [[r.pads[0], r.pads[1]], [r.pads[2], r.pads[3]]];
          const want = naiveConv2d(xd, xs, kd, ks, [r.sh, r.sw], pads, [r.lh, r.lw], [r.rh, r.rw], r.G);
          const got = lax.convGeneralDilated(arr(xd, xs), arr(kd, ks), [r.sh, r.sw], pads, {
            lhsDilation: [r.lh, r.lw], rhsDilation: [r.rh, r.rw], featureGroupCount: r.G,
            dimensionNumbers: ["NHWC", "HWIO", "NHWC"],
          });
          expect([...got.shape]).toEqual(want.shape);
          expect(Array.from(got.dataSync())).toEqual(want.data);
        },
      ),
      { numRuns: propertyRuns() },
    );
  });
});
