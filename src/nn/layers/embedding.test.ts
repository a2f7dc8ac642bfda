import { beforeEach, describe, expect, it } from "vitest";
import { np, grad, random, type Tracer } from "../../index.js";
import { Input, Sequential, optimizers, setRandomSeed, clearSession } from "../index.js";
import { Dense, Flatten } from "./core.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import { Embedding } from "./embedding.js";

beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});

const ids = (v: number[][]) => np.array(v, { dtype: "int32" });
const table = [[0, 0], [1, 10], [2, 20], [3, 30]];

function withTable(opts = {}): Embedding {
  const e = new Embedding(4, 2, opts);
  e.apply(ids([[0]]));
  e.setWeights([np.array(table)]);
  return e;
}

describe("Embedding", () => {
  it("creates a uniform(-0.05, 0.05) table named embeddings", () => {
    const e = new Embedding(50, 8);
    expect(e.name).toBe("embedding");
    const y = e.apply(ids([[1, 2, 3]]));
    expect(y.shape).toEqual([1, 3, 8]);
    expect(e.weights.map((w) => [w.name, w.shape])).toEqual([["embeddings", [50, 8]]]);
    const vals = (e.embeddings.value.toArray() as number[][]).flat();
    expect(Math.max(...vals)).toBeLessThanOrEqual(0.05);
    expect(Math.min(...vals)).toBeGreaterThanOrEqual(-0.05);
    expect(Math.max(...vals) - Math.min(...vals)).toBeGreaterThan(0.05);
  });

  it("looks up rows for ids of any rank", () => {
    const e = withTable();
    expectArray(e.apply(ids([[3, 1], [0, 0]])), [[[3, 30], [1, 10]], [[0, 0], [0, 0]]]);
    expectArray(e.apply(np.array([2], { dtype: "int32" })), [[2, 20]]);
    expect(e.apply(np.zeros([2, 3, 4], { dtype: "int32" })).shape).toEqual([2, 3, 4, 2]);
  });

  it("follows JAX take: negative ids count from the end, too-large ids give NaN", () => {
    const e = withTable();
    expectArray(e.apply(ids([[-1, 4]])), [[[3, 30], [NaN, NaN]]]);
  });

  it("casts whole-number float ids and rejects fractional ones with a clear error", () => {
    const e = withTable();
    expectArray(e.apply(np.array([[2, 1]])), [[[2, 20], [1, 10]]]);
    expect(() => e.apply(np.array([[1.5]]))).toThrow(/expected integer ids, received float32 values with fractional parts/);
  });

  it("gives symbolic shapes from an int Input and inputLength builds a Sequential eagerly", () => {
    const e = new Embedding(10, 3);
    expect(e.apply(Input({ shape: [7], dtype: "int32" })).shape).toEqual([null, 7, 3]);
    const model = new Sequential([new Embedding(10, 3, { inputLength: 5 }), new Flatten()]);
    expect(model.built).toBe(true);
    expect(model.countParams()).toBe(30);
    expect(model.apply(ids([[1, 2, 3, 4, 5]])).shape).toEqual([1, 15]);
  });

  it("maskZero: computeMask marks padding", () => {
    const e = withTable({ maskZero: true });
    expect(e.computeMask(ids([[0, 2, 0]]))!.toArray()).toEqual([[false, true, false]]);
    expect(withTable().computeMask(ids([[0]]))).toBeNull();
  });

  it("the gradient w.r.t. the table adds the output cotangents per id", () => {
    const e = withTable();
    const [params] = e.paramsAndState();
    const w = np.array([[[1, 2], [3, 4], [5, 6]]]);
    const f = (p: Record<string, Tracer>) => np.sum(e.statelessCall(p, {}, ids([[1, 3, 1]]))[0].mul(w));
    const g = grad(f)(params) as Record<string, Tracer>;
    expectArray(g.embeddings, [[0, 0], [6, 8], [0, 0], [3, 4]]);
  });

  it("round-trips its config with the same weights", () => {
    const e = new Embedding(6, 3, { maskZero: true, embeddingsInitializer: "glorot_uniform" });
    const x = ids([[1, 5, 0]]);
    const y = e.apply(x);
    const copy = Embedding.fromConfig(JSON.parse(JSON.stringify({ ...e.getConfig(), name: "copy" })));
    copy.apply(x);
    copy.setWeights(e.getWeights());
    expect(copy.getConfig()).toEqual({ ...e.getConfig(), name: "copy" });
    expect(copy.getConfig()).toMatchObject({ inputDim: 6, outputDim: 3, maskZero: true, embeddingsInitializer: "glorot_uniform" });
    expectArray(copy.apply(x), y.toArray() as number[][][]);
  });

  it("validates its arguments", () => {
    expect(() => new Embedding(0, 3)).toThrow(/inputDim must be a positive integer, received 0/);
    expect(() => new Embedding(3, 2.5)).toThrow(/outputDim must be a positive integer/);
    expect(() => new Embedding(3, 2, { inputLength: -1 })).toThrow(/inputLength must be a positive integer/);
  });

  it("trains: learns a per-token value", async () => {
    const x = random.randint(random.key(1), [256, 1], 0, 5);
    const y = x.astype("float32").mul(2).sub(3);
    const model = new Sequential([new Embedding(5, 4, { inputLength: 1 }), new Flatten(), new Dense(1)]);
    model.compile({ optimizer: new optimizers.Adam(0.05), loss: "mse" });
    const h = await model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0 });
    expect(h.history.loss.at(-1)).toBeLessThan(0.05);
  });
});
