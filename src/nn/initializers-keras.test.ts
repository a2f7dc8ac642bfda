/**
 * @file Keras initializer classes: sample statistics against Keras' formulas on large shapes,
 * Keras' fans, orthogonality (eager and traced), seeds, configs, `get`, and errors.
 */
import { describe, expect, it } from "vitest";
import { np, jit, random, type Tracer } from "../index.js";
import * as initializers from "./initializers-keras.js";

const key = random.key(0);

function stats(x: Tracer): { mean: number; std: number; min: number; max: number } {
  const d = Array.from(x.dataSync() as ArrayLike<number>);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const std = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
  return { mean, std, min: Math.min(...d.slice(0, 1e5)), max: Math.max(...d.slice(0, 1e5)) };
}

/** Expects the sample's mean and std within a relative tolerance (3% of std) and its bounds. */
function expectDist(x: Tracer, want: { mean?: number; std: number; bound?: number }): void {
  const s = stats(x);
  const mean = want.mean ?? 0;
  expect(Math.abs(s.mean - mean)).toBeLessThan(0.03 * want.std);
  expect(Math.abs(s.std / want.std - 1)).toBeLessThan(0.03);
  if (want.bound !== undefined) {
    expect(s.min).toBeGreaterThanOrEqual(mean - want.bound);
    expect(s.max).toBeLessThanOrEqual(mean + want.bound);
    // The bound is nearly reached: it is the right one, not just a loose one.
    expect(Math.max(mean - s.min, s.max - mean)).toBeGreaterThan(0.98 * want.bound);
  }
}

/** max |M^T M - g² I| for a [r, c] matrix (columns orthonormal when r >= c). */
function orthoError(q: Tracer, gain = 1): number {
  const m = q.shape[0] >= q.shape[1] ? q : q.T;
  const g = np.matmul(m.T, m).sub(np.eye(m.shape[1]).mul(gain * gain));
  return np.max(np.abs(g)).item() as number;
}

describe("Keras initializers: statistics on large shapes", () => {
  it("Keras fans: scalars, vectors, matrices, conv kernels (receptive field times channels)", () => {
    expect(initializers.kerasFans([])).toEqual([1, 1]);
    expect(initializers.kerasFans([5])).toEqual([5, 5]);
    expect(initializers.kerasFans([3, 4])).toEqual([3, 4]);
    expect(initializers.kerasFans([3, 3, 16, 32])).toEqual([144, 288]);
  });

  it("Glorot, He and LeCun, uniform and truncated normal", () => {
    const shape = [160, 240];
    const avg = 200;
    expectDist(new initializers.GlorotUniform().sample(key, shape), { std: Math.sqrt(1 / avg), bound: Math.sqrt(3 / avg) });
    // A truncated normal rescaled so that the variance is exactly scale / n, bounded at 2σ/0.8796.
    expectDist(new initializers.GlorotNormal().sample(key, shape), { std: Math.sqrt(1 / avg), bound: (2 * Math.sqrt(1 / avg)) / 0.87962566103423978 });
    const conv = [3, 3, 32, 64]; // fan-in 288
    expectDist(new initializers.HeNormal().sample(key, conv), { std: Math.sqrt(2 / 288), bound: (2 * Math.sqrt(2 / 288)) / 0.87962566103423978 });
    expectDist(new initializers.HeUniform().sample(key, conv), { std: Math.sqrt(2 / 288), bound: Math.sqrt(6 / 288) });
    expectDist(new initializers.LecunNormal().sample(key, shape), { std: Math.sqrt(1 / 160) });
    expectDist(new initializers.LecunUniform().sample(key, shape), { std: Math.sqrt(1 / 160), bound: Math.sqrt(3 / 160) });
  });

  it("RandomNormal, RandomUniform, TruncatedNormal (Keras defaults and arguments)", () => {
    const shape = [200, 200];
    expectDist(new initializers.RandomNormal().sample(key, shape), { std: 0.05 });
    expectDist(new initializers.RandomNormal(1, 2).sample(key, shape), { mean: 1, std: 2 });
    expectDist(new initializers.RandomUniform().sample(key, shape), { std: 0.05 / Math.sqrt(3), bound: 0.05 });
    expectDist(new initializers.RandomUniform({ minval: 1, maxval: 3 }).sample(key, shape), { mean: 2, std: 1 / Math.sqrt(3), bound: 1 });
    // Keras' TruncatedNormal is not rescaled: the spread is 0.8796 σ, cut at 2σ.
    expectDist(new initializers.TruncatedNormal(0.5, 0.1).sample(key, shape), { mean: 0.5, std: 0.1 * 0.87962566103423978, bound: 0.2 });
  });

  it("VarianceScaling: modes and distributions; 'normal' means truncated as in Keras", () => {
    const shape = [100, 300];
    expectDist(new initializers.VarianceScaling(2, "fan_out", "untruncated_normal").sample(key, shape), { std: Math.sqrt(2 / 300) });
    expectDist(new initializers.VarianceScaling({ scale: 3, mode: "fan_avg", distribution: "uniform" }).sample(key, shape), { std: Math.sqrt(3 / 200), bound: Math.sqrt(9 / 200) });
    expect(new initializers.VarianceScaling(1, "fan_in", "normal").distribution).toBe("truncated_normal");
    // Fans below 1 (an empty axis) are clamped to 1, as Keras' max(1, fan).
    expect(new initializers.VarianceScaling().sample(key, [0, 3]).shape).toEqual([0, 3]);
  });
});

describe("Keras initializers: structure, seeds, dtypes", () => {
  it("Orthogonal: Q^T Q = I for tall, wide and conv shapes, times the gain", () => {
    expect(orthoError(new initializers.Orthogonal().sample(key, [80, 30]))).toBeLessThan(1e-5);
    expect(orthoError(new initializers.Orthogonal().sample(key, [20, 70]))).toBeLessThan(1e-5);
    const conv = new initializers.Orthogonal(2).sample(key, [3, 3, 4, 8]);
    expect(conv.shape).toEqual([3, 3, 4, 8]);
    expect(orthoError(np.reshape(conv, [36, 8]), 2)).toBeLessThan(1e-5);
    expect(orthoError(new initializers.Orthogonal().sample(key, [128, 256]))).toBeLessThan(1e-5);
  });

  it("Orthogonal traced under jit agrees with the eager draw (the unique QR with a positive diagonal)", () => {
    const init = new initializers.Orthogonal();
    const f = jit((k: Tracer) => init.sample(k, [12, 5]));
    const traced = f(key);
    const eager = init.sample(key, [12, 5]);
    expect(orthoError(traced)).toBeLessThan(1e-5);
    expect(np.max(np.abs(traced.sub(eager))).item()).toBeLessThan(1e-5);
    expect(() => jit((k: Tracer) => init.sample(k, [100, 10]))(key)).toThrow(/limited to 64 rows and columns.*eagerly/);
  });

  it("Identity, Zeros, Ones, Constant, dtypes", () => {
    expect(Array.from(new initializers.Identity(3).sample(key, [2, 3]).dataSync())).toEqual([3, 0, 0, 0, 3, 0]);
    expect(Array.from(new initializers.Zeros().sample(key, [2], "int32").dataSync())).toEqual([0, 0]);
    expect(new initializers.Zeros().sample(key, [2], "int32").dtype).toBe("int32");
    expect(Array.from(new initializers.Ones().sample(key, [2]).dataSync())).toEqual([1, 1]);
    expect(Array.from(new initializers.Constant(0.5).sample(key, [2]).dataSync())).toEqual([0.5, 0.5]);
    expect(new initializers.GlorotUniform().sample(key, [4, 4], "float64").dtype).toBe("float64");
  });

  it("keys decide the draw; a seed replaces the key, as Keras' seeded initializers repeat", () => {
    const g = new initializers.GlorotUniform();
    const a = g.sample(key, [8, 8]).dataSync();
    expect(Array.from(g.sample(random.key(0), [8, 8]).dataSync())).toEqual(Array.from(a));
    expect(Array.from(g.sample(random.key(1), [8, 8]).dataSync())).not.toEqual(Array.from(a));
    const seeded = new initializers.GlorotUniform(7);
    expect(Array.from(seeded.sample(random.key(1), [4]).dataSync())).toEqual(Array.from(seeded.sample(random.key(2), [4]).dataSync()));
  });
});

describe("Keras initializers: configs, get, errors", () => {
  it("serialize / deserialize round-trips every class", () => {
    const all = [
      new initializers.Zeros(), new initializers.Ones(), new initializers.Constant(0.3), new initializers.RandomNormal(0.1, 0.2),
      new initializers.RandomUniform(-1, 1, { seed: 3 }), new initializers.TruncatedNormal({ stddev: 0.02 }),
      new initializers.VarianceScaling(2, "fan_avg", "uniform"), new initializers.GlorotUniform(), new initializers.GlorotNormal(5),
      new initializers.HeNormal(), new initializers.HeUniform(), new initializers.LecunNormal(), new initializers.LecunUniform(),
      new initializers.Orthogonal(0.5), new initializers.Identity(2),
    ];
    for (const init of all) {
      const rec = JSON.parse(JSON.stringify(initializers.serialize(init)));
      const back = initializers.deserialize(rec);
      expect(back.constructor).toBe(init.constructor);
      expect(back.getConfig()).toEqual(init.getConfig());
    }
    expect(new initializers.GlorotUniform().getConfig()).toEqual({ seed: null });
    expect(new initializers.RandomNormal().getConfig()).toEqual({ mean: 0, stddev: 0.05, seed: null });
    const keras = { class_name: "VarianceScaling", config: { scale: 2.0, mode: "fan_out", distribution: "untruncated_normal", seed: null } };
    expect(initializers.deserialize(keras).getConfig()).toEqual({ scale: 2, mode: "fan_out", distribution: "untruncated_normal", seed: null });
  });

  it("get: Keras names, class names, aliases, instances, functions", () => {
    const cases: Record<string, unknown> = {
      glorot_uniform: initializers.GlorotUniform, GlorotUniform: initializers.GlorotUniform, he_normal: initializers.HeNormal,
      lecun_uniform: initializers.LecunUniform, random_normal: initializers.RandomNormal, truncated_normal: initializers.TruncatedNormal,
      zeros: initializers.Zeros, ones: initializers.Ones, orthogonal: initializers.Orthogonal, identity: initializers.Identity,
      uniform: initializers.RandomUniform, normal: initializers.RandomNormal, variance_scaling: initializers.VarianceScaling,
      constant: initializers.Constant,
    };
    for (const [id, cls] of Object.entries(cases)) expect(initializers.get(id).constructor).toBe(cls);
    const mine = new initializers.Constant(2);
    expect(initializers.get(mine)).toBe(mine);
    const fn = initializers.get((_k, shape) => np.full(shape, 7));
    expect(Array.from(fn.sample(key, [2]).dataSync())).toEqual([7, 7]);
    expect(() => initializers.serialize(fn)).toThrow(/cannot serialize/);
    // Keras' lookup is case-sensitive for initializers.
    expect(() => initializers.get("Glorot_Uniform")).toThrow(/unknown initializer "Glorot_Uniform"; expected one of .*glorot_uniform/);
  });

  it("argument and shape errors", () => {
    expect(() => new initializers.VarianceScaling(0)).toThrow(/scale must be a finite number > 0/);
    expect(() => new initializers.VarianceScaling(1, "fan" as "fan_in")).toThrow(/mode must be one of "fan_in", "fan_out", "fan_avg"/);
    expect(() => new initializers.RandomUniform(1, 0)).toThrow(/maxval must be >= minval/);
    expect(() => new initializers.Orthogonal().sample(key, [5])).toThrow(/at least 2-D/);
    expect(() => new initializers.Identity().sample(key, [2, 2, 2])).toThrow(/only 2-D shapes/);
    expect(() => new initializers.Ones().sample(key, [2, -1])).toThrow(/integers >= 0/);
    expect(() => initializers.HeNormal.fromConfig({ scale: 2 })).toThrow(/unknown argument 'scale'/);
    expect(() => new initializers.GlorotUniform(1.5)).toThrow(/seed must be an integer/);
  });
});
