import { describe, expect, it } from "vitest";
import { type DType, Prim, type PrimParams, type WindowParams, abstractEval, allocTyped } from "../../ir/index.js";
import { ShapedArray } from "../../ir/aval.js";
import { convImpls } from "./conv.js";
import type { RefArray } from "./ref-array.js";

const ref = (data: number[], shape: number[], dtype: DType = "float32"): RefArray => {
  const d = allocTyped(dtype, data.length);
  d.set(data);
  return { data: d, shape, dtype };
};
const aval = (x: RefArray) => new ShapedArray(x.shape, x.dtype);

/** Runs the impl of `prim` after its shape rule, as the backend does. */
function run<P extends Prim.ConvGeneralDilated | Prim.ReduceWindowSum | Prim.ReduceWindowMax | Prim.ReduceWindowMin | Prim.SelectAndScatterAdd>(
  prim: P, xs: RefArray[], params: PrimParams[P],
): { data: number[]; shape: readonly number[] } {
  const outs = abstractEval(prim, xs.map(aval), params);
  const impl = convImpls[prim] as (a: RefArray[], p: PrimParams[P], o: ShapedArray[]) => ArrayLike<number>[];
  return { data: Array.from(impl(xs, params, outs)[0]), shape: outs[0].shape };
}

const iota = (n: number) => [...Array(n).keys()];
const convP = (ns: number, over: Partial<PrimParams[Prim.ConvGeneralDilated]> = {}): PrimParams[Prim.ConvGeneralDilated] => ({
  windowStrides: Array(ns).fill(1), padding: Array(ns).fill([0, 0]), lhsDilation: Array(ns).fill(1),
  rhsDilation: Array(ns).fill(1), dimensionNumbers: { lhsSpec: iota(ns + 2), rhsSpec: iota(ns + 2), outSpec: iota(ns + 2) },
  featureGroupCount: 1, batchGroupCount: 1, preferredElementType: null, ...over,
});
const winP = (n: number, over: Partial<WindowParams> = {}): WindowParams => ({
  windowDimensions: Array(n).fill(1), windowStrides: Array(n).fill(1), padding: Array(n).fill([0, 0]),
  baseDilation: Array(n).fill(1), windowDilation: Array(n).fill(1), ...over,
});

describe("reference conv_general_dilated", () => {
  it("convolves 3-D volumes (NCDHW)", () => {
    // 2x2x2 volume 0..7 against an all-ones 2x2x2 kernel: one output, the sum 28
    const y = run(Prim.ConvGeneralDilated, [ref(iota(8), [1, 1, 2, 2, 2]), ref(Array(8).fill(1), [1, 1, 2, 2, 2])], convP(3));
    expect(y).toEqual({ data: [28], shape: [1, 1, 1, 1, 1] });
  });

  it("wraps int32 sums like XLA", () => {
    const y = run(
      Prim.ConvGeneralDilated,
      [ref([2 ** 30, 2 ** 30], [1, 1, 2], "int32"), ref([2, 1], [1, 1, 2], "int32")],
      convP(1),
    );
    expect(y.data).toEqual([-(2 ** 30)]); // 3 * 2^30 wraps to -2^30
  });

  it("computes bool convolutions as or-of-ands", () => {
    const y = run(
      Prim.ConvGeneralDilated,
      [ref([0, 1, 0, 0], [1, 1, 4], "bool"), ref([1, 1], [1, 1, 2], "bool")],
      convP(1),
    );
    expect(y.data).toEqual([1, 1, 0]);
  });

  it("writes the output in the layout of outSpec", () => {
    // two output features in an out layout [feature, batch, W] (outSpec [1, 0, 2])
    const y = run(
      Prim.ConvGeneralDilated,
      [ref([1, 2, 3], [1, 1, 3]), ref([1, 2], [2, 1, 1])],
      convP(1, { dimensionNumbers: { lhsSpec: [0, 1, 2], rhsSpec: [0, 1, 2], outSpec: [1, 0, 2] } }),
    );
    expect(y).toEqual({ data: [1, 2, 3, 2, 4, 6], shape: [2, 1, 3] });
  });
});

describe("reference reduce_window", () => {
  it("propagates NaN through max and min", () => {
    const y = run(Prim.ReduceWindowMax, [ref([1, NaN, 3, 2], [4])], winP(1, { windowDimensions: [2] }));
    expect(y.data).toEqual([NaN, NaN, 3]);
  });

  it("uses the integer identities for padding", () => {
    const y = run(
      Prim.ReduceWindowMin,
      [ref([5, 7], [2], "uint32")],
      winP(1, { windowDimensions: [2], padding: [[1, 1]] }),
    );
    expect(y.data).toEqual([5, 5, 7]);
    const z = run(Prim.ReduceWindowMax, [ref([-5], [1], "int32")], winP(1, { windowDimensions: [2], padding: [[1, 0]] }));
    expect(z.data).toEqual([-5]);
  });

  it("sums in float64 and rounds once", () => {
    const y = run(Prim.ReduceWindowSum, [ref([1e8, 1, -1e8], [3])], winP(1, { windowDimensions: [3] }));
    expect(y.data).toEqual([1]);
  });
});

describe("reference select_and_scatter_add", () => {
  it("never selects base-dilation holes or padding", () => {
    // operand [-3, -1] dilated to [-3, _, -1]; windows of 2: [-3, _] -> 0, [_, -1] -> 1
    const y = run(
      Prim.SelectAndScatterAdd,
      [ref([5, 7], [2]), ref([-3, -1], [2])],
      winP(1, { windowDimensions: [2], baseDilation: [2] }),
    );
    expect(y.data).toEqual([5, 7]);
  });

  it("handles a window dilation and int32 sources", () => {
    // windows (0, 2) and (1, 3) over [1, 4, 2, 3]: maxima at 2 and 1
    const y = run(
      Prim.SelectAndScatterAdd,
      [ref([10, 20], [2], "int32"), ref([1, 4, 2, 3], [4], "int32")],
      winP(1, { windowDimensions: [2], windowDilation: [2] }),
    );
    expect(y.data).toEqual([0, 20, 10, 0]);
  });
});
