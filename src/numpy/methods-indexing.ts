/**
 * @file Indexing methods on Array (`x.index(0, ":")`, `x.at([0, 2]).add(1)`, `x.take(i)`,
 * `x.diagonal()`), installed on Tracer like methods.ts so they work inside every transformation.
 *
 * NumPy's `x.trace()` has no method here: `trace` is the Tracer's own property (the
 * transformation it belongs to); use `np.trace(x)`.
 */
import { Tracer } from "../trace/core.js";
import * as ix from "./indexing.js";

declare module "../trace/core.js" {
  interface Tracer {
    /** NumPy indexing `x[...specs]`; see `np.index`. */
    index(...specs: ix.IndexSpec[]): Tracer;
    /** Functional updates like JAX's `x.at[...]`: `x.at(0).set(5)`; see `np.at`. */
    at(...specs: ix.IndexSpec[]): ix.IndexUpdateRef;
    /** Elements at `indices` along `axis`; see `np.take`. */
    take(indices: Parameters<typeof ix.take>[1], opts?: ix.TakeOpts): Tracer;
    /** A diagonal; see `np.diagonal`. */
    diagonal(opts?: ix.DiagonalOpts): Tracer;
  }
}

const P = Tracer.prototype;
P.index = function (...specs) { return ix.index(this, ...specs); };
P.at = function (...specs) { return ix.at(this, ...specs); };
P.take = function (indices, opts) { return ix.take(this, indices, opts); };
P.diagonal = function (opts) { return ix.diagonal(this, opts); };
