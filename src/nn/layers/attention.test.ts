import { beforeEach, describe, expect, it } from "vitest";
import "../index.js";
import { np, random, grad, type Tracer } from "../../index.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import { setRandomSeed } from "../call-context.js";
import { Input } from "../input-layer.js";
import { Layer } from "../layer.js";
import { Model } from "../model.js";
import { clearSession } from "../variable.js";
import { AdditiveAttention, Attention, MultiHeadAttention } from "./attention.js";

beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});

const arr = (t: Tracer) => t.toArray() as any;
const rnd = (seed: number, shape: number[]) => random.normal(random.key(seed), shape);
const softmaxRow = (r: number[]) => {
  const m = Math.max(...r);
  const e = r.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

function randomize(layer: Layer, seed: number): void {
  layer.setWeights(layer.weights.map((w, i) => random.normal(random.key(seed + i), [...w.shape]).mul(0.5)));
}

/** Plain-JS multi-head attention for rank-3 inputs: returns [output, probs (b, n, t, s)]. */
function refMHA(q: number[][][], v: number[][][], k: number[][][], w: any[], heads: number, keyDim: number, mask?: boolean[][][]) {
  const [wq, bq, wk, bk, wv, bv, wo, bo] = w;
  const proj = (x: number[][][], W: number[][][], B: number[][]) =>
    x.map((seq) => seq.map((row) => B.map((bn, n) => bn.map((bh, h) => bh + row.reduce((s, xf, f) => s + xf * W[f][n][h], 0)))));
  const Q = proj(q, wq, bq);
  const K = proj(k, wk, bk);
  const V = proj(v, wv, bv);
  const probs = Q.map((qb, b) =>
    [...Array(heads).keys()].map((n) =>
      qb.map((qt, t) =>
        softmaxRow(K[b].map((ks, s) => {
          const d = qt[n].reduce((acc, qh, h) => acc + (qh / Math.sqrt(keyDim)) * ks[n][h], 0);
          return mask && !mask[b][t][s] ? d - 1e9 : d;
        })))));
  const out = Q.map((qb, b) =>
    qb.map((_, t) => {
      const o = [...Array(heads).keys()].map((n) => V[b][0][n].map((_, hv) => probs[b][n][t].reduce((acc, p, s) => acc + p * V[b][s][n][hv], 0)));
      return bo.map((bd: number, d: number) => bd + o.reduce((acc, on, n) => acc + on.reduce((a2, ov, hv) => a2 + ov * wo[n][hv][d], 0), 0));
    }));
  return [out, probs];
}

describe("MultiHeadAttention", () => {
  it("has Keras sublayers and weight shapes, paths 'multi_head_attention/query/kernel'", () => {
    const q = Input({ shape: [4, 6] });
    const v = Input({ shape: [5, 3] });
    const mha = new MultiHeadAttention(2, 3, { valueDim: 4 });
    const out = mha.apply([q, v]);
    expect(out.shape).toEqual([null, 4, 6]);
    const model = new Model({ inputs: [q, v], outputs: out });
    expect(model.variableEntries().map((e) => [e.path, e.variable.shape])).toEqual([
      ["multi_head_attention/query/kernel", [6, 2, 3]], ["multi_head_attention/query/bias", [2, 3]],
      ["multi_head_attention/key/kernel", [3, 2, 3]], ["multi_head_attention/key/bias", [2, 3]],
      ["multi_head_attention/value/kernel", [3, 2, 4]], ["multi_head_attention/value/bias", [2, 4]],
      ["multi_head_attention/attention_output/kernel", [2, 4, 6]], ["multi_head_attention/attention_output/bias", [6]],
    ]);
  });

  it("matches a plain-JS implementation, with scores (batch, heads, target, source)", () => {
    const mha = new MultiHeadAttention(2, 3, { returnAttentionScores: true });
    const [q, v, k] = [rnd(1, [2, 4, 5]), rnd(2, [2, 3, 5]), rnd(3, [2, 3, 5])];
    mha.apply([q, v, k]);
    randomize(mha, 10);
    const [out, scores] = mha.apply([q, v, k]);
    const [wantOut, wantProbs] = refMHA(arr(q), arr(v), arr(k), mha.getWeights().map(arr), 2, 3);
    expectArray(out, wantOut, { rtol: 1e-4, atol: 1e-5 });
    expectArray(scores, wantProbs, { rtol: 1e-4, atol: 1e-6 });
    // key defaults to value
    const [out2] = mha.apply([q, v]);
    expectArray(out2, refMHA(arr(q), arr(v), arr(v), mha.getWeights().map(arr), 2, 3)[0], { rtol: 1e-4, atol: 1e-5 });
  });

  it("attentionMask, value/query masks and the causal mask hide positions", () => {
    const mha = new MultiHeadAttention(2, 2, { returnAttentionScores: true });
    const x = rnd(4, [2, 3, 4]);
    mha.apply([x, x]);
    randomize(mha, 20);
    const mask = [[[1, 0, 1], [1, 1, 0], [0, 0, 1]], [[1, 1, 1], [0, 1, 0], [1, 0, 0]]].map((b) => b.map((r) => r.map(Boolean)));
    const [out, probs] = mha.apply({ query: x, value: x, attentionMask: np.array(mask).astype("bool") });
    const [wantOut, wantProbs] = refMHA(arr(x), arr(x), arr(x), mha.getWeights().map(arr), 2, 2, mask);
    expectArray(out, wantOut, { rtol: 1e-4, atol: 1e-5 });
    expectArray(probs, wantProbs, { rtol: 1e-4, atol: 1e-6 });
    const causal = new MultiHeadAttention(2, 2, { returnAttentionScores: true, useCausalMask: true });
    causal.apply([x, x]);
    causal.setWeights(mha.getWeights());
    const [, cp] = causal.apply({ query: x, value: x, valueMask: np.array([[1, 1, 1], [1, 0, 1]]).astype("bool") });
    const tri = [0, 1, 2].map((t) => [0, 1, 2].map((s) => s <= t));
    const want = refMHA(arr(x), arr(x), arr(x), mha.getWeights().map(arr), 2, 2, [tri, tri.map((r) => r.map((m, s) => m && s !== 1))])[1];
    expectArray(cp, want, { rtol: 1e-4, atol: 1e-6 });
  });

  it("attentionAxes: attention over one axis of 4-D inputs equals attention on each row", () => {
    const x = rnd(5, [2, 3, 4, 5]);
    const mha = new MultiHeadAttention(2, 3, { attentionAxes: [2], returnAttentionScores: true });
    const [out, scores] = mha.apply([x, x]);
    expect(scores.shape).toEqual([2, 3, 2, 4, 4]);
    const flat = new MultiHeadAttention(2, 3);
    flat.apply([x.reshape([6, 4, 5]), x.reshape([6, 4, 5])]);
    flat.setWeights(mha.getWeights());
    expectArray(out, arr(flat.apply([x.reshape([6, 4, 5]), x.reshape([6, 4, 5])]).reshape([2, 3, 4, 5])), { rtol: 1e-5, atol: 1e-6 });
    // Default: all axes between batch and features (scores (b, n, 3, 4, 3, 4)); outputShape changes the last dim.
    const all = new MultiHeadAttention(2, 3, { returnAttentionScores: true, outputShape: 7 });
    const [o2, s2] = all.apply([x, x]);
    expect(s2.shape).toEqual([2, 2, 3, 4, 3, 4]);
    expect(o2.shape).toEqual([2, 3, 4, 7]);
    expectArray(np.sum(s2, { axis: [4, 5] }), arr(np.ones([2, 2, 3, 4])), { atol: 1e-5 });
  });

  it("gradients are finite and match finite differences", () => {
    const mha = new MultiHeadAttention(2, 2, { dtype: "float64" });
    const x = random.normal(random.key(6), [1, 3, 4], { dtype: "float64" });
    mha.apply([x, x]);
    const [p, s] = mha.paramsAndState();
    const f = (pp: Record<string, Tracer>) => np.sum(np.square(mha.statelessCall(pp, s, [x, x])[0]));
    const g = grad(f)(p);
    for (const v of Object.values(g) as Tracer[]) expect(Array.from(v.dataSync()).every(Number.isFinite)).toBe(true);
    const name = "key/kernel";
    const base = Array.from(p[name].dataSync());
    const eps = 1e-6;
    const at = (d: number) => f({ ...p, [name]: np.array(base.map((v, i) => (i === 5 ? v + d : v)), { dtype: "float64" }).reshape([4, 2, 2]) }).toArray() as number;
    expect(g[name].dataSync()[5]).toBeCloseTo((at(eps) - at(-eps)) / (2 * eps), 6);
  });

  it("dropout on the probabilities only in training; config round trip; errors", () => {
    const mha = new MultiHeadAttention(2, 2, { dropout: 0.5, valueDim: 3, useBias: false });
    const x = rnd(7, [2, 3, 4]);
    const y = mha.apply([x, x]);
    expect(mha.weights.length).toBe(4);
    const a = mha.apply([x, x], { training: true, key: random.key(1) });
    expect(arr(a)).toEqual(arr(mha.apply([x, x], { training: true, key: random.key(1) })));
    expect(arr(a)).not.toEqual(arr(y));
    const copy = MultiHeadAttention.fromConfig(JSON.parse(JSON.stringify(mha.getConfig())));
    copy.apply([x, x]);
    copy.setWeights(mha.getWeights());
    expectArray(copy.apply([x, x]), arr(y), { rtol: 1e-6 });
    expect(mha.getConfig()).toMatchObject({ numHeads: 2, keyDim: 2, valueDim: 3, dropout: 0.5, useBias: false, attentionAxes: null });
    expect(() => new MultiHeadAttention(0, 2)).toThrow(/numHeads must be a positive integer, received 0/);
    expect(() => new MultiHeadAttention(2, 2).apply(x)).toThrow(/expected inputs \[query, value\]/);
    expect(() => new MultiHeadAttention(2, 2).apply([x, np.ones([2, 4])])).toThrow(/same rank >= 3/);
    expect(() => new MultiHeadAttention(2, 2, { attentionAxes: 3 }).apply([x, x])).toThrow(/attentionAxes must name axes 1..1/);
  });
});

describe("Attention and AdditiveAttention", () => {
  const q = () => rnd(8, [2, 3, 4]);
  const v = () => rnd(9, [2, 5, 4]);
  const ref = (scores: number[][][], value: number[][][], vmask?: number[][], qmask?: number[][]) =>
    scores.map((sb, b) =>
      sb.map((row, t) => {
        const p = softmaxRow(row.map((s, j) => (vmask && !vmask[b][j] ? s - 1e9 : s)));
        return value[b][0].map((_, d) => p.reduce((acc, pj, j) => acc + pj * value[b][j][d], 0) * (qmask ? qmask[b][t] : 1));
      }));
  const dots = (a: number[][][], b: number[][][], scale = 1) => a.map((ab, i) => ab.map((r) => b[i].map((c) => scale * r.reduce((s, x, k) => s + x * c[k], 0))));

  it("Attention (dot): softmax(q k^T) v with masks; useScale adds a scalar weight", () => {
    const att = new Attention();
    expectArray(att.apply([q(), v()]), ref(dots(arr(q()), arr(v())), arr(v())), { rtol: 1e-4, atol: 1e-5 });
    expect(att.weights.length).toBe(0);
    const vm = [[1, 1, 0, 1, 0], [1, 0, 0, 0, 1]];
    const qm = [[1, 0, 1], [1, 1, 1]];
    const y = att.apply({ query: q(), value: v(), valueMask: np.array(vm).astype("bool"), queryMask: np.array(qm).astype("bool") });
    expectArray(y, ref(dots(arr(q()), arr(v())), arr(v()), vm, qm), { rtol: 1e-4, atol: 1e-5 });
    const scaled = new Attention({ useScale: true, returnAttentionScores: true });
    scaled.apply([q(), v()]);
    expect(scaled.weights.map((w) => [w.name, w.shape])).toEqual([["scale", []]]);
    scaled.setWeights([np.array(0.5)]);
    const [out, w] = scaled.apply([q(), v()]);
    expectArray(out, ref(dots(arr(q()), arr(v()), 0.5), arr(v())), { rtol: 1e-4, atol: 1e-5 });
    expect(w.shape).toEqual([2, 3, 5]);
    const causal = new Attention({ useCausalMask: true, returnAttentionScores: true });
    const [, cw] = causal.apply([q(), q()]);
    expect(arr(cw)[0][0].slice(1).every((p: number) => p < 1e-6)).toBe(true);
  });

  it("Attention concat scores and AdditiveAttention: sum(scale * tanh(q + k))", () => {
    const additive = (scale: number[] | null, outer = 1) => arr(q()).map((qb: number[][], b: number) =>
      qb.map((qr) => (arr(v())[b] as number[][]).map((kr) => outer * qr.reduce((s, x, d) => s + (scale ? scale[d] : 1) * Math.tanh(x + kr[d]), 0))));
    const concat = new Attention({ scoreMode: "concat" });
    expectArray(concat.apply([q(), v()]), ref(additive(null), arr(v())), { rtol: 1e-4, atol: 1e-5 });
    expect(concat.weights.map((w) => w.name)).toEqual(["concat_score_weight"]);
    const add = new AdditiveAttention();
    add.apply([q(), v()]);
    expect(add.weights.map((w) => [w.name, w.shape])).toEqual([["scale", [4]]]);
    expectArray(add.apply([q(), v()]), ref(additive(arr(add.weights[0].value)), arr(v())), { rtol: 1e-4, atol: 1e-5 });
    const copy = AdditiveAttention.fromConfig(JSON.parse(JSON.stringify(add.getConfig())));
    copy.apply([q(), v()]);
    copy.setWeights(add.getWeights());
    expectArray(copy.apply([q(), v()]), arr(add.apply([q(), v()])), { rtol: 1e-6 });
    expect(() => new Attention({ scoreMode: "general" as any })).toThrow(/scoreMode must be "dot" or "concat"/);
    expect(() => new Attention().apply([np.ones([2, 3]), np.ones([2, 3])])).toThrow(/expected rank-3/);
  });
});
