/**
 * @file Array methods for sorting (`x.sort()`, `x.argsort()`), installed on Tracer like the
 * methods in methods.ts, so they work on concrete Arrays and inside every transformation.
 */
import { Tracer } from "../trace/core.js";
import * as s from "./sorting.js";

declare module "../trace/core.js" {
  interface Tracer {
    /** A sorted copy (Arrays are immutable, so unlike NumPy this does not sort in place). */
    sort(opts?: s.SortOpts): Tracer;
    argsort(opts?: s.SortOpts): Tracer;
  }
}

const P = Tracer.prototype;
P.sort = function (o) { return s.sort(this, o); };
P.argsort = function (o) { return s.argsort(this, o); };
