import { beforeEach, describe, expect, it } from "vitest";
import "../index.js"; // installs the Keras initializer registry ("orthogonal")
import { np, random, grad, makeJaxpr, tidy, type Tracer } from "../../index.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import { CallContext, setRandomSeed } from "../call-context.js";
import { Input } from "../input-layer.js";
import { Layer } from "../layer.js";
import { Model } from "../model.js";
import { Sequential } from "../sequential.js";
import { clearSession } from "../variable.js";
import { Dense } from "./core.js";
import { GRUCell, LSTMCell, SimpleRNNCell } from "./rnn-cells.js";
import { Bidirectional, GRU, LSTM, RNN, SimpleRNN, TimeDistributed } from "./rnn.js";

beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});

// ---- Plain-JS oracle: the Keras equations unrolled over time, on nested number arrays. ----
type M = number[][];
const mm = (a: M, b: M): M => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
const addRow = (a: M, b: M | number[]): M => a.map((r, i) => r.map((v, j) => v + (Array.isArray(b[0]) ? (b as M)[i][j] : (b as number[])[j])));
const sig = (v: number) => 1 / (1 + Math.exp(-v));
const arr = (t: Tracer) => t.toArray() as any;
type Step = (x: M, s: M[]) => M[]; // returns new states, states[0] is the output

const simpleStep = ([k, r, b]: any[]): Step => (x, [h]) => [addRow(addRow(mm(x, k), mm(h, r)), b).map((row) => row.map(Math.tanh))];
const lstmStep = ([k, r, b]: any[]): Step => (x, [h, c]) => {
  const u = h[0].length;
  const z = addRow(addRow(mm(x, k), mm(h, r)), b);
  const g = (i: number, j: number, q: number) => z[i][q * u + j];
  const c2 = c.map((row, i) => row.map((cv, j) => sig(g(i, j, 1)) * cv + sig(g(i, j, 0)) * Math.tanh(g(i, j, 2))));
  return [c2.map((row, i) => row.map((cv, j) => sig(g(i, j, 3)) * Math.tanh(cv))), c2];
};
const gruStep = ([k, r, b]: any[]): Step => (x, [h]) => {
  const u = h[0].length;
  const mx = addRow(mm(x, k), b[0]);
  const mi = addRow(mm(h, r), b[1]);
  return [h.map((row, i) => row.map((hv, j) => {
    const z = sig(mx[i][j] + mi[i][j]);
    const rr = sig(mx[i][u + j] + mi[i][u + j]);
    return z * hv + (1 - z) * Math.tanh(mx[i][2 * u + j] + rr * mi[i][2 * u + j]);
  }))];
};

/** Runs `step` over x [b, t, f] (Keras' masked-step rules); returns per-step outputs [t][b][u] and final states. */
function unroll(step: Step, x: number[][][], init: M[], opts: { back?: boolean; mask?: number[][]; zeroOut?: boolean } = {}): [M[], M[]] {
  let s = init;
  const outs: M[] = [];
  const T = x[0].length;
  for (let n = 0; n < T; n++) {
    const t = opts.back ? T - 1 - n : n;
    const ns = step(x.map((row) => row[t]), s);
    const keep = (b: number) => (opts.mask ? opts.mask[b][t] === 0 : false);
    outs.push(ns[0].map((row, b) => (keep(b) ? (opts.zeroOut ? row.map(() => 0) : s[0][b]) : row)));
    s = ns.map((st, i) => st.map((row, b) => (keep(b) ? s[i][b] : row)));
  }
  return [outs, s];
}
const batchMajor = (outs: M[]): number[][][] => outs[0].map((_, b) => outs.map((o) => o[b]));

function randomize(layer: Layer, seed: number): void {
  layer.setWeights(layer.weights.map((w, i) => random.normal(random.key(seed + i), [...w.shape]).mul(0.5)));
}

const xs = () => random.normal(random.key(21), [2, 5, 3]);
const zeros = (u: number): M => [Array(u).fill(0), Array(u).fill(0)];

describe("SimpleRNN / LSTM / GRU against the unrolled Keras equations", () => {
  const cases = [
    { name: "SimpleRNN", make: (o: object) => new SimpleRNN(4, o), step: simpleStep, nStates: 1 },
    { name: "LSTM", make: (o: object) => new LSTM(4, o), step: lstmStep, nStates: 2 },
    { name: "GRU", make: (o: object) => new GRU(4, o), step: gruStep, nStates: 1 },
  ];
  for (const c of cases) {
    it(`${c.name}: returnSequences and returnState values and shapes`, () => {
      const layer = c.make({ returnSequences: true, returnState: true });
      const out = layer.apply(xs());
      expect(out.length).toBe(1 + c.nStates);
      expect(out.map((t: Tracer) => t.shape)).toEqual([[2, 5, 4], ...Array(c.nStates).fill([2, 4])]);
      randomize(layer, 3);
      const [seq, ...states] = layer.apply(xs());
      const [outs, fin] = unroll(c.step(layer.getWeights().map(arr)), arr(xs()), Array(c.nStates).fill(zeros(4)));
      expectArray(seq, batchMajor(outs), { rtol: 1e-4, atol: 1e-5 });
      states.forEach((s: Tracer, i: number) => expectArray(s, fin[i], { rtol: 1e-4, atol: 1e-5 }));
      const last = c.make({});
      last.apply(xs());
      last.setWeights(layer.getWeights());
      expectArray(last.apply(xs()), outs[4], { rtol: 1e-4, atol: 1e-5 });
    });
  }

  it("goBackwards processes the reversed sequence and returns outputs in processing order", () => {
    const layer = new GRU(3, { goBackwards: true, returnSequences: true });
    layer.apply(xs());
    randomize(layer, 5);
    const [outs] = unroll(gruStep(layer.getWeights().map(arr)), arr(xs()), [zeros(3)], { back: true });
    expectArray(layer.apply(xs()), batchMajor(outs), { rtol: 1e-4, atol: 1e-5 });
  });

  it("a mask skips steps: states carried, output repeated (or zero with zeroOutputForMask)", () => {
    const mask = [[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]];
    for (const zeroOut of [false, true]) {
      const layer = new LSTM(3, { returnSequences: true, returnState: true, zeroOutputForMask: zeroOut });
      layer.apply(xs());
      randomize(layer, 6);
      const [seq, h, c] = layer.apply({ sequences: xs(), mask: np.array(mask).astype("bool") });
      const [outs, fin] = unroll(lstmStep(layer.getWeights().map(arr)), arr(xs()), [zeros(3), zeros(3)], { mask, zeroOut });
      expectArray(seq, batchMajor(outs), { rtol: 1e-4, atol: 1e-5 });
      expectArray(h, fin[0], { rtol: 1e-4, atol: 1e-5 });
      expectArray(c, fin[1], { rtol: 1e-4, atol: 1e-5 });
    }
  });

  it("starts from initialState", () => {
    const layer = new LSTM(2, { returnState: true });
    layer.apply(xs());
    randomize(layer, 7);
    const h0 = random.normal(random.key(1), [2, 2]);
    const c0 = random.normal(random.key(2), [2, 2]);
    const [y, h, c] = layer.apply({ sequences: xs(), initialState: [h0, c0] });
    const [outs, fin] = unroll(lstmStep(layer.getWeights().map(arr)), arr(xs()), [arr(h0), arr(c0)]);
    expectArray(y, outs[4], { rtol: 1e-4, atol: 1e-5 });
    expectArray(h, fin[0], { rtol: 1e-4, atol: 1e-5 });
    expectArray(c, fin[1], { rtol: 1e-4, atol: 1e-5 });
  });

  it("RNN wraps a cell; unroll: true gives the same values as the scan", () => {
    const scanned = new RNN(new LSTMCell(3), { returnSequences: true });
    const unrolled = new RNN(new LSTMCell(3), { returnSequences: true, unroll: true });
    scanned.apply(xs());
    unrolled.apply(xs());
    randomize(scanned, 8);
    unrolled.setWeights(scanned.getWeights());
    expectArray(unrolled.apply(xs()), arr(scanned.apply(xs())), { rtol: 1e-5, atol: 1e-6 });
    expect(scanned.variableEntries().map((e) => e.path)).toEqual(["lstm_cell/kernel", "lstm_cell/recurrent_kernel", "lstm_cell/bias"]);
  });
});

describe("lax.scan and gradients", () => {
  it("the sequence is one scan: the program does not grow with the number of steps", () => {
    const layer = new GRU(3);
    layer.apply(xs());
    const [p, s] = layer.paramsAndState();
    const prog = (t: number) => makeJaxpr((pp: any, x: Tracer) => layer.statelessCall(pp, s, x)[0])(p, np.ones([2, t, 3])).toString();
    expect(prog(5).match(/= scan\[/g)?.length).toBe(1);
    expect(prog(40).split("\n").length).toBe(prog(5).split("\n").length);
  });

  it("gradients through the scan equal the gradients of an unrolled Kiln implementation", () => {
    const layer = new LSTM(3, { returnSequences: true });
    layer.apply(xs());
    randomize(layer, 9);
    const [p, s] = layer.paramsAndState();
    const viaLayer = grad((pp: Record<string, Tracer>) => np.sum(np.square(layer.statelessCall(pp, s, xs())[0])))(p);
    const unrolled = (pp: Record<string, Tracer>) => {
      const [k, r, b] = [pp["lstm_cell/kernel"], pp["lstm_cell/recurrent_kernel"], pp["lstm_cell/bias"]];
      let h = np.zeros([2, 3]);
      let c = np.zeros([2, 3]);
      let loss = np.array(0);
      const steps = np.split(xs(), 5, 1).map((st) => st.reshape([2, 3]));
      for (let t = 0; t < 5; t++) {
        const z = np.matmul(steps[t], k).add(np.matmul(h, r)).add(b);
        const [i, f, g, o] = np.split(z, 4, 1).map((q, n) => (n === 2 ? np.tanh(q) : np.divide(1, np.exp(q.neg()).add(1))));
        c = f.mul(c).add(i.mul(g));
        h = o.mul(np.tanh(c));
        loss = loss.add(np.sum(np.square(h)));
      }
      return loss;
    };
    const want = grad(unrolled)(p);
    for (const key of Object.keys(p)) {
      expect(Array.from(viaLayer[key].dataSync()).every(Number.isFinite)).toBe(true);
      expectArray(viaLayer[key], arr(want[key]), { rtol: 1e-4, atol: 1e-5 });
    }
  });

  it("matches finite differences (float64)", () => {
    const layer = new SimpleRNN(2, { dtype: "float64" });
    const x = random.normal(random.key(3), [1, 3, 2], { dtype: "float64" });
    layer.apply(x);
    const [p, s] = layer.paramsAndState();
    const f = (pp: Record<string, Tracer>) => np.sum(layer.statelessCall(pp, s, x)[0]);
    const g = grad(f)(p);
    const eps = 1e-6;
    const k = p["simple_rnn_cell/recurrent_kernel"];
    const flat = Array.from(k.dataSync());
    const bump = (d: number) => f({ ...p, "simple_rnn_cell/recurrent_kernel": np.array(flat.map((v, i) => (i === 1 ? v + d : v)), { dtype: "float64" }).reshape([2, 2]) });
    const fd = ((bump(eps).toArray() as number) - (bump(-eps).toArray() as number)) / (2 * eps);
    expect(g["simple_rnn_cell/recurrent_kernel"].dataSync()[1]).toBeCloseTo(fd, 6);
  });
});

describe("symbolic shapes, config and errors", () => {
  it("infers shapes with free batch and time dimensions", () => {
    const inp = Input({ shape: [null, 3] });
    expect(new LSTM(4).apply(inp).shape).toEqual([null, 4]);
    expect(new GRU(4, { returnSequences: true }).apply(inp).shape).toEqual([null, null, 4]);
    expect(new LSTM(4, { returnState: true }).apply(inp).map((t: any) => t.shape)).toEqual([[null, 4], [null, 4], [null, 4]]);
    expect(new Bidirectional(new LSTM(4, { returnSequences: true })).apply(inp).shape).toEqual([null, null, 8]);
    expect(new TimeDistributed(new Dense(5)).apply(Input({ shape: [7, 3] })).shape).toEqual([null, 7, 5]);
  });

  it("getConfig -> fromConfig rebuilds layers with identical outputs", () => {
    const layers: Layer[] = [
      new LSTM(3, { returnSequences: true, unitForgetBias: false }), new GRU(3, { resetAfter: false, goBackwards: true }), new SimpleRNN(3, { activation: "relu" }),
      new RNN(new GRUCell(2)), new Bidirectional(new GRU(2), { mergeMode: "ave" }), new TimeDistributed(new Dense(2)),
    ];
    for (const l of layers) {
      const y = l.apply(xs());
      const cfg = JSON.parse(JSON.stringify(l.getConfig()));
      const copy = (l.constructor as any).fromConfig(cfg) as Layer;
      copy.apply(xs());
      copy.setWeights(l.getWeights());
      expectArray(copy.apply(xs()), arr(y), { rtol: 1e-6 });
    }
    expect(new LSTM(2).getConfig()).toMatchObject({ units: 2, returnSequences: false, stateful: false, unitForgetBias: true, activation: "tanh" });
  });

  it("reports bad options and inputs", () => {
    expect(() => new LSTM(3, { stateful: true })).toThrow(/stateful=true is not supported/);
    expect(() => new GRU(2).apply(np.ones([2, 3]))).toThrow(/rank >= 3 \(batch, time, features\), received shape \[2,3\]/);
    expect(() => new GRU(2).apply({ sequences: xs(), mask: np.ones([2, 4]) })).toThrow(/mask of shape \[2, 5\], received \[2,4\]/);
    expect(() => new LSTM(2).apply({ sequences: xs(), initialState: [np.zeros([2, 2])] })).toThrow(/initialState of 2 array\(s\)/);
    expect(() => new LSTM(2).apply([xs(), np.zeros([2, 2])])).toThrow(/received an array of inputs/);
    expect(() => new Bidirectional(new Dense(2) as any)).toThrow(/must be a recurrent layer/);
    expect(() => new Bidirectional(new GRU(2), { mergeMode: "max" as any })).toThrow(/mergeMode must be one of/);
  });
});

describe("Bidirectional and TimeDistributed", () => {
  it("Bidirectional concatenates forward and (flipped) backward outputs; weight paths as Keras", () => {
    const bi = new Bidirectional(new GRU(3, { returnSequences: true }));
    const model = new Sequential([Input({ shape: [5, 3] }), bi]);
    expect(model.variableEntries().map((e) => e.path).slice(0, 4)).toEqual([
      "bidirectional/forward_gru/gru_cell/kernel", "bidirectional/forward_gru/gru_cell/recurrent_kernel", "bidirectional/forward_gru/gru_cell/bias",
      "bidirectional/backward_gru/gru_cell/kernel",
    ]);
    expect(bi.backwardLayer.goBackwards).toBe(true);
    randomize(bi, 10);
    const [fwd] = unroll(gruStep(bi.forwardLayer.getWeights().map(arr)), arr(xs()), [zeros(3)]);
    const [bwd] = unroll(gruStep(bi.backwardLayer.getWeights().map(arr)), arr(xs()), [zeros(3)], { back: true });
    const want = batchMajor(fwd).map((seq, b) => seq.map((row, t) => [...row, ...batchMajor(bwd)[b][4 - t]]));
    expectArray(bi.apply(xs()), want, { rtol: 1e-4, atol: 1e-5 });
  });

  it("merge modes, returnState and mergeMode null", () => {
    const make = (o: object) => {
      const b = new Bidirectional(new LSTM(2), o);
      b.apply(xs());
      randomize(b, 11);
      return b;
    };
    const parts = make({ mergeMode: null }).apply(xs());
    const [y, yr] = parts.map(arr) as M[];
    const sum = make({ mergeMode: "sum" }).apply(xs());
    expectArray(sum, y.map((r, i) => r.map((v, j) => v + yr[i][j])), { rtol: 1e-5, atol: 1e-6 });
    expectArray(make({ mergeMode: "mul" }).apply(xs()), y.map((r, i) => r.map((v, j) => v * yr[i][j])), { rtol: 1e-5, atol: 1e-6 });
    expectArray(make({ mergeMode: "ave" }).apply(xs()), y.map((r, i) => r.map((v, j) => (v + yr[i][j]) / 2)), { rtol: 1e-5, atol: 1e-6 });
    const withState = new Bidirectional(new LSTM(2, { returnState: true }));
    expect(withState.apply(xs()).map((t: Tracer) => t.shape)).toEqual([[2, 4], [2, 2], [2, 2], [2, 2], [2, 2]]);
    // Initial states: the first half goes forwards.
    const z = np.zeros([2, 2]);
    const o = np.ones([2, 2]);
    const [, hf, , hb] = withState.apply({ sequences: xs(), initialState: [z, z, o, o] });
    const [, hf0, , hb0] = withState.apply(xs());
    expect(arr(hf)).toEqual(arr(hf0));
    expect(arr(hb)).not.toEqual(arr(hb0));
  });

  it("TimeDistributed applies the layer to every step", () => {
    const td = new TimeDistributed(new Dense(4, { activation: "relu" }));
    const y = td.apply(xs());
    expect(y.shape).toEqual([2, 5, 4]);
    const d = td.layer as Dense;
    const per = np.stack([0, 1, 2, 3, 4].map((t) => d.apply(np.take(xs(), t, { axis: 1 }))), 1);
    expectArray(y, arr(per), { rtol: 1e-6 });
    const model = new Sequential([Input({ shape: [5, 3] }), new TimeDistributed(new Dense(2))]);
    expect(model.variableEntries().map((e) => e.path)).toEqual(["time_distributed_1/dense_1/kernel", "time_distributed_1/dense_1/bias"]);
    expect(() => td.apply(np.ones([2, 3]))).toThrow(/rank >= 3/);
  });
});

describe("training", () => {
  it("dropout is reproducible from the key and off at inference", () => {
    const layer = new LSTM(3, { dropout: 0.5, recurrentDropout: 0.3 });
    const inf = layer.apply(xs());
    expect(arr(layer.apply(xs()))).toEqual(arr(inf));
    const a = layer.apply(xs(), { training: true, key: random.key(4) });
    const b = layer.apply(xs(), { training: true, key: random.key(4) });
    expect(arr(a)).toEqual(arr(b));
    expect(arr(a)).not.toEqual(arr(inf));
  });

  it("one dropout mask per sequence, shared by every step (Keras' DropoutRNNCell)", () => {
    const layer = new SimpleRNN(3, { dropout: 0.5, recurrentDropout: 0.5, returnSequences: true });
    layer.apply(xs());
    randomize(layer, 12);
    const y = layer.apply(xs(), { training: true, key: random.key(5) });
    // The layer draws its masks first from the call's key stream: replay them.
    const m = (layer.cell as SimpleRNNCell).dropoutMasks(new CallContext({ training: true, key: random.key(5) }), [2, 3]);
    const [k, r, b] = layer.getWeights().map(arr);
    const [mi, mr] = [arr(m.input![0]), arr(m.recurrent![0])] as M[];
    const had = (a: M, w: M) => a.map((row, i) => row.map((v, j) => v * w[i][j]));
    const step: Step = (x, [h]) => simpleStep([k, r, b])(had(x, mi), [had(h, mr)]);
    expectArray(y, batchMajor(unroll(step, arr(xs()), [zeros(3)])[0]), { rtol: 1e-4, atol: 1e-5 });
  });

  it("a small LSTM learns a toy sequence task with fit (loss decreases)", async () => {
    // Target: the mean of the sequence's first feature, a task that needs memory over time.
    const [x, y] = tidy(() => {
      const x = random.uniform(random.key(0), [64, 6, 2], { minval: -1, maxval: 1 });
      return [x, np.mean(np.take(x, 0, { axis: 2 }), { axis: 1, keepdims: true })];
    });
    const model = new Sequential([Input({ shape: [6, 2] }), new LSTM(8), new Dense(1)]);
    model.compile({ optimizer: "adam", loss: "mse" });
    const h = await model.fit(x, y, { epochs: 25, batchSize: 16, verbose: 0, seed: 0 });
    const loss = h.history.loss;
    expect(loss.at(-1)!).toBeLessThan(loss[0] * 0.5);
    expect(model.predict(x).shape).toEqual([64, 1]);
  });

  it("a functional model takes a mask input next to the sequences", () => {
    const seq = Input({ shape: [5, 3] });
    const mask = Input({ shape: [5], dtype: "bool" });
    const out = new GRU(2).apply({ sequences: seq, mask });
    const model = new Model({ inputs: [seq, mask], outputs: out });
    const m = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]).astype("bool");
    const y = model.apply([xs(), m]);
    // Masked tail steps leave the first sample's output at step 3's value.
    const gru = model.layers.find((l) => l instanceof GRU) as GRU;
    const [outs] = unroll(gruStep(gru.getWeights().map(arr)), arr(xs()), [zeros(2)], { mask: [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]] });
    expectArray(y, outs[4], { rtol: 1e-4, atol: 1e-5 });
  });
});
