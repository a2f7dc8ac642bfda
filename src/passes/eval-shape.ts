/**
 * @file evalShape: the shapes and dtypes a function would return, found by tracing it on
 * abstract inputs, without computing anything (JAX's `jax.eval_shape`).
 */
import { makeJaxpr } from "../trace/jaxpr-trace.js";
import { type PyTree, treeUnflatten } from "../trace/pytree.js";

/**
 * Traces `f` on `args` (Arrays, ShapedArrays or JS scalars, in pytrees) and returns the pytree of
 * its outputs as ShapedArrays. Nothing is computed and no buffer is allocated for the outputs.
 *
 * @example
 *   evalShape((x) => np.sum(x, { axis: 0 }), new ShapedArray([3, 4], "float32")) // ShapedArray f32[4]
 */
export function evalShape(f: (...args: any[]) => unknown, ...args: unknown[]): PyTree {
  const closed = makeJaxpr(f)(...args);
  return treeUnflatten(closed.outTree, closed.program.outs.map((o) => o.aval));
}
