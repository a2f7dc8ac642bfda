/**
 * @file Callbacks: hooks that `fit`, `evaluate` and `predict` call at the start and end of
 * training, epochs and batches (Keras' `Callback`), the list that dispatches them, and
 * `History`, which `fit` returns. Hooks may be async: `fit` awaits them.
 */
import type { Model } from "./model.js";

/** Scalars reported after a batch or an epoch: `loss`, metric names, `val_` prefixed ones. */
export type Logs = Record<string, number>;

/** What fit tells callbacks about the run. */
export interface TrainingParams {
  readonly epochs: number;
  readonly steps: number;
  readonly verbose: number;
}

type Hook<A extends unknown[]> = (...args: A) => void | Promise<void>;

/**
 * Base class of callbacks; override the hooks you need.
 *
 * @example
 *   class PrintLoss extends Callback {
 *     onEpochEnd(epoch: number, logs: Logs) { console.log(epoch, logs.loss); }
 *   }
 */
export class Callback {
  model!: Model;
  params: TrainingParams = { epochs: 0, steps: 0, verbose: 0 };

  setModel(model: Model): void {
    this.model = model;
  }

  setParams(params: TrainingParams): void {
    this.params = params;
  }

  onTrainBegin(_logs?: Logs): void | Promise<void> {}
  onTrainEnd(_logs?: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onTrainBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTrainBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTestBegin(_logs?: Logs): void | Promise<void> {}
  onTestEnd(_logs?: Logs): void | Promise<void> {}
  onTestBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTestBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
  onPredictBegin(_logs?: Logs): void | Promise<void> {}
  onPredictEnd(_logs?: Logs): void | Promise<void> {}
  onPredictBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onPredictBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
}

/** Hooks as plain functions (Keras' `LambdaCallback`). */
export interface LambdaHooks {
  readonly onTrainBegin?: Hook<[Logs?]>;
  readonly onTrainEnd?: Hook<[Logs?]>;
  readonly onEpochBegin?: Hook<[number, Logs?]>;
  readonly onEpochEnd?: Hook<[number, Logs?]>;
  readonly onTrainBatchBegin?: Hook<[number, Logs?]>;
  readonly onTrainBatchEnd?: Hook<[number, Logs?]>;
}

/**
 * A callback made of functions.
 *
 * @example new LambdaCallback({ onEpochEnd: (epoch, logs) => console.log(epoch, logs?.loss) })
 */
export class LambdaCallback extends Callback {
  constructor(hooks: LambdaHooks) {
    super();
    for (const [k, f] of Object.entries(hooks)) {
      if (typeof f !== "function") throw new TypeError(`LambdaCallback: ${k} must be a function, received ${typeof f}.`);
      (this as unknown as Record<string, unknown>)[k] = f;
    }
  }
}

/**
 * Records the logs of every epoch; `fit` returns it.
 *
 * @example const h = await model.fit(x, y, { epochs: 3 }); h.history.loss // [0.9, 0.5, 0.4]
 */
export class History extends Callback {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

const HOOKS = [
  "onTrainBegin", "onTrainEnd", "onEpochBegin", "onEpochEnd", "onTrainBatchBegin", "onTrainBatchEnd", "onTestBegin", "onTestEnd",
  "onTestBatchBegin", "onTestBatchEnd", "onPredictBegin", "onPredictEnd", "onPredictBatchBegin", "onPredictBatchEnd",
] as const;

/** Calls a hook on every callback in order, awaiting async ones. */
export class CallbackList {
  readonly callbacks: Callback[];

  constructor(callbacks: readonly Callback[], model: Model, params: TrainingParams) {
    for (const c of callbacks) {
      if (!(c instanceof Callback)) {
        throw new TypeError(`callbacks: expected Callback instances (e.g. new callbacks.EarlyStopping()), received ${c === null ? "null" : typeof c}.`);
      }
    }
    this.callbacks = [...callbacks];
    for (const c of this.callbacks) {
      c.setModel(model);
      c.setParams(params);
    }
  }

  /** Runs `hook` on each callback; returns a promise only when some callback returned one. */
  call(hook: (typeof HOOKS)[number], ...args: unknown[]): void | Promise<void> {
    let pending: Promise<void> | null = null;
    for (const c of this.callbacks) {
      const f = c[hook] as (...a: unknown[]) => void | Promise<void>;
      if (pending) {
        pending = pending.then(() => f.apply(c, args));
      } else {
        const r = f.apply(c, args);
        if (r && typeof (r as Promise<void>).then === "function") pending = r as Promise<void>;
      }
    }
    return pending ?? undefined;
  }
}
