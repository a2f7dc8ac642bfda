/**
 * @file The Keras schedule classes: values at given steps against Keras 3's closed forms (JS
 * doubles), under jit with an int32 step, config round trips (Keras' snake_case too), errors.
 */
import { describe, expect, it } from "vitest";
import { np, jit, type Tracer } from "../index.js";
import { schedules } from "./index.js";

const at = (s: schedules.LearningRateSchedule, step: number) => s.call(step).item() as number;
const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));

/** Keras' CosineDecayRestarts, step by step in doubles. */
function sgdr(step: number, init: number, first: number, tMul: number, mMul: number, alpha: number): number {
  let f = step / first;
  let i: number;
  if (tMul === 1) {
    i = Math.floor(f);
    f -= i;
  } else {
    i = Math.floor(Math.log(1 - f * (1 - tMul)) / Math.log(tMul));
    f = (f - (1 - tMul ** i) / (1 - tMul)) / tMul ** i;
  }
  return init * ((1 - alpha) * 0.5 * mMul ** i * (1 + Math.cos(Math.PI * f)) + alpha);
}

describe("Keras schedule classes: values", () => {
  it("ExponentialDecay and InverseTimeDecay, smooth and staircase", () => {
    const e = new schedules.ExponentialDecay(0.1, 1000, 0.96);
    const es = new schedules.ExponentialDecay(0.1, 1000, 0.96, { staircase: true });
    const inv = new schedules.InverseTimeDecay(0.1, 10, 0.5);
    const invs = new schedules.InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    for (const s of [0, 1, 15, 999, 1000, 2500]) {
      close(at(e, s), 0.1 * 0.96 ** (s / 1000));
      close(at(es, s), 0.1 * 0.96 ** Math.floor(s / 1000));
      close(at(inv, s), 0.1 / (1 + (0.5 * s) / 10));
      close(at(invs, s), 0.1 / (1 + 0.5 * Math.floor(s / 10)));
    }
    close(at(inv, 20), 0.05); // hand-worked: 0.1 / (1 + 0.5 * 2)
  });

  it("PiecewiseConstantDecay (alias PiecewiseConstant): a boundary belongs to the interval on its left", () => {
    const s = new schedules.PiecewiseConstant([100, 200], [1, 0.5, 0.1]);
    expect(s).toBeInstanceOf(schedules.PiecewiseConstantDecay);
    for (const [x, want] of [[0, 1], [100, 1], [101, 0.5], [200, 0.5], [201, 0.1], [1e5, 0.1]]) close(at(s, x), want);
  });

  it("PolynomialDecay with and without cycle", () => {
    const p = new schedules.PolynomialDecay(0.1, 100, { endLearningRate: 0.01, power: 2 });
    const c = new schedules.PolynomialDecay(0.1, 100, { endLearningRate: 0, cycle: true });
    for (const s of [0, 25, 100, 250]) close(at(p, s), 0.09 * (1 - Math.min(s, 100) / 100) ** 2 + 0.01);
    close(at(c, 25), 0.075);
    close(at(c, 150), 0.1 * (1 - 150 / 200)); // the horizon grows to 200
    close(at(new schedules.PolynomialDecay(0.1, 100), 100), 1e-4); // Keras' default end rate
  });

  it("CosineDecay with warmup and CosineDecayRestarts", () => {
    const w = new schedules.CosineDecay(0, 1000, { warmupTarget: 0.1, warmupSteps: 100, alpha: 0.1 });
    close(at(w, 50), 0.05);
    close(at(w, 100), 0.1);
    close(at(w, 600), 0.1 * (0.9 * 0.5 * (1 + Math.cos(Math.PI * 0.5)) + 0.1));
    close(at(w, 5000), 0.01);
    const r = new schedules.CosineDecayRestarts(0.1, 100, { tMul: 2, mMul: 0.5, alpha: 0.1 });
    const r1 = new schedules.CosineDecayRestarts(0.1, 100, { tMul: 1 });
    for (const s of [0, 50, 99, 100, 150, 299, 300, 700]) {
      close(at(r, s), sgdr(s, 0.1, 100, 2, 0.5, 0.1));
      close(at(r1, s), sgdr(s, 0.1, 100, 1, 1, 0));
    }
    close(at(r1, 100), 0.1); // hand-worked: a restart returns to the initial rate
  });

  it("call traces under jit with the optimizer's int32 counter", () => {
    const s = new schedules.CosineDecay(0.1, 10);
    const f = jit((step: Tracer) => s.call(step));
    for (const k of [0, 5, 20]) close(f(np.array(k, { dtype: "int32" })).item() as number, 0.1 * 0.5 * (1 + Math.cos((Math.PI * Math.min(k, 10)) / 10)));
    expect(f.cacheSize).toBe(1);
    expect(s.call(3).dtype).toBe("float32");
  });
});

describe("Keras schedule classes: configs and errors", () => {
  it("serialize / deserialize round-trips every class through JSON", () => {
    const all = [
      new schedules.ExponentialDecay(0.1, 100, 0.9, { staircase: true, name: "exp" }),
      new schedules.InverseTimeDecay(0.2, 10, 0.3),
      new schedules.PiecewiseConstantDecay([5, 10], [0.3, 0.2, 0.1]),
      new schedules.PolynomialDecay(0.1, 50, { power: 0.5, cycle: true }),
      new schedules.CosineDecay(0.05, 100, { alpha: 0.1, warmupTarget: 0.2, warmupSteps: 10 }),
      new schedules.CosineDecayRestarts(0.1, 20, { tMul: 1.5, mMul: 0.9 }),
    ];
    for (const s of all) {
      const back = schedules.deserialize(JSON.parse(JSON.stringify(schedules.serialize(s))));
      expect(back.constructor).toBe(s.constructor);
      expect(back.getConfig()).toEqual(s.getConfig());
      for (const step of [0, 7, 33]) close(at(back, step), at(s, step));
    }
    expect(new schedules.CosineDecay(0.1, 10).getConfig()).toEqual({
      initialLearningRate: 0.1, decaySteps: 10, alpha: 0, warmupTarget: null, warmupSteps: 0, name: "CosineDecay",
    });
    expect(new schedules.PiecewiseConstantDecay([1], [1, 2]).name).toBe("PiecewiseConstant");
  });

  it("fromConfig reads Keras' snake_case keys; get takes instances and records", () => {
    const s = schedules.ExponentialDecay.fromConfig({ initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.5, staircase: false, name: "ExponentialDecay" });
    close(at(s, 10), 0.05);
    const rec = { class_name: "PolynomialDecay", config: { initial_learning_rate: 1, decay_steps: 4, end_learning_rate: 0 } };
    close(at(schedules.get(rec), 1), 0.75);
    expect(schedules.get(s)).toBe(s);
  });

  it("errors", () => {
    expect(() => new schedules.ExponentialDecay(0.1, 0, 0.5)).toThrow(/decaySteps must be a finite number > 0/);
    expect(() => new schedules.PiecewiseConstantDecay([1, 2], [1, 2])).toThrow(/one more value than boundaries/);
    expect(() => new schedules.CosineDecay(0.1, 10, { warmupSteps: -1 })).toThrow(/warmupSteps must be a finite number >= 0/);
    expect(() => new schedules.ExponentialDecay(0.1, 10, 0.5, { staircase: "yes" as unknown as boolean })).toThrow(/staircase must be true or false/);
    expect(() => schedules.ExponentialDecay.fromConfig({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, bogus: 1 })).toThrow(/unknown argument 'bogus'/);
    expect(() => schedules.deserialize({ className: "Exponential", config: {} })).toThrow(/unknown schedule "Exponential"/);
    expect(() => schedules.get("cosine_decay")).toThrow(/needs arguments/);
    expect(() => schedules.deserialize({ config: {} })).toThrow(/no className/);
  });
});
