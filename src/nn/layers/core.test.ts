import { beforeEach, describe, expect, it } from "vitest";
import { np } from "../../index.js";
import * as nn from "../index.js";
import { clearSession } from "../variable.js";

const { layers } = nn;

beforeEach(() => clearSession());

describe("core layers", () => {
  it("Dense config round trip keeps serialized initializers, regularizers and constraints", () => {
    const d = new layers.Dense(3, {
      kernelInitializer: new nn.initializers.HeNormal({ seed: 1 }),
      kernelRegularizer: new nn.regularizers.L2(0.01),
      kernelConstraint: new nn.constraints.MaxNorm(2),
      activation: "relu",
    });
    const cfg = JSON.parse(JSON.stringify(d.getConfig()));
    expect(cfg.kernelInitializer.className).toBe("HeNormal");
    const d2 = layers.Dense.fromConfig(cfg);
    d2.apply(np.ones([1, 4]));
    expect(d2.kernel.regularizer).not.toBeNull();
    expect(d2.kernel.constraint).not.toBeNull();
    expect(d2.getConfig()).toEqual({ ...cfg, name: d2.name });
  });

  it("Flatten, Reshape, Permute and RepeatVector shapes", () => {
    const x = np.ones([2, 3, 4]);
    expect(new layers.Flatten().apply(x).shape).toEqual([2, 12]);
    expect(new layers.Reshape([4, 3]).apply(x).shape).toEqual([2, 4, 3]);
    expect(new layers.Permute([2, 1]).apply(x).shape).toEqual([2, 4, 3]);
    expect(new layers.RepeatVector(5).apply(np.ones([2, 3])).shape).toEqual([2, 5, 3]);
    expect(() => new layers.Permute([0, 1])).toThrow(/permutation of 1\.\.2/);
  });

  it("string identifiers of activations and initializers resolve; unknown ones fail clearly", () => {
    expect(() => new layers.Dense(2, { activation: "nope" })).toThrow(/Unknown activation "nope"/);
    const d = new layers.Dense(2, { kernelInitializer: "zeros", activation: "sigmoid" });
    expect(d.apply(np.ones([1, 2])).toArray()).toEqual([[0.5, 0.5]]);
  });
});
