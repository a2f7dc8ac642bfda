/**
 * @file compile / fit / evaluate / predict. `fit` builds ONE pure training step
 * `(params, state, optState, metricState, x, y, sampleWeight, key) -> (params', state',
 * optState', metricState', logs)`, jit-compiles it with the old states donated, and reuses it for
 * every batch (the last, smaller batch gets a second cache entry, compiled once for all epochs).
 * The model's variables are written back at the end of every epoch, so callbacks see them.
 * The evaluate and predict loops live in inference.ts.
 */
import {
  type ConcreteArray, ConcreteArray as ConcreteArrayClass, type PyTree, ShapedArray, devicePut, devicePutSync, getBackend, type Tracer, evalShape, jit, np, random, tidy, treeFlatten, treeUnflatten, valueAndGrad,
} from "../index.js";
import { type Callback, CallbackList, History, type Logs } from "./callbacks.js";
import {
  type CompileOptions, type CompiledLoss, type MetricLike, type OptimizerLike, type OutputWeights, resolveCompile, weightsOf,
} from "./compile-utils.js";
import { type ArrayData, arrayData, disposeData, epochBatches, shuffleRng, splitValidation, sliceData, takeRows } from "./data.js";
import {
  type EvaluateOptions, type InferenceHost, type PredictOptions, checkBatchSize, evaluate, evaluateAsync, evaluateDataAsync, logsResult, predict,
} from "./inference.js";
import type { Layer } from "./layer.js";
import type { Model } from "./model.js";
import { ProgbarLogger } from "./progbar.js";

export type { CompileOptions } from "./compile-utils.js";
export type { EvaluateOptions, PredictOptions } from "./inference.js";

/** Sample weights as fit takes them: one array of shape [n], or one per output (array, or record by output name). */
export type SampleWeight = Tracer | readonly (Tracer | null)[] | Readonly<Record<string, Tracer>>;

export interface FitOptions {
  readonly batchSize?: number;
  readonly epochs?: number;
  /** 0 silent, 1 progress bar (default), 2 one line per epoch. */
  readonly verbose?: 0 | 1 | 2 | "auto";
  readonly callbacks?: readonly Callback[];
  /** Fraction of the samples, taken from the end before shuffling, held out for validation. */
  readonly validationSplit?: number;
  /** `[x, y]` or `[x, y, sampleWeight]` to evaluate at the end of each epoch. */
  readonly validationData?: readonly [PyTree, PyTree] | readonly [PyTree, PyTree, SampleWeight];
  readonly shuffle?: boolean;
  /** Weight of each class index in the loss, e.g. `{ 0: 1, 1: 5 }`. */
  readonly classWeight?: Readonly<Record<number, number>>;
  /** Weight of each sample in the loss, shape [n]; per output for multi-output models (array or record by name). */
  readonly sampleWeight?: SampleWeight;
  readonly initialEpoch?: number;
  readonly validationBatchSize?: number;
  /** Run validation every `validationFreq` epochs, or after the listed (1-based) epochs, e.g. `[1, 5, 10]`. */
  readonly validationFreq?: number | readonly number[];
  /** Seed for shuffling and dropout keys (default: drawn at random). */
  readonly seed?: number;
}

type Dict = Record<string, Tracer>;
interface TrainState {
  params: Dict;
  state: Dict;
}

const logKeys = (logs: Dict, order: readonly string[]) => [...order.filter((n) => n in logs), ...Object.keys(logs).filter((n) => !order.includes(n))];

/** Log values as numbers, in the metrics' order (loss first), as Keras reports them; disposes `logs` unless `keep`. */
const readLogs = (logs: Dict, order: readonly string[], keep = false): Logs => {
  const out: Logs = {};
  for (const k of logKeys(logs, order)) {
    const v = logs[k] as ConcreteArray;
    if (!v.backend.canReadSync) {
      throw new Error(
        `Reading metrics synchronously is not possible on the ${v.backend.name} backend (GPU results arrive asynchronously): ` +
          `use 'await model.evaluateAsync(...)' instead of evaluate() / testOnBatch(), and 'await model.fit(...)', which reads asynchronously.`,
      );
    }
    out[k] = v.item() as number;
    if (!keep) v.dispose();
  }
  return out;
};

/** `readLogs`, reading asynchronously (every backend, webgpu included). */
const readLogsAsync = async (logs: Dict, order: readonly string[], keep = false): Promise<Logs> => {
  const keys = logKeys(logs, order);
  const values = await Promise.all(keys.map((k) => logs[k].data()));
  const out: Logs = {};
  keys.forEach((k, i) => {
    out[k] = Number(values[i][0]);
    if (!keep) logs[k].dispose();
  });
  return out;
};

/** The training machinery of one Model (exposed as `model.trainer`). */
export class Trainer {
  stopTraining = false;
  #compiled: CompiledLoss | null = null;
  #optimizer: OptimizerLike | null = null;
  #metrics: MetricLike[] = [];
  #train: TrainState | null = null;
  #optState: PyTree | null = null;
  #compileOptions: CompileOptions | null = null;
  #trainStep: ((...a: any[]) => any) | null = null;
  #testStep: ((...a: any[]) => any) | null = null;
  #predictStep: ((...a: any[]) => any) | null = null;
  #shapeTraced = false;

  /** What the evaluate / predict loops (inference.ts) may use of this trainer. */
  readonly #host: InferenceHost = {
    getModel: () => this.model,
    build: (x) => this.#ensureBuilt(x),
    align: (x) => this.#alignSync(x),
    alignAsync: (x) => this.#align(x),
    weights: () => {
      this.#syncWeights();
      return this.model.paramsAndState();
    },
    testStep: () => {
      if (!this.#compiled) throw new Error(`Model '${this.model.name}': call compile({ optimizer, loss }) before evaluate().`);
      return (this.#testStep ??= this.#makeTestStep());
    },
    predictStep: () => (this.#predictStep ??= this.#makePredictStep()),
    metricInit: () => this.#metricInit(),
    readLogs: (logs, keep) => readLogs(logs, this.#logOrder, keep),
    readLogsAsync: (logs, keep) => readLogsAsync(logs, this.#logOrder, keep),
    sampleWeights: (sw, op) => this.#compiled!.sampleWeights(sw, op),
  };

  constructor(readonly model: Model) {}

  get optimizer(): OptimizerLike {
    if (!this.#optimizer) throw new Error(`Model '${this.model.name}': call compile() before training or evaluating.`);
    return this.#optimizer;
  }

  get isCompiled(): boolean {
    return this.#compiled !== null;
  }

  /** Log names in report order. */
  get #logOrder(): string[] {
    return this.#metrics.flatMap((m) => m.names);
  }

  /** The compiled metrics, loss tracker first. */
  get metrics(): readonly MetricLike[] {
    return this.#metrics;
  }

  /** The options of the last `compile` (saved with the model). */
  get compileOptions(): CompileOptions | null {
    return this.#compileOptions;
  }

  /** The optimizer state (null before the first training step). */
  getOptimizerState(): PyTree | null {
    return this.#optState;
  }

  /** Replaces the optimizer state (used when loading a saved model); the old one is released. */
  setOptimizerState(state: PyTree): void {
    const old = this.#optState;
    this.#optState = state;
    if (old !== null) this.#releaseReplaced(old, state);
  }

  /** Disposes the leaves of `old` that `next` no longer holds. */
  #releaseReplaced(old: PyTree, next: PyTree): void {
    const kept = new Set(treeFlatten(next)[0]);
    for (const l of treeFlatten(old)[0]) if (!kept.has(l)) (l as Tracer).dispose();
  }

  compile(opts: CompileOptions): void {
    this.#compileOptions = opts;
    const r = resolveCompile(opts, this.model);
    this.#compiled = r.loss;
    this.#optimizer = r.optimizer;
    this.#metrics = r.metrics;
    this.#disposeTrainState();
    this.#trainStep = this.#testStep = null;
  }

  #disposeTrainState(): void {
    this.#dropWeights();
    if (this.#optState !== null) for (const l of treeFlatten(this.#optState)[0]) (l as Tracer).dispose();
    this.#optState = null;
  }

  /**
   * The weights being trained (the trainer's own references to the variables' values, which the
   * donated step consumes) and the optimizer state, created at the first use.
   */
  #trainState(sample: ArrayData): TrainState {
    this.#ensureBuilt(sample.x);
    if (!this.#train) {
      const [p, s] = this.model.paramsAndState();
      const own = (d: Dict) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.retain()]));
      this.#optState ??= tidy(() => this.optimizer.init(p));
      this.#train = { params: own(p), state: own(s) };
    }
    return this.#train;
  }

  /**
   * Builds the model and every sublayer for inputs like `x`. A subclassed model's sublayers are
   * built by its first call, so (as Keras does before training) the call is traced once on
   * shapes alone; otherwise their weights would be missing from the params of a compiled step.
   */
  #ensureBuilt(x: PyTree): void {
    this.model.ensureBuilt(x);
    const unbuilt = (l: Layer): boolean => !l.built || l.layers.some(unbuilt);
    if (this.#shapeTraced || !unbuilt(this.model)) return;
    this.#shapeTraced = true;
    const [leaves, tree] = treeFlatten(x);
    const specs = (leaves as Tracer[]).map((l) => new ShapedArray([1, ...l.shape.slice(1)], l.dtype));
    evalShape((...xs: Tracer[]) => this.model.apply(treeUnflatten(tree, xs)), ...specs);
  }

  /** Writes the trained weights back into the model's variables and drops the trainer's copies. */
  /** The backend holding the model's weights (null before they exist). */
  #weightsBackend(): string | null {
    const w = this.model.weights[0]?.value;
    return w instanceof ConcreteArrayClass ? w.backend.name : null;
  }

  /**
   * Moves the model's weights and optimizer state to backend `name` (`await setBackend(name)`
   * does not move existing arrays; fit, evaluate and predict call this for data on another backend).
   */
  async toBackend(name: string): Promise<void> {
    this.#syncWeights();
    for (const v of this.model.weights) {
      const moved = await devicePut(v.value as ConcreteArray, name);
      v.assign(moved);
      moved.dispose();
    }
    if (this.#optState) {
      const old = this.#optState;
      this.#optState = await devicePut(old, name);
      for (const l of treeFlatten(old)[0]) (l as Tracer).dispose();
    }
  }

  /** `toBackend`, synchronously: only from backends that read synchronously. */
  #toBackendSync(name: string): void {
    this.#syncWeights();
    for (const v of this.model.weights) {
      const moved = devicePutSync(v.value as ConcreteArray, name);
      v.assign(moved);
      moved.dispose();
    }
    if (this.#optState) {
      const old = this.#optState;
      this.#optState = devicePutSync(old, name);
      for (const l of treeFlatten(old)[0]) (l as Tracer).dispose();
    }
  }

  /** The backend of the data's arrays, when it differs from the weights'. */
  #otherBackend(x: PyTree): string | null {
    const leaf = treeFlatten(x)[0].find((l) => l instanceof ConcreteArrayClass) as ConcreteArray | undefined;
    const have = this.#weightsBackend();
    return leaf && have !== null && leaf.backend.name !== have ? leaf.backend.name : null;
  }

  /** Moves the weights to the data's backend, synchronously (evaluate, predict). */
  #alignSync(x: PyTree): void {
    const to = this.#otherBackend(x);
    if (to === null) return;
    const from = this.#weightsBackend()!;
    if (!getBackend(from).canReadSync) {
      throw new Error(
        `Model '${this.model.name}': its weights are on the ${from} backend and the data on ${to}. Call ` +
          `'await model.toBackend("${to}")' first (reading from ${from} is asynchronous), or use evaluateAsync.`,
      );
    }
    this.#toBackendSync(to);
  }

  /** Moves the weights to the data's backend (fit, evaluateAsync). */
  async #align(x: PyTree): Promise<void> {
    const to = this.#otherBackend(x);
    if (to !== null) await this.toBackend(to);
  }

  #syncWeights(): void {
    if (!this.#train) return;
    const t = this.#train;
    tidy(() => this.model.assignParamsAndState(t.params, t.state));
    this.#dropWeights();
  }

  #dropWeights(): void {
    if (!this.#train) return;
    for (const l of treeFlatten([this.#train.params, this.#train.state] as PyTree)[0]) (l as Tracer).dispose();
    this.#train = null;
  }

  /** The current learning rate (as stored in the optimizer state). */
  getLearningRate(): number {
    return this.optimizer.getLearningRate(this.#optState);
  }

  /** Changes the learning rate without recompiling (ReduceLROnPlateau, LearningRateScheduler). */
  setLearningRate(lr: number): void {
    if (this.#optState === null) {
      throw new Error(`Model '${this.model.name}': the learning rate can be changed once training has started (inside fit), or set it in the optimizer before compile().`);
    }
    const old = this.#optState;
    this.#optState = tidy(() => this.optimizer.setLearningRate(old, lr));
    this.#releaseReplaced(old, this.#optState);
  }

  #metricInit(): PyTree {
    return tidy(() => this.#metrics.map((m) => m.initState()) as PyTree);
  }

  #updateMetrics(mstate: PyTree, loss: Tracer, outputLosses: Tracer[], y: Tracer[], yPred: PyTree, sw: OutputWeights): [PyTree, Dict] {
    const states = mstate as PyTree[];
    const next = this.#metrics.map((m, i) => m.update(states[i], { loss, outputLosses, y, yPred, sampleWeight: sw }));
    const logs: Dict = {};
    this.#metrics.forEach((m, i) => Object.assign(logs, m.results(next[i])));
    return [next, logs];
  }

  #makeTrainStep() {
    const model = this.model;
    const loss = this.#compiled!;
    const opt = this.optimizer;
    const step = (params: Dict, state: Dict, optState: PyTree, mstate: PyTree, x: PyTree, yGiven: PyTree, sw: OutputWeights, key: Tracer) => {
      const y = loss.targets(yGiven);
      const f = (p: Dict) => {
        const [yPred, newState, extra] = model.statelessCall(p, state, x, { training: true, key });
        const parts = loss.computeEach(y, yPred, sw);
        let total = parts.reduce((a, b) => a.add(b));
        for (const l of extra) total = total.add(l);
        return [total, [yPred, newState, parts]];
      };
      const [[total, [yPred, newState, parts]], grads] = valueAndGrad(f, { hasAux: true })(params) as [[Tracer, [PyTree, Dict, Tracer[]]], Dict];
      const [updated, newOpt] = opt.statelessApply(optState, grads, params);
      const constrained = loss.applyConstraints(updated as Dict);
      const [newM, logs] = this.#updateMetrics(mstate, total, parts, y, yPred, sw);
      return [constrained, newState, newOpt, newM, logs];
    };
    return jit(step, { donateArgnums: [0, 1, 2, 3], name: `${model.name}_train_step` });
  }

  #makeTestStep() {
    const model = this.model;
    const loss = this.#compiled!;
    const step = (params: Dict, state: Dict, mstate: PyTree, x: PyTree, yGiven: PyTree, sw: OutputWeights) => {
      const y = loss.targets(yGiven);
      const [yPred, , extra] = model.statelessCall(params, state, x, { training: false });
      const parts = loss.computeEach(y, yPred, sw);
      let total = parts.reduce((a, b) => a.add(b));
      for (const l of extra) total = total.add(l);
      return this.#updateMetrics(mstate, total, parts, y, yPred, sw);
    };
    return jit(step, { donateArgnums: [2], name: `${model.name}_test_step` });
  }

  /** Sample weights of a batch: the given ones times the class weights of its labels. */
  #batchWeights(b: ArrayData, classWeight: FitOptions["classWeight"]): OutputWeights {
    const given = b.sampleWeight as OutputWeights;
    if (!classWeight) return given;
    const y = treeFlatten(b.y as PyTree)[0];
    if (y.length !== 1) throw new TypeError("fit: classWeight needs a single output; use sampleWeight for multi-output models.");
    const labels = y[0] as Tracer;
    const idx = labels.ndim >= 2 && labels.shape.at(-1)! > 1 ? np.argmax(labels, { axis: -1 }) : labels.reshape([labels.shape[0]]).astype("int32");
    const maxClass = Math.max(...Object.keys(classWeight).map(Number));
    const table = np.array(Array.from({ length: maxClass + 1 }, (_, i) => classWeight[i] ?? 1), { dtype: "float32" });
    const w = np.take(table, np.clip(idx, 0, maxClass), { axis: 0 });
    const sw = weightsOf(given, 0);
    return sw ? w.mul(sw) : w;
  }

  /**
   * Trains the model. Resolves to a History with per-epoch logs.
   *
   * @example const history = await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 128, validationSplit: 0.1 });
   */
  async fit(x: PyTree, y: PyTree | undefined, opts: FitOptions = {}): Promise<History> {
    if (!this.#compiled) throw new Error(`Model '${this.model.name}': call compile({ optimizer, loss }) before fit().`);
    const batchSize = checkBatchSize("fit", opts.batchSize ?? 32);
    const valBatchSize = checkBatchSize("fit", opts.validationBatchSize ?? batchSize, "validationBatchSize");
    const epochs = opts.epochs ?? 1;
    if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`fit: epochs must be a non-negative integer, received ${epochs}.`);
    const verbose = opts.verbose === undefined || opts.verbose === "auto" ? 1 : opts.verbose;
    const sampleWeights = (sw: SampleWeight | undefined, op: string) => this.#compiled!.sampleWeights((sw ?? null) as PyTree | null, op) as PyTree;
    await this.#align(x);
    const freq = opts.validationFreq ?? 1;
    const validateAfter = Array.isArray(freq) ? new Set<number>(freq) : null;
    if (validateAfter ? (freq as readonly number[]).some((e: number) => !Number.isInteger(e) || e < 1) : !(Number.isInteger(freq) && (freq as number) >= 1)) {
      throw new RangeError(`fit: validationFreq must be a positive integer or a list of 1-based epochs, received ${JSON.stringify(freq)}.`);
    }
    let data = arrayData(x, y ?? null, sampleWeights(opts.sampleWeight, "fit"), "fit");
    let val: ArrayData | null = null;
    const owned: ArrayData[] = [];
    if (opts.validationData) {
      const [vx, vy, vsw] = opts.validationData as unknown as [PyTree, PyTree, SampleWeight?];
      val = arrayData(vx, vy, sampleWeights(vsw, "fit: validationData"), "fit: validationData");
    } else if (opts.validationSplit) {
      const split = opts.validationSplit;
      [data, val] = tidy(() => splitValidation(data, split));
      owned.push(data, val);
    }
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
    const rand = shuffleRng(seed);
    const steps = Math.ceil(data.size / batchSize);
    const history = new History();
    const cbs = new CallbackList(
      // A ProgbarLogger among the callbacks replaces the default one (Keras), e.g. to print elsewhere.
      [...(verbose > 0 && !opts.callbacks?.some((c) => c instanceof ProgbarLogger) ? [new ProgbarLogger()] : []), ...(opts.callbacks ?? []), history],
      this.model,
      { epochs, steps, verbose },
    );
    const first = tidy(() => sliceData(data, 0, 1));
    this.#trainState(first);
    this.#syncWeights();
    const trainStep = (this.#trainStep ??= this.#makeTrainStep());
    this.stopTraining = false;
    const baseKey = tidy(() => random.key(seed));
    try {
      await cbs.call("onTrainBegin");
      for (let epoch = opts.initialEpoch ?? 0; epoch < epochs && !this.stopTraining; epoch++) {
        await cbs.call("onEpochBegin", epoch);
        let mstate = this.#metricInit();
        let logs: Logs = {};
        const batches = epochBatches(data.size, batchSize, opts.shuffle ?? true, rand);
        const ts = this.#trainState(first);
        for (let b = 0; b < batches.length && !this.stopTraining; b++) {
          await cbs.call("onTrainBatchBegin", b);
          // Everything made for this batch (rows, weights, key, temporaries) is freed with it.
          const [p, s, o, m, l] = tidy(() => {
            const batch = takeRows(data, batches[b]);
            const sw = this.#batchWeights(batch, opts.classWeight);
            const key = random.foldIn(baseKey, epoch * steps + b);
            return trainStep(ts.params, ts.state, this.#optState, mstate, batch.x, batch.y, sw, key);
          });
          ts.params = p;
          ts.state = s;
          this.#optState = o;
          mstate = m;
          logs = await readLogsAsync(l, this.#logOrder);
          await cbs.call("onTrainBatchEnd", b, logs);
        }
        for (const leaf of treeFlatten(mstate)[0]) (leaf as Tracer).dispose();
        this.#syncWeights();
        if (val && (validateAfter ? validateAfter.has(epoch + 1) : (epoch + 1) % (freq as number) === 0)) {
          const vlogs = await evaluateDataAsync(this.#host, val, valBatchSize);
          for (const [k, v] of Object.entries(vlogs)) logs[`val_${k}`] = v;
        }
        await cbs.call("onEpochEnd", epoch, logs);
        // Give the event loop a turn (browser repaint, timers, async callbacks).
        await new Promise((r) => setTimeout(r, 0));
      }
      await cbs.call("onTrainEnd");
    } finally {
      baseKey.dispose();
      this.#syncWeights();
      disposeData(first);
      owned.forEach(disposeData);
    }
    return history;
  }

  /** Loss and metrics over the data (see inference.ts). */
  evaluate(x: PyTree, y: PyTree | undefined, opts: EvaluateOptions = {}): number | number[] | Logs {
    return evaluate(this.#host, x, y, opts);
  }

  /** `evaluate` with asynchronous reads (works on every backend; see inference.ts). */
  evaluateAsync(x: PyTree, y: PyTree | undefined, opts: EvaluateOptions = {}): Promise<number | number[] | Logs> {
    return evaluateAsync(this.#host, x, y, opts);
  }

  #makePredictStep() {
    const model = this.model;
    return jit((params: Dict, state: Dict, x: PyTree) => model.statelessCall(params, state, x, { training: false })[0], {
      name: `${model.name}_predict_step`,
    });
  }

  /** Model outputs for `x`, computed in batches and concatenated (see inference.ts). */
  predict(x: PyTree, opts: PredictOptions = {}): PyTree {
    return predict(this.#host, x, opts);
  }

  trainOnBatch(x: PyTree, y: PyTree, opts: { sampleWeight?: SampleWeight; classWeight?: FitOptions["classWeight"]; returnDict?: boolean } = {}): number | number[] | Logs {
    if (!this.#compiled) throw new Error(`Model '${this.model.name}': call compile({ optimizer, loss }) before trainOnBatch().`);
    const batch = arrayData(x, y, this.#compiled.sampleWeights((opts.sampleWeight ?? null) as PyTree | null, "trainOnBatch") as PyTree, "trainOnBatch");
    const ts = this.#trainState(batch);
    const trainStep = (this.#trainStep ??= this.#makeTrainStep());
    const [p, s, o, m, l] = tidy(() => {
      const sw = this.#batchWeights(batch, opts.classWeight);
      const key = random.key(Math.floor(Math.random() * 2 ** 31));
      return trainStep(ts.params, ts.state, this.#optState, this.#metricInit(), batch.x, batch.y, sw, key);
    });
    Object.assign(ts, { params: p, state: s });
    this.#optState = o;
    for (const leaf of treeFlatten(m)[0]) (leaf as Tracer).dispose();
    this.#syncWeights();
    return logsResult(readLogs(l, this.#logOrder), opts.returnDict);
  }

  testOnBatch(x: PyTree, y: PyTree, opts: { sampleWeight?: SampleWeight; returnDict?: boolean } = {}): number | number[] | Logs {
    return this.evaluate(x, y, { sampleWeight: opts.sampleWeight, returnDict: opts.returnDict, batchSize: Number.MAX_SAFE_INTEGER, verbose: 0 });
  }

  predictOnBatch(x: PyTree): PyTree {
    return this.predict(x, { batchSize: Number.MAX_SAFE_INTEGER, verbose: 0 });
  }
}
