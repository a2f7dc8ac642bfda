import { beforeEach, describe, expect, it } from "vitest";
import "../index.js"; // installs the Keras initializer registry ("orthogonal")
import { np, random, type Tracer } from "../../index.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import { CallContext, setRandomSeed } from "../call-context.js";
import { clearSession } from "../variable.js";
import { GRUCell, LSTMCell, SimpleRNNCell, type RNNCell } from "./rnn-cells.js";

beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});

// Plain-JS Keras equations: an oracle independent of Kiln's ops.
type M = number[][];
const mm = (a: M, b: M): M => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
const add = (a: M, b: M | number[]): M => a.map((r, i) => r.map((v, j) => v + (Array.isArray(b[0]) ? (b as M)[i][j] : (b as number[])[j])));
const mul = (a: M, b: M): M => a.map((r, i) => r.map((v, j) => v * b[i][j]));
const map = (a: M, f: (v: number) => number): M => a.map((r) => r.map(f));
const cols = (a: M, from: number, to: number): M => a.map((r) => r.slice(from, to));
const sig = (v: number) => 1 / (1 + Math.exp(-v));
const tanh = Math.tanh;
const arr = (t: Tracer) => t.toArray() as any;

export function refSimpleRNN(x: M, h: M, k: M, r: M, b: number[] | null): M {
  const z = add(mm(x, k), mm(h, r));
  return map(b ? add(z, b) : z, tanh);
}

export function refLSTM(x: M, h: M, c: M, k: M, r: M, b: number[] | null): [M, M] {
  const u = h[0].length;
  let z = add(mm(x, k), mm(h, r));
  if (b) z = add(z, b);
  const i = map(cols(z, 0, u), sig);
  const f = map(cols(z, u, 2 * u), sig);
  const g = map(cols(z, 2 * u, 3 * u), tanh);
  const o = map(cols(z, 3 * u, 4 * u), sig);
  const c2 = add(mul(f, c), mul(i, g));
  return [mul(o, map(c2, tanh)), c2];
}

export function refGRU(x: M, h: M, k: M, r: M, b: M | number[] | null, resetAfter: boolean): M {
  const u = h[0].length;
  const inB = b ? (resetAfter ? (b as M)[0] : (b as number[])) : null;
  const recB = b && resetAfter ? (b as M)[1] : null;
  let mx = mm(x, k);
  if (inB) mx = add(mx, inB);
  let inner = mm(h, resetAfter ? r : cols(r, 0, 2 * u));
  if (recB) inner = add(inner, recB);
  const z = map(add(cols(mx, 0, u), cols(inner, 0, u)), sig);
  const rg = map(add(cols(mx, u, 2 * u), cols(inner, u, 2 * u)), sig);
  const recH = resetAfter ? mul(rg, cols(inner, 2 * u, 3 * u)) : mm(mul(rg, h), cols(r, 2 * u, 3 * u));
  const hh = map(add(cols(mx, 2 * u, 3 * u), recH), tanh);
  return h.map((row, i) => row.map((hv, j) => z[i][j] * hv + (1 - z[i][j]) * hh[i][j]));
}

/** Random weights of the cell's shapes (so biases are non-zero too). */
function randomize(cell: RNNCell, seed: number): void {
  cell.setWeights(cell.weights.map((w, i) => random.normal(random.key(seed + i), [...w.shape]).mul(0.5)));
}

const x = () => random.normal(random.key(11), [3, 5]);
const h0 = (u: number, s = 12) => random.normal(random.key(s), [3, u]);

describe("SimpleRNNCell", () => {
  it("has Keras weights and matches h = tanh(x K + b + h R)", () => {
    const cell = new SimpleRNNCell(4);
    const [y, [h]] = cell.apply([x(), [h0(4)]]);
    expect(cell.name).toBe("simple_rnn_cell");
    expect(cell.weights.map((w) => [w.name, w.shape])).toEqual([["kernel", [5, 4]], ["recurrent_kernel", [4, 4]], ["bias", [4]]]);
    randomize(cell, 1);
    const [k, r, b] = cell.getWeights().map(arr);
    const [y2, [h2]] = cell.apply([x(), h0(4)]);
    const want = refSimpleRNN(arr(x()), arr(h0(4)), k, r, b);
    expectArray(y2, want, { rtol: 1e-5, atol: 1e-6 });
    expect(arr(h2)).toEqual(arr(y2));
    expect(y.shape).toEqual([3, 4]);
    expect(h.shape).toEqual([3, 4]);
  });

  it("without bias and with a relu activation", () => {
    const cell = new SimpleRNNCell(2, { useBias: false, activation: "relu" });
    cell.apply([x(), [h0(2)]]);
    expect(cell.weights.length).toBe(2);
    const [k, r] = cell.getWeights().map(arr);
    const want = map(add(mm(arr(x()), k), mm(arr(h0(2)), r)), (v) => Math.max(v, 0));
    expectArray(cell.apply([x(), [h0(2)]])[0], want, { rtol: 1e-5, atol: 1e-6 });
  });
});

describe("LSTMCell", () => {
  it("has gates i, f, c, o in Keras order and unit forget bias", () => {
    const cell = new LSTMCell(3);
    cell.apply([x(), [h0(3), h0(3, 13)]]);
    expect(cell.stateSize).toEqual([3, 3]);
    expect(cell.weights.map((w) => [w.name, w.shape])).toEqual([["kernel", [5, 12]], ["recurrent_kernel", [3, 12]], ["bias", [12]]]);
    expect(arr(cell.bias!.value)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    randomize(cell, 2);
    const [k, r, b] = cell.getWeights().map(arr);
    const [y, [h, c]] = cell.apply([x(), [h0(3), h0(3, 13)]]);
    const [wantH, wantC] = refLSTM(arr(x()), arr(h0(3)), arr(h0(3, 13)), k, r, b);
    expectArray(y, wantH, { rtol: 1e-5, atol: 1e-6 });
    expectArray(h, wantH, { rtol: 1e-5, atol: 1e-6 });
    expectArray(c, wantC, { rtol: 1e-5, atol: 1e-6 });
  });

  it("unitForgetBias false uses the bias initializer alone; recurrent kernel is orthogonal", () => {
    const cell = new LSTMCell(4, { unitForgetBias: false, biasInitializer: "ones" });
    cell.apply([np.ones([1, 4]), [np.zeros([1, 4]), np.zeros([1, 4])]]);
    expect(arr(cell.bias!.value)).toEqual(Array(16).fill(1));
    // Orthogonal [4, 16]: its rows are orthonormal.
    const r = cell.recurrentKernel.value;
    expectArray(np.matmul(r, r.T), arr(np.eye(4)), { atol: 1e-5 });
  });
});

describe("GRUCell", () => {
  for (const resetAfter of [true, false]) {
    it(`matches the Keras equations (resetAfter ${resetAfter})`, () => {
      const cell = new GRUCell(3, { resetAfter });
      cell.apply([x(), [h0(3)]]);
      expect(cell.weights.map((w) => w.shape)).toEqual([[5, 9], [3, 9], resetAfter ? [2, 9] : [9]]);
      randomize(cell, 3);
      const [k, r, b] = cell.getWeights().map(arr);
      const [y, [h]] = cell.apply([x(), [h0(3)]]);
      const want = refGRU(arr(x()), arr(h0(3)), k, r, b, resetAfter);
      expectArray(y, want, { rtol: 1e-5, atol: 1e-6 });
      expect(arr(h)).toEqual(arr(y));
    });
  }
});

describe("dropout masks", () => {
  it("are drawn only in training, once per kind (or per gate with recurrent dropout), with values 0 or 1/(1-rate)", () => {
    const cell = new LSTMCell(3, { dropout: 0.5 });
    const xs = np.ones([4, 6]);
    expect(cell.dropoutMasks(new CallContext({ training: false }), xs.shape)).toEqual({ input: null, recurrent: null });
    const m = cell.dropoutMasks(new CallContext({ training: true, key: random.key(0) }), xs.shape);
    expect(m.recurrent).toBeNull();
    expect(m.input!.length).toBe(1);
    expect(m.input![0].shape).toEqual([4, 6]);
    const vals = new Set(Array.from(m.input![0].dataSync()));
    expect([...vals].sort()).toEqual([0, 2]);
    const cell2 = new LSTMCell(3, { dropout: 0.25, recurrentDropout: 0.5 });
    const m2 = cell2.dropoutMasks(new CallContext({ training: true, key: random.key(0) }), xs.shape);
    expect(m2.input!.length).toBe(4);
    expect(m2.recurrent!.length).toBe(4);
    expect(m2.recurrent![0].shape).toEqual([4, 3]);
  });

  it("apply the masks like Keras (inputs and recurrent state multiplied before the matmuls)", () => {
    const cell = new SimpleRNNCell(3, { dropout: 0.5, recurrentDropout: 0.5 });
    cell.apply([x(), [h0(3)]]);
    randomize(cell, 4);
    const masks = cell.dropoutMasks(new CallContext({ training: true, key: random.key(7) }), [3, 5]);
    const [y] = cell.step(x(), [h0(3)], masks);
    const [k, r, b] = cell.getWeights().map(arr);
    const want = refSimpleRNN(mul(arr(x()), arr(masks.input![0])), mul(arr(h0(3)), arr(masks.recurrent![0])), k, r, b);
    expectArray(y, want, { rtol: 1e-5, atol: 1e-6 });
    // Per-gate recurrent masks for GRU (Keras' implementation 1): gate g sees mask g.
    const gru = new GRUCell(2, { recurrentDropout: 0.5 });
    gru.apply([x(), [h0(2)]]);
    randomize(gru, 5);
    const gm = gru.dropoutMasks(new CallContext({ training: true, key: random.key(8) }), [3, 5]);
    expect(gm.recurrent!.length).toBe(3);
    const [gk, gr, gb] = gru.getWeights().map(arr);
    const [gy] = gru.step(x(), [h0(2)], gm);
    // Oracle: each gate's recurrent projection uses h * mask_g.
    const hm = gm.recurrent!.map((t) => mul(arr(h0(2)), arr(t)));
    const mx = add(mm(arr(x()), gk), gb[0]);
    const inner = (g: number) => add(mm(hm[g], cols(gr, 2 * g, 2 * g + 2)), gb[1].slice(2 * g, 2 * g + 2));
    const z = map(add(cols(mx, 0, 2), inner(0)), sig);
    const rr = map(add(cols(mx, 2, 4), inner(1)), sig);
    const hh = map(add(cols(mx, 4, 6), mul(rr, inner(2))), tanh);
    const h = arr(h0(2)) as M;
    expectArray(gy, h.map((row, i) => row.map((hv, j) => z[i][j] * hv + (1 - z[i][j]) * hh[i][j])), { rtol: 1e-5, atol: 1e-6 });
  });
});

describe("config and errors", () => {
  it("round-trips through getConfig/fromConfig with identical outputs", () => {
    for (const cell of [new SimpleRNNCell(3, { activation: "relu" }), new LSTMCell(3, { unitForgetBias: false }), new GRUCell(3, { resetAfter: false })]) {
      const states = cell.stateSize.map(() => h0(3));
      const y = cell.apply([x(), states])[0];
      const cfg = JSON.parse(JSON.stringify(cell.getConfig()));
      const copy = (cell.constructor as any).fromConfig(cfg) as RNNCell;
      copy.apply([x(), states]);
      copy.setWeights(cell.getWeights());
      expect(arr(copy.apply([x(), states])[0])).toEqual(arr(y));
      expect(copy.getConfig()).toEqual({ ...cfg, name: copy.name });
    }
    expect(new LSTMCell(2).getConfig()).toMatchObject({ units: 2, activation: "tanh", recurrentActivation: "sigmoid", unitForgetBias: true, recurrentInitializer: "orthogonal" });
    expect(new GRUCell(2).getConfig()).toMatchObject({ resetAfter: true, dropout: 0, recurrentDropout: 0 });
  });

  it("reports bad arguments and inputs", () => {
    expect(() => new LSTMCell(0)).toThrow(/units must be a positive integer, received 0/);
    expect(() => new GRUCell(2, { dropout: 1.5 })).toThrow(/dropout must be a number in \[0, 1\), received 1.5/);
    expect(() => new LSTMCell(2).apply([x(), [h0(2)]])).toThrow(/expected 2 state array\(s\), received 1/);
    expect(() => new SimpleRNNCell(2).apply(x() as any)).toThrow(/expected inputs \[x, states\]/);
  });
});
