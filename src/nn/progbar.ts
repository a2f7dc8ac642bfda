/**
 * @file The Keras-style progress display: `verbose: 1` shows a bar with the step count, ETA,
 * time per step and running metrics, redrawn in place on a terminal (and printed once per epoch
 * when output goes to a file or pipe); `verbose: 2` prints one line per epoch.
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

/** Seconds or milliseconds as Keras shows durations: `3s`, `1m 20s`, `45ms`. */
export function formatDuration(seconds: number): string {
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`;
  if (seconds >= 1) return `${Math.round(seconds)}s`;
  return `${Math.round(seconds * 1000)}ms`;
}

/** Time per step: `6ms/step`, `2s/step`, `350us/step`. */
export function formatPerStep(seconds: number): string {
  if (seconds >= 1) return `${Math.round(seconds)}s/step`;
  if (seconds >= 1e-3) return `${Math.round(seconds * 1e3)}ms/step`;
  return `${Math.round(seconds * 1e6)}us/step`;
}

/** A metric value with 4 significant decimals, Keras style. */
export const formatValue = (v: number): string => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(4));

export const formatLogs = (logs: Logs): string =>
  Object.entries(logs).map(([k, v]) => ` - ${k}: ${formatValue(v)}`).join("");

/**
 * One progress line: `120/469 ━━━━━━──────────── 2s 6ms/step - accuracy: 0.8123 - loss: 0.5311`.
 * `done` marks the final line (elapsed time instead of ETA).
 */
export function progressLine(step: number, total: number, elapsed: number, logs: Logs, done: boolean): string {
  const width = 20;
  const filled = total > 0 ? Math.min(width, Math.floor((step / total) * width)) : width;
  const bar = "━".repeat(filled) + "─".repeat(width - filled);
  const perStep = step > 0 ? elapsed / step : 0;
  const time = done ? formatDuration(elapsed) : formatDuration(perStep * Math.max(0, total - step));
  const count = `${String(step).padStart(String(total).length)}/${total}`;
  return `${count} ${bar} ${time} ${formatPerStep(perStep)}${formatLogs(logs)}`;
}

/**
 * Prints training progress (added by `fit` when `verbose` is 1 or 2).
 *
 * @example await model.fit(x, y, { verbose: 2 }) // one line per epoch
 */
export class ProgbarLogger extends Callback {
  #start = 0;
  #lastDraw = 0;
  #lastLogs: Logs = {};

  constructor(readonly sink: ProgressSink = defaultSink()) {
    super();
  }

  override onEpochBegin(epoch: number): void {
    this.#start = performance.now();
    this.#lastDraw = 0;
    this.#lastLogs = {};
    if (this.params.verbose > 0) this.sink.write(`Epoch ${epoch + 1}/${this.params.epochs}\n`);
  }

  override onTrainBatchEnd(batch: number, logs: Logs = {}): void {
    this.#lastLogs = logs;
    if (this.params.verbose !== 1 || !this.sink.interactive) return;
    const now = performance.now();
    if (now - this.#lastDraw < 50 && batch + 1 < this.params.steps) return;
    this.#lastDraw = now;
    this.sink.write(`\r${progressLine(batch + 1, this.params.steps, (now - this.#start) / 1000, logs, false)}\x1b[K`);
  }

  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    if (this.params.verbose === 0) return;
    const elapsed = (performance.now() - this.#start) / 1000;
    const all = { ...this.#lastLogs, ...logs };
    const line = progressLine(this.params.steps, this.params.steps, elapsed, all, true);
    this.sink.write(this.params.verbose === 1 && this.sink.interactive ? `\r${line}\x1b[K\n` : `${line}\n`);
  }
}
