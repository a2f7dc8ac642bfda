/**
 * @file `Sequential`: a plain stack of layers, each fed the previous one's output. When the
 * input shape is known (an `Input` first, or `inputShape` on the first layer) the stack is built
 * at once, so `summary()` works before any data is seen; otherwise at the first call.
 */
import type { Tracer } from "../index.js";
import type { CallContext } from "./call-context.js";
import { Input, InputLayer } from "./input-layer.js";
import { Layer, type LayerConfig } from "./layer.js";
import { Model } from "./model.js";
import { type Shape, SymbolicTensor } from "./symbolic.js";

/**
 * A linear stack of layers.
 *
 * @example
 *   const model = new Sequential([
 *     Input({ shape: [784] }),
 *     new layers.Dense(128, { activation: "relu" }),
 *     new layers.Dense(10, { activation: "softmax" }),
 *   ]);
 */
export class Sequential extends Model {
  #stack: Layer[] = [];
  #input: SymbolicTensor | null = null;
  /** Symbolic output of each layer once the input shape is known. */
  #outputs: SymbolicTensor[] = [];

  constructor(layers: readonly (Layer | SymbolicTensor)[] = [], opts: { readonly name?: string; readonly trainable?: boolean } = {}) {
    super(opts);
    for (const l of layers) this.add(l);
  }

  /**
   * Appends a layer (or, first, an `Input`).
   *
   * @example model.add(new layers.Dense(10))
   */
  add(layer: Layer | SymbolicTensor): void {
    if (layer instanceof SymbolicTensor) {
      if (this.#stack.length > 0 || this.#input) {
        throw new TypeError(`Sequential '${this.name}': an Input may only come first.`);
      }
      if (!(layer.node.layer instanceof InputLayer)) {
        throw new TypeError(`Sequential '${this.name}': add() takes layers, or an Input() first; received the output of layer '${layer.node.layer.name}'.`);
      }
      this.#input = layer;
      return;
    }
    if (!(layer instanceof Layer)) {
      throw new TypeError(`Sequential '${this.name}': add() takes a Layer, received ${layer === null ? "null" : typeof layer}.`);
    }
    if (layer instanceof InputLayer) {
      this.add(layer.output);
      return;
    }
    if (this.#stack.some((l) => l.name === layer.name)) {
      throw new RangeError(`Sequential '${this.name}': a layer named '${layer.name}' is already in the model. Layer names must be unique.`);
    }
    if (this.#stack.length === 0 && !this.#input && layer.declaredInputShape) {
      this.#input = Input({ shape: layer.declaredInputShape.slice(1), batchSize: layer.declaredInputShape[0] ?? undefined });
    }
    this.#stack.push(layer);
    if (this.#input) {
      const prev = this.#outputs.at(-1) ?? this.#input;
      this.#outputs.push(layer.apply(prev) as SymbolicTensor);
      this.built = true;
    }
  }

  /** Removes the last layer. @example model.pop() */
  pop(): Layer {
    const l = this.#stack.pop();
    if (!l) throw new RangeError(`Sequential '${this.name}': there is no layer to pop.`);
    this.#outputs = this.#outputs.slice(0, this.#stack.length);
    return l;
  }

  override get layers(): Layer[] {
    return [...this.#stack];
  }

  /** The batch-inclusive input shape, once known. */
  get inputShape(): Shape | null {
    return this.#input?.shape ?? null;
  }

  /** Symbolic output of each layer (empty until the input shape is known). */
  get layerOutputs(): readonly SymbolicTensor[] {
    return this.#outputs;
  }

  override build(inputShape: Shape): void {
    if (this.#input) return;
    this.#input = Input({ shape: inputShape.slice(1) });
    const stack = this.#stack;
    this.#stack = [];
    this.#outputs = [];
    for (const l of stack) this.add(l);
  }

  override call(inputs: Tracer, _ctx: CallContext): Tracer {
    if (this.#stack.length === 0) throw new RangeError(`Sequential '${this.name}': the model has no layers. Add some with add().`);
    let x = inputs;
    for (const l of this.#stack) x = l.apply(x);
    return x;
  }

  override getConfig(): LayerConfig {
    return { name: this.name, trainable: this.trainable, inputShape: this.#input ? [...this.#input.shape] : null };
  }
}
