import { beforeEach, describe, expect, it } from "vitest";
import { np, grad, random, type Tracer } from "../../index.js";
import { Input, Model, optimizers, setRandomSeed, clearSession } from "../index.js";
import { Dense } from "./core.js";
import { expectArray } from "../../../tests/helpers/assert.js";
import {
  Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, concatenate, dot, subtract,
} from "./merging.js";

beforeEach(() => {
  clearSession();
  setRandomSeed(0);
});

const a = () => np.array([[1, -2, 3], [4, 5, -6]]);
const b = () => np.array([[2, 2, 2], [-1, 0, 1]]);
const c = () => np.array([[0, 1, 0], [1, 1, 1]]);

describe("elementwise merges", () => {
  it("compute sums, differences, products, means, maxima and minima", () => {
    expectArray(new Add().apply([a(), b(), c()]), [[3, 1, 5], [4, 6, -4]]);
    expectArray(new Subtract().apply([a(), b()]), [[-1, -4, 1], [5, 5, -7]]);
    expectArray(new Multiply().apply([a(), b(), c()]), [[0, -4, 0], [-4, 0, -6]]);
    expectArray(new Average().apply([a(), b()]), [[1.5, 0, 2.5], [1.5, 2.5, -2.5]]);
    expectArray(new Maximum().apply([a(), b(), c()]), [[2, 2, 3], [4, 5, 1]]);
    expectArray(new Minimum().apply([a(), b(), c()]), [[0, -2, 0], [-1, 0, -6]]);
    expectArray(new Add().apply([a()]), [[1, -2, 3], [4, 5, -6]]);
    expect(new Add().name).toBe("add_2"); // Keras naming: add, add_1 above
  });

  it("broadcast size-1 axes and lift lower ranks after the batch axis, like Keras", () => {
    const x = np.arange(12).reshape([2, 2, 3]);
    const y = np.array([[10, 20, 30], [40, 50, 60]]); // [2, 3] -> [2, 1, 3]
    expectArray(new Add().apply([x, y]), [[[10, 21, 32], [13, 24, 35]], [[46, 57, 68], [49, 60, 71]]]);
    const z = np.array([[[1], [2]], [[3], [4]]]); // [2, 2, 1]
    expect(new Multiply().apply([x, z]).shape).toEqual([2, 2, 3]);
  });

  it("give symbolic shapes with a free batch and work in a functional model", () => {
    const i1 = Input({ shape: [4] });
    const i2 = Input({ shape: [4] });
    const s = add([i1, i2]);
    expect(s.shape).toEqual([null, 4]);
    const d = subtract([new Dense(4).apply(i1), i2]);
    const model = new Model({ inputs: [i1, i2], outputs: [s, d] });
    const [ys] = model.apply([np.ones([3, 4]), np.ones([3, 4])]);
    expectArray(ys, Array(3).fill([2, 2, 2, 2]));
  });

  it("pass gradients to every input", () => {
    const g = grad((xs: Tracer[]) => np.sum(new Multiply().apply(xs)))([a(), b()]) as Tracer[];
    expectArray(g[0], b().toArray() as number[][]);
    expectArray(g[1], a().toArray() as number[][]);
    const gm = grad((xs: Tracer[]) => np.sum(new Maximum().apply(xs)))([a(), b()]) as Tracer[];
    expectArray(gm[0], [[0, 0, 1], [1, 1, 0]]);
  });

  it("round-trip their configs", () => {
    for (const L of [Add, Subtract, Multiply, Average, Maximum, Minimum]) {
      const layer = new L();
      const copy = L.fromConfig(layer.getConfig());
      expect(copy.getConfig()).toEqual(layer.getConfig());
      expectArray(copy.apply([a(), b()]), layer.apply([a(), b()]).toArray() as number[][]);
    }
  });

  it("explain bad inputs", () => {
    expect(() => new Add().apply(a())).toThrow(/takes an array of inputs/);
    expect(() => new Add().apply([])).toThrow(/at least 1 inputs/);
    expect(() => new Subtract().apply([a(), b(), c()])).toThrow(/exactly 2 inputs/);
    expect(() => new Add().apply([a(), np.ones([3, 3])])).toThrow(/different batch sizes/);
    expect(() => new Add().apply([a(), np.ones([2, 4])])).toThrow(/incompatible shapes \[2,3\], \[2,4\]/);
    expect(() => add([Input({ shape: [3] }), Input({ shape: [2] })])).toThrow(/incompatible shapes/);
  });
});

describe("Concatenate", () => {
  it("joins along the last axis by default and along any other", () => {
    expectArray(new Concatenate().apply([a(), np.array([[7], [8]])]), [[1, -2, 3, 7], [4, 5, -6, 8]]);
    expect(new Concatenate(1).apply([np.ones([2, 3, 4]), np.ones([2, 1, 4])]).shape).toEqual([2, 4, 4]);
    expect(concatenate([Input({ shape: [3] }), Input({ shape: [5] })]).shape).toEqual([null, 8]);
  });

  it("checks shapes, round-trips and trains in a two-branch model", async () => {
    expect(() => new Concatenate().apply([np.ones([2, 3]), np.ones([2, 2, 3])])).toThrow(/same rank and equal dimensions/);
    expect(() => new Concatenate(0).apply([np.ones([2, 3]), np.ones([2, 4])])).toThrow(/except on the concatenation axis 0/);
    const layer = new Concatenate(-2);
    expect(Concatenate.fromConfig(layer.getConfig()).axis).toBe(-2);
    const i1 = Input({ shape: [2] });
    const i2 = Input({ shape: [1] });
    const model = new Model({ inputs: [i1, i2], outputs: new Dense(1).apply(new Concatenate().apply([i1, i2])) });
    model.compile({ optimizer: new optimizers.SGD(0.1), loss: "mse" });
    const x1 = random.normal(random.key(1), [64, 2]);
    const x2 = random.normal(random.key(2), [64, 1]);
    const y = np.concatenate([x1, x2], 1).sum({ axis: 1, keepdims: true });
    const h = await model.fit([x1, x2], y, { epochs: 30, batchSize: 16, verbose: 0 });
    expect(h.history.loss.at(-1)).toBeLessThan(1e-2);
  });
});

describe("Dot", () => {
  it("takes per-sample dot products; two 2-D inputs give (batch, 1)", () => {
    expectArray(new Dot(1).apply([a(), b()]), [[2 - 4 + 6], [-4 + 0 - 6]]);
    expectArray(dot([a(), b()], -1), [[4], [-10]]);
  });

  it("contracts the given axes of 3-D inputs like a batched matmul", () => {
    const x = random.normal(random.key(3), [2, 3, 4]);
    const y = random.normal(random.key(4), [2, 5, 4]);
    const out = new Dot([2, 2]).apply([x, y]);
    expect(out.shape).toEqual([2, 3, 5]);
    expectArray(out, np.matmul(x, np.transpose(y, [0, 2, 1])).toArray() as number[][][], { rtol: 1e-5, atol: 1e-5 });
    expect(new Dot([1, 2]).apply([Input({ shape: [4, 3] }), Input({ shape: [5, 4] })]).shape).toEqual([null, 3, 5]);
  });

  it("normalize gives cosine similarities", () => {
    const out = new Dot(1, { normalize: true }).apply([np.array([[3, 4], [1, 0]]), np.array([[4, 3], [0, 2]])]);
    expectArray(out, [[24 / 25], [0]], { rtol: 1e-6 });
    const layer = new Dot([1, 1], { normalize: true });
    const copy = Dot.fromConfig(JSON.parse(JSON.stringify(layer.getConfig())));
    expect(copy.getConfig()).toEqual(layer.getConfig());
  });

  it("gradients match the closed form", () => {
    const g = grad((x: Tracer) => np.sum(new Dot(1).apply([x, b()])))(a());
    expectArray(g, b().toArray() as number[][]);
  });

  it("explains bad axes and shapes", () => {
    expect(() => new Dot(1).apply([a(), np.ones([2, 4])])).toThrow(/contracted axes/);
    expect(() => new Dot(0).apply([a(), b()])).toThrow(/cannot contract the batch axis/);
    expect(() => new Dot(1).apply([a(), b(), c()])).toThrow(/exactly 2 inputs/);
    expect(() => new Dot(1.5)).toThrow(/integer or a pair/);
    expect(() => new Dot([1, 2, 3] as never)).toThrow(/integer or a pair/);
  });

  it("works inside a functional model with a free batch", () => {
    const i = Input({ shape: [3] });
    const model = new Model({ inputs: i, outputs: new Dot(1).apply([i, i]) });
    expectArray(model.apply(np.array([[1, 2, 2]])), [[9]]);
  });
});
