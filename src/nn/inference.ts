/**
 * @file `evaluate` and `predict`: batched loops over a model's compiled test step and its predict
 * step. They tell callbacks about each batch (Keras' `on_test_*` / `on_predict_*` hooks) and
 * show the progress bar for `verbose` 1 or 2; `fit`'s validation pass reuses the test loop with
 * no callbacks, so it stays silent as in Keras. `evaluate` and `predict` are synchronous (an
 * async hook is started but not awaited); `evaluateAsync` reads the metrics asynchronously and
 * awaits hooks, so it also works on backends that cannot read synchronously (webgpu).
 */
import { type PyTree, type Tracer, np, tidy, treeFlatten, treeUnflatten } from "../index.js";
import { type Callback, CallbackList, type Logs } from "./callbacks.js";
import type { OutputWeights } from "./compile-utils.js";
import { type ArrayData, arrayData, sliceData } from "./data.js";
import type { Model } from "./model.js";
import { ProgbarLogger } from "./progbar.js";

type Dict = Record<string, Tracer>;
type Step = (...a: any[]) => any;

export interface EvaluateOptions {
  readonly batchSize?: number;
  /** 0 silent, 1 progress bar (default), 2 one final line. */
  readonly verbose?: 0 | 1 | 2 | "auto";
  /** One weight array of shape [n], or (multi-output models) one per output: an array, or a record by output name. */
  readonly sampleWeight?: Tracer | readonly (Tracer | null)[] | Readonly<Record<string, Tracer>>;
  readonly callbacks?: readonly Callback[];
  /** Return `{ loss, accuracy, ... }` instead of `[loss, accuracy, ...]`. */
  readonly returnDict?: boolean;
}

export interface PredictOptions {
  readonly batchSize?: number;
  /** 0 silent, 1 progress bar (default), 2 one final line. */
  readonly verbose?: 0 | 1 | 2 | "auto";
  readonly callbacks?: readonly Callback[];
}

/** What the loops need from the Trainer (whose state is private to it). */
export interface InferenceHost {
  getModel(): Model;
  /** Builds the model (and its sublayers) for inputs like `x`. */
  build(x: PyTree): void;
  /** Moves the weights to the backend of `x`'s arrays when they differ (throws if that needs an async read). */
  align(x: PyTree): void;
  alignAsync(x: PyTree): Promise<void>;
  /** Writes trained weights back and returns the model's `[params, state]`. */
  weights(): [Dict, Dict];
  /** The jitted test step; throws when the model is not compiled. */
  testStep(): Step;
  predictStep(): Step;
  metricInit(): PyTree;
  /** Log values as numbers, in report order; disposes `logs` unless `keep`. */
  readLogs(logs: Dict, keep?: boolean): Logs;
  /** `readLogs`, reading asynchronously (every backend). */
  readLogsAsync(logs: Dict, keep?: boolean): Promise<Logs>;
  /** Per-output sample weights, checked against the compiled outputs. */
  sampleWeights(sw: PyTree | null, op: string): OutputWeights;
}

/** `batchSize` when it is a positive integer (a loop stepping by 0 or less would never end). */
export const checkBatchSize = (op: string, batchSize: number, name = "batchSize"): number => {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new RangeError(`${op}: ${name} must be a positive integer, received ${batchSize}.`);
  return batchSize;
};

/** A Keras-style return value: the only value, the list of values, or the record with `returnDict`. */
export const logsResult = (logs: Logs, returnDict?: boolean): number | number[] | Logs => {
  if (returnDict) return logs;
  const values = Object.values(logs);
  return values.length === 1 ? values[0] : values;
};

/** The callbacks of one evaluate / predict call, with the default progress bar when `verbose` asks for it. */
function callbackList(model: Model, given: readonly Callback[] | undefined, verbose: PredictOptions["verbose"], steps: number): CallbackList {
  const v = verbose === undefined || verbose === "auto" ? 1 : verbose;
  // As in fit, a ProgbarLogger among the callbacks replaces the default one.
  const bar = v > 0 && !given?.some((c) => c instanceof ProgbarLogger) ? [new ProgbarLogger()] : [];
  return new CallbackList([...bar, ...(given ?? [])], model, { epochs: 1, steps, verbose: v });
}

/**
 * The test step over `d` in batches, yielding each batch's index and running logs (valid until
 * the next step); the metric state is freed at the end, the last logs belong to the caller.
 */
function* testSteps(host: InferenceHost, d: ArrayData, batchSize: number): Generator<[number, Dict], Dict> {
  const testStep = host.testStep();
  const [params, state] = host.weights();
  let mstate = host.metricInit();
  let logs: Dict = {};
  for (let s = 0, b = 0; s < d.size; s += batchSize, b++) {
    for (const v of Object.values(logs)) v.dispose();
    [mstate, logs] = tidy(() => {
      const batch = sliceData(d, s, Math.min(d.size, s + batchSize));
      return testStep(params, state, mstate, batch.x, batch.y, batch.sampleWeight);
    });
    yield [b, logs];
  }
  for (const leaf of treeFlatten(mstate)[0]) (leaf as Tracer).dispose();
  return logs;
}

/** The final logs of a finished `testSteps` run (the generator's return value). */
const finish = (it: Generator<[number, Dict], Dict>): Dict => {
  const r = it.next();
  if (!r.done) throw new Error("internal: testSteps yielded after its last batch");
  return r.value;
};

/** Loss and metrics over `d` in batches; `cbs` (when given) hears about every batch. */
export function evaluateData(host: InferenceHost, d: ArrayData, batchSize: number, cbs: CallbackList | null = null): Logs {
  void cbs?.call("onTestBegin");
  // Reading the running logs costs a device sync per batch, so only when someone listens.
  const listening = cbs !== null && cbs.callbacks.length > 0;
  const it = testSteps(host, d, batchSize);
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) {
      const out = host.readLogs(r.value);
      void cbs?.call("onTestEnd", out);
      return out;
    }
    void cbs?.call("onTestBatchBegin", r.value[0]);
    if (listening) void cbs.call("onTestBatchEnd", r.value[0], host.readLogs(r.value[1], true));
  }
}

/** `evaluateData` with asynchronous reads, awaiting each hook (every backend, webgpu included). */
export async function evaluateDataAsync(host: InferenceHost, d: ArrayData, batchSize: number, cbs: CallbackList | null = null): Promise<Logs> {
  await cbs?.call("onTestBegin");
  const listening = cbs !== null && cbs.callbacks.length > 0;
  const it = testSteps(host, d, batchSize);
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) {
      const out = await host.readLogsAsync(r.value);
      await cbs?.call("onTestEnd", out);
      return out;
    }
    await cbs?.call("onTestBatchBegin", r.value[0]);
    if (listening) await cbs.call("onTestBatchEnd", r.value[0], await host.readLogsAsync(r.value[1], true));
  }
}

/**
 * Loss and metrics over the data, in batches. Returns the loss alone when there are no
 * metrics, `[loss, ...metrics]` otherwise, or a record with `returnDict`.
 *
 * @example const [loss, acc] = evaluate(host, xTest, yTest, { verbose: 0 }) as number[];
 */
export function evaluate(host: InferenceHost, x: PyTree, y: PyTree | undefined, opts: EvaluateOptions = {}): number | number[] | Logs {
  host.testStep();
  host.align(x);
  const batchSize = checkBatchSize("evaluate", opts.batchSize ?? 32);
  const sw = host.sampleWeights((opts.sampleWeight ?? null) as PyTree | null, "evaluate");
  const d = arrayData(x, y ?? null, sw as PyTree, "evaluate");
  host.build(x);
  const cbs = callbackList(host.getModel(), opts.callbacks, opts.verbose, Math.ceil(d.size / batchSize));
  return logsResult(evaluateData(host, d, batchSize, cbs), opts.returnDict);
}

/**
 * `evaluate`, reading the metrics asynchronously: the form that works on every backend,
 * webgpu included.
 *
 * @example const [loss, acc] = (await evaluateAsync(host, xTest, yTest, { verbose: 0 })) as number[];
 */
export async function evaluateAsync(host: InferenceHost, x: PyTree, y: PyTree | undefined, opts: EvaluateOptions = {}): Promise<number | number[] | Logs> {
  host.testStep();
  await host.alignAsync(x);
  const batchSize = checkBatchSize("evaluate", opts.batchSize ?? 32);
  const sw = host.sampleWeights((opts.sampleWeight ?? null) as PyTree | null, "evaluate");
  const d = arrayData(x, y ?? null, sw as PyTree, "evaluate");
  host.build(x);
  const cbs = callbackList(host.getModel(), opts.callbacks, opts.verbose, Math.ceil(d.size / batchSize));
  return logsResult(await evaluateDataAsync(host, d, batchSize, cbs), opts.returnDict);
}

/**
 * Model outputs for `x`, computed in batches and concatenated.
 *
 * @example const probs = predict(host, xTest, { batchSize: 256 }) as Tracer;
 */
export function predict(host: InferenceHost, x: PyTree, opts: PredictOptions = {}): PyTree {
  host.align(x);
  const d = arrayData(x, null, null, "predict");
  host.build(x);
  const batchSize = checkBatchSize("predict", opts.batchSize ?? 32);
  const [params, state] = host.weights();
  const predictStep = host.predictStep();
  const cbs = callbackList(host.getModel(), opts.callbacks, opts.verbose, Math.ceil(d.size / batchSize));
  const parts: Tracer[][] = [];
  let tree = null as ReturnType<typeof treeFlatten>[1] | null;
  void cbs.call("onPredictBegin");
  for (let s = 0, b = 0; s < d.size; s += batchSize, b++) {
    void cbs.call("onPredictBatchBegin", b);
    const [outs, t] = treeFlatten(
      tidy(() => {
        const batch = sliceData(d, s, Math.min(d.size, s + batchSize));
        return predictStep(params, state, batch.x) as PyTree;
      }),
    );
    tree = t;
    parts.push(outs as Tracer[]);
    void cbs.call("onPredictBatchEnd", b, {});
  }
  void cbs.call("onPredictEnd");
  const joined = parts[0].map((_, i) => {
    if (parts.length === 1) return parts[0][i];
    const c = np.concatenate(parts.map((p) => p[i]), 0);
    for (const p of parts) p[i].dispose();
    return c;
  });
  return treeUnflatten(tree!, joined);
}
