/**
 * Tests of the progress display against Keras 3's formats (keras/src/utils/progbar.py): the
 * ETA, elapsed time, time per step and metric value formats, the bar, the verbose-2 epoch line,
 * and the logger's behaviour on a terminal and on a pipe, driven by a fake clock.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { callbacks } from "./index.js";
import { epochLine, formatElapsed, formatEta, formatLogs, formatPerStep, formatValue, progressLine } from "./progbar.js";

afterEach(() => vi.restoreAllMocks());

describe("formats", () => {
  it("ETA: whole seconds, then m:ss, then h:mm:ss", () => {
    expect(formatEta(0)).toBe("0s");
    expect(formatEta(42.9)).toBe("42s");
    expect(formatEta(60)).toBe("60s");
    expect(formatEta(80.5)).toBe("1:20");
    expect(formatEta(3600)).toBe("60:00");
    expect(formatEta(7387)).toBe("2:03:07");
  });

  it("elapsed time in whole seconds; time per step in s, ms or us", () => {
    expect(formatElapsed(0.2)).toBe("0s");
    expect(formatElapsed(12.6)).toBe("13s");
    expect(formatPerStep(0)).toBe("0s/step");
    expect(formatPerStep(2.4)).toBe("2s/step");
    expect(formatPerStep(0.0061)).toBe("6ms/step");
    expect(formatPerStep(0.00035)).toBe("350us/step");
  });

  it("values: 4 decimals above 1e-3, Python's .4e below, nan/inf spelled as Python does", () => {
    expect(formatValue(0.53114)).toBe("0.5311");
    expect(formatValue(-2)).toBe("-2.0000");
    expect(formatValue(12345.678)).toBe("12345.6780");
    expect(formatValue(0.00012345)).toBe("1.2345e-04");
    expect(formatValue(-0.0005)).toBe("-5.0000e-04");
    expect(formatValue(0.001)).toBe("1.0000e-03");
    expect(formatValue(0)).toBe("0.0000e+00");
    expect(formatValue(Number.NaN)).toBe("nan");
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe("inf");
    expect(formatValue(Number.NEGATIVE_INFINITY)).toBe("-inf");
    expect(formatLogs({ loss: 0.5, accuracy: 0.875 })).toBe(" - loss: 0.5000 - accuracy: 0.8750");
  });

  it("the bar line: padded count, 20 cells, ETA or elapsed, time per step, metrics", () => {
    expect(progressLine(5, 20, 1, { loss: 1 }, false)).toBe(" 5/20 ━━━━━─────────────── 3s 200ms/step - loss: 1.0000");
    expect(progressLine(20, 20, 4.2, { loss: 1 }, true, 0.1)).toBe("20/20 ━━━━━━━━━━━━━━━━━━━━ 4s 100ms/step - loss: 1.0000");
    expect(progressLine(120, 469, 0.72, {}, false)).toBe("120/469 ━━━━━─────────────── 2s 6ms/step");
    expect(epochLine(469, 3.2, 0.0064, { loss: 0.4, val_loss: 0.45 })).toBe("469/469 - 3s - 6ms/step - loss: 0.4000 - val_loss: 0.4500");
  });
});

/** A logger on a fake clock writing into `out`; `tick(ms)` advances the clock. */
function setup(verbose: number, interactive: boolean, steps = 4, epochs = 2) {
  let now = 1000;
  vi.spyOn(performance, "now").mockImplementation(() => now);
  const out: string[] = [];
  const logger = new callbacks.ProgbarLogger({ interactive, write: (s) => void out.push(s) });
  logger.setParams({ epochs, steps, verbose });
  return { out, logger, tick: (ms: number) => void (now += ms) };
}

/** Runs one epoch: the first step takes `first` ms, the others `rest` ms each. */
function epoch(l: ReturnType<typeof setup>, e: number, first: number, rest: number, steps = 4) {
  l.logger.onEpochBegin(e);
  for (let b = 0; b < steps; b++) {
    l.tick(b === 0 ? first : rest);
    l.logger.onTrainBatchEnd(b, { loss: 1 / (b + 1) });
  }
  l.logger.onEpochEnd(e, { loss: 0.5, val_loss: 0.75 });
}

describe("ProgbarLogger", () => {
  it("verbose 2: one line per epoch, time per step without the first (compiling) step", () => {
    const l = setup(2, true);
    epoch(l, 0, 900, 10);
    expect(l.out).toEqual(["Epoch 1/2\n", "4/4 - 1s - 10ms/step - loss: 0.5000 - val_loss: 0.7500\n"]);
  });

  it("verbose 1 on a pipe: the epoch header and one final bar line", () => {
    const l = setup(1, false);
    epoch(l, 1, 20, 20);
    expect(l.out).toEqual(["Epoch 2/2\n", "4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 20ms/step - loss: 0.5000 - val_loss: 0.7500\n"]);
  });

  it("verbose 1 on a terminal: redraws in place at most every 50 ms, always the last step", () => {
    const l = setup(1, true);
    epoch(l, 0, 100, 10);
    expect(l.out[0]).toBe("Epoch 1/2\n");
    // Step 1 (after 100 ms) draws; steps 2 and 3 come within 50 ms of it; step 4 is the last.
    expect(l.out.slice(1, -1)).toEqual([
      "\r1/4 ━━━━━─────────────── 0s 100ms/step - loss: 1.0000\x1b[K",
      "\r4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 10ms/step - loss: 0.2500\x1b[K",
    ]);
    expect(l.out.at(-1)).toBe("\r4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 10ms/step - loss: 0.5000 - val_loss: 0.7500\x1b[K\n");
  });

  it("the ETA uses the time per step after the first", () => {
    const l = setup(1, true, 100, 1);
    l.logger.onEpochBegin(0);
    l.tick(5000);
    l.logger.onTrainBatchEnd(0, { loss: 1 });
    l.tick(1000);
    l.logger.onTrainBatchEnd(1, { loss: 1 });
    // 98 steps left at 1 s each (the 5 s first step is compile time).
    expect(l.out.at(-1)).toBe("\r  2/100 ──────────────────── 1:38 1s/step - loss: 1.0000\x1b[K");
  });

  it("verbose 0 writes nothing", () => {
    const l = setup(0, true);
    epoch(l, 0, 10, 10);
    expect(l.out).toEqual([]);
  });

  it("evaluate's hooks draw the same bar with no epoch header; predict's final line has no logs", () => {
    const l = setup(1, true, 2, 1);
    l.logger.onTestBegin();
    l.tick(30);
    l.logger.onTestBatchEnd(0, { loss: 2 });
    l.tick(100);
    l.logger.onTestBatchEnd(1, { loss: 1 });
    l.logger.onTestEnd({ loss: 1.5 });
    expect(l.out).toEqual([
      "\r1/2 ━━━━━━━━━━────────── 0s 30ms/step - loss: 2.0000\x1b[K",
      "\r2/2 ━━━━━━━━━━━━━━━━━━━━ 0s 100ms/step - loss: 1.0000\x1b[K",
      "\r2/2 ━━━━━━━━━━━━━━━━━━━━ 0s 100ms/step - loss: 1.5000\x1b[K\n",
    ]);
    const p = setup(2, false, 3, 1);
    p.logger.onPredictBegin();
    for (let b = 0; b < 3; b++) {
      p.tick(b === 0 ? 500 : 20);
      p.logger.onPredictBatchEnd(b);
    }
    p.logger.onPredictEnd();
    expect(p.out).toEqual(["3/3 - 1s - 20ms/step\n"]);
  });
});
