/**
 * @file Keras regularizers and constraints: values against hand-computed Keras formulas,
 * gradients and jit, config round trips, `get`, errors.
 */
import { describe, expect, it } from "vitest";
import { np, grad, jit, type Tracer } from "../index.js";
import { expectArray } from "../../tests/helpers/assert.js";
import * as regularizers from "./regularizers.js";
import * as constraints from "./constraints.js";

const w = () => np.array([[1, -2], [3, 4]]);

describe("regularizers", () => {
  it("L1, L2, L1L2 on hand-worked values (Keras defaults 0.01; L1L2 defaults 0)", () => {
    // Σ|w| = 10, Σw² = 30.
    expectArray(new regularizers.L1().call(w()), 0.1);
    expectArray(new regularizers.L2().call(w()), 0.3);
    expectArray(new regularizers.L1L2(0.5, 0.25).call(w()), 5 + 7.5);
    expectArray(new regularizers.L1L2({ l2: 1 }).call(w()), 30);
    expectArray(new regularizers.L1L2().call(w()), 0);
    expect(new regularizers.L2().call(w().astype("float64")).dtype).toBe("float64");
  });

  it("have the gradient of the penalty and trace under jit", () => {
    const g = grad((x: Tracer) => new regularizers.L1L2(0.5, 0.25).call(x))(w());
    expectArray(g, [[0.5 + 0.5, -0.5 - 1], [0.5 + 1.5, 0.5 + 2]]);
    expectArray(jit((x: Tracer) => new regularizers.L2(0.1).call(x))(w()), 3, { rtol: 1e-6 });
  });

  it("OrthogonalRegularizer: mean |cosine| over pairs of rows or columns", () => {
    // Rows (1, 0), (1, 1), (0, 1): cosines 1/√2, 0, 1/√2 → mean over 3 pairs = √2/3.
    const m = np.array([[1, 0], [1, 1], [0, 1]]);
    expectArray(new regularizers.OrthogonalRegularizer(1).call(m), Math.SQRT2 / 3, { rtol: 1e-5 });
    // Columns (1, 1, 0) and (0, 1, 1): cosine 1/2, a single pair.
    expectArray(new regularizers.OrthogonalRegularizer({ factor: 0.1, mode: "columns" }).call(m), 0.1 * 0.5, { rtol: 1e-5 });
    expectArray(new regularizers.OrthogonalRegularizer().call(np.eye(3)), 0);
    expect(() => new regularizers.OrthogonalRegularizer().call(np.ones([2, 2, 2]))).toThrow(/must be 2-D/);
  });

  it("configs, get and errors", () => {
    for (const r of [new regularizers.L1(0.2), new regularizers.L2(0.3), new regularizers.L1L2(0.1, 0.2), new regularizers.OrthogonalRegularizer(0.5, "columns")]) {
      const back = regularizers.deserialize(JSON.parse(JSON.stringify(regularizers.serialize(r))));
      expect(back.constructor).toBe(r.constructor);
      expect(back.getConfig()).toEqual(r.getConfig());
    }
    expect(regularizers.get("l2")).toBeInstanceOf(regularizers.L2);
    expect((regularizers.get("l2") as regularizers.L2).l2).toBe(0.01);
    expect(regularizers.get("l1")).toBeInstanceOf(regularizers.L1);
    expect(regularizers.get("l1_l2")).toBeInstanceOf(regularizers.L1L2);
    expect(regularizers.get("l1l2")).toBeInstanceOf(regularizers.L1L2);
    expect(regularizers.get("orthogonal_regularizer")).toBeInstanceOf(regularizers.OrthogonalRegularizer);
    expect(regularizers.get("L1L2")).toBeInstanceOf(regularizers.L1L2);
    expect((regularizers.get({ class_name: "L1L2", config: { l1: 0.0, l2: 0.02 } }) as regularizers.L1L2).l2).toBe(0.02);
    const mine = new regularizers.L1(1);
    expect(regularizers.get(mine)).toBe(mine);
    expect(() => regularizers.get("l3")).toThrow(/unknown regularizer "l3"/);
    expect(() => new regularizers.L2(-1)).toThrow(/l2 must be a finite number >= 0/);
    expect(() => new regularizers.L1(NaN)).toThrow(/l1 must be a finite number >= 0/);
    expect(() => new regularizers.OrthogonalRegularizer(0.1, "diag" as "rows")).toThrow(/mode must be one of "rows", "columns"/);
    expect(() => regularizers.L2.fromConfig({ l1: 0.1 })).toThrow(/unknown argument 'l1'/);
  });
});

describe("constraints", () => {
  it("MaxNorm: columns (axis 0) above the limit are scaled down, the others kept", () => {
    // Column norms 5 and √5.
    const m = np.array([[3, 1], [4, 2]]);
    const s = 2 / (5 + 1e-7);
    const u = 2 / (Math.sqrt(5) + 1e-7);
    const t = Math.sqrt(5) / (Math.sqrt(5) + 1e-7);
    expectArray(new constraints.MaxNorm().call(m), [[3 * s, u], [4 * s, 2 * u]]);
    expectArray(new constraints.MaxNorm(3).call(m), [[1.8, 1 * t], [2.4, 2 * t]], { rtol: 1e-6 });
    // axis 1: row norms √10 and √20.
    expectArray(new constraints.MaxNorm(1, 1).call(m), [[3 / Math.sqrt(10), 1 / Math.sqrt(10)], [4 / Math.sqrt(20), 2 / Math.sqrt(20)]], { rtol: 1e-6 });
  });

  it("UnitNorm, NonNeg, MinMaxNorm", () => {
    expectArray(new constraints.UnitNorm().call(np.array([[3], [4]])), [[0.6], [0.8]]);
    expectArray(new constraints.UnitNorm([0, 1]).call(np.array([[3, 0], [0, 4]])), [[0.6, 0], [0, 0.8]]);
    expectArray(new constraints.NonNeg().call(np.array([-1, 0, 2.5])), [0, 0, 2.5]);
    // Norms 5 (above 2) and 0.5 (below 1): rate 0.5 moves halfway, to 3.5 and 0.75.
    const m = np.array([[3, 0.3], [4, 0.4]]);
    expectArray(new constraints.MinMaxNorm(1, 2, { rate: 0.5 }).call(m), [[3 * 0.7, 0.3 * 1.5], [4 * 0.7, 0.4 * 1.5]], { rtol: 1e-5 });
    expectArray(new constraints.MinMaxNorm().call(m), [[0.6, 0.3], [0.8, 0.4]], { rtol: 1e-5 });
    const f = jit((x: Tracer) => new constraints.MaxNorm(1).call(x));
    expectArray(f(np.array([[3], [4]])), [[0.6], [0.8]], { rtol: 1e-6 });
  });

  it("configs, get and errors", () => {
    for (const c of [new constraints.MaxNorm(3, [0, 1]), new constraints.MinMaxNorm(0.5, 2, { rate: 0.3, axis: 1 }), new constraints.NonNeg(), new constraints.UnitNorm(1)]) {
      const back = constraints.deserialize(JSON.parse(JSON.stringify(constraints.serialize(c))));
      expect(back.constructor).toBe(c.constructor);
      expect(back.getConfig()).toEqual(c.getConfig());
    }
    expect(new constraints.MaxNorm().getConfig()).toEqual({ maxValue: 2, axis: 0 });
    const ids = { max_norm: constraints.MaxNorm, non_neg: constraints.NonNeg, unit_norm: constraints.UnitNorm, min_max_norm: constraints.MinMaxNorm, MaxNorm: constraints.MaxNorm };
    for (const [id, cls] of Object.entries(ids)) expect(constraints.get(id)).toBeInstanceOf(cls);
    const k = constraints.get({ class_name: "MaxNorm", config: { max_value: 4, axis: [0, 1] } }) as constraints.MaxNorm;
    expect([k.maxValue, k.axis]).toEqual([4, [0, 1]]);
    expect(() => constraints.get("maxnorm")).toThrow(/unknown constraint "maxnorm"; expected one of max_norm/);
    expect(() => new constraints.MaxNorm(-1)).toThrow(/maxValue must be a finite number >= 0/);
    expect(() => new constraints.UnitNorm(0.5)).toThrow(/axis must be an integer/);
    expect(() => new constraints.MinMaxNorm(2, 1)).toThrow(/maxValue must be >= minValue/);
    expect(() => constraints.NonNeg.fromConfig({ axis: 0 })).toThrow(/unknown argument 'axis'/);
  });
});
