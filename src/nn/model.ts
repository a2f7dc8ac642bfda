/**
 * @file `Model`: a layer that can be trained. Built two ways, as in Keras: functional
 * (`new Model({ inputs, outputs })` replays the graph recorded by symbolic calls; shared layers
 * and nested models are nodes like any other) or subclassed (`class M extends Model { call() }`,
 * sublayers tracked from properties). Training, evaluation and prediction live in trainer.ts;
 * this file holds the graph.
 */
import { type PyTree, type Tracer, treeFlatten, treeUnflatten } from "../index.js";
import type { CallContext } from "./call-context.js";
import { InputLayer } from "./input-layer.js";
import { Layer, type LayerConfig, type LayerOptions } from "./layer.js";
import { type Node, SymbolicTensor } from "./symbolic.js";
import { Trainer } from "./trainer.js";
import { service } from "./model-hooks.js";

export interface ModelOptions extends LayerOptions {
  /** Functional API: the model's inputs (from `Input`), one, an array, or a record by name. */
  readonly inputs?: SymbolicTensor | readonly SymbolicTensor[] | Record<string, SymbolicTensor>;
  /** Functional API: the outputs, as produced by calling layers on the inputs. */
  readonly outputs?: SymbolicTensor | readonly SymbolicTensor[] | Record<string, SymbolicTensor>;
}

interface Graph {
  readonly inputs: PyTree;
  readonly outputs: PyTree;
  /** Nodes in execution order, input nodes excluded. */
  readonly nodes: readonly Node[];
  readonly layers: readonly Layer[];
}

/** Nodes needed for `outputs`, in an order where every node follows the nodes it reads. */
function topoSort(outputs: readonly SymbolicTensor[], inputs: ReadonlySet<SymbolicTensor>): Node[] {
  const order: Node[] = [];
  const state = new Map<Node, "visiting" | "done">();
  const visit = (t: SymbolicTensor) => {
    const node = t.node;
    if (state.get(node) === "done") return;
    if (state.get(node) === "visiting") throw new Error("internal: the layer graph has a cycle");
    if (node.layer instanceof InputLayer) {
      if (!inputs.has(t)) {
        throw new RangeError(
          `Model: the outputs depend on the input '${t.name}', which is not among the model's inputs. ` +
            `Add it to inputs: new Model({ inputs: [...], outputs }).`,
        );
      }
      state.set(node, "done");
      return;
    }
    state.set(node, "visiting");
    for (const x of treeFlatten(node.inputs)[0]) visit(x as SymbolicTensor);
    state.set(node, "done");
    order.push(node);
  };
  outputs.forEach(visit);
  return order;
}

/**
 * A trainable model. Functional:
 *
 * @example
 *   const inputs = Input({ shape: [784] });
 *   const h = new layers.Dense(64, { activation: "relu" }).apply(inputs);
 *   const model = new Model({ inputs, outputs: new layers.Dense(10).apply(h) });
 *   model.compile({ optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"] });
 */
export class Model extends Layer {
  readonly #graph: Graph | null;
  /** Compilation and training state (optimizer, losses, metrics): see trainer.ts. */
  readonly trainer: Trainer;

  constructor(opts: ModelOptions = {}) {
    super(opts);
    this.trainer = new Trainer(this);
    if ((opts.inputs === undefined) !== (opts.outputs === undefined)) {
      throw new TypeError("Model: pass both inputs and outputs (functional API), or neither (subclassing).");
    }
    this.#graph = opts.inputs === undefined ? null : Model.#makeGraph(opts.inputs, opts.outputs!);
    if (this.#graph) this.built = true;
  }

  static #makeGraph(inputs: PyTree, outputs: PyTree): Graph {
    const ins = treeFlatten(inputs)[0];
    const outs = treeFlatten(outputs)[0];
    for (const [what, xs] of [["inputs", ins], ["outputs", outs]] as const) {
      const bad = xs.find((x) => !(x instanceof SymbolicTensor));
      if (bad !== undefined || xs.length === 0) {
        throw new TypeError(`Model: ${what} must be symbolic tensors (from Input() and layer.apply on them), received ${bad === undefined ? "none" : String(bad)}.`);
      }
    }
    for (const x of ins as SymbolicTensor[]) {
      if (!(x.node.layer instanceof InputLayer)) {
        throw new TypeError(`Model: every input must come straight from Input(); '${x.name}' is the output of layer '${x.node.layer.name}'.`);
      }
    }
    const nodes = topoSort(outs as SymbolicTensor[], new Set(ins as SymbolicTensor[]));
    const layers: Layer[] = (ins as SymbolicTensor[]).map((x) => x.node.layer as Layer);
    for (const n of nodes) if (!layers.includes(n.layer as Layer)) layers.push(n.layer as Layer);
    return { inputs, outputs, nodes, layers };
  }

  /** Whether this is a functional model (built from a graph). */
  get isFunctional(): boolean {
    return this.#graph !== null;
  }

  override get layers(): Layer[] {
    return this.#graph ? [...this.#graph.layers] : super.layers;
  }

  /** The functional model's symbolic inputs and outputs (null for subclassed models). */
  get graphIO(): { inputs: PyTree; outputs: PyTree } | null {
    return this.#graph && { inputs: this.#graph.inputs, outputs: this.#graph.outputs };
  }

  /** The layer with this name. @example model.getLayer("dense_1") */
  getLayer(name: string): Layer {
    const l = this.layers.find((x) => x.name === name);
    if (!l) throw new RangeError(`Model '${this.name}': no layer named '${name}'. Layers: ${this.layers.map((x) => x.name).join(", ")}.`);
    return l;
  }

  call(inputs: any, _ctx: CallContext): any {
    const g = this.#graph;
    if (!g) {
      throw new TypeError(`${this.className} '${this.name}': a subclassed Model must override call(inputs, ctx). For a graph, use new Model({ inputs, outputs }).`);
    }
    const values = new Map<SymbolicTensor, Tracer>();
    const [syms, inTree] = treeFlatten(g.inputs);
    let given = treeFlatten(inputs as PyTree)[0];
    if (syms.length !== given.length) {
      throw new RangeError(`Model '${this.name}': expected ${syms.length} input(s) structured as ${inTree}, received ${given.length}.`);
    }
    if (syms.length > 1 && !Array.isArray(g.inputs) && Array.isArray(inputs)) given = inputs; // records take arrays in key order
    syms.forEach((s, i) => values.set(s as SymbolicTensor, given[i] as Tracer));
    for (const node of g.nodes) {
      const [ins, tree] = treeFlatten(node.inputs);
      const args = treeUnflatten(tree, ins.map((s) => values.get(s as SymbolicTensor)!));
      const outs = treeFlatten((node.layer as Layer).apply(args) as PyTree)[0];
      node.outputs.forEach((s, i) => values.set(s, outs[i] as Tracer));
    }
    const [outSyms, outTree] = treeFlatten(g.outputs);
    return treeUnflatten(outTree, outSyms.map((s) => values.get(s as SymbolicTensor)!));
  }

  override getConfig(): LayerConfig {
    return { name: this.name, trainable: this.trainable };
  }

  // ---- Training API (Keras names); the work is done by the Trainer. ----

  /** Configures training. @example model.compile({ optimizer: "adam", loss: "mse", metrics: ["mae"] }) */
  compile(opts: Parameters<Trainer["compile"]>[0]): void {
    this.trainer.compile(opts);
  }

  /** Trains for a number of epochs. @example const history = await model.fit(x, y, { epochs: 5, batchSize: 128 }) */
  fit(x: any, y?: any, opts?: Parameters<Trainer["fit"]>[2]): ReturnType<Trainer["fit"]> {
    return this.trainer.fit(x, y, opts);
  }

  /** Loss and metrics on data. @example const [loss, acc] = model.evaluate(xTest, yTest) as number[] */
  evaluate(x: any, y?: any, opts?: Parameters<Trainer["evaluate"]>[2]): ReturnType<Trainer["evaluate"]> {
    return this.trainer.evaluate(x, y, opts);
  }

  /**
   * Moves the weights (and optimizer state) to another backend. fit, evaluate and predict do it
   * by themselves when their data lives elsewhere; this does it ahead of time.
   * @example await setBackend("webgpu"); await model.toBackend("webgpu")
   */
  toBackend(name: string): Promise<void> {
    return this.trainer.toBackend(name);
  }

  /**
   * `evaluate`, reading the metrics asynchronously: works on every backend (webgpu included).
   * @example const [loss, acc] = (await model.evaluateAsync(xTest, yTest)) as number[]
   */
  evaluateAsync(x: any, y?: any, opts?: Parameters<Trainer["evaluate"]>[2]): ReturnType<Trainer["evaluateAsync"]> {
    return this.trainer.evaluateAsync(x, y, opts);
  }

  /** Outputs for inputs, computed in batches. @example const probs = model.predict(xTest) */
  predict(x: any, opts?: Parameters<Trainer["predict"]>[1]): any {
    return this.trainer.predict(x, opts);
  }

  /** One gradient step on one batch; returns the loss (and metrics). @example model.trainOnBatch(xb, yb) */
  trainOnBatch(x: any, y: any, opts?: Parameters<Trainer["trainOnBatch"]>[2]): ReturnType<Trainer["trainOnBatch"]> {
    return this.trainer.trainOnBatch(x, y, opts);
  }

  /** Loss (and metrics) on one batch, no update. @example model.testOnBatch(xb, yb) */
  testOnBatch(x: any, y: any, opts?: Parameters<Trainer["testOnBatch"]>[2]): ReturnType<Trainer["testOnBatch"]> {
    return this.trainer.testOnBatch(x, y, opts);
  }

  /** Outputs for one batch. @example model.predictOnBatch(xb) */
  predictOnBatch(x: any): any {
    return this.trainer.predictOnBatch(x);
  }

  /**
   * Prints Keras' summary table (layers, output shapes, parameter counts).
   *
   * @example model.summary()
   */
  summary(opts: { printFn?: (line: string) => void; lineLength?: number } = {}): void {
    service("summary")(this, opts);
  }

  /**
   * Saves architecture, weights and (when trained) optimizer state to a `.kiln` archive.
   *
   * @example model.save("mnist.kiln"); const again = loadModel("mnist.kiln");
   */
  save(path: string, opts: { includeOptimizer?: boolean } = {}): void {
    service("saveModel")(this, path, opts);
  }

  /** Saves the weights alone to a `.weights.safetensors` file. @example model.saveWeights("m.weights.safetensors") */
  saveWeights(path: string): void {
    service("saveWeights")(this, path);
  }

  /** Loads weights saved by `saveWeights` (names and shapes must match). @example model.loadWeights("m.weights.safetensors") */
  loadWeights(path: string): void {
    service("loadWeights")(this, path);
  }

  /** Set by callbacks (EarlyStopping, TerminateOnNaN) to end `fit` after the current batch/epoch. */
  get stopTraining(): boolean {
    return this.trainer.stopTraining;
  }

  set stopTraining(v: boolean) {
    this.trainer.stopTraining = v;
  }
}
