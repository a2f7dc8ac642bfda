/**
 * @file The Keras `Layer`: configuration plus weights (`Variable`s made in `build`), a pure
 * `call`, and three ways in: `apply` on Arrays (eager), `apply` on symbolic tensors (records a
 * node of a functional model), and `statelessCall(params, state, inputs)`, the pure form that
 * training is built on. Sublayers are tracked automatically from the layer's own properties,
 * as Keras tracks attributes.
 */
import {
  ConcreteArray, ShapedArray, Tracer, ensureCompileTimeEval, tidy, evalShape, treeFlatten, treeUnflatten, type DType, type PyTree,
} from "../index.js";
import { type CallOptions, CallContext, currentContext, inContext } from "./call-context.js";
import { type InitializerLike, type RegularizerLike, type ConstraintLike, resolveConstraint, resolveInitializer, resolveRegularizer } from "./resolve.js";
import { type Shape, type Node, SymbolicTensor, TensorSpec } from "./symbolic.js";
import { Variable, snakeCase, uniqueName, withVariableValues } from "./variable.js";

/** Options every layer accepts (Keras' base-layer keyword arguments). */
export interface LayerOptions {
  readonly name?: string;
  readonly trainable?: boolean;
  readonly dtype?: DType;
  /** Shape of one sample, without the batch dimension, for the first layer of a `Sequential`. */
  readonly inputShape?: readonly (number | null)[];
  readonly batchSize?: number;
  /** A penalty on the layer's outputs, added to the loss during training. */
  readonly activityRegularizer?: RegularizerLike | null;
}

/** Options of `addWeight`. */
export interface WeightOptions {
  readonly initializer?: InitializerLike;
  readonly trainable?: boolean;
  readonly dtype?: DType;
  readonly regularizer?: RegularizerLike | null;
  readonly constraint?: ConstraintLike | null;
}

/** A weight with its path relative to the layer it was collected from (`dense/kernel`). */
export interface VariableEntry {
  readonly path: string;
  readonly variable: Variable;
  /** Trainable and every layer above it is trainable. */
  readonly trainable: boolean;
}

/** Configuration as plain JSON (what `getConfig` returns and archives store). */
export type LayerConfig = Record<string, unknown>;

/** Shapes of a pytree of arrays or symbolic tensors. */
const shapesOf = (inputs: unknown): PyTree => {
  const [leaves, tree] = treeFlatten(inputs as PyTree);
  return treeUnflatten(tree, leaves.map((x) => (x instanceof Tracer || x instanceof SymbolicTensor || x instanceof ShapedArray ? [...x.shape] : x)));
};

/**
 * Base class of all layers. Subclasses make weights in `build` with `addWeight` and compute in
 * `call(inputs, ctx)` using only Kiln operations on `weight.value`.
 *
 * @example
 *   class Scale extends Layer {
 *     w!: Variable;
 *     build(shape: Shape) { this.w = this.addWeight("w", [shape.at(-1)!], { initializer: "ones" }); }
 *     call(x: Tracer) { return x.mul(this.w.value); }
 *   }
 */
export abstract class Layer {
  readonly name: string;
  built = false;
  readonly dtype: DType;
  /** Batch-inclusive input shape declared with `inputShape` (first layer of a Sequential). */
  readonly declaredInputShape: Shape | null;
  /** Nodes recorded by symbolic calls (functional API). */
  readonly inboundNodes: Node[] = [];
  #trainable: boolean;
  #variables: Variable[] = [];
  #activityRegularizer: ReturnType<typeof resolveRegularizer>;

  constructor(opts: LayerOptions = {}) {
    this.name = opts.name ?? uniqueName(snakeCase(this.className));
    this.#trainable = opts.trainable ?? true;
    this.dtype = opts.dtype ?? "float32";
    this.declaredInputShape = opts.inputShape ? [opts.batchSize ?? null, ...opts.inputShape] : null;
    this.#activityRegularizer = resolveRegularizer(opts.activityRegularizer ?? null);
  }

  /** The class name used in configs and summaries (override when minifiers rename classes). */
  get className(): string {
    return this.constructor.name;
  }

  /** Makes the layer's weights for inputs of `inputShape` (batch dimension included). */
  build(_inputShape: any): void {}

  /** The forward computation. Pure: reads weights through `.value`, never assigns trainable weights. */
  abstract call(inputs: any, ctx: CallContext): any;

  get trainable(): boolean {
    return this.#trainable;
  }

  /** Freezes (false) or unfreezes the layer and its sublayers; applies at the next `compile`. */
  set trainable(t: boolean) {
    this.#trainable = t;
  }

  /**
   * Creates a weight. Call it from `build`; also works while the layer is first built inside a
   * traced function (the initial value is computed eagerly).
   */
  addWeight(name: string, shape: readonly number[], opts: WeightOptions = {}): Variable {
    if (this.#variables.some((v) => v.name === name)) {
      throw new RangeError(`${this.className} '${this.name}': a weight named '${name}' already exists. Give each weight a distinct name.`);
    }
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new RangeError(`${this.className} '${this.name}'.addWeight('${name}'): shape must be non-negative integers, received [${shape}].`);
    }
    const dtype = opts.dtype ?? this.dtype;
    const init = resolveInitializer(opts.initializer ?? "glorot_uniform");
    const value = ensureCompileTimeEval(() => tidy(() => init(shape, dtype)));
    const v = new Variable(name, value, {
      trainable: opts.trainable ?? true,
      regularizer: resolveRegularizer(opts.regularizer ?? null),
      constraint: resolveConstraint(opts.constraint ?? null),
    });
    value.dispose();
    this.#variables.push(v);
    return v;
  }

  /** Layers held by this layer's properties (directly or in arrays), in property order. */
  get layers(): Layer[] {
    const out: Layer[] = [];
    const add = (x: unknown) => {
      if (x instanceof Layer && x !== this && !out.includes(x)) out.push(x);
    };
    for (const v of Object.values(this)) {
      if (Array.isArray(v)) v.forEach(add);
      else add(v);
    }
    return out;
  }

  /** Every weight with its path (`sublayer/name`), trainable ones flagged. */
  variableEntries(): VariableEntry[] {
    const out: VariableEntry[] = [];
    const seen = new Set<Variable>();
    const walk = (layer: Layer, prefix: string, trainable: boolean, stack: Layer[]) => {
      const t = trainable && layer.trainable;
      for (const v of layer.#variables) {
        if (seen.has(v)) continue;
        seen.add(v);
        out.push({ path: `${prefix}${v.name}`, variable: v, trainable: t && v.trainable });
      }
      for (const sub of layer.layers) if (!stack.includes(sub)) walk(sub, `${prefix}${sub.name}/`, t, [...stack, sub]);
    };
    walk(this, "", true, [this]);
    const paths = new Set<string>();
    for (const e of out) {
      if (paths.has(e.path)) {
        throw new RangeError(`${this.className} '${this.name}': two weights share the path '${e.path}'. Give the layers distinct names.`);
      }
      paths.add(e.path);
    }
    return out;
  }

  /** All weights: trainable first, then the others (Keras' `weights`). */
  get weights(): Variable[] {
    const es = this.variableEntries();
    return [...es.filter((e) => e.trainable), ...es.filter((e) => !e.trainable)].map((e) => e.variable);
  }

  get trainableWeights(): Variable[] {
    return this.variableEntries().filter((e) => e.trainable).map((e) => e.variable);
  }

  get nonTrainableWeights(): Variable[] {
    return this.variableEntries().filter((e) => !e.trainable).map((e) => e.variable);
  }

  /** Number of scalars in the weights. */
  countParams(): number {
    if (!this.built) {
      throw new Error(`${this.className} '${this.name}'.countParams: the layer is not built yet. Call it on data or build(inputShape) first.`);
    }
    return this.variableEntries().reduce((n, e) => n + e.variable.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Copies of the weight values, in `weights` order. */
  getWeights(): Tracer[] {
    return this.weights.map((v) => v.value);
  }

  /** Sets weight values, in `weights` order; shapes must match. */
  setWeights(values: readonly Tracer[]): void {
    const ws = this.weights;
    if (values.length !== ws.length) {
      throw new RangeError(`${this.className} '${this.name}'.setWeights: expected ${ws.length} arrays (${ws.map((w) => `${w.name} [${w.shape}]`).join(", ")}), received ${values.length}.`);
    }
    ws.forEach((w, i) => w.assign(values[i]));
  }

  /** Current values as the `[params, state]` dictionaries `statelessCall` takes, keyed by path. */
  paramsAndState(): [Record<string, Tracer>, Record<string, Tracer>] {
    const params: Record<string, Tracer> = {};
    const state: Record<string, Tracer> = {};
    for (const e of this.variableEntries()) (e.trainable ? params : state)[e.path] = e.variable.value;
    return [params, state];
  }

  /** Writes `[params, state]` dictionaries (from `paramsAndState` or training) back into the weights. */
  assignParamsAndState(params: Record<string, Tracer>, state: Record<string, Tracer>): void {
    for (const e of this.variableEntries()) {
      const v = (e.trainable ? params : state)[e.path];
      if (v !== undefined) e.variable.assign(v);
    }
  }

  /**
   * The pure form of the layer: runs `call` with the weights taken from `params` (trainable) and
   * `state` (the others), and returns the outputs, the new state and the losses the call added
   * (activity and weight regularization). Safe inside `jit`, `grad` and `vmap`.
   *
   * @example
   *   const [params, state] = model.paramsAndState();
   *   const [y, newState, losses] = model.statelessCall(params, state, x, { training: true, key });
   */
  statelessCall(
    params: Record<string, Tracer>,
    state: Record<string, Tracer>,
    inputs: any,
    opts: CallOptions = {},
  ): [any, Record<string, Tracer>, Tracer[]] {
    this.#maybeBuild(inputs);
    const entries = this.variableEntries();
    const values = new Map<Variable, Tracer>();
    for (const e of entries) {
      const v = (e.trainable ? params : state)[e.path];
      if (v === undefined) {
        throw new RangeError(
          `${this.className} '${this.name}'.statelessCall: missing ${e.trainable ? "params" : "state"}['${e.path}']. ` +
            `Pass the dictionaries returned by paramsAndState().`,
        );
      }
      values.set(e.variable, v);
    }
    const ctx = new CallContext(opts);
    const [out, updates] = withVariableValues(values, () => {
      const y = this.#invoke(inputs, ctx);
      for (const e of entries) {
        const reg = e.variable.regularizer;
        if (reg && e.trainable) ctx.addLoss(reg.call(values.get(e.variable)!));
      }
      return y;
    });
    const newState: Record<string, Tracer> = {};
    for (const e of entries) if (!e.trainable) newState[e.path] = updates.get(e.variable) ?? values.get(e.variable)!;
    return [out, newState, ctx.losses];
  }

  /**
   * Calls the layer: on Arrays it computes (inference mode unless `training: true`, or the mode of
   * the enclosing call); on symbolic tensors it records a node of a functional model.
   *
   * @example new layers.Dense(3).apply(np.ones([2, 4])).shape // [2, 3]
   */
  apply(inputs: any, opts?: CallOptions): any {
    const leaves = treeFlatten(inputs as PyTree)[0];
    if (leaves.some((x) => x instanceof SymbolicTensor)) {
      if (!leaves.every((x) => x instanceof SymbolicTensor)) {
        throw new TypeError(`${this.className} '${this.name}': inputs mix symbolic tensors with Arrays. In a functional model every input must come from Input() or another layer.`);
      }
      return this.#applySymbolic(inputs);
    }
    const parent = currentContext();
    const ctx = parent && !opts?.key ? parent.with(opts?.training) : new CallContext(opts);
    return this.#invoke(inputs, ctx);
  }

  /** Builds the layer for inputs like these (Arrays, ShapedArrays or symbolic tensors), if not built yet. */
  ensureBuilt(inputs: unknown): void {
    this.#maybeBuild(inputs);
  }

  #maybeBuild(inputs: unknown): void {
    if (this.built) return;
    const shapes = shapesOf(inputs);
    ensureCompileTimeEval(() => tidy(() => this.build(shapes)));
    this.built = true;
  }

  #invoke(inputs: unknown, ctx: CallContext): any {
    this.#maybeBuild(inputs);
    const out = inContext(ctx, () => this.call(inputs, ctx));
    if (this.#activityRegularizer && ctx.training) {
      for (const y of treeFlatten(out as PyTree)[0]) {
        if (y instanceof Tracer) ctx.addLoss(this.#activityRegularizer.call(y).div(y.shape[0] ?? 1));
      }
    }
    return out;
  }

  #applySymbolic(inputs: any): any {
    this.#maybeBuild(inputs);
    const [specs, outTree] = treeFlatten(this.computeOutputSpec(inputs) as PyTree);
    const node: Node = { layer: this, inputs, outputs: [] };
    const outs = specs.map((s, i) => {
      const { shape, dtype } = s as TensorSpec;
      return new SymbolicTensor(shape, dtype, node, i, specs.length === 1 ? this.name : `${this.name}_${i}`);
    });
    (node.outputs as SymbolicTensor[]).push(...outs);
    this.inboundNodes.push(node);
    return treeUnflatten(outTree, outs);
  }

  /**
   * Shapes and dtypes of the outputs for symbolic inputs, found by tracing `call` (no
   * computation). A free (`null`) dimension is traced at two sizes; output dimensions that
   * follow it stay free.
   */
  computeOutputSpec(inputs: any): PyTree {
    const [leaves, tree] = treeFlatten(inputs as PyTree);
    const syms = leaves as SymbolicTensor[];
    const trace = (b: number) =>
      treeFlatten(
        evalShape(
          (...xs: Tracer[]) => this.#invoke(treeUnflatten(tree, xs), new CallContext({ training: false })),
          ...syms.map((s) => new ShapedArray(s.shape.map((d) => d ?? b), s.dtype)),
        ),
      );
    const [a, outTree] = trace(2);
    const free = syms.some((s) => s.shape.includes(null));
    const b = free ? trace(3)[0] : a;
    const specs = (a as ShapedArray[]).map(
      (x, i) => new TensorSpec(x.shape.map((d, j) => (d === (b[i] as ShapedArray).shape[j] ? d : null)), x.dtype),
    );
    return treeUnflatten(outTree, specs);
  }

  /** Output shape for an input shape (batch included, `null` where free). */
  computeOutputShape(inputShape: any): any {
    const [shapes, tree] = treeFlatten(inputShape as PyTree, (x) => Array.isArray(x) && x.every((d) => d === null || typeof d === "number"));
    const node: Node = { layer: this, inputs: null, outputs: [] };
    const syms = (shapes as Shape[]).map((s, i) => new SymbolicTensor(s, this.dtype, node, i, "shape"));
    const [specs, outTree] = treeFlatten(this.computeOutputSpec(treeUnflatten(tree, syms)) as PyTree);
    return treeUnflatten(outTree, specs.map((s) => (s as TensorSpec).shape));
  }

  /** The layer's configuration as JSON (constructor options in camelCase). */
  getConfig(): LayerConfig {
    return { name: this.name, trainable: this.trainable, dtype: this.dtype };
  }

  /** Releases the memory of every weight. */
  dispose(): void {
    for (const e of this.variableEntries()) e.variable.dispose();
  }
}

/** True for concrete (not traced) Arrays; layers use it to decide eager-only conveniences. */
export const isConcrete = (x: unknown): x is ConcreteArray => x instanceof ConcreteArray;
