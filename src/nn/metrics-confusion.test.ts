/**
 * @file Precision, Recall, AUC, FBetaScore / F1Score and MeanIoU: Keras docstring values,
 * hand-computed curves and averages, jit == eager, two batches == one batch, `get`, errors.
 */
import { describe, expect, it } from "vitest";
import { np, jit, ShapeError, type Tracer } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";
import * as metrics from "./metrics.js";
import { AUC, F1Score, FBetaScore, MeanIoU, Precision, Recall } from "./metrics-confusion.js";

const run = (m: metrics.Metric, yt: unknown, yp: unknown, w?: unknown) => {
  m.resetState();
  m.updateState(yt as number[], yp as number[], w as number[] | undefined);
  return m.result();
};

describe("Precision and Recall (Keras docs)", () => {
  it("default threshold 0.5, sample weights", () => {
    expectArray(run(new Precision(), [0, 1, 1, 1], [1, 0, 1, 1]), 2 / 3);
    expectArray(run(new Precision(), [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0]), 1);
    expectArray(run(new Recall(), [0, 1, 1, 1], [1, 0, 1, 1]), 2 / 3);
    expectArray(run(new Recall(), [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0]), 1);
    expectArray(run(new Precision(), [0, 0], [0.2, 0.3]), 0); // no positives predicted: 0, not NaN
  });

  it("topK (ties keep the first indices) and classId", () => {
    expectArray(run(new Precision({ topK: 2 }), [0, 0, 1, 1], [1, 1, 1, 1]), 0);
    expectArray(run(new Precision({ topK: 4 }), [0, 0, 1, 1], [1, 1, 1, 1]), 0.5);
    // Top-1 per row: row 0 picks class 1 (label 1: tp), row 1 picks class 1 (label 0: fp).
    expectArray(run(new Precision({ topK: 1 }), [[0, 1, 0], [1, 0, 0]], [[0.2, 0.5, 0.3], [0.1, 0.6, 0.3]]), 0.5);
    // Class 1 only: scores [0.7, 0.6, 0.1] against labels [1, 0, 1].
    const yt = [[0, 1], [1, 0], [0, 1]];
    const yp = [[0.3, 0.7], [0.4, 0.6], [0.9, 0.1]];
    expectArray(run(new Precision({ classId: 1 }), yt, yp), 0.5);
    expectArray(run(new Recall({ classId: 1 }), yt, yp), 0.5);
  });

  it("a list of thresholds gives one value each", () => {
    // p > 0.3: indices 0 (fp), 2, 3 (tp); p > 0.7: index 2 only.
    expectArray(run(new Precision({ thresholds: [0.3, 0.7] }), [0, 1, 1, 1], [0.4, 0.2, 0.8, 0.6]), [2 / 3, 1]);
    expectArray(run(new Recall({ thresholds: [0.3, 0.7] }), [0, 1, 1, 1], [0.4, 0.2, 0.8, 0.6]), [2 / 3, 1 / 3]);
    // Evenly spaced thresholds take the bucket path; the counts are the same as comparisons.
    expectArray(run(new Recall({ thresholds: [0, 0.25, 0.5, 0.75, 1] }), [1, 1, 1, 1], [0, 0.25, 0.3, 1]), [0.75, 0.5, 0.25, 0.25, 0]);
  });
});

describe("AUC", () => {
  // thresholds [−ε, 0.5, 1 + ε]: tp [2, 1, 0], fp [2, 0, 0], fn [0, 1, 2], tn [0, 2, 2];
  // recall [1, 0.5, 0], fp rate [1, 0, 0], precision [0.5, 1, 0].
  const yt = [0, 0, 1, 1];
  const yp = [0, 0.5, 0.3, 0.9];
  it("ROC with Keras' trapezoids (docs: 0.75, weighted 1.0), minoring and majoring", () => {
    expectArray(run(new AUC({ numThresholds: 3 }), yt, yp), 0.75); // (1 − 0)·(1 + 0.5)/2
    expectArray(run(new AUC({ numThresholds: 3 }), yt, yp, [1, 0, 0, 1]), 1);
    expectArray(run(new AUC({ numThresholds: 3, summationMethod: "minoring" }), yt, yp), 0.5); // 1·min(1, 0.5)
    expectArray(run(new AUC({ numThresholds: 3, summationMethod: "majoring" }), yt, yp), 1);
  });

  it("PR curve: Riemann sums and Davis & Goadrich interpolation", () => {
    // x = recall [1, 0.5, 0], y = precision [0.5, 1, 0]: minoring 0.5·0.5 + 0.5·0, majoring 0.5·1 + 0.5·1.
    expectArray(run(new AUC({ numThresholds: 3, curve: "PR", summationMethod: "minoring" }), yt, yp), 0.25);
    expectArray(run(new AUC({ numThresholds: 3, curve: "PR", summationMethod: "majoring" }), yt, yp), 1);
    // Interpolation: p = tp + fp = [4, 1, 0]; segment 0: slope 1/3, intercept 2/3, (1/3)(1 + (2/3)·log 4)/2;
    // segment 1: slope 1, p₂ = 0 so the log term is 0: 1·1/2.
    expectArray(run(new AUC({ numThresholds: 3, curve: "PR" }), yt, yp), (1 + (2 / 3) * Math.log(4)) / 6 + 0.5, { rtol: 1e-6 });
  });

  it("explicit thresholds, logits, and a perfect / inverted ranking with 200 thresholds", () => {
    // thresholds [−ε, 0.2, 0.6, 1 + ε]: recall [1, 1, 0.5, 0], fp rate [1, 0.5, 0, 0]: 0.5·1 + 0.5·0.75.
    expectArray(run(new AUC({ thresholds: [0.6, 0.2] }), yt, yp), 0.875);
    const logit = (p: number) => Math.log(p / (1 - p));
    expectArray(run(new AUC({ numThresholds: 3, fromLogits: true }), yt, [0.1, 0.4, 0.3, 0.9].map(logit)), 0.75);
    expectArray(run(new AUC(), [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]), 1);
    expectArray(run(new AUC(), [1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]), 0);
    expect(new AUC().numThresholds).toBe(200);
  });
});

describe("FBetaScore and F1Score", () => {
  const yt = [[1, 1, 1], [1, 0, 0], [1, 1, 0]];
  const yp = [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]];
  // threshold 0.5 → predictions [[0,1,1],[0,1,1],[1,1,0]]: per class (tp, fp, fn) = (1,0,2), (2,1,0), (1,1,0).
  it("per class (Keras docs), and the averages", () => {
    expectArray(run(new F1Score({ threshold: 0.5 }), yt, yp), [0.5, 0.8, 2 / 3], { rtol: 1e-5 });
    expectArray(run(new FBetaScore({ beta: 2, threshold: 0.5 }), yt, yp), [0.3846154, 0.90909094, 0.8333334], { rtol: 1e-5 });
    expectArray(run(new F1Score({ threshold: 0.5, average: "macro" }), yt, yp), (0.5 + 0.8 + 2 / 3) / 3, { rtol: 1e-5 });
    // weighted by support [3, 2, 1].
    expectArray(run(new F1Score({ threshold: 0.5, average: "weighted" }), yt, yp), (3 * 0.5 + 2 * 0.8 + 2 / 3) / 6, { rtol: 1e-5 });
    // micro: tp 4, fp 2, fn 2 → P = R = 2/3.
    expectArray(run(new F1Score({ threshold: 0.5, average: "micro" }), yt, yp), 2 / 3, { rtol: 1e-5 });
    // weights [1, 0, 1]: (tp, fp, fn) = (1,0,1), (2,0,0), (1,0,0).
    expectArray(run(new F1Score({ threshold: 0.5 }), yt, yp, [1, 0, 1]), [2 / 3, 1, 1], { rtol: 1e-5 });
  });

  it("without threshold each row's maximum (ties included) is positive; an all-zero row is not", () => {
    // predictions [[0,0,1],[0,1,1],[0,1,0]]: (0,0,3), (1,1,1), (1,1,0).
    expectArray(run(new F1Score(), yt, yp), [0, 0.5, 2 / 3], { rtol: 1e-5, atol: 1e-6 });
    expectArray(run(new F1Score(), [[1, 0]], [[0, 0]]), [0, 0]);
  });

  it("learns the number of classes from the first batch; checks shapes", () => {
    const f = new F1Score();
    expect(() => f.initState()).toThrow(/number of classes is known after the first batch/);
    f.build([4, 3], [4, 3]);
    expect(f.initState().truePositives.shape).toEqual([3]);
    expect(() => f.statelessUpdate(f.initState(), [[1, 0]], [[0.2, 0.8]])).toThrow(/built for 3 classes/);
    expect(() => new F1Score().updateState([1, 0], [0.2, 0.8])).toThrow(/expects 2-D yTrue and yPred .* received yTrue \[2\] and yPred \[2\]/);
    expect(() => new F1Score({ average: "mean" as "macro" })).toThrow(/average must be null, "micro", "macro" or "weighted"/);
    expect(() => new FBetaScore({ beta: 0 })).toThrow(/beta must be a number > 0/);
    expect(() => new F1Score({ threshold: 1.5 })).toThrow(/threshold must be in \(0, 1\]/);
  });
});

describe("MeanIoU", () => {
  it("Keras docs: 1/3, weighted 0.238", () => {
    // cm [[1, 1], [1, 1]]: IoU per class 1 / (2 + 2 − 1).
    expectArray(run(new MeanIoU(2), [0, 0, 1, 1], [0, 1, 0, 1]), 1 / 3);
    // cm [[0.3, 0.3], [0.3, 0.1]]: 0.3/0.9 and 0.1/0.7, averaged.
    expectArray(run(new MeanIoU(2), [0, 0, 1, 1], [0, 1, 0, 1], [0.3, 0.3, 0.3, 0.1]), (0.3 / 0.9 + 0.1 / 0.7) / 2, { rtol: 1e-5 });
  });

  it("ignoreClass, classes that never occur, one-hot inputs, 2-D label maps", () => {
    // Valid samples 0 and 1: cm[0,0] = 1, cm[1,0] = 1; denominators [2, 1, 0] → (1/2 + 0) / 2 valid classes.
    expectArray(run(new MeanIoU(3, { ignoreClass: 2 }), [0, 1, 2, 2], [0, 0, 1, 2]), 0.25);
    const dense = new MeanIoU(2, { sparseYTrue: false, sparseYPred: false });
    expectArray(run(dense, [[1, 0], [1, 0], [0, 1], [0, 1]], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]]), 1 / 3);
    expectArray(run(new MeanIoU(2), [[0, 0], [1, 1]], [[0, 1], [0, 1]]), 1 / 3);
    expect(() => new MeanIoU(0)).toThrow(/numClasses must be an integer >= 1/);
    expect(() => new MeanIoU(2).updateState([0, 1, 1], [0, 1])).toThrow(ShapeError);
  });
});

const B1 = { t: [[0, 1, 1], [1, 0, 0]], p: [[0.2, 0.7, 0.4], [0.9, 0.55, 0.1]], w: [1, 0.5] };
const B2 = { t: [[1, 1, 0], [0, 0, 1], [0, 1, 0]], p: [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.35, 0.3, 0.35]], w: [2, 1, 0.25] };
const sparse = (x: number[][]) => x.map((r) => r.indexOf(Math.max(...r)));
const CASES: [string, () => metrics.Metric, (b: typeof B1) => [unknown, unknown]][] = [
  ["precision", () => new Precision({ thresholds: [0.25, 0.5] }), (b) => [b.t, b.p]],
  ["recall top-1", () => new Recall({ topK: 1 }), (b) => [b.t, b.p]],
  ["auc", () => new AUC({ numThresholds: 11 }), (b) => [b.t, b.p]],
  ["auc pr", () => new AUC({ curve: "PR", thresholds: [0.3, 0.45, 0.6] }), (b) => [b.t, b.p]],
  ["f1 weighted", () => new F1Score({ average: "weighted" }), (b) => [b.t, b.p]],
  ["fbeta micro", () => new FBetaScore({ beta: 0.5, threshold: 0.4, average: "micro" }), (b) => [b.t, b.p]],
  ["mean iou", () => new MeanIoU(3), (b) => [sparse(b.t), sparse(b.p)]],
];

describe("the pure core", () => {
  it.each(CASES)("%s: jit(statelessUpdate) == eager, two batches == one, serialize round-trip", (_, make, data) => {
    const m = make();
    m.build([2, 3], [2, 3]);
    const [t1, p1] = data(B1);
    const [t2, p2] = data(B2);
    const update = jit((s: metrics.MetricState, t: Tracer, p: Tracer, w: Tracer) => m.statelessUpdate(s, t, p, w));
    const eager = m.statelessUpdate(m.statelessUpdate(m.initState(), t1 as number[], p1 as number[], B1.w), t2 as number[], p2 as number[], B2.w);
    const traced = update(update(m.initState(), np.array(t1 as number[]), np.array(p1 as number[]), np.array(B1.w)), np.array(t2 as number[]), np.array(p2 as number[]), np.array(B2.w));
    for (const k of Object.keys(eager)) expectArray(traced[k], Array.from(eager[k].dataSync()), { shape: eager[k].shape, rtol: 1e-6 });
    const two = make();
    two.updateState(t1 as number[], p1 as number[], B1.w);
    two.updateState(t2 as number[], p2 as number[], B2.w);
    const both = make();
    both.updateState([...(t1 as number[]), ...(t2 as number[])], [...(p1 as number[]), ...(p2 as number[])], [...B1.w, ...B2.w]);
    const r = Array.from(two.result().dataSync());
    expectArray(both.result(), r, { shape: two.result().shape, rtol: 1e-5, atol: 1e-7 });
    expectArray(jit((s: metrics.MetricState) => m.statelessResult(s))(traced), r, { shape: two.result().shape, rtol: 1e-5, atol: 1e-7 });
    const back = metrics.deserialize(JSON.parse(JSON.stringify(metrics.serialize(m))) as metrics.SerializedMetric);
    expect(back.constructor).toBe(m.constructor);
    expect(back.getConfig()).toEqual(m.getConfig());
  });

  it("get knows these metrics by class and snake_case name", () => {
    expect(metrics.get("AUC")).toBeInstanceOf(AUC);
    expect(metrics.get("auc").name).toBe("auc");
    expect(metrics.get("precision")).toBeInstanceOf(Precision);
    expect(metrics.get("Recall")).toBeInstanceOf(Recall);
    expect(metrics.get("f1_score")).toBeInstanceOf(F1Score);
    expect(metrics.get("FBetaScore")).toBeInstanceOf(FBetaScore);
    expect(() => metrics.get("mean_iou")).toThrow(/numClasses must be an integer >= 1/);
    expect(metrics.deserialize({ className: "MeanIoU", config: { numClasses: 4, ignoreClass: 0 } }).getConfig()).toMatchObject({ numClasses: 4, ignoreClass: 0 });
  });

  it("bad options and shapes fail with clear messages", () => {
    expect(() => new Precision({ thresholds: [0.5, 1.5] })).toThrow(/thresholds must be numbers in \[0, 1\]/);
    expect(() => new Precision({ topK: 0 })).toThrow(/topK must be an integer >= 1/);
    expect(() => new AUC({ numThresholds: 1 })).toThrow(/numThresholds must be an integer > 1/);
    expect(() => new AUC({ curve: "DET" as "ROC" })).toThrow(/curve must be "ROC" or "PR"/);
    expect(() => new AUC({ multiLabel: true })).toThrow(/multiLabel is not supported/);
    expect(() => new Precision().updateState([0, 1, 1], [0.5, 0.5])).toThrow(/metrics.Precision: yTrue and yPred must have the same shape .* yTrue \[3\] and yPred \[2\]/);
    expect(() => new Precision({ topK: 4 }).updateState([[0, 1]], [[0.5, 0.5]])).toThrow(/topK 4 is larger than the 2 scores/);
    expect(() => new Recall({ classId: 3 }).updateState([[0, 1]], [[0.5, 0.5]])).toThrow(/classId 3 is out of range for 2 classes/);
    expect(() => new AUC().updateState([0, 1], [0.5, 0.5], [1, 2, 3])).toThrow(/sampleWeight of shape \[3\] does not broadcast/);
  });
});
