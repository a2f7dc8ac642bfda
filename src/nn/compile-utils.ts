/**
 * @file What `compile` turns its options into: one loss function over all outputs (with loss
 * weights; targets given as a record by output name are put in output order), the metrics as
 * pure state machines (a loss tracker first, then each output's metrics under Keras' log names,
 * then `<output>_loss` trackers for multi-output models), the optimizer, and the weight
 * constraints to apply after each update. Sample weights may be given per output (array in
 * output order or record by output name); each output's loss and metrics then use their own.
 */
import { type PyTree, Tracer, treeFlatten } from "../index.js";
import { Loss, type LossFn, getLoss } from "./losses.js";
import { Mean, Metric, getMetric } from "./metrics.js";
import * as optim from "../optim/index.js";
import type { Model } from "./model.js";
import { SymbolicTensor } from "./symbolic.js";

type LossSpec = string | Loss | LossFn;
type MetricSpec = string | Metric;

export interface CompileOptions {
  /** An optimizer instance or a Keras name ("adam", "sgd", "rmsprop"...). Default "rmsprop" as in Keras. */
  readonly optimizer?: string | optim.optimizers.Optimizer;
  /** One loss for every output, or one per output (array in output order, or record by output name). */
  readonly loss: LossSpec | readonly LossSpec[] | Readonly<Record<string, LossSpec>>;
  /** Metrics for every output, or per output (array of arrays, or record by output name). */
  readonly metrics?: readonly MetricSpec[] | readonly (readonly MetricSpec[])[] | Readonly<Record<string, readonly MetricSpec[]>>;
  /** Weight of each output's loss in the total (array or record by output name). */
  readonly lossWeights?: readonly number[] | Readonly<Record<string, number>>;
}

/** Sample weights as the steps use them: one array for all outputs, or one per output (null: unweighted). */
export type OutputWeights = Tracer | readonly (Tracer | null)[] | null;

/** The weights of output `i`. */
export const weightsOf = (sw: OutputWeights, i: number): Tracer | null => (Array.isArray(sw) ? (sw[i] ?? null) : (sw as Tracer | null));

/** The loss of a compiled model, and the constraints applied after each update. */
export interface CompiledLoss {
  /** The targets in output order: an array as given, or a record by output name put in that order. */
  targets(y: PyTree): Tracer[];
  /**
   * `sampleWeight` as given to fit / evaluate (one array, an array per output, or a record by
   * output name, where a missing output is unweighted), checked and put in output order.
   */
  sampleWeights(sw: PyTree | null, op: string): OutputWeights;
  /** Each output's loss, times its loss weight (Keras logs these as `<output>_loss`). */
  computeEach(y: PyTree, yPred: PyTree, sampleWeight: OutputWeights): Tracer[];
  /** The sum of `computeEach`. */
  compute(y: PyTree, yPred: PyTree, sampleWeight: OutputWeights): Tracer;
  applyConstraints(params: Record<string, Tracer>): Record<string, Tracer>;
}

/** A metric as the training step uses it: pure state in, pure state out, named results. */
export interface MetricLike {
  /** Names of the logs `results` returns. */
  readonly names: readonly string[];
  initState(): PyTree;
  update(state: PyTree, batch: MetricBatch): PyTree;
  results(state: PyTree): Record<string, Tracer>;
}

/** What the step hands every metric: the total loss, each output's (weighted) loss, targets, outputs. */
export interface MetricBatch {
  readonly loss: Tracer;
  readonly outputLosses: readonly Tracer[];
  readonly y: PyTree;
  readonly yPred: PyTree;
  readonly sampleWeight: OutputWeights;
}

export interface OptimizerLike {
  init(params: PyTree): PyTree;
  statelessApply(state: PyTree, grads: PyTree, params: PyTree): [PyTree, PyTree];
  getLearningRate(state: PyTree | null): number;
  setLearningRate(state: PyTree, lr: number): PyTree;
}

/**
 * Output names in flattening order: the keys when a functional model's outputs are a record
 * (sorted, as they flatten), else the output layers' names; output_i for other models.
 */
function outputNames(model: Model, count: number): string[] {
  const io = model.graphIO;
  const outs = io?.outputs;
  if (outs && typeof outs === "object" && !Array.isArray(outs) && !(outs instanceof SymbolicTensor)) {
    const keys = Object.keys(outs).sort();
    if (keys.length === count) return keys;
  }
  if (io) {
    const outs = treeFlatten(io.outputs)[0] as SymbolicTensor[];
    if (outs.length === count) return outs.map((o) => o.node.layer.name);
  }
  return Array.from({ length: count }, (_, i) => (count === 1 ? "output" : `output_${i + 1}`));
}

function countOutputs(model: Model): number {
  const io = model.graphIO;
  return io ? treeFlatten(io.outputs)[0].length : 1;
}

/** Spreads a per-output option (one value, an array, or a record by output name) over the outputs. */
function perOutput<T>(what: string, spec: T | readonly T[] | Readonly<Record<string, T>>, names: string[], isOne: (x: unknown) => boolean): T[] {
  if (isOne(spec)) return names.map(() => spec as T);
  if (Array.isArray(spec)) {
    if (spec.length !== names.length) {
      throw new RangeError(`compile: ${what} has ${spec.length} entries but the model has ${names.length} output(s) (${names.join(", ")}).`);
    }
    return [...spec];
  }
  const rec = spec as Record<string, T>;
  for (const k of Object.keys(rec)) {
    if (!names.includes(k)) throw new RangeError(`compile: ${what} names output '${k}', but the outputs are ${names.join(", ")}.`);
  }
  return names.map((n) => rec[n]);
}

/** The batch size, by which the loss trackers weight each batch (Keras 3). */
const batchSize = (yPred: PyTree): number => (treeFlatten(yPred)[0][0] as Tracer).shape[0];

class LossTracker implements MetricLike {
  readonly names = ["loss"];
  readonly #mean = new Mean({ name: "loss" });
  initState(): PyTree {
    return this.#mean.initState() as PyTree;
  }
  /** Each batch counts by its size, as in Keras, so a smaller last batch does not skew the mean. */
  update(state: PyTree, b: MetricBatch): PyTree {
    return this.#mean.statelessUpdate(state as never, b.loss, batchSize(b.yPred)) as PyTree;
  }
  results(state: PyTree): Record<string, Tracer> {
    return { loss: this.#mean.statelessResult(state as never) };
  }
}

/** The mean of one output's weighted loss, logged as `<output>_loss` by multi-output models. */
class OutputLossTracker implements MetricLike {
  readonly names: readonly string[];
  readonly #mean: Mean;
  constructor(
    readonly output: number,
    readonly logName: string,
  ) {
    this.names = [logName];
    this.#mean = new Mean({ name: logName });
  }
  initState(): PyTree {
    return this.#mean.initState() as PyTree;
  }
  update(state: PyTree, b: MetricBatch): PyTree {
    return this.#mean.statelessUpdate(state as never, b.outputLosses[this.output], batchSize(b.yPred)) as PyTree;
  }
  results(state: PyTree): Record<string, Tracer> {
    return { [this.logName]: this.#mean.statelessResult(state as never) };
  }
}

class OutputMetric implements MetricLike {
  readonly names: readonly string[];
  constructor(
    readonly metric: Metric,
    readonly output: number,
    readonly logName: string,
  ) {
    this.names = [logName];
  }
  initState(): PyTree {
    return this.metric.initState() as PyTree;
  }
  update(state: PyTree, b: MetricBatch): PyTree {
    const y = treeFlatten(b.y)[0][this.output] as Tracer;
    const p = treeFlatten(b.yPred)[0][this.output] as Tracer;
    return this.metric.statelessUpdate(state as never, y, p, weightsOf(b.sampleWeight, this.output) ?? undefined) as PyTree;
  }
  results(state: PyTree): Record<string, Tracer> {
    return { [this.logName]: this.metric.statelessResult(state as never) };
  }
}

class OptimizerAdapter implements OptimizerLike {
  constructor(readonly opt: optim.optimizers.Optimizer) {}
  init(params: PyTree): PyTree {
    return this.opt.init(params) as PyTree;
  }
  statelessApply(state: PyTree, grads: PyTree, params: PyTree): [PyTree, PyTree] {
    return this.opt.statelessApply(state as never, grads, params) as [PyTree, PyTree];
  }
  getLearningRate(state: PyTree | null): number {
    if (state === null) {
      const lr = this.opt.learningRate;
      if (typeof lr === "number") return lr;
      throw new Error("getLearningRate: the learning rate follows a schedule and training has not started.");
    }
    return this.opt.getLearningRate(state as never);
  }
  setLearningRate(state: PyTree, lr: number): PyTree {
    return this.opt.setLearningRate(state as never, lr) as PyTree;
  }
}

/** Resolves `compile` options for `model`. */
export function resolveCompile(opts: CompileOptions, model: Model): { loss: CompiledLoss; optimizer: OptimizerLike; metrics: MetricLike[] } {
  if (!opts || opts.loss === undefined) {
    throw new TypeError(`compile: a loss is required, e.g. model.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy" }).`);
  }
  const n = countOutputs(model);
  const names = outputNames(model, n);
  const isLoss = (x: unknown) => typeof x === "string" || typeof x === "function" || x instanceof Loss;
  const losses = perOutput("loss", opts.loss, names, isLoss).map((l) => getLoss(l));
  const weights = opts.lossWeights ? perOutput("lossWeights", opts.lossWeights, names, (x) => typeof x === "number") : names.map(() => 1);
  const entries = () => model.variableEntries().filter((e) => e.trainable && e.variable.constraint);
  const loss: CompiledLoss = {
    targets(y) {
      const isRecord = y !== null && typeof y === "object" && !Array.isArray(y) && !(y instanceof Tracer);
      if (!isRecord) return treeFlatten(y)[0] as Tracer[];
      const rec = y as Record<string, PyTree>;
      const missing = names.filter((k) => !(k in rec));
      const extra = Object.keys(rec).filter((k) => !names.includes(k));
      if (missing.length > 0 || extra.length > 0) {
        throw new RangeError(
          `fit: y is a record by output name, but ${missing.length > 0 ? `it lacks ${missing.map((k) => `'${k}'`).join(", ")}` : `it names unknown output(s) ${extra.map((k) => `'${k}'`).join(", ")}`}; the outputs are ${names.join(", ")}.`,
        );
      }
      return names.flatMap((k) => treeFlatten(rec[k])[0] as Tracer[]);
    },
    sampleWeights(sw, op) {
      if (sw === null || sw === undefined || sw instanceof Tracer) return (sw ?? null) as Tracer | null;
      const list = Array.isArray(sw)
        ? (sw as PyTree[])
        : (() => {
            const rec = sw as Record<string, PyTree>;
            const extra = Object.keys(rec).filter((k) => !names.includes(k));
            if (extra.length > 0) {
              throw new RangeError(`${op}: sampleWeight names unknown output(s) ${extra.map((k) => `'${k}'`).join(", ")}; the outputs are ${names.join(", ")}.`);
            }
            return names.map((k) => rec[k] ?? null);
          })();
      if (list.length !== n) {
        throw new RangeError(`${op}: sampleWeight has ${list.length} array(s) but the model has ${n} output(s) (${names.join(", ")}); pass one per output, or a single array for all.`);
      }
      list.forEach((w, i) => {
        if (w !== null && !(w instanceof Tracer)) {
          throw new TypeError(`${op}: sampleWeight for output '${names[i]}' must be an Array of shape [n] or null, received ${typeof w}.`);
        }
      });
      return list as (Tracer | null)[];
    },
    computeEach(y, yPred, sw) {
      const ys = loss.targets(y);
      const ps = treeFlatten(yPred)[0] as Tracer[];
      if (ys.length !== ps.length) {
        throw new RangeError(`fit: the model has ${ps.length} output(s) but ${ys.length} target array(s) were given. Pass one y per output (${names.join(", ")}).`);
      }
      return losses.map((l, i) => {
        const v = l.compute(ys[i], ps[i], weightsOf(sw, i));
        return weights[i] === 1 ? v : v.mul(weights[i]);
      });
    },
    compute(y, yPred, sw) {
      return loss.computeEach(y, yPred, sw).reduce((a, b) => a.add(b));
    },
    applyConstraints(params) {
      const cs = entries();
      if (cs.length === 0) return params;
      const out = { ...params };
      for (const e of cs) out[e.path] = e.variable.constraint!.call(out[e.path]);
      return out;
    },
  };
  const metrics: MetricLike[] = [new LossTracker()];
  if (opts.metrics) {
    const isList = (x: unknown) => Array.isArray(x) && x.every((m) => typeof m === "string" || m instanceof Metric);
    const lists = perOutput("metrics", opts.metrics as never, names, isList) as readonly MetricSpec[][];
    lists.forEach((list, i) =>
      (list ?? []).forEach((spec) => {
        const m = getMetric(spec, { loss: losses[i] });
        const logName = n === 1 ? (typeof spec === "string" && (spec === "acc" || spec === "accuracy") ? spec : m.name) : `${names[i]}_${m.name}`;
        metrics.push(new OutputMetric(m, i, logName));
      }),
    );
  }
  // Keras 3's order: the loss, the compiled metrics, then each output's loss.
  if (n > 1) names.forEach((name, i) => metrics.push(new OutputLossTracker(i, `${name}_loss`)));
  const optimizer = new OptimizerAdapter(optim.optimizers.get(opts.optimizer ?? "rmsprop"));
  return { loss, optimizer, metrics };
}
