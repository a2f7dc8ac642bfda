/**
 * @file The Keras-style progress display, in Keras 3's formats: `verbose: 1` shows a bar with the
 * step count, ETA, time per step and running metrics, redrawn in place on a terminal (and printed
 * once per epoch when output goes to a file or pipe); `verbose: 2` prints one line per epoch,
 * `12/12 - 1s - 6ms/step - loss: 0.4000`. The time per step leaves out the first step (which
 * includes compiling the training step), as Keras does. `evaluate` and `predict` show the same bar
 * through the test and predict hooks (no epoch header); `fit`'s validation pass calls none of them.
 */
import { Callback, type Logs } from "./callbacks.js";

/** Where progress lines go (stdout in Node, the console in browsers). */
export interface ProgressSink {
  readonly interactive: boolean;
  write(text: string): void;
}

export function defaultSink(): ProgressSink {
  const proc = (globalThis as { process?: { stdout?: { isTTY?: boolean; write(s: string): boolean } } }).process;
  const out = proc?.stdout;
  if (out) return { interactive: out.isTTY === true, write: (s) => void out.write(s) };
  return { interactive: false, write: (s) => console.log(s.replace(/\n$/, "")) };
}

const two = (n: number): string => String(n).padStart(2, "0");

/** The ETA as Keras shows it: `42s`, `1:20`, `2:03:07` (whole seconds, rounded down). */
export function formatEta(seconds: number): string {
  const s = Math.floor(Math.max(0, seconds));
  if (seconds > 3600) return `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  if (seconds > 60) return `${Math.floor(s / 60)}:${two(s % 60)}`;
  return `${s}s`;
}

/** Elapsed time as Keras shows it at the end of an epoch: whole seconds, `0s`, `12s`, `95s`. */
export const formatElapsed = (seconds: number): string => `${Math.round(seconds)}s`;

/** Time per step: `6ms/step`, `2s/step`, `350us/step` (and `0s/step` before any time passed). */
export function formatPerStep(seconds: number): string {
  if (seconds >= 1 || seconds === 0) return `${Math.round(seconds)}s/step`;
  if (seconds >= 1e-3) return `${Math.round(seconds * 1e3)}ms/step`;
  return `${Math.round(seconds * 1e6)}us/step`;
}

/** A metric value as Keras prints it: 4 decimals, or Python's `.4e` (`1.2346e-04`) when |v| <= 1e-3. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  if (Math.abs(v) > 1e-3) return v.toFixed(4);
  const [mant, exp] = v.toExponential(4).split("e");
  const e = Number(exp);
  return `${mant}e${e < 0 ? "-" : "+"}${two(Math.abs(e))}`;
}

export const formatLogs = (logs: Logs): string =>
  Object.entries(logs).map(([k, v]) => ` - ${k}: ${formatValue(v)}`).join("");

const stepCount = (step: number, total: number): string => `${String(step).padStart(String(total).length)}/${total}`;

/**
 * One progress line: `120/469 ━━━━━━──────────── 2s 6ms/step - loss: 0.5311 - accuracy: 0.8123`.
 * `done` marks the final line (elapsed time instead of ETA). `perStep` defaults to elapsed / step.
 */
export function progressLine(step: number, total: number, elapsed: number, logs: Logs, done: boolean, perStep?: number): string {
  const width = 20;
  const filled = total > 0 ? Math.min(width, Math.floor((step / total) * width)) : width;
  const bar = "━".repeat(filled) + "─".repeat(width - filled);
  const per = perStep ?? (step > 0 ? elapsed / step : 0);
  const time = done ? formatElapsed(elapsed) : formatEta(per * Math.max(0, total - step));
  return `${stepCount(step, total)} ${bar} ${time} ${formatPerStep(per)}${formatLogs(logs)}`;
}

/** The line `verbose: 2` prints at the end of an epoch: `12/12 - 1s - 6ms/step - loss: 0.4000`. */
export const epochLine = (steps: number, elapsed: number, perStep: number, logs: Logs): string =>
  `${stepCount(steps, steps)} - ${formatElapsed(elapsed)} - ${formatPerStep(perStep)}${formatLogs(logs)}`;

/**
 * Prints training, evaluation and prediction progress (added by `fit`, `evaluate` and `predict`
 * when `verbose` is 1 or 2).
 *
 * @example await model.fit(x, y, { verbose: 2 }) // one line per epoch
 */
export class ProgbarLogger extends Callback {
  #start = 0;
  /** When the first step of the epoch ended (the time per step counts from there). */
  #afterFirst: number | null = null;
  #seen = 0;
  #lastDraw = 0;
  #lastLogs: Logs = {};

  constructor(readonly sink: ProgressSink = defaultSink()) {
    super();
  }

  #reset(): void {
    this.#start = performance.now();
    this.#afterFirst = null;
    this.#seen = 0;
    this.#lastDraw = 0;
    this.#lastLogs = {};
  }

  override onEpochBegin(epoch: number): void {
    this.#reset();
    if (this.params.verbose > 0) this.sink.write(`Epoch ${epoch + 1}/${this.params.epochs}\n`);
  }

  /** Seconds per step after the first one (Keras' estimate), or elapsed / steps while there is one. */
  #perStep(now: number, steps: number): number {
    if (this.#afterFirst !== null && steps > 1) return (now - this.#afterFirst) / 1000 / (steps - 1);
    return steps > 0 ? (now - this.#start) / 1000 / steps : 0;
  }

  override onTrainBatchEnd(batch: number, logs: Logs = {}): void {
    this.#step(batch, logs);
  }

  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    this.#finish(logs);
  }

  override onTestBegin(): void {
    this.#reset();
  }

  override onTestBatchEnd(batch: number, logs: Logs = {}): void {
    this.#step(batch, logs);
  }

  override onTestEnd(logs: Logs = {}): void {
    this.#finish(logs);
  }

  override onPredictBegin(): void {
    this.#reset();
  }

  override onPredictBatchEnd(batch: number): void {
    this.#step(batch, {});
  }

  override onPredictEnd(): void {
    this.#finish({});
  }

  /** Redraws the bar after a step (interactive `verbose: 1` only, at most every 50 ms). */
  #step(batch: number, logs: Logs): void {
    const now = performance.now();
    this.#lastLogs = logs;
    this.#seen = batch + 1;
    if (batch === 0) this.#afterFirst = now;
    if (this.params.verbose !== 1 || !this.sink.interactive) return;
    if (now - this.#lastDraw < 50 && batch + 1 < this.params.steps) return;
    this.#lastDraw = now;
    const line = progressLine(batch + 1, this.params.steps, (now - this.#start) / 1000, logs, false, this.#perStep(now, batch + 1));
    this.sink.write(`\r${line}\x1b[K`);
  }

  /** The final line of an epoch, an evaluation or a prediction. */
  #finish(logs: Logs): void {
    if (this.params.verbose === 0) return;
    const now = performance.now();
    const elapsed = (now - this.#start) / 1000;
    const all = { ...this.#lastLogs, ...logs };
    const steps = this.params.steps;
    const perStep = this.#perStep(now, this.#seen);
    if (this.params.verbose === 2) {
      this.sink.write(`${epochLine(steps, elapsed, perStep, all)}\n`);
      return;
    }
    const line = progressLine(steps, steps, elapsed, all, true, perStep);
    this.sink.write(this.sink.interactive ? `\r${line}\x1b[K\n` : `${line}\n`);
  }
}
