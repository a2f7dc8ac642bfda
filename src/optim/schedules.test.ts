/**
 * @file Learning-rate schedules against their closed forms (float64 JS), on JS steps, on int32
 * counters, and under jit; argument errors.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { np, jit } from "../index.js";
import { propertyRuns } from "../../tests/helpers/assert.js";
import * as optim from "./index.js";

const at = (s: optim.Schedule, step: number) => s(step).item() as number;
const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));

describe("schedules", () => {
  it("constant", () => {
    close(at(optim.constant(0.01), 0), 0.01);
    close(at(optim.constant(0.01), 1e6), 0.01);
  });

  it("exponentialDecay, smooth and staircase", () => {
    const smooth = optim.exponentialDecay(0.1, 1000, 0.96);
    const stairs = optim.exponentialDecay(0.1, 1000, 0.96, { staircase: true });
    for (const s of [0, 1, 999, 1000, 2500, 10_000]) {
      close(at(smooth, s), 0.1 * 0.96 ** (s / 1000));
      close(at(stairs, s), 0.1 * 0.96 ** Math.floor(s / 1000));
    }
    expect(smooth.config).toEqual({ name: "ExponentialDecay", initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.96, staircase: false });
  });

  it("piecewiseConstant: boundaries belong to the interval on their left", () => {
    const s = optim.piecewiseConstant([100, 200], [1, 0.5, 0.1]);
    const want = (x: number) => (x <= 100 ? 1 : x <= 200 ? 0.5 : 0.1);
    for (const x of [0, 99, 100, 101, 200, 201, 5000]) close(at(s, x), want(x));
  });

  it("cosineDecay without and with warmup (Keras CosineDecay)", () => {
    const plain = optim.cosineDecay(0.1, 1000, { alpha: 0.1 });
    const cos = (s: number, from: number) => from * (0.9 * 0.5 * (1 + Math.cos((Math.PI * Math.min(s, 1000)) / 1000)) + 0.1);
    for (const s of [0, 250, 500, 1000, 3000]) close(at(plain, s), cos(s, 0.1));
    const warm = optim.cosineDecay(0, 1000, { warmupTarget: 0.2, warmupSteps: 100, alpha: 0.1 });
    const want = (s: number) => {
      const c = Math.min(s, 1100);
      return c < 100 ? (0.2 * c) / 100 : cos(c - 100, 0.2);
    };
    for (const s of [0, 50, 99, 100, 600, 1100, 5000]) close(at(warm, s), want(s));
    close(at(warm, 50), 0.1);
    close(at(optim.cosineDecay(0.1, 1000, { warmupTarget: 0.2 }), 0), 0.2);
  });

  it("polynomialDecay, capped and cycling", () => {
    const lin = optim.polynomialDecay(0.1, 100, { endLearningRate: 0 });
    close(at(lin, 25), 0.075);
    close(at(lin, 500), 0);
    const sq = optim.polynomialDecay(0.1, 100, { power: 2 });
    const want = (s: number) => (0.1 - 1e-4) * (1 - Math.min(s, 100) / 100) ** 2 + 1e-4;
    for (const s of [0, 10, 50, 100, 150]) close(at(sq, s), want(s));
    const cyc = optim.polynomialDecay(0.1, 100, { endLearningRate: 0, cycle: true });
    const wantC = (s: number) => {
      const d = 100 * (s === 0 ? 1 : Math.ceil(s / 100));
      return 0.1 * (1 - s / d);
    };
    for (const s of [0, 50, 100, 150, 201]) close(at(cyc, s), wantC(s));
  });

  it("matches the closed form at random steps, for JS numbers and int32 counters alike", () => {
    const s = optim.exponentialDecay(0.5, 37, 0.7, { staircase: true });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), (step) => {
        const want = 0.5 * 0.7 ** Math.floor(step / 37);
        close(at(s, step), want);
        close(s(np.array(step, { dtype: "int32" })).item() as number, want);
      }),
      { numRuns: propertyRuns(30) },
    );
  });

  it("traces under jit with the step as a traced int32", () => {
    const s = optim.cosineDecay(0.1, 100, { warmupTarget: 1, warmupSteps: 10 });
    const f = jit((step) => s(step));
    for (const x of [0, 5, 10, 60, 200]) close(f(np.array(x, { dtype: "int32" })).item() as number, s(x).item() as number);
    expect(f.cacheSize).toBe(1);
    expect(s(np.array(3, { dtype: "int32" })).dtype).toBe("float32");
  });

  it("rejects bad arguments with the schedule's name", () => {
    expect(() => optim.exponentialDecay(0.1, 0, 0.9)).toThrow(/optim.exponentialDecay: decaySteps must be a finite number > 0/);
    expect(() => optim.piecewiseConstant([1, 2], [1, 2])).toThrow(/one more value than boundaries/);
    expect(() => optim.piecewiseConstant([2, 1], [1, 2, 3])).toThrow(/boundaries must increase/);
    expect(() => optim.cosineDecay(0.1, 10, { warmupSteps: -1 })).toThrow(/warmupSteps must be a finite number >= 0/);
    expect(() => optim.polynomialDecay(NaN, 10)).toThrow(/initialLearningRate must be a finite number/);
  });
});
