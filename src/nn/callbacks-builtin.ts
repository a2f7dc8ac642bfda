/**
 * @file Keras' built-in callbacks: EarlyStopping, ModelCheckpoint, ReduceLROnPlateau,
 * LearningRateScheduler, CSVLogger and TerminateOnNaN, with Keras 3's defaults and decision
 * rules. Learning-rate changes go through `model.trainer.setLearningRate`, which swaps a scalar
 * in the optimizer state: the jitted training step is reused, never retraced. Files are written
 * through `process.getBuiltinModule("node:fs")`, so this module stays importable in browsers.
 */
import { ConcreteArray, keep, type Tracer } from "../index.js";
import { Callback, type Logs } from "./callbacks.js";
import { nodeFs, saveModel, saveWeights } from "./saving.js";

export type MonitorMode = "auto" | "min" | "max";

// Metrics where larger is better; Keras infers the same from the metric's direction.
const MAX_METRIC = /acc|auc|precision|recall|f1|fbeta|iou|top_k|r2|cosine_similarity/;

/** `true` when larger values of `monitor` are better. */
function maximizes(op: string, monitor: string, mode: MonitorMode): boolean {
  if (mode === "max") return true;
  if (mode === "min") return false;
  if (mode !== "auto") throw new RangeError(`${op}: mode must be "auto", "min" or "max", received ${JSON.stringify(mode)}.`);
  const name = monitor.replace(/^val_/, "");
  return name !== "loss" && MAX_METRIC.test(name);
}

const warned = new Set<string>();
function warnMissing(op: string, monitor: string, logs: Logs): void {
  const key = `${op}:${monitor}`;
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(`${op}: the monitored value '${monitor}' is not in the logs (available: ${Object.keys(logs).join(", ") || "none"}). Check the name, or pass validation data for val_ metrics.`);
}

/** Copies of the model's weights that survive later training steps. */
const snapshot = (ws: readonly Tracer[]): Tracer[] => ws.map((w) => (w instanceof ConcreteArray ? keep(w.retain()) : w));
const release = (ws: readonly Tracer[] | null): void => ws?.forEach((w) => w.dispose());

export interface EarlyStoppingOptions {
  /** The log to watch (default "val_loss"). */
  readonly monitor?: string;
  /** Smallest change that counts as an improvement (its absolute value is used). */
  readonly minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  readonly patience?: number;
  readonly verbose?: 0 | 1;
  /** "min", "max", or "auto" (accuracy-like metrics are maximized, the rest minimized). */
  readonly mode?: MonitorMode;
  /** Training stops unless the monitored value beats this within `patience` epochs. */
  readonly baseline?: number | null;
  /** At the end of training, put back the weights of the best epoch. */
  readonly restoreBestWeights?: boolean;
  /** Epochs to wait before watching (warm-up). */
  readonly startFromEpoch?: number;
}

/**
 * Stops training when a monitored value has stopped improving (Keras 3 rules).
 *
 * @example await model.fit(x, y, { epochs: 100, validationSplit: 0.1, callbacks: [new EarlyStopping({ patience: 3, restoreBestWeights: true })] })
 */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: MonitorMode;
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  wait = 0;
  stoppedEpoch = 0;
  best: number | null = null;
  bestEpoch = 0;
  #bestWeights: Tracer[] | null = null;

  constructor(opts: EarlyStoppingOptions = {}) {
    super();
    this.monitor = opts.monitor ?? "val_loss";
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.patience = opts.patience ?? 0;
    this.verbose = opts.verbose ?? 0;
    this.mode = opts.mode ?? "auto";
    this.baseline = opts.baseline ?? null;
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
    this.startFromEpoch = opts.startFromEpoch ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new RangeError(`EarlyStopping: patience must be an integer >= 0, received ${this.patience}.`);
    maximizes("EarlyStopping", this.monitor, this.mode);
  }

  #improves(current: number, reference: number | null): boolean {
    if (reference === null) return true;
    return maximizes("EarlyStopping", this.monitor, this.mode) ? current - this.minDelta > reference : current + this.minDelta < reference;
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = null;
    this.bestEpoch = 0;
    release(this.#bestWeights);
    this.#bestWeights = null;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor];
    if (current === undefined) return warnMissing("EarlyStopping", this.monitor, logs);
    if (epoch < this.startFromEpoch) return;
    // Until some epoch improves, the current weights are the best known.
    if (this.restoreBestWeights && this.#bestWeights === null) {
      this.#bestWeights = snapshot(this.model.getWeights());
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.#improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) {
        release(this.#bestWeights);
        this.#bestWeights = snapshot(this.model.getWeights());
      }
      // The wait restarts only when both the previous best and the baseline are beaten.
      if (this.baseline === null || this.#improves(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.#bestWeights !== null) {
      if (this.verbose > 0) console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.model.setWeights(this.#bestWeights);
      release(this.#bestWeights);
      this.#bestWeights = null;
    }
  }
}

/**
 * Fills a Keras file path template: `{epoch}` (1-based), `{epoch:02d}`, `{val_loss:.2f}`,
 * `{loss:.3e}` (Python format specs: fill 0, width, precision, d/f/e).
 *
 * @example formatFilepath("ckpt-{epoch:02d}-{val_loss:.2f}.kiln", 0, { val_loss: 0.51234 }) // "ckpt-01-0.51.kiln"
 */
export function formatFilepath(template: string, epoch: number, logs: Logs = {}): string {
  const values: Record<string, number> = { ...logs, epoch: epoch + 1 };
  return template.replace(/\{([A-Za-z_][\w]*)(?::([^}]*))?\}/g, (whole, name: string, spec: string | undefined) => {
    const v = values[name];
    if (v === undefined) {
      throw new RangeError(`ModelCheckpoint: the file path ${JSON.stringify(template)} names {${name}}, which is not in the logs (available: epoch, ${Object.keys(logs).join(", ")}).`);
    }
    if (spec === undefined || spec === "") return String(v);
    const m = /^(0?)(\d*)(?:\.(\d+))?([dfeg%]?)$/.exec(spec);
    if (!m) throw new RangeError(`ModelCheckpoint: unsupported format spec ${JSON.stringify(whole)}; use forms like {epoch:02d} or {val_loss:.2f}.`);
    const [, zero, width, prec, kind] = m;
    const p = prec === undefined ? 6 : Number(prec);
    let s = kind === "d" ? String(Math.round(v)) : kind === "e" ? v.toExponential(p).replace(/e([+-])(\d)$/, "e$10$2") : kind === "f" || prec !== undefined ? v.toFixed(p) : String(v);
    if (width) s = s.padStart(Number(width), zero ? "0" : " ");
    return s;
  });
}

export interface ModelCheckpointOptions {
  /** The log watched with `saveBestOnly` (default "val_loss"). */
  readonly monitor?: string;
  readonly verbose?: 0 | 1;
  /** Save only when the monitored value improves on the best so far. */
  readonly saveBestOnly?: boolean;
  /** Save only the weights (a `.weights.safetensors` file) instead of the whole model (`.kiln`). */
  readonly saveWeightsOnly?: boolean;
  readonly mode?: MonitorMode;
  /** Only "epoch": the trainer writes weights back to the model at the end of each epoch. */
  readonly saveFreq?: "epoch";
  /** The first save with `saveBestOnly` needs the value to beat this. */
  readonly initialValueThreshold?: number | null;
}

/**
 * Saves the model (or its weights) at the end of every epoch, or only when it improves.
 *
 * @example new ModelCheckpoint("ckpt/model-{epoch:02d}-{val_loss:.2f}.kiln", { saveBestOnly: true })
 */
export class ModelCheckpoint extends Callback {
  readonly monitor: string;
  readonly verbose: number;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly mode: MonitorMode;
  best: number;
  /** Paths written so far, in order. */
  readonly saved: string[] = [];

  constructor(
    readonly filepath: string,
    opts: ModelCheckpointOptions = {},
  ) {
    super();
    this.monitor = opts.monitor ?? "val_loss";
    this.verbose = opts.verbose ?? 0;
    this.saveBestOnly = opts.saveBestOnly ?? false;
    this.saveWeightsOnly = opts.saveWeightsOnly ?? false;
    this.mode = opts.mode ?? "auto";
    if ((opts.saveFreq ?? "epoch") !== "epoch") {
      throw new RangeError(`ModelCheckpoint: saveFreq must be "epoch", received ${JSON.stringify(opts.saveFreq)}; the model's weights are updated at the end of each epoch.`);
    }
    const ext = this.saveWeightsOnly ? ".weights.safetensors" : ".kiln";
    if (typeof filepath !== "string" || !filepath.endsWith(ext)) {
      throw new TypeError(
        `ModelCheckpoint: with saveWeightsOnly: ${this.saveWeightsOnly}, the file path must end in "${ext}", received ${JSON.stringify(filepath)}.`,
      );
    }
    const max = maximizes("ModelCheckpoint", this.monitor, this.mode);
    this.best = opts.initialValueThreshold ?? (max ? -Infinity : Infinity);
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const path = formatFilepath(this.filepath, epoch, logs);
    if (this.saveBestOnly) {
      const current = logs[this.monitor];
      if (current === undefined) return warnMissing("ModelCheckpoint", this.monitor, logs);
      const better = maximizes("ModelCheckpoint", this.monitor, this.mode) ? current > this.best : current < this.best;
      if (!better) {
        if (this.verbose > 0) console.log(`Epoch ${epoch + 1}: ${this.monitor} did not improve from ${this.best.toFixed(5)}`);
        return;
      }
      if (this.verbose > 0) console.log(`Epoch ${epoch + 1}: ${this.monitor} improved from ${this.best.toFixed(5)} to ${current.toFixed(5)}, saving model to ${path}`);
      this.best = current;
    } else if (this.verbose > 0) console.log(`Epoch ${epoch + 1}: saving model to ${path}`);
    const dir = path.replace(/[/\\][^/\\]*$/, "");
    if (dir !== path && dir !== "") nodeFs("ModelCheckpoint").mkdirSync(dir, { recursive: true });
    if (this.saveWeightsOnly) saveWeights(this.model, path);
    else saveModel(this.model, path);
    this.saved.push(path);
  }
}

export interface ReduceLROnPlateauOptions {
  readonly monitor?: string;
  /** New rate = rate × factor (default 0.1; must be < 1). */
  readonly factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  readonly patience?: number;
  readonly verbose?: 0 | 1;
  readonly mode?: MonitorMode;
  /** Smallest change that counts as an improvement (default 1e-4). */
  readonly minDelta?: number;
  /** Epochs to wait after a reduction before counting again. */
  readonly cooldown?: number;
  /** Lower bound on the rate. */
  readonly minLr?: number;
}

/**
 * Lowers the learning rate when a monitored value stops improving. The rate lives in the
 * optimizer state, so the change costs no recompilation. Adds `learning_rate` to the epoch logs.
 *
 * @example new ReduceLROnPlateau({ monitor: "val_loss", factor: 0.2, patience: 5, minLr: 1e-5 })
 */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: MonitorMode;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  best = Infinity;
  wait = 0;
  cooldownCounter = 0;

  constructor(opts: ReduceLROnPlateauOptions = {}) {
    super();
    this.monitor = opts.monitor ?? "val_loss";
    this.factor = opts.factor ?? 0.1;
    if (!(this.factor < 1)) throw new RangeError(`ReduceLROnPlateau: factor must be < 1 (the rate is multiplied by it), received ${this.factor}.`);
    this.patience = opts.patience ?? 10;
    this.verbose = opts.verbose ?? 0;
    this.mode = opts.mode ?? "auto";
    this.minDelta = opts.minDelta ?? 1e-4;
    this.cooldown = opts.cooldown ?? 0;
    this.minLr = opts.minLr ?? 0;
    this.#reset();
  }

  #max(): boolean {
    return maximizes("ReduceLROnPlateau", this.monitor, this.mode);
  }

  #reset(): void {
    this.best = this.#max() ? -Infinity : Infinity;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  override onTrainBegin(): void {
    this.#reset();
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const trainer = this.model.trainer;
    logs.learning_rate = trainer.getLearningRate();
    const current = logs[this.monitor];
    if (current === undefined) return warnMissing("ReduceLROnPlateau", this.monitor, logs);
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    const better = this.#max() ? current > this.best + this.minDelta : current < this.best - this.minDelta;
    if (better) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const old = trainer.getLearningRate();
        if (old > Math.fround(this.minLr)) {
          const lr = Math.max(old * this.factor, this.minLr);
          trainer.setLearningRate(lr);
          if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${lr}.`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}

/** `(epoch, lr) -> new lr`; `epoch` is 0-based as in Keras. */
export type LearningRateSchedule = (epoch: number, lr: number) => number | Promise<number>;

/**
 * Sets the learning rate at the start of each epoch from `schedule(epoch, currentLr)`.
 * Adds `learning_rate` to the epoch logs.
 *
 * @example new LearningRateScheduler((epoch, lr) => (epoch < 10 ? lr : lr * Math.exp(-0.1)))
 */
export class LearningRateScheduler extends Callback {
  constructor(
    readonly schedule: LearningRateSchedule,
    readonly verbose: 0 | 1 = 0,
  ) {
    super();
    if (typeof schedule !== "function") throw new TypeError(`LearningRateScheduler: schedule must be a function (epoch, lr) => lr, received ${typeof schedule}.`);
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    const trainer = this.model.trainer;
    const lr = await this.schedule(epoch, trainer.getLearningRate());
    if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) {
      throw new TypeError(`LearningRateScheduler: the schedule must return a finite number >= 0, returned ${String(lr)} at epoch ${epoch}.`);
    }
    trainer.setLearningRate(lr);
    if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${lr}.`);
  }

  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    logs.learning_rate = this.model.trainer.getLearningRate();
  }
}

/**
 * Streams the epoch logs to a CSV file: a header `epoch,<sorted log names>`, one row per
 * epoch (Node only).
 *
 * @example new CSVLogger("training.log", { separator: ",", append: false })
 */
export class CSVLogger extends Callback {
  readonly separator: string;
  readonly append: boolean;
  #keys: string[] | null = null;
  #writeHeader = true;

  constructor(
    readonly filename: string,
    opts: { readonly separator?: string; readonly append?: boolean } = {},
  ) {
    super();
    this.separator = opts.separator ?? ",";
    this.append = opts.append ?? false;
  }

  override onTrainBegin(): void {
    const fs = nodeFs("CSVLogger");
    this.#keys = null;
    if (this.append && fs.existsSync(this.filename)) {
      this.#writeHeader = fs.statSync(this.filename).size === 0;
    } else {
      this.#writeHeader = true;
      fs.writeFileSync(this.filename, "");
    }
  }

  #field(v: string): string {
    return v.includes(this.separator) || /["\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    // Columns come from the first epoch's logs; later missing values are written "NA".
    this.#keys ??= Object.keys(logs).sort();
    let text = "";
    if (this.#writeHeader) {
      text += ["epoch", ...this.#keys].map((k) => this.#field(k)).join(this.separator) + "\n";
      this.#writeHeader = false;
    }
    text += [String(epoch), ...this.#keys.map((k) => (k in logs ? String(logs[k]) : "NA"))].join(this.separator) + "\n";
    nodeFs("CSVLogger").appendFileSync(this.filename, text);
  }
}

/**
 * Stops training as soon as a batch's loss is NaN or infinite.
 *
 * @example new TerminateOnNaN()
 */
export class TerminateOnNaN extends Callback {
  override onTrainBatchEnd(batch: number, logs: Logs = {}): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      console.log(`Batch ${batch}: Invalid loss, terminating training`);
      this.model.stopTraining = true;
    }
  }
}
