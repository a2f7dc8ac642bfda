/**
 * @file `Input` and `InputLayer`: where a functional model's graph starts.
 */
import type { DType, Tracer } from "../index.js";
import { Layer, type LayerConfig } from "./layer.js";
import { type Shape, SymbolicTensor } from "./symbolic.js";
import { uniqueName } from "./variable.js";

export interface InputOptions {
  /** Shape of one sample, without the batch dimension (`null` for a free dimension). */
  readonly shape: readonly (number | null)[];
  readonly batchSize?: number;
  readonly dtype?: DType;
  readonly name?: string;
}

/** The layer behind `Input`: passes its input through; holds the model input's spec. */
export class InputLayer extends Layer {
  readonly batchShape: Shape;
  readonly output: SymbolicTensor;

  constructor(opts: InputOptions) {
    super({ name: opts.name ?? uniqueName("input_layer"), dtype: opts.dtype });
    if (!Array.isArray(opts.shape) || opts.shape.some((d) => d !== null && (!Number.isInteger(d) || d < 0))) {
      throw new TypeError(`Input: shape must be an array of non-negative integers or null, received ${JSON.stringify(opts.shape)}. Example: Input({ shape: [28, 28, 1] }).`);
    }
    this.batchShape = [opts.batchSize ?? null, ...opts.shape];
    this.built = true;
    const node = { layer: this, inputs: null, outputs: [] as SymbolicTensor[] };
    this.output = new SymbolicTensor(this.batchShape, this.dtype, node, 0, this.name);
    node.outputs.push(this.output);
    this.inboundNodes.push(node);
  }

  call(x: Tracer): Tracer {
    return x;
  }

  override getConfig(): LayerConfig {
    return { name: this.name, batchShape: this.batchShape, dtype: this.dtype };
  }

  static fromConfig(c: LayerConfig): InputLayer {
    const bs = c.batchShape as (number | null)[];
    return new InputLayer({ shape: bs.slice(1), batchSize: bs[0] ?? undefined, dtype: c.dtype as DType, name: c.name as string });
  }
}

/**
 * A symbolic input of a functional model.
 *
 * @example
 *   const inputs = Input({ shape: [28, 28, 1] });
 *   const outputs = new layers.Dense(10).apply(new layers.Flatten().apply(inputs));
 *   const model = new Model({ inputs, outputs });
 */
export function Input(opts: InputOptions): SymbolicTensor {
  return new InputLayer(opts).output;
}
