import { describe, expect, it } from "vitest";
import { np, random } from "../index.js";
import { makeJaxpr } from "../trace/jaxpr-trace.js";
import { expectArray } from "../../tests/helpers/assert.js";

// Expected values come from jax 0.4.30 (default threefry, x64 disabled): the jax.random module
// docstring, tests/random_test.py (testPRNGValues, testRngRandomBits, _RANDOM_VALUES_CASES,
// whose seeds are zlib.adler32(name + "threefry2x32")) and docs/jep/9263-typed-keys.md.
const k0 = random.key(0);

describe("random keys", () => {
  it("makes keys from seeds like jax.random.key", () => {
    expectArray(k0, [0, 0], { dtype: "uint32" });
    expectArray(random.key(42), [0, 42]);
    expectArray(random.key(-1), [0, 4294967295]);
    expectArray(random.key(2 ** 32 + 5), [0, 5]);
    expectArray(random.PRNGKey(7), [0, 7]);
  });

  it("splits like jax.random.split", () => {
    expectArray(random.splitKeys(k0), [[4146024105, 967050713], [2718843009, 1272950319]], { dtype: "uint32" });
    expectArray(random.splitKeys(k0, 4), [
      [2285895361, 1501764800], [1518642379, 4090693311], [433833334, 4221794875], [839183663, 3740430601],
    ]);
    const [a, b] = random.split(k0);
    expectArray(a, [4146024105, 967050713]);
    expectArray(b, [2718843009, 1272950319]);
    expect(random.split(k0, 3)).toHaveLength(3);
  });

  it("folds in data like jax.random.fold_in", () => {
    expectArray(random.foldIn(k0, 4), [2285895361, 433833334], { dtype: "uint32" });
    expectArray(random.foldIn(k0, np.array(4, { dtype: "int32" })), [2285895361, 433833334]);
    expect(random.foldIn(k0, 1).toArray()).not.toEqual(random.foldIn(k0, 2).toArray());
  });

  it("rejects things that are not a single key", () => {
    expect(() => random.uniform(np.zeros([2]))).toThrow(/random\.uniform: expected a key.*f32\[2\]/);
    expect(() => random.normal(random.splitKeys(k0, 3))).toThrow(/vmap/);
    expect(() => random.key(1.5)).toThrow(TypeError);
  });
});

describe("random bits and uniform", () => {
  it("matches JAX's bits", () => {
    expectArray(random.bits(random.key(1701), [3]), [56197195, 4200222568, 961309823], { dtype: "uint32" });
    expectArray(random.bits(random.key(942802475), [5]), [1978747883, 4134381225, 3628107870, 689687174, 2788938207]);
  });

  it("matches JAX's uniform bit for bit", () => {
    expect(random.uniform(k0).item()).toBe(Math.fround(0.41845703));
    expect(random.uniform(random.split(k0)[1]).item()).toBe(Math.fround(0.10536897));
    expectArray(random.uniform(k0, [3]), [0.9653214, 0.31468165, 0.63302994], { dtype: "float32", rtol: 1e-7 });
    expectArray(random.uniform(random.key(1338574713), [5]), [0.298671, 0.073213, 0.873356, 0.260549, 0.412797], { atol: 1e-6 });
  });

  it("respects minval, maxval, dtype and shape", () => {
    const u = random.uniform(k0, [1000], { minval: -2, maxval: 3 });
    const d = Array.from(u.dataSync());
    expect(Math.min(...d)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...d)).toBeLessThan(3);
    expect(random.uniform(k0, [2, 3], { dtype: "float64" }).dtype).toBe("float64");
    expect(random.uniform(k0, [2, 3], { dtype: "float16" }).shape).toEqual([2, 3]);
    expect(() => random.uniform(k0, [2], { dtype: "int32" })).toThrow(/float dtype/);
  });

  it("has the right mean and variance (10k samples)", () => {
    for (const dtype of ["float32", "float64", "float16"] as const) {
      const u = random.uniform(random.key(3), [10000], { dtype });
      expect(np.mean(u).item()).toBeCloseTo(0.5, 1);
      expect(Math.abs(Number(np.var(u).item()) - 1 / 12)).toBeLessThan(0.005);
    }
  });

  it("is deterministic and differs across keys", () => {
    expect(random.uniform(k0, [4]).toArray()).toEqual(random.uniform(random.key(0), [4]).toArray());
    expect(random.uniform(k0, [4]).toArray()).not.toEqual(random.uniform(random.key(1), [4]).toArray());
  });
});

describe("random samplers against JAX", () => {
  const cases: [string, number, (k: np.Array) => np.Array, number[]][] = [
    ["normal", 1193674498, (k) => random.normal(k, [5]), [-1.173234, -1.511662, 0.070593, -0.099764, 1.052845]],
    ["randint", 1319372649, (k) => random.randint(k, [5], 0, 10), [0, 5, 7, 7, 5]],
    ["bernoulli", 1612777541, (k) => random.bernoulli(k, 0.5, [5]), [0, 1, 1, 1, 0]],
    ["exponential", 1942292768, (k) => random.exponential(k, [5]), [0.526067, 0.043046, 0.039932, 0.46427, 0.123886]],
    ["gumbel", 1179715317, (k) => random.gumbel(k, [5]), [2.06701, 0.911726, 0.145736, 0.185427, -0.00711]],
    ["laplace", 1291781963, (k) => random.laplace(k, [5]), [0.578939, -0.204902, 0.555733, 0.911053, -0.96456]],
    ["logistic", 1466238935, (k) => random.logistic(k, [5]), [0.19611, -1.709053, -0.274093, -0.208322, -1.675489]],
    ["rademacher", 1719994501, (k) => random.rademacher(k, [5]), [-1, -1, -1, -1, 1]],
    ["truncatedNormal", 2846034731, (k) => random.truncatedNormal(k, 0, 2, [5]), [0.582807, 1.709771, 0.159513, 0.861376, 0.36148]],
  ];
  it.each(cases)("%s", (_name, seed, f, want) => {
    expectArray(f(random.key(seed)), want, { atol: 2e-6, rtol: 1e-5 });
  });

  it("randint matches testPRNGValues", () => {
    expectArray(random.randint(k0, [3, 3], 0, 8), [[2, 1, 3], [6, 1, 5], [6, 3, 4]], { dtype: "int32" });
  });
});

describe("random distributions", () => {
  it("normal has mean 0 and variance 1 (10k samples)", () => {
    const z = random.normal(random.key(11), [10000]);
    expect(Math.abs(Number(np.mean(z).item()))).toBeLessThan(0.05);
    expect(Math.abs(Number(np.var(z).item()) - 1)).toBeLessThan(0.06);
  });

  it("truncatedNormal stays strictly inside its bounds", () => {
    const z = Array.from(random.truncatedNormal(random.key(5), -0.5, 0.5, [2000]).dataSync());
    expect(z.every((v) => v > -0.5 && v < 0.5)).toBe(true);
    expect(random.truncatedNormal(k0, np.array([-1, 0]), 1).shape).toEqual([2]);
  });

  it("randint covers its range and handles spans", () => {
    const r = Array.from(random.randint(random.key(9), [2000], -3, 4).dataSync());
    expect(new Set(r)).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3]));
    expectArray(random.randint(k0, [3], 5, 5), [5, 5, 5]);
    expect(random.randint(k0, [2], 0, 2 ** 40).dtype).toBe("int32");
  });

  it("bernoulli has the requested rate", () => {
    const b = random.bernoulli(random.key(2), 0.3, [10000]);
    expect(b.dtype).toBe("bool");
    expect(Number(np.mean(b).item())).toBeCloseTo(0.3, 1);
  });

  it("categorical samples follow the probabilities", () => {
    const c = random.categorical(random.key(4), np.log(np.array([0.1, 0.6, 0.3])), { shape: [5000] });
    expect(c.dtype).toBe("int32");
    const d = Array.from(c.dataSync());
    expect(d.filter((v) => v === 1).length / 5000).toBeCloseTo(0.6, 1);
    expect(random.categorical(k0, np.zeros([4, 3])).shape).toEqual([4]);
    expect(random.categorical(k0, np.zeros([4, 3]), { axis: 0, shape: [2, 3] }).shape).toEqual([2, 3]);
  });
});

describe("permutation and choice", () => {
  const sorted = (t: np.Array) => Array.from(t.dataSync()).sort((a, b) => a - b);

  it("permutes a range and arrays", () => {
    const p = random.permutation(k0, 10);
    expect(sorted(p)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(p.toArray()).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const x = np.arange(12).reshape([4, 3]);
    const px = random.permutation(k0, x).toArray() as number[][];
    expect(px.map((r) => r[0]).sort((a, b) => a - b)).toEqual([0, 3, 6, 9]);
    expect(px.every((r) => r[1] === r[0] + 1 && r[2] === r[0] + 2)).toBe(true); // rows stay whole
    // The rows move exactly as the permutation of range(4) under the same key.
    const p4 = random.permutation(k0, 4).toArray() as number[];
    expect(px.map((r) => r[0] / 3)).toEqual(p4);
    const ind = random.permutation(k0, x, { axis: 1, independent: true }).toArray() as number[][];
    ind.forEach((r, i) => expect([...r].sort((a, b) => a - b)).toEqual([3 * i, 3 * i + 1, 3 * i + 2]));
  });

  it("chooses with and without replacement", () => {
    const c = random.choice(k0, 5, { shape: [5], replace: false });
    expect(sorted(c)).toEqual([0, 1, 2, 3, 4]);
    expect(random.choice(k0, np.array([10, 20, 30]), { shape: [2, 2] }).shape).toEqual([2, 2]);
    const w = Array.from(random.choice(random.key(1), 3, { shape: [3000], p: np.array([0, 0.5, 0.5]) }).dataSync());
    expect(w.includes(0)).toBe(false);
    const nr = Array.from(random.choice(k0, 4, { shape: [3], replace: false, p: np.array([0.1, 0.2, 0.3, 0.4]) }).dataSync());
    expect(new Set(nr).size).toBe(3);
    const rows = random.choice(k0, np.arange(6).reshape([2, 3]), { shape: [4], axis: 1 });
    expect(rows.shape).toEqual([2, 4]);
    expect(() => random.choice(k0, 3, { shape: [4], replace: false })).toThrow(/without replacement/);
  });
});

describe("initializers", () => {
  it("computes fans like jax.nn.initializers", () => {
    expect(random.computeFans([3, 3, 16, 32])).toEqual([144, 288]);
    expect(random.computeFans([784, 128])).toEqual([784, 128]);
    expect(() => random.computeFans([5])).toThrow(/at least 2-D/);
  });

  it("scales the variance", () => {
    const w = random.heNormal(random.key(1), [400, 300]);
    expect(Math.abs(Number(np.var(w).item()) - 2 / 400)).toBeLessThan(0.0003);
    const g = random.glorotUniform(random.key(1), [400, 300]);
    const lim = Math.sqrt(6 / 700);
    expect(Math.max(...Array.from(np.abs(g).dataSync()))).toBeLessThanOrEqual(lim);
    expect(Math.abs(Number(np.var(g).item()) - 2 / 700)).toBeLessThan(0.0002);
    expect(random.lecunUniform(k0, [4, 5], "float64").dtype).toBe("float64");
    expect(random.lecunNormal(k0, [4, 5]).shape).toEqual([4, 5]);
    expect(random.glorotNormal(k0, [4, 5]).shape).toEqual([4, 5]);
    expect(random.heUniform(k0, [4, 5]).shape).toEqual([4, 5]);
  });
});

describe("random under tracing", () => {
  it("stages threefry and sort into the program", () => {
    const text = makeJaxpr((k: np.Array) => [random.normal(k, [3]), random.permutation(k, 5)])(k0).toString();
    expect(text).toContain("threefry2x32");
    expect(text).toContain("sort");
    expect(text).toContain("erf_inv");
  });

  it("accepts a traced seed and fold-in data", () => {
    const text = makeJaxpr((s: np.Array) => random.foldIn(random.key(s), s))(np.array(3, { dtype: "int32" })).toString();
    expect(text).toContain("threefry2x32");
  });
});
