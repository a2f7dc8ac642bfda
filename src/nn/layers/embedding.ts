/**
 * @file The Embedding layer: a trainable lookup table from integer ids to dense vectors, with
 * Keras 3 defaults (uniform ±0.05 initializer) and JAX `take` semantics for the lookup.
 */
import { np, type Tracer } from "../../index.js";
import { Layer, isConcrete, type LayerConfig, type LayerOptions } from "../layer.js";
import type { ConstraintLike, InitializerLike, RegularizerLike } from "../resolve.js";
import type { Variable } from "../variable.js";
import { serializeObject } from "./config-util.js";

export interface EmbeddingOptions extends LayerOptions {
  /** Initial table (default "uniform": uniform in [-0.05, 0.05]). */
  readonly embeddingsInitializer?: InitializerLike;
  readonly embeddingsRegularizer?: RegularizerLike | null;
  readonly embeddingsConstraint?: ConstraintLike | null;
  /** Id 0 is padding: `computeMask` reports it (then ids must be < inputDim as usual, 0 included). */
  readonly maskZero?: boolean;
  /** Length of the input sequences; shorthand for `inputShape: [inputLength]` (Keras 2). */
  readonly inputLength?: number | null;
}

const isIntDtype = (d: string) => d === "int32" || d === "uint32";

/**
 * Maps integer ids in `[0, inputDim)` to rows of a trainable `embeddings` table of shape
 * `[inputDim, outputDim]`: an input of shape `[batch, ...]` gives `[batch, ..., outputDim]`.
 * Float inputs holding whole numbers are cast to int32 (as Keras does); a concrete input with a
 * fractional value is an error. Like JAX's `take`, negative ids count from the end and ids
 * `>= inputDim` give rows of NaN (no gradient reaches the table from them).
 *
 * @example new layers.Embedding(1000, 64).apply(np.array([[1, 2, 3]], { dtype: "int32" })).shape // [1, 3, 64]
 */
export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  embeddings!: Variable;

  constructor(inputDim: number, outputDim: number, readonly options: EmbeddingOptions = {}) {
    const len = options.inputLength ?? null;
    if (len !== null && (!Number.isInteger(len) || len <= 0)) {
      throw new RangeError(`Embedding: inputLength must be a positive integer, received ${JSON.stringify(len)}.`);
    }
    super(len !== null && !options.inputShape ? { ...options, inputShape: [len] } : options);
    for (const [what, v] of [["inputDim", inputDim], ["outputDim", outputDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) {
        throw new RangeError(`Embedding: ${what} must be a positive integer, received ${JSON.stringify(v)}.`);
      }
    }
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    this.maskZero = options.maskZero ?? false;
  }

  override build(): void {
    const o = this.options;
    this.embeddings = this.addWeight("embeddings", [this.inputDim, this.outputDim], {
      initializer: o.embeddingsInitializer ?? "uniform", regularizer: o.embeddingsRegularizer, constraint: o.embeddingsConstraint,
    });
  }

  call(inputs: Tracer): Tracer {
    let ids = inputs;
    if (!isIntDtype(ids.dtype)) {
      if (isConcrete(ids) && ids.dtype !== "bool" && (np.any(np.notEqual(ids, np.floor(ids))).item() as boolean)) {
        throw new TypeError(
          `Embedding '${this.name}': expected integer ids, received ${ids.dtype} values with fractional parts. ` +
            `Pass token ids, e.g. np.array(ids, { dtype: "int32" }).`,
        );
      }
      ids = ids.astype("int32");
    }
    return np.take(this.embeddings.value, ids, { axis: 0 });
  }

  /** With `maskZero`: true where the id is not padding (0); otherwise null. @example emb.computeMask(ids) */
  computeMask(inputs: Tracer): Tracer | null {
    return this.maskZero ? np.notEqual(inputs, 0) : null;
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim,
      embeddingsInitializer: serializeObject(o.embeddingsInitializer ?? "uniform"),
      embeddingsRegularizer: serializeObject(o.embeddingsRegularizer ?? null),
      embeddingsConstraint: serializeObject(o.embeddingsConstraint ?? null),
      maskZero: this.maskZero, inputLength: o.inputLength ?? null,
    };
  }

  static fromConfig(c: LayerConfig): Embedding {
    return new Embedding(c.inputDim as number, c.outputDim as number, c as EmbeddingOptions);
  }
}
