/**
 * @file Symbolic tensors of the functional API (Keras' KerasTensor): a shape with a free batch
 * dimension (`null`), a dtype, and the node that produced it. Calling a layer on symbolic tensors
 * records a node instead of computing; a functional `Model` replays the recorded graph.
 */
import type { DType, PyTree } from "../index.js";

/** A shape in which `null` marks a dimension that is not known until data arrives (the batch). */
export type Shape = readonly (number | null)[];

/** Shape and dtype of a layer output (a pytree leaf, unlike a plain object). */
export class TensorSpec {
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
  ) {}
}

/** A layer call recorded by the functional API. */
export interface Node {
  /** The layer called (typed loosely here to keep this module free of the Layer class). */
  readonly layer: { readonly name: string };
  /** The call's inputs: a pytree of symbolic tensors. */
  readonly inputs: PyTree;
  /** The call's outputs, flattened. */
  readonly outputs: readonly SymbolicTensor[];
}

/**
 * A placeholder for an Array in a functional model: what `Input` returns and what calling a
 * layer on placeholders returns.
 *
 * @example
 *   const x = Input({ shape: [784] });       // SymbolicTensor shape [null, 784]
 *   const y = new layers.Dense(10).apply(x); // SymbolicTensor shape [null, 10]
 */
export class SymbolicTensor {
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    /** The node that produced this tensor (for `Input`, the input layer's node). */
    readonly node: Node,
    /** Position among the node's flattened outputs. */
    readonly index: number,
    readonly name: string,
  ) {}

  get ndim(): number {
    return this.shape.length;
  }

  toString(): string {
    return `<SymbolicTensor shape=[${this.shape.map((d) => d ?? "None").join(", ")}], dtype=${this.dtype}, name=${this.name}>`;
  }
}

/** Formats a shape as Keras prints it: `(None, 28, 28, 1)`. */
export const formatShape = (s: Shape): string =>
  `(${s.map((d) => (d === null ? "None" : String(d))).join(", ")}${s.length === 1 ? "," : ""})`;
