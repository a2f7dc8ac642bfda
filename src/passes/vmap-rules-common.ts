/**
 * @file Shared pieces of the batching rules: the rule type and the axis bookkeeping every rule
 * does (moving the batch axis, broadcasting unbatched operands, renumbering per-example axes).
 *
 * Conventions (JAX's `batching.py`): a batched value carries its batch axis at `bdim`; `null`
 * means the value is the same for every example. A rule receives the raw values of the level
 * below and returns raw values with their output batch axes.
 */
import type { Prim, PrimParams } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "../numpy/lax-core.js";

/** Where the batch axis of a value is, or `null` when the value is not batched. */
export type BatchDim = number | null;

/** A batching rule: computes the batched primitive on raw values and says where the batch axes went. */
export type BatchRule<P extends Prim> = (
  vals: readonly Tracer[],
  dims: readonly BatchDim[],
  params: PrimParams[P],
) => [Tracer[], BatchDim[]];

/** The batch size, read from the first batched operand (a rule only runs when there is one). */
export function batchSize(vals: readonly Tracer[], dims: readonly BatchDim[]): number {
  const i = dims.findIndex((d) => d !== null);
  if (i < 0) throw new Error("internal: batching rule called without a batched operand");
  return vals[i].shape[dims[i]!];
}

/** Moves axis `from` of `x` to position `to` (NumPy's moveaxis); a no-op when they agree. */
export function moveaxis(x: Tracer, from: number, to: number): Tracer {
  if (from === to) return x;
  const perm = x.shape.map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return lax.transpose(x, perm);
}

/**
 * Puts the batch axis of `x` at `to`: moves it there, or, for an unbatched value, broadcasts a new
 * axis of `size` there (JAX's `matchaxis` / `bdim_at_front`).
 */
export function bdimTo(x: Tracer, d: BatchDim, to: number, size: number): Tracer {
  if (d !== null) return moveaxis(x, d, to);
  const shape = [...x.shape];
  shape.splice(to, 0, size);
  const kept = shape.map((_, i) => i).filter((i) => i !== to);
  return lax.broadcastInDim(x, shape, kept);
}

/** `bdimTo(x, d, 0, size)`. */
export const toFront = (x: Tracer, d: BatchDim, size: number): Tracer => bdimTo(x, d, 0, size);

/** The axis of the full (batched) array that per-example axis `a` is, when the batch axis is `d`. */
export const fullAxis = (a: number, d: number): number => (a < d ? a : a + 1);

/** The per-example shape of a value batched at `d`. */
export function exampleShape(x: Tracer, d: BatchDim): number[] {
  return d === null ? [...x.shape] : x.shape.filter((_, i) => i !== d);
}

/** `[0, 1, ..., n - 1]`. */
export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => i + from);

/** Same output batch axis for every output. */
export const allAt = (outs: readonly Tracer[], d: BatchDim): BatchDim[] => outs.map(() => d);
